"""REST API for jobs: status codes and error bodies a client can act on; no 5xx for any input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(pipeline_settings):
    from api.app import create_app
    from core.auth.demo import ensure_demo_users
    from core.db import connect

    with connect(pipeline_settings.db.url) as conn:
        tokens = ensure_demo_users(conn, pipeline_settings.home)
        conn.commit()
    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def _as(client, user):
    return {"Authorization": f"Bearer {client.tokens[user]}"}


def _post(client, body, **kw):
    return client.post(
        "/api/v1/jobs",
        content=body if isinstance(body, (bytes, str)) else json.dumps(body),
        headers={"Content-Type": "application/json", **kw.pop("headers", {})},
        **kw,
    )


def test_submit_get_list_cancel(client):
    r = _post(client, {"action": "patch", "hosts": ["web-stg-01"], "security_only": True})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["intent"]["security_only"] is True
    assert job["hosts"] == [
        {
            "host": "web-stg-01",
            "status": "pending",
            "counts": {"ok": 0, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0},
        }
    ]
    got = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert got["id"] == job["id"] and got["failures"] == []
    listed = client.get("/api/v1/jobs", params={"host": "web-stg-01", "status": "queued"}).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]] and listed["total"] == 1
    assert client.get("/api/v1/jobs", params={"host": "web-stg-02"}).json()["total"] == 0
    r = client.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled"


def test_busy_host_is_409_naming_the_job(client):
    first = _post(client, {"action": "patch", "hosts": ["web-stg-01"]}).json()
    r = _post(client, {"action": "reboot", "hosts": ["web-stg-01"]})
    assert r.status_code == 409
    assert r.json()["error"] == "host_busy" and f"job {first['id']}" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b'{"action": "patch", "hosts": ["web-stg-01"],}', "", "not valid JSON"),
        ({"action": "patch", "hosts": ["web-stg-01"], "colour": "red"}, "colour", "unknown field"),
        ({"action": "patch", "hosts": []}, "", "at least one host"),
        ({"action": "patch", "hosts": ["web-stg-01"], "serial": 0}, "serial", "serial"),
        ({"action": "patch", "hosts": ["web-stg-01"], "serial": "150%"}, "serial", "serial"),
        ({"action": "patch", "hosts": ["web-stg-01"], "not_before": "2026-12-01T01:00:00"}, "not_before", "timezone"),
        ({"action": "dance", "hosts": ["web-stg-01"]}, "action", "patch"),
        ({"action": "patch", "hosts": ["web-stg-01; rm -rf /"]}, "hosts", "not a valid host name"),
        ({"action": "status", "job": 3}, "", "does not start a job"),
        ({"action": "patch", "hosts": ["web-prod-99"]}, "", "not in the inventory"),
    ],
)
def test_bad_input_is_4xx_naming_the_problem(client, body, field, words):
    r = _post(client, body)
    assert 400 <= r.status_code < 500, r.text
    data = r.json()
    assert words in data["detail"], data
    if field:
        assert any(field in e["field"] for e in data.get("errors", [])) or field in data["detail"]


def test_ten_megabyte_body_is_413(client):
    big = json.dumps({"action": "patch", "hosts": ["web-stg-01"], "exclude": ["x" * (10 * 1024 * 1024)]})
    r = _post(client, big)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


def test_unknown_job_is_404_and_health(client):
    r = client.get("/api/v1/jobs/999999")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["postgres"] == "ok"
    metrics = client.get("/metrics").text
    assert "patchpilot_http_requests_total" in metrics
    assert client.get("/openapi.json").json()["info"]["title"] == "patchpilot"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_approval_queue_shows_what_to_decide_and_decisions_are_audited(client):
    web = _post(client, {"action": "patch", "hosts": ["web-stg-01"]}).json()
    assert web["status"] == "queued"
    crit = _post(client, {"action": "reboot", "hosts": ["db-prod-01", "db-prod-02"]}).json()
    other = _post(client, {"action": "patch", "hosts": ["lb-prod-01"]}).json()
    assert crit["status"] == other["status"] == "awaiting_approval"
    assert client.get("/api/v1/jobs/approvals").status_code == 403  # an operator is not an approver

    queue = client.get("/api/v1/jobs/approvals", headers=_as(client, "approver"))
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert [i["job"]["id"] for i in items] == [crit["id"], other["id"]]  # oldest first, only waiting jobs
    first = items[0]
    assert first["job"]["requested_by"] == "operator" and first["yours"] is False
    assert first["hosts_by_env"] == {"prod": ["db-prod-01", "db-prod-02"]}
    assert first["risk"]["level"] == "high" and first["risk"]["critical"] == ["db-prod-01", "db-prod-02"]
    assert first["age_s"] >= 0 and 0 < first["expires_in_s"] <= 24 * 3600

    r = client.post(
        f"/api/v1/jobs/{crit['id']}/reject", json={"reason": "not during the freeze"}, headers=_as(client, "approver")
    )
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert r.json()["error"] == "rejected by approver: not during the freeze"
    r = client.post(f"/api/v1/jobs/{other['id']}/approve", headers=_as(client, "approver"))
    assert r.status_code == 200 and r.json()["approved_by"] == "approver"
    assert client.get("/api/v1/jobs/approvals", headers=_as(client, "approver")).json()["items"] == []
    trail = client.get(
        "/api/v1/audit", params={"action": "job.*", "actor": "approver"}, headers=_as(client, "admin")
    ).json()["items"]
    assert {(a["action"], int(a["object_id"])) for a in trail} == {
        ("job.reject", crit["id"]),
        ("job.approve", other["id"]),
    }
