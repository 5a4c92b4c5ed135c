"""A job's life in the emulator, computed lazily from wall-clock time (no background threads).

Timeline for a job of duration D launched at t0: pending [t0, t0+0.1D),
waiting [t0+0.1D, t0+0.2D), running until t0+D, then terminal. Each event
happens at a point of the running window and is *saved* ``event_lag_s`` later, so
the last events, the host summaries and ``host_status_counts`` appear after the
terminal status, and ``event_processing_finished`` turns true when the last one is saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workers.emulator.render import HostStats, Rendered, host_status_counts

PENDING_SHARE, WAITING_SHARE = 0.1, 0.2
HANG_SHARE = 0.5  # a hanging job emits its events in the first half of its nominal run


@dataclass
class Job:
    id: int
    template: dict[str, Any]
    limit: str
    extra_vars: dict[str, Any]
    launch_type: str
    created: float
    duration: float
    lag: float
    cancel_delay: float
    rendered: Rendered
    event_id_base: int
    summary_id_base: int
    ignored_fields: dict[str, Any] = field(default_factory=dict)
    cancel_requested: float | None = None
    canceled_at: float | None = None
    ancestor: int | None = None
    emit_times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        start, n = self.started_at, len(self.rendered.events)
        span = self.duration - (start - self.created)
        if self.rendered.hung:
            span *= HANG_SHARE
        self.emit_times = [start + span * (i + 1) / n for i in range(n)] if n else []

    # --- timeline ------------------------------------------------------

    @property
    def started_at(self) -> float:
        return self.created + WAITING_SHARE * self.duration

    @property
    def natural_end(self) -> float | None:
        return None if self.rendered.hung else self.created + self.duration

    @property
    def end(self) -> float | None:
        ends = [t for t in (self.natural_end, self.canceled_at) if t is not None]
        return min(ends) if ends else None

    def was_canceled(self) -> bool:
        return self.canceled_at is not None and (self.natural_end is None or self.canceled_at < self.natural_end)

    def status(self, now: float) -> str:
        end = self.end
        if end is not None and now >= end:
            if self.was_canceled():
                return "canceled"
            return "failed" if self.rendered.failed else "successful"
        if now < self.created + PENDING_SHARE * self.duration:
            return "pending"
        if now < self.started_at:
            return "waiting"
        return "running"

    def request_cancel(self, now: float) -> bool:
        """False when the job is already finished (AWX answers 405)."""
        if self.status(now) not in ("new", "pending", "waiting", "running"):
            return False
        if self.cancel_requested is None:
            self.cancel_requested = now
            delay = self.cancel_delay if now >= self.started_at else 0.0
            self.canceled_at = now + delay
        return True

    def saved_events(self, now: float) -> list[dict[str, Any]]:
        """Events AWX has stored by ``now``: happened before the job ended, and saved after the lag."""
        end = self.end
        return [
            ev
            for ev, at in zip(self.rendered.events, self.emit_times, strict=True)
            if at + self.lag <= now and (end is None or at <= end)
        ]

    def stats_saved(self, now: float) -> bool:
        return self.rendered.reached_stats and not self.was_canceled() and now >= (self.emit_times[-1] + self.lag)

    def event_processing_finished(self, now: float) -> bool:
        end = self.end
        return end is not None and now >= end + self.lag

    def stats(self, now: float) -> dict[str, HostStats] | None:
        return self.rendered.stats if self.stats_saved(now) else None

    # --- views ---------------------------------------------------------

    def timing(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        started = (
            self.started_at
            if now >= self.started_at and not (self.canceled_at is not None and self.canceled_at <= self.started_at)
            else None
        )
        end = self.end if status in ("successful", "failed", "canceled") else None
        elapsed = 0.0
        if started is not None:
            elapsed = round((end if end is not None else now) - started, 3)
        counts = None
        stats = self.stats(now)
        if stats is not None:
            counts = host_status_counts(stats)
        return {
            "status": status,
            "failed": status in ("failed", "error", "canceled"),
            "started": started,
            "finished": end,
            "elapsed": max(0.0, elapsed),
            "host_status_counts": counts,
            "event_processing_finished": self.event_processing_finished(now),
            "canceled_on": self.cancel_requested,
        }

    @property
    def extra_vars_text(self) -> str:
        return json.dumps(self.extra_vars)
