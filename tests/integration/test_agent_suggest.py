"""With an LLM configured, an unmatched failure's explanation carries a suggestion marked as unverified;
a KB-matched failure never gets one, and without an LLM there is none."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bench.fake_openai import FakeOpenAI
from core.db import commit, connect
from core.intent import PatchIntent
from kb import service as kb_service
from tests.integration.conftest import bearer
from workers.jobs import service

pytestmark = pytest.mark.integration

LOG = """
PLAY [Patch] *******************************************************************

TASK [Apply updates (dnf)] *****************************************************
fatal: [web-stg-01]: FAILED! => {"changed": false, "msg": "frobnicator exploded with code 77 (password=Sug-Pw-1)", "rc": 77}
fatal: [web-stg-02]: FAILED! => {"changed": false, "msg": "Unknown Error occurred: Transaction test error:\\n  installing package kernel-core-5.14.0-611.el9.x86_64 needs 118MB more space on the / filesystem", "rc": 1}

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


def test_unmatched_failure_gets_an_unverified_suggestion(pipeline_settings, inventory, demo_tokens):
    from api.app import create_app

    job_id = _job_with_failures(pipeline_settings, inventory)
    fake = FakeOpenAI()
    with fake.running():
        settings = pipeline_settings.model_copy(
            update={
                "llm": pipeline_settings.llm.model_copy(
                    update={"base_url": fake.base_url, "api_key": "sk-test", "model": "fake"}
                )
            }
        )
        fake.script = [
            {"tool": "explain_job", "arguments": {"job": job_id}},
            {"text": "The frobnicator service crashed; check `journalctl -u frobnicator`."},
        ]
        with TestClient(create_app(settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
            r = client.post(
                "/api/v1/chat",
                headers=bearer(demo_tokens["operator"]),
                json={"session_id": "why", "message": f"why did job {job_id} fail?"},
            )
    assert r.status_code == 200, r.text
    reply = r.json()["reply"]
    assert "Unverified suggestion (model-generated, not from the KB)" in reply
    assert "journalctl -u frobnicator" in reply
    assert reply.count("Unverified suggestion") == 1, "the KB-matched failure gets the KB fix, not a guess"
    assert "dnf-no-space-left" in reply
    assert len(fake.requests) == 2
    assert "frobnicator exploded" in str(fake.requests[1]) and "Sug-Pw-1" not in str(fake.requests)


def test_offline_model_never_guesses(pipeline_settings, inventory, demo_tokens):
    from api.app import create_app

    job_id = _job_with_failures(pipeline_settings, inventory)
    with TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/chat",
            headers=bearer(demo_tokens["operator"]),
            json={"session_id": "why", "message": f"why did job {job_id} fail?"},
        )
    reply = r.json()["reply"]
    assert "frobnicator exploded" in reply and "Unverified suggestion" not in reply


@pytest.mark.parametrize(
    ("status", "analysis", "said"),
    [
        ("running", None, "is running; its failures can be explained once it has finished"),
        ("failed", "pending", "has finished (failed); its failures are still being matched"),
        ("failed", "failed", "its failure analysis did not finish; an admin can run it again"),
        ("failed", "done", "has no recorded failures"),
    ],
)
def test_explain_says_why_a_job_has_no_failures_yet(pipeline_settings, inventory, demo_tokens, status, analysis, said):
    from api.app import create_app

    with connect(pipeline_settings.db.url) as conn:
        job = service.submit(
            conn, PatchIntent(action="patch", hosts=["web-stg-01"]), requested_by="operator",
            settings=pipeline_settings, inventory=inventory,
        )  # fmt: skip
        conn.execute("UPDATE ops.jobs SET status = %s, analysis = %s WHERE id = %s", (status, analysis, job.id))
        commit(conn)
    with TestClient(create_app(pipeline_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/chat",
            headers=bearer(demo_tokens["operator"]),
            json={"session_id": f"why-{status}-{analysis}", "message": f"why did job {job.id} fail?"},
        )
        assert r.status_code == 200, r.text
        assert said in r.json()["reply"]
        if analysis == "failed":  # the endpoint the reply names is the one that re-runs the analysis
            path = re.search(r"\(POST (\S+)\)", r.json()["reply"])
            assert path, r.json()["reply"]
            rerun = client.post(path.group(1), headers=bearer(demo_tokens["kb-editor"]))
            assert rerun.status_code == 200, rerun.text
