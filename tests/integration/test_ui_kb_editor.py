"""The Gradio KB editor's wiring, driven by gradio_client against the real API served over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client

from core.db import connect
from core.settings import Settings
from tests.integration.ui_api_server import serve_api
from ui.kb_editor import build_app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,  # Gradio start-up costs ~5 s on 2 cores
    # Gradio 6.31's queue analytics sets a pandas option that pandas 3 deprecates (a background thread).
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]
NO_SPACE = "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def editor(pipeline_settings: Settings) -> Iterator[Client]:
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
            yield client
        finally:
            client.close()
            app.close()


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
