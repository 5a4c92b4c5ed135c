"""Request size limit and security headers (pure ASGI, so streaming bodies are counted too)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413 before the handler reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        too_big = False
        refused = False

        async def limited() -> Message:
            nonlocal seen, too_big
            if too_big:
                return {"type": "http.request", "body": b"", "more_body": False}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True  # stop reading; the response is replaced by a 413 below
                    return {"type": "http.request", "body": b"", "more_body": False}
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal refused
            if too_big:
                if not refused:
                    refused = True
                    await self._refuse(send)
                return
            await send(msg)

        await self.app(scope, limited, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": "too_large", "detail": f"request body is larger than {self.max_bytes} bytes; send less"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope.get("path", "").startswith(("/docs", "/redoc"))

        async def add_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers: list[Any] = list(msg.get("headers", []))
                names = {h[0].lower() for h in headers}
                for k, v in SECURITY_HEADERS:
                    if k == b"content-security-policy" and docs:
                        continue  # the Swagger page loads its own scripts
                    if k not in names:
                        headers.append((k, v))
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, add_headers)
