"""Helpers shared by the test_auth_* modules (named test_ to stay among this work's files; it holds no tests).

``with_auth`` adds the settings fields proposed for core/settings.py (see the
access-control report) with their proposed defaults, so these tests run before and
after that change lands; ``tiny_app`` builds a FastAPI app with the auth pieces
and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI

from core.db import connect, make_pool
from core.settings import Settings

PROPOSED_AUTH: dict[str, Any] = {
    "dev_header": False,
    "oidc_username_claim": "preferred_username",
    "oidc_roles_claim": "groups",
    "oidc_role_map": {},
    "oidc_algorithms": ["RS256", "ES256"],
    "oidc_leeway_s": 30.0,
    "oidc_jwks_cache_s": 300.0,
}
PROPOSED_API: dict[str, Any] = {"chat_rate_limit": 20, "chat_rate_window_s": 60}


def with_auth(
    settings: Settings, *, env: str | None = None, api: dict[str, Any] | None = None, **auth: Any
) -> Settings:
    """``settings`` with the proposed auth/api fields (current values kept when they already exist)."""
    auth_fields = {k: getattr(settings.auth, k, v) for k, v in PROPOSED_AUTH.items()} | auth
    api_fields = {k: getattr(settings.api, k, v) for k, v in PROPOSED_API.items()} | (api or {})
    update: dict[str, Any] = {
        "auth": settings.auth.model_copy(update=auth_fields),
        "api": settings.api.model_copy(update=api_fields),
    }
    if env is not None:
        update["env"] = type(settings.env)(env)
    return settings.model_copy(update=update)


def tiny_app(settings: Settings, routers: Iterable[APIRouter] = (), **install: Any) -> FastAPI:
    """The error handlers, auth, a pool, and the given routers under /api/v1. Close app.state.pool after."""
    from api import auth, errors

    app = FastAPI()
    app.state.settings = settings
    app.state.pool = make_pool(settings.db.url or "", min_size=1, max_size=4)
    errors.install(app)
    auth.install(app, **install)
    v1 = APIRouter(prefix="/api/v1")
    for router in routers:
        v1.include_router(router)
    app.include_router(v1)
    return app


def audit_rows(db_url: str, action: str | None = None) -> list[dict[str, Any]]:
    with connect(db_url) as conn:
        if action is None:
            return conn.execute("SELECT * FROM ops.audit ORDER BY id").fetchall()
        return conn.execute("SELECT * FROM ops.audit WHERE action = %s ORDER BY id", (action,)).fetchall()
