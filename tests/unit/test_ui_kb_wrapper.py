"""The KB editor's wrapper flag: form <-> entry <-> API body, the unsaved-edit guard, the table and the history."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from ui.client import ApiClient
from ui.kb_handlers import KINDS, KbHandlers, editor_values
from ui.kb_logic import EDITOR_FIELDS, FORM_FIELDS, Draft, draft_from_entry, draft_from_fields, entry_payload
from ui.kb_reports import (
    ENTRY_HEADERS,
    WRAPPER_MARK,
    describe_change,
    entries_rows,
    history_report,
    match_report,
    saved_report,
)
from ui.models import KbEntry, KbRevision, SavedEntry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MODULE_FAILURE = "fatal: [web-stg-01]: FAILED! => MODULE FAILURE\nSee stdout/stderr for the exact error"


def _entry(**fields: Any) -> dict[str, Any]:
    """An entry as the API sends it (every required field), with ``fields`` over the defaults."""
    base = {
        "slug": "module-failure",
        "title": "An Ansible module failed",
        "category": "other",
        "patterns": [r"MODULE FAILURE"],
        "modules": ["dnf"],
        "solution": "Read the module's stderr for the cause.",
        "samples": {"match": [MODULE_FAILURE], "no_match": []},
        "id": 7,
        "version": 3,
        "updated_by": "kb-editor",
        "updated_at": NOW,
        "created_at": NOW,
    }
    return base | fields


def _refusing_client(user: str) -> ApiClient:
    raise AssertionError(f"no API call expected (asked for a client as {user!r})")


def _valid_draft(**fields: Any) -> Draft:
    base = Draft(
        slug="module-failure",
        title="An Ansible module failed",
        category="other",
        patterns="MODULE FAILURE",
        solution="Read the module's stderr.",
        match_samples=MODULE_FAILURE,
    )
    return Draft(**(asdict(base) | fields))


@pytest.mark.parametrize("flag", [True, False])
def test_the_flag_goes_from_the_entry_to_the_form_and_into_the_api_body(flag: bool) -> None:
    draft = draft_from_entry(KbEntry.model_validate(_entry(wrapper=flag)))
    assert draft.wrapper is flag
    values = editor_values(draft)
    assert len(values) == len(EDITOR_FIELDS) and values[EDITOR_FIELDS.index("wrapper")] is flag
    assert draft_from_fields(values) == draft  # the widgets' values read back into the same draft
    payload, problems = entry_payload(draft)
    assert problems == [] and payload is not None and payload["wrapper"] is flag


def test_the_form_reads_the_checkbox_by_position_and_ignores_trailing_state() -> None:
    fields = ["a-b", "Title", "disk", "p", "dnf", "fix", "", "s", "", True, False, 4.0, ("loaded", "snapshot")]
    draft = draft_from_fields(fields)
    assert (draft.wrapper, draft.enabled, draft.version, draft.modules) == (True, False, 4, "dnf")
    assert draft_from_fields(fields[:9]).wrapper is False  # a form without the box: not a wrapper


def test_ticking_the_box_is_an_unsaved_edit() -> None:
    loaded = editor_values(draft_from_entry(KbEntry.model_validate(_entry(wrapper=False))))
    ticked = list(loaded)
    ticked[FORM_FIELDS.index("wrapper")] = True
    assert KbHandlers.unsaved(loaded, loaded, False) is None
    assert "Unsaved edits to module\\-failure" in (KbHandlers.unsaved(tuple(ticked), loaded, False) or "")
    assert KbHandlers.unsaved(tuple(ticked), loaded, True) is None
    blank_ticked = list(editor_values(Draft()))
    blank_ticked[FORM_FIELDS.index("wrapper")] = True
    assert KbHandlers.unsaved(editor_values(Draft()), None, False) is None
    assert KbHandlers.unsaved(tuple(blank_ticked), None, False) is not None


def test_a_refused_save_keeps_the_ticked_box_and_calls_no_api() -> None:
    h = KbHandlers(_refusing_client)
    values = editor_values(_valid_draft(wrapper=True, solution=""))
    *kept, message = h.save("kb-editor", *values, ("a loaded snapshot",))
    assert message.startswith("**Not saved:**") and "Solution" in message
    assert tuple(kept) == values and kept[EDITOR_FIELDS.index("wrapper")] is True


def test_an_unknown_kind_is_refused_before_any_call() -> None:
    rows, message = KbHandlers(_refusing_client).search("viewer", "", "any", "any", "wrappers")
    assert rows == [] and message == f"Kind: one of {', '.join(KINDS)}."


def test_the_table_marks_wrappers_in_their_own_column() -> None:
    rows = entries_rows(
        [
            KbEntry.model_validate(_entry(wrapper=True)),
            KbEntry.model_validate(_entry(slug="gpg-key-expired", wrapper=False)),
        ]
    )
    column = ENTRY_HEADERS.index("wrapper")
    assert all(len(r) == len(ENTRY_HEADERS) for r in rows)
    assert [(r[0], r[column]) for r in rows] == [("module-failure", WRAPPER_MARK), ("gpg-key-expired", "")]
    assert rows[0][ENTRY_HEADERS.index("version")] == 3  # the columns after it keep their values


def test_the_history_names_a_wrapper_flip() -> None:
    old = {"title": "t", "patterns": ["x"], "enabled": True}  # saved before the flag existed: not a wrapper
    assert describe_change(old, old | {"wrapper": False}) == "saved unchanged"
    assert describe_change(old, old | {"wrapper": True}) == "marked a wrapper (loses to a matching cause)"
    assert describe_change(old | {"wrapper": True}, old | {"wrapper": False}) == "no longer a wrapper"
    both = describe_change(old, old | {"wrapper": True, "enabled": False, "patterns": ["y"]})
    assert both == "disabled; marked a wrapper (loses to a matching cause); edited: patterns"
    assert describe_change(None, old | {"wrapper": True}) == "created as a wrapper"
    revisions = [
        KbRevision.model_validate({"version": v, "data": d, "changed_by": "kb-editor", "changed_at": NOW})
        for v, d in ((1, old), (2, old | {"wrapper": True}), (3, old | {"wrapper": True, "title": "u"}))
    ]
    report = history_report(revisions)
    lines = report.splitlines()
    assert lines[2].startswith("| 3 |") and lines[2].endswith("| edited: title |")
    assert lines[3].startswith("| 2 |") and r"| marked a wrapper \(loses to a matching cause\) |" in lines[3]
    assert lines[4].endswith("| created |")


def test_saves_and_matches_say_when_the_entry_is_a_wrapper() -> None:
    assert "It is a wrapper" in saved_report(SavedEntry.model_validate(_entry(wrapper=True)))
    assert "wrapper" not in saved_report(SavedEntry.model_validate(_entry(wrapper=False)))
    wrapper = KbEntry.model_validate(_entry(wrapper=True))
    assert "This entry is a wrapper" in match_report(MODULE_FAILURE, wrapper, [wrapper.slug], [])
    cause = KbEntry.model_validate(_entry(wrapper=False))
    assert "wrapper (a generic message)" not in match_report(MODULE_FAILURE, cause, [cause.slug], [])
