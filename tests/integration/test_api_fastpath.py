"""api.fastpath: GET /jobs/{id} answered in one round trip is byte for byte the route's answer, and every case
that is not a plain 200 reaches the FastAPI route, which answers (and audits) it as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api import fastpath
from api.auth import require
from api.metrics import REGISTRY
from api.routes import jobs
from core.auth import repository as auth_repo
from core.auth import service as auth_service
from core.auth.models import Role
from core.db import commit, connect
from tests.integration.conftest import bearer
from tests.integration.test_api_read_path import _job_with_failures
from workers.jobs import repository as jobs_repo

pytestmark = pytest.mark.integration


class _Reached:
    """Innermost test middleware: counts the requests that got past the fast path to FastAPI's router."""

    def __init__(self, app: ASGIApp, seen: list[str]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(scope["path"])
        await self.app(scope, receive, send)


def _app(settings: Any, *, fast: bool = True) -> tuple[FastAPI, list[str]]:
    from api.app import create_app

    app = create_app(settings, awx_ping=lambda: {})
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not fastpath.JobReadFastPath]
    seen: list[str] = []
    app.user_middleware.append(Middleware(_Reached, seen=seen))  # the list runs outermost first
    return app, seen


def _served(route: str = "/jobs/{job_id}", status: str = "200") -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("patchpilot_http_requests_total", labels) or 0.0


def test_fast_answer_is_the_routes_answer(pipeline_settings, inventory, demo_tokens):
    job_id = _job_with_failures(pipeline_settings, inventory)
    headers = {**bearer(demo_tokens["viewer"]), "Origin": "http://evil.example"}
    fast_app, fast_seen = _app(pipeline_settings)
    slow_app, slow_seen = _app(pipeline_settings, fast=False)
    before = _served()
    with TestClient(fast_app) as fast, TestClient(slow_app) as slow:
        got = fast.get(f"/api/v1/jobs/{job_id}", headers=headers)
        want = slow.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert fast_seen == [] and slow_seen == [f"/api/v1/jobs/{job_id}"]  # one answered alone, one by the route
    assert got.status_code == want.status_code == 200
    assert got.content == want.content
    assert dict(got.headers) == dict(want.headers)  # security headers, content type and length, CORS
    assert [f["host"] for f in got.json()["failures"]] == ["web-stg-01", "web-stg-02"]
    assert _served() == before + 2  # metrics count the fast answer under the route's template


def test_every_other_case_reaches_the_route(pipeline_settings, inventory, demo_tokens):
    job_id = _job_with_failures(pipeline_settings, inventory)
    with connect(pipeline_settings.db.url) as conn:
        auth_service.create_user(conn, "norole1", [], by="test")
        issued = auth_service.issue_token(conn, "norole1", expires_days=None, by="test")
        commit(conn)
    viewer = bearer(demo_tokens["viewer"])
    app, seen = _app(pipeline_settings)
    cases = [
        (f"/api/v1/jobs/{job_id}", {}, 401),  # no credential
        (f"/api/v1/jobs/{job_id}", {"Authorization": "Bearer pp_not-a-real-token"}, 401),
        (f"/api/v1/jobs/{job_id}", {"Authorization": f"Basic {demo_tokens['viewer']}"}, 401),
        (f"/api/v1/jobs/{job_id}", bearer(issued.token), 403),  # a user without the viewer role
        ("/api/v1/jobs/987654321", viewer, 404),
        (f"/api/v1/jobs/{job_id:03d}0", viewer, 404),  # another job id, still the route's answer
        (f"/api/v1/jobs/00{job_id}", viewer, 200),  # FastAPI's int parsing, not the fast path's
        ("/api/v1/jobs/abc", viewer, 422),
    ]
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, headers, status in cases:
            seen.clear()
            r = client.get(path, headers=headers)
            assert r.status_code == status, (path, headers, r.text)
            assert seen == [path], path
        seen.clear()
        assert client.get(f"/api/v1/jobs/{job_id}", headers=viewer).status_code == 200
        assert seen == []
    with connect(pipeline_settings.db.url) as conn:
        denied = conn.execute(
            "SELECT actor FROM ops.audit WHERE action = 'auth.denied' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert denied is not None and denied["actor"] == "norole1"


def test_install_refuses_a_route_with_more_than_it_runs():
    def extra() -> None:
        return None

    def app_with(*deps: Any) -> FastAPI:
        app = FastAPI()
        router = APIRouter(prefix="/api/v1/jobs")
        router.add_api_route("/{job_id}", jobs.get_job, methods=["GET"], dependencies=list(deps))
        app.include_router(router)
        return app

    plain = app_with(Depends(require(Role.viewer)))
    fastpath.install(plain)
    assert [m.cls for m in plain.user_middleware] == [fastpath.JobReadFastPath]
    assert plain.user_middleware[0].kwargs["roles"] == frozenset({Role.viewer})
    with pytest.raises(RuntimeError, match="does not run"):
        fastpath.install(app_with(Depends(require(Role.viewer)), Depends(extra)))
    with pytest.raises(RuntimeError, match="does not run"):
        fastpath.install(app_with())  # no role requirement at all


def test_concurrent_reads_share_statements_and_each_gets_its_own_answer(pipeline_settings, inventory, demo_tokens):
    import asyncio

    from core.auth.tokens import token_hash
    from core.db import make_read_pool

    job_id = _job_with_failures(pipeline_settings, inventory)
    with connect(pipeline_settings.db.url) as conn:
        auth_service.create_user(conn, "batch1", [Role.viewer], by="test")
        revoked = auth_service.issue_token(conn, "batch1", expires_days=None, by="test")
        auth_service.revoke_token(conn, str(revoked.info.id), by="test")
        commit(conn)
    keys = [
        (job_id, token_hash(demo_tokens["viewer"])),
        (987654321, token_hash(demo_tokens["viewer"])),  # no such job
        (job_id, token_hash("pp_unknown")),  # no such token
        (job_id, token_hash(revoked.token)),
        (job_id, token_hash(demo_tokens["admin"])),
    ] * 4

    async def run() -> tuple[list[Any], list[Any], int]:
        pool = make_read_pool(pipeline_settings.db.url, min_size=1, max_size=2)
        await pool.open(wait=True)
        try:
            batch = fastpath.ReadBatch(max_size=8)
            together = await asyncio.gather(*(batch.read(pool, j, h) for j, h in keys))
            async with pool.connection() as aconn:
                alone = [
                    await jobs_repo.get_job_view_with(aconn, j, auth_repo.TOKEN_ROW_JSON, {"sha256": h})
                    for j, h in keys
                ]
            return together, alone, batch.statements
        finally:
            await pool.close()

    together, alone, statements = asyncio.run(run())
    assert statements == 3  # the 20 reads were all waiting when the first statement went out: 8 + 8 + 4
    assert together == alone
    assert together[1] is None
    assert together[2] is not None and together[2][2] is None  # the job, and no token
    assert together[3] is not None and together[3][2]["revoked_at"] is not None
    assert together[4] is not None and together[4][2]["user"] == "admin"
    assert together[0] is not None and [f["host"] for f in together[0][1]] == ["web-stg-01", "web-stg-02"]
