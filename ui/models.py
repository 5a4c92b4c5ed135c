"""What the REST API answers, as the UIs read it.

Deliberately lenient (``extra="ignore"``, defaults everywhere but the ids): the API may add
fields without breaking a running UI. Statuses are the shared enums of ``core.enums``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.enums import HostStatus, JobStatus, MatchKind


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- jobs -------------------------------------------------------------------------------------


class Me(_Lenient):
    name: str
    roles: list[str] = []
    via: str = "token"


class HostCounts(_Lenient):
    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


class JobHost(_Lenient):
    host: str
    status: HostStatus = HostStatus.pending
    counts: HostCounts = Field(default_factory=HostCounts)


class KbFix(_Lenient):
    slug: str
    title: str = ""
    category: str = ""
    match: MatchKind = MatchKind.exact
    score: float | None = None
    solution: str = ""


class JobFailure(_Lenient):
    host: str
    task: str = ""
    message: str = ""
    kb: KbFix | None = None


class Job(_Lenient):
    id: int
    status: JobStatus
    intent: dict[str, Any] = Field(default_factory=dict)
    requested_by: str = ""
    hosts: list[JobHost] = Field(default_factory=list)
    failures: list[JobFailure] = Field(default_factory=list)
    needs_approval: bool = False
    approved_by: str | None = None
    not_before: datetime | None = None
    awx_job_id: int | None = None
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ApprovalItem(_Lenient):
    job: Job
    hosts_by_env: dict[str, list[str]] = Field(default_factory=dict)
    risk: Risk | None = None
    age_s: int = 0
    expires_at: datetime | None = None
    expires_in_s: int = 0
    yours: bool = False


class ApprovalQueue(_Lenient):
    items: list[ApprovalItem] = Field(default_factory=list)
    now: datetime | None = None


class HostProgress(_Lenient):
    state: str = "pending"
    task: str = ""
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


class TaskProgress(_Lenient):
    name: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


class JobProgress(_Lenient):
    """``GET /jobs/{id}/progress``: per-host and per-task status, elapsed time, the log tail."""

    job_id: int
    status: str = ""
    last_counter: int = 0
    events: int = 0
    current_task: str | None = None
    hosts: dict[str, HostProgress] = Field(default_factory=dict)
    tasks: list[TaskProgress] = Field(default_factory=list)
    log_tail: str = ""
    finished: bool = False
    updated_at: datetime | None = None
    started_at: datetime | None = None
    elapsed_s: int | None = None


class ChatMessage(_Lenient):
    role: str
    text: str


class ChatHistory(_Lenient):
    """``GET /chat/{session}``: the conversation so far and the proposal still waiting, if any."""

    messages: list[ChatMessage] = Field(default_factory=list)
    pending: Pending | None = None
    job_id: int | None = None


class JobPage(_Lenient):
    items: list[Job] = Field(default_factory=list)
    total: int = 0
    limit: int = 0
    offset: int = 0


# --- chat -------------------------------------------------------------------------------------


class HostBadges(_Lenient):
    host: str
    environment: str = "unassigned"
    production: bool = False
    critical: bool = False


class Risk(_Lenient):
    """``core.risk.RiskAssessment`` as the API sends it."""

    level: str = "low"
    line: str = ""
    reasons: list[str] = Field(default_factory=list)
    environments: dict[str, int] = Field(default_factory=dict)
    critical: list[str] = Field(default_factory=list)
    reboots: bool = False
    badges: list[HostBadges] = Field(default_factory=list)
    confirm_phrase: str | None = None


class Pending(_Lenient):
    """A proposal waiting for the operator's Confirm (or Cancel)."""

    intent: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    hosts_by_env: dict[str, list[str]] = Field(default_factory=dict)
    needs_approval: bool = False
    starts_at: str | None = None
    token: str
    risk: Risk | None = None


class ChatResponse(_Lenient):
    reply: str = ""
    pending: Pending | None = None
    job_id: int | None = None


class ConfirmResponse(_Lenient):
    reply: str = ""
    job_id: int | None = None


# --- knowledge base ---------------------------------------------------------------------------


class Samples(_Lenient):
    match: list[str] = Field(default_factory=list)
    no_match: list[str] = Field(default_factory=list)


class Effectiveness(_Lenient):
    """How often an entry has fixed things (the API adds it to entries when it tracks it)."""

    hits: int = 0
    similar_hits: int = 0
    last_seen: datetime | None = None
    hosts: int = 0


class KbEntry(_Lenient):
    slug: str
    title: str = ""
    category: str = "other"
    patterns: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    solution: str = ""
    references: list[str] = Field(default_factory=list)
    samples: Samples = Field(default_factory=Samples)
    enabled: bool = True
    version: int | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    effectiveness: Effectiveness | None = None


class KbSuggestion(_Lenient):
    """``POST /kb/suggest``: a first pattern, title and slug from an example failure."""

    pattern: str
    title: str = ""
    slug: str = ""
    matches_example: bool = True


class KbRevision(_Lenient):
    """One saved version of an entry (the entry's content as it was then)."""

    version: int
    changed_by: str = ""
    changed_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class SampleHit(_Lenient):
    slug: str
    sample: str = ""


class PastHit(_Lenient):
    failure_id: int | None = None
    job_id: int | None = None
    host: str = ""
    task: str = ""
    current_slug: str | None = None


class PatternProbe(_Lenient):
    """``POST /kb/test`` for one pattern (and optionally one text)."""

    text_matches: list[str] = Field(default_factory=list)
    text_best: str | None = None
    pattern_matches_text: bool | None = None
    other_entries_samples: list[SampleHit] = Field(default_factory=list)
    past_failures: list[PastHit] = Field(default_factory=list)
    conflicts: list[PastHit] = Field(default_factory=list)


class SavedEntry(KbEntry):
    """An entry as create/update answer it: with the other entries that also match its samples."""

    conflicts: list[SampleHit] = Field(default_factory=list)


class UnmatchedGroup(_Lenient):
    template: str
    count: int = 0
    hosts: list[str] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    example: str = ""
    example_job_id: int | None = None
    tasks: list[str] = Field(default_factory=list)
    module: str | None = None

    @field_validator("example", mode="before")
    @classmethod
    def _example_text(cls, v: Any) -> Any:
        # The API may send the example failure as an object; the UI needs its text.
        if isinstance(v, dict):
            return str(v.get("match_text") or v.get("message") or v.get("msg") or "")
        return v
