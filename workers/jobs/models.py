"""Job types as the API and the agent see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.enums import HostStatus, JobStatus
from core.intent import PatchIntent


class HostCounts(BaseModel):
    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


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
    failures: list[dict[str, Any]] = Field(default_factory=list)
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

    @classmethod
    def from_row(cls, row: dict[str, Any], hosts: list[dict[str, Any]] | None = None) -> Job:
        job_hosts = [
            JobHost(host=h["host"], status=HostStatus(h["status"]), counts=HostCounts.model_validate(h))
            for h in (hosts or [])
        ]
        return cls.model_validate({**row, "status": JobStatus(row["status"]), "hosts": job_hosts})


class JobPage(BaseModel):
    items: list[Job]
    total: int
    limit: int
    offset: int
