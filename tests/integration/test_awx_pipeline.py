"""AWX behaviours a real controller has, followed by the whole pipeline (real worker, Redis, PostgreSQL,
the real client over HTTP to the emulator): sliced templates, jobs held pending, the extra_vars contract,
and analysis as its own task after collect."""

from __future__ import annotations

import httpx
import pytest

from core.db import commit, connect
from core.enums import HostStatus, JobStatus
from core.intent import PatchIntent
from tests.integration.conftest import WorkerProcess, wait_for
from workers.jobs import service

pytestmark = [pytest.mark.integration]
AUTH = {"Authorization": "Bearer emulator-token"}
PATCH = "playbooks/patch.yml"


def _submit(settings, inventory, *hosts: str) -> int:
    with connect(settings.db.url) as conn:
        job = service.submit(
            conn, PatchIntent(action="patch", hosts=list(hosts)), requested_by="alice", settings=settings,
            inventory=inventory,
        )  # fmt: skip
        commit(conn)
        return job.id


def _job(settings, job_id: int):
    with connect(settings.db.url) as conn:
        return service.get_job(conn, job_id)


def _terminal(settings, job_id: int, timeout: float = 45.0):
    return wait_for(lambda: (j := _job(settings, job_id)).status.terminal and j, timeout=timeout)


def _locks(settings, job_id: int) -> list[str]:
    with connect(settings.db.url) as conn:
        rows = conn.execute("SELECT host FROM ops.host_locks WHERE job_id = %s ORDER BY host", (job_id,)).fetchall()
    return [r["host"] for r in rows]


def _awx(emulator, path: str):
    return httpx.get(f"{emulator.url}/api/v2/{path}", headers=AUTH, timeout=5).json()


@pytest.mark.scenario(
    duration_s=1.5,
    templates=[{"name": "patchpilot-patch", "playbook": PATCH, "job_slice_count": 2, "allow_simultaneous": True,
                "credentials": ["patchpilot-machine"]}],
)  # fmt: skip
def test_sliced_template_is_followed_as_a_workflow_job(awx_settings, inventory, worker, emulator):
    """Finding 3: launch answers workflow_job; the job follows it, keeps its host locks, collects every slice."""
    job_id = _submit(awx_settings, inventory, "web-stg-01", "web-stg-02", "app-stg-01")
    running = wait_for(lambda: (j := _job(awx_settings, job_id)).status is JobStatus.running and j)
    assert _locks(awx_settings, job_id) == ["app-stg-01", "web-stg-01", "web-stg-02"]
    flow = _awx(emulator, f"workflow_jobs/{running.awx_job_id}/")
    assert flow["type"] == "workflow_job" and flow["is_sliced_job"] is True
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.succeeded, job.error
    assert {h.host: h.status for h in job.hosts} == dict.fromkeys(
        ["app-stg-01", "web-stg-01", "web-stg-02"], HostStatus.changed
    )
    assert _locks(awx_settings, job_id) == []
    with connect(awx_settings.db.url) as conn:
        content = service.stdout(conn, job_id).content
    assert content.count("PLAY RECAP") == 2  # one per slice


@pytest.mark.scenario(
    hosts={"db-stg-01": "hang"},
    templates=[{"name": "patchpilot-patch", "playbook": PATCH, "job_slice_count": 2, "allow_simultaneous": True,
                "credentials": ["patchpilot-machine"]}],
)  # fmt: skip
def test_cancel_of_a_sliced_job_cancels_the_workflow_job(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "db-stg-01", "web-stg-01")
    running = wait_for(lambda: (j := _job(awx_settings, job_id)).status is JobStatus.running and j)
    with connect(awx_settings.db.url) as conn:
        service.request_cancel(conn, job_id, by="alice")
        commit(conn)
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.canceled, job.error
    assert _awx(emulator, f"workflow_jobs/{running.awx_job_id}/")["status"] == "canceled"


@pytest.fixture
def short_pending(awx_settings, tmp_path):
    settings = awx_settings.model_copy(update={"awx": awx_settings.awx.model_copy(update={"max_pending_s": 1.0})})
    w = WorkerProcess(settings, tmp_path / "worker.log")
    w.start()
    yield settings
    w.stop()


@pytest.mark.scenario(
    hosts={"db-stg-01": "hang"},
    templates=[{"name": "patchpilot-patch", "playbook": PATCH, "allow_simultaneous": False,
                "credentials": ["patchpilot-machine"]}],
)  # fmt: skip
def test_a_job_awx_holds_pending_is_bounded_and_says_why(short_pending, inventory, emulator):
    """Finding 4: allow_simultaneous false holds the second job pending; patchpilot cancels it after
    awx.max_pending_s, keeping AWX's job_explanation, instead of letting it start outside its window."""
    settings = short_pending
    first = _submit(settings, inventory, "db-stg-01")
    wait_for(lambda: _job(settings, first).status is JobStatus.running)
    second = _submit(settings, inventory, "web-stg-01")
    job = _terminal(settings, second)
    assert job.status is JobStatus.canceled
    assert f"waiting for job-{_job(settings, first).awx_job_id} to finish" in (job.error or "")
    assert "more than 1 s" in (job.error or "")
    assert _awx(emulator, f"jobs/{job.awx_job_id}/")["status"] == "canceled"
    with connect(settings.db.url) as conn:
        service.request_cancel(conn, first, by="alice")
        commit(conn)
    assert _terminal(settings, first).status is JobStatus.canceled


@pytest.mark.scenario(hosts={"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"}})
def test_extra_vars_contract_and_analysis_task(awx_settings, inventory, worker, emulator):
    """Finding 9: every documented variable is sent; analysis runs as its own task after collect commits."""
    job_id = _submit(awx_settings, inventory, "web-stg-02")
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.failed
    sent = httpx.get(f"{emulator.url}/api/v2/jobs/{job.awx_job_id}/", headers=AUTH, timeout=5).json()["extra_vars"]
    import json

    variables = json.loads(sent)
    assert variables["patchpilot_min_free_mb"] == awx_settings.jobs.min_free_mb
    assert variables["patchpilot_services"] == list(awx_settings.jobs.services)
    assert variables["patchpilot_job_id"] == job_id

    def analysed():
        with connect(awx_settings.db.url) as conn:
            return conn.execute("SELECT host, kb_slug FROM ops.failures WHERE job_id = %s", (job_id,)).fetchall()

    rows = wait_for(analysed, timeout=30)
    assert [r["host"] for r in rows] == ["web-stg-02"]
