"""``/jobs/{id}/stdout/``: the job's output in AWX's formats, each behind its own DRF renderer.

AWX's UnifiedJobStdout view renders with (format, media type): api and html
(text/html), txt and ansi (text/plain), json (application/json), txt_download and
ansi_download (text/plain). The format comes from ``?format=`` or else from the
``Accept`` header (negotiate.py); ``?format=txt`` with ``Accept: application/json``
is a 406, as in AWX.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from html import escape

from starlette.responses import Response, StreamingResponse

from workers.emulator.display import stdout_text
from workers.emulator.http import ApiError, Ctx, json_response
from workers.emulator.jobs_api import job_of
from workers.emulator.negotiate import STDOUT_RENDERERS
from workers.emulator.views import View, only

PAGE = "<!DOCTYPE html><html><head><title>Job stdout</title></head><body><pre>{}</pre></body></html>"


def stdout(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    j = job_of(ctx)
    events = j.saved_events(w.now())
    fmt = ctx.accepted
    if fmt in ("txt_download", "ansi_download"):
        ansi = fmt == "ansi_download"
        text = stdout_text(events, ansi=ansi)
        name = f"job_{j.id}.ansi.txt" if ansi else f"job_{j.id}.txt"
        return StreamingResponse(
            _chunks(text.encode("utf-8")),
            media_type="text/plain",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    cap = w.scenario.stdout_max_bytes
    size = sum(len(e["stdout"]) for e in events)
    too_large = (
        f"Standard Output too large to display ({size} bytes), only download supported for sizes over {cap} bytes."
    )
    if fmt in ("txt", "ansi"):
        body = too_large if size > cap else stdout_text(events, ansi=fmt == "ansi")
        return Response(body, media_type="text/plain")
    if fmt == "json":
        if size > cap:
            return json_response({"range": {"start": 0, "end": 1, "absolute_end": 1}, "content": too_large})
        lines = stdout_text(events, ansi=True).splitlines()
        start, end = _line_range(ctx, len(lines))
        content = "\n".join(lines[start:end])
        if ctx.query("content_encoding") == "base64":
            content = base64.b64encode(content.encode()).decode()
        return json_response(
            {"range": {"start": start, "end": max(start, min(end, len(lines))), "absolute_end": len(lines)},
             "content": content}
        )  # fmt: skip
    text = too_large if size > cap else stdout_text(events, ansi=False)
    return Response(PAGE.format(escape(text)), media_type="text/html")


def _line_range(ctx: Ctx, total: int) -> tuple[int, int]:
    try:
        start = int(ctx.query("start_line") or 0)
        end = int(ctx.query("end_line") or total)
    except ValueError as exc:
        raise ApiError(400, "start_line and end_line must be integers") from exc
    start = max(0, total + start) if start < 0 else min(start, total)
    end = max(0, total + end) if end < 0 else min(end, total)
    return start, end


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


stdout.renderers = STDOUT_RENDERERS  # type: ignore[attr-defined]

ROUTES: list[tuple[str, View]] = [(r"jobs/(\d+)/stdout", stdout)]
