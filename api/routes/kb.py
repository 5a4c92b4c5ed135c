"""Knowledge base: entries (list, search, get, create, update, disable, history), pattern tests,
unmatched failure groups, and re-analysis of a job with the current KB."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from api.auth import require
from api.deps import ConnDep, SettingsDep, UserDep
from api.routes.kb_models import (
    EntryUpdate,
    EntryView,
    KbSuggestion,
    PatternTest,
    PatternTestResult,
    Revision,
    SavedEntry,
    SuggestBody,
    UnmatchedDay,
    UnmatchedGroup,
)
from core.auth.models import Role
from core.diagnosis import JobFailure
from core.errors import NotFound, ValidationFailed
from kb import entries
from kb.analysis import suggest
from kb.models import Category, EntryIn
from kb.service import job_failures, reanalyse_job
from kb.store import effectiveness, repository

router = APIRouter(tags=["kb"])


def _saved(conn: ConnDep, row: repository.Row) -> dict[str, Any]:
    view = entries.entry_view(row)
    view["conflicts"] = entries.conflicts(conn, entries.entry_from_row(row))
    return view


@router.get(
    "/kb/entries",
    summary="List or search KB entries",
    response_model=list[EntryView],
    dependencies=[Depends(require(Role.viewer))],
)
def list_entries(
    conn: ConnDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="every word in the slug, title, solution, patterns or samples"),
    ] = None,
    category: Category | None = None,
    enabled: bool | None = None,
    wrapper: Annotated[
        bool | None, Query(description="true: only wrapper entries (a generic message a cause beats); false: causes")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Each entry carries ``effectiveness``: hits, similar_hits, last_seen, hosts, fixed_hosts (hosts where a
    later job succeeded after the fix, first 50) and fixed_host_count."""
    rows = repository.search_entries(conn, q, category.value if category else None, enabled, limit, offset, wrapper)
    stats = effectiveness.stats_for(conn, [r["slug"] for r in rows])
    return [entries.entry_view(r) | {"effectiveness": stats[r["slug"]]} for r in rows]


@router.get(
    "/kb/entries/{slug}", summary="One KB entry", response_model=EntryView, dependencies=[Depends(require(Role.viewer))]
)
def get_entry(slug: str, conn: ConnDep) -> dict[str, Any]:
    row = repository.entry_by_slug(conn, slug)
    if row is None:
        raise NotFound(f"no KB entry {slug!r}", slug=slug)
    return entries.entry_view(row) | {"effectiveness": effectiveness.stats_for(conn, [slug])[slug]}


@router.get(
    "/kb/entries/{slug}/history",
    summary="Every saved version of an entry, newest first",
    response_model=list[Revision],
    dependencies=[Depends(require(Role.viewer))],
)
def entry_history(slug: str, conn: ConnDep) -> list[dict[str, Any]]:
    if repository.entry_by_slug(conn, slug) is None:
        raise NotFound(f"no KB entry {slug!r}", slug=slug)
    return [
        {"version": r["version"], "data": r["data"], "changed_by": r["changed_by"], "changed_at": r["changed_at"]}
        for r in repository.entry_history(conn, slug)
    ]


@router.post(
    "/kb/entries",
    status_code=status.HTTP_201_CREATED,
    summary="Create a KB entry",
    response_model=SavedEntry,
    dependencies=[Depends(require(Role.kb_editor))],
)
def create_entry(body: EntryIn, conn: ConnDep, user: UserDep) -> dict[str, Any]:
    """Patterns must compile (RE2; 422 ``invalid_pattern`` with RE2's message) and the entry must match
    its ``samples.match`` and none of ``samples.no_match`` (422 ``sample_mismatch``). 409 if the slug exists.
    The answer lists ``conflicts``: other entries that also match this entry's samples."""
    row, _ = entries.save_entry(conn, body, user, create=True, source="api")
    return _saved(conn, row)


@router.put(
    "/kb/entries/{slug}",
    summary="Update a KB entry (a new version; history kept)",
    response_model=SavedEntry,
    dependencies=[Depends(require(Role.kb_editor))],
)
def update_entry(
    slug: str,
    body: EntryUpdate,
    conn: ConnDep,
    user: UserDep,
    version: Annotated[int | None, Query(ge=1, description="the version you edited; 409 if it changed since")] = None,
) -> dict[str, Any]:
    """With ``?version=N``, two curators cannot silently overwrite each other: a stale edit is a 409."""
    data = body.model_dump()
    if data["wrapper"] is None:  # an editor that does not show the flag keeps what is stored
        current = repository.entry_by_slug(conn, slug)
        data["wrapper"] = bool(current and current["wrapper"])
    try:
        entry = EntryIn.model_validate({"slug": slug, **data})
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    row, _ = entries.save_entry(conn, entry, user, create=False, expected_version=version, source="api")
    return _saved(conn, row)


@router.post(
    "/kb/entries/{slug}/disable",
    summary="Disable an entry (it stops matching; history kept)",
    response_model=EntryView,
    dependencies=[Depends(require(Role.kb_editor))],
)
def disable_entry(slug: str, conn: ConnDep, user: UserDep) -> dict[str, Any]:
    return entries.entry_view(entries.set_enabled(conn, slug, False, user))


@router.post(
    "/kb/entries/{slug}/enable",
    summary="Enable an entry again",
    response_model=EntryView,
    dependencies=[Depends(require(Role.kb_editor))],
)
def enable_entry(slug: str, conn: ConnDep, user: UserDep) -> dict[str, Any]:
    return entries.entry_view(entries.set_enabled(conn, slug, True, user))


@router.post(
    "/kb/test",
    summary="Test a pattern and/or a text against the KB and stored past failures",
    response_model=PatternTestResult,
    response_model_exclude_unset=True,
    dependencies=[Depends(require(Role.kb_editor))],
)
def test_pattern(body: PatternTest, conn: ConnDep) -> dict[str, Any]:
    """For a text: which entries match and which one wins. For a pattern: whether it compiles (422
    ``invalid_pattern`` with RE2's message), whether it matches the text, which other entries' samples it would
    match, and which stored failures it matches (``conflicts``: those already assigned to another entry). Only
    the fields for what was given are in the answer."""
    return entries.try_pattern(conn, body.pattern, body.text, body.slug, body.limit)


@router.post(
    "/kb/suggest",
    summary="Suggest a pattern, title and slug for a new entry from an example failure",
    response_model=KbSuggestion,
    dependencies=[Depends(require(Role.kb_editor))],
)
def suggest_entry(body: SuggestBody, conn: ConnDep) -> dict[str, Any]:
    """The pattern is the example's longest stable text, escaped for RE2; it compiles and matches the
    example (``matches_example``). ``test`` is what ``POST /kb/test`` says of it: other entries' samples
    and stored failures it would also match."""
    out = suggest.suggestion(body.example)
    out["test"] = entries.try_pattern(conn, str(out["pattern"]), body.example, None, 1000)
    return out


@router.get(
    "/kb/unmatched",
    summary="Unmatched failures grouped by normalised message, most frequent first",
    response_model=list[UnmatchedGroup],
    dependencies=[Depends(require(Role.viewer))],
)
def unmatched(
    conn: ConnDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    return repository.unmatched_groups(conn, limit, offset)


@router.get(
    "/kb/unmatched/trend",
    summary="Unmatched failures and groups per day, newest first",
    response_model=list[UnmatchedDay],
    dependencies=[Depends(require(Role.viewer))],
)
def unmatched_trend(conn: ConnDep, days: Annotated[int, Query(ge=1, le=365)] = 30) -> list[dict[str, Any]]:
    return effectiveness.unmatched_trend(conn, days)


@router.post(
    "/jobs/{job_id}/reanalyse",
    summary="Match a job's failures again with the current KB",
    response_model=list[JobFailure],
    dependencies=[Depends(require(Role.operator, Role.kb_editor))],
)
def reanalyse(job_id: int, conn: ConnDep, settings: SettingsDep) -> list[JobFailure]:
    reanalyse_job(conn, job_id, settings)
    return job_failures(conn, job_id)
