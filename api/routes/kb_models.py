"""The KB endpoints' request and response schemas (typed, so they are in the OpenAPI document the UI's models
are generated from: ``make ui-models``). A job's failure with its diagnosis is :class:`core.diagnosis.JobFailure`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kb.models import Category, Entry, Samples

# --- requests ---------------------------------------------------------------------------------


class EntryUpdate(BaseModel):
    """A full replacement of an entry's content (the slug comes from the path)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=300)
    category: Category
    patterns: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    solution: str = Field(min_length=1)
    references: list[str] = Field(default_factory=list)
    samples: Samples = Field(default_factory=Samples)
    enabled: bool = True
    wrapper: bool | None = Field(
        default=None, description="a generic step that failed, which a matching cause entry beats; omitted: unchanged"
    )


class SuggestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    example: str = Field(min_length=1, max_length=100_000, description="a failure text the new entry must match")


class PatternTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=1_000_000)
    slug: str | None = Field(default=None, description="the entry the pattern is meant for (not a conflict)")
    limit: int = Field(default=1000, ge=1, le=100_000, description="how many recent stored failures to test")


# --- what the entry endpoints answer ------------------------------------------------------------


class Effectiveness(BaseModel):
    """How often an entry has fixed things: hits, similar hits, hosts, and hosts a later job fixed (first 50)."""

    hits: int = 0
    similar_hits: int = 0
    last_seen: datetime | None = None
    hosts: int = 0
    fixed_hosts: list[str] = Field(default_factory=list)
    fixed_host_count: int = 0


class EntryView(Entry):
    """A stored entry; ``effectiveness`` where the endpoint tracks it (list and get)."""

    effectiveness: Effectiveness | None = None


class SampleHit(BaseModel):
    slug: str
    sample: str


class SavedEntry(EntryView):
    """An entry as create/update answer it: with the other entries that also match its samples."""

    conflicts: list[SampleHit] = Field(default_factory=list)


class Revision(BaseModel):
    """One saved version of an entry (its content as it was then)."""

    version: int
    data: dict[str, Any]
    changed_by: str
    changed_at: datetime


# --- pattern tests and suggestions --------------------------------------------------------------


class PastFailureHit(BaseModel):
    """A stored failure a pattern matches, and the entry matched to it today (null: none)."""

    failure_id: int
    job_id: int
    host: str
    task: str
    current_slug: str | None = None


class PatternTestResult(BaseModel):
    """What ``POST /kb/test`` found: the ``text_*`` fields when a text was given, the others for a pattern."""

    text_matches: list[str] = Field(default_factory=list, description="every entry that matches the text")
    text_best: str | None = Field(default=None, description="the entry that wins for the text (null: none)")
    pattern_matches_text: bool | None = None
    pattern_match: str | None = Field(
        default=None, description="the part of the text the pattern matches (first 1000 characters; null: none)"
    )
    other_entries_samples: list[SampleHit] = Field(
        default_factory=list, description="other entries' match samples the pattern also matches"
    )
    past_failures: list[PastFailureHit] = Field(
        default_factory=list, description="recent stored failures the pattern matches"
    )
    conflicts: list[PastFailureHit] = Field(
        default_factory=list, description="of those, the ones matched today by another entry"
    )


class KbSuggestion(BaseModel):
    """A first pattern, title and slug for a new entry, from one example failure."""

    pattern: str = Field(description="RE2, case-insensitive: the example's longest stable text, escaped")
    title: str
    slug: str
    matches_example: bool
    test: PatternTestResult = Field(description="what POST /kb/test says of the pattern against the example")


# --- unmatched failures -------------------------------------------------------------------------


class UnmatchedGroup(BaseModel):
    """Unmatched failures with the same normalised message: how often, where, and one example."""

    id: int
    template: str = Field(description="the normalised message (hosts, numbers, paths replaced)")
    example: str = Field(description="one failure's text as it was matched")
    example_job_id: int | None = None
    first_seen: datetime
    last_seen: datetime
    count: int
    hosts: list[str] = Field(description="the first 50 hosts, by name")
    tasks: list[str] = Field(description="the first 20 tasks, by name")


class UnmatchedDay(BaseModel):
    """Unmatched failures seen on one day (UTC), and in how many distinct groups."""

    day: date
    failures: int
    groups: int
