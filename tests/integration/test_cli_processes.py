"""What a command starts, it stops: a one-off CLI command leaves no embedded PostgreSQL behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.embedded import postgres_running, start_postgres, stop_postgres
from tests import services

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _patchpilot(home, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env["PATCHPILOT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=services.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_commands_stop_the_server_they_started_and_leave_a_running_one_alone(tmp_path):
    pg = tmp_path / "pg"
    r = _patchpilot(tmp_path, "migrate")
    assert r.returncode == 0, r.stderr
    assert "applied" in r.stdout
    assert not postgres_running(pg), "migrate started the embedded server and must stop it"
    r = _patchpilot(tmp_path, "analyze", str(services.ROOT / "evals" / "logs" / "apt-lock-multi.log"))
    assert not postgres_running(pg), r.stdout + r.stderr

    start_postgres(pg)  # as a running 'patchpilot up' would have
    try:
        r = _patchpilot(tmp_path, "migrate")
        assert r.returncode == 0, r.stderr
        assert postgres_running(pg), "a server this command did not start is left running"
        r = _patchpilot(tmp_path, "down")
        assert r.returncode == 0 and f"stopped the embedded PostgreSQL in {pg.resolve()}" in r.stdout
        assert not postgres_running(pg)
        assert _patchpilot(tmp_path, "down").stdout.strip() == "nothing was running"
        status = _patchpilot(tmp_path, "status")
        assert status.returncode == 1 and status.stdout.strip() == "no stack is running"
    finally:
        stop_postgres(pg)
