"""The emulator's shared view helpers and its small endpoints: root, ping, me, organizations, projects, credentials.

Views are plain functions of a Ctx; each module lists its ROUTES (paths relative to
``/api/v2/`` or ``/api/controller/v2/``) and app.py joins them. Views that render
anything but JSON declare their renderers (``RENDERERS``), as DRF views do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from starlette.responses import Response

from workers.emulator import serializers as ser
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response, method_not_allowed
from workers.emulator.listing import Row, filter_rows, order_rows, paginate

View = Callable[[Ctx], Response]


def list_response(
    ctx: Ctx,
    rows: list[Row],
    serialize: Callable[[Any], dict[str, Any]],
    *,
    fields: Collection[str],
    default_order: str = "id",
    search: tuple[str, ...] = ("name",),
    allow_limit: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """A paginated AWX list; ``fields`` are the filterable names (anything else is a 400, as in AWX)."""
    rows = filter_rows(rows, ctx.params, search, fields)
    rows = order_rows(rows, ctx.query("order_by") or ctx.query("order"), default_order)
    return json_response(paginate(rows, ctx.params, ctx.path, serialize, allow_limit=allow_limit), headers=headers)


def only(ctx: Ctx, *methods: str) -> None:
    if ctx.method not in methods:
        raise method_not_allowed(ctx.method)


# --- root, ping, me -------------------------------------------------------


def root(ctx: Ctx) -> Response:
    only(ctx, "GET")
    names = ["ping", "me", "job_templates", "jobs", "job_events", "inventories", "hosts", "groups"]
    names += ["organizations", "projects", "credentials", "workflow_jobs"]
    return json_response({name: f"{ctx.prefix}{name}/" for name in names})


def ping(ctx: Ctx) -> Response:
    only(ctx, "GET")
    version = ctx.world.scenario.version
    return json_response(
        {
            "ha": False,
            "version": version,
            "active_node": "awx-emulator",
            "install_uuid": "00000000-0000-4000-8000-00000000e4d1",
            "instances": [
                {
                    "node": "awx-emulator",
                    "node_type": "hybrid",
                    "uuid": "00000000-0000-4000-8000-00000000e4d2",
                    "heartbeat": ser.ts(ctx.world.now()),
                    "capacity": 100,
                    "version": version,
                }
            ],
            "instance_groups": [{"name": "default", "capacity": 100, "instances": ["awx-emulator"]}],
        }
    )


def me(ctx: Ctx) -> Response:
    only(ctx, "GET")
    p = ctx.prefix
    user = {
        "id": 1,
        "type": "user",
        "url": f"{p}users/1/",
        "related": {"teams": f"{p}users/1/teams/", "personal_tokens": f"{p}users/1/personal_tokens/"},
        "summary_fields": {"user_capabilities": {"edit": True, "delete": False}},
        "created": ser.ts(ctx.world.created),
        "modified": ser.ts(ctx.world.created),
        "username": "admin",
        "first_name": "",
        "last_name": "",
        "email": "admin@example.com",
        "is_superuser": True,
        "is_system_auditor": False,
        "password": "$encrypted$",
        "last_login": None,
    }
    return json_response({"count": 1, "next": None, "previous": None, "results": [user]})


# --- organizations and projects ------------------------------------------


def organizations(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    rows = [({"id": o["id"], "name": o["name"]}, o) for o in w.organizations.values()]
    p = ctx.prefix

    def one(o: dict[str, Any]) -> dict[str, Any]:
        return {"id": o["id"], "type": "organization", "url": f"{p}organizations/{o['id']}/", "related": {},
                "summary_fields": {}, "created": ser.ts(w.created), "modified": ser.ts(w.created),
                "name": o["name"], "description": "", "max_hosts": 0, "custom_virtualenv": None,
                "default_environment": None}  # fmt: skip

    if ctx.args:
        o = w.organizations.get(ctx.int_arg())
        if o is None:
            raise ApiError(404, NOT_FOUND)
        return json_response(one(o))
    return list_response(ctx, rows, one, fields=("id", "name"))


def projects(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    p = ctx.prefix
    rows = [
        ({"id": x["id"], "name": x["name"], "organization": x["organization"],
          "organization__name": w.organizations[x["organization"]]["name"]}, x)
        for x in w.projects.values()
    ]  # fmt: skip

    def one(x: dict[str, Any]) -> dict[str, Any]:
        return {"id": x["id"], "type": "project", "url": f"{p}projects/{x['id']}/",
                "related": {"playbooks": f"{p}projects/{x['id']}/playbooks/"}, "summary_fields": {},
                "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": x["name"], "description": "",
                "local_path": "_1__patchpilot", "scm_type": "git",
                "scm_url": "https://git.example.com/ops/patchpilot.git", "scm_branch": "main", "scm_refspec": "",
                "scm_clean": False, "scm_track_submodules": False, "scm_delete_on_update": False, "credential": None,
                "timeout": 0, "scm_revision": "0c7a2b1e6c4f2d9a8b7e5f3a1c0d9e8f7a6b5c4d",
                "last_job_run": ser.ts(w.created), "last_job_failed": False, "next_job_run": None,
                "status": "successful", "organization": x["organization"], "scm_update_on_launch": False,
                "scm_update_cache_timeout": 0, "allow_override": False, "custom_virtualenv": None,
                "default_environment": None, "signature_validation_credential": None, "last_update_failed": False,
                "last_updated": ser.ts(w.created)}  # fmt: skip

    if ctx.args:
        x = w.projects.get(ctx.int_arg())
        if x is None:
            raise ApiError(404, NOT_FOUND)
        return json_response(one(x))
    return list_response(ctx, rows, one, fields=("id", "name", "organization", "organization__name"))


def project_playbooks(ctx: Ctx) -> Response:
    """The playbooks AWX found in the project: paths relative to the project root."""
    only(ctx, "GET")
    x = ctx.world.projects.get(ctx.int_arg())
    if x is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(list(x["playbooks"]))


CRED_FIELDS = ("id", "name", "organization", "credential_type", "credential_type__kind", "kind")


def credentials_body(c: dict[str, Any], p: str, w: Any) -> dict[str, Any]:
    return {"id": c["id"], "type": "credential", "url": f"{p}credentials/{c['id']}/",
            "related": {"organization": f"{p}organizations/{c['organization']}/"},
            "summary_fields": {"credential_type": {"id": 1, "name": "Machine", "description": ""}},
            "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": c["name"],
            "description": "", "organization": c["organization"], "credential_type": 1, "managed": False,
            "inputs": {"username": "patchpilot", "ssh_key_data": "$encrypted$", "become_method": "sudo"},
            "kind": c["kind"], "cloud": False, "kubernetes": False}  # fmt: skip


def credentials(ctx: Ctx) -> Response:
    """Machine credentials (``credential_type`` 1 = Machine, kind ``ssh``); secrets are never shown."""
    only(ctx, "GET")
    w, p = ctx.world, ctx.prefix

    def one(c: dict[str, Any]) -> dict[str, Any]:
        return credentials_body(c, p, w)

    if ctx.args:
        c = w.credentials.get(ctx.int_arg())
        if c is None:
            raise ApiError(404, NOT_FOUND)
        return json_response(one(c))
    rows = [({"id": c["id"], "name": c["name"], "organization": c["organization"], "credential_type": 1,
              "credential_type__kind": c["kind"], "kind": c["kind"]}, c) for c in w.credentials.values()]  # fmt: skip
    return list_response(ctx, rows, one, fields=CRED_FIELDS)


ROUTES: list[tuple[str, View]] = [
    (r"", root),
    (r"ping", ping),
    (r"me", me),
    (r"organizations", organizations),
    (r"organizations/(\d+)", organizations),
    (r"projects", projects),
    (r"projects/(\d+)", projects),
    (r"projects/(\d+)/playbooks", project_playbooks),
    (r"credentials", credentials),
    (r"credentials/(\d+)", credentials),
]
UNAUTHENTICATED = frozenset({ping})
