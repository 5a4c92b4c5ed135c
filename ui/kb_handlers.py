"""The KB editor's event handlers: API call + ``ui.kb_logic``, returning what the widgets show.

Plain functions of plain values (no Gradio import), so they are easy to read and test; every
API refusal becomes an inert Markdown message, never an exception in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

from ui.client import ApiClient, ApiError
from ui.kb_logic import (
    CATEGORIES,
    Draft,
    SampleVerdict,
    any_of,
    api_problems,
    draft_from_entry,
    draft_from_group,
    entries_rows,
    entry_payload,
    group_rows,
    history_report,
    probe_inputs,
    probe_report,
    reanalyse_report,
    saved_report,
    sorted_groups,
    summarise,
)
from ui.text import inert_markdown, plain

ClientFor = Callable[[str], ApiClient]
ANY = "any"
EditorValues = tuple[str, str, str, str, str, str, str, str, str, bool, int | None]


def editor_values(draft: Draft) -> EditorValues:
    """The editor widgets' values, in the order the Blocks lists them."""
    values: EditorValues = astuple(draft)[:-1]  # without .problems
    return values


@dataclass
class KbHandlers:
    client_for: ClientFor

    def _error(self, exc: ApiError) -> str:
        return api_problems(exc.detail, exc.errors)

    def search(self, user: str, q: str, category: str, enabled: str) -> tuple[list[list[Any]], str]:
        try:
            with self.client_for(user) as client:
                found = client.kb_entries(
                    q=(q or "").strip()[:200] or None,
                    category=None if category in ("", ANY) else category,
                    enabled=None if enabled in ("", ANY) else enabled == "enabled",
                )
        except ApiError as exc:
            return [], self._error(exc)
        return entries_rows(found), f"{len(found)} entries"

    def open_entry(self, user: str, slug: str) -> tuple[Any, ...]:
        slug = (slug or "").strip()
        if not slug:
            return (*editor_values(Draft()), "Give the slug of the entry to open.")
        try:
            with self.client_for(user) as client:
                entry = client.kb_entry(slug)
        except ApiError as exc:
            return (*editor_values(Draft()), self._error(exc))
        return (*editor_values(draft_from_entry(entry)), f"Opened **{plain(entry.slug)}** (version {entry.version}).")

    def new_entry(self) -> tuple[Any, ...]:
        return (*editor_values(Draft()), "New entry: fill in the fields, test the patterns, then save.")

    def test(self, user: str, slug: str, patterns: str, match_samples: str, no_match_samples: str) -> str:
        """Live tester: each pattern against past failures and other entries, then every sample."""
        pats, samples, why = probe_inputs(patterns, match_samples, no_match_samples)
        if why:
            return why
        owner = (slug or "").strip() or None
        try:
            with self.client_for(user) as client:
                probes = []
                for i, pattern in enumerate(pats, 1):
                    try:
                        probes.append(client.kb_test(pattern, slug=owner))
                    except ApiError as exc:
                        if exc.status_code == 422:
                            return f"**Invalid pattern {i} (RE2):** {plain(exc.detail)}"
                        raise
                combined = any_of(pats)
                verdicts = []
                for expected, text in samples:
                    alternatives = [combined] if combined else pats
                    matched = any(
                        client.kb_test(p, text=text, slug=owner, limit=1).pattern_matches_text for p in alternatives
                    )
                    verdicts.append(SampleVerdict(text, expected, matched))
        except ApiError as exc:
            return self._error(exc)
        return probe_report(summarise(probes, verdicts))

    def save(self, user: str, *fields: Any) -> tuple[Any, ...]:
        names = ("slug", "title", "category", "patterns", "modules", "solution", "references", "match_samples")
        values: dict[str, Any] = {n: str(v or "") for n, v in zip(names, fields, strict=False)}
        draft = Draft(
            **values,
            no_match_samples=str(fields[8] or ""),
            enabled=bool(fields[9]),
            version=_int_or_none(fields[10]),
        )
        payload, problems = entry_payload(draft)
        if payload is None:
            return (*editor_values(draft), "**Not saved:**\n" + "\n".join(f"- {plain(p)}" for p in problems))
        try:
            with self.client_for(user) as client:
                if draft.version is None:
                    entry = client.kb_create(payload)
                else:
                    entry = client.kb_update(draft.slug.strip(), payload, version=draft.version)
        except ApiError as exc:
            return (*editor_values(draft), self._error(exc))
        return (*editor_values(draft_from_entry(entry)), saved_report(entry))

    def set_enabled(self, user: str, slug: str, enabled: bool) -> tuple[bool | None, int | None, str]:
        slug = (slug or "").strip()
        if not slug:
            return None, None, "Open an entry first."
        try:
            with self.client_for(user) as client:
                entry = client.kb_set_enabled(slug, enabled)
        except ApiError as exc:
            return None, None, self._error(exc)
        state = "enabled" if entry.enabled else "disabled"
        return entry.enabled, entry.version, f"**{plain(entry.slug)}** is {state} (version {entry.version})."

    def history(self, user: str, slug: str) -> str:
        slug = (slug or "").strip()
        if not slug:
            return "Open an entry first."
        try:
            with self.client_for(user) as client:
                return history_report(client.kb_history(slug))
        except ApiError as exc:
            return self._error(exc)

    def unmatched(self, user: str) -> tuple[list[list[Any]], str]:
        try:
            with self.client_for(user) as client:
                groups = sorted_groups(client.kb_unmatched())
        except ApiError as exc:
            return [], self._error(exc)
        if not groups:
            return [], "No unmatched failures: every stored failure has a KB entry."
        return group_rows(groups), f"{len(groups)} groups, most frequent first. Promote one by its number (#)."

    def promote(self, user: str, number: Any) -> tuple[Any, ...]:
        n = _int_or_none(number)
        try:
            with self.client_for(user) as client:
                groups = sorted_groups(client.kb_unmatched())
        except ApiError as exc:
            return (*editor_values(Draft()), self._error(exc))
        if n is None or not 1 <= n <= len(groups):
            return (*editor_values(Draft()), f"Pick a group number between 1 and {len(groups)}.")
        group = groups[n - 1]
        message = (
            f"New entry from group {n} ({group.count} failures on {len(group.hosts)} hosts). "
            "Check the pattern, write the solution, pick the category, then save."
        )
        return (*editor_values(draft_from_group(group)), message)

    def reanalyse(self, user: str, job_id: Any) -> str:
        n = _int_or_none(job_id)
        if n is None or n < 1:
            return "Give a job number."
        try:
            with self.client_for(user) as client:
                failures = client.reanalyse(n)
        except ApiError as exc:
            return self._error(exc)
        return reanalyse_report(n, failures)


def preview(solution: str) -> str:
    return inert_markdown(solution or "")


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


__all__ = ["ANY", "CATEGORIES", "KbHandlers", "editor_values", "preview"]
