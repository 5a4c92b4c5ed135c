"""Inventory, host and group endpoints over the scenario's inventory (read with core.inventory's loader).

Host ``variables`` are the host's own (group variables stay on groups), as AWX stores
them, rendered as JSON text; ``enabled`` is false for the scenario's ``disabled_hosts``,
and the inventory script leaves those out unless ``?all=1``, as AWX does.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from workers.emulator import serializers as ser
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response
from workers.emulator.listing import Row, filter_rows
from workers.emulator.views import View, list_response, only

HOST_FIELDS = ("id", "name", "description", "inventory", "enabled", "groups__name", "variables")
GROUP_FIELDS = ("id", "name", "inventory", "description")


def _host_body(ctx: Ctx, name: str) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    hid = w.host_ids[name]
    groups = [{"id": w.group_ids[g], "name": g} for g in w.host_groups(name) if g in w.group_ids]
    return {
        "id": hid, "type": "host", "url": f"{p}hosts/{hid}/",
        "related": {"inventory": f"{p}inventories/1/", "groups": f"{p}hosts/{hid}/groups/",
                    "all_groups": f"{p}hosts/{hid}/all_groups/", "variable_data": f"{p}hosts/{hid}/variable_data/",
                    "job_host_summaries": f"{p}hosts/{hid}/job_host_summaries/"},
        "summary_fields": {"inventory": {"id": 1, "name": w.inventory_obj["name"]},
                           "groups": {"count": len(groups), "results": groups[:5]}, "recent_jobs": []},
        "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": name, "description": "",
        "inventory": 1, "enabled": w.enabled(name), "instance_id": "", "variables": json.dumps(w.host_vars(name)),
        "has_active_failures": False, "has_inventory_sources": False, "last_job": None,
        "last_job_host_summary": None, "ansible_facts_modified": None,
    }  # fmt: skip


def _host_rows(ctx: Ctx, names: list[str]) -> list[Row]:
    w = ctx.world
    return [
        ({"id": w.host_ids[n], "name": n, "description": "", "inventory": 1, "enabled": w.enabled(n),
          "groups__name": w.host_groups(n), "variables": json.dumps(w.host_vars(n))}, n)
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
        kept += [r for r in filter_rows(rows, params, (), HOST_FIELDS) if r not in kept]
    return kept


def inventories(ctx: Ctx) -> Response:
    only(ctx, "GET")
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
            "variables": json.dumps(w.raw.group_vars.get("all", {})), "has_active_failures": False,
            "total_hosts": len(w.host_ids), "hosts_with_active_failures": 0,
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
    return list_response(ctx, rows, one, fields=("id", "name", "organization", "organization__name", "kind"))


def _check_inventory(ctx: Ctx) -> None:
    if ctx.int_arg() != ctx.world.inventory_obj["id"]:
        raise ApiError(404, NOT_FOUND)


def inventory_hosts(ctx: Ctx) -> Response:
    only(ctx, "GET")
    _check_inventory(ctx)
    rows = _host_rows(ctx, list(ctx.world.host_ids))  # host_filter is ignored here, as in AWX
    return list_response(ctx, rows, lambda n: _host_body(ctx, n), fields=HOST_FIELDS)


def hosts(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    if ctx.args:
        return json_response(_host_body(ctx, _host_name(ctx)))
    rows = _host_filter(_host_rows(ctx, list(w.host_ids)), ctx.query("host_filter"))
    return list_response(ctx, rows, lambda n: _host_body(ctx, n), fields=HOST_FIELDS)


def _host_name(ctx: Ctx) -> str:
    names = [n for n, i in ctx.world.host_ids.items() if i == ctx.int_arg()]
    if not names:
        raise ApiError(404, NOT_FOUND)
    return names[0]


def host_variable_data(ctx: Ctx) -> Response:
    only(ctx, "GET")
    return json_response(ctx.world.host_vars(_host_name(ctx)))


def _group_body(ctx: Ctx, name: str) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    gid = w.group_ids[name]
    return {
        "id": gid, "type": "group", "url": f"{p}groups/{gid}/",
        "related": {k: f"{p}groups/{gid}/{k}/" for k in ("hosts", "all_hosts", "children", "variable_data")},
        "summary_fields": {"inventory": {"id": 1, "name": w.inventory_obj["name"]}},
        "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": name, "description": "",
        "inventory": 1, "variables": json.dumps(w.raw.group_vars.get(name, {})),
    }  # fmt: skip


def _group_rows(ctx: Ctx) -> list[Row]:
    return [({"id": gid, "name": g, "inventory": 1, "description": ""}, g) for g, gid in ctx.world.group_ids.items()]


def inventory_groups(ctx: Ctx) -> Response:
    only(ctx, "GET")
    _check_inventory(ctx)
    return list_response(ctx, _group_rows(ctx), lambda g: _group_body(ctx, g), fields=GROUP_FIELDS)


def groups(ctx: Ctx) -> Response:
    only(ctx, "GET")
    if ctx.args:
        return json_response(_group_body(ctx, _group_name(ctx)))
    return list_response(ctx, _group_rows(ctx), lambda g: _group_body(ctx, g), fields=GROUP_FIELDS)


def _group_name(ctx: Ctx) -> str:
    names = [g for g, gid in ctx.world.group_ids.items() if gid == ctx.int_arg()]
    if not names:
        raise ApiError(404, NOT_FOUND)
    return names[0]


def group_hosts(ctx: Ctx) -> Response:
    only(ctx, "GET")
    name = _group_name(ctx)
    w = ctx.world
    every = ctx.path.rstrip("/").endswith("all_hosts")
    members = list(w.inventory.ordered.get(name, ())) if every else list(w.raw.group_hosts.get(name, []))
    return list_response(ctx, _host_rows(ctx, members), lambda n: _host_body(ctx, n), fields=HOST_FIELDS)


def inventory_script(ctx: Ctx) -> Response:
    """ansible-inventory ``--list`` JSON: ``_meta.hostvars`` with ``?hostvars=1``, disabled hosts with ``?all=1``."""
    only(ctx, "GET")
    _check_inventory(ctx)
    w = ctx.world
    shown = {h for h in w.host_ids if ctx.query("all") or w.enabled(h)}
    data: dict[str, Any] = {}
    for name in w.group_ids:
        entry: dict[str, Any] = {}
        direct = [h for h in w.raw.group_hosts.get(name, []) if h in shown]
        if direct:
            entry["hosts"] = direct
        children = [c for c in w.raw.group_children.get(name, []) if c != "ungrouped"]
        if children:
            entry["children"] = children
        if w.raw.group_vars.get(name):
            entry["vars"] = w.raw.group_vars[name]
        data[name] = entry
    top = [c for c in w.raw.group_children.get("all", []) if c != "ungrouped"]
    data["all"] = {"children": top, "vars": w.raw.group_vars.get("all", {})}
    ungrouped = [h for h in w.inventory.ordered.get("ungrouped", ()) if h in shown]
    if ungrouped:
        data["all"]["hosts"] = ungrouped
    if ctx.query("hostvars"):
        data["_meta"] = {"hostvars": {h: w.host_vars(h) for h in w.host_ids if h in shown}}
    return json_response(data)


ROUTES: list[tuple[str, View]] = [
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
