"""The job pipeline end to end: real Celery worker process on real Redis and PostgreSQL, the real AWX client
over HTTP to the emulator."""

from __future__ import annotations

import pytest

from core.db import commit, connect
from core.enums import AnalysisState, HostStatus, JobStatus
from core.intent import PatchIntent
from kb import service as kb_service
from tests.integration.conftest import wait_for
from workers.jobs import service

pytestmark = [pytest.mark.integration]


def _submit(settings, inventory, *hosts: str, action: str = "patch") -> int:
    with connect(settings.db.url) as conn:
        job = service.submit(
            conn,
            PatchIntent(action=action, hosts=list(hosts)),
            requested_by="alice",
            settings=settings,
            inventory=inventory,
        )
        commit(conn)
        return job.id


def _job(settings, job_id: int):
    with connect(settings.db.url) as conn:
        return service.get_job(conn, job_id)


def _terminal(settings, job_id: int, timeout: float = 45.0):
    return wait_for(lambda: (j := _job(settings, job_id)).status.terminal and j, timeout=timeout)


def test_successful_job(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "web-stg-01", "app-stg-01")
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.succeeded, job.error
    assert wait_for(lambda: _job(awx_settings, job_id).analysis is AnalysisState.done)  # a clean run is analysed too
    assert {h.host: h.status for h in job.hosts} == {"web-stg-01": HostStatus.changed, "app-stg-01": HostStatus.changed}
    assert job.awx_job_id is not None and job.finished_at is not None
    assert emulator.launches() == {str(job_id): 1}
    with connect(awx_settings.db.url) as conn:
        out = service.stdout(conn, job_id)
    assert "PLAY RECAP" in out.content and "web-stg-01" in out.content


@pytest.mark.scenario(
    hosts={"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"}, "app-dev-02": "unreachable"}
)
def test_failed_and_unreachable_hosts_recorded_per_host(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "web-stg-01", "web-stg-02", "app-dev-02")
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.failed
    by_host = {h.host: h for h in job.hosts}
    assert by_host["web-stg-01"].status is HostStatus.changed
    assert by_host["web-stg-02"].status is HostStatus.failed and by_host["web-stg-02"].counts.failed == 1
    assert by_host["app-dev-02"].status is HostStatus.unreachable and by_host["app-dev-02"].counts.unreachable == 1
    # The final status comes first; the analysis task stores the failures with its state 'done' in one commit.
    assert job.analysis in (AnalysisState.pending, AnalysisState.done)
    analysed = wait_for(lambda: (j := _job(awx_settings, job_id)).analysis is AnalysisState.done and j)
    with connect(awx_settings.db.url) as conn:
        hosts = {f.host for f in kb_service.job_failures(conn, job_id)}
    assert hosts == {"web-stg-02", "app-dev-02"} and analysed.status is JobStatus.failed


@pytest.mark.scenario(hosts={"ci-01": "hang"})
def test_cancelled_job_is_cancelled_in_awx(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "ci-01")
    wait_for(lambda: _job(awx_settings, job_id).status is JobStatus.running)
    with connect(awx_settings.db.url) as conn:
        service.request_cancel(conn, job_id, by="alice")
        commit(conn)
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.canceled
    # the host is free again
    again = _submit(awx_settings, inventory, "ci-01", action="precheck")
    assert _job(awx_settings, again).status.active


@pytest.mark.scenario(faults={"fail_next": 12})
def test_awx_answering_503_for_a_while_then_recovering(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "cache-stg-01")
    job = _terminal(awx_settings, job_id, timeout=90)
    assert job.status is JobStatus.succeeded, job.error
    assert emulator.launches() == {str(job_id): 1}


@pytest.fixture
def legacy_settings(awx_settings):
    return awx_settings.model_copy(
        update={"awx": awx_settings.awx.model_copy(update={"template_patch": "legacy-no-prompt"})}
    )


@pytest.fixture
def legacy_worker(legacy_settings, tmp_path):
    from tests.integration.conftest import WorkerProcess

    w = WorkerProcess(legacy_settings, tmp_path / "worker.log")
    w.start()
    yield w
    w.stop()


def test_template_without_limit_prompt_is_refused_before_launch(legacy_settings, inventory, legacy_worker, emulator):
    job_id = _submit(legacy_settings, inventory, "web-stg-01")
    job = _terminal(legacy_settings, job_id)
    assert job.status is JobStatus.error
    assert "limit" in (job.error or "") and "legacy-no-prompt" in (job.error or "")
    assert emulator.launches() == {}, "AWX must not have been asked to launch"


@pytest.mark.scenario(
    templates=[{"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "play_hosts": "nothing_here"}]
)
def test_zero_host_run_fails_with_every_host_not_run(awx_settings, inventory, worker, emulator):
    job_id = _submit(awx_settings, inventory, "web-stg-01")
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.failed
    assert "has no host results" in (job.error or "") and "matched nothing" in (job.error or "")
    assert {h.host: h.status for h in job.hosts} == {"web-stg-01": HostStatus.not_run}


@pytest.mark.scenario(disabled_hosts=["web-stg-02"])
def test_a_host_disabled_in_awx_is_not_run_and_the_job_fails(awx_settings, inventory, worker, emulator):
    """Finding 5: no host summary for a requested host is never success."""
    job_id = _submit(awx_settings, inventory, "web-stg-01", "web-stg-02")
    job = _terminal(awx_settings, job_id)
    assert job.status is JobStatus.failed, job.error
    assert {h.host: h.status for h in job.hosts} == {
        "web-stg-01": HostStatus.changed,
        "web-stg-02": HostStatus.not_run,
    }
    assert "never ran on: web-stg-02" in (job.error or "")


@pytest.mark.scenario(job_error="Previous Task Failed: project update of 'patchpilot' failed")
def test_awx_job_explanation_is_kept_on_error(awx_settings, inventory, worker, emulator):
    """Finding 6: AWX's job_explanation is the reason shown, not a guess about the limit."""
    job = _terminal(awx_settings, _submit(awx_settings, inventory, "web-stg-01"))
    assert job.status is JobStatus.error
    assert "Previous Task Failed: project update of 'patchpilot' failed" in (job.error or "")
    assert "limit" not in (job.error or "")


@pytest.mark.scenario(
    hosts={"db-stg-01": "hang"},
    templates=[
        {"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "timeout": 1, "allow_simultaneous": True}
    ],
)
def test_awx_timeout_explanation_is_kept(awx_settings, inventory, worker, emulator):
    job = _terminal(awx_settings, _submit(awx_settings, inventory, "db-stg-01"))
    assert job.status is JobStatus.failed
    assert "Job terminated due to timeout" in (job.error or "")
    assert {h.host: h.status for h in job.hosts} == {"db-stg-01": HostStatus.not_run}


def test_scheduled_job_starts_only_when_due(awx_settings, inventory, worker, emulator):
    """Beat (embedded in the test worker) dispatches it from PostgreSQL once not_before has passed."""
    from datetime import timedelta

    with connect(awx_settings.db.url) as conn:
        # the database's clock decides when a job is due (beat's sweep), so the test takes its time from it too
        not_before = conn.execute("SELECT now() AS now").fetchone()["now"] + timedelta(seconds=8)
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["app-stg-02"], not_before=not_before),
            requested_by="alice",
            settings=awx_settings,
            inventory=inventory,
        )
        commit(conn)
    assert job.status is JobStatus.scheduled
    import time

    time.sleep(5)
    assert _job(awx_settings, job.id).status is JobStatus.scheduled and emulator.launches() == {}
    done = _terminal(awx_settings, job.id, timeout=60)
    assert done.status is JobStatus.succeeded, done.error
    assert done.started_at is not None and done.started_at >= not_before
    assert emulator.launches() == {str(job.id): 1}
