"""Content negotiation as DRF's DefaultContentNegotiation does it, over a view's renderers.

A renderer is (format, media type). ``?format=`` first narrows the renderers (no match:
404); then the ``Accept`` media ranges, most specific first (``type/sub;params``,
``type/sub``, ``type/*``, ``*/*``; ``q`` is ignored, as in DRF), pick the first renderer
that matches; none: 406 "Could not satisfy the request Accept header.". A failed
negotiation renders its error with the view's first renderer.

>>> select(JSON_RENDERERS, None, "application/json")
'json'
>>> select(STDOUT_RENDERERS, "txt", "text/plain, */*")
'txt'
>>> select(STDOUT_RENDERERS, "txt", "application/json")
Traceback (most recent call last):
...
workers.emulator.negotiate.NotAcceptable: Could not satisfy the request Accept header.
"""

from __future__ import annotations

Renderer = tuple[str, str]  # (format, media type)

# AWX's DEFAULT_RENDERER_CLASSES: DefaultJSONRenderer, BrowsableAPIRenderer.
JSON_RENDERERS: tuple[Renderer, ...] = (("json", "application/json"), ("api", "text/html"))
# awx/api/views UnifiedJobStdout.renderer_classes, in order.
STDOUT_RENDERERS: tuple[Renderer, ...] = (
    ("api", "text/html"),
    ("html", "text/html"),
    ("txt", "text/plain"),
    ("ansi", "text/plain"),
    ("json", "application/json"),
    ("txt_download", "text/plain"),
    ("ansi_download", "text/plain"),
)
NOT_ACCEPTABLE = "Could not satisfy the request Accept header."


class NotAcceptable(Exception):
    """406."""


class FormatNotFound(Exception):
    """``?format=`` names no renderer of the view: DRF raises Http404."""


def _precedence(media: str) -> int:
    base, _, params = media.partition(";")
    main, _, sub = base.strip().partition("/")
    if main == "*":
        return 0
    if sub == "*":
        return 1
    return 3 if any(p.strip() and not p.strip().startswith("q=") for p in params.split(";")) else 2


def _matches(renderer_media: str, accepted: str) -> bool:
    main, _, sub = accepted.split(";")[0].strip().partition("/")
    r_main, _, r_sub = renderer_media.partition("/")
    if main != "*" and main != r_main:
        return False
    return sub in ("*", "") or sub == r_sub


def select(renderers: tuple[Renderer, ...], fmt: str | None, accept: str | None) -> str:
    """The format of the renderer DRF would pick, or NotAcceptable / FormatNotFound."""
    if fmt:
        renderers = tuple(r for r in renderers if r[0] == fmt)
        if not renderers:
            raise FormatNotFound(fmt)
    accepts = [a.strip() for a in (accept or "*/*").split(",") if a.strip()] or ["*/*"]
    for level in (3, 2, 1, 0):
        group = [a for a in accepts if _precedence(a) == level]
        for r_format, r_media in renderers:
            if any(_matches(r_media, a) for a in group):
                return r_format
    raise NotAcceptable(NOT_ACCEPTABLE)
