"""Live progress: AWX job events read incrementally while the job runs, over real HTTP to the emulator."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from core.db import connect, discard_hooks
from core.intent import PatchIntent
from tests.integration.conftest import bearer, wait_for
from workers.awx.client import AwxClient
from workers.jobs import lifecycle, progress, service
from workers.jobs import repository as repo

pytestmark = [pytest.mark.integration]
HOSTS = ["web-stg-01", "web-stg-02", "app-dev-02"]


def _commit(conn) -> None:
    discard_hooks(conn)  # no Celery here: this test drives the lifecycle steps itself
    conn.commit()


def _requests(emulator) -> int:
    return int(httpx.get(f"{emulator.url}/_emulator/stats/", timeout=5).json()["requests"])


@pytest.mark.scenario(duration_s=6.0, event_lag_s=0.1, hosts={"web-stg-02": "failed", "app-dev-02": "unreachable"})
def test_progress_changes_per_host_while_the_job_runs(awx_settings, inventory, emulator, demo_tokens):
    settings = awx_settings
    with connect(settings.db.url) as conn, AwxClient(settings.awx) as client:
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=HOSTS),
            requested_by="operator",
            settings=settings,
            inventory=inventory,
        )
        _commit(conn)
        row = lifecycle.begin_launch(conn, job.id, settings)
        _commit(conn)
        awx_job = lifecycle.launch_on_awx(client, row, settings)
        lifecycle.finish_launch(conn, job.id, awx_job, settings)
        _commit(conn)

        snapshots: list[dict[str, str]] = []
        asked = 0

        def step() -> bool:
            nonlocal asked
            current = client.job(awx_job.id)
            before = _requests(emulator)
            if progress.refresh(conn, client, repo.get(conn, job.id), current, every_s=0):
                asked += 1
                assert _requests(emulator) - before == 1  # one page of new events per refresh
            _commit(conn)
            view = progress.read(conn, job.id)
            states = {h: p.state.value for h, p in view.hosts.items()}
            if not snapshots or snapshots[-1] != states:
                snapshots.append(states)
            return current.terminal

        wait_for(step, timeout=60, interval=0.25)
        view = progress.read(conn, job.id)

    assert asked >= 2
    assert len(snapshots) >= 3, snapshots  # the states changed several times before the end
    assert set(snapshots[0]) == set(HOSTS)
    assert any(s["web-stg-01"] in ("pending", "running", "ok") for s in snapshots[:-1])
    final = snapshots[-1]
    assert final["web-stg-02"] == "failed" and final["app-dev-02"] == "unreachable"
    assert final["web-stg-01"] in ("ok", "changed", "running")
    assert view.last_counter > 0 and view.tasks and "TASK [" in view.log_tail
    assert view.elapsed_s is not None and view.elapsed_s >= 0

    # The API serves it to any signed-in role.
    from api.app import create_app

    app = create_app(settings, awx_ping=lambda: {"version": "test"})
    with TestClient(app, raise_server_exceptions=False) as http:
        r = http.get(f"/api/v1/jobs/{job.id}/progress", headers=bearer(demo_tokens["viewer"]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["hosts"]["web-stg-02"]["state"] == "failed" and body["status"] == "running"
        assert http.get("/api/v1/jobs/999999/progress", headers=bearer(demo_tokens["viewer"])).status_code == 404


def test_an_unrefreshed_job_has_empty_progress(awx_settings, inventory):
    with connect(awx_settings.db.url) as conn:
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["ci-01"]),
            requested_by="operator",
            settings=awx_settings,
            inventory=inventory,
        )
        _commit(conn)
        view = progress.read(conn, job.id)
    assert view is not None and view.hosts == {} and view.elapsed_s is None and view.status == "queued"
