"""Access control for the API: who is calling (``current_principal``) and may they (``require``, ``authorize``).

Credentials: ``Authorization: Bearer pp_...`` (a patchpilot API token) or an OIDC
JWT from the SSO provider; in development only, and only when
``auth.dev_header`` is on, ``X-Patchpilot-User: NAME`` naming an existing user.
Missing or bad credentials -> 401 with ``WWW-Authenticate: Bearer``; a caller
without the role -> 403. Every failure is audited in a transaction of its own
(the request's own transaction rolls back), with the reason, never the credential.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Route

from core.auth import service
from core.auth.errors import AuthFailed, FailReason, RateLimited
from core.auth.models import Principal, Role
from core.auth.oidc import OidcIdentity, OidcVerifier
from core.auth.policy import POLICY, PUBLIC_RULE, Endpoint, normalise, rule_for, rule_for_request
from core.auth.tokens import looks_like_jwt
from core.db import DictConn
from core.errors import NotAuthenticated, PermissionDenied
from core.settings import Environment, Settings

log = logging.getLogger(__name__)

# Declares the scheme in the OpenAPI document (the "Authorize" button); parsing is done below.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A patchpilot API token (pp_..., from 'patchpilot users token NAME') or an OIDC access token.",
)
_UNSET: Any = object()


def install(app: FastAPI, *, oidc: OidcVerifier | None = _UNSET) -> None:
    """Render 401/429 with their headers and set the OIDC verifier (default: from settings.auth)."""
    if oidc is not _UNSET:
        app.state.oidc_verifier = oidc

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        challenge = exc.www_authenticate if isinstance(exc, AuthFailed) else 'Bearer realm="patchpilot"'
        return JSONResponse(_body(exc), status_code=exc.status_code, headers={"WWW-Authenticate": challenge})

    @app.exception_handler(RateLimited)
    async def _limited(_: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(_body(exc), status_code=exc.status_code, headers={"Retry-After": str(exc.retry_after)})


def _body(exc: NotAuthenticated | RateLimited) -> dict[str, object]:
    body: dict[str, object] = {"error": exc.code, "detail": exc.message}
    body.update({k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool)})
    return body


def oidc_verifier(app: FastAPI) -> OidcVerifier | None:
    verifier: OidcVerifier | None = getattr(app.state, "oidc_verifier", _UNSET)
    if verifier is _UNSET:
        verifier = OidcVerifier.from_settings(app.state.settings.auth)
        app.state.oidc_verifier = verifier
    return verifier


def dev_header_enabled(settings: Settings) -> bool:
    return settings.env is Environment.development and settings.auth.dev_header


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@contextmanager
def _auth_connection(request: Request) -> Iterator[DictConn]:
    """A pooled connection of auth's own: what it writes (last use, failures) commits whatever the request does."""
    pool = request.app.state.pool
    if pool.closed:
        pool.open(wait=True, timeout=30)
    with pool.connection() as conn:
        yield conn


async def current_principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None
) -> Principal:
    """The authenticated caller; 401 (audited) when there is none.

    Async: an API token (the common case) is looked up on the read pool without a thread-pool hop; OIDC,
    the dev header and an app without its lifespan (no read pool) take the sync path in the thread pool.
    """
    try:
        principal = await _authenticate_fast(request)
        if principal is None:
            principal = await run_in_threadpool(_authenticate, request)
    except AuthFailed as failure:
        await run_in_threadpool(_record_failure, request, failure)
        raise
    request.state.principal = principal
    return principal


def _record_failure(request: Request, failure: AuthFailed) -> None:
    with _auth_connection(request) as conn:
        service.record_failure(conn, failure, source=client_ip(request), method=request.method, path=request.url.path)
        conn.commit()


async def _authenticate_fast(request: Request) -> Principal | None:
    """The principal for ``Authorization: Bearer pp_...`` read on the asyncio pool; None for anything else."""
    read_pool = getattr(request.app.state, "read_pool", None)
    header = request.headers.get("authorization")
    if read_pool is None or header is None:
        return None
    scheme, _sep, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential.startswith("pp_"):
        return None
    async with read_pool.connection() as aconn:
        return await service.authenticate_token_async(aconn, credential)


def _authenticate(request: Request) -> Principal:
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    dev_name = request.headers.get("x-patchpilot-user")
    identity: OidcIdentity | None = None
    credential = ""
    if header is None and not (dev_name is not None and dev_header_enabled(settings)):
        raise AuthFailed(FailReason.missing)
    if header is not None:
        scheme, _sep, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthFailed(FailReason.not_bearer)
        if not credential.startswith("pp_") and looks_like_jwt(credential):
            # Verified before a database connection is taken: a JWKS fetch must not hold one.
            verifier = oidc_verifier(request.app)
            if verifier is None:
                raise AuthFailed(FailReason.oidc_disabled)
            identity = verifier.verify(credential)
    with _auth_connection(request) as conn:
        # Each step is one statement (a lookup; at most one UPDATE of last use a minute), so autocommit: no
        # BEGIN/COMMIT round trips, one query per request instead of four (bench/api.py).
        conn.autocommit = True
        try:
            if identity is not None:
                principal = service.oidc_principal(conn, identity)
            elif header is not None:
                principal = service.authenticate_bearer(conn, credential, None)
            else:
                principal = service.authenticate_dev_user(conn, (dev_name or "").strip())
        finally:
            conn.autocommit = False
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _deny(request: Request, principal: Principal, wanted: frozenset[Role]) -> PermissionDenied:
    with _auth_connection(request) as conn:
        service.record_denial(
            conn, principal, wanted, source=client_ip(request), method=request.method, path=request.url.path
        )
        conn.commit()
    needs = " or ".join(sorted(wanted))
    has = ", ".join(sorted(principal.roles)) or "no role"
    return PermissionDenied(f"this needs the role {needs} (admin implies every role); {principal.name} has {has}")


class RoleRequirement:
    """The dependency ``require(...)`` returns; ``roles`` is read by ``policy_problems``."""

    def __init__(self, roles: frozenset[Role]) -> None:
        if not roles:
            raise ValueError("require() needs at least one role")
        self.roles = roles

    async def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        # Async: the check is a set lookup, not worth a thread-pool hop; only a denial (audited) touches the DB.
        if not principal.allows(self.roles):
            raise await run_in_threadpool(_deny, request, principal, self.roles)
        return principal

    def __repr__(self) -> str:
        return f"require({', '.join(sorted(self.roles))})"


def require(*roles: Role | str) -> RoleRequirement:
    """A dependency admitting callers with at least one of ``roles`` (or a role implying one); else 403.

    Use it as the parameter that gives the handler its caller:
    ``principal: Annotated[Principal, Depends(require(Role.operator))]``.
    """
    return RoleRequirement(frozenset(Role(r) for r in roles))


class PolicyRequirement:
    """One dependency for a whole router: the roles come from ``core.auth.policy.POLICY`` for the matched route.

    A route the matrix does not list is refused (fail closed).
    """

    def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        # The matched route's own path may lack the prefixes of the routers above it (FastAPI >= 0.160
        # keeps included routers nested), so the concrete path decides and the route's path narrows.
        path = request.url.path.removeprefix(request.scope.get("root_path", "") or "")
        route_path = getattr(request.scope.get("route"), "path", None)
        rule = rule_for_request(request.method, path, route_path)
        if rule is None:
            log.error("no access rule for %s %s: refused (add it to core/auth/policy.py)", request.method, path)
            raise PermissionDenied("this endpoint has no access rule yet, so it is refused")
        if rule is not PUBLIC_RULE and not principal.allows(rule):
            raise _deny(request, principal, rule)
        return principal


authorize = PolicyRequirement()


# --- checking an app against the matrix ---------------------------------------------------------


def _requirements(dependant: Dependant) -> list[object]:
    found: list[object] = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, RoleRequirement | PolicyRequirement):
            found.append(dep.call)
        found.extend(_requirements(dep))
    return found


def _routes(app: FastAPI) -> Iterator[Any]:
    # FastAPI >= 0.160 keeps included routers nested; its iter_route_contexts yields each route with its
    # full path and the dependencies of every router above it (what OpenAPI generation uses).
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:  # older FastAPI: app.routes is already flat
        yield from app.routes
        return
    yield from iter_contexts(app.routes)


def app_endpoints(app: FastAPI) -> list[tuple[Endpoint, list[object]]]:
    """Every (method, path) the app serves, with the access dependencies attached to it."""
    out: list[tuple[Endpoint, list[object]]] = []
    for route in _routes(app):
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute):
            reqs = _requirements(route.dependant)
        elif isinstance(original, Route):
            reqs = []
        else:
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD", "OPTIONS"}):
            out.append(((method, route.path), reqs))
    return out


def policy_problems(app: FastAPI) -> list[str]:
    """What is wrong between the app's routes and the matrix; a test asserts this is empty.

    A route missing from the matrix, a protected route with no ``require``/``authorize``
    dependency, or one whose ``require`` roles differ from the matrix.
    """
    problems: list[str] = []
    for (method, path), reqs in app_endpoints(app):
        rule = rule_for(method, path)
        if rule is None:
            problems.append(f"{method} {path}: not in core/auth/policy.py POLICY or PUBLIC")
        elif rule is PUBLIC_RULE or any(isinstance(r, PolicyRequirement) for r in reqs):
            continue
        elif not reqs:
            problems.append(f"{method} {path}: no require(...) or authorize dependency: unprotected")
        elif not any(isinstance(r, RoleRequirement) and r.roles == rule for r in reqs):
            attached = ", ".join(repr(r) for r in reqs)
            problems.append(f"{method} {path}: has {attached}, the matrix says require({', '.join(sorted(rule))})")
    return problems


def unserved_rules(app: FastAPI) -> list[Endpoint]:
    """Matrix entries no route serves (a renamed path leaves its old entry behind)."""
    served = {(m, normalise(p)) for (m, p), _ in app_endpoints(app)}
    return sorted(k for k in POLICY if (k[0], normalise(k[1])) not in served)
