"""The role x endpoint matrix: complete for the API's endpoints, and checkable against an app's routes."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI

from api.auth import Principal, authorize, policy_problems, require, unserved_rules
from core.auth.models import AuthMethod, Role
from core.auth.policy import POLICY, PUBLIC, PUBLIC_RULE, may_cancel, missing, normalise, rule_for

V, OP, AP, KB, AD = Role.viewer, Role.operator, Role.approver, Role.kb_editor, Role.admin

# Every endpoint of the API (issue #6), with who may call it: the matrix must say exactly this.
EXPECTED = {
    ("POST", "/api/v1/jobs"): {OP},
    ("GET", "/api/v1/jobs"): {V},
    ("GET", "/api/v1/jobs/{id}"): {V},
    ("GET", "/api/v1/jobs/{id}/stdout"): {V},
    ("GET", "/api/v1/jobs/{id}/progress"): {V},
    ("GET", "/api/v1/jobs/approvals"): {AP},
    ("POST", "/api/v1/jobs/{id}/cancel"): {OP},
    ("POST", "/api/v1/jobs/{id}/approve"): {AP},
    ("POST", "/api/v1/jobs/{id}/reject"): {AP},
    ("POST", "/api/v1/jobs/{id}/reanalyse"): {OP, KB},
    ("POST", "/api/v1/chat"): {OP},
    ("POST", "/api/v1/chat/{sid}/confirm"): {OP},
    ("DELETE", "/api/v1/chat/{sid}/pending"): {OP},
    ("GET", "/api/v1/chat/{sid}"): {OP},
    ("GET", "/api/v1/kb/entries"): {V},
    ("GET", "/api/v1/kb/entries/{slug}"): {V},
    ("GET", "/api/v1/kb/entries/{slug}/history"): {V},
    ("POST", "/api/v1/kb/entries"): {KB},
    ("PUT", "/api/v1/kb/entries/{slug}"): {KB},
    ("POST", "/api/v1/kb/entries/{slug}/disable"): {KB},
    ("POST", "/api/v1/kb/entries/{slug}/enable"): {KB},
    ("POST", "/api/v1/kb/test"): {KB},
    ("POST", "/api/v1/kb/suggest"): {KB},
    ("GET", "/api/v1/kb/unmatched"): {V},
    ("GET", "/api/v1/kb/unmatched/trend"): {V},
    ("POST", "/api/v1/analyze"): {OP, KB},
    ("GET", "/api/v1/inventory"): {V},
    ("POST", "/api/v1/inventory/sync"): {OP},
    ("GET", "/api/v1/audit"): {AD},
    ("GET", "/api/v1/users/me"): {V},
    ("GET", "/api/v1/users"): {AD},
    ("POST", "/api/v1/users"): {AD},
    ("PATCH", "/api/v1/users/{name}"): {AD},
    ("POST", "/api/v1/users/{name}/tokens"): {AD},
    ("POST", "/api/v1/users/{name}/tokens/{tid}/revoke"): {AD},
}
EXPECTED_PUBLIC = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"]


def test_matrix_is_exactly_the_expected_one() -> None:
    assert missing(EXPECTED) == []
    for (method, path), roles in EXPECTED.items():
        assert rule_for(method, path) == roles, f"{method} {path}"
    assert {(m, normalise(p)) for m, p in POLICY} == {(m, normalise(p)) for m, p in EXPECTED}
    assert all(rule_for("GET", p) is PUBLIC_RULE for p in EXPECTED_PUBLIC)
    assert len(PUBLIC) == len(EXPECTED_PUBLIC)


def test_no_two_entries_collide_after_normalising() -> None:
    keys = [(m, normalise(p)) for m, p in POLICY]
    assert len(keys) == len(set(keys))
    assert not ({(m, normalise(p)) for m, p in PUBLIC} & set(keys))


def test_every_write_needs_more_than_viewer_and_admin_may_do_everything() -> None:
    for (method, path), roles in POLICY.items():
        assert roles, f"{method} {path} has no role"
        if method != "GET":
            assert Role.viewer not in roles, f"{method} {path} lets viewers write"
        admin = Principal(name="root", roles=frozenset({Role.admin}), via=AuthMethod.token)
        assert admin.allows(roles)
    viewer = Principal(name="v", roles=frozenset({Role.viewer}), via=AuthMethod.token)
    assert not viewer.allows(POLICY[("GET", "/api/v1/audit")])


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/jobs/{id}"), ("GET", "/api/v1/secret"), ("POST", "/healthz"), ("GET", "/api/v1/jobs/x/y")],
)
def test_unknown_endpoints_have_no_rule(method: str, path: str) -> None:
    assert rule_for(method, path) is None
    assert missing([(method, path)]) == [(method, path)]


def test_may_cancel_own_job_only_unless_admin() -> None:
    ann = Principal(name="ann", roles=frozenset({Role.operator}), via=AuthMethod.token)
    viewer = Principal(name="vic", roles=frozenset({Role.viewer}), via=AuthMethod.token)
    admin = Principal(name="root", roles=frozenset({Role.admin}), via=AuthMethod.token)
    assert may_cancel(ann, "ann") and not may_cancel(ann, "bob")
    assert not may_cancel(viewer, "vic")
    assert may_cancel(admin, "bob")


def _app() -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/api/v1/jobs")

    @router.get("")
    def jobs(p: Annotated[Principal, Depends(require(Role.viewer))]) -> str:
        return p.name

    @router.post("/{job_id}/approve")
    def approve(job_id: int, p: Annotated[Principal, Depends(require(Role.operator))]) -> str:  # wrong role
        return p.name

    @router.post("/{job_id}/reject", dependencies=[Depends(require(Role.approver))])
    def reject(job_id: int) -> str:
        return "ok"

    @router.get("/{job_id}")
    def one(job_id: int) -> str:  # forgot require()
        return "x"

    @router.delete("/{job_id}")
    def delete(job_id: int) -> str:  # not in the matrix
        return "x"

    guarded = APIRouter(prefix="/api/v1/jobs", dependencies=[Depends(authorize)])

    @guarded.get("/{job_id}/stdout")
    def stdout(job_id: int) -> str:
        return "x"

    app.include_router(router)
    app.include_router(guarded)
    return app


def test_policy_problems_name_every_mismatch() -> None:
    problems = policy_problems(_app())
    assert len(problems) == 3, problems
    joined = "\n".join(problems)
    assert "POST /api/v1/jobs/{job_id}/approve: has require(operator), the matrix says require(approver)" in joined
    assert "GET /api/v1/jobs/{job_id}: no require(...) or authorize dependency: unprotected" in joined
    assert "DELETE /api/v1/jobs/{job_id}: not in core/auth/policy.py POLICY or PUBLIC" in joined
    # /docs, /openapi.json (public), the router-level authorize and the right require() pass.
    assert "reject" not in joined and "stdout" not in joined and "GET /api/v1/jobs:" not in joined


def test_unserved_rules_list_what_no_route_serves() -> None:
    unserved = unserved_rules(_app())
    assert ("POST", "/api/v1/chat") in unserved
    assert ("GET", "/api/v1/jobs") not in unserved and ("POST", "/api/v1/jobs/{job_id}/approve") not in unserved


def test_require_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require()
    with pytest.raises(ValueError):
        require("root")
