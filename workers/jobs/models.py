"""Job types: the rows of ops.jobs and its tables as the repository returns them (``class_row``), and the job as
the API and the agent see it.

Data changes form only at a boundary: the ``intent`` column (jsonb) is parsed into a
:class:`~core.intent.PatchIntent` once, when the row is read, and every layer above uses that model.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.diagnosis import JobFailure
from core.enums import AnalysisState, HostStatus, JobStatus
from core.intent import PatchIntent
from workers.awx.models import JobKind


class _Row(BaseModel):
    """A row read from SQL: immutable, every column named."""

    model_config = ConfigDict(frozen=True)


class JobRow(_Row):
    """One row of ``ops.jobs`` (``SELECT *``)."""

    id: int
    action: str
    intent: PatchIntent
    hosts: list[str]
    requested_by: str
    status: JobStatus
    needs_approval: bool
    approved_by: str | None
    approved_at: datetime | None
    approval_expires_at: datetime | None
    not_before: datetime | None
    awx_template: str | None
    awx_job_id: int | None
    awx_status: str | None
    awx_job_type: JobKind
    launch_attempts: int
    launch_started_at: datetime | None
    cancel_requested: bool
    poll_count: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    analysis: AnalysisState | None = None


class HostCounts(BaseModel):
    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


class JobHostRow(HostCounts):
    """One row of ``ops.job_hosts``: a host's verdict and AWX's counts for it."""

    model_config = ConfigDict(frozen=True)

    host: str
    status: HostStatus

    def counts(self) -> HostCounts:
        return HostCounts.model_validate(self.model_dump(include=set(HostCounts.model_fields)))


class LockHolder(_Row):
    """A host held by another active job (why a submission is refused)."""

    host: str
    job_id: int
    status: JobStatus
    requested_by: str


class DueJob(_Row):
    """A scheduled job whose start has come (beat's sweep)."""

    id: int
    needs_approval: bool
    approved_at: datetime | None


class StaleJob(_Row):
    """A job whose next Celery message may have been lost (beat's sweep re-sends it)."""

    id: int
    status: JobStatus
    poll_count: int


class UnauditedJob(_Row):
    """A job row without its ``job.submit`` audit record (invariants)."""

    id: int
    status: JobStatus
    requested_by: str
    created_at: datetime


class JobStdout(_Row):
    """What collect stored of a job's AWX output (redacted)."""

    content: str
    size_bytes: int
    truncated: bool


class JobHost(BaseModel):
    host: str
    status: HostStatus
    counts: HostCounts


class Job(BaseModel):
    id: int
    status: JobStatus
    intent: PatchIntent
    requested_by: str
    hosts: list[JobHost] = Field(default_factory=list)
    failures: list[JobFailure] = Field(default_factory=list)
    needs_approval: bool = False
    approved_by: str | None = None
    not_before: datetime | None = None
    awx_job_id: int | None = None
    awx_status: str | None = None
    cancel_requested: bool = False
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    analysis: AnalysisState | None = Field(
        default=None,
        description="The failure analysis of a finished job: pending (its fixes are still being matched), done, "
        "or failed; null when the job produced no output to analyse",
    )

    @classmethod
    def from_row(cls, row: JobRow, hosts: list[JobHostRow] | None = None) -> Job:
        job_hosts = [JobHost(host=h.host, status=h.status, counts=h.counts()) for h in hosts or []]
        fields = {name: getattr(row, name) for name in cls.model_fields if name not in ("hosts", "failures")}
        return cls(**fields, hosts=job_hosts)


class JobPage(BaseModel):
    items: list[Job]
    total: int
    limit: int
    offset: int
