"""The emulator's inventory endpoints, as AWX serves them: the scenario's inventory file behind AWX's API.

The file is read with core.inventory's loader (the one loader) into AWX's model: hosts with their own
``variables`` as text and ``enabled``; groups with their own variables, direct hosts and direct children;
the inventory's variables standing in for group ``all`` (AWX has no such group). Shapes follow ansible/awx
e21dd0a0933fd544d1fe2513c54fe41203775eb5 ``awx/api/serializers.py`` (InventorySerializer, HostSerializer,
GroupSerializer), paths ``awx/api/urls/inventory.py``, ``host.py``, ``group.py``; these lists order by name
(Host/Group ``Meta.ordering``) and page as contract section 2 says. Host variables are served as JSON text
(what ``awx-manage inventory_import`` stores), group variables as YAML text (what the UI's editor saves), so a
client meets both forms. ``PATCH hosts/N/`` and ``PATCH groups/N/`` change ``enabled`` and ``variables`` the
way an AWX administrator does (HostDetail/GroupDetail are RetrieveUpdateDestroy views); ``enabled`` is the world's
one notion (:meth:`World.enabled`), which job runs read too. The global ``hosts/`` and ``groups/`` lists and the
inventory script (workers.emulator.hosts_api) serve this same store.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.responses import Response

from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response, method_not_allowed
from workers.emulator.listing import Row, filter_rows, order_rows, paginate
from workers.emulator.scenario import Scenario
from workers.emulator.serializers import ts
from workers.emulator.world import World

INVENTORY_ID = 1
_SKIP_GROUPS = ("all", "ungrouped")  # AWX keeps neither as a group object


@dataclass
class _Host:
    id: int
    name: str
    variables: str  # ``enabled`` is the world's (World.enabled): one notion for listings and job runs


@dataclass
class _Group:
    id: int
    name: str
    variables: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass
class _Store:
    loaded: tuple[Scenario, float]  # the world's scenario and load time: a reset or a new scenario rebuilds
    variables: str
    hosts: dict[str, _Host]
    groups: dict[str, _Group]


_stores: weakref.WeakKeyDictionary[World, _Store] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _yaml_text(values: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(values, sort_keys=False) if values else ""


def _build(world: World) -> _Store:
    scenario = world.scenario
    raw = world.raw  # the file as the world read it (core.inventory's loader, once); the store copies what it keeps
    host_ids = dict(world.host_ids)  # the ids job host summaries use
    hosts: dict[str, _Host] = {}
    for name, own in raw.host_vars.items():
        hid = host_ids.get(name) or max([*host_ids.values(), *(h.id for h in hosts.values()), 0]) + 1
        hosts[name] = _Host(hid, name, json.dumps(own) if own else "")
    group_ids = dict(world.group_ids)
    groups: dict[str, _Group] = {}
    for name in raw.group_hosts:
        if name in _SKIP_GROUPS:
            continue
        gid = group_ids.get(name) or max([*group_ids.values(), *(g.id for g in groups.values()), 0]) + 1
        children = [c for c in raw.group_children.get(name, []) if c not in _SKIP_GROUPS]
        groups[name] = _Group(
            gid, name, _yaml_text(raw.group_vars.get(name, {})), list(raw.group_hosts[name]), children
        )
    return _Store((scenario, world.created), json.dumps(raw.group_vars.get("all", {})), hosts, groups)


def store(world: World) -> _Store:
    """This world's inventory (rebuilt when a scenario is loaded or reset)."""
    with _lock:
        current = _stores.get(world)
        if current is None or current.loaded[0] is not world.scenario or current.loaded[1] != world.created:
            current = _stores[world] = _build(world)
        return current


# --- serializers ------------------------------------------------------------


def _host_groups(s: _Store, name: str) -> list[_Group]:
    return sorted((g for g in s.groups.values() if name in g.hosts), key=lambda g: g.id)


def host_body(ctx: Ctx, s: _Store, h: _Host) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    groups = [{"id": g.id, "name": g.name} for g in _host_groups(s, h.name)]
    related = {k: f"{p}hosts/{h.id}/{k}/" for k in ("variable_data", "groups", "all_groups", "job_events",
               "job_host_summaries", "activity_stream", "inventory_sources", "smart_inventories",
               "ad_hoc_commands", "ad_hoc_command_events", "ansible_facts")}  # fmt: skip
    related["inventory"] = f"{p}inventories/{INVENTORY_ID}/"
    return {
        "id": h.id, "type": "host", "url": f"{p}hosts/{h.id}/", "related": related,
        "summary_fields": {"inventory": {"id": INVENTORY_ID, "name": w.inventory_obj["name"], "kind": ""},
                           "groups": {"count": len(groups), "results": groups[:5]}, "recent_jobs": []},
        "created": ts(w.created), "modified": ts(w.created), "name": h.name, "description": "",
        "inventory": INVENTORY_ID, "enabled": w.enabled(h.name), "instance_id": "", "variables": h.variables,
        "has_active_failures": False, "has_inventory_sources": False, "last_job": None,
        "last_job_host_summary": None, "ansible_facts_modified": None,
    }  # fmt: skip


def group_body(ctx: Ctx, g: _Group) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    related = {k: f"{p}groups/{g.id}/{k}/" for k in ("variable_data", "hosts", "potential_children", "children",
               "all_hosts", "job_events", "job_host_summaries", "activity_stream", "inventory_sources",
               "ad_hoc_commands")}  # fmt: skip
    related["inventory"] = f"{p}inventories/{INVENTORY_ID}/"
    return {
        "id": g.id, "type": "group", "url": f"{p}groups/{g.id}/", "related": related,
        "summary_fields": {"inventory": {"id": INVENTORY_ID, "name": w.inventory_obj["name"], "kind": ""}},
        "created": ts(w.created), "modified": ts(w.created), "name": g.name, "description": "",
        "inventory": INVENTORY_ID, "variables": g.variables,
    }  # fmt: skip


def _inventory_body(ctx: Ctx, s: _Store) -> dict[str, Any]:
    w, p = ctx.world, ctx.prefix
    i = INVENTORY_ID
    related = {k: f"{p}inventories/{i}/{k}/" for k in ("hosts", "variable_data", "script", "activity_stream",
               "job_templates", "ad_hoc_commands", "access_list", "object_roles", "instance_groups", "copy",
               "labels", "groups", "root_groups", "update_inventory_sources", "inventory_sources", "tree")}  # fmt: skip
    related["organization"] = f"{p}organizations/1/"
    return {
        "id": i, "type": "inventory", "url": f"{p}inventories/{i}/", "related": related,
        "summary_fields": {"organization": {"id": 1, "name": w.organizations[1]["name"], "description": ""},
                           "labels": {"count": 0, "results": []}},
        "created": ts(w.created), "modified": ts(w.created), "name": w.inventory_obj["name"], "description": "",
        "organization": 1, "kind": "", "host_filter": None, "variables": s.variables, "has_active_failures": False,
        "total_hosts": len(s.hosts), "hosts_with_active_failures": 0, "total_groups": len(s.groups),
        "has_inventory_sources": False, "total_inventory_sources": 0, "inventory_sources_with_failures": 0,
        "pending_deletion": False, "prevent_instance_group_fallback": False,
    }  # fmt: skip


# --- lists ------------------------------------------------------------------


def host_rows(w: World, s: _Store, hosts: list[_Host]) -> list[Row]:
    return [({"id": h.id, "name": h.name, "description": "", "inventory": INVENTORY_ID, "enabled": w.enabled(h.name),
              "groups__name": [g.name for g in _host_groups(s, h.name)], "variables": h.variables}, h)
            for h in hosts]  # fmt: skip


def group_rows(groups: list[_Group]) -> list[Row]:
    return [({"id": g.id, "name": g.name, "description": "", "inventory": INVENTORY_ID, "variables": g.variables}, g)
            for g in groups]  # fmt: skip


def _page(ctx: Ctx, rows: list[Row], serialize: Any) -> Response:
    rows = filter_rows(rows, ctx.params, ("name", "description"))
    rows = order_rows(rows, ctx.query("order_by") or ctx.query("order"), "name")
    return json_response(paginate(rows, ctx.params, ctx.path, serialize))


def _only(ctx: Ctx, *methods: str) -> None:
    if ctx.method not in methods:
        raise method_not_allowed(ctx.method)


def _inventory(ctx: Ctx) -> _Store:
    if ctx.int_arg() != INVENTORY_ID:
        raise ApiError(404, NOT_FOUND)
    return store(ctx.world)


def _host(ctx: Ctx) -> tuple[_Store, _Host]:
    s = store(ctx.world)
    found = [h for h in s.hosts.values() if h.id == ctx.int_arg()]
    if not found:
        raise ApiError(404, NOT_FOUND)
    return s, found[0]


def _group(ctx: Ctx) -> tuple[_Store, _Group]:
    s = store(ctx.world)
    found = [g for g in s.groups.values() if g.id == ctx.int_arg()]
    if not found:
        raise ApiError(404, NOT_FOUND)
    return s, found[0]


def _checked_variables(value: Any) -> str:
    """``vars_validate_or_raise``: JSON or YAML text of a mapping, else 400 on ``variables``."""
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        parsed = json.loads(text) if text.strip() else {}
    except ValueError as json_exc:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            detail = f"Cannot parse as JSON (error: {json_exc}) or YAML (error: {exc})."
            raise ApiError(400, {"variables": [detail]}) from exc
    if parsed is not None and not isinstance(parsed, dict):
        raise ApiError(400, {"variables": [f"Input type `{type(parsed).__name__}` is not a dictionary"]})
    return text


def _update(ctx: Ctx, obj: _Host | _Group) -> None:
    with ctx.world.lock:
        if "variables" in ctx.body:
            obj.variables = _checked_variables(ctx.body["variables"])
        if isinstance(obj, _Host) and "enabled" in ctx.body:
            if not isinstance(ctx.body["enabled"], bool):
                raise ApiError(400, {"enabled": ["Must be a valid boolean."]})
            ctx.world.set_enabled(obj.name, ctx.body["enabled"])


# --- views ------------------------------------------------------------------


def inventory_detail(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    return json_response(_inventory_body(ctx, _inventory(ctx)))


def inventory_hosts(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    s = _inventory(ctx)
    return _page(ctx, host_rows(ctx.world, s, list(s.hosts.values())), lambda h: host_body(ctx, s, h))


def inventory_groups(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    s = _inventory(ctx)
    return _page(ctx, group_rows(list(s.groups.values())), lambda g: group_body(ctx, g))


def host_detail(ctx: Ctx) -> Response:
    _only(ctx, "GET", "PATCH", "PUT")
    s, h = _host(ctx)
    if ctx.method != "GET":
        _update(ctx, h)
    return json_response(host_body(ctx, s, h))


def host_variable_data(ctx: Ctx) -> Response:
    _only(ctx, "GET")
    _, h = _host(ctx)
    return json_response(yaml.safe_load(h.variables) or {} if h.variables.strip() else {})


def group_detail(ctx: Ctx) -> Response:
    _only(ctx, "GET", "PATCH", "PUT")
    _, g = _group(ctx)
    if ctx.method != "GET":
        _update(ctx, g)
    return json_response(group_body(ctx, g))


def group_hosts(ctx: Ctx) -> Response:
    """Hosts directly in the group (GroupHostsList)."""
    _only(ctx, "GET")
    s, g = _group(ctx)
    return _page(ctx, host_rows(ctx.world, s, [s.hosts[n] for n in g.hosts]), lambda h: host_body(ctx, s, h))


def group_all_hosts(ctx: Ctx) -> Response:
    """Hosts of the group and of its descendants (GroupAllHostsList)."""
    _only(ctx, "GET")
    s, g = _group(ctx)
    seen: dict[str, None] = {}
    stack, visited = [g.name], set()
    while stack:
        name = stack.pop()
        if name in visited:
            continue
        visited.add(name)
        seen.update(dict.fromkeys(s.groups[name].hosts))
        stack += s.groups[name].children
    return _page(ctx, host_rows(ctx.world, s, [s.hosts[n] for n in seen]), lambda h: host_body(ctx, s, h))


def group_children(ctx: Ctx) -> Response:
    """Direct child groups (GroupChildrenList)."""
    _only(ctx, "GET")
    s, g = _group(ctx)
    return _page(ctx, group_rows([s.groups[c] for c in g.children]), lambda c: group_body(ctx, c))


ROUTES: list[tuple[str, Any]] = [
    (r"inventories/(\d+)", inventory_detail),
    (r"inventories/(\d+)/hosts", inventory_hosts),
    (r"inventories/(\d+)/groups", inventory_groups),
    (r"hosts/(\d+)", host_detail),
    (r"hosts/(\d+)/variable_data", host_variable_data),
    (r"groups/(\d+)", group_detail),
    (r"groups/(\d+)/hosts", group_hosts),
    (r"groups/(\d+)/all_hosts", group_all_hosts),
    (r"groups/(\d+)/children", group_children),
]
