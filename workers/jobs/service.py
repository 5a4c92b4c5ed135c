"""Jobs: submission, approval, cancellation and reads. Takes a connection; never commits.

The caller commits (``core.db.commit``), which then sends the Celery message
registered here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from core import audit
from core.enums import RUNNABLE_ACTIONS, Action, JobStatus, check_transition
from core.errors import HostBusy, NotFound, PermissionDenied, ValidationFailed
from core.intent import PatchIntent
from core.settings import Settings
from core.windows import next_window_start
from workers.jobs import dispatch
from workers.jobs import repository as repo
from workers.jobs.models import Job, JobPage, JobRow, JobStdout
from workers.jobs.repository import Conn


class InventoryView(Protocol):
    """What the jobs service needs of an inventory (core.inventory.Inventory provides it)."""

    def unknown(self, names: Any) -> list[str]: ...

    def critical(self, hosts: Any) -> list[str]: ...

    def disabled(self, names: Any) -> list[str]: ...

    def environment_of(self, host: str) -> str | None: ...


def template_for(settings: Settings, action: Action) -> str:
    return {
        Action.patch: settings.awx.template_patch,
        Action.precheck: settings.awx.template_precheck,
        Action.reboot: settings.awx.template_reboot,
    }[action]


def effective_start(intent: PatchIntent, settings: Settings, inventory: InventoryView, now: datetime) -> datetime:
    """When the job may start: what the user asked, moved to the next patch window if outside it."""
    wanted = max(intent.not_before or now, now)
    envs = {inventory.environment_of(h) for h in intent.hosts}
    window = next_window_start(settings.jobs.windows, envs, wanted)
    return window or wanted


def submit(
    conn: Conn,
    intent: PatchIntent,
    *,
    requested_by: str,
    settings: Settings,
    inventory: InventoryView,
    now: datetime | None = None,
    source: str | None = None,
) -> Job:
    """Record a confirmed intent as a job and take its hosts.

    Refuses hosts outside the inventory, hosts disabled in it (AWX would skip them), more
    hosts than ``jobs.max_hosts``, and hosts held by another active job (``HostBusy`` names the job). Critical hosts
    make the job wait for a second person's approval; a start in the future or
    outside the patch window makes it ``scheduled``; otherwise it is ``queued``
    and its launch message is sent after the caller commits.
    """
    if intent.action not in RUNNABLE_ACTIONS:
        raise ValidationFailed(f"action {intent.action.value!r} does not start a job; use patch, precheck or reboot")
    unknown = inventory.unknown(intent.hosts)
    if unknown:
        raise ValidationFailed(f"not in the inventory: {', '.join(unknown)}", field="hosts")
    disabled = inventory.disabled(intent.hosts)
    if disabled:
        raise ValidationFailed(
            f"disabled in the AWX inventory, so AWX would not run on them: {', '.join(disabled)}. "
            "Leave them out, or enable them in AWX and run 'patchpilot inventory sync'",
            field="hosts",
        )
    if len(intent.hosts) > settings.jobs.max_hosts:
        raise ValidationFailed(
            f"{len(intent.hosts)} hosts is more than the {settings.jobs.max_hosts} allowed in one job; split it",
            field="hosts",
        )
    now = now or repo.now(conn)
    # One savepoint around insert, lock, hosts and audit: a refusal (HostBusy) leaves no row behind, even
    # when the caller's transaction goes on and commits other work (the chat's checkpoint).
    with conn.transaction():
        critical = inventory.critical(intent.hosts)
        start = effective_start(intent, settings, inventory, now)
        if critical:
            status = JobStatus.awaiting_approval
        elif start > now:
            status = JobStatus.scheduled
        else:
            status = JobStatus.queued
        row = repo.insert_job(
            conn,
            intent=intent,
            requested_by=requested_by,
            status=status,
            needs_approval=bool(critical),
            approval_expires_at=now + timedelta(seconds=settings.auth.approval_ttl_s) if critical else None,
            not_before=start if start > now else None,
            awx_template=template_for(settings, intent.action),
        )
        taken = repo.lock_hosts(conn, row.id, intent.hosts)
        if len(taken) != len(intent.hosts):
            holders = repo.lock_holders(conn, row.id, intent.hosts)
            by_job: dict[int, list[str]] = {}
            for h in holders:
                by_job.setdefault(h.job_id, []).append(h.host)
            detail = "; ".join(f"job {j} ({', '.join(hs)})" for j, hs in sorted(by_job.items()))
            raise HostBusy(
                f"hosts are held by another active job: {detail}. Wait for it to finish or cancel it.",
                jobs=sorted(by_job),
            )
        repo.insert_pending_hosts(conn, row.id, intent.hosts)
        audit.record(
            conn,
            actor=requested_by,
            action="job.submit",
            object_type="job",
            object_id=row.id,
            source=source,
            detail={"intent": intent.model_dump(mode="json"), "status": status.value, "critical": critical},
        )
        if status is JobStatus.queued:
            dispatch.launch_after_commit(conn, row.id)
        return repo.to_job(conn, row)


def get_job(conn: Conn, job_id: int) -> Job:
    row = repo.get(conn, job_id)
    if row is None:
        raise NotFound(f"job {job_id} does not exist")
    return repo.to_job(conn, row)


def last_job(conn: Conn, requested_by: str) -> Job | None:
    row = repo.last_job(conn, requested_by)
    return repo.to_job(conn, row) if row else None


def list_jobs(
    conn: Conn,
    *,
    requested_by: str | None = None,
    status: JobStatus | None = None,
    host: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> JobPage:
    rows, total = repo.list_jobs(
        conn,
        limit=limit,
        offset=offset,
        requested_by=requested_by,
        status=status,
        host=host,
    )
    return JobPage(items=[repo.to_job(conn, r) for r in rows], total=total, limit=limit, offset=offset)


def _finish(conn: Conn, job_id: int, status: JobStatus, error: str | None = None) -> JobRow:
    row = repo.set_status(conn, job_id, status, error)
    if status.terminal:
        repo.release_hosts(conn, job_id)
    return row


def request_cancel(conn: Conn, job_id: int, *, by: str, source: str | None = None, any_owner: bool = False) -> Job:
    """Cancel a job: at once if it has not reached AWX, else through AWX (the job ends ``canceled``).

    Only the requester may cancel a job, unless ``any_owner`` (an admin).
    """
    row = repo.get(conn, job_id, for_update=True)
    if row is None:
        raise NotFound(f"job {job_id} does not exist")
    if row.requested_by != by and not any_owner:
        raise PermissionDenied(f"job {job_id} is {row.requested_by}'s; you can cancel only your own jobs")
    status = row.status
    if status.terminal:
        raise ValidationFailed(f"job {job_id} has already finished ({status.value}); nothing to cancel")
    audit.record(conn, actor=by, action="job.cancel", object_type="job", object_id=job_id, source=source)
    if status in (JobStatus.queued, JobStatus.scheduled, JobStatus.awaiting_approval):
        check_transition(status, JobStatus.canceled)
        row = _finish(conn, job_id, JobStatus.canceled, f"canceled by {by} before it started")
    else:
        row = repo.request_cancel(conn, job_id)
        if row.awx_job_id is not None:
            dispatch.cancel_after_commit(conn, job_id)
    return repo.to_job(conn, row)


def approve(conn: Conn, job_id: int, *, approver: str, now: datetime | None = None, source: str | None = None) -> Job:
    """A second person approves a job on critical hosts; the requester never can."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None:
        raise NotFound(f"job {job_id} does not exist")
    if row.status is not JobStatus.awaiting_approval:
        raise ValidationFailed(f"job {job_id} is {row.status.value}, not awaiting approval")
    if approver == row.requested_by:
        raise PermissionDenied("you cannot approve your own job: a second person must approve it")
    now = now or repo.now(conn)
    if row.approval_expires_at is not None and row.approval_expires_at <= now:
        _finish(conn, job_id, JobStatus.canceled, "approval window expired; submit the job again")
        raise ValidationFailed(f"job {job_id} waited too long for approval and was canceled; submit it again")
    repo.approve(conn, job_id, approver)
    due = row.not_before is None or row.not_before <= now
    new = JobStatus.queued if due else JobStatus.scheduled
    check_transition(JobStatus.awaiting_approval, new)
    row = repo.set_status(conn, job_id, new)
    audit.record(conn, actor=approver, action="job.approve", object_type="job", object_id=job_id, source=source)
    if new is JobStatus.queued:
        dispatch.launch_after_commit(conn, job_id)
    return repo.to_job(conn, row)


def reject(conn: Conn, job_id: int, *, approver: str, reason: str, source: str | None = None) -> Job:
    """An approver refuses a job on critical hosts; it never launches."""
    row = repo.get(conn, job_id, for_update=True)
    if row is None:
        raise NotFound(f"job {job_id} does not exist")
    if row.status is not JobStatus.awaiting_approval:
        raise ValidationFailed(f"job {job_id} is {row.status.value}, not awaiting approval")
    row = _finish(conn, job_id, JobStatus.canceled, f"rejected by {approver}: {reason}")
    audit.record(
        conn,
        actor=approver,
        action="job.reject",
        object_type="job",
        object_id=job_id,
        source=source,
        detail={"reason": reason},
    )
    return repo.to_job(conn, row)


def stdout(conn: Conn, job_id: int) -> JobStdout:
    get_job(conn, job_id)
    row = repo.get_stdout(conn, job_id)
    if row is None:
        raise NotFound(f"job {job_id} has no output yet")
    return row


def utcnow() -> datetime:
    return datetime.now(UTC)
