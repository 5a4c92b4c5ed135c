"""The AWX emulator as an ASGI app: AWX's paths, auth, errors and headers, plus test-only controls.

Serves the same tree under ``/api/v2/`` and ``/api/controller/v2/`` (AAP 2.5+).
Test controls live outside the AWX namespace, under ``/_emulator/``:
``GET launches/`` (launch counts per ``patchpilot_job_id``), ``POST scenario/``
(replace the scenario and start afresh), ``GET|POST faults/``, ``POST reset/``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
import re
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from workers.emulator import hosts_api, inventory_api, jobs_api, stdout_api, templates_api, views
from workers.emulator.http import ApiError, Ctx, json_response
from workers.emulator.listing import ListError
from workers.emulator.negotiate import JSON_RENDERERS, NOT_ACCEPTABLE, FormatNotFound, NotAcceptable, Renderer, select
from workers.emulator.scenario import Scenario
from workers.emulator.views import UNAUTHENTICATED, View
from workers.emulator.world import World

PREFIXES = ("/api/controller/v2/", "/api/v2/")
# Each API module lists its routes; the first match wins. Add a module's ROUTES here to serve it.
ROUTES: list[tuple[str, View]] = [
    *inventory_api.ROUTES,  # the inventory (hosts, groups, variables) as AWX serves it
    *views.ROUTES,
    *templates_api.ROUTES,
    *jobs_api.ROUTES,
    *stdout_api.ROUTES,
    *hosts_api.ROUTES,
]
_ROUTES = [(re.compile(f"^{pattern}$"), view) for pattern, view in ROUTES]
BROWSABLE = "<!DOCTYPE html><html><head><title>AWX REST API</title></head><body><pre>{}</pre></body></html>"
AUTH_DETAIL = "Authentication credentials were not provided. To establish a login session, visit /api/login/."
CONTENT_TYPE_DETAIL = (
    "You did not use correct Content-Type in your HTTP request. If you are using our REST API, "
    "the Content-Type must be application/json"
)


class EmulatorApp:
    """ASGI entry point; ``world`` holds the state (jobs are computed lazily from wall-clock time)."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path: str = scope["path"]
        if path.startswith("/_emulator/"):
            response = await self._control(request, path)
        elif path.startswith(("/api/v2", "/api/controller/v2")):
            self.world.api_requests += 1
            faults = self.world.faults
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            fault = self.world.fault_for_request()
            if fault == "drop":
                # Start a response and hang up: the client sees the connection drop mid-reply.
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
                return
            if fault is not None:
                response = _fault_response(fault, self.world)
            else:
                response = await self._api(request, path)
        else:
            response = json_response({"detail": "The requested resource could not be found."}, 404)
        await response(scope, receive, send)

    # --- AWX API -------------------------------------------------------

    async def _api(self, request: Request, path: str) -> Response:
        started = time.perf_counter()
        authenticated = False
        renderers: tuple[Renderer, ...] = JSON_RENDERERS
        accepted: str | None = None
        try:
            if not path.endswith("/"):
                query = request.url.query
                location = path + "/" + (f"?{query}" if query else "")
                return Response(status_code=301, headers={"Location": location})
            prefix = next(p for p in PREFIXES if path.startswith(p)) if path != "/api/v2/" else "/api/v2/"
            rest = path[len(prefix) :].strip("/")
            view, args = _route(rest)
            # DRF negotiates before it authenticates: a bad Accept is a 406 even without credentials.
            renderers = getattr(view, "renderers", JSON_RENDERERS)
            accepted = _negotiate(request, renderers)
            if view not in UNAUTHENTICATED:
                if not self._authenticated(request):
                    raise ApiError(401, AUTH_DETAIL, {"WWW-Authenticate": 'Bearer realm="api"'})
                authenticated = True
            body = await _json_body(request)
            params = list(request.query_params.multi_items())
            ctx = Ctx(self.world, request, prefix, path, params, args, body, accepted=accepted)
            response = view(ctx)
        except ApiError as exc:
            response = json_response(exc.body, exc.status, exc.headers)
        except ListError as exc:
            response = json_response({"detail": exc.detail}, exc.status)
        if accepted is None:
            response = _forced(response, renderers)
        elif accepted == "api" and response.media_type == "application/json":
            response = _browsable(response)
        response.headers["X-API-Product-Name"] = "AWX"
        response.headers["X-API-Node"] = "awx-emulator"
        response.headers["X-API-Time"] = f"{time.perf_counter() - started:.3f}s"
        if authenticated:
            response.headers["X-API-Product-Version"] = self.world.scenario.version
        return response

    def _authenticated(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        scen = self.world.scenario
        if scheme.lower() == "bearer":
            return credential.strip() in scen.tokens
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return scen.users.get(user) == password
        return False

    # --- test controls -------------------------------------------------

    async def _control(self, request: Request, path: str) -> Response:
        w = self.world
        name = path.removeprefix("/_emulator/").strip("/")
        try:
            body = await _json_body(request) if request.method == "POST" else {}
            if name == "launches" and request.method == "GET":
                return json_response(dict(w.launches))
            if name == "stats" and request.method == "GET":
                return json_response({"requests": w.api_requests, "jobs": len(w.jobs)})
            if name == "faults":
                faults = w.set_faults(body) if request.method == "POST" else w.faults
                return json_response(faults.model_dump())
            if name == "scenario" and request.method == "POST":
                w.load(Scenario.model_validate(body))
                return json_response({"ok": True, "templates": {t["name"]: t["id"] for t in w.templates.values()}})
            if name == "scenario" and request.method == "GET":
                return json_response(w.scenario.model_dump(mode="json"))
            if name == "reset" and request.method == "POST":
                w.load(w.scenario)
                return json_response({"ok": True})
        except ValidationError as exc:
            return json_response({"detail": json.loads(exc.json())}, 400)
        except ApiError as exc:
            return json_response(exc.body, exc.status)
        return json_response({"detail": "The requested resource could not be found."}, 404)


def _negotiate(request: Request, renderers: tuple[Renderer, ...]) -> str:
    try:
        return select(renderers, request.query_params.get("format"), request.headers.get("accept"))
    except NotAcceptable as exc:
        raise ApiError(406, NOT_ACCEPTABLE) from exc
    except FormatNotFound as exc:
        raise ApiError(404, "Not found.") from exc


def _forced(response: Response, renderers: tuple[Renderer, ...]) -> Response:
    """A failed negotiation renders with the view's first renderer (DRF ``force=True``): HTML for stdout."""
    if renderers[0][1] == "text/html" and response.media_type == "application/json":
        return _browsable(response)
    return response


def _browsable(response: Response) -> Response:
    """The browsable API: the JSON body on an HTML page, same status and headers."""
    text = bytes(response.body).decode("utf-8")
    page = BROWSABLE.format(html.escape(json.dumps(json.loads(text), indent=4) if text else ""))
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return Response(page, response.status_code, headers=headers, media_type="text/html")


def _route(rest: str) -> tuple[View, tuple[str, ...]]:
    for pattern, view in _ROUTES:
        match = pattern.match(rest)
        if match:
            return view, match.groups()
    raise ApiError(404, "The requested resource could not be found.")


async def _json_body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, CONTENT_TYPE_DETAIL)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"JSON parse error - {exc}\nPossible cause: trailing comma.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "JSON parse error - not a JSON object")
    return data


def _fault_response(kind: str, world: World) -> Response:
    status = 503 if kind == "fail" else world.rng.choice((502, 503, 504))
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}[status]
    html = f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1>"
    return Response(
        html + "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", status, media_type="text/html"
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(scenario: Scenario | None = None, *, state_dir: Path | None = None) -> EmulatorApp:
    """The emulator ASGI app for ``scenario`` (default: the built-in defaults; see ``demo_scenario()``).

    With ``state_dir`` its templates and jobs survive a restart (persist.py).
    """
    return EmulatorApp(World(scenario, state_dir=state_dir))
