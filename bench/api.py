"""API overhead: ``GET /api/v1/jobs/{id}`` on the real app against a bare FastAPI endpoint returning the same JSON.

Both run as their own uvicorn process (one worker, as in a pod, same uvicorn settings); 16 concurrent clients
in this process hammer each for the same time, twice, alternating; the figure is requests per second and the
ratio app/bare (the target is >= 0.5).

Two clients drive each server: the MAIN one (a raw-socket keep-alive HTTP/1.1 client, cheap enough that the
server is what is measured; the target is judged on it) and, for comparison with the original measurement,
16 ``httpx.AsyncClient`` connections (httpx's own CPU per request caps both sides, so its ratio is higher).

Run as a module to serve one side: ``python -m bench.api serve app|bare PORT JOB_ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from core.settings import Settings


def _job_json(settings: Settings, job_id: int) -> dict[str, Any]:
    from core.db import connect
    from kb import service as kb_service
    from workers.jobs import service

    with connect(settings.db.url or "") as conn:
        job = service.get_job(conn, job_id)
        return job.model_copy(update={"failures": kb_service.job_failures(conn, job.id)}).model_dump(mode="json")


def bare_app(body: dict[str, Any]) -> Any:
    """The floor: FastAPI routing and JSON rendering of the same document, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/api/v1/jobs/{job_id}")
    async def get_job(job_id: int) -> dict[str, Any]:
        return body

    return app


def serve(kind: str, port: int, job_id: int) -> None:
    import uvicorn

    from api.app import create_app
    from core.settings import get_settings

    settings = get_settings()
    app = create_app(settings) if kind == "app" else bare_app(_job_json(settings, job_id))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _seed(settings: Settings) -> tuple[int, str]:
    """A job on two hosts and a viewer token; returns (job id, token)."""
    from core.auth.demo import ensure_demo_users
    from core.db import commit, connect, discard_hooks
    from core.intent import PatchIntent
    from core.inventory import Inventory
    from workers.jobs import service

    inventory = Inventory.load(
        settings.jobs.inventory_path or Path(__file__).resolve().parent.parent / "evals" / "inventory.yaml"
    )
    with connect(settings.db.url or "") as conn:
        tokens = ensure_demo_users(conn, settings.home)
        intent = PatchIntent(action="patch", hosts=["web-stg-01", "web-stg-02"])
        busy = conn.execute(
            "SELECT id FROM ops.jobs WHERE status IN ('queued', 'scheduled') AND requested_by = 'bench' LIMIT 1"
        ).fetchone()
        if busy:
            job_id = int(busy["id"])
        else:
            job = service.submit(conn, intent, requested_by="bench", settings=settings, inventory=inventory)
            job_id = job.id
        discard_hooks(conn)  # nothing is dispatched: the job only needs to exist
        commit(conn)
    return job_id, tokens["viewer"]


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on raw streams; returns the status code after reading the whole body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _load(base: str, path: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    # A raw-socket client: httpx costs ~1-2 ms of CPU a request, which would measure the client, not the server.
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    done = 0
    stop = 0.0

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for _ in range(5):  # warm-up: connections, pools, caches
                await _get(reader, writer, request)
            while time.perf_counter() < stop:
                status = await _get(reader, writer, request)
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
                done += 1
        finally:
            writer.close()

    stop = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return done / (time.perf_counter() - start)


async def _load_httpx(base: str, path: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """The same load through httpx: one keep-alive AsyncClient per concurrent client."""
    done = 0
    stop = 0.0

    async def one() -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(5):
                await client.get(path)
            while time.perf_counter() < stop:
                r = await client.get(path)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {r.status_code}")
                done += 1

    stop = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return done / (time.perf_counter() - start)


@contextlib.contextmanager
def _server(kind: str, settings: Settings, job_id: int) -> Any:
    from core.embedded import free_port

    port = free_port()
    env = {
        **os.environ,
        "PATCHPILOT_HOME": str(settings.home.resolve()),
        "PATCHPILOT_DB__URL": settings.db.url or "",
        "PATCHPILOT_AUTH__DEV_HEADER": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.api", "serve", kind, str(port), str(job_id)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{base}/docs", timeout=1)
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the {kind} server did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_api(settings: Settings, *, clients: int = 16, seconds: float = 5.0, rounds: int = 2) -> dict[str, Any]:
    """Requests per second of the real endpoint and of the bare one, and their ratio (target >= 0.5), with the
    main (raw-socket) client and with httpx."""
    job_id, token = _seed(settings)
    path = f"/api/v1/jobs/{job_id}"
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict[str, list[float]] = {"bare": [], "app": []}
    cpu: dict[str, list[float]] = {"bare": [], "app": []}
    db_cpu: dict[str, list[float]] = {"bare": [], "app": []}
    via_httpx: dict[str, list[float]] = {"bare": [], "app": []}
    for _ in range(rounds):
        for kind in ("bare", "app"):
            with _server(kind, settings, job_id) as (base, pid):
                before, db_before = _cpu_s(pid), _postgres_cpu_s(settings)
                rate = asyncio.run(_load(base, path, headers, clients, seconds))
                used, db_used = _cpu_s(pid) - before, _postgres_cpu_s(settings) - db_before
                figures[kind].append(round(rate, 1))
                cpu[kind].append(round(used / max(1.0, rate * seconds) * 1e6))
                db_cpu[kind].append(round(db_used / max(1.0, rate * seconds) * 1e6))
                via_httpx[kind].append(round(asyncio.run(_load_httpx(base, path, headers, clients, seconds)), 1))
    bare, app = max(figures["bare"]), max(figures["app"])
    return {
        "endpoint": f"GET {path}",
        "clients": clients,
        "seconds_per_run": seconds,
        "main_client": "raw-socket keep-alive HTTP/1.1 (the target is judged on this ratio)",
        "bare_req_s": figures["bare"],
        "app_req_s": figures["app"],
        "ratio_app_to_bare": round(app / bare, 2),
        "target_ratio": 0.5,
        # Throughput on a shared machine is noisy; the server's own CPU per request is steadier.
        "bare_server_cpu_us_per_req": cpu["bare"],
        "app_server_cpu_us_per_req": cpu["app"],
        # What the ratio tends to where the server process is the bottleneck (an idle machine).
        "server_cpu_ratio_bare_to_app": round(min(cpu["bare"]) / max(1, min(cpu["app"])), 2),
        # The embedded PostgreSQL's CPU per request (all its processes; 0 when db.url is an outside server).
        "app_postgres_cpu_us_per_req": db_cpu["app"],
        "httpx_client": "16 httpx.AsyncClient connections (for comparison only; httpx's CPU caps both sides)",
        "httpx_bare_req_s": via_httpx["bare"],
        "httpx_app_req_s": via_httpx["app"],
        "httpx_ratio_app_to_bare": round(max(via_httpx["app"]) / max(via_httpx["bare"]), 2),
    }


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s(settings: Settings) -> float:
    """CPU seconds so far of the embedded PostgreSQL under PATCHPILOT_HOME (postmaster and its children); 0.0
    when there is none."""
    pid_file = settings.home / "pg" / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return 0.0
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(proc.name) == postmaster or int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("usage: python -m bench.api serve app|bare PORT JOB_ID")
