"""A job's life in the emulator, computed lazily from wall-clock time (no background threads).

Timeline for a job of duration D that may start at b (its launch, or the end of the job of
the same template it waits for when ``allow_simultaneous`` is false): pending [launch,
b+0.1D), waiting [b+0.1D, b+0.2D), running until b+D, then terminal. Each event happens
at a point of the running window and is *saved* ``event_lag_s`` later, so the last
events, the host summaries and ``host_status_counts`` appear after the terminal status,
and ``event_processing_finished`` turns true when the last one is saved.

Other endings, each with AWX's ``job_explanation``: canceled (cancel request), failed
by the template's ``timeout`` ("Job terminated due to timeout"), error before any event
(the scenario's ``job_error``, e.g. a failed project update).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workers.emulator.display import HostStats, host_status_counts
from workers.emulator.render import Rendered

PENDING_SHARE, WAITING_SHARE = 0.1, 0.2
HANG_SHARE = 0.5  # a hanging job emits its events in the first half of its nominal run
ACTIVE = frozenset({"new", "pending", "waiting", "running"})
TIMEOUT_EXPLANATION = "Job terminated due to timeout"


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
    blocked_by: Job | None = None
    error: str | None = None  # ends 'error' with this explanation once it would start
    timeout: float = 0.0  # the template's timeout (s); 0 = none
    slice_number: int = 0
    slice_count: int = 1
    workflow: int | None = None  # the workflow job of a sliced launch

    # --- timeline ------------------------------------------------------

    @property
    def base(self) -> float | None:
        """When the job may start its pending/waiting/running phases; None while it waits for a job that never ends."""
        if self.blocked_by is None:
            return self.created
        end = self.blocked_by.end
        return None if end is None else max(self.created, end)

    @property
    def started_at(self) -> float | None:
        base = self.base
        return None if base is None else base + WAITING_SHARE * self.duration

    @property
    def emit_times(self) -> list[float]:
        start, n = self.started_at, len(self.rendered.events)
        if start is None or not n or self.error:
            return []
        span = self.duration * (1 - WAITING_SHARE)
        if self.rendered.hung:
            span *= HANG_SHARE
        return [start + span * (i + 1) / n for i in range(n)]

    @property
    def natural_end(self) -> float | None:
        base, start = self.base, self.started_at
        if base is None or start is None:
            return None
        if self.error:
            return start
        return None if self.rendered.hung else base + self.duration

    @property
    def timeout_at(self) -> float | None:
        start = self.started_at
        return start + self.timeout if self.timeout and start is not None and not self.error else None

    @property
    def end(self) -> float | None:
        ends = [t for t in (self.natural_end, self.canceled_at, self.timeout_at) if t is not None]
        return min(ends) if ends else None

    def ending(self) -> str | None:
        """Which ending happened first: 'canceled', 'timeout', 'error', 'natural' (None while it runs on)."""
        end = self.end
        if end is None:
            return None
        if self.canceled_at is not None and self.canceled_at == end:
            return "canceled"
        if self.timeout_at is not None and self.timeout_at == end:
            return "timeout"
        return "error" if self.error else "natural"

    def was_canceled(self) -> bool:
        return self.ending() == "canceled"

    def status(self, now: float) -> str:
        end = self.end
        if end is not None and now >= end:
            ending = self.ending()
            if ending == "canceled":
                return "canceled"
            if ending == "error":
                return "error"
            if ending == "timeout":
                return "failed"
            return "failed" if self.rendered.failed else "successful"
        base = self.base
        if base is None or now < base + PENDING_SHARE * self.duration:
            return "pending"
        start = self.started_at
        if start is None or now < start:
            return "waiting"
        return "running"

    def explanation(self, now: float) -> str:
        """AWX's ``job_explanation`` for the job as it stands at ``now``."""
        status = self.status(now)
        if status == "pending" and self.blocked_by is not None and self.blocked_by.status(now) in ACTIVE:
            return f"waiting for job-{self.blocked_by.id} to finish"
        if status == "error":
            return self.error or ""
        if status == "failed" and self.ending() == "timeout":
            return TIMEOUT_EXPLANATION
        return ""

    def request_cancel(self, now: float) -> bool:
        """False when the job is already finished (AWX answers 405)."""
        if self.status(now) not in ACTIVE:
            return False
        if self.cancel_requested is None:
            self.cancel_requested = now
            start = self.started_at
            delay = self.cancel_delay if start is not None and now >= start else 0.0
            self.canceled_at = now + delay
        return True

    def saved_events(self, now: float) -> list[dict[str, Any]]:
        """Events AWX has stored by ``now``: happened before the job ended, and saved after the lag."""
        end = self.end
        return [
            ev
            for ev, at in zip(self.rendered.events, self.emit_times, strict=False)
            if at + self.lag <= now and (end is None or at <= end)
        ]

    def stats_saved(self, now: float) -> bool:
        times = self.emit_times
        return bool(
            self.rendered.reached_stats and self.ending() == "natural" and times and now >= times[-1] + self.lag
        )

    def event_processing_finished(self, now: float) -> bool:
        end = self.end
        return end is not None and now >= end + self.lag

    def stats(self, now: float) -> dict[str, HostStats] | None:
        return self.rendered.stats if self.stats_saved(now) else None

    # --- views ---------------------------------------------------------

    def timing(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        start = self.started_at
        started = (
            start
            if start is not None
            and now >= start
            and not (self.canceled_at is not None and self.canceled_at <= start)
            and not self.error
            else None
        )
        end = self.end if status not in ACTIVE else None
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
            "job_explanation": self.explanation(now),
        }

    @property
    def extra_vars_text(self) -> str:
        return json.dumps(self.extra_vars)


@dataclass
class WorkflowJob:
    """The workflow job a sliced template's launch answers with: one slice job per node."""

    id: int
    template: dict[str, Any]
    created: float
    slices: list[Job]
    node_id_base: int
    cancel_requested: float | None = None

    def status(self, now: float) -> str:
        states = [j.status(now) for j in self.slices]
        if any(s in ACTIVE for s in states):
            return "running" if any(s != "pending" for s in states) else "pending"
        if self.cancel_requested is not None and "canceled" in states:
            return "canceled"
        return "successful" if all(s == "successful" for s in states) else "failed"

    @property
    def end(self) -> float | None:
        ends = [j.end for j in self.slices]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)

    def request_cancel(self, now: float) -> bool:
        if self.status(now) not in ACTIVE:
            return False
        self.cancel_requested = self.cancel_requested or now
        for j in self.slices:
            j.request_cancel(now)
        return True
