"""``GET /api/v1/jobs/{id}`` answered without FastAPI's per-request machinery, when the answer is a plain 200.

The hottest read (the chat and the UIs poll it) cost ~1 ms of server CPU and ~300 us of PostgreSQL CPU a
request under 16 clients, against ~175 us for a bare FastAPI endpoint returning the same JSON (bench/api.py).
Where it went: two statements (the token check, then the job), each ~75 us of psycopg, asyncio and kernel
on the server plus a pooled connection taken and returned; route matching through nested routers and three
levels of dependencies (~100 us); validating the job through five models (~20 us); middleware ~25 us. Here:
the token check rides in the job's own statement (``TOKEN_ROW_JSON`` in ``get_job_view_with``), the request
is matched by one regular expression, and concurrent reads share statements (``ReadBatch``): ~290 us of
server CPU and ~35 us of PostgreSQL CPU a request.

This path only ever answers the success: a valid API token (``Bearer pp_...``, checked in the database on
every request: a revocation takes effect at once) whose user has the route's roles, and a job that exists.
Anything else (no or another credential, an unknown, revoked or expired token, a missing role, no such job,
a path FastAPI would parse differently, no read pool, a database error) goes to the FastAPI route untouched,
which decides again and answers, and audits, as it always has. The middleware stack (metrics, CORS, security
headers, body limit) is outside it, so a fast answer carries what the route's answer carries.

``install`` refuses an app whose route gained a dependency this path does not run (a test builds the app).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPBearer
from starlette._utils import get_route_path
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import RoleRequirement, current_principal
from api.routes import jobs
from core.auth import repository as auth_repo
from core.auth import service as auth_service
from core.auth.errors import AuthFailed
from core.auth.models import Role
from core.auth.tokens import looks_like_api_token, token_hash
from workers.jobs import repository as jobs_repo
from workers.jobs.models import Job

log = logging.getLogger(__name__)

# What the route's own parameters and dependencies are; anything more and install() refuses.
_ROUTE_PARAMS = {"job_id", "request"}


class JobReadFastPath:
    """Pure ASGI middleware, innermost of the app's own: serves ``GET {prefix}/jobs/{id}`` when it is a plain 200,
    else passes the request on unchanged."""

    def __init__(self, app: ASGIApp, route: APIRoute, path_format: str, roles: frozenset[Role]) -> None:
        self.app, self.route, self.roles = app, route, roles
        self.batch = ReadBatch()
        head, sep, tail = path_format.partition("{job_id}")
        if not sep or "{" in head + tail:
            raise ValueError(f"{path_format!r}: expected one {{job_id}} parameter")
        # A positive int written as FastAPI parses it back; any other spelling ("007", "+7") goes to FastAPI.
        self.path = re.compile(re.escape(head) + "([1-9][0-9]{0,17})" + re.escape(tail))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and "fastapi.telemetry" not in scope:
            match = self.path.fullmatch(get_route_path(scope))
            if match is not None:
                body = await self._answer(scope, int(match[1]))
                if body is not None:
                    scope["route"] = self.route  # what routing sets: RequestMetrics labels by it
                    await Response(body, media_type="application/json")(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, job_id: int) -> str | None:
        """The route's 200 body, or None when the FastAPI route must decide."""
        read_pool = getattr(scope["app"].state, "read_pool", None)
        credential = _api_token(scope)
        if read_pool is None or credential is None:
            return None
        try:
            found = await self.batch.read(read_pool, job_id, token_hash(credential))
            if found is None:
                return None  # no such job: the route answers 404 (after its own auth)
            job, failures, token = found
            principal = auth_service.token_principal(token)
            if not principal.allows(self.roles):
                return None  # the route answers 403 and audits it
            if token["use_stale"]:  # at most once a minute per token
                async with read_pool.connection() as aconn:
                    await auth_repo.touch_token_async(aconn, token["id"])
        except AuthFailed:
            return None  # the route answers 401 and audits it
        except Exception:  # the route meets the same problem and answers it as usual
            log.debug("fast path for GET /jobs/%s passed on", job_id, exc_info=True)
            return None
        scope.setdefault("state", {})["principal"] = principal  # as current_principal leaves it
        return jobs.job_document(job, failures)


View = tuple[Job, list[dict[str, Any]], Any]


class ReadBatch:
    """Concurrent fast-path reads share statements: a read that arrives while a statement is out waits for the
    next one, which carries every read that arrived meanwhile (one round trip, one pooled connection, for up to
    ``max_size`` reads). A lone read goes out at once: batching adds no wait, it only fills the wait there is."""

    def __init__(self, max_size: int = 64) -> None:
        self.max_size = max_size
        self.statements = 0  # how many went out (tests check that reads share them)
        self.pending: list[tuple[int, str, asyncio.Future[View | None]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def read(self, pool: Any, job_id: int, sha256: str) -> View | None:
        future: asyncio.Future[View | None] = asyncio.get_running_loop().create_future()
        self.pending.append((job_id, sha256, future))
        if self.draining is None:
            self.draining = asyncio.create_task(self._drain(pool))
        return await future

    async def _drain(self, pool: Any) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[: self.max_size], self.pending[self.max_size :]
                self.statements += 1
                try:
                    async with pool.connection() as aconn:
                        views = await jobs_repo.get_job_views_with(
                            aconn, [(j, h) for j, h, _ in batch], auth_repo.TOKEN_ROW_JSON, "sha256"
                        )
                except Exception as exc:  # every read of the batch passes on to the route
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:  # cancelled (shutdown): so are the reads waiting on it
                    for *_, future in batch + self.pending:
                        future.cancel()
                    self.pending = []
                    raise
                for (*_, future), view in zip(batch, views, strict=True):
                    if not future.done():  # a read whose client left was cancelled
                        future.set_result(view)
        finally:
            self.draining = None


def _api_token(scope: Scope) -> str | None:
    """The ``Bearer pp_...`` credential of the first Authorization header, parsed as ``current_principal``
    parses it; None for anything else."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _sep, credential = value.decode("latin-1").strip().partition(" ")
            credential = credential.strip()
            ok = scheme.lower() == "bearer" and credential.startswith("pp_") and looks_like_api_token(credential)
            return credential if ok else None
    return None


def install(app: FastAPI) -> None:
    """Put the fast path in front of the router (call before the other middleware: it must be innermost)."""
    found = [c for c in iter_route_contexts(app.routes) if getattr(c, "endpoint", None) is jobs.get_job]
    if len(found) != 1:
        raise RuntimeError(f"api.fastpath: expected one route for jobs.get_job, found {len(found)}")
    context = found[0]
    route = getattr(context, "original_route", context)
    if not isinstance(route, APIRoute) or set(route.methods or ()) != {"GET"} or context.path is None:
        raise RuntimeError("api.fastpath: jobs.get_job is not a GET APIRoute with a path")
    roles = _checked_roles(context.dependant)  # with the dependencies of every router above the route
    app.add_middleware(JobReadFastPath, route=route, path_format=context.path, roles=roles)


def _checked_roles(dependant: Dependant) -> frozenset[Role]:
    """The roles of the route's ``require(...)``; RuntimeError when the route has anything this path skips."""
    params = {p.name for p in dependant.path_params + dependant.query_params + dependant.header_params}
    params |= {p.name for p in dependant.cookie_params + dependant.body_params}
    params |= {n for n in (dependant.request_param_name,) if n}
    calls: list[Any] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        calls.append(dep.call)
        stack.extend(dep.dependencies)
    requirements = [c for c in calls if isinstance(c, RoleRequirement)]
    others = [c for c in calls if not isinstance(c, RoleRequirement | HTTPBearer) and c is not current_principal]
    if params != _ROUTE_PARAMS or len(requirements) != 1 or others:
        raise RuntimeError(
            "api.fastpath: GET /jobs/{job_id} has parameters or dependencies the fast path does not run "
            f"(params {sorted(params)}, dependencies {calls!r}); teach api/fastpath.py or drop install()"
        )
    return requirements[0].roles
