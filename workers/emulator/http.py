"""Small HTTP helpers shared by the emulator's views: AWX-style JSON responses and errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from workers.emulator.world import World


class ApiError(Exception):
    """Render as ``{"detail": ...}`` (or a validation body) with this status."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(detail))
        self.status = status
        self.body = detail if isinstance(detail, dict) else {"detail": detail}
        self.headers = headers or {}


NOT_FOUND = "Not found."


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def method_not_allowed(method: str) -> ApiError:
    return ApiError(405, f'Method "{method}" not allowed.')


@dataclass
class Ctx:
    """One API request as the views see it."""

    world: World
    request: Request
    prefix: str  # "/api/v2/" or "/api/controller/v2/"
    path: str  # full request path (with the prefix)
    params: list[tuple[str, str]]
    args: tuple[str, ...] = ()
    body: dict[str, Any] = field(default_factory=dict)
    accepted: str = "json"  # the negotiated renderer's format (negotiate.py)

    @property
    def method(self) -> str:
        return self.request.method

    def query(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def int_arg(self, index: int = 0) -> int:
        return int(self.args[index])
