"""Shared helpers of the UI browser tests: headless system Chromium, free ports, waiting for servers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def browser_page(width: int = 1280, height: int = 800, timezone_id: str | None = None) -> Iterator[object]:
    import playwright.sync_api as sync_api

    if not CHROMIUM.exists():
        pytest.fail("no system Chromium at /usr/bin/chromium: install Debian's chromium (.ci/run does)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            zone = {"timezone_id": timezone_id} if timezone_id else {}
            page = browser.new_page(viewport={"width": width, "height": height}, **zone)
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], timeout: float = 20, env: dict[str, str] | None = None) -> None:
    """Stop ``patchpilot up`` (SIGTERM); with ``env``, then ``patchpilot down`` in the same home, so nothing it
    started (components, the embedded PostgreSQL, Redis) outlives the test even if the stop was cut short."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if env is not None:
        subprocess.run(
            [sys.executable, "-m", "cli.main", "down"], cwd=ROOT, env=env, capture_output=True, timeout=120, check=False
        )
