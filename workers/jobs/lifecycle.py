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
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core import audit
from core.db import on_commit
from core.enums import HostStatus, JobStatus
from core.errors import AwxNotFound, AwxPromptNotAllowed, PatchpilotError
from core.redact import redact, redact_log, redact_obj
from core.settings import Settings
from workers.awx.client import AwxClient
from workers.awx.models import AwxJob, AwxJobStatus, HostSummary, JobEvent, JobKind
from workers.inventory.service import untargetable
from workers.jobs import dispatch, progress
from workers.jobs import repository as repo
from workers.jobs.models import HostCounts, JobRow, StaleJob
from workers.jobs.repository import Conn
from workers.jobs.service import template_for

_ADVISORY_NS = 0x706A  # "pj"
WAITING = frozenset({AwxJobStatus.new, AwxJobStatus.pending, AwxJobStatus.waiting})


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


def begin_launch(conn: Conn, job_id: int, settings: Settings) -> JobRow | None:
    """Claim the job for launching; None when there is nothing to launch (duplicate message, canceled,
    or hosts that can no longer be targeted)."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None or row.status not in (JobStatus.queued, JobStatus.launching):
        return None
    if row.cancel_requested:
        finish(conn, job_id, JobStatus.canceled, "canceled before it reached AWX")
        return None
    if waited(row) and (why := _untargetable(conn, settings, row.hosts)):
        refuse_launch(conn, job_id, row.hosts, why)
        return None
    return repo.mark_launching(conn, job_id)


def waited(row: JobRow) -> bool:
    """A first launch (a redelivered one, ``launching``, passed the check before its AWX POST) of a job that waited
    (scheduled, or held for approval): its hosts were checked at submission, which may be long ago. A job queued at
    once was checked moments before; if AWX changed since, AWX skips the host and collect marks it ``not_run``."""
    return row.status is JobStatus.queued and (row.needs_approval or row.not_before is not None)


def _untargetable(conn: Conn, settings: Settings, hosts: list[str]) -> str | None:
    """Why the hosts cannot be targeted now, against the stored inventory, or None."""
    try:
        why = untargetable(conn, settings, hosts)
    except PatchpilotError as exc:  # e.g. the AWX inventory was never synced: do not launch blind
        return f"its hosts could not be checked against the inventory: {exc.message}"
    return f"{why}. The inventory changed while the job waited" if why else None


def refuse_launch(conn: Conn, job_id: int, hosts: list[str], why: str) -> None:
    """End a job that has not reached AWX as ``failed``: every host ``not_run``, the reason kept."""
    for host in hosts:
        repo.upsert_job_host(conn, job_id, host, HostStatus.not_run, HostCounts())
    finish(
        conn,
        job_id,
        JobStatus.failed,
        f"not launched: {why}; nothing ran. Submit the job again without those hosts, or fix them in AWX and "
        "run 'patchpilot inventory sync' first",
    )


_templates: dict[tuple[str, str | None], tuple[int, float]] = {}
ANALYSIS_RESEND_S = 300.0  # an analysis pending this long lost its message (acks_late keeps a running one)
TEMPLATE_TTL_S = 300.0  # a template id rarely changes; its prompts are still read on every launch


def template_id(client: AwxClient, name: str, organization: str | None) -> int:
    key = (name, organization)
    cached = _templates.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    found = client.find_job_template(name, organization).id
    _templates[key] = (found, time.monotonic() + TEMPLATE_TTL_S)
    return found


def launch_on_awx(client: AwxClient, row: JobRow, settings: Settings) -> AwxJob:
    """Start the AWX job for ``row``, or find the one a crashed attempt already started."""
    template = row.awx_template or template_for(settings, row.intent.action)  # always set by submit
    tid = template_id(client, template, settings.awx.organization)
    if row.launch_attempts > 1 and row.launch_started_at is not None:
        since = row.launch_started_at - timedelta(minutes=5)  # tolerate clock skew with AWX
        existing = client.find_launched_job(tid, var="patchpilot_job_id", value=row.id, since=since)
        if existing is not None:
            return existing
    try:
        return client.launch(tid, limit=row.hosts, extra_vars=launch_vars(row, settings))
    except AwxPromptNotAllowed as exc:
        raise AwxPromptNotAllowed(
            f"job template {template!r} does not prompt for the limit and variables, so AWX would run "
            f"it on its whole inventory; nothing was launched. Turn on 'Prompt on launch' for Limit and "
            f"Variables in AWX (or run 'patchpilot awx bootstrap'). AWX said: {exc.message}",
            **exc.context,
        ) from exc


def launch_vars(row: JobRow, settings: Settings) -> dict[str, Any]:
    """Every variable of the playbooks' extra_vars contract (playbooks/README.md), on every launch."""
    return row.intent.extra_vars() | {
        "patchpilot_job_id": row.id,
        "patchpilot_requested_by": row.requested_by,
        "patchpilot_min_free_mb": settings.jobs.min_free_mb,
        "patchpilot_services": list(settings.jobs.services),
    }


def finish_launch(conn: Conn, job_id: int, awx_job: AwxJob, settings: Settings) -> None:
    repo.mark_running(conn, job_id, awx_job.id, awx_job.status.value, awx_job.type)
    audit.record(
        conn,
        actor="patchpilot",
        action="job.launched",
        object_type="job",
        object_id=job_id,
        detail={"awx_job_id": awx_job.id, "awx_job_type": awx_job.type},
    )
    on_commit(conn, lambda: dispatch.send_poll(job_id, 0, settings.awx.poll_initial_s))


def fail(conn: Conn, job_id: int, message: str) -> None:
    """End an active job as ``error`` with a reason an operator can act on."""
    row = repo.get(conn, job_id, for_update=True)
    if row is not None and not row.status.terminal:
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
    if row is None or row.status is not JobStatus.running or row.poll_count != expected:
        return  # stale or duplicate poll message
    if row.awx_job_id is None:
        return  # running always carries its AWX job id (mark_running); a row without one has nothing to poll
    kind: JobKind = row.awx_job_type
    awx_job = client.job(row.awx_job_id, kind)
    if not row.cancel_requested and awx_job.status in WAITING:
        _bound_pending(conn, row, awx_job, settings)
        row = repo.get(conn, job_id) or row
    if row.cancel_requested and not awx_job.terminal:
        client.cancel(awx_job.id, kind)
    if repo.advance_poll(conn, job_id, expected, awx_job.status.value) is None:
        return
    if awx_job.terminal and _events_settled(client, awx_job, settings):
        repo.set_status(conn, job_id, JobStatus.collecting)
        on_commit(conn, lambda: dispatch.send_collect(job_id))
    else:
        progress.refresh(conn, client, row, awx_job)  # live progress: new AWX events, when due (ui)
        delay = backoff(settings, expected)
        on_commit(conn, lambda: dispatch.send_poll(job_id, expected + 1, delay))


def _bound_pending(conn: Conn, row: JobRow, awx_job: AwxJob, settings: Settings) -> None:
    """A job AWX holds pending past ``awx.max_pending_s`` is canceled: it could start after its window.

    AWX says why it waits in ``job_explanation`` (e.g. "waiting for job-12 to finish" when the
    template does not allow simultaneous runs); that reason is kept as the job's error.
    """
    waited = (repo.now(conn) - (row.started_at or repo.now(conn))).total_seconds()
    if waited <= settings.awx.max_pending_s:
        return
    why = awx_job.job_explanation or "no reason given"
    repo.note_error(
        conn,
        row.id,
        f"AWX kept {awx_job.type} {awx_job.id} {awx_job.status.value} for {waited:.0f} s "
        f"(more than {settings.awx.max_pending_s:.0f} s; AWX said: {why}); it was canceled before it started",
    )
    repo.request_cancel(conn, row.id)


def _events_settled(client: AwxClient, awx_job: AwxJob, settings: Settings) -> bool:
    """Whether collect may read the job's host summaries and events now.

    A workflow job (sliced template) has no events of its own: its slices are jobs, finished before it ends but
    with their events (and host summaries) saved after, like any job's; collect waits for every slice.
    """
    if awx_job.type == "workflow_job":
        return all(_settled(client.job(i), settings) for i in _jobs_of(client, awx_job))
    return _settled(awx_job, settings)


def _settled(awx_job: AwxJob, settings: Settings) -> bool:
    if awx_job.event_processing_finished or awx_job.status in (AwxJobStatus.error, AwxJobStatus.canceled):
        return True
    finished = awx_job.finished or datetime.now(UTC)
    return datetime.now(UTC) - finished > timedelta(seconds=settings.awx.event_wait_s)


def host_status(s: HostSummary | None) -> HostStatus:
    """One host's verdict from its AWX summary; no summary means AWX never ran it."""
    if s is None:
        return HostStatus.not_run
    if s.dark > 0:
        return HostStatus.unreachable
    if s.failures > 0:
        return HostStatus.failed
    if s.changed > 0:
        return HostStatus.changed
    if s.ok > 0:
        return HostStatus.ok
    return HostStatus.skipped


def _jobs_of(client: AwxClient, awx_job: AwxJob) -> list[int]:
    """The AWX jobs that ran the hosts: the job itself, or the slices of a workflow job."""
    return client.slice_jobs(awx_job.id) if awx_job.type == "workflow_job" else [awx_job.id]


def collect(conn: Conn, client: AwxClient, job_id: int, settings: Settings) -> None:
    """Store per-host verdicts, failed events and stdout and set the final status; analysis runs after the commit."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None or row.status is not JobStatus.collecting or row.awx_job_id is None:
        return
    awx_job = client.job(row.awx_job_id, row.awx_job_type)
    ids = _jobs_of(client, awx_job)
    summaries = {s.host_name: s for i in ids for s in client.host_summaries(i)}
    # Failed events only when something failed: a clean run costs one request less (<= 12 per 60 s job).
    anything_failed = awx_job.status is not AwxJobStatus.successful or any(
        s.dark or s.failures for s in summaries.values()
    )
    found: list[JobEvent] = [e for i in ids for e in client.failed_events(i)] if anything_failed else []
    outs = [client.stdout(i, keep_bytes=settings.awx.stdout_keep_bytes) for i in ids]
    # Secrets never leave the box: redacted before anything is stored, shown or sent to an LLM.
    events: list[dict[str, Any]] = redact_obj([e.model_dump(mode="json") for e in found])
    stdout = redact_log("".join(o.text for o in outs))
    for host in row.hosts:
        s = summaries.get(host)
        counts = HostCounts(
            ok=s.ok, changed=s.changed, unreachable=s.dark, failed=s.failures, skipped=s.skipped, rescued=s.rescued,
            ignored=s.ignored,
        ) if s else HostCounts()  # fmt: skip
        repo.upsert_job_host(conn, job_id, host, host_status(s), counts)
    size = sum(o.size_bytes for o in outs)
    repo.save_stdout(conn, job_id, stdout, size, any(o.truncated for o in outs), events)
    repo.analysis_pending(conn, job_id)  # readers tell "still analysing" from "no details" (ui.job_view)
    status, error = final_status(awx_job, list(summaries.values()), row.hosts, unmatched_warnings(stdout))
    if status is JobStatus.canceled and row.cancel_requested and row.error:
        error = row.error  # our own reason for canceling (e.g. held pending too long)
    finish(conn, job_id, status, error)
    on_commit(conn, lambda: dispatch.send_analyze(job_id))


_UNMATCHED = re.compile(r"\[WARNING\]: Could not match supplied host pattern, ignoring: \S+")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def unmatched_warnings(stdout: str) -> list[str]:
    """Ansible's own word for a limit term that matched no host AWX gave it (disabled, or not in its inventory).

    >>> unmatched_warnings("\x1b[1;35m[WARNING]: Could not match supplied host pattern, ignoring: web-02\x1b[0m\\r\\n")
    ['[WARNING]: Could not match supplied host pattern, ignoring: web-02']
    """
    return list(dict.fromkeys(_UNMATCHED.findall(_ANSI.sub("", stdout))))


def final_status(
    awx_job: AwxJob, summaries: list[HostSummary], requested: list[str], warnings: list[str] | None = None
) -> tuple[JobStatus, str | None]:
    """Map AWX's verdict and the host summaries to ours, keeping AWX's ``job_explanation``.

    A requested host with no summary never ran (disabled in AWX, or missing from its
    inventory): the job is ``failed``, never ``succeeded``, says which hosts, and keeps what
    AWX's output said about them (``warnings``: ansible's "Could not match supplied host pattern").
    """
    explanation = awx_job.job_explanation or None
    told = [t for t in (explanation, *(warnings or [])) if t]
    said = f"AWX said: {'; '.join(told)}" if told else None
    if awx_job.status is AwxJobStatus.canceled:
        return JobStatus.canceled, explanation or "canceled in AWX"
    if awx_job.status is AwxJobStatus.error:
        return JobStatus.error, f"AWX could not run the job: {explanation or 'see the AWX job ' + str(awx_job.id)}"
    missing = sorted(set(requested) - {s.host_name for s in summaries})
    if not summaries:
        where = said or (
            f"the limit {','.join(requested)!r} matched nothing the playbook targets. Check that the hosts exist "
            "and are enabled in the AWX inventory and that the template's inventory is the right one"
        )
        return JobStatus.failed, f"AWX {awx_job.type} {awx_job.id} has no host results: {where}"
    notes = [n for n in (said, f"never ran on: {', '.join(missing)} (disabled or not in the AWX inventory)"
                         if missing else None) if n]  # fmt: skip
    note = "; ".join(notes) or None
    if missing or any(s.dark or s.failures for s in summaries) or awx_job.status is AwxJobStatus.failed:
        return JobStatus.failed, note
    return JobStatus.succeeded, note


def cancel_on_awx(conn: Conn, client: AwxClient, job_id: int) -> None:
    row = repo.get(conn, job_id)
    if row is None or row.awx_job_id is None or row.status.terminal:
        return
    with contextlib.suppress(AwxNotFound):
        client.cancel(row.awx_job_id, row.awx_job_type)


def sweep(conn: Conn, settings: Settings) -> dict[str, int]:
    """Beat's periodic pass: dispatch due scheduled jobs, expire approvals, re-send lost messages."""
    due = repo.due_scheduled(conn)
    now = repo.now(conn)
    ttl = timedelta(seconds=settings.auth.approval_ttl_s)
    for row in due:
        if row.needs_approval and row.approved_at is not None and row.approved_at + ttl < now:
            # An approval is for a moment, not forever: a job that became due after its approval aged out
            # does not run on it.
            finish(conn, row.id, JobStatus.canceled, "its approval expired before it was due; submit it again")
            continue
        repo.set_status(conn, row.id, JobStatus.queued)
        on_commit(conn, lambda j=row.id: dispatch.send_launch(j))  # type: ignore[misc]
    expired = repo.expired_approvals(conn)
    for job_id in expired:
        finish(conn, job_id, JobStatus.canceled, "nobody approved it in time; submit the job again")
    stale = repo.stale_jobs(
        conn,
        queued_after_s=max(30.0, settings.awx.poll_max_s),
        running_after_s=3 * settings.awx.poll_max_s + settings.awx.timeout_s,
    )
    for s in stale:
        repo.touch(conn, s.id)
        on_commit(conn, _resend(s))
    analyses = repo.stale_analyses(conn, after_s=ANALYSIS_RESEND_S)
    for job_id in analyses:
        repo.touch(conn, job_id)
        on_commit(conn, lambda j=job_id: dispatch.send_analyze(j))  # type: ignore[misc]
    return {"due": len(due), "expired": len(expired), "resent": len(stale) + len(analyses)}


def _resend(stale: StaleJob) -> Callable[[], None]:
    job_id, status = stale.id, stale.status
    if status in (JobStatus.queued, JobStatus.launching):
        return lambda: dispatch.send_launch(job_id)
    if status == JobStatus.running:
        return lambda: dispatch.send_poll(job_id, stale.poll_count)
    return lambda: dispatch.send_collect(job_id)
