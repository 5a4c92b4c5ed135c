"""The Streamlit chat driven by AppTest against the real API (``create_app`` over HTTP), worker and AWX emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from core.db import connect
from core.settings import Settings, get_settings
from tests.integration.conftest import bearer, wait_for
from tests.integration.ui_api_server import serve_api

pytestmark = [pytest.mark.integration]
APP = str(Path(__file__).resolve().parents[2] / "ui" / "chat.py")


@pytest.fixture
def api_port(awx_settings: Settings, worker: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    from kb.entries import SEED_PATH, import_file

    with connect(awx_settings.db.url or "") as conn:
        import_file(conn, SEED_PATH, "test")
        conn.commit()
    with serve_api(awx_settings) as port:
        monkeypatch.setenv("PATCHPILOT_API__HOST", "127.0.0.1")
        monkeypatch.setenv("PATCHPILOT_API__PORT", str(port))
        get_settings.cache_clear()
        yield port
    get_settings.cache_clear()


def _app(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.text_input(key="token").input(token).run()
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.text] + [c.value for c in at.code]
    parts += [e.value for e in (*at.error, *at.warning, *at.success, *at.info)]
    parts += [str(s.value) for s in at.subheader]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # plain()'s escapes dropped: reads like the screen


def _say(at: AppTest, message: str) -> AppTest:
    at.chat_input(key="prompt").set_value(message).run()
    return at


def _jobs(port: int, token: str) -> int:
    r = httpx.get(f"http://127.0.0.1:{port}/api/v1/jobs", headers=bearer(token), timeout=10)
    return int(r.json()["total"])


def test_the_card_shows_environments_risk_and_no_token(api_port: int, demo_tokens: dict[str, str]) -> None:
    at = _say(_app(demo_tokens["operator"]), "patch web-stg-01 and db-prod-01, security only")
    assert not at.exception
    text = _texts(at)
    assert "Please confirm: patch on 2 host(s)" in text
    assert ":red-badge[prod] (1): db-prod-01 :red-badge[critical]" in text
    assert ":blue-badge[staging] (1): web-stg-01" in text
    assert "Security updates only: yes" in text
    assert ":red-badge[HIGH RISK] High risk: 1 prod host" in text
    assert any("second person (an approver) must approve" in w.value for w in at.warning)
    assert at.button(key="confirm").disabled  # high risk: the host count must be typed first
    at.text_input(key="typed_count").input("2").run()
    assert not at.button(key="confirm").disabled
    pending = at.session_state["conversation"].pending
    assert pending is not None and pending.token not in text


@pytest.mark.scenario(hosts={"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"}})
def test_confirm_follows_the_job_to_a_report_with_kb_fixes(api_port: int, demo_tokens: dict[str, str]) -> None:
    at = _say(_app(demo_tokens["operator"]), "patch web-stg-01 and web-stg-02, never reboot")
    at.button(key="confirm").click().run()
    assert not at.exception
    job_id = at.session_state["conversation"].job_id
    assert job_id is not None and f"Job {job_id} is queued for web-stg-01, web-stg-02." in _texts(at)
    assert "confirm" not in [b.key for b in at.button]
    seen: set[str] = set()

    def finished() -> bool:
        # the job ends at collect; its failures are matched by the analysis task that collect sends afterwards
        at.run()
        seen.update(str(s.value) for s in at.subheader)
        ended = any(f"Job {job_id}: finished with failures" in s for s in seen)
        return ended and any("Known fix" in s.value for s in at.success)

    wait_for(finished, timeout=60, interval=0.3)
    text = _texts(at)
    assert f"Job {job_id} finished: 1 of 2 host(s) need attention." in text
    assert ":green-badge[1 patched]" in text and ":red-badge[1 failed]" in text
    assert any("Known fix" in s.value for s in at.success)
    assert any("asked by operator" in c.value and c.value.endswith("UTC") for c in at.caption)  # times with zone
    assert [d.proto.label for d in at.get("download_button")] == ["Download the full log"]
    assert any(b.label.startswith(f"#{job_id} patch 2 hosts") for b in at.sidebar.button)


def test_cancel_runs_nothing_and_a_dropped_proposal_is_explained(api_port: int, demo_tokens: dict[str, str]) -> None:
    at = _say(_app(demo_tokens["operator"]), "patch web-stg-01")
    at.button(key="cancel").click().run()
    assert "Cancelled. Nothing was run." in _texts(at)
    at = _say(at, "patch web-stg-01")
    session = at.session_state["session_id"]
    dropped = httpx.delete(
        f"http://127.0.0.1:{api_port}/api/v1/chat/{session}/pending", headers=bearer(demo_tokens["operator"])
    )
    assert dropped.status_code == 200
    at.button(key="confirm").click().run()
    assert any("can no longer be confirmed" in e.value for e in at.error), [e.value for e in at.error]
    assert _jobs(api_port, demo_tokens["operator"]) == 0


def test_the_requester_never_sees_approve(api_port: int, demo_tokens: dict[str, str]) -> None:
    at = _say(_app(demo_tokens["operator"]), "patch db-prod-01")
    at.text_input(key="typed_count").input("1").run()
    at.button(key="confirm").click().run()
    at.run()
    assert any("waiting for a second person" in str(s.value) for s in at.subheader)
    assert not [b for b in at.button if "approve" in (b.key or "")]
    assert not [b for b in at.sidebar.button if b.key == "open-approvals"]


def test_a_viewer_gets_a_disabled_chat_with_the_reason(api_port: int, demo_tokens: dict[str, str]) -> None:
    at = _app(demo_tokens["viewer"])
    assert not at.exception
    assert at.chat_input(key="prompt").disabled
    assert any("Read-only: your role (viewer)" in i.value for i in at.info)


def test_empty_prompt_and_api_down(awx_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_api(awx_settings) as port:
        monkeypatch.setenv("PATCHPILOT_API__HOST", "127.0.0.1")
        monkeypatch.setenv("PATCHPILOT_API__PORT", str(port))
        get_settings.cache_clear()
    at = _app("pp_not-a-real-token")  # the server is gone now
    assert not at.exception
    assert any("is not answering" in c.value for c in at.sidebar.caption)
    get_settings.cache_clear()
