"""One proposal confirmed five times at once over REST becomes exactly one job; the others are told so."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration


@pytest.fixture
def client(pipeline_settings: Settings):
    from api.app import create_app

    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_five_concurrent_confirmations_make_one_job(client, demo_tokens) -> None:
    headers = bearer(demo_tokens["operator"])
    r = client.post("/api/v1/chat", json={"session_id": "race", "message": "patch web-stg-01"}, headers=headers)
    assert r.status_code == 200, r.text
    token = r.json()["pending"]["token"]
    start = threading.Barrier(5)

    def confirm(_: int):
        start.wait()
        return client.post("/api/v1/chat/race/confirm", json={"token": token}, headers=headers)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(confirm, range(5)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert winner["job_id"] is not None
    for loser in (a for a in answers if a.status_code == 409):
        assert f"already confirmed: it is job {winner['job_id']}" in loser.text
    jobs = client.get("/api/v1/jobs", headers=headers).json()
    assert jobs["total"] == 1 and jobs["items"][0]["id"] == winner["job_id"]
    audit = client.get("/api/v1/audit", params={"action": "job.submit"}, headers=bearer(demo_tokens["admin"]))
    assert audit.status_code == 200, audit.text
    submits = [e for e in audit.json()["items"] if e["action"] == "job.submit"]
    assert [int(e["object_id"]) for e in submits] == [winner["job_id"]]
