"""What the REST API answers, as the UIs read it.

The models of the typed endpoints are generated from the API's OpenAPI document into ``ui/api_models.py``
(``make ui-models``); they are re-exported here under the names the UI uses. What stays hand-written is
what the API answers untyped (a job's failures with their KB fix, pattern tests, suggestions, unmatched groups): lenient
(``extra="ignore"``, defaults everywhere but the ids) so the API may add fields without breaking a UI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.enums import MatchKind
from ui.api_models import (
    ApprovalItem,
    ApprovalQueue,
    ChatHistory,
    HostBadges,
    HostCounts,
    HostProgress,
    Job,
    JobHost,
    JobPage,
    Me,
    PatchIntent,
    Pending,
    SampleHit,
    SavedEntry,
    TaskProgress,
)
from ui.api_models import ChatOut as ChatResponse
from ui.api_models import ConfirmOut as ConfirmResponse
from ui.api_models import EntryView as KbEntry
from ui.api_models import Message as ChatMessage
from ui.api_models import ProgressView as JobProgress
from ui.api_models import Revision as KbRevision
from ui.api_models import RiskAssessment as Risk

__all__ = [
    "ApprovalItem",
    "ApprovalQueue",
    "ChatHistory",
    "ChatMessage",
    "ChatResponse",
    "ConfirmResponse",
    "HostBadges",
    "HostCounts",
    "HostProgress",
    "Job",
    "JobHost",
    "JobPage",
    "JobProgress",
    "KbEntry",
    "KbRevision",
    "Me",
    "PatchIntent",
    "Pending",
    "Risk",
    "SampleHit",
    "SavedEntry",
    "TaskProgress",
    "job_failures",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- a job's failures (the API sends them as objects without a schema) -------------------------


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


def job_failures(job: Job) -> list[JobFailure]:
    """A job's failures, read into the UI's model (the API's ``Job.failures`` is a list of objects)."""
    return [JobFailure.model_validate(f) for f in job.failures]


# --- knowledge base ---------------------------------------------------------------------------


class KbSuggestion(_Lenient):
    """``POST /kb/suggest``: a first pattern, title and slug from an example failure."""

    pattern: str
    title: str = ""
    slug: str = ""
    matches_example: bool = True


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
