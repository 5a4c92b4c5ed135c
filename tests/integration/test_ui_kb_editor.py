"""The Gradio KB editor's wiring, driven by gradio_client against the real API served over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from gradio_client import Client

from core.db import connect
from core.settings import Settings
from tests.integration.ui_api_server import serve_api
from ui.client import ApiClient, Credentials
from ui.kb_editor import build_app

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
            yield Served(client, f"http://127.0.0.1:{api_port}")
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
    table, found = editor.predict(token, "No space left", "any", "any", api_name="/search")
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
    blank = [False, "", "", "other", "", "", "", "", "", "", True, None]  # discard, then the editor's fields
    slug, title, category, patterns, *_, samples, _, _, version, message, _ = editor.predict(
        *blank, token, 1, api_name="/promote"
    )
    assert message.startswith("New entry from group 1")
    with ApiClient(served.api, Credentials(token=token)) as api:
        [group] = api.kb_unmatched()
        suggestion = api.kb_suggest(group.example)
        assert api.kb_test(patterns, text=samples, limit=1).pattern_matches_text is True
    assert (slug, title, patterns, category) == (suggestion.slug, suggestion.title, suggestion.pattern, "other")
    assert samples == group.example and version is None
