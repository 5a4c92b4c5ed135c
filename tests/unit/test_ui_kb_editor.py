"""The Gradio KB editor, driven by gradio_client on a free port against a fake API over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client

from tests.unit.ui_fake_api import UNMATCHED, FakeJob, FakeServer
from ui.kb_editor import build_app

pytestmark = [
    pytest.mark.slow,  # Gradio start-up costs ~5 s on 2 cores
    # Gradio 6.31's queue analytics sets a pandas option that pandas 3 deprecates (a background thread).
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def editor(fake: FakeServer) -> Iterator[Client]:
    app = build_app(fake.url)
    port = _free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    yield client
    client.close()
    app.close()


def _rows(table: Any) -> list[list[Any]]:
    return table["data"] if isinstance(table, dict) else table


def test_search_filters_entries(editor: Client, fake: FakeServer) -> None:
    table, status = editor.predict("carol", "space", "any", "any", api_name="/search")
    assert [r[0] for r in _rows(table)] == ["dnf-no-space-left"]
    assert status == "1 entries"
    table, _ = editor.predict("carol", "", "network", "any", api_name="/search")
    assert _rows(table) in ([], [["", "", "", "", ""]])
    assert ("GET", "/api/v1/kb/entries", "carol") in fake.api.requests


def test_promote_prefills_a_draft_that_tests_and_saves(editor: Client, fake: FakeServer) -> None:
    table, _ = editor.predict("carol", api_name="/unmatched")
    rows = _rows(table)
    assert [int(r[1]) for r in rows] == [3, 1]  # most frequent first
    draft = editor.predict("carol", 1, api_name="/promote")
    slug, title, category, patterns, _modules, solution, _refs, match, _no_match, enabled, version, msg = draft
    assert msg.startswith("New entry from group 1 (3 failures on 2 hosts)")
    assert patterns == "rpmdb open failed on host"
    assert match == UNMATCHED
    assert (title, slug) == ("Rpmdb open failed on host", "rpmdb-open-failed-on-host")
    assert version is None and enabled is True and solution == ""
    report = editor.predict("carol", slug, patterns, match, "", api_name="/test_patterns")
    assert "✅ should match, matches" in report
    assert "Past failures matched:** 1" in report
    assert "job 1, web\\-stg\\-02, Check rpmdb (unmatched)" in report
    assert "Conflicts with other entries:** none" in report
    # One call per pattern plus one per sample (the patterns joined into one alternation).
    calls = fake.api.test_calls
    editor.predict("carol", slug, patterns + "\nrpmdb open", match, "no match here", api_name="/test_patterns")
    assert fake.api.test_calls - calls == 2 + 2
    # Saving without a solution is refused before any call.
    before = len(fake.api.requests)
    refused = editor.predict(
        "carol", slug, title, category, patterns, "", "", "", match, "", True, None, api_name="/save_entry"
    )
    assert "Solution: say how to fix it" in refused[-1]
    assert len(fake.api.requests) == before
    saved = editor.predict(
        "carol",
        "rpmdb-open-failed",
        title,
        "other",
        patterns,
        "rpm",
        "Run `rpm --rebuilddb`.",
        "",
        match,
        "",
        True,
        None,
        api_name="/save_entry",
    )
    assert saved[-1] == "Saved **rpmdb\\-open\\-failed**, version 1."
    assert saved[10] == 1
    assert fake.api.entries["rpmdb-open-failed"]["updated_by"] == "carol"
    fake.api.jobs[1] = FakeJob(id=1, hosts=["web-stg-02"], requested_by="alice", steps=9)
    report = editor.predict("carol", 1, api_name="/reanalyse")
    assert report.splitlines()[0] == "Job 1 re-analysed: 2 of 2 failure(s) have a KB match."
    assert "Check rpmdb: rpmdb\\-open\\-failed (exact)" in report


def test_invalid_regex_gets_the_re2_message(editor: Client) -> None:
    report = editor.predict("carol", "x", "(unclosed", "text", "", api_name="/test_patterns")
    assert report == "**Invalid pattern 1 (RE2):** invalid pattern '\\(unclosed': missing \\): \\(unclosed"


def test_empty_and_huge_input_are_refused(editor: Client) -> None:
    assert editor.predict("carol", "x", "   ", "", "", api_name="/test_patterns").startswith("Type a pattern")
    out = editor.predict(
        "carol", "Bad Slug", "<b>x</b>", "other", "a", "", "s", "", "sample", "", True, None, api_name="/save_entry"
    )
    assert "Slug: use lowercase" in out[-1]
    assert "Title: plain text only" in out[-1]


def test_edit_history_and_disable(editor: Client, fake: FakeServer) -> None:
    opened = editor.predict("dave", "dnf-no-space-left", api_name="/open_entry")
    assert opened[0] == "dnf-no-space-left" and opened[10] == 1
    fields = list(opened[:11])
    fields[1] = "dnf: out of disk space"
    saved = editor.predict("dave", *fields, api_name="/save_entry")
    assert saved[10] == 2 and saved[1] == "dnf: out of disk space"
    assert fake.api.entries["dnf-no-space-left"]["updated_by"] == "dave"
    enabled, version, message = editor.predict("dave", "dnf-no-space-left", api_name="/disable")
    assert enabled is False and version == 3 and "is disabled" in message
    history = editor.predict("dave", "dnf-no-space-left", api_name="/history").splitlines()
    assert [row.split(" | ")[0] for row in history[2:]] == ["| 3", "| 2", "| 1"]
    assert history[2].endswith("| dave | disabled |")
    assert history[3].endswith("| dave | edited: title |")
    assert history[4].endswith("| seed | created |")
    editor.predict("dave", "dnf-no-space-left", api_name="/enable")


def test_html_in_server_text_is_inert(editor: Client, fake: FakeServer) -> None:
    fake.api.matched_slug = None  # the groups come back
    table, _ = editor.predict("carol", api_name="/unmatched")
    assert any("<script>" in str(r[-1]) for r in _rows(table))  # a table cell shows text, not markup
    report = editor.predict("carol", "x", "weird", "<script>alert(1)</script> weird 7", "", api_name="/test_patterns")
    assert "<script>" not in report.replace("`<script>alert(1)</script> weird 7`", "")
