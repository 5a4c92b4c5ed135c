"""Issue 11's inventory acceptance, end to end: the AWX inventory (synced from the emulator over HTTP) decides what
a job may target, and AWX's own word on a host it never ran is kept.

A real Celery worker process on real Redis and PostgreSQL, the real AWX client over HTTP to the emulator; hosts are
disabled only through AWX's API (``PATCH hosts/N/``), as an administrator would. The jobs wait for an approval
(critical hosts) so the inventory can change between submission and launch without any clock in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.db import DictConn, commit, connect
from core.enums import HostStatus, JobStatus
from core.intent import PatchIntent
from core.settings import Settings
from tests.integration.conftest import WorkerProcess, wait_for
from workers.inventory import service as inventory
from workers.inventory.models import InventorySource, SyncStatus
from workers.jobs import service as jobs

pytestmark = [pytest.mark.integration]
AUTH = {"Authorization": "Bearer emulator-token"}
HOSTS = ["db-prod-01", "web-prod-02"]  # db-prod-01 is critical: the job waits for a second person


@pytest.fixture
def awx_source(awx_settings: Settings) -> Settings:
    """The worker and the service resolve against the AWX inventory synced into PostgreSQL, never the file."""
    return awx_settings.model_copy(
        update={"inventory": awx_settings.inventory.model_copy(update={"source": InventorySource.awx})}
    )


@pytest.fixture
def awx_worker(awx_source: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess(awx_source, tmp_path / "worker.log")
    w.start()
    yield w
    w.stop()


def _sync(settings: Settings) -> None:
    with connect(settings.db.url or "") as conn:
        result = inventory.sync(conn, settings, now=inventory.db_now(conn))
        commit(conn)
    assert result.status is SyncStatus.succeeded, result.error


def _disable_in_awx(emulator: Any, name: str) -> None:
    found = httpx.get(f"{emulator.url}/api/v2/inventories/1/hosts/?name={name}", headers=AUTH, timeout=10).json()
    hid = found["results"][0]["id"]
    r = httpx.patch(f"{emulator.url}/api/v2/hosts/{hid}/", json={"enabled": False}, headers=AUTH, timeout=10)
    assert r.status_code == 200 and r.json()["enabled"] is False, r.text


def _submit_for_approval(conn: DictConn, settings: Settings) -> int:
    job = jobs.submit(
        conn,
        PatchIntent(action="patch", hosts=HOSTS),
        requested_by="alice",
        settings=settings,
        inventory=inventory.current(conn, settings),
    )
    commit(conn)
    assert job.status is JobStatus.awaiting_approval
    return job.id


def _approve(settings: Settings, job_id: int) -> None:
    with connect(settings.db.url or "") as conn:
        jobs.approve(conn, job_id, approver="bob")
        commit(conn)


def _terminal(settings: Settings, job_id: int) -> Any:
    def done() -> Any:
        with connect(settings.db.url or "") as conn:
            job = jobs.get_job(conn, job_id)
        return job if job.status.terminal else None

    return wait_for(done, timeout=45)


def test_a_host_disabled_in_awx_while_the_job_waited_is_refused_at_launch(
    awx_source: Settings, awx_worker: WorkerProcess, emulator: Any
) -> None:
    _sync(awx_source)
    with connect(awx_source.db.url or "") as conn:
        job_id = _submit_for_approval(conn, awx_source)
    _disable_in_awx(emulator, "web-prod-02")
    _sync(awx_source)  # the beat's sync (or 'refresh the inventory') sees it before the approval

    _approve(awx_source, job_id)
    job = _terminal(awx_source, job_id)
    assert job.status is JobStatus.failed, job.error
    assert "not launched" in (job.error or "") and "disabled in the AWX inventory: web-prod-02" in (job.error or "")
    assert "db-prod-01" not in (job.error or "")  # only the host that changed is named
    assert {h.host: h.status for h in job.hosts} == dict.fromkeys(HOSTS, HostStatus.not_run)
    assert emulator.launches() == {}, "AWX must not have been asked to launch"
    with connect(awx_source.db.url or "") as conn:
        held = conn.execute("SELECT count(*) AS n FROM ops.host_locks WHERE job_id = %s", (job_id,)).fetchone()
        audited = conn.execute(
            "SELECT count(*) AS n FROM ops.audit WHERE action = 'job.failed' AND object_id = %s", (str(job_id),)
        ).fetchone()
    assert held == {"n": 0} and audited == {"n": 1}  # hosts released, the ending recorded


def test_a_host_disabled_in_awx_after_the_last_sync_never_runs_and_awx_says_why(
    awx_source: Settings, awx_worker: WorkerProcess, emulator: Any
) -> None:
    """The launch-time check passes (the stored inventory still has the host enabled); AWX then runs without it."""
    _sync(awx_source)
    with connect(awx_source.db.url or "") as conn:
        job_id = _submit_for_approval(conn, awx_source)
    _disable_in_awx(emulator, "web-prod-02")  # no sync since: patchpilot does not know yet

    _approve(awx_source, job_id)
    job = _terminal(awx_source, job_id)
    assert job.status is JobStatus.failed, job.error
    assert {h.host: h.status for h in job.hosts} == {
        "db-prod-01": HostStatus.changed,
        "web-prod-02": HostStatus.not_run,
    }
    assert "never ran on: web-prod-02" in (job.error or "")
    # AWX's (ansible's) own explanation for the host, from its output, is kept
    assert "AWX said: [WARNING]: Could not match supplied host pattern, ignoring: web-prod-02" in (job.error or "")
    assert emulator.launches() == {str(job_id): 1}
