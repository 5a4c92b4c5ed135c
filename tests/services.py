"""Real PostgreSQL and Redis for the tests: embedded unless PATCHPILOT_DB__URL / PATCHPILOT_REDIS__URL say otherwise.

Each test gets its own database, cloned from a migrated template (``CREATE
DATABASE ... TEMPLATE``, ~50 ms), so tests run in parallel under pytest-xdist.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core.migrate import migrate, migration_files

ROOT = Path(__file__).resolve().parent.parent
TEST_HOME = ROOT / ".patchpilot" / "test"


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Use the embedded PostgreSQL in ``data_dir``, started if needed (under a lock shared by the workers)."""
    import fcntl

    from core.embedded import STARTED_HERE, start_postgres

    lock_path = data_dir.parent / f"{data_dir.name}.lock"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            url = start_postgres(data_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    # The shared server is not a one-off command's: a CLI command a test invokes in this process stops what
    # STARTED_HERE lists when it ends (cli.main), and would stop it under the other worker's tests.
    while data_dir in STARTED_HERE:
        STARTED_HERE.remove(data_dir)
    yield url


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the shared server; ``make test`` runs this after pytest exits, so it leaves no PostgreSQL behind."""
    from core.embedded import postgres_running, stop_postgres

    if postgres_running(data_dir):
        stop_postgres(data_dir)


def with_dbname(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def migrations_digest() -> str:
    h = hashlib.sha256()
    for p in migration_files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def ensure_template(server_url: str) -> str:
    """Create the migrated template database once (safe across xdist workers)."""
    name = f"pp_template_{migrations_digest()}"
    admin = with_dbname(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(4242)")
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                tmp = f"{name}_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{tmp}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{tmp}"')
                migrate(with_dbname(server_url, tmp))
                conn.execute(f'ALTER DATABASE "{tmp}" RENAME TO "{name}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(4242)")
    return name


def create_test_db(server_url: str, template: str) -> str:
    name = f"pp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(with_dbname(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return with_dbname(server_url, name)


def drop_test_db(server_url: str, url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(with_dbname(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_app_in_thread(app: Any, *, host: str = "127.0.0.1") -> tuple[str, Callable[[], None]]:
    """Serve an ASGI app with uvicorn on a free loopback port in a daemon thread; returns ``(base_url, stop)``.

    A real server matters where in-process transports hide it: a response sent before the handler's
    dependencies finished (httpx's ASGI transport waits for the whole app call).
    """
    import uvicorn

    from core.embedded import free_port

    port = free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on {host}:{port}")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://{host}:{port}", stop


if __name__ == "__main__":  # python -m tests.services stop
    import sys

    if sys.argv[1:] != ["stop"]:
        raise SystemExit("usage: python -m tests.services stop")
    stop_embedded_postgres(TEST_HOME / "pg")
