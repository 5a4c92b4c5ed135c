"""The FastAPI application: ``create_app(settings)``; routers under /api/v1."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import auth, errors, fastpath
from api.metrics import RequestMetrics
from api.middleware import BodyLimit, SecurityHeaders
from api.routes import analyze, audit, chat, health, inventory, jobs, kb, users
from core.db import make_pool, make_read_pool
from core.settings import Settings
from workers.inventory.service import InventoryCache

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, awx_ping: Callable[[], Any] | None = None) -> FastAPI:
    if not settings.db.url:
        raise RuntimeError("settings.db.url is not set; 'patchpilot api' starts the embedded server for you")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool.open(wait=True, timeout=30)
        # The hot reads (auth's token lookup, GET /jobs/{id}) await this pool on the event loop; it lives on
        # the lifespan's loop, so an ASGI client that skips the lifespan leaves it None and they fall back to
        # the sync pool in the thread pool (same results, slower).
        read_pool = make_read_pool(settings.db.url or "", min_size=1, max_size=settings.db.pool_max)
        await read_pool.open(wait=True, timeout=30)
        app.state.read_pool = read_pool
        try:
            yield
        finally:
            app.state.read_pool = None
            await read_pool.close()
            app.state.pool.close()

    app = FastAPI(
        title="patchpilot",
        version="0.1.0",
        description="Patch Linux fleets by chat, safely. Errors are JSON: {error, detail}.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Opened by the lifespan; ASGI test clients that skip the lifespan open it on first use (api.deps).
    app.state.pool = make_pool(settings.db.url, min_size=1, max_size=settings.db.pool_max, open_now=False)
    # Targets resolve against the stored inventory snapshot (workers.inventory), never a file fallback:
    # Settings refuse a production start without an inventory source, and never use the demo fleet there.
    app.state.read_pool = None  # opened by the lifespan
    app.state.inventory_cache = InventoryCache()
    app.state.awx_ping = awx_ping or _awx_ping(settings)
    errors.install(app)
    auth.install(app)

    v1 = APIRouter(prefix="/api/v1")
    for router in (jobs.router, kb.router, analyze.router, chat.router, audit.router, users.router, inventory.router):
        v1.include_router(router)
    app.include_router(v1)
    app.include_router(health.router)

    fastpath.install(app)  # innermost: GET /jobs/{id} served in one round trip when it is a plain 200
    app.add_middleware(RequestMetrics)  # sees the matched route in the scope
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.api.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"]
        + (["X-Patchpilot-User"] if auth.dev_header_enabled(settings) else []),
        expose_headers=["Retry-After", "WWW-Authenticate", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    return app


def _awx_ping(settings: Settings) -> Callable[[], Any]:
    def ping() -> Any:
        from workers.awx.client import AwxClient

        with AwxClient(settings.awx) as client:
            return client.ping()

    return ping
