"""The Streamlit chat, driven by AppTest against a fake API served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from tests.unit.ui_fake_api import FakeServer

APP = str(Path(__file__).resolve().parents[2] / "ui" / "chat.py")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    server = FakeServer()
    monkeypatch.setenv("PATCHPILOT_API__HOST", "127.0.0.1")
    monkeypatch.setenv("PATCHPILOT_API__PORT", str(server.port))
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def _app(user: str = "alice") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=15)
    at.run()
    if user:
        at.text_input(key="token").input(user).run()  # the fake API's tokens are user names
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.text] + [c.value for c in at.code]
    parts += [e.value for e in (*at.error, *at.warning, *at.success, *at.info)]
    # Markdown escapes (plain()) are dropped so assertions read like the screen.
    return "\n".join(str(p) for p in parts).replace("\\", "")


def _say(at: AppTest, message: str) -> AppTest:
    at.chat_input(key="prompt").set_value(message).run()
    return at


def test_proposal_card_lists_hosts_by_environment_and_options(fake: FakeServer) -> None:
    at = _say(_app(), "patch web-stg-01 and db-prod-01, security only")
    assert not at.exception
    text = _texts(at)
    assert "Please confirm: patch on 2 host(s)" in text
    assert "**prod** (1): db-prod-01" in text
    assert "**staging** (1): web-stg-01" in text
    assert "Security updates only: yes" in text
    assert "Starts now" in text
    assert any("second person must approve" in w.value for w in at.warning)
    # Server HTML is escaped, never live.
    assert "&lt;b&gt;now&lt;/b&gt;" in text
    assert at.button(key="confirm") and at.button(key="cancel")
    # The identity went with every call.
    assert {u for _, path, u in fake.api.requests if path.endswith("/chat")} == {"alice"}


def test_confirm_follows_the_job_live_to_its_result_with_kb_fixes(fake: FakeServer) -> None:
    at = _say(_app(), "patch web-stg-01 and web-stg-02")
    at.button(key="confirm").click().run()
    assert not at.exception
    assert "Job 1 is queued." in _texts(at)
    assert "confirm" not in [b.key for b in at.button]
    seen = set()
    for _ in range(6):
        seen |= {str(s.value) for s in at.subheader}
        if any("finished with failures" in s for s in seen):
            break
        at.run()
    assert any("Job 1: running" in s for s in seen), seen
    assert any("Job 1: finished with failures" in s for s in seen), seen
    text = _texts(at)
    assert "Job 1 finished: 1 of 2 host(s) need attention." in text
    assert "No space left on device" in text
    assert any("Known fix: dnf: no space left on device" in s.value for s in at.success)
    assert "&lt;script&gt;" in text and "<script>" not in text.replace("`", "")
    # The unmatched failure says so instead of inventing a fix.
    assert any("No known fix" in i.value for i in at.info)
    assert [m.value for m in at.metric] == ["1", "1"]
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download the full log"]
    # The sidebar lists the job.
    assert any(b.label.startswith("#1 patch 2 hosts") for b in at.sidebar.button)


def test_stale_confirmation_is_explained_and_dropped(fake: FakeServer) -> None:
    at = _say(_app(), "patch web-stg-01")
    fake.api.stale_next_confirm = True
    at.button(key="confirm").click().run()
    errors = [e.value for e in at.error]
    assert any("can no longer be confirmed" in e and "stale" in e for e in errors), errors
    assert "confirm" not in [b.key for b in at.button]
    assert fake.api.jobs == {}


def test_cancel_runs_nothing(fake: FakeServer) -> None:
    at = _say(_app(), "patch web-stg-01")
    at.button(key="cancel").click().run()
    assert "Cancelled. Nothing was run." in _texts(at)
    assert fake.api.jobs == {}
    dropped = [(m, u) for m, p, u in fake.api.requests if p.endswith("/pending")]
    assert dropped == [("DELETE", "alice")]
    assert fake.api.tokens == {}


def test_server_error_shows_detail_not_a_trace(fake: FakeServer) -> None:
    at = _say(_app(), "explode please")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["unexpected error; it was logged with reference abc123"]


def test_api_down_is_a_clear_message(fake: FakeServer) -> None:
    fake.stop()
    at = _say(_app(), "patch web-stg-01")
    assert not at.exception
    assert any("is not answering" in e.value for e in at.error)


def test_approval_by_the_requester_is_refused_with_the_api_detail(fake: FakeServer) -> None:
    at = _say(_app(), "patch db-prod-01")
    at.button(key="confirm").click().run()
    assert any("Job 1: waiting for a second person" in str(s.value) for s in at.subheader)
    at.button(key="approve-1").click().run()
    assert any("a second person must approve" in e.value for e in at.error)
    assert fake.api.jobs[1].approved_by is None


def test_empty_prompt_is_refused(fake: FakeServer) -> None:
    at = _say(_app(), "   ")
    assert [e.value for e in at.error] == ["Type a request first\\."]  # plain() escapes the full stop
    assert not [p for _, p, _ in fake.api.requests if p.endswith("/chat")]
