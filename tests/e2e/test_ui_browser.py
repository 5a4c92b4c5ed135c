"""The KB editor in a real browser against the fake API (runs without the stack).

The chat's browser journeys run against the real stack: tests/e2e/test_ui_journeys.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ui_browser import browser_page, free_port, spawn, stop, wait_http
from tests.unit.ui_fake_api import FakeServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.stop()


def _env(fake: FakeServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    return env | {"PATCHPILOT_API__HOST": "127.0.0.1", "PATCHPILOT_API__PORT": str(fake.port)}


@pytest.fixture
def kb_url(fake: FakeServer, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn(["-m", "cli.ui", "kb-ui", "--port", str(port)], _env(fake), tmp_path / "kb.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/", 90, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_kb_editor_promote_and_test_in_the_browser(kb_url: str, artifacts_dir: Path) -> None:
    with browser_page() as page_:
        page: Any = page_
        page.goto(kb_url)
        page.get_by_role("tab", name="Unmatched failures").click()
        page.get_by_role("button", name="Refresh").click()
        page.get_by_text("rpmdb open failed on host web-stg-02", exact=False).filter(visible=True).first.wait_for()
        # The group whose example holds a <script> is shown as text.
        page.get_by_text("<script>alert(1)</script> weird 7", exact=False).filter(visible=True).first.wait_for()
        page.screenshot(path=str(artifacts_dir / "1-unmatched.png"), full_page=True)
        page.locator("#kb-group-no input").fill("1")
        page.get_by_role("button", name="Promote to a new entry").click()
        page.get_by_text("New entry from group 1").wait_for()
        assert page.locator("#kb-patterns textarea").input_value() == "rpmdb open failed on host"
        page.get_by_role("button", name="Test patterns").click()
        page.locator("#kb-test-out").get_by_text("Past failures matched: 1").wait_for()
        page.screenshot(path=str(artifacts_dir / "2-tested.png"), full_page=True)
