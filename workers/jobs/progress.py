"""Live progress of a running job: AWX job events read incrementally while it is polled.

Each refresh asks AWX for one page of the events after the last counter seen
(``counter__gt``), folds them into per-host and per-task status and a redacted log
tail, and stores the result in ``ops.job_progress`` in the poll's transaction. A
refresh is skipped when the previous one is younger than ``REFRESH_EVERY_S`` or the
job is already terminal (collect then stores the verdicts), so a 60-s job costs a
few extra AWX requests, not one per poll: see :func:`budget` for the figure.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from core.enums import JobStatus
from core.errors import AwxError
from core.redact import redact_log
from core.sql import Queries
from workers.awx.client import AwxClient
from workers.awx.models import AwxJob, JobEvent
from workers.jobs.models import JobRow
from workers.jobs.repository import Conn

Q = Queries(__file__, "progress.sql")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
PAGE = 200  # one AWX page (its maximum) per refresh: a refresh is one request
REFRESH_EVERY_S = 10.0
LOG_TAIL_LINES = 60
LOG_TAIL_BYTES = 16 * 1024
TARGET_REQUESTS_PER_JOB = 15  # the 1,000-job target (issue 12): AWX requests per 60-s job, live progress on


class HostState(StrEnum):
    pending = "pending"
    running = "running"
    ok = "ok"
    changed = "changed"
    failed = "failed"
    unreachable = "unreachable"
    skipped = "skipped"


_STICKY = (HostState.failed, HostState.unreachable)


class HostProgress(BaseModel):
    state: HostState = HostState.pending
    task: str = ""
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


class TaskProgress(BaseModel):
    name: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


class JobProgress(BaseModel):
    """What the job has done so far, as AWX's events tell it."""

    last_counter: int = 0
    events: int = 0
    current_task: str | None = None
    hosts: dict[str, HostProgress] = Field(default_factory=dict)
    tasks: list[TaskProgress] = Field(default_factory=list)
    log_tail: str = ""
    finished: bool = False
    updated_at: datetime | None = None


class ProgressView(JobProgress):
    """The API's answer: progress plus the elapsed time by the database clock."""

    job_id: int
    status: str
    started_at: datetime | None = None
    elapsed_s: int | None = None


_RESULTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
    "runner_item_on_failed": None,  # the task's own runner_on_failed follows
}


def _task(progress: JobProgress, name: str) -> TaskProgress:
    for t in progress.tasks:
        if t.name == name:
            return t
    task = TaskProgress(name=name)
    progress.tasks.append(task)
    return task


def _tail(log: str, new: list[str]) -> str:
    lines = (log.splitlines() if log else []) + [line for chunk in new for line in chunk.splitlines()]
    text = "\n".join(lines[-LOG_TAIL_LINES:])
    return text[-LOG_TAIL_BYTES:]


def fold(progress: JobProgress, events: list[JobEvent], hosts: list[str] | None = None) -> JobProgress:
    """``progress`` advanced by ``events`` (counter order): pure, so it is tested without AWX.

    >>> ev = lambda n, kind, host="", task="", **data: JobEvent(id=n, counter=n, event=kind, host_name=host,
    ...     task=task, event_data=data, stdout=f"{kind} {host}")
    >>> p = fold(JobProgress(), [ev(1, "playbook_on_task_start", task="Apply updates"),
    ...     ev(2, "runner_on_start", "a", "Apply updates"), ev(3, "runner_on_ok", "b", "Apply updates",
    ...     res={"changed": True})], hosts=["a", "b", "c"])
    >>> {h: p.hosts[h].state.value for h in "abc"}, p.current_task, p.last_counter
    ({'a': 'running', 'b': 'changed', 'c': 'pending'}, 'Apply updates', 3)
    """
    out = progress.model_copy(deep=True)
    for h in hosts or []:
        out.hosts.setdefault(h, HostProgress())
    chunks = []
    for e in events:
        out.last_counter = max(out.last_counter, e.counter)
        out.events += 1
        if e.stdout:
            chunks.append(_ANSI.sub("", e.stdout))
        task_name = e.task or str(e.event_data.get("task", ""))
        if e.event == "playbook_on_task_start":
            out.current_task = task_name or out.current_task
            _task(out, task_name or "(unnamed task)")
        elif e.event == "playbook_on_stats":
            out.finished = True
            out.current_task = None
        if not e.host_name:
            continue
        host = out.hosts.setdefault(e.host_name, HostProgress())
        if e.event == "runner_on_start":
            host.task = task_name
            if host.state not in _STICKY:
                host.state = HostState.running
            continue
        kind = _RESULTS.get(e.event)
        if kind is None:
            continue
        raw = e.event_data.get("res")
        res: dict[str, Any] = raw if isinstance(raw, dict) else {}
        ignored = bool(e.event_data.get("ignore_errors"))
        if kind == "failed" and ignored:
            kind = "ok"
        if kind == "ok" and (e.changed or bool(res.get("changed"))):
            kind = "changed"
        task = _task(out, task_name or "(unnamed task)")
        setattr(task, kind, getattr(task, kind) + 1)
        setattr(host, kind, getattr(host, kind) + 1)
        host.task = task_name
        if host.state in _STICKY:
            continue
        if kind in ("failed", "unreachable"):
            host.state = HostState(kind)
        elif kind == "changed" or host.state is HostState.changed:
            host.state = HostState.changed
        elif kind == "ok" or host.state is HostState.ok:
            host.state = HostState.ok
        else:
            host.state = HostState.skipped if host.state is HostState.pending else host.state
    if chunks:
        out.log_tail = _tail(out.log_tail, [redact_log(c) for c in chunks])
    return out


# --- storage ----------------------------------------------------------------------------------


class StoredProgress(BaseModel):
    """A ``get_progress`` row: the job's stored progress (every column None before its first refresh), the job's
    status and start, and the database clock."""

    job_id: int | None = None
    last_counter: int | None = None
    events: int | None = None
    current_task: str | None = None
    hosts: dict[str, HostProgress] | None = None
    tasks: list[TaskProgress] | None = None
    log_tail: str | None = None
    finished: bool | None = None
    updated_at: datetime | None = None
    status: JobStatus
    started_at: datetime | None = None
    now: datetime

    def progress(self) -> JobProgress:
        if self.job_id is None:
            return JobProgress()
        stored = {k: getattr(self, k) for k in JobProgress.model_fields if getattr(self, k) is not None}
        return JobProgress.model_validate(stored)


def _stored(conn: Conn, job_id: int) -> StoredProgress | None:
    with conn.cursor(row_factory=class_row(StoredProgress)) as cur:
        return cur.execute(Q.get_progress, {"job_id": job_id}).fetchone()


def read(conn: Conn, job_id: int) -> ProgressView | None:
    """The stored progress of a job with its elapsed time; None when the job does not exist."""
    row = _stored(conn, job_id)
    if row is None:
        return None
    started = row.started_at
    elapsed = int((row.now - started).total_seconds()) if started is not None else None
    return ProgressView(
        **row.progress().model_dump(), job_id=job_id, status=row.status.value, started_at=started, elapsed_s=elapsed
    )


def save(conn: Conn, job_id: int, progress: JobProgress) -> None:
    data = progress.model_dump(mode="json")
    conn.execute(
        Q.save_progress,
        {
            "job_id": job_id,
            "last_counter": progress.last_counter,
            "events": progress.events,
            "current_task": progress.current_task,
            "hosts": Jsonb(data["hosts"]),
            "tasks": Jsonb(data["tasks"]),
            "log_tail": progress.log_tail,
            "finished": progress.finished,
        },
    )


def due(progress: JobProgress, now: datetime, every_s: float = REFRESH_EVERY_S) -> bool:
    """Whether a refresh is due: never refreshed, or the last one older than ``every_s``."""
    return progress.updated_at is None or (now - progress.updated_at).total_seconds() >= every_s


def refresh(conn: Conn, client: AwxClient, row: JobRow, awx_job: AwxJob, *, every_s: float = REFRESH_EVERY_S) -> bool:
    """Called by ``lifecycle.poll`` for a running job: read new AWX events (one page) when due, store them.

    Progress is best-effort: an AWX error skips this refresh (the poll goes on, the next one retries).
    Returns whether AWX was asked.
    """
    if awx_job.terminal:
        return False
    stored = _stored(conn, row.id)
    if stored is None:
        return False
    current = stored.progress()
    if not due(current, stored.now, every_s):
        return False
    try:
        events = list(itertools.islice(client.events(awx_job.id, counter__gt=current.last_counter), PAGE))
    except AwxError:
        return True
    save(conn, row.id, fold(current, events, hosts=row.hosts))
    return True


def budget(awx_requests_per_job: float) -> dict[str, Any]:
    """The bench figure: AWX requests per 60-s job with live progress on, and its ratio to the target.

    >>> budget(13.5)["ratio_to_target"]
    0.9
    """
    return {
        "awx_requests_per_60s_job_with_live_progress": awx_requests_per_job,
        "target_per_job": TARGET_REQUESTS_PER_JOB,
        "ratio_to_target": round(awx_requests_per_job / TARGET_REQUESTS_PER_JOB, 2),
        "within_target": awx_requests_per_job <= TARGET_REQUESTS_PER_JOB,
        "refresh_every_s": REFRESH_EVERY_S,
    }
