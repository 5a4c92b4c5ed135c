"""GET /jobs/{id} and API-token authentication on the asyncio read pool answer exactly as the sync path does,
and a revoked token stops working at the next request (no cache)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.auth import service as auth_service
from core.auth.models import Role
from core.db import commit, connect
from core.intent import PatchIntent
from kb import service as kb_service
from tests.integration.conftest import bearer
from workers.jobs import service

pytestmark = pytest.mark.integration

LOG = """
PLAY [Patch] *******************************************************************

TASK [Refresh apt cache] *******************************************************
fatal: [web-stg-01]: FAILED! => {"changed": false, "msg": "E: Release file for http://a.example/debian/dists/x/InRelease is expired (invalid since 3d 2h). Updates for this repository will not be applied."}

TASK [Upgrade packages] ********************************************************
fatal: [web-stg-02]: FAILED! => {"changed": false, "msg": "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"}

PLAY RECAP *********************************************************************
web-stg-01                 : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
web-stg-02                 : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
"""


def _job_with_failures(settings, inventory) -> int:
    from kb.entries import SEED_PATH, import_file

    with connect(settings.db.url) as conn:
        import_file(conn, SEED_PATH, "test")
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["web-stg-01", "web-stg-02"]),
            requested_by="operator",
            settings=settings,
            inventory=inventory,
        )
        kb_service.analyse_job(conn, job.id, LOG, None, settings)
        commit(conn)
    return job.id


def test_read_pool_answers_as_the_sync_path(pipeline_settings, inventory, demo_tokens):
    from api.app import create_app

    job_id = _job_with_failures(pipeline_settings, inventory)
    headers = bearer(demo_tokens["viewer"])
    with TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as fast:
        assert fast.app.state.read_pool is not None  # type: ignore[attr-defined]
        got = fast.get(f"/api/v1/jobs/{job_id}", headers=headers)
        missing = fast.get("/api/v1/jobs/987654321", headers=headers)
    # No lifespan: no read pool, the sync pool in the thread pool.
    slow = TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False)
    assert slow.app.state.read_pool is None  # type: ignore[attr-defined]
    want = slow.get(f"/api/v1/jobs/{job_id}", headers=headers)
    slow_missing = slow.get("/api/v1/jobs/987654321", headers=headers)

    assert got.status_code == want.status_code == 200
    assert got.headers["content-type"] == want.headers["content-type"] == "application/json"
    body = got.json()
    assert body == want.json()
    assert [f["host"] for f in body["failures"]] == ["web-stg-01", "web-stg-02"]
    assert [h["host"] for h in body["hosts"]] == ["web-stg-01", "web-stg-02"]
    matched = [f for f in body["failures"] if f["kb"] is not None]
    assert matched and all(isinstance(f["kb"]["score"], float) for f in matched)
    with connect(pipeline_settings.db.url) as conn:
        job = service.get_job(conn, job_id)
        expected = job.model_copy(update={"failures": kb_service.job_failures(conn, job_id)}).model_dump(mode="json")
    assert body == expected
    assert missing.status_code == slow_missing.status_code == 404
    assert missing.json() == slow_missing.json()


def test_revoked_token_fails_at_the_next_request_on_the_read_pool(pipeline_settings, inventory, demo_tokens):
    from api.app import create_app

    job_id = _job_with_failures(pipeline_settings, inventory)
    with connect(pipeline_settings.db.url) as conn:
        auth_service.create_user(conn, "reader1", [Role.viewer], by="test")
        issued = auth_service.issue_token(conn, "reader1", expires_days=None, by="test")
        commit(conn)
    headers = bearer(issued.token)
    with TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
        assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).status_code == 200
        with connect(pipeline_settings.db.url) as conn:
            used = conn.execute("SELECT last_used_at FROM ops.api_tokens WHERE id = %s", [issued.info.id]).fetchone()
            assert used is not None and used["last_used_at"] is not None  # the read pool's touch committed
            auth_service.revoke_token(conn, str(issued.info.id), by="test")
            commit(conn)
        r = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    with connect(pipeline_settings.db.url) as conn:
        audited = conn.execute(
            "SELECT actor, detail FROM ops.audit WHERE action = 'auth.failed' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert audited is not None and audited["actor"] == "reader1" and audited["detail"]["reason"] == "revoked"
