"""AWX's global lists beside one inventory's: ``inventories/``, ``hosts/`` (with the smart-inventory
``host_filter``), ``groups/``, and the inventory script (``inventories/N/script/``).

They read the same inventory as workers.emulator.inventory_api (its store: variables as an administrator last
saved them) and the world's one notion of a disabled host (:meth:`World.enabled`): a host disabled in the scenario
or through ``PATCH hosts/N/`` shows ``enabled: false`` here, and the script leaves it out unless ``?all=1``, as AWX
does. Details (``hosts/N/``, ``groups/N/``) and an inventory's own lists are inventory_api's.
"""

from __future__ import annotations

from typing import Any

import yaml
from starlette.responses import Response

from workers.emulator import serializers as ser
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response
from workers.emulator.inventory_api import group_body, group_rows, host_body, host_rows, store
from workers.emulator.listing import Row, filter_rows
from workers.emulator.views import View, list_response, only

HOST_FIELDS = ("id", "name", "description", "inventory", "enabled", "groups__name", "variables")
GROUP_FIELDS = ("id", "name", "inventory", "description")


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
    s = store(w)

    def one(i: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": i["id"], "type": "inventory", "url": f"{p}inventories/{i['id']}/",
            "related": {k: f"{p}inventories/{i['id']}/{k}/" for k in
                        ("hosts", "groups", "root_groups", "script", "tree", "variable_data")},
            "summary_fields": {"organization": {"id": 1, "name": w.organizations[1]["name"], "description": ""}},
            "created": ser.ts(w.created), "modified": ser.ts(w.created), "name": i["name"], "description": "",
            "organization": 1, "kind": "", "host_filter": None,
            "variables": s.variables, "has_active_failures": False,
            "total_hosts": len(s.hosts), "hosts_with_active_failures": 0,
            "total_groups": len(s.groups), "has_inventory_sources": False, "total_inventory_sources": 0,
            "inventory_sources_with_failures": 0, "pending_deletion": False,
            "prevent_instance_group_fallback": False,
        }  # fmt: skip

    rows = [({"id": 1, "name": inv["name"], "organization": 1, "organization__name": w.organizations[1]["name"],
              "kind": ""}, inv)]  # fmt: skip
    return list_response(ctx, rows, one, fields=("id", "name", "organization", "organization__name", "kind"))


def hosts(ctx: Ctx) -> Response:
    """Every host (HostList)."""
    only(ctx, "GET")
    w = ctx.world
    s = store(w)
    rows = _host_filter(host_rows(w, s, list(s.hosts.values())), ctx.query("host_filter"))
    return list_response(ctx, rows, lambda h: host_body(ctx, s, h), fields=HOST_FIELDS)


def groups(ctx: Ctx) -> Response:
    """Every group (GroupList)."""
    only(ctx, "GET")
    s = store(ctx.world)
    rows = group_rows(list(s.groups.values()))
    return list_response(ctx, rows, lambda g: group_body(ctx, g), fields=GROUP_FIELDS)


def _values(text: str) -> dict[str, Any]:
    """Variables text (JSON or YAML, as stored) as a mapping."""
    parsed = yaml.safe_load(text) if text.strip() else None
    return parsed if isinstance(parsed, dict) else {}


def inventory_script(ctx: Ctx) -> Response:
    """ansible-inventory ``--list`` JSON: ``_meta.hostvars`` with ``?hostvars=1``, disabled hosts with ``?all=1``."""
    only(ctx, "GET")
    if ctx.int_arg() != ctx.world.inventory_obj["id"]:
        raise ApiError(404, NOT_FOUND)
    w = ctx.world
    s = store(w)
    shown = [h for h in s.hosts.values() if ctx.query("all") or w.enabled(h.name)]
    names = {h.name for h in shown}
    data: dict[str, Any] = {}
    for g in s.groups.values():
        entry: dict[str, Any] = {}
        direct = [h for h in g.hosts if h in names]
        if direct:
            entry["hosts"] = direct
        if g.children:
            entry["children"] = list(g.children)
        if variables := _values(g.variables):
            entry["vars"] = variables
        data[g.name] = entry
    children = {c for g in s.groups.values() for c in g.children}
    grouped = {h for g in s.groups.values() for h in g.hosts}
    data["all"] = {"children": [g for g in s.groups if g not in children], "vars": _values(s.variables)}
    ungrouped = [h.name for h in shown if h.name not in grouped]
    if ungrouped:
        data["all"]["hosts"] = ungrouped
    if ctx.query("hostvars"):
        data["_meta"] = {"hostvars": {h.name: _values(h.variables) for h in shown}}
    return json_response(data)


ROUTES: list[tuple[str, View]] = [
    (r"inventories", inventories),
    (r"inventories/(\d+)/script", inventory_script),
    (r"hosts", hosts),
    (r"groups", groups),
]
