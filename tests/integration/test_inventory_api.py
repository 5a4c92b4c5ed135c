"""REST: GET /api/v1/inventory and POST /api/v1/inventory/sync against the AWX emulator; jobs resolve against it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from workers.inventory.models import InventorySource

pytestmark = pytest.mark.integration
EMU_AUTH = {"Authorization": "Bearer emulator-token"}


@pytest.fixture
def api(awx_settings: Settings, demo_tokens: dict[str, str]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from api.app import create_app

    settings = awx_settings.model_copy(
        update={
            "awx": awx_settings.awx.model_copy(update={"retries": 0}),
            "inventory": awx_settings.inventory.model_copy(update={"source": InventorySource.awx}),
        }
    )
    app = create_app(settings, awx_ping=lambda: {"version": "test"})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {role: f"Bearer {token}" for role, token in demo_tokens.items()}


def _as(auth: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": auth[role]}


def test_sync_and_list(api: tuple[TestClient, dict[str, str]], emulator: Any) -> None:
    client, auth = api
    empty = client.get("/api/v1/inventory", headers=_as(auth, "viewer"))
    assert empty.status_code == 200 and empty.json()["synced_at"] is None and empty.json()["hosts"] == []
    job = client.post("/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01"]}, headers=_as(auth, "operator"))
    assert job.status_code == 503 and "patchpilot inventory sync" in job.json()["detail"]  # never a guess

    assert client.post("/api/v1/inventory/sync", headers=_as(auth, "viewer")).status_code == 403
    r = client.post("/api/v1/inventory/sync", headers=_as(auth, "operator"))
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"] == "succeeded" and r.json()["hosts"] == 25 and len(r.json()["changes"]["hosts_added"]) == 25
    )
    listing = client.get("/api/v1/inventory", headers=_as(auth, "viewer")).json()
    assert listing["source"] == "awx" and listing["synced_at"] and listing["variables"] == {"ansible_user": "patch"}
    db = next(h for h in listing["hosts"] if h["name"] == "db-prod-01")
    assert db == {"name": "db-prod-01", "enabled": True, "awx_id": db["awx_id"], "groups": ["db", "prod", "rhel9"],
                  "variables": {"env": "prod", "role": "db", "os": "rhel9", "critical": True}}  # fmt: skip
    rhel = next(g for g in listing["groups"] if g["name"] == "rhel")
    assert rhel["children"] == ["rhel8", "rhel9"] and rhel["hosts"] == []

    host = httpx.get(f"{emulator.url}/api/v2/inventories/1/hosts/?name=web-stg-02", headers=EMU_AUTH).json()
    hid = host["results"][0]["id"]
    httpx.patch(f"{emulator.url}/api/v2/hosts/{hid}/", json={"enabled": False}, headers=EMU_AUTH).raise_for_status()
    r = client.post("/api/v1/inventory/sync", headers=_as(auth, "admin"))
    assert r.status_code == 200 and r.json()["changes"]["hosts_disabled"] == ["web-stg-02"]
    refused = client.post(
        "/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01", "web-stg-02"]}, headers=_as(auth, "operator")
    )
    assert refused.status_code == 422
    assert "disabled in the AWX inventory" in refused.json()["detail"] and "web-stg-02" in refused.json()["detail"]
    assert httpx.get(f"{emulator.url}/_emulator/launches/").json() == {}
    ok = client.post("/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01"]}, headers=_as(auth, "operator"))
    assert ok.status_code == 202, ok.text


def test_failed_sync_answers_502_and_keeps_the_snapshot(api: tuple[TestClient, dict[str, str]], emulator: Any) -> None:
    client, auth = api
    assert client.post("/api/v1/inventory/sync", headers=_as(auth, "operator")).status_code == 200
    before = client.get("/api/v1/inventory", headers=_as(auth, "viewer")).json()
    emulator.faults(fail_next=2)
    r = client.post("/api/v1/inventory/sync", headers=_as(auth, "operator"))
    assert r.status_code == 502 and r.json()["status"] == "failed" and "503" in r.json()["error"]
    after = client.get("/api/v1/inventory", headers=_as(auth, "viewer")).json()
    assert after["hosts"] == before["hosts"] and after["synced_at"] == before["synced_at"]
    assert after["last_attempt"]["status"] == "failed" and after["last_attempt"]["error"] == r.json()["error"]
    ok = client.post("/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01"]}, headers=_as(auth, "operator"))
    assert ok.status_code == 202, ok.text  # targets still resolve against the kept snapshot
