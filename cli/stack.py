"""``patchpilot up``: the whole local stack as child processes of one supervisor.

PostgreSQL (embedded unless PATCHPILOT_DB__URL), Redis (embedded unless
PATCHPILOT_REDIS__URL), the AWX emulator with the demo scenario (unless
PATCHPILOT_AWX__URL points at a real AWX), the API, a worker, beat and the two
UIs. SIGINT/SIGTERM to the process group stops them all, then the databases.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cli import services
from core.embedded import stop_postgres
from core.settings import InventorySource, Settings

DEFAULT_AWX = "http://127.0.0.1:8052"


@dataclass(frozen=True)
class Ports:
    chat: int = 8501
    kb: int = 7860
    awx: int = 8052


@dataclass
class Stack:
    settings: Settings
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, *args: str) -> None:
        env = {**_base_env(), **services.child_env(self.settings)}
        log = (self.settings.home / "logs" / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                proc.kill()


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}


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
    def _raise(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


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
    stack = Stack(settings)
    urls: dict[str, str] = {}
    with _signals_raise():
        try:
            if use_emulator:
                extra = ["--scenario", str(scenario.resolve())] if scenario else []
                stack.spawn("awx-emulator", "awx-emulator", "--port", str(ports.awx), *extra)
                urls["AWX emulator"] = f"{settings.awx.url}/api/v2/"
                wait_http(f"{settings.awx.url}/api/v2/ping/", 30)
            _sync_inventory(settings)
            stack.spawn("api", "api")
            stack.spawn("worker", "worker", "--concurrency", "4")
            stack.spawn("beat", "beat")
            api_url = f"http://{settings.api.host}:{settings.api.port}"
            urls["API"] = f"{api_url}/api/v1  (OpenAPI: {api_url}/docs)"
            if uis:
                stack.spawn("chat-ui", "chat-ui", "--port", str(ports.chat))
                stack.spawn("kb-ui", "kb-ui", "--port", str(ports.kb))
                urls["chat UI"] = f"http://127.0.0.1:{ports.chat}"
                urls["KB editor"] = f"http://127.0.0.1:{ports.kb}"
            if not wait_http(f"{api_url}/healthz", 60):
                print(f"the API did not come up; see {settings.home / 'logs' / 'api.log'}", file=sys.stderr)
                return 1
            _print_banner(urls, settings, api_url, tokens_file)
            while all(p.poll() is None for p in stack.procs.values()):
                time.sleep(0.5)
            dead = [n for n, p in stack.procs.items() if p.poll() is not None]
            print(f"stopped because {', '.join(dead)} exited; see {settings.home / 'logs'}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            return 0
        finally:
            stack.stop()
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
        f'  curl -s -X POST {api_url}/api/v1/jobs -H "Authorization: Bearer $TOKEN" \\\n'
        "       -H 'Content-Type: application/json' \\\n"
        '       -d \'{"action": "patch", "hosts": ["web-stg-01", "web-stg-02"]}\'\n'
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api_url}/api/v1/jobs/1\n\nCtrl-C stops everything.\n',
        flush=True,
    )
