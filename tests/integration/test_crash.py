"""Crash test: worker processes SIGKILLed at random moments across 50 jobs; every job still ends, and AWX saw
exactly one launch per job (DESIGN.md: idempotent launch)."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
import yaml

from core.db import commit, connect
from core.intent import PatchIntent
from tests.integration.conftest import WorkerProcess, wait_for
from workers.jobs import service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N_JOBS = 50


@pytest.fixture
def fleet(tmp_path):
    hosts = {f"node-{i:03d}": {"env": "dev", "os": "rhel9" if i % 2 else "ubuntu2204"} for i in range(N_JOBS)}
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"all": {"children": {"fleet": {"hosts": hosts}}}}))
    return path


def test_random_sigkills_lose_no_job_and_launch_each_once(pipeline_settings, fleet, tmp_path):
    from core.inventory import Inventory
    from workers.emulator.scenario import Scenario
    from workers.emulator.server import run_emulator_in_thread

    url, stop_emulator = run_emulator_in_thread(
        Scenario.model_validate({"inventory": str(fleet), "duration_s": 1.0, "event_lag_s": 0.2})
    )
    settings = pipeline_settings.model_copy(update={"awx": pipeline_settings.awx.model_copy(update={"url": url})})
    inventory = Inventory.load(fleet)
    rng = random.Random(20261127)
    worker = WorkerProcess(settings, tmp_path / "worker.log", concurrency=4)
    worker.start()
    try:
        ids = []
        with connect(settings.db.url) as conn:
            for host in sorted(inventory.hosts):
                ids.append(
                    service.submit(
                        conn,
                        PatchIntent(action="patch", hosts=[host]),
                        requested_by="load",
                        settings=settings,
                        inventory=inventory,
                    ).id
                )
                commit(conn)
        kills = 0
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.2, 1.2))
            if worker.proc is not None and worker.proc.poll() is not None:
                # Celery gives up when a child dies while it starts its pool ("Could not start worker
                # processes"); a supervisor (OpenShift, systemd) starts it again, and so does this test.
                worker.start()
                continue
            if rng.random() < 0.15:  # now and then the whole worker, beat included
                worker.kill_all()
                worker.start()
                kills += 1
                continue
            children = worker.children()
            if children:
                try:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass

        # After the chaos, the supervisor's liveness probe replaces whatever is left (a worker can also hang after
        # "Could not start worker processes"): one clean restart, as OpenShift would do.
        worker.kill_all()
        worker.start()

        def all_terminal():
            with connect(settings.db.url) as conn:
                rows = conn.execute("SELECT id, status FROM ops.jobs").fetchall()
            return all(r["status"] in ("succeeded", "failed", "canceled", "error") for r in rows) and rows

        try:
            rows = wait_for(all_terminal, timeout=240, interval=1.0)
        except AssertionError:
            with connect(settings.db.url) as conn:
                stuck = conn.execute(
                    "SELECT id, status, poll_count, launch_attempts, awx_job_id, updated_at FROM ops.jobs "
                    "WHERE status NOT IN ('succeeded', 'failed', 'canceled', 'error') ORDER BY id"
                ).fetchall()
            log_tail = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
            raise AssertionError(f"jobs still active: {stuck}\nworker log tail:\n{log_tail}") from None
        assert kills >= 10
        assert len(rows) == N_JOBS
        statuses = {r["status"] for r in rows}
        assert statuses == {"succeeded"}, statuses
        import httpx

        launches = httpx.get(f"{url}/_emulator/launches/", timeout=5).json()
        assert launches == {str(i): 1 for i in ids}
    finally:
        worker.stop()
        stop_emulator()


def test_an_emulator_restart_never_turns_a_patched_host_into_error(pipeline_settings, tmp_path):
    """Issue 15: the emulator keeps its jobs under its state directory; stopped and started again while
    patchpilot follows a job, it finishes that job, and the job ends succeeded (not 'AWX has no /jobs/N/')."""
    import socket

    from core.inventory import Inventory
    from tests.integration.conftest import INVENTORY
    from workers.emulator.scenario import Scenario
    from workers.emulator.server import run_emulator_in_thread

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    scenario = Scenario.model_validate({"duration_s": 4.0, "event_lag_s": 0.2})
    state = tmp_path / "awx-emulator"
    url, stop_emulator = run_emulator_in_thread(scenario, port=port, state_dir=state)
    settings = pipeline_settings.model_copy(update={"awx": pipeline_settings.awx.model_copy(update={"url": url})})
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        with connect(settings.db.url) as conn:
            job = service.submit(
                conn,
                PatchIntent(action="patch", hosts=["web-stg-01"]),
                requested_by="alice",
                settings=settings,
                inventory=Inventory.load(INVENTORY),
            )
            commit(conn)
        wait_for(lambda: _status(settings, job.id) == "running", timeout=30)
        stop_emulator()  # AWX's API goes away mid-run; the worker's polls fail and are retried
        time.sleep(1.0)
        url_again, stop_emulator = run_emulator_in_thread(scenario, port=port, state_dir=state)
        assert url_again == url
        wait_for(lambda: _status(settings, job.id) in ("succeeded", "failed", "canceled", "error"), timeout=90)
        with connect(settings.db.url) as conn:
            done = service.get_job(conn, job.id)
        assert done.status.value == "succeeded", done.error
        assert [(h.host, h.status.value) for h in done.hosts] == [("web-stg-01", "changed")]
    finally:
        worker.stop()
        stop_emulator()


def _status(settings, job_id: int) -> str:
    with connect(settings.db.url) as conn:
        row = conn.execute("SELECT status FROM ops.jobs WHERE id = %s", (job_id,)).fetchone()
    return str(row["status"]) if row else ""
