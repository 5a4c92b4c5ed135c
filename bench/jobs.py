"""Job pipeline benchmark: N AWX jobs followed by one worker (concurrency 4), vs a sleeping baseline.

Figures: wall time, jobs/s, AWX requests per job, worker peak RSS, and the
throughput ratio to the baseline measured in the same run. The baseline holds a
slot for a whole AWX job, so it runs fewer jobs (its throughput is a rate and
does not depend on the count once every slot is busy).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from core.db import commit, connect, discard_hooks
from core.intent import PatchIntent
from core.migrate import migrate
from core.settings import Settings
from workers.jobs.progress import budget as progress_budget


@dataclass
class RunFigures:
    jobs: int
    wall_s: float
    jobs_per_s: float
    awx_requests_per_job: float
    worker_peak_rss_mb: float
    statuses: dict[str, int]


def _fleet(n: int, folder: Path) -> Path:
    hosts = {f"bench-{i:05d}": {"env": "dev", "os": "rhel9"} for i in range(n)}
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump({"all": {"children": {"fleet": {"hosts": hosts}}}}))
    return path


def _fresh_db(server_url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"pp_bench_{uuid.uuid4().hex[:8]}"
    params = conninfo_to_dict(server_url)
    with connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(**{**params, "dbname": name})  # type: ignore[arg-type]
    migrate(url)
    return url


def _env(settings: Settings, awx_url: str, db_url: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env.update(
        {
            "PATCHPILOT_HOME": str(settings.home.resolve()),
            "PATCHPILOT_DB__URL": db_url,
            "PATCHPILOT_REDIS__URL": settings.redis.url or "",
            "PATCHPILOT_AWX__URL": awx_url,
            "PATCHPILOT_JOBS__QUEUE": queue,
            "PATCHPILOT_JOBS__WINDOWS": "{}",
            "PATCHPILOT_DB__POOL_MAX": "4",
        }
    )
    return env


def _peak_rss(proc: subprocess.Popen[bytes], stop: threading.Event, out: list[float]) -> None:
    peak = 0.0
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(proc.pid)
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            peak = max(peak, rss / 2**20)
        stop.wait(0.5)
    out.append(peak)


def run(settings: Settings, *, jobs: int, duration_s: float, baseline: bool, timeout_s: float = 900) -> RunFigures:
    """One run: submit ``jobs`` jobs of ``duration_s`` on AWX, one worker at concurrency 4, until all end."""
    from core.inventory import Inventory
    from workers.celery_app import app, configure
    from workers.emulator.scenario import Scenario
    from workers.emulator.server import run_emulator_in_thread

    with tempfile.TemporaryDirectory() as tmp:
        fleet = _fleet(jobs, Path(tmp))
        inventory = Inventory.load(fleet)
        url, stop_emulator = run_emulator_in_thread(
            Scenario.model_validate({"inventory": str(fleet), "duration_s": duration_s, "event_lag_s": 0.5})
        )
        db_url = _fresh_db(settings.db.url or "")
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        configure(broker_url=settings.redis.url, queue=queue)
        run_settings = settings.model_copy(
            update={
                "db": settings.db.model_copy(update={"url": db_url}),
                "jobs": settings.jobs.model_copy(update={"windows": {}, "queue": queue, "max_hosts": jobs}),
            }
        )
        log = settings.home / "logs"
        log.mkdir(parents=True, exist_ok=True)
        # A plain Celery worker of the app, plus the baseline's task module: only the benchmark's
        # worker registers bench.tasks, never a production one.
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                queue,
                "-c",
                "4",
                "--include",
                "bench.tasks",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            env=_env(run_settings, url, db_url, queue),
            stdout=(log / f"bench-worker-{queue}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stop, peak = threading.Event(), list[float]()
        sampler = threading.Thread(target=_peak_rss, args=(worker, stop, peak), daemon=True)
        sampler.start()
        try:
            from workers.jobs import service

            started = time.monotonic()
            with connect(db_url) as conn:
                for host in sorted(inventory.hosts):
                    job = service.submit(
                        conn,
                        PatchIntent(action="patch", hosts=[host]),
                        requested_by="bench",
                        settings=run_settings,
                        inventory=inventory,
                    )
                    if baseline:  # dispatched to the blocking task instead of the launch chain
                        discard_hooks(conn)
                        conn.commit()
                        app.send_task("patchpilot.bench.blocking_job", args=[job.id], queue=queue)
                    else:
                        commit(conn)
            statuses: dict[str, int] = {}
            while time.monotonic() - started < timeout_s:
                with connect(db_url) as conn:
                    rows = conn.execute("SELECT status, count(*) AS n FROM ops.jobs GROUP BY status").fetchall()
                statuses = {r["status"]: r["n"] for r in rows}
                if sum(n for s, n in statuses.items() if s in ("succeeded", "failed", "canceled", "error")) == jobs:
                    break
                time.sleep(0.5)
            wall = time.monotonic() - started
            requests = httpx.get(f"{url}/_emulator/stats/", timeout=10).json().get("requests", 0)
        finally:
            stop.set()
            sampler.join()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(20)
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
            stop_emulator()
        done = sum(n for s, n in statuses.items() if s in ("succeeded", "failed", "canceled", "error"))
        return RunFigures(
            jobs=jobs,
            wall_s=round(wall, 1),
            jobs_per_s=round(done / wall, 3),
            awx_requests_per_job=round(requests / max(jobs, 1), 1),
            worker_peak_rss_mb=round(peak[0] if peak else 0.0, 1),
            statuses=statuses,
        )


def bench_jobs(
    settings: Settings, *, jobs: int = 1000, baseline_jobs: int = 8, duration_s: float = 60.0
) -> dict[str, Any]:
    ours = run(settings, jobs=jobs, duration_s=duration_s, baseline=False)
    base = run(settings, jobs=baseline_jobs, duration_s=duration_s, baseline=True)
    return {
        "pipeline": ours.__dict__,
        "baseline_sleeping_in_task": base.__dict__,
        "throughput_ratio": round(ours.jobs_per_s / base.jobs_per_s, 1) if base.jobs_per_s else None,
        # the pipeline's poll reads live progress (AWX events), so its request count includes those reads
        "live_progress": progress_budget(ours.awx_requests_per_job),
        "targets": {"throughput_ratio": ">= 10", "awx_requests_per_60s_job_with_live_progress": "<= 15"},
    }
