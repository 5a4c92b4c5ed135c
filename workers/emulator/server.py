"""Run the emulator: in a background thread for tests, or in the foreground for ``patchpilot awx-emulator``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from core.settings import get_settings
from workers.emulator.app import create_app
from workers.emulator.scenario import Scenario


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def run_emulator_in_thread(
    scenario: Scenario | None = None,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    state_dir: Path | None = None,
) -> tuple[str, Callable[[], None]]:
    """Start the emulator on a free port in a daemon thread; returns ``(base_url, stop)``.

    ``base_url`` is ``http://127.0.0.1:<port>`` (no path: the client adds ``/api/v2/``).
    With ``state_dir`` its jobs survive a stop and start (persist.py).
    """
    port = port or _free_port(host)
    config = uvicorn.Config(
        create_app(scenario, state_dir=state_dir),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"awx-emulator-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the AWX emulator did not start on {host}:{port}")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)

    return f"http://{host}:{port}", stop


def serve(scenario: Scenario, host: str = "127.0.0.1", port: int = 8052, state_dir: Path | None = None) -> None:
    """Serve in the foreground until interrupted; jobs persist under ``PATCHPILOT_HOME/awx-emulator``."""
    state = state_dir or get_settings().home / "awx-emulator"
    uvicorn.run(create_app(scenario, state_dir=state), host=host, port=port, log_level="info")
