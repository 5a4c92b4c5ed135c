"""Jobs service on real PostgreSQL: submission, host locks, approval, cancel, schedule, sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from core.db import commit, connect
from core.enums import AnalysisState, JobStatus
from core.errors import HostBusy, PermissionDenied, ValidationFailed
from core.intent import PatchIntent
from workers.jobs import lifecycle, service

pytestmark = pytest.mark.integration


def _patch(*hosts: str, **kw: object) -> PatchIntent:
    return PatchIntent.model_validate({"action": "patch", "hosts": list(hosts), **kw})


def _queued_messages(redis_url: str, queue: str) -> int:
    return int(redis.Redis.from_url(redis_url).llen(queue))


def test_submit_queues_and_sends_launch_after_commit(pipeline_settings, inventory, redis_url):
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("web-stg-01"), requested_by="alice", settings=pipeline_settings, inventory=inventory
        )
        assert job.status is JobStatus.queued
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 0, "sent before commit"
        commit(conn)
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 1
        assert [h.host for h in service.get_job(conn, job.id).hosts] == ["web-stg-01"]
        audit = conn.execute("SELECT actor, action FROM ops.audit WHERE object_id = %s", (str(job.id),)).fetchall()
        assert audit == [{"actor": "alice", "action": "job.submit"}]


def test_second_job_on_held_host_is_refused_naming_the_job(pipeline_settings, inventory):
    with connect(pipeline_settings.db.url) as conn:
        first = service.submit(
            conn,
            _patch("web-stg-01", "web-stg-02"),
            requested_by="alice",
            settings=pipeline_settings,
            inventory=inventory,
        )
        commit(conn)
        with pytest.raises(HostBusy) as err:
            service.submit(
                conn,
                _patch("web-stg-02", "app-stg-01"),
                requested_by="bob",
                settings=pipeline_settings,
                inventory=inventory,
            )
        conn.rollback()
        assert f"job {first.id}" in err.value.message and "web-stg-02" in err.value.message
        # nothing half-written: only the first job exists
        assert conn.execute("SELECT count(*) AS n FROM ops.jobs").fetchone()["n"] == 1
        # once the first job ends, the host is free again
        service.request_cancel(conn, first.id, by="alice")
        commit(conn)
        again = service.submit(
            conn, _patch("web-stg-02"), requested_by="bob", settings=pipeline_settings, inventory=inventory
        )
        assert again.status is JobStatus.queued


def test_unknown_host_and_too_many_hosts_are_refused(pipeline_settings, inventory):
    with connect(pipeline_settings.db.url) as conn:
        with pytest.raises(ValidationFailed, match="not in the inventory: web-prod-99"):
            service.submit(
                conn, _patch("web-prod-99"), requested_by="a", settings=pipeline_settings, inventory=inventory
            )
        small = pipeline_settings.model_copy(
            update={"jobs": pipeline_settings.jobs.model_copy(update={"max_hosts": 1})}
        )
        with pytest.raises(ValidationFailed, match="more than the 1 allowed"):
            service.submit(
                conn, _patch("web-stg-01", "web-stg-02"), requested_by="a", settings=small, inventory=inventory
            )


def test_critical_hosts_wait_for_a_second_person(pipeline_settings, inventory, redis_url):
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("db-prod-01"), requested_by="alice", settings=pipeline_settings, inventory=inventory
        )
        commit(conn)
        assert job.status is JobStatus.awaiting_approval and job.needs_approval
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 0
        with pytest.raises(PermissionDenied, match="own job"):
            service.approve(conn, job.id, approver="alice")
        conn.rollback()
        approved = service.approve(conn, job.id, approver="bob")
        commit(conn)
        assert approved.status is JobStatus.queued and approved.approved_by == "bob"
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 1


def test_rejected_and_expired_approvals_never_launch(pipeline_settings, inventory, redis_url):
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("db-prod-01"), requested_by="alice", settings=pipeline_settings, inventory=inventory
        )
        rejected = service.reject(conn, job.id, approver="bob", reason="change freeze")
        commit(conn)
        assert rejected.status is JobStatus.canceled and "change freeze" in (rejected.error or "")
        job2 = service.submit(
            conn, _patch("db-prod-02"), requested_by="alice", settings=pipeline_settings, inventory=inventory
        )
        conn.execute("UPDATE ops.jobs SET approval_expires_at = now() - interval '1 second' WHERE id = %s", (job2.id,))
        commit(conn)
        with pytest.raises(ValidationFailed, match="waited too long"):
            service.approve(conn, job2.id, approver="bob")
        commit(conn)
        assert service.get_job(conn, job2.id).status is JobStatus.canceled
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 0


def test_scheduled_job_is_dispatched_by_the_sweeper_only_when_due(pipeline_settings, inventory, redis_url):
    with connect(pipeline_settings.db.url) as conn:
        later = datetime.now(UTC) + timedelta(hours=3)
        job = service.submit(
            conn,
            _patch("app-dev-01", not_before=later),
            requested_by="a",
            settings=pipeline_settings,
            inventory=inventory,
        )
        commit(conn)
        assert job.status is JobStatus.scheduled
        assert lifecycle.sweep(conn, pipeline_settings)["due"] == 0
        commit(conn)
        assert service.get_job(conn, job.id).status is JobStatus.scheduled
        conn.execute("UPDATE ops.jobs SET not_before = now() - interval '1 second' WHERE id = %s", (job.id,))
        assert lifecycle.sweep(conn, pipeline_settings)["due"] == 1
        commit(conn)
        assert service.get_job(conn, job.id).status is JobStatus.queued
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 1


def test_the_sweeper_resends_an_analysis_whose_message_was_lost_and_a_given_up_one_stays(
    pipeline_settings, inventory, redis_url
):
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("app-dev-01"), requested_by="a", settings=pipeline_settings, inventory=inventory
        )
        commit(conn)
        queue = pipeline_settings.jobs.queue
        before = _queued_messages(redis_url, queue)
        conn.execute("UPDATE ops.jobs SET status = 'failed', analysis = 'pending' WHERE id = %s", (job.id,))
        commit(conn)
        assert lifecycle.sweep(conn, pipeline_settings)["resent"] == 0  # just collected: its message is on its way
        commit(conn)
        old = "now() - make_interval(secs => %s)"
        conn.execute(f"UPDATE ops.jobs SET updated_at = {old} WHERE id = %s", (lifecycle.ANALYSIS_RESEND_S + 5, job.id))
        commit(conn)
        assert lifecycle.sweep(conn, pipeline_settings)["resent"] == 1
        commit(conn)
        assert _queued_messages(redis_url, queue) == before + 1
        assert lifecycle.sweep(conn, pipeline_settings)["resent"] == 0  # touched: not again at once
        conn.execute(f"UPDATE ops.jobs SET analysis = 'failed', updated_at = {old} WHERE id = %s", (3600, job.id))
        commit(conn)
        assert lifecycle.sweep(conn, pipeline_settings)["resent"] == 0
        assert service.get_job(conn, job.id).analysis is AnalysisState.failed


def test_an_analysis_that_gives_up_marks_the_job_so_no_reader_waits_forever(pipeline_settings, inventory, monkeypatch):
    from core.settings import get_settings
    from kb import tasks

    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("app-dev-01"), requested_by="a", settings=pipeline_settings, inventory=inventory
        )
        conn.execute("UPDATE ops.jobs SET status = 'failed', analysis = 'pending' WHERE id = %s", (job.id,))
        conn.execute(
            "INSERT INTO ops.job_stdout (job_id, content, size_bytes) VALUES (%s, 'fatal: [app-dev-01]: FAILED!', 1)",
            (job.id,),
        )
        commit(conn)

    def broken(*_: object) -> None:
        raise ValueError("a bug in the analyser")

    monkeypatch.setenv("PATCHPILOT_DB__URL", pipeline_settings.db.url)
    get_settings.cache_clear()
    monkeypatch.setattr(tasks, "analyse_job", broken)
    try:
        result = tasks.analyze.apply(args=[job.id])
    finally:
        get_settings.cache_clear()
    assert result.failed() and isinstance(result.result, ValueError)
    with connect(pipeline_settings.db.url) as conn:
        assert service.get_job(conn, job.id).analysis is AnalysisState.failed


def test_patch_window_moves_the_start(pipeline_settings, inventory):
    windows = pipeline_settings.model_copy(
        update={"jobs": pipeline_settings.jobs.model_copy(update={"windows": {"prod": "22:00-06:00"}})}
    )
    noon = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, _patch("web-prod-01"), requested_by="a", settings=windows, inventory=inventory, now=noon
        )
        assert job.status is JobStatus.scheduled
        assert job.not_before == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


def test_cancel_before_start_and_after_finish(pipeline_settings, inventory):
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(conn, _patch("ci-01"), requested_by="a", settings=pipeline_settings, inventory=inventory)
        canceled = service.request_cancel(conn, job.id, by="a")
        assert canceled.status is JobStatus.canceled
        with pytest.raises(ValidationFailed, match="already finished"):
            service.request_cancel(conn, job.id, by="a")


def test_an_approval_older_than_its_ttl_never_runs(pipeline_settings, inventory, redis_url):
    later = datetime.now(UTC) + timedelta(hours=3)
    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn,
            _patch("db-prod-01", not_before=later),
            requested_by="alice",
            settings=pipeline_settings,
            inventory=inventory,
        )
        approved = service.approve(conn, job.id, approver="bob")
        commit(conn)
        assert approved.status is JobStatus.scheduled
        # it becomes due a day after it was approved (the TTL is 24 h by default)
        conn.execute(
            "UPDATE ops.jobs SET not_before = now() - interval '1 second', "
            "approved_at = now() - interval '25 hours' WHERE id = %s",
            (job.id,),
        )
        assert lifecycle.sweep(conn, pipeline_settings)["due"] == 1
        commit(conn)
        final = service.get_job(conn, job.id)
        assert final.status is JobStatus.canceled and "approval expired" in (final.error or "")
        assert _queued_messages(redis_url, pipeline_settings.jobs.queue) == 0


def test_a_job_that_waited_is_refused_at_launch_when_a_host_left_the_inventory(pipeline_settings, tmp_path):
    """The launch-time re-check (issue 11): checked again against the inventory as it is now, nothing reaches AWX."""
    import yaml

    from core.db import discard_hooks
    from core.enums import HostStatus
    from core.inventory import Inventory
    from workers.inventory.models import InventorySource
    from workers.jobs import repository

    def fleet(*names: str) -> None:
        path.write_text(yaml.safe_dump({"all": {"children": {"dev": {"hosts": {n: {"env": "dev"} for n in names}}}}}))

    path = tmp_path / "fleet.yaml"
    fleet("a-01", "a-02")
    settings = pipeline_settings.model_copy(
        update={
            "inventory": pipeline_settings.inventory.model_copy(update={"source": InventorySource.file, "path": path})
        }
    )
    with connect(settings.db.url) as conn:
        later = repository.now(conn) + timedelta(hours=3)  # the database's clock, as the sweeper's
        job = service.submit(
            conn, _patch("a-01", "a-02", not_before=later), requested_by="a", settings=settings,
            inventory=Inventory.load(path),
        )  # fmt: skip
        commit(conn)
        assert job.status is JobStatus.scheduled
        fleet("a-02")  # a-01 is gone from the inventory while the job waits
        conn.execute("UPDATE ops.jobs SET not_before = now() - interval '1 second' WHERE id = %s", (job.id,))
        assert lifecycle.sweep(conn, settings)["due"] == 1
        discard_hooks(conn)  # no worker here: this test takes the launch step itself
        commit(conn)
        assert lifecycle.begin_launch(conn, job.id, settings) is None
        commit(conn)
        done = service.get_job(conn, job.id)
        locks = conn.execute("SELECT count(*) AS n FROM ops.host_locks WHERE job_id = %s", (job.id,)).fetchone()
    assert done.status is JobStatus.failed
    assert "not launched: no longer in the inventory: a-01" in (done.error or "") and "a-02" not in (done.error or "")
    assert {h.host: h.status for h in done.hosts} == {"a-01": HostStatus.not_run, "a-02": HostStatus.not_run}
    assert locks == {"n": 0} and done.awx_job_id is None


def test_a_job_that_waited_is_not_launched_blind_when_its_inventory_cannot_be_read(pipeline_settings, inventory):
    """An AWX inventory source that was never synced: the re-check cannot answer, so nothing reaches AWX."""
    from core.db import discard_hooks
    from workers.inventory.models import InventorySource

    awx = pipeline_settings.model_copy(
        update={"inventory": pipeline_settings.inventory.model_copy(update={"source": InventorySource.awx})}
    )
    with connect(awx.db.url) as conn:
        job = service.submit(conn, _patch("db-prod-01"), requested_by="alice", settings=awx, inventory=inventory)
        assert job.status is JobStatus.awaiting_approval
        service.approve(conn, job.id, approver="bob")
        discard_hooks(conn)  # no worker here: this test takes the launch step itself
        commit(conn)
        assert lifecycle.begin_launch(conn, job.id, awx) is None
        commit(conn)
        done = service.get_job(conn, job.id)
    assert done.status is JobStatus.failed and done.awx_job_id is None
    assert "could not be checked against the inventory" in (done.error or "")
    assert "patchpilot inventory sync" in (done.error or "")
