"""An unmatched failure with entries below the answer bar is explained as "possibly related", with scores,
never as a known issue or its fix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.db import commit, connect
from core.intent import PatchIntent
from kb import service as kb_service
from tests.integration.conftest import bearer
from workers.jobs import service

pytestmark = pytest.mark.integration

LOG = """
PLAY [Patch] *******************************************************************

TASK [Refresh apt cache] *******************************************************
fatal: [web-stg-01]: FAILED! => {"changed": false, "msg": "E: The value 'stable' is invalid for APT::Default-Release as such a release is not available in the sources"}

PLAY RECAP *********************************************************************
web-stg-01                 : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
"""


def test_possibly_related_is_named_with_scores_not_as_the_fix(pipeline_settings, inventory, demo_tokens):
    from api.app import create_app
    from kb.entries import SEED_PATH, import_file

    with connect(pipeline_settings.db.url) as conn:
        import_file(conn, SEED_PATH, "test")
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["web-stg-01"]),
            requested_by="operator",
            settings=pipeline_settings,
            inventory=inventory,
        )
        [stored] = kb_service.analyse_job(conn, job.id, LOG, None, pipeline_settings)
        commit(conn)
    assert stored.match is None and stored.related
    with TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/chat",
            headers=bearer(demo_tokens["operator"]),
            json={"session_id": "why", "message": f"why did job {job.id} fail?"},
        )
        failures = client.get(f"/api/v1/jobs/{job.id}", headers=bearer(demo_tokens["operator"])).json()["failures"]
    reply = r.json()["reply"]
    assert "Possibly related (not a diagnosis)" in reply and f"[{stored.related[0].slug}]" in reply
    assert "known issue" not in reply and "No KB entry matches" in reply
    assert failures[0]["kb"] is None and failures[0]["related"][0]["label"] == "possibly related"
