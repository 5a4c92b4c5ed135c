"""Patch windows per environment (UTC), e.g. ``{"prod": "22:00-06:00"}``.

A window may wrap midnight. An environment without a window may be patched at
any time. Used by the jobs service (the schedule that runs) and by the agent's
confirmation text (the schedule it announces), so both agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta

from core.errors import ValidationFailed


def parse_window(spec: str) -> tuple[time, time]:
    """``"22:00-06:00"`` -> (22:00, 06:00).

    >>> parse_window("22:00-06:00")
    (datetime.time(22, 0), datetime.time(6, 0))
    """
    try:
        start, end = (time.fromisoformat(p.strip()) for p in spec.split("-", 1))
    except ValueError as exc:
        raise ValidationFailed(f"patch window {spec!r} is not 'HH:MM-HH:MM' (UTC)") from exc
    return start, end


def in_window(spec: str, at: datetime) -> bool:
    start, end = parse_window(spec)
    t = at.timetz().replace(tzinfo=None)
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def next_window_start(windows: Mapping[str, str], envs: Iterable[str | None], at: datetime) -> datetime | None:
    """The earliest moment >= ``at`` inside the window of every environment given; None = ``at`` is fine.

    >>> from datetime import UTC
    >>> w = {"prod": "22:00-06:00"}
    >>> next_window_start(w, ["prod"], datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    datetime.datetime(2026, 11, 27, 22, 0, tzinfo=datetime.timezone.utc)
    >>> next_window_start(w, ["prod"], datetime(2026, 11, 27, 23, 0, tzinfo=UTC)) is None
    True
    >>> next_window_start(w, ["staging"], datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) is None
    True
    """
    specs = sorted({windows[e] for e in envs if e is not None and e in windows})
    if not specs or all(in_window(s, at) for s in specs):
        return None
    # Candidates: each window's next start; the first one at which all windows are open.
    candidates: list[datetime] = []
    for spec in specs:
        start, _ = parse_window(spec)
        for days in (0, 1, 2):
            day = (at + timedelta(days=days)).date()
            candidates.append(datetime.combine(day, start, tzinfo=at.tzinfo))
    for cand in sorted(c for c in candidates if c >= at):
        if all(in_window(s, cand) for s in specs):
            return cand
    raise ValidationFailed(f"the patch windows {specs} never overlap; patch these environments in separate jobs")
