"""The AWX endpoints the emulator serves (paths relative to ``/api/v2/`` or ``/api/controller/v2/``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from workers.emulator import serializers as ser
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response, method_not_allowed
from workers.emulator.jobs import Job
from workers.emulator.listing import Row, filter_rows, order_rows, paginate
from workers.emulator.render import stdout_text
from workers.emulator.world import LaunchError

View = Callable[[Ctx], Response]


def _list(
    ctx: Ctx,
    rows: list[Row],
    serialize: Callable[[Any], dict[str, Any]],
    *,
    default_order: str = "id",
    search: tuple[str, ...] = ("name",),
    allow_limit: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    rows = filter_rows(rows, ctx.params, search)
    rows = order_rows(rows, ctx.query("order_by") or ctx.query("order"), default_order)
    return json_response(paginate(rows, ctx.params, ctx.path, serialize, allow_limit=allow_limit), headers=headers)


def _only(ctx: Ctx, *methods: str) -> None:
    if ctx.method not in methods:
        raise method_not_allowed(ctx.method)


# --- root, ping, me -------------------------------------------------------


def root(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    names = ["ping", "me", "job_templates", "jobs", "job_events", "inventories", "hosts", "groups"]
    names += ["organizations", "projects"]
    return json_response({name: f"{ctx.prefix}{name}/" for name in names})


def ping(ctx: Ctx) -> Response:
    _only(ctx, "GET")
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
    _only(ctx, "GET")
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
    _only(ctx, "GET")
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
    return _list(ctx, rows, one)


def projects(ctx: Ctx) -> Response:
    _only(ctx, "GET")
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
                "scm_type": "git", "scm_url": "https://git.example.com/ops/patchpilot-playbooks.git",
                "scm_branch": "main", "status": "successful", "organization": x["organization"]}  # fmt: skip

    if ctx.args:
        x = w.projects.get(ctx.int_arg())
        if x is None:
            raise ApiError(404, NOT_FOUND)
        return json_response(one(x))
    return _list(ctx, rows, one)


# --- job templates --------------------------------------------------------


def _template(ctx: Ctx) -> dict[str, Any]:
    t = ctx.world.templates.get(ctx.int_arg())
    if t is None:
        raise ApiError(404, NOT_FOUND)
    return t


def job_templates(ctx: Ctx) -> Response:
    _only(ctx, "GET", "POST")
    w = ctx.world
    if ctx.method == "POST":
        try:
            t = w.create_template(ctx.body)
        except LaunchError as exc:
            raise ApiError(400, exc.body) from exc
        body = ser.job_template(t, ctx.prefix, w)
        return json_response(body, 201, {"Location": body["url"]})
    rows = [
        ({"id": t["id"], "name": t["name"], "description": t["description"], "organization": t["organization"],
          "organization__name": w.organizations[t["organization"]]["name"], "playbook": t["playbook"],
          "inventory": t["inventory"], "project": t["project"]}, t)
        for t in w.templates.values()
    ]  # fmt: skip
    return _list(ctx, rows, lambda t: ser.job_template(t, ctx.prefix, w), search=("name", "description"))


def job_template(ctx: Ctx) -> Response:
    _only(ctx, "GET", "PATCH", "PUT")
    t = _template(ctx)
    if ctx.method != "GET":
        try:
            ctx.world.update_template(t, ctx.body)
        except LaunchError as exc:
            raise ApiError(400, exc.body) from exc
    return json_response(ser.job_template(t, ctx.prefix, ctx.world))


def launch(ctx: Ctx) -> Response:
    _only(ctx, "GET", "POST")
    w = ctx.world
    t = _template(ctx)
    if ctx.method == "GET":
        return json_response(ser.launch_prompts(t, w))
    try:
        job = w.launch(t, ctx.body)
    except LaunchError as exc:
        raise ApiError(400, exc.body) from exc
    body = {"job": job.id, "ignored_fields": job.ignored_fields, **ser.job(job, ctx.prefix, w, detail=False)}
    return json_response(body, 201, {"Location": body["url"]})


# --- jobs -----------------------------------------------------------------


def _job(ctx: Ctx) -> Job:
    job = ctx.world.jobs.get(ctx.int_arg())
    if job is None:
        raise ApiError(404, NOT_FOUND)
    return job


def jobs(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    now = w.now()
    only_template = ctx.int_arg() if ctx.args else None
    if only_template is not None:
        _template(ctx)
    rows = []
    for j in w.jobs.values():
        if only_template is not None and j.template["id"] != only_template:
            continue
        timing = j.timing(now)
        rows.append(
            ({"id": j.id, "name": j.template["name"], "status": timing["status"], "failed": timing["failed"],
              "job_template": j.template["id"], "unified_job_template": j.template["id"],
              "launch_type": j.launch_type, "created": ser.dt(j.created), "limit": j.limit,
              "started": ser.dt(timing["started"]) if timing["started"] else None,
              "finished": ser.dt(timing["finished"]) if timing["finished"] else None}, j)
        )  # fmt: skip
    return _list(ctx, rows, lambda j: ser.job(j, ctx.prefix, w, detail=False, list_view=True))


def job(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    return json_response(ser.job(_job(ctx), ctx.prefix, ctx.world, detail=True))


def cancel(ctx: Ctx) -> Response:
    _only(ctx, "GET", "POST")
    j = _job(ctx)
    now = ctx.world.now()
    if ctx.method == "GET":
        return json_response({"can_cancel": j.status(now) in ("new", "pending", "waiting", "running")})
    with ctx.world.lock:
        accepted = j.request_cancel(now)
    if not accepted:
        raise method_not_allowed("POST")
    return Response(status_code=202)


def relaunch(ctx: Ctx) -> Response:
    _only(ctx, "GET", "POST")
    w = ctx.world
    j = _job(ctx)
    now = w.now()
    if ctx.method == "GET":
        stats = j.stats(now)
        counts: Any = "Relaunch by host status not available until job finishes running."
        if j.status(now) in ("successful", "failed", "error", "canceled"):
            hosts = stats or {}
            counts = {"all": len(hosts), "failed": sum(1 for s in hosts.values() if s.failures or s.dark)}
        return json_response({"passwords_needed_to_start": [], "retry_counts": counts})
    try:
        new = w.relaunch(j, str(ctx.body.get("hosts", "all")))
    except LaunchError as exc:
        raise ApiError(400, exc.body) from exc
    body = {"job": new.id, **ser.job(new, ctx.prefix, w, detail=False)}
    return json_response(body, 201, {"Location": body["url"]})


def job_events(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    j = _job(ctx)
    events = j.saved_events(w.now())
    rows = [
        ({"id": j.event_id_base + e["counter"], "event": e["event"], "counter": e["counter"], "failed": e["failed"],
          "changed": e["changed"], "host_name": e["host_name"], "host": w.host_ids.get(e["host_name"]),
          "task": e["task"], "play": e["play"], "role": e["role"], "playbook": e["playbook"],
          "start_line": e["start_line"], "end_line": e["end_line"], "uuid": e["uuid"],
          "parent_uuid": e["parent_uuid"], "stdout": e["stdout"], "verbosity": e["verbosity"],
          "event_level": e["event_level"]}, e)
        for e in events
    ]  # fmt: skip
    truncate = not ctx.query("no_truncate")
    return _list(
        ctx,
        rows,
        lambda e: ser.job_event(j, e, ctx.prefix, w, truncate=truncate),
        default_order="start_line,counter",
        search=("stdout",),
        allow_limit=True,
        headers={"X-UI-Max-Events": "4000"},
    )


def job_event(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    eid = ctx.int_arg()
    j = w.jobs.get(eid // 100_000)
    if j is not None:
        for e in j.saved_events(w.now()):
            if j.event_id_base + e["counter"] == eid:
                return json_response(ser.job_event(j, e, ctx.prefix, w, truncate=False))
    raise ApiError(404, NOT_FOUND)


def host_summaries(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    j = _job(ctx)
    stats = j.stats(w.now()) or {}
    rows = []
    for index, (name, s) in enumerate(sorted(stats.items()), start=1):
        filt = {"id": j.summary_id_base + index, "host_name": name, "failed": bool(s.dark or s.failures),
                "dark": s.dark, "failures": s.failures, "changed": s.changed, "ok": s.ok, "skipped": s.skipped,
                "host": w.host_ids.get(name)}  # fmt: skip
        rows.append((filt, (index, name, s)))
    return _list(
        ctx, rows, lambda x: ser.host_summary(j, x[0], x[1], x[2], ctx.prefix, w), default_order="-id",
        search=("host_name",),
    )  # fmt: skip


def stdout(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    j = _job(ctx)
    events = j.saved_events(w.now())
    fmt = ctx.query("format")
    if fmt is None:
        fmt = "json" if "application/json" in ctx.request.headers.get("accept", "") else "html"
    if fmt in ("txt_download", "ansi_download"):
        ansi = fmt == "ansi_download"
        text = stdout_text(events, ansi=ansi)
        name = f"job_{j.id}.ansi.txt" if ansi else f"job_{j.id}.txt"
        return StreamingResponse(
            _chunks(text.encode("utf-8")),
            media_type="text/plain",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if fmt not in ("txt", "ansi", "json", "html", "api"):
        raise ApiError(404, "Not found.")
    cap = w.scenario.stdout_max_bytes
    size = sum(len(e["stdout"]) for e in events)
    too_large = (
        f"Standard Output too large to display ({size} bytes), only download supported for sizes over {cap} bytes."
    )
    if fmt in ("txt", "ansi"):
        body = too_large if size > cap else stdout_text(events, ansi=fmt == "ansi")
        return Response(body, media_type="text/plain")
    if fmt == "json":
        if size > cap:
            return json_response({"range": {"start": 0, "end": 1, "absolute_end": 1}, "content": too_large})
        lines = stdout_text(events, ansi=True).splitlines()
        start, end = _line_range(ctx, len(lines))
        content = "\n".join(lines[start:end])
        if ctx.query("content_encoding") == "base64":
            import base64

            content = base64.b64encode(content.encode()).decode()
        return json_response(
            {"range": {"start": start, "end": max(start, min(end, len(lines))), "absolute_end": len(lines)},
             "content": content}
        )  # fmt: skip
    text = too_large if size > cap else stdout_text(events, ansi=False)
    html = "<!DOCTYPE html><html><head><title>Job stdout</title></head><body><pre>{}</pre></body></html>"
    from html import escape

    return Response(html.format(escape(text)), media_type="text/html")


def _line_range(ctx: Ctx, total: int) -> tuple[int, int]:
    try:
        start = int(ctx.query("start_line") or 0)
        end = int(ctx.query("end_line") or total)
    except ValueError as exc:
        raise ApiError(400, "start_line and end_line must be integers") from exc
    start = max(0, total + start) if start < 0 else min(start, total)
    end = max(0, total + end) if end < 0 else min(end, total)
    return start, end


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


# --- inventories, hosts, groups ------------------------------------------


def _host_body(ctx: Ctx, name: str) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    hid = w.host_ids[name]
    direct = w.inventory.host_groups(name)
    groups = [{"id": w.group_ids[g], "name": g} for g in direct if g in w.group_ids]
    return {
        "id": hid, "type": "host", "url": f"{p}hosts/{hid}/",
        "related": {"inventory": f"{p}inventories/1/", "groups": f"{p}hosts/{hid}/groups/",
                    "all_groups": f"{p}hosts/{hid}/all_groups/", "variable_data": f"{p}hosts/{hid}/variable_data/",
                    "job_host_summaries": f"{p}hosts/{hid}/job_host_summaries/"},
        "summary_fields": {"inventory": {"id": 1, "name": w.inventory_obj["name"]},
                           "groups": {"count": len(groups), "results": groups[:5]}, "recent_jobs": []},
        "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": name, "description": "",
        "inventory": 1, "enabled": True, "instance_id": "", "variables": json.dumps(w.inventory.hosts[name]),
        "has_active_failures": False, "has_inventory_sources": False, "last_job": None,
        "last_job_host_summary": None, "ansible_facts_modified": None,
    }  # fmt: skip


def _host_rows(ctx: Ctx, names: list[str]) -> list[Row]:
    w = ctx.world
    return [
        ({"id": w.host_ids[n], "name": n, "description": "", "inventory": 1, "enabled": True,
          "groups__name": w.inventory.host_groups(n), "variables": json.dumps(w.inventory.hosts[n])}, n)
        for n in names
    ]  # fmt: skip


def _host_filter(rows: list[Row], expr: str | None) -> list[Row]:
    """The smart-inventory ``host_filter`` (``a=b or c=d``, ``and``), applied by /hosts/ only."""
    if not expr:
        return rows
    kept: list[Row] = []
    for clause in expr.split(" or "):
        params = []
        for part in clause.split(" and "):
            key, _, value = part.strip().partition("=")
            params.append((key.strip(), value.strip().strip('"')))
        kept += [r for r in filter_rows(rows, params) if r not in kept]
    return kept


def inventories(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w, p = ctx.world, ctx.prefix
    inv = w.inventory_obj

    def one(i: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": i["id"], "type": "inventory", "url": f"{p}inventories/{i['id']}/",
            "related": {k: f"{p}inventories/{i['id']}/{k}/" for k in
                        ("hosts", "groups", "root_groups", "script", "tree", "variable_data")},
            "summary_fields": {"organization": {"id": 1, "name": w.organizations[1]["name"], "description": ""}},
            "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": i["name"], "description": "",
            "organization": 1, "kind": "", "host_filter": None,
            "variables": json.dumps(w.inventory.groups["all"].variables), "has_active_failures": False,
            "total_hosts": len(w.inventory.hosts), "hosts_with_active_failures": 0,
            "total_groups": len(w.group_ids), "has_inventory_sources": False, "total_inventory_sources": 0,
            "inventory_sources_with_failures": 0, "pending_deletion": False,
            "prevent_instance_group_fallback": False,
        }  # fmt: skip

    if ctx.args:
        if ctx.int_arg() != inv["id"]:
            raise ApiError(404, NOT_FOUND)
        return json_response(one(inv))
    rows = [({"id": 1, "name": inv["name"], "organization": 1, "organization__name": w.organizations[1]["name"],
              "kind": ""}, inv)]  # fmt: skip
    return _list(ctx, rows, one)


def _check_inventory(ctx: Ctx) -> None:
    if ctx.int_arg() != ctx.world.inventory_obj["id"]:
        raise ApiError(404, NOT_FOUND)


def inventory_hosts(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    _check_inventory(ctx)
    rows = _host_rows(ctx, list(ctx.world.inventory.hosts))  # host_filter is ignored here, as in AWX
    return _list(ctx, rows, lambda n: _host_body(ctx, n))


def hosts(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    w = ctx.world
    if ctx.args:
        names = [n for n, i in w.host_ids.items() if i == ctx.int_arg()]
        if not names:
            raise ApiError(404, NOT_FOUND)
        return json_response(_host_body(ctx, names[0]))
    rows = _host_filter(_host_rows(ctx, list(w.inventory.hosts)), ctx.query("host_filter"))
    return _list(ctx, rows, lambda n: _host_body(ctx, n))


def host_variable_data(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    names = [n for n, i in ctx.world.host_ids.items() if i == ctx.int_arg()]
    if not names:
        raise ApiError(404, NOT_FOUND)
    return json_response(ctx.world.inventory.hosts[names[0]])


def _group_body(ctx: Ctx, name: str) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    gid = w.group_ids[name]
    return {
        "id": gid, "type": "group", "url": f"{p}groups/{gid}/",
        "related": {k: f"{p}groups/{gid}/{k}/" for k in ("hosts", "all_hosts", "children", "variable_data")},
        "summary_fields": {"inventory": {"id": 1, "name": w.inventory_obj["name"]}},
        "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": name, "description": "",
        "inventory": 1, "variables": json.dumps(w.inventory.groups[name].variables),
    }  # fmt: skip


def _group_rows(ctx: Ctx) -> list[Row]:
    return [({"id": gid, "name": g, "inventory": 1, "description": ""}, g) for g, gid in ctx.world.group_ids.items()]


def inventory_groups(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    _check_inventory(ctx)
    return _list(ctx, _group_rows(ctx), lambda g: _group_body(ctx, g))


def groups(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    if ctx.args:
        name = _group_name(ctx)
        return json_response(_group_body(ctx, name))
    return _list(ctx, _group_rows(ctx), lambda g: _group_body(ctx, g))


def _group_name(ctx: Ctx) -> str:
    names = [g for g, gid in ctx.world.group_ids.items() if gid == ctx.int_arg()]
    if not names:
        raise ApiError(404, NOT_FOUND)
    return names[0]


def group_hosts(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    name = _group_name(ctx)
    inv = ctx.world.inventory
    members = inv.group_hosts(name) if ctx.path.rstrip("/").endswith("all_hosts") else inv.groups[name].hosts
    return _list(ctx, _host_rows(ctx, list(members)), lambda n: _host_body(ctx, n))


def inventory_script(ctx: Ctx) -> Response:
    """ansible-inventory ``--list`` JSON; ``_meta.hostvars`` with ``?hostvars=1``."""
    _only(ctx, "GET")
    _check_inventory(ctx)
    inv = ctx.world.inventory
    data: dict[str, Any] = {}
    for name, g in inv.groups.items():
        if name == "all":
            continue
        if name == "ungrouped":
            continue
        entry: dict[str, Any] = {}
        if g.hosts:
            entry["hosts"] = list(g.hosts)
        if g.children:
            entry["children"] = [c for c in g.children if c != "ungrouped"]
        if g.variables:
            entry["vars"] = g.variables
        data[name] = entry
    top = [c for c in inv.groups["all"].children if c != "ungrouped"]
    data["all"] = {"children": top, "vars": inv.groups["all"].variables}
    if inv.groups["ungrouped"].hosts:
        data["all"]["hosts"] = list(inv.groups["ungrouped"].hosts)
    if ctx.query("hostvars"):
        data["_meta"] = {"hostvars": {h: v for h, v in inv.hosts.items()}}
    return json_response(data)


ROUTES: list[tuple[str, View]] = [
    (r"", root),
    (r"ping", ping),
    (r"me", me),
    (r"organizations", organizations),
    (r"organizations/(\d+)", organizations),
    (r"projects", projects),
    (r"projects/(\d+)", projects),
    (r"job_templates", job_templates),
    (r"job_templates/(\d+)", job_template),
    (r"job_templates/(\d+)/launch", launch),
    (r"job_templates/(\d+)/jobs", jobs),
    (r"jobs", jobs),
    (r"jobs/(\d+)", job),
    (r"jobs/(\d+)/cancel", cancel),
    (r"jobs/(\d+)/relaunch", relaunch),
    (r"jobs/(\d+)/job_events", job_events),
    (r"jobs/(\d+)/job_host_summaries", host_summaries),
    (r"jobs/(\d+)/stdout", stdout),
    (r"job_events/(\d+)", job_event),
    (r"inventories", inventories),
    (r"inventories/(\d+)", inventories),
    (r"inventories/(\d+)/hosts", inventory_hosts),
    (r"inventories/(\d+)/groups", inventory_groups),
    (r"inventories/(\d+)/script", inventory_script),
    (r"hosts", hosts),
    (r"hosts/(\d+)", hosts),
    (r"hosts/(\d+)/variable_data", host_variable_data),
    (r"groups", groups),
    (r"groups/(\d+)", groups),
    (r"groups/(\d+)/hosts", group_hosts),
    (r"groups/(\d+)/all_hosts", group_hosts),
]
UNAUTHENTICATED = frozenset({ping})
