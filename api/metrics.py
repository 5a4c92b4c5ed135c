"""Prometheus metrics of the API process."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("patchpilot_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("patchpilot_http_request_seconds", "HTTP request latency", ["route"], registry=REGISTRY)
JOBS_SUBMITTED = Counter("patchpilot_jobs_submitted_total", "Jobs submitted", ["action", "status"], registry=REGISTRY)


class RequestMetrics:
    """Count and time every HTTP request by route template (pure ASGI: Starlette's ``@app.middleware("http")``
    runs each request through an extra task and memory streams, a quarter of a small request's cost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, record_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            LATENCY.labels(path).observe(time.perf_counter() - start)
