"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ConnDep
from api.metrics import REGISTRY
from kb.store import effectiveness as kb_effectiveness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: PostgreSQL, Redis and AWX answer", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    checks = await asyncio.to_thread(_checks, request)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)


def _checks(request: Request) -> dict[str, Any]:
    state = request.app.state
    checks: dict[str, Any] = {}
    try:
        with state.pool.connection(timeout=3) as conn:
            conn.execute("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as exc:
        checks["postgres"] = f"unavailable: {type(exc).__name__}"
    try:
        import redis

        client = redis.Redis.from_url(state.settings.redis.url, socket_timeout=3)
        client.ping()
        client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    try:
        state.awx_ping()
        checks["awx"] = "ok"
    except Exception as exc:
        checks["awx"] = f"unavailable: {type(exc).__name__}"
    return checks


@router.get("/metrics", summary="Prometheus metrics")
def metrics(conn: ConnDep) -> Response:
    # KB effectiveness is read from the database at scrape time (kb.store.effectiveness; labels bounded).
    return Response(generate_latest(REGISTRY) + kb_effectiveness.prometheus_text(conn), media_type=CONTENT_TYPE_LATEST)
