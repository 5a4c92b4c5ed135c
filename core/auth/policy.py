"""The role x endpoint matrix, as data: which roles may call each endpoint of the API.

Keys are ``(METHOD, path template)`` with the full path (``/api/v1/...``); the
names of path parameters do not matter (``{job_id}`` and ``{id}`` compare
equal). A listed role also admits every role that implies it (admin implies all;
operator, approver and kb-editor imply viewer). ``PUBLIC`` endpoints need no
credential. Anything in neither table is refused: the API fails closed, and
``api.auth.policy_problems(app)`` lists the routes a test must fail on.

>>> rule_for("GET", "/api/v1/jobs/{id}") == frozenset({Role.viewer})
True
>>> rule_for("POST", "/api/v1/jobs/{job_id}/approve") == frozenset({Role.approver})
True
>>> rule_for("GET", "/healthz") is PUBLIC_RULE, rule_for("DELETE", "/api/v1/jobs") is None
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from core.auth.models import Principal, Role

Endpoint = tuple[str, str]

V = frozenset({Role.viewer})  # every signed-in role implies viewer
OPERATE = frozenset({Role.operator})
APPROVE = frozenset({Role.approver})
EDIT_KB = frozenset({Role.kb_editor})
ADMIN = frozenset({Role.admin})
PUBLIC_RULE: frozenset[Role] = frozenset()  # marker: no credential needed

API = "/api/v1"
# Where an admin re-runs a job's failure analysis; messages that tell them so (ui, tools) use this path.
REANALYSE = f"{API}/jobs/{{job_id}}/reanalyse"

POLICY: Mapping[Endpoint, frozenset[Role]] = {
    # jobs
    ("POST", f"{API}/jobs"): OPERATE,
    ("GET", f"{API}/jobs"): V,
    ("GET", f"{API}/jobs/{{job_id}}"): V,
    ("GET", f"{API}/jobs/{{job_id}}/stdout"): V,
    ("GET", f"{API}/jobs/{{job_id}}/progress"): V,
    ("GET", f"{API}/jobs/approvals"): APPROVE,  # the approver's queue
    ("POST", f"{API}/jobs/{{job_id}}/cancel"): OPERATE,  # + own job unless admin: may_cancel()
    ("POST", f"{API}/jobs/{{job_id}}/approve"): APPROVE,  # the service refuses the requester
    ("POST", f"{API}/jobs/{{job_id}}/reject"): APPROVE,
    ("POST", REANALYSE): OPERATE | EDIT_KB,
    # chat (a session belongs to the user who opened it)
    ("POST", f"{API}/chat"): OPERATE,
    ("POST", f"{API}/chat/{{session_id}}/confirm"): OPERATE,
    ("DELETE", f"{API}/chat/{{session_id}}/pending"): OPERATE,
    ("GET", f"{API}/chat/{{session_id}}"): OPERATE,  # the conversation so far, for a reloaded page
    # knowledge base (search is GET /kb/entries?q=)
    ("GET", f"{API}/kb/entries"): V,
    ("GET", f"{API}/kb/entries/{{slug}}"): V,
    ("GET", f"{API}/kb/entries/{{slug}}/history"): V,
    ("POST", f"{API}/kb/entries"): EDIT_KB,
    ("PUT", f"{API}/kb/entries/{{slug}}"): EDIT_KB,
    ("POST", f"{API}/kb/entries/{{slug}}/disable"): EDIT_KB,
    ("POST", f"{API}/kb/entries/{{slug}}/enable"): EDIT_KB,
    ("POST", f"{API}/kb/test"): EDIT_KB,
    ("POST", f"{API}/kb/suggest"): EDIT_KB,
    ("GET", f"{API}/kb/unmatched"): V,
    ("GET", f"{API}/kb/unmatched/trend"): V,
    ("POST", f"{API}/analyze"): OPERATE | EDIT_KB,
    # inventory (the stored snapshot of the AWX inventory; sync re-reads the source)
    ("GET", f"{API}/inventory"): V,
    ("POST", f"{API}/inventory/sync"): OPERATE,
    # audit and users
    ("GET", f"{API}/audit"): ADMIN,
    ("GET", f"{API}/users/me"): V,
    ("GET", f"{API}/users"): ADMIN,
    ("POST", f"{API}/users"): ADMIN,
    ("PATCH", f"{API}/users/{{name}}"): ADMIN,
    ("POST", f"{API}/users/{{name}}/tokens"): ADMIN,
    ("POST", f"{API}/users/{{name}}/tokens/{{token_id}}/revoke"): ADMIN,
}

PUBLIC: frozenset[Endpoint] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
    }
)

_PARAM = re.compile(r"\{[^}]*\}")


def normalise(path: str) -> str:
    """A path template with its parameter names erased.

    >>> normalise("/api/v1/jobs/{job_id}/stdout")
    '/api/v1/jobs/{}/stdout'
    """
    return _PARAM.sub("{}", path.rstrip("/") or "/")


_INDEX: dict[Endpoint, frozenset[Role]] = {(m, normalise(p)): roles for (m, p), roles in POLICY.items()}
_PUBLIC_INDEX = {(m, normalise(p)) for m, p in PUBLIC}


def rule_for(method: str, path_template: str) -> frozenset[Role] | None:
    """The roles allowed on an endpoint, ``PUBLIC_RULE`` for public ones, None when the matrix has no entry."""
    key = (method.upper(), normalise(path_template))
    if key in _PUBLIC_INDEX:
        return PUBLIC_RULE
    return _INDEX.get(key)


def _regex(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template.rstrip("/") or "/")
    return re.compile("[^/]+".join(re.escape(p) for p in parts))


# (method, regex of concrete paths, normalised template, roles): most literal templates first, so
# /users/me wins over /users/{name}.
_MATCHERS = sorted(
    [(m, _regex(p), normalise(p), roles) for (m, p), roles in POLICY.items()]
    + [(m, _regex(p), normalise(p), PUBLIC_RULE) for m, p in PUBLIC],
    key=lambda t: (-len(_PARAM.sub("", t[2])), t[2]),
)


def rule_for_request(method: str, path: str, route_path: str | None = None) -> frozenset[Role] | None:
    """The rule for a concrete request path (``/api/v1/jobs/42``); ``route_path`` is the matched route's
    template as the router knows it, possibly without the prefixes of the routers above it.

    >>> rule_for_request("GET", "/api/v1/users/me") == frozenset({Role.viewer})
    True
    >>> rule_for_request("POST", "/api/v1/jobs/42/approve", "/{job_id}/approve") == frozenset({Role.approver})
    True
    >>> rule_for_request("DELETE", "/api/v1/jobs/42") is None
    True
    """
    method = "GET" if method.upper() == "HEAD" else method.upper()
    path = path.rstrip("/") or "/"
    found = [(tmpl, roles) for m, rx, tmpl, roles in _MATCHERS if m == method and rx.fullmatch(path)]
    if route_path is not None:
        found = [(tmpl, roles) for tmpl, roles in found if tmpl.endswith(normalise(route_path))] or found
    return found[0][1] if found else None


def missing(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """The endpoints the matrix says nothing about (each one would be refused)."""
    return sorted({(m.upper(), p) for m, p in endpoints if rule_for(m, p) is None})


def may_cancel(principal: Principal, requested_by: str) -> bool:
    """Operators cancel their own jobs; admins cancel anyone's."""
    return principal.is_admin or (principal.name == requested_by and principal.allows(OPERATE))
