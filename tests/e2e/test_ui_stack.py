"""The whole stack as ``make up`` starts it, driven through both UIs in headless Chromium.

Chat: ask to patch web-stg-01 and web-stg-02, confirm, watch the job run (the demo scenario
fails web-stg-02 with dnf-no-space-left; ~20 s), see the failed host with its KB fix.
KB editor: disable that entry and re-analyse so the failure becomes an unmatched group,
promote the group to a new entry, test its pattern, save it, re-analyse, see the new match.

Ports: every service gets a free port through ``patchpilot up``'s port options.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.ui_browser import browser_page, free_port, spawn, stop, wait_http

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@dataclass
class Stack:
    api: str
    chat: str
    kb: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``patchpilot up`` exactly as ``make up`` runs it, on free ports and a fresh PATCHPILOT_HOME."""
    home = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env |= {"PATCHPILOT_HOME": str(home), "PATCHPILOT_ENV": "development"}
    ports = {"api": free_port(), "chat": free_port(), "kb": free_port(), "awx": free_port()}
    args = [
        "-m",
        "cli.main",
        "up",
        "--api-port",
        str(ports["api"]),
        "--chat-port",
        str(ports["chat"]),
        "--kb-port",
        str(ports["kb"]),
        "--awx-port",
        str(ports["awx"]),
    ]
    proc = spawn(args, env, home / "up.log")
    try:
        api = f"http://127.0.0.1:{ports['api']}"
        wait_http(f"{api}/healthz", 240, proc)
        chat, kb = f"http://127.0.0.1:{ports['chat']}", f"http://127.0.0.1:{ports['kb']}"
        wait_http(f"{chat}/_stcore/health", 120, proc)
        wait_http(f"{kb}/", 120, proc)
        tokens = json.loads((home / "demo-tokens.json").read_text())
        yield Stack(api=api, chat=chat, kb=kb, tokens=tokens)
    finally:
        stop(proc, timeout=90, env=env)


def _gradio_box(page: Any, elem_id: str) -> Any:
    return page.locator(f"#{elem_id}").locator("textarea, input").first


def _chat_job(page: Any, stack: Stack, shots: Path) -> int:
    page.goto(stack.chat)
    page.get_by_label("API token", exact=True).and_(page.locator("input")).fill(stack.tokens["operator"])
    page.get_by_label("API token", exact=True).and_(page.locator("input")).press("Enter")
    page.get_by_text("Signed in as operator").wait_for()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("patch web-stg-01 and web-stg-02")
    box.press("Enter")
    page.get_by_role("button", name="Confirm").wait_for(timeout=60_000)
    page.screenshot(path=str(shots / "1-confirmation.png"), full_page=True)
    page.get_by_text("web-stg-01", exact=False).first.wait_for()
    page.get_by_role("button", name="Confirm").click()
    heading = page.get_by_text(re.compile(r"^Job \d+: ")).first
    heading.wait_for(timeout=30_000)
    job_id = int(re.search(r"Job (\d+):", heading.inner_text()).group(1))  # type: ignore[union-attr]
    page.get_by_text(re.compile(rf"Job {job_id}: (running|launching|queued|collecting)")).first.wait_for(timeout=30_000)
    page.screenshot(path=str(shots / "2-running.png"), full_page=True)
    page.get_by_text(f"Job {job_id}: finished with failures").wait_for(timeout=120_000)
    page.screenshot(path=str(shots / "3-result.png"), full_page=True)
    page.get_by_text(re.compile(r"web-stg-02 · task: ")).first.wait_for()
    page.get_by_text(re.compile(r"Known fix: .*(space|disk)", re.I)).first.wait_for()
    return job_id


def test_chat_to_fix_then_curate_the_kb(stack: Stack, artifacts_dir: Path) -> None:
    with browser_page() as page_:
        page: Any = page_
        job_id = _chat_job(page, stack, artifacts_dir)
        auth = {"Authorization": f"Bearer {stack.tokens['viewer']}"}
        failures = httpx.get(f"{stack.api}/api/v1/jobs/{job_id}", headers=auth, timeout=10).json()["failures"]
        slug = next(f["kb"]["slug"] for f in failures if f["host"] == "web-stg-02" and f["kb"])

        # KB editor: take the known entry out so the failure becomes an unmatched group.
        page.goto(stack.kb)
        _gradio_box(page, "kb-token").fill(stack.tokens["kb-editor"])
        _gradio_box(page, "kb-token").press("Enter")
        page.locator("#kb-search-msg").get_by_text(re.compile(r"\d+ entries")).wait_for()  # loaded on sign-in
        _gradio_box(page, "kb-open-slug").fill(slug)
        page.get_by_role("button", name="Open", exact=True).click()
        page.get_by_text(f"Opened {slug}", exact=False).wait_for()
        page.get_by_role("button", name="Disable").click()
        page.get_by_text("Press Disable again to confirm", exact=False).wait_for()  # Disable asks first
        page.get_by_role("button", name="Disable").click()
        page.get_by_text("is disabled", exact=False).wait_for()
        _gradio_box(page, "kb-job").fill(str(job_id))
        page.get_by_role("button", name="Re-analyse").click()
        page.locator("#kb-reanalyse-out").get_by_text("re-analysed", exact=False).wait_for()
        page.screenshot(path=str(artifacts_dir / "4-disabled-reanalysed.png"), full_page=True)

        page.get_by_role("tab", name="Unmatched failures").click()
        page.get_by_role("button", name="Refresh").click()
        page.get_by_text("most frequent first", exact=False).wait_for()
        page.screenshot(path=str(artifacts_dir / "5-unmatched.png"), full_page=True)
        _gradio_box(page, "kb-group-no").fill("1")
        page.get_by_role("button", name="Promote to a new entry").click()
        page.get_by_text("New entry from group 1", exact=False).wait_for()
        assert _gradio_box(page, "kb-patterns").input_value()
        _gradio_box(page, "kb-slug").fill("e2e-disk-full")
        page.locator("#kb-category").locator("input").first.click()
        page.get_by_role("option", name="disk").click()
        _gradio_box(page, "kb-solution").fill("Free space on /var: `dnf clean all`, then retry.")
        page.get_by_role("button", name="Test patterns").click()
        try:
            page.locator("#kb-test-out").get_by_text("should match, matches", exact=False).wait_for()
        finally:
            page.screenshot(path=str(artifacts_dir / "debug-tested.png"), full_page=True)
        page.locator("#kb-test-out").get_by_text(re.compile(r"Past failures matched: [1-9]")).wait_for()
        page.screenshot(path=str(artifacts_dir / "6-tested.png"), full_page=True)
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved e2e-disk-full", exact=False).wait_for()
        page.get_by_role("button", name="Re-analyse").click()
        page.locator("#kb-reanalyse-out").get_by_text("e2e-disk-full (exact)", exact=False).wait_for()
        page.screenshot(path=str(artifacts_dir / "7-new-match.png"), full_page=True)

        # The chat shows the new fix for the job.
        page.goto(stack.chat)
        page.get_by_label("API token", exact=True).and_(page.locator("input")).fill(stack.tokens["operator"])
        page.get_by_label("API token", exact=True).and_(page.locator("input")).press("Enter")
        page.get_by_role("button", name=re.compile(rf"^#{job_id} ")).click()
        page.get_by_text(re.compile(r"Known fix: ")).first.wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "8-chat-new-fix.png"), full_page=True)
        job = httpx.get(f"{stack.api}/api/v1/jobs/{job_id}", headers=auth, timeout=10).json()
        assert any(f["kb"] and f["kb"]["slug"] == "e2e-disk-full" for f in job["failures"])
