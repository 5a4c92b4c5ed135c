"""The Gradio KB editor's wiring against the real API served over HTTP: driven by gradio_client, and in headless
Chromium (system /usr/bin/chromium via Playwright) for the wrapper checkbox, with screenshots under test-artifacts/."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from gradio_client import Client

from core.db import connect
from core.settings import Settings
from tests.e2e.ui_browser import browser_page
from tests.integration.ui_api_server import serve_api
from ui.client import ApiClient, Credentials
from ui.kb_editor import WRAPPER_LABEL, build_app
from ui.kb_logic import EDITOR_FIELDS

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,  # Gradio start-up costs ~5 s on 2 cores
    # Gradio 6.31's queue analytics sets a pandas option that pandas 3 deprecates (a background thread).
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]
LOGS = Path(__file__).resolve().parents[2] / "evals" / "logs"
NO_SPACE = "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(NamedTuple):
    editor: Client  # the Gradio app, driven over HTTP
    api: str  # the API's base URL (the editor's only backend)
    url: str  # the Gradio app's URL, for the browser


@pytest.fixture
def served(pipeline_settings: Settings) -> Iterator[Served]:
    from kb.entries import SEED_PATH, import_file

    with connect(pipeline_settings.db.url or "") as conn:
        import_file(conn, SEED_PATH, "test")
        conn.commit()
    with serve_api(pipeline_settings) as api_port:
        app = build_app(f"http://127.0.0.1:{api_port}")
        port = _free_port()
        app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        try:
            yield Served(client, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{port}/")
        finally:
            client.close()
            app.close()


@pytest.fixture
def editor(served: Served) -> Client:
    return served.editor


def _rows(table: Any) -> list[list[Any]]:
    return table["data"] if isinstance(table, dict) else table


def test_sign_in_search_match_and_a_guarded_disable(editor: Client, demo_tokens: dict[str, str]) -> None:
    token = demo_tokens["kb-editor"]
    table, found, who, *shown = editor.predict(token, api_name="/sign_in")
    assert len(_rows(table)) > 5 and found.endswith("entries") and "kb\\-editor" in who
    assert all(u.get("visible") is True for u in shown), shown  # an editor gets the edit controls
    _, _, _, *hidden = editor.predict(demo_tokens["viewer"], api_name="/sign_in")
    assert all(u.get("visible") is False for u in hidden), hidden
    table, found = editor.predict(token, "No space left", "any", "any", "any", api_name="/search")
    assert _rows(table) and "matching 'No space left'" in found
    report = editor.predict(token, NO_SPACE, api_name="/match_error")
    assert report.startswith("**Matches ") and "**Why:**" in report
    slug = _rows(table)[0][0]
    first = editor.predict(token, slug, api_name="/disable")  # the armed slug is session state, not an input
    assert "Press *Disable* again to confirm" in first[2]
    second = editor.predict(token, slug, api_name="/disable")
    assert second[0] is False and "is disabled" in second[2]


def test_promote_fills_the_editor_with_the_apis_suggestion(
    served: Served, pipeline_settings: Settings, demo_tokens: dict[str, str]
) -> None:
    log = (LOGS / "unmatched-failure.log").read_text()
    with connect(pipeline_settings.db.url or "") as conn:
        row = conn.execute(
            "INSERT INTO ops.jobs (action, intent, hosts, requested_by, status) "
            "VALUES ('patch', '{}', ARRAY['web-prod-02'], 'test', 'failed') RETURNING id"
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO ops.job_stdout (job_id, content, size_bytes) VALUES (%s, %s, %s)",
            (row["id"], log, len(log)),
        )
        conn.commit()
    token, editor = demo_tokens["kb-editor"], served.editor
    assert "re-analysed" in editor.predict(token, row["id"], api_name="/reanalyse")
    table, message = editor.predict(token, api_name="/unmatched")
    assert len(_rows(table)) == 1 and message.startswith("1 groups")
    blank = [False, "", "", "other", "", "", "", "", "", "", False, True, None]  # discard, then the editor's fields
    slug, title, category, patterns, *_, samples, _, _, _, version, message, _ = editor.predict(
        *blank, token, 1, api_name="/promote"
    )
    assert message.startswith("New entry from group 1")
    with ApiClient(served.api, Credentials(token=token)) as api:
        [group] = api.kb_unmatched()
        suggestion = api.kb_suggest(group.example)
        assert api.kb_test(patterns, text=samples, limit=1).pattern_matches_text is True
    assert (slug, title, patterns, category) == (suggestion.slug, suggestion.title, suggestion.pattern, "other")
    assert samples == group.example and version is None


def _a_cause_entry(api: str, token: str) -> str:
    """The slug of an enabled seed entry that is not a wrapper (whichever comes first)."""
    with ApiClient(api, Credentials(token=token)) as client:
        return next(e.slug for e in client.kb_entries(limit=500) if e.enabled and not e.wrapper)


def test_save_entry_sets_the_wrapper_flag_and_search_filters_by_kind(
    served: Served, demo_tokens: dict[str, str]
) -> None:
    token, editor = demo_tokens["kb-editor"], served.editor
    slug = _a_cause_entry(served.api, token)
    blank = [False, "", "", "other", "", "", "", "", "", "", False, True, None]
    *values, message, _ = editor.predict(*blank, token, slug, api_name="/open_entry")  # State is not sent
    assert message.startswith("Opened ") and values[EDITOR_FIELDS.index("wrapper")] is False
    values[EDITOR_FIELDS.index("wrapper")] = True
    *saved, message = editor.predict(token, *values, api_name="/save_entry")
    assert message.startswith("Saved ") and "It is a wrapper" in message, message
    assert saved[EDITOR_FIELDS.index("wrapper")] is True
    assert saved[EDITOR_FIELDS.index("version")] == values[EDITOR_FIELDS.index("version")] + 1
    with ApiClient(served.api, Credentials(token=token)) as api:
        assert api.kb_entry(slug).wrapper is True
        wrappers = {e.slug for e in api.kb_entries(limit=500) if e.wrapper}
    table, found = editor.predict(token, "", "any", "any", "wrapper", api_name="/search")
    assert {r[0] for r in _rows(table)} == wrappers and "(wrapper entries only)" in found
    table, _ = editor.predict(token, "", "any", "any", "cause", api_name="/search")
    assert slug not in {r[0] for r in _rows(table)} and _rows(table)
    assert "marked a wrapper" in editor.predict(token, slug, api_name="/history")
    # A new entry created with the box ticked is a wrapper from its first version.
    new = dict(zip(EDITOR_FIELDS, blank[1:], strict=True)) | {
        "slug": "ui-test-generic-wrapper",
        "title": "A generic wrapper line from the UI test",
        "patterns": r"ui-test generic step \d+ failed",
        "solution": "Look for the cause named above this line.",
        "match_samples": "ui-test generic step 7 failed",
        "wrapper": True,
    }
    *created, message = editor.predict(token, *new.values(), api_name="/save_entry")
    assert message.startswith("Saved ") and created[EDITOR_FIELDS.index("version")] == 1, message
    with ApiClient(served.api, Credentials(token=token)) as api:
        assert api.kb_entry("ui-test-generic-wrapper").wrapper is True
    assert "created as a wrapper" in editor.predict(token, "ui-test-generic-wrapper", api_name="/history")


def test_ticking_wrapper_in_the_browser_saves_it(
    served: Served, demo_tokens: dict[str, str], artifacts_dir: Path
) -> None:
    token = demo_tokens["kb-editor"]
    slug = _a_cause_entry(served.api, token)
    with browser_page(width=1400, height=1600) as page_:
        page: Any = page_
        page.goto(served.url)
        box = page.locator("#kb-token").locator("input, textarea").first
        box.fill(token)
        box.press("Enter")
        page.locator("#kb-search-msg").get_by_text(re.compile(r"\d+ entries")).wait_for()  # loaded on sign-in
        page.locator("#kb-open-slug").locator("input, textarea").first.fill(slug)
        page.get_by_role("button", name="Open", exact=True).click()
        page.get_by_text(f"Opened {slug}", exact=False).wait_for()
        checkbox = page.get_by_label(WRAPPER_LABEL)
        assert not checkbox.is_checked()  # loaded from the entry: a cause
        page.screenshot(path=str(artifacts_dir / "1-opened.png"), full_page=True)
        checkbox.check()
        page.get_by_role("button", name="Save", exact=True).click()
        page.locator("#kb-save-msg").get_by_text("It is a wrapper", exact=False).wait_for()
        assert checkbox.is_checked()
        page.screenshot(path=str(artifacts_dir / "2-saved-as-wrapper.png"), full_page=True)
        with ApiClient(served.api, Credentials(token=token)) as api:
            entry = api.kb_entry(slug)
        assert entry.wrapper is True and entry.version >= 2
        page.get_by_role("button", name="History", exact=True).click()
        page.locator("#kb-history-out").get_by_text("marked a wrapper", exact=False).wait_for()
        page.get_by_role("tab", name="Entries").click()
        page.locator("#kb-kind").locator("input").first.click()
        page.get_by_role("option", name="wrapper", exact=True).click()
        page.get_by_role("button", name="Search", exact=True).click()
        page.locator("#kb-search-msg").get_by_text("wrapper entries only", exact=False).wait_for()
        page.locator("#kb-entries").get_by_text(slug, exact=True).first.wait_for()
        page.screenshot(path=str(artifacts_dir / "3-wrapper-filter.png"), full_page=True)
