"""Error bodies a client can act on: malformed JSON is located by line and column, not a character offset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(pipeline_settings, demo_tokens):
    from api.app import create_app

    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    with TestClient(
        app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {demo_tokens['operator']}"}
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("body", "where", "reason"),
    [
        (
            b'{"action": "patch", "hosts": ["web-stg-01"],}',
            "line 1, column 45",
            "Expecting property name enclosed in double quotes",
        ),
        (b'{\n  "action": "patch",\n  "hosts": ["web-stg-01"\n}', "line 4, column 1", "Expecting ',' delimiter"),
        ('{\n  "action": "pätch",\n  "hosts": [}'.encode(), "line 3, column 13", "Expecting value"),
    ],
)
def test_malformed_json_names_line_and_column(client, body, where, reason):
    r = client.post("/api/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    data = r.json()
    assert data["errors"] == [{"field": "body", "problem": f"the body is not valid JSON at {where} ({reason})"}]
    assert data["detail"] == f"body: the body is not valid JSON at {where} ({reason})"
    assert client.get("/api/v1/jobs").json()["total"] == 0  # nothing was written
