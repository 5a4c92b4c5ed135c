"""Schemathesis over the OpenAPI document: no input makes the API answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def api_schema(pipeline_settings):
    from api.app import create_app

    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
