"""The KB editor's event handlers: API call + ``ui.kb_logic``, returning what the widgets show.

Plain functions of plain values (no Gradio import), so they are easy to read and test; every
API refusal becomes an inert Markdown message, never an exception in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

from ui.client import ApiClient, ApiError, ApiUnavailable
from ui.kb_logic import (
    CATEGORIES,
    FORM_FIELDS,
    Draft,
    any_of,
    draft_from_entry,
    draft_from_fields,
    draft_from_group,
    entry_payload,
    int_or_none,
    probe_inputs,
)
from ui.kb_reports import (
    PatternWhy,
    SampleVerdict,
    api_problems,
    entries_rows,
    group_rows,
    history_report,
    match_report,
    probe_report,
    reanalyse_report,
    saved_report,
    sorted_groups,
    summarise,
    trend_line,
)
from ui.text import inert_markdown, plain

ClientFor = Callable[[str], ApiClient]
ANY = "any"
# The Unmatched tab's per-day line covers this many days.
TREND_DAYS = 14
# The entry kinds the search can keep: wrappers (a generic message that loses to a matching cause) or causes.
KINDS = (ANY, "wrapper", "cause")
# ui.kb_logic.EDITOR_FIELDS: the form (slug ... no_match_samples, wrapper), then enabled and the loaded version.
EditorValues = tuple[str, str, str, str, str, str, str, str, str, bool, bool, int | None]
EDIT_ROLES = frozenset({"kb-editor", "admin"})
MAX_PASTE = 100_000


def editor_values(draft: Draft) -> EditorValues:
    """The editor widgets' values, in the order the Blocks lists them."""
    values: EditorValues = astuple(draft)[:-1]  # without .problems
    return values


@dataclass
class KbHandlers:
    client_for: ClientFor

    def _error(self, exc: ApiError) -> str:
        if isinstance(exc, ApiUnavailable):
            return f"**The API is not reachable:** {plain(exc.detail)}. Try again once it answers."
        return api_problems(exc.detail, exc.errors)

    def sign_in(self, user: str) -> tuple[list[list[Any]], str, str, bool]:
        """On sign-in: the entry list, who is signed in, and whether edit controls are shown (kb-editor)."""
        if not (user or "").strip():
            return [], "", "Sign in with your API token to load the knowledge base.", False
        try:
            with self.client_for(user) as client:
                me = client.me()
        except ApiError as exc:
            return [], "", self._error(exc), False
        rows, found = self.search(user, "", ANY, ANY)
        editor = bool(EDIT_ROLES & set(me.roles))
        role = "" if editor else " Read-only: editing needs the kb-editor role."
        return rows, found, f"Signed in as **{plain(me.name)}** ({plain(', '.join(me.roles))}).{role}", editor

    def search(self, user: str, q: str, category: str, enabled: str, kind: str = ANY) -> tuple[list[list[Any]], str]:
        """Entries whose slug, title, solution, patterns or samples hold every word of ``q`` (the API searches);
        ``kind`` keeps only wrapper entries or only cause entries (the API filters)."""
        query = (q or "").strip()[:200]
        if kind not in KINDS:
            return [], f"Kind: one of {', '.join(KINDS)}."
        try:
            with self.client_for(user) as client:
                hits = client.kb_entries(
                    q=query or None,
                    category=None if category in ("", ANY) else category,
                    enabled=None if enabled in ("", ANY) else enabled == "enabled",
                    wrapper=None if kind == ANY else kind == "wrapper",
                    limit=500,
                )
        except ApiError as exc:
            return [], self._error(exc)
        fetched = len(hits)
        where = f" matching '{plain(query)}' (slug, title, solution, patterns, samples)" if query else ""
        which = {"wrapper": " (wrapper entries only)", "cause": " (cause entries only, no wrappers)"}.get(kind, "")
        capped = f" among the first {fetched}: narrow the search to see the rest" if fetched >= 500 else ""
        return entries_rows(hits), f"{len(hits)} entries{where}{which}{capped}"

    def match_error(self, user: str, text: str) -> str:
        """Paste an error: the entry that matches it, the patterns that do and the words they match."""
        text = (text or "").strip()
        if not text:
            return "Paste an error message or a few log lines first."
        if len(text) > MAX_PASTE:
            return f"That text is {len(text)} characters; paste at most {MAX_PASTE}."
        try:
            with self.client_for(user) as client:
                probe = client.kb_test(text=text, limit=1)
                best = client.kb_entry(probe.text_best) if probe.text_best else None
                why = []
                for pattern in best.patterns if best else []:
                    tested = client.kb_test(pattern, text=text, slug=best.slug if best else None, limit=1)
                    why.append(PatternWhy(pattern, bool(tested.pattern_matches_text), tested.pattern_match or ""))
        except ApiError as exc:
            return self._error(exc)
        return match_report(text, best, probe.text_matches, why)

    @staticmethod
    def unsaved(current: tuple[Any, ...], loaded: tuple[Any, ...] | None, discard: bool) -> str | None:
        """Why switching entries now would lose edits (None when it would not, or the user chose to discard)."""
        if discard or not current:
            return None
        form = len(FORM_FIELDS)  # the wrapper flag is part of the form Save writes
        now = tuple(current[:form])
        before = tuple(loaded[:form]) if loaded else tuple(editor_values(Draft()))[:form]
        if [str(v or "") for v in now] == [str(v or "") for v in before]:
            return None
        name = str(current[0] or "the new entry")
        return f"**Unsaved edits to {plain(name)}.** Save them, or tick *Discard my unsaved edits* and press again."

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
        """Create or update from the editor's values (a trailing extra value, e.g. the loaded snapshot, is ignored)."""
        draft = draft_from_fields(fields)
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

    def set_enabled(
        self, user: str, slug: str, enabled: bool, armed: str = ""
    ) -> tuple[bool | None, int | None, str, str]:
        """Enable at once; Disable asks first (a second press on the same entry confirms). Returns
        (enabled, version, message, armed slug)."""
        slug = (slug or "").strip()
        if not slug:
            return None, None, "Open an entry first.", ""
        if not enabled and armed != slug:
            return (
                None,
                None,
                f"**Disable {plain(slug)}?** Jobs stop getting its fix. Press *Disable* again to confirm.",
                slug,
            )
        try:
            with self.client_for(user) as client:
                entry = client.kb_set_enabled(slug, enabled)
        except ApiError as exc:
            return None, None, self._error(exc), ""
        state = "enabled" if entry.enabled else "disabled"
        return entry.enabled, entry.version, f"**{plain(entry.slug)}** is {state} (version {entry.version}).", ""

    def history(self, user: str, slug: str) -> str:
        slug = (slug or "").strip()
        if not slug:
            return "Open an entry first."
        try:
            with self.client_for(user) as client:
                return history_report(client.kb_history(slug))
        except ApiError as exc:
            return self._error(exc)

    def unmatched(self, user: str) -> tuple[list[list[Any]], str, bool]:
        """The groups, a message, and whether Promote is possible (there is a group to promote)."""
        try:
            with self.client_for(user) as client:
                groups = sorted_groups(client.kb_unmatched())
                trend = trend_line(client.kb_unmatched_trend(days=TREND_DAYS), TREND_DAYS)
        except ApiError as exc:
            return [], self._error(exc), False
        if not groups:
            return [], f"No unmatched failures: every stored failure has a KB entry.\n\n{trend}", False
        found = f"{len(groups)} groups, most frequent first. Promote one by its number (#)."
        return group_rows(groups), f"{found}\n\n{trend}", True

    def promote(self, user: str, number: Any) -> tuple[Any, ...]:
        """A new entry from unmatched group ``number``: pattern, title and slug suggested by the API
        (``POST /kb/suggest``); when the API cannot suggest, nothing is filled in and the message says why."""
        n = int_or_none(number)
        try:
            with self.client_for(user) as client:
                groups = sorted_groups(client.kb_unmatched())
                if n is None or not 1 <= n <= len(groups):
                    return (*editor_values(Draft()), f"Pick a group number between 1 and {len(groups)}.")
                group = groups[n - 1]
                try:
                    suggestion = client.kb_suggest(group.example or group.template)
                except ApiError as exc:
                    return (*editor_values(Draft()), _no_suggestion(n, exc))
        except ApiError as exc:
            return (*editor_values(Draft()), self._error(exc))
        message = (
            f"New entry from group {n} ({group.count} failures on {len(group.hosts)} hosts). "
            "Check the pattern, write the solution, pick the category, then save."
        )
        return (*editor_values(draft_from_group(group, suggestion)), message)

    def reanalyse(self, user: str, job_id: Any) -> str:
        n = int_or_none(job_id)
        if n is None or n < 1:
            return "Give a job number."
        try:
            with self.client_for(user) as client:
                failures = client.reanalyse(n)
        except ApiError as exc:
            return self._error(exc)
        return reanalyse_report(n, failures)


def _no_suggestion(group: int, exc: ApiError) -> str:
    """Why promoting a group filled nothing in: the API did not answer, or refused the suggestion."""
    if isinstance(exc, ApiUnavailable):
        why = f"the API is not reachable ({plain(exc.detail)})"
    else:
        why = f"the API refused ({plain(exc.detail)})"
    return (
        f"**No pattern suggestion for group {group}:** {why}. Nothing was filled in; "
        "promote the group again when the API answers, or write the entry with *New entry*."
    )


def preview(solution: str) -> str:
    return inert_markdown(solution or "")


__all__ = ["ANY", "CATEGORIES", "KINDS", "KbHandlers", "editor_values", "preview"]
