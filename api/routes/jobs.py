"""Jobs: submit a patch intent, follow it, cancel it, approve it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require
from api.deps import ConnDep, InventoryDep, SettingsDep, SourceDep, UserDep, pooled_connection
from api.metrics import JOBS_SUBMITTED
from core.auth.models import Principal, Role
from core.enums import JobStatus
from core.errors import NotFound
from core.intent import PatchIntent
from core.risk import RiskAssessment, assess_intent
from kb import service as kb_service
from workers.jobs import progress, repository, service
from workers.jobs.models import Job, JobPage

router = APIRouter(prefix="/jobs", tags=["jobs"])


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class ApprovalItem(BaseModel):
    """A job waiting for a second person: who asked, hosts by environment, options, schedule, age, expiry."""

    job: Job
    hosts_by_env: dict[str, list[str]]
    risk: RiskAssessment | None
    age_s: int
    expires_at: datetime
    expires_in_s: int
    yours: bool = Field(description="you asked for it: a second person must approve it, not you")


class ApprovalQueue(BaseModel):
    items: list[ApprovalItem]
    now: datetime


def _with_failures(conn: ConnDep, job: Job) -> Job:
    return job.model_copy(update={"failures": kb_service.job_failures(conn, job.id)})


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a patch intent as a job",
    dependencies=[Depends(require(Role.operator))],
)
def submit_job(
    intent: PatchIntent,
    conn: ConnDep,
    settings: SettingsDep,
    inventory: InventoryDep,
    user: UserDep,
    source: SourceDep,
) -> Job:
    """Record the intent as a job and queue it (or schedule it, or hold it for approval on critical hosts).

    Refused with 409 when a host is held by another active job (the message names the job), 422 when a
    host is not in the inventory or the intent is invalid.
    """
    job = service.submit(conn, intent, requested_by=user, settings=settings, inventory=inventory, source=source)
    JOBS_SUBMITTED.labels(intent.action.value, job.status.value).inc()
    return job


@router.get("", summary="List jobs, newest first", dependencies=[Depends(require(Role.viewer))])
def list_jobs(
    conn: ConnDep,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    host: Annotated[str | None, Query(max_length=255)] = None,
    requested_by: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JobPage:
    return service.list_jobs(conn, status=status_, host=host, requested_by=requested_by, limit=limit, offset=offset)


@router.get(
    "/approvals",
    summary="Jobs waiting for a second person's approval, oldest first",
    dependencies=[Depends(require(Role.approver))],
)
def approval_queue(conn: ConnDep, settings: SettingsDep, inventory: InventoryDep, user: UserDep) -> ApprovalQueue:
    """What an approver decides on: each job with its requester, hosts by environment, risk, age and expiry.

    Jobs you asked for are listed with ``yours`` true: someone else must approve them."""
    now = repository.now(conn)
    ttl = timedelta(seconds=settings.auth.approval_ttl_s)
    page = service.list_jobs(conn, status=JobStatus.awaiting_approval, limit=200)
    items = []
    for job in sorted(page.items, key=lambda j: j.created_at):
        intent = job.intent.model_dump(mode="json")
        expires = job.created_at + ttl  # the service sets approval_expires_at = submission time + ttl
        items.append(
            ApprovalItem(
                job=job,
                hosts_by_env=inventory.by_environment(job.intent.hosts),
                risk=assess_intent(inventory, intent),
                age_s=max(0, int((now - job.created_at).total_seconds())),
                expires_at=expires,
                expires_in_s=int((expires - now).total_seconds()),
                yours=job.requested_by == user,
            )
        )
    return ApprovalQueue(items=items, now=now)


@router.get(
    "/{job_id}",
    summary="One job with per-host results and diagnosed failures",
    response_model=Job,
    dependencies=[Depends(require(Role.viewer))],
)
async def get_job(job_id: int, request: Request) -> Response:
    """The job with its per-host results and its failures, each with its knowledge-base diagnosis."""
    # Async on the read pool: the job, its hosts and its failures are one statement awaited on the event loop,
    # and the JSON is rendered once from the model (response_model gives the schema). Without the read pool
    # (an ASGI client that skipped the lifespan) the same read runs on the sync pool.
    read_pool = request.app.state.read_pool
    if read_pool is None:
        job = await run_in_threadpool(_read_job, request, job_id)
    else:
        async with read_pool.connection() as aconn:
            found = await repository.get_job_view(aconn, job_id)
        if found is None:
            raise NotFound(f"job {job_id} does not exist")
        return Response(job_document(*found), media_type="application/json")
    return Response(job.model_dump_json(), media_type="application/json")


def job_document(job: Job, failure_rows: list[dict[str, Any]]) -> str:
    """The JSON of GET /jobs/{id} from ``get_job_view``'s job and failure rows (api.fastpath answers with it too)."""
    return job.model_copy(update={"failures": [kb_service.failure_view(f) for f in failure_rows]}).model_dump_json()


def _read_job(request: Request, job_id: int) -> Job:
    with pooled_connection(request) as conn:
        return _with_failures(conn, service.get_job(conn, job_id))


@router.get(
    "/{job_id}/progress",
    summary="Live progress of a job: per-host and per-task status, elapsed time, the log tail",
    dependencies=[Depends(require(Role.viewer))],
)
def get_progress(job_id: int, conn: ConnDep) -> progress.ProgressView:
    """Folded from the AWX events read while the job is polled (every ~10 s); empty before the first read.

    ``elapsed_s`` counts from the job's start by the server's clock."""
    view = progress.read(conn, job_id)
    if view is None:
        raise NotFound(f"job {job_id} does not exist")
    return view


@router.get(
    "/{job_id}/stdout",
    summary="The job's AWX output (text)",
    response_class=PlainTextResponse,
    dependencies=[Depends(require(Role.viewer))],
)
def get_stdout(job_id: int, conn: ConnDep) -> PlainTextResponse:
    out = service.stdout(conn, job_id)
    return PlainTextResponse(out.content, headers={"X-Truncated": str(out.truncated).lower()})


@router.post("/{job_id}/cancel", summary="Cancel a job (propagates to AWX): your own, or any as an admin")
def cancel_job(
    job_id: int, conn: ConnDep, principal: Annotated[Principal, Depends(require(Role.operator))], source: SourceDep
) -> Job:
    return service.request_cancel(conn, job_id, by=principal.name, source=source, any_owner=principal.is_admin)


@router.post(
    "/{job_id}/approve",
    summary="Approve a job on critical hosts (a second person)",
    dependencies=[Depends(require(Role.approver))],
)
def approve_job(job_id: int, conn: ConnDep, user: UserDep, source: SourceDep) -> Job:
    return service.approve(conn, job_id, approver=user, source=source)


@router.post(
    "/{job_id}/reject", summary="Reject a job waiting for approval", dependencies=[Depends(require(Role.approver))]
)
def reject_job(job_id: int, body: RejectBody, conn: ConnDep, user: UserDep, source: SourceDep) -> Job:
    return service.reject(conn, job_id, approver=user, reason=body.reason, source=source)
