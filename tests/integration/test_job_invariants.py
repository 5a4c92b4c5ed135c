"""Beat's invariant check: a job row without its job.submit audit record is flagged (a phantom job)."""

from __future__ import annotations

import logging

import pytest
from psycopg.types.json import Jsonb

from core.db import connect, discard_hooks
from core.intent import PatchIntent
from workers.jobs import invariants, service

pytestmark = [pytest.mark.integration]


def test_a_job_without_its_submit_audit_is_flagged(pipeline_settings, inventory, caplog) -> None:
    with connect(pipeline_settings.db.url) as conn:
        good = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["ci-01"]),
            requested_by="alice",
            settings=pipeline_settings,
            inventory=inventory,
        )
        assert invariants.check(conn) == {"jobs_without_submit_audit": []}
        # A row written behind the service's back, as the phantom-job bug did.
        row = conn.execute(
            "INSERT INTO ops.jobs (action, intent, hosts, requested_by, status, awx_template) "
            "VALUES ('patch', %s, ARRAY['app-dev-01'], 'mallory', 'queued', 't') RETURNING id",
            (Jsonb({"action": "patch", "hosts": ["app-dev-01"]}),),
        ).fetchone()
        with caplog.at_level(logging.ERROR, logger="workers.jobs.invariants"):
            found = invariants.check(conn)
        assert found == {"jobs_without_submit_audit": [row["id"]]} and good.id != row["id"]
        assert f"[{row['id']}]" in caplog.text
        phantom = invariants.jobs_without_submit_audit(conn)[0]
        assert (phantom.requested_by, phantom.status) == ("mallory", "queued")
        discard_hooks(conn)
        conn.rollback()
