"""``patchpilot up``: the whole local stack as child processes of one supervisor (cli.supervisor).

PostgreSQL (embedded unless PATCHPILOT_DB__URL), Redis (embedded unless
PATCHPILOT_REDIS__URL), the AWX emulator with the demo scenario (unless
PATCHPILOT_AWX__URL points at a real AWX), the API, a worker, beat and the two
UIs. A component that dies is restarted with backoff; Ctrl-C (SIGINT) or SIGTERM
to the supervisor ('patchpilot down') stops them all, then the databases.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli import services
from cli.supervisor import Supervisor
from core.embedded import stop_postgres
from core.settings import InventorySource, Settings

DEFAULT_AWX = "http://127.0.0.1:8052"


@dataclass(frozen=True)
class Ports:
    chat: int = 8501
    kb: int = 7860
    awx: int = 8052


def child_environment(settings: Settings) -> dict[str, str]:
    """This process's environment (PATCHPILOT_* included: every component sees the same settings) with the
    services the supervisor resolved (embedded database and Redis URLs, ports) on top."""
    return {**os.environ, **services.child_env(settings)}


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return True
        time.sleep(0.3)
    return False


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT (Ctrl-C) and SIGTERM ('patchpilot down') both stop the stack, even when this process was started
    with SIGINT ignored — as a background job of a script is (POSIX shells ignore SIGINT for 'cmd &'), or a child
    of a process that ignores it: Python then leaves SIGINT ignored and Ctrl-C would do nothing."""

    def _raise(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, _raise) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def port_free(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def busy_ports(settings: Settings, ports: Ports, *, emulator: bool, uis: bool) -> list[str]:
    wanted = {"API (--api-port)": (settings.api.host, settings.api.port)}
    if emulator and settings.awx.url == DEFAULT_AWX:
        wanted["AWX emulator (--awx-port)"] = ("127.0.0.1", ports.awx)
    if uis:
        wanted["chat UI (--chat-port)"] = ("127.0.0.1", ports.chat)
        wanted["KB editor (--kb-port)"] = ("127.0.0.1", ports.kb)
    return [f"{name}: {host}:{port}" for name, (host, port) in wanted.items() if not port_free(host, port)]


def run_stack(
    settings: Settings,
    *,
    emulator: bool = True,
    uis: bool = True,
    ports: Ports = Ports(),
    scenario: Path | None = None,
) -> int:
    busy = busy_ports(settings, ports, emulator=emulator, uis=uis)
    if busy:
        print(
            "these ports are in use, so the stack cannot start (is another 'patchpilot up' running?):\n  "
            + "\n  ".join(busy),
            file=sys.stderr,
        )
        return 2
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per AWX request drowns the start-up report
    # 'kill -USR1 <supervisor pid>' prints where every thread of the supervisor is, should it ever hang.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "logs").mkdir(exist_ok=True)
    embedded_pg = settings.db.url is None
    use_emulator = emulator and settings.awx.url == DEFAULT_AWX
    if use_emulator:
        awx_url = f"http://127.0.0.1:{ports.awx}"
        settings = settings.model_copy(update={"awx": settings.awx.model_copy(update={"url": awx_url})})
        if settings.inventory.source is None:  # the emulator serves the demo inventory through AWX's API
            inventory = settings.inventory.model_copy(update={"source": InventorySource.awx})
            settings = settings.model_copy(update={"inventory": inventory})
    print("starting PostgreSQL ...", flush=True)
    settings = services.ensure_db(settings)
    print("starting Redis ...", flush=True)
    settings, redis_server = services.ensure_redis(settings)
    tokens_file = _demo_data(settings)
    sup = Supervisor(settings.home, child_environment(settings), say=lambda line: print(line, flush=True))
    api_url = f"http://{settings.api.host}:{settings.api.port}"
    sup.extra_state = {
        "api_url": api_url,
        "embedded_postgres": str((settings.home / "pg").resolve()) if embedded_pg else None,
        "redis_pid": redis_server.process.pid if redis_server else None,
    }
    urls: dict[str, str] = {}
    cmd = [sys.executable, "-m", "cli.main"]
    if use_emulator:
        extra = ["--scenario", str(scenario.resolve())] if scenario else []
        sup.add(
            "awx-emulator", [*cmd, "awx-emulator", "--port", str(ports.awx), *extra], f"{settings.awx.url}/api/v2/ping/"
        )
        urls["AWX emulator"] = f"{settings.awx.url}/api/v2/"
    sup.add("api", [*cmd, "api"], f"{api_url}/healthz")
    sup.add("worker", [*cmd, "worker", "--concurrency", "4"])
    sup.add("beat", [*cmd, "beat"])
    urls["API"] = f"{api_url}/api/v1  (OpenAPI: {api_url}/docs)"
    if uis:
        sup.add("chat-ui", [*cmd, "chat-ui", "--port", str(ports.chat)], f"http://127.0.0.1:{ports.chat}/")
        sup.add("kb-ui", [*cmd, "kb-ui", "--port", str(ports.kb)], f"http://127.0.0.1:{ports.kb}/")
        urls["chat UI"] = f"http://127.0.0.1:{ports.chat}"
        urls["KB editor"] = f"http://127.0.0.1:{ports.kb}"
    with _signals_raise():
        try:
            if use_emulator:  # the emulator first: the inventory is synced from it before anything reads it
                sup.start("awx-emulator")
                wait_http(f"{settings.awx.url}/api/v2/ping/", 30)
            _sync_inventory(settings)
            for name in sup.components:
                if name != "awx-emulator":
                    sup.start(name)
            if not wait_http(f"{api_url}/healthz", 60):
                print(f"the API did not come up; see {settings.home / 'logs' / 'api.log'}", file=sys.stderr)
                return 1
            _print_banner(urls, settings, api_url, tokens_file)
            # Only Ctrl-C (or 'patchpilot down') stops the stack: a component that dies is restarted.
            while True:
                sup.tick()
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            return 0
        finally:
            sup.stop()
            if redis_server:
                redis_server.stop()
            if embedded_pg:
                stop_postgres(settings.home / "pg")


def _demo_data(settings: Settings) -> Path:
    """Load the seed KB (idempotent) and the demo users; return where their tokens are."""
    from core.auth.demo import TOKENS_FILE, ensure_demo_users
    from core.db import connect
    from kb.entries import SEED_PATH, import_file

    with connect(settings.db.url or "") as conn:
        counts = import_file(conn, settings.kb.seed_path or SEED_PATH, "patchpilot-up")
        ensure_demo_users(conn, settings.home)
        conn.commit()
    print(
        f"knowledge base: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged",
        flush=True,
    )
    return settings.home.resolve() / TOKENS_FILE


def _sync_inventory(settings: Settings) -> None:
    """The first inventory sync, through the same path as beat's (``patchpilot inventory sync``)."""
    from cli.inventory import describe, run_sync

    print("syncing the inventory ...", flush=True)
    for line in describe(run_sync(settings, "patchpilot-up")):
        print(line, flush=True)


def _print_banner(urls: dict[str, str], settings: Settings, api_url: str, tokens_file: Path) -> None:
    print("\npatchpilot is up:\n", flush=True)
    for name, url in urls.items():
        print(f"  {name:<14} {url}")
    print(f"\n  logs           {Path(settings.home).resolve() / 'logs'}")
    print(f"  demo tokens    {tokens_file}  (users admin, operator, operator2, approver, viewer, kb-editor;")
    print("                 paste one into the UIs' sign-in field)")
    print("\nTry:\n")
    print(
        f'  TOKEN=$(python3 -c \'import json; print(json.load(open("{tokens_file}"))["operator"])\')\n'
        f'  JOB=$(curl -s -X POST {api_url}/api/v1/jobs -H "Authorization: Bearer $TOKEN" \\\n'
        "       -H 'Content-Type: application/json' \\\n"
        '       -d \'{"action": "patch", "hosts": ["web-stg-01", "web-stg-02"]}\' \\\n'
        "       | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"id\"])')\n"
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api_url}/api/v1/jobs/$JOB\n\n'
        "A component that dies is restarted ('patchpilot status' shows pids, restarts, health).\n"
        "Ctrl-C stops everything.\n",
        flush=True,
    )
