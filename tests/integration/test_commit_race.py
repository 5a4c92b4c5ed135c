"""Commit, then answer: a write is visible to the next request as soon as its response arrives.

Run against a real uvicorn server: httpx's in-process ASGI transport returns only after the whole app call
(dependency exits included), so it would hide a response sent before the commit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import services

pytestmark = pytest.mark.integration

HOSTS = ["web-stg-01", "web-stg-02", "app-stg-01", "app-stg-02", "app-dev-01", "app-dev-02", "cache-stg-01", "ci-01"]
ROUNDS = 63  # per host: 8 hosts x 63 = 504 reads right after a create, 504 cancels right after a create


@pytest.fixture
def api_url(pipeline_settings, demo_tokens):
    from api.app import create_app

    base, stop = services.run_app_in_thread(create_app(pipeline_settings, awx_ping=lambda: {"version": "test"}))
    yield base, demo_tokens["operator"]
    stop()


def _hammer(base: str, token: str, host: str) -> list[str]:
    """Create-then-read, then create-then-cancel, ROUNDS times on one host; return what went wrong."""
    problems: list[str] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        for _ in range(ROUNDS):
            r = c.post("/api/v1/jobs", json={"action": "patch", "hosts": [host]})
            if r.status_code != 202:
                problems.append(f"create {host}: {r.status_code} {r.text}")
                continue
            job_id = r.json()["id"]
            read = c.get(f"/api/v1/jobs/{job_id}")
            if read.status_code != 200:
                problems.append(f"read {job_id}: {read.status_code}")
            r = c.post("/api/v1/jobs", json={"action": "reboot", "hosts": [host]})
            if r.status_code != 409:  # the host is held by the first job, which the read just saw
                problems.append(f"second create on {host}: {r.status_code} {r.text}")
            cancel = c.post(f"/api/v1/jobs/{job_id}/cancel")
            if cancel.status_code != 200 or cancel.json()["status"] != "canceled":
                problems.append(f"cancel {job_id}: {cancel.status_code} {cancel.text}")
            # The cancel committed before it answered: the host is free for the next round at once.
    return problems


@pytest.mark.slow
def test_create_then_read_and_cancel_never_404(api_url):
    base, token = api_url
    with ThreadPoolExecutor(len(HOSTS)) as pool:
        problems = [p for ps in pool.map(lambda h: _hammer(base, token, h), HOSTS) for p in ps]
    assert problems == []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        page = c.get("/api/v1/jobs", params={"status": "canceled", "limit": 1}).json()
    assert page["total"] == len(HOSTS) * ROUNDS
