"""The role x endpoint matrix over HTTP: every endpoint, every role, allow or deny; no token -> 401,
wrong role -> 403 (issue #6 acceptance)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from core.auth.models import Role, effective_roles
from core.auth.policy import POLICY, PUBLIC
from tests.integration.conftest import bearer

pytestmark = pytest.mark.integration

ROLE_OF = {
    "admin": Role.admin,
    "operator": Role.operator,
    "approver": Role.approver,
    "viewer": Role.viewer,
    "kb-editor": Role.kb_editor,
}
PARAMS = {"job_id": "999999", "slug": "no-such-entry", "session_id": "matrix", "name": "nobody", "token_id": "1"}


def _path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "1"), template)


@pytest.fixture
def client(pipeline_settings):
    from api.app import create_app

    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_every_endpoint_for_every_role(client, demo_tokens):
    checked = 0
    for (method, template), allowed in sorted(POLICY.items()):
        path = _path(template)
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, f"{method} {path} without a token -> {anonymous.status_code}"
        assert anonymous.headers.get("www-authenticate", "").startswith("Bearer")
        for user, role in ROLE_OF.items():
            r = client.request(method, path, json={}, headers=bearer(demo_tokens[user]))
            may = bool(effective_roles([role]) & allowed) or role is Role.admin
            if may:
                assert r.status_code not in (401, 403), f"{user} should reach {method} {path}: {r.text[:200]}"
            else:
                assert r.status_code == 403, f"{user} must be refused {method} {path}: {r.status_code}"
            checked += 1
    for method, template in sorted(PUBLIC):
        r = client.request(method, _path(template))
        assert r.status_code not in (401, 403), f"public {method} {template} -> {r.status_code}"
    assert checked >= 5 * 25


def test_cancel_only_own_jobs_unless_admin(client, demo_tokens):
    job = client.post(
        "/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01"]}, headers=bearer(demo_tokens["operator"])
    ).json()
    other = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=bearer(demo_tokens["operator2"]))
    assert other.status_code == 403
    own = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=bearer(demo_tokens["operator"]))
    assert own.status_code == 200 and own.json()["status"] == "canceled"
