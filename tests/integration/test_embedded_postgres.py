"""The embedded PostgreSQL runs with our server settings, and starts again in a process that stopped it."""

from __future__ import annotations

import psycopg
import pytest

from core.embedded import SERVER_SETTINGS, postgres_running, start_postgres, stop_postgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_new_server_runs_with_the_settings_and_restarts_in_the_same_process(tmp_path):
    pg = tmp_path / "pg"
    try:
        url = start_postgres(pg)
        with psycopg.connect(url) as conn:
            for name, value in SERVER_SETTINGS.items():
                assert conn.execute(f"SHOW {name}").fetchone() == (value,)
        stop_postgres(pg)
        assert not postgres_running(pg)
        url = start_postgres(pg)  # pgserver's per-process handle must not pretend the stopped server runs
        with psycopg.connect(url) as conn:
            assert conn.execute("SHOW shared_buffers").fetchone() == (SERVER_SETTINGS["shared_buffers"],)
    finally:
        stop_postgres(pg)
    assert not postgres_running(pg)
