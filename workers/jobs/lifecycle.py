"""The job lifecycle against AWX: launch -> poll (re-enqueued with backoff) -> collect.

Each step takes a connection and never commits; the Celery task around it
commits. Exactly-once launch (DESIGN.md): the row goes ``queued -> launching``
and that is committed *before* the AWX POST; the AWX job id is stored in the
transaction that ends ``launching``. A redelivered launch that finds the row
still ``launching`` first asks AWX for a job carrying our ``patchpilot_job_id``
before it launches again. A per-job advisory lock keeps two deliveries of the
same message from racing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core import audit
from core.db import on_commit
from core.enums import HostStatus, JobStatus
from core.errors import AwxNotFound, AwxPromptNotAllowed
from core.intent import PatchIntent
from core.redact import redact, redact_log, redact_obj
from core.settings import Settings
from workers.awx.client import AwxClient
from workers.awx.models import AwxJob, AwxJobStatus, HostSummary
from workers.jobs import dispatch, progress
from workers.jobs import repository as repo
from workers.jobs.repository import Conn

# Called by collect with (conn, job_id, stdout, failed_events, settings); the composition
# root (cli) registers the analyser here, because workers may not import kb.
CollectHook = Callable[[Conn, int, str, list[dict[str, Any]], Settings], object]
_collect_hooks: list[CollectHook] = []
_ADVISORY_NS = 0x706A  # "pj"


def register_collect_hook(hook: CollectHook) -> None:
    if hook not in _collect_hooks:
        _collect_hooks.append(hook)


@contextlib.contextmanager
def job_lock(conn: Conn, job_id: int) -> Iterator[bool]:
    """A session advisory lock on the job (released when the worker dies with its connection)."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s) AS ok", (_ADVISORY_NS, job_id)).fetchone()
    conn.commit()
    got = bool(row and row["ok"])
    try:
        yield got
    finally:
        if got:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_ADVISORY_NS, job_id))
            conn.commit()


def begin_launch(conn: Conn, job_id: int) -> dict[str, Any] | None:
    """Claim the job for launching; None when there is nothing to launch (duplicate message, canceled)."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None or row["status"] not in (JobStatus.queued, JobStatus.launching):
        return None
    if row["cancel_requested"]:
        finish(conn, job_id, JobStatus.canceled, "canceled before it reached AWX")
        return None
    return repo.mark_launching(conn, job_id)


_templates: dict[tuple[str, str | None], tuple[int, float]] = {}
TEMPLATE_TTL_S = 300.0  # a template id rarely changes; its prompts are still read on every launch


def template_id(client: AwxClient, name: str, organization: str | None) -> int:
    key = (name, organization)
    cached = _templates.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    found = client.find_job_template(name, organization).id
    _templates[key] = (found, time.monotonic() + TEMPLATE_TTL_S)
    return found


def launch_on_awx(client: AwxClient, row: dict[str, Any], settings: Settings) -> AwxJob:
    """Start the AWX job for ``row``, or find the one a crashed attempt already started."""
    tid = template_id(client, row["awx_template"], settings.awx.organization)
    if row["launch_attempts"] > 1:
        since = row["launch_started_at"] - timedelta(minutes=5)  # tolerate clock skew with AWX
        existing = client.find_launched_job(tid, var="patchpilot_job_id", value=row["id"], since=since)
        if existing is not None:
            return existing
    intent = PatchIntent.model_validate(row["intent"])
    extra_vars = intent.extra_vars() | {
        "patchpilot_job_id": row["id"],
        "patchpilot_requested_by": row["requested_by"],
    }
    try:
        return client.launch(tid, limit=",".join(row["hosts"]), extra_vars=extra_vars)
    except AwxPromptNotAllowed as exc:
        raise AwxPromptNotAllowed(
            f"job template {row['awx_template']!r} does not prompt for the limit and variables, so AWX would run "
            f"it on its whole inventory; nothing was launched. Turn on 'Prompt on launch' for Limit and "
            f"Variables in AWX (or run 'patchpilot awx bootstrap'). AWX said: {exc.message}",
            **exc.context,
        ) from exc


def finish_launch(conn: Conn, job_id: int, awx_job: AwxJob, settings: Settings) -> None:
    repo.mark_running(conn, job_id, awx_job.id, awx_job.status.value)
    audit.record(
        conn,
        actor="patchpilot",
        action="job.launched",
        object_type="job",
        object_id=job_id,
        detail={"awx_job_id": awx_job.id},
    )
    on_commit(conn, lambda: dispatch.send_poll(job_id, 0, settings.awx.poll_initial_s))


def fail(conn: Conn, job_id: int, message: str) -> None:
    """End an active job as ``error`` with a reason an operator can act on."""
    row = repo.get(conn, job_id, for_update=True)
    if row is not None and not JobStatus(row["status"]).terminal:
        finish(conn, job_id, JobStatus.error, message)


def finish(conn: Conn, job_id: int, status: JobStatus, error: str | None = None) -> None:
    error = redact(error) if error else error  # AWX explanations can quote commands
    repo.set_status(conn, job_id, status, error)
    if status.terminal:
        repo.release_hosts(conn, job_id)
        audit.record(
            conn,
            actor="patchpilot",
            action=f"job.{status.value}",
            object_type="job",
            object_id=job_id,
            detail={"error": error} if error else None,
        )


def backoff(settings: Settings, attempt: int) -> float:
    """Poll delay: 2 s doubling to 30 s by default (a 60 s job costs ~6 polls)."""
    return float(min(settings.awx.poll_initial_s * (2 ** min(attempt, 16)), settings.awx.poll_max_s))


def poll(conn: Conn, client: AwxClient, job_id: int, expected: int, settings: Settings) -> None:
    """One look at the AWX job; re-enqueue itself or hand over to collect. Never sleeps."""
    row = repo.get(conn, job_id)
    if row is None or row["status"] != JobStatus.running or row["poll_count"] != expected:
        return  # stale or duplicate poll message
    awx_job = client.job(row["awx_job_id"])
    if row["cancel_requested"] and not awx_job.terminal:
        client.cancel(awx_job.id)
    if repo.advance_poll(conn, job_id, expected, awx_job.status.value) is None:
        return
    if awx_job.terminal and _events_settled(awx_job, settings):
        repo.set_status(conn, job_id, JobStatus.collecting)
        on_commit(conn, lambda: dispatch.send_collect(job_id))
    else:
        progress.refresh(conn, client, row, awx_job)  # live progress: new AWX events, when due (ui)
        delay = backoff(settings, expected)
        on_commit(conn, lambda: dispatch.send_poll(job_id, expected + 1, delay))


def _events_settled(awx_job: AwxJob, settings: Settings) -> bool:
    if awx_job.event_processing_finished or awx_job.status in (AwxJobStatus.error, AwxJobStatus.canceled):
        return True
    finished = awx_job.finished or datetime.now(UTC)
    return datetime.now(UTC) - finished > timedelta(seconds=settings.awx.event_wait_s)


def host_status(s: HostSummary) -> HostStatus:
    if s.dark > 0:
        return HostStatus.unreachable
    if s.failures > 0:
        return HostStatus.failed
    if s.changed > 0:
        return HostStatus.changed
    if s.ok > 0:
        return HostStatus.ok
    return HostStatus.skipped


def collect(conn: Conn, client: AwxClient, job_id: int, settings: Settings) -> None:
    """Store per-host verdicts, failed events and stdout; run the analyser; set the final status."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None or row["status"] != JobStatus.collecting:
        return
    awx_job = client.job(row["awx_job_id"])
    summaries = {s.host_name: s for s in client.host_summaries(awx_job.id)}
    # Failed events only when something failed: a clean run costs one request less (<= 12 per 60 s job).
    anything_failed = awx_job.status is not AwxJobStatus.successful or any(
        s.dark or s.failures for s in summaries.values()
    )
    raw_events = [e.model_dump(mode="json") for e in client.failed_events(awx_job.id)] if anything_failed else []
    out = client.stdout(awx_job.id, keep_bytes=settings.awx.stdout_keep_bytes)
    # Secrets never leave the box: redacted before anything is stored, shown or sent to an LLM.
    events: list[dict[str, Any]] = redact_obj(raw_events)
    stdout = redact_log(out.text)
    for host in row["hosts"]:
        s = summaries.get(host)
        counts = {
            "ok": s.ok if s else 0,
            "changed": s.changed if s else 0,
            "unreachable": s.dark if s else 0,
            "failed": s.failures if s else 0,
            "skipped": s.skipped if s else 0,
            "rescued": s.rescued if s else 0,
            "ignored": s.ignored if s else 0,
        }
        repo.upsert_job_host(conn, job_id, host, host_status(s).value if s else HostStatus.skipped.value, counts)
    repo.save_stdout(conn, job_id, stdout, out.size_bytes, out.truncated)
    for hook in _collect_hooks:
        hook(conn, job_id, stdout, events, settings)
    status, error = final_status(awx_job, list(summaries.values()), row["hosts"])
    finish(conn, job_id, status, error)


def final_status(awx_job: AwxJob, summaries: list[HostSummary], requested: list[str]) -> tuple[JobStatus, str | None]:
    """Map AWX's verdict and the host summaries to ours. A run that processed zero hosts is an error."""
    explanation = awx_job.job_explanation or None
    if awx_job.status is AwxJobStatus.canceled:
        return JobStatus.canceled, explanation or "canceled in AWX"
    if awx_job.status is AwxJobStatus.error:
        return JobStatus.error, f"AWX could not run the job: {explanation or 'see the AWX job ' + str(awx_job.id)}"
    if not summaries:
        return JobStatus.error, (
            f"AWX job {awx_job.id} processed zero hosts: the limit {','.join(requested)!r} matched nothing the "
            "playbook targets. Check that the hosts exist in the AWX inventory and that the template's inventory "
            "is the right one."
        )
    missing = sorted(set(requested) - {s.host_name for s in summaries})
    note = f"never ran on: {', '.join(missing)}" if missing else None
    if any(s.dark or s.failures for s in summaries) or awx_job.status is AwxJobStatus.failed:
        return JobStatus.failed, explanation or note
    return JobStatus.succeeded, note


def cancel_on_awx(conn: Conn, client: AwxClient, job_id: int) -> None:
    row = repo.get(conn, job_id)
    if row is None or row["awx_job_id"] is None or JobStatus(row["status"]).terminal:
        return
    with contextlib.suppress(AwxNotFound):
        client.cancel(row["awx_job_id"])


def sweep(conn: Conn, settings: Settings) -> dict[str, int]:
    """Beat's periodic pass: dispatch due scheduled jobs, expire approvals, re-send lost messages."""
    due = repo.due_scheduled(conn)
    now = repo.now(conn)
    ttl = timedelta(seconds=settings.auth.approval_ttl_s)
    for row in due:
        if row["needs_approval"] and row["approved_at"] is not None and row["approved_at"] + ttl < now:
            # An approval is for a moment, not forever: a job that became due after its approval aged out
            # does not run on it.
            finish(conn, row["id"], JobStatus.canceled, "its approval expired before it was due; submit it again")
            continue
        repo.set_status(conn, row["id"], JobStatus.queued)
        on_commit(conn, lambda j=row["id"]: dispatch.send_launch(j))  # type: ignore[misc]
    expired = repo.expired_approvals(conn)
    for job_id in expired:
        finish(conn, job_id, JobStatus.canceled, "nobody approved it in time; submit the job again")
    stale = repo.stale_jobs(
        conn,
        queued_after_s=max(30.0, settings.awx.poll_max_s),
        running_after_s=3 * settings.awx.poll_max_s + settings.awx.timeout_s,
    )
    for s in stale:
        repo.touch(conn, s["id"])
        on_commit(conn, _resend(s))
    return {"due": len(due), "expired": len(expired), "resent": len(stale)}


def _resend(stale: dict[str, Any]) -> Callable[[], None]:
    job_id, status = stale["id"], stale["status"]
    if status in (JobStatus.queued, JobStatus.launching):
        return lambda: dispatch.send_launch(job_id)
    if status == JobStatus.running:
        return lambda: dispatch.send_poll(job_id, stale["poll_count"])
    return lambda: dispatch.send_collect(job_id)
