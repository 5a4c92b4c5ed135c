"""The real application against the role x endpoint matrix: no endpoint left unprotected.

Every route of the app has an entry in core/auth/policy.py and carries the roles it lists; every entry is
served by a route. The HTTP matrix itself is tests/integration/test_auth_matrix.py.
"""

from __future__ import annotations

import pytest

from api.auth import policy_problems, unserved_rules

pytestmark = pytest.mark.integration


@pytest.fixture
def app(pipeline_settings):
    from api.app import create_app

    return create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})


def test_every_route_is_in_the_matrix_and_carries_its_roles(app) -> None:
    assert policy_problems(app) == []


def test_every_matrix_entry_is_served(app) -> None:
    assert unserved_rules(app) == []
