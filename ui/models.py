"""What the REST API answers, as the UIs read it.

Every model is generated from the API's OpenAPI document into ``ui/api_models.py`` (``make ui-models``); they
are re-exported here under the names the UI uses. Nothing here is hand-written: a field the API adds or
changes reaches the UI by regenerating that file (a unit test fails while it is stale).
"""

from __future__ import annotations

from ui.api_models import (
    ApprovalItem,
    ApprovalQueue,
    Category,
    ChatHistory,
    HostBadges,
    HostCounts,
    HostProgress,
    Job,
    JobFailure,
    JobHost,
    JobPage,
    KbFix,
    KbSuggestion,
    Me,
    PastFailureHit,
    PatchIntent,
    PatternTestResult,
    Pending,
    RelatedEntry,
    SampleHit,
    SavedEntry,
    TaskProgress,
    UnmatchedDay,
    UnmatchedGroup,
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
    "Category",
    "ChatHistory",
    "ChatMessage",
    "ChatResponse",
    "ConfirmResponse",
    "HostBadges",
    "HostCounts",
    "HostProgress",
    "Job",
    "JobFailure",
    "JobHost",
    "JobPage",
    "JobProgress",
    "KbEntry",
    "KbFix",
    "KbRevision",
    "KbSuggestion",
    "Me",
    "PastFailureHit",
    "PatchIntent",
    "PatternTestResult",
    "Pending",
    "RelatedEntry",
    "Risk",
    "SampleHit",
    "SavedEntry",
    "TaskProgress",
    "UnmatchedDay",
    "UnmatchedGroup",
]
