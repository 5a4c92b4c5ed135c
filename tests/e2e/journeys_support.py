"""The stack and the small steps the UI journeys share: sign in, say something, call the API as a role."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.ui_browser import free_port, spawn, stop, wait_http

# 40-s jobs (the demo's are 20 s) so a browser sees live progress move; web-stg-02 fails, app-dev-02 is unreachable.
SCENARIO = """
inventory: {inventory}
duration_s: 40
event_lag_s: 0.5
default_outcome: changed
hosts:
  web-stg-02: {{outcome: failed, family: dnf-no-space-left}}
  app-dev-02: {{outcome: unreachable, family: ssh-connect-failed}}
"""
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    api: str
    chat: str
    kb: str
    tokens: dict[str, str]
    awx: str = ""  # the AWX emulator (its /_emulator/launches/ counts launches per patchpilot job)


@pytest.fixture(scope="module", name="stack")
def stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``patchpilot up`` on free ports, a fresh PATCHPILOT_HOME and the 40-s scenario; stopped at the end."""
    home = tmp_path_factory.mktemp("journeys")
    scenario = home / "scenario.yaml"
    scenario.write_text(SCENARIO.format(inventory=ROOT / "evals" / "inventory.yaml"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env |= {"PATCHPILOT_HOME": str(home), "PATCHPILOT_ENV": "development"}
    ports = {"api": free_port(), "chat": free_port(), "kb": free_port(), "awx": free_port()}
    args = ["-m", "cli.main", "up", "--scenario", str(scenario)]
    for name in ("api", "chat", "kb", "awx"):
        args += [f"--{name}-port", str(ports[name])]
    proc = spawn(args, env, home / "up.log")
    try:
        api_url = f"http://127.0.0.1:{ports['api']}"
        wait_http(f"{api_url}/healthz", 240, proc)
        chat_url, kb_url = f"http://127.0.0.1:{ports['chat']}", f"http://127.0.0.1:{ports['kb']}"
        wait_http(f"{chat_url}/_stcore/health", 120, proc)
        wait_http(f"{kb_url}/", 120, proc)
        tokens = json.loads((home / "demo-tokens.json").read_text())
        yield Stack(api=api_url, chat=chat_url, kb=kb_url, tokens=tokens, awx=f"http://127.0.0.1:{ports['awx']}")
    finally:
        stop(proc, timeout=90, env=env)


def awx_launches(stack: Stack) -> dict[str, int]:
    return dict(httpx.get(f"{stack.awx}/_emulator/launches/", timeout=10).json())


def api(stack: Stack, user: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {stack.tokens[user]}"}
    return httpx.Client(base_url=f"{stack.api}/api/v1", headers=headers, timeout=30)


def sign_in(page: Any, url: str, token: str, name: str) -> None:
    page.goto(url)
    box = page.get_by_label("API token", exact=True).and_(page.locator("input"))
    box.fill(token)
    box.press("Enter")
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=30_000)


def chat(page: Any, message: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(message)
    box.press("Enter")
    page.get_by_role("button", name="Confirm").wait_for(timeout=60_000)
