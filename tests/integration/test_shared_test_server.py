"""The shared embedded test PostgreSQL outlives any CLI command a test runs in-process.

A ``patchpilot`` command stops, when it ends, the embedded servers its process started (``STARTED_HERE``). The
xdist worker that started the shared test server must not count it as one of those: a CLI test run in that
worker would stop the server under the other worker's tests (CI saw exactly that on its last test).
"""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from core.embedded import STARTED_HERE, postgres_running
from tests import services

pytestmark = pytest.mark.integration


def test_a_cli_command_run_in_process_leaves_the_shared_test_server_running(pg_server_url, tmp_path):
    data_dir = services.TEST_HOME / "pg"
    if not postgres_running(data_dir):
        pytest.skip("PATCHPILOT_DB__URL points at an external server; there is no shared embedded one")
    assert data_dir not in STARTED_HERE
    STARTED_HERE.append(tmp_path / "not-a-server")  # what a command in this process did start is still stopped

    from cli.main import app

    result = CliRunner().invoke(app, ["eval", "intents", "--cases", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2, result.output
    assert STARTED_HERE == []
    assert postgres_running(data_dir)
    with psycopg.connect(services.with_dbname(pg_server_url, "postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
