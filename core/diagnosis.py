"""A job's failure with its knowledge-base diagnosis, as the API shows it (``Job.failures``, re-analysis).

Shared by ``kb`` (which writes and reads ``ops.failures``) and ``workers`` (whose ``Job`` carries the list):
they may not import each other, so the type lives here, like :class:`core.intent.PatchIntent`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.enums import MatchKind


class KbFix(BaseModel):
    """The KB entry a failure was matched to: ``exact`` (a pattern matched) or ``similar`` (with its score)."""

    slug: str
    title: str
    category: str
    match: MatchKind
    score: float | None = None
    via: str | None = Field(
        default=None,
        description='how the match was decided: a similar one by "signals" or "llm"; an exact one read through '
        'the tools\' own translations says "translated (de)"',
    )
    solution: str


class RelatedEntry(BaseModel):
    """An entry below the answer bar: shown with its score, never as the fix."""

    slug: str
    title: str
    score: float
    label: str = "possibly related"


class JobFailure(BaseModel):
    """One failed task on one host; ``kb`` is null when no entry matched."""

    host: str
    task: str
    message: str
    kb: KbFix | None = None
    related: list[RelatedEntry] = Field(default_factory=list)
