"""Read an inventory into flat tables: Ansible YAML format, or ``ansible-inventory --list`` JSON.

Both readers fill the same :class:`RawInventory`; :class:`core.inventory.Inventory`
computes the closures (group -> all hosts, host -> all groups, effective vars).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import ValidationFailed
from core.inventory import ranges

_PORT = re.compile(r"^([^:\[\]]+):(\d{1,5})$")
_SECTIONS = ("hosts", "vars", "children")


@dataclass
class RawInventory:
    """Hosts and groups as written: direct membership only, in definition order."""

    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_hosts: dict[str, list[str]] = field(default_factory=dict)
    group_children: dict[str, list[str]] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)  # hosts whose source (AWX) has them disabled

    def add_group(self, name: str) -> None:
        self.group_vars.setdefault(name, {})
        self.group_hosts.setdefault(name, [])
        self.group_children.setdefault(name, [])

    def add_host(self, group: str, name: str, hostvars: Mapping[str, Any]) -> None:
        self.host_vars.setdefault(name, {}).update(hostvars)  # later occurrences win, key by key
        if name not in self.group_hosts[group]:
            self.group_hosts[group].append(name)

    def add_child(self, parent: str, child: str) -> None:
        if child not in self.group_children[parent]:
            self.group_children[parent].append(child)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):  # ansible-core accepts "hosts: web01" as {web01: None}
        return {value: None}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return dict.fromkeys(value)
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"invalid inventory: {what} must be a mapping, found {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _host_names(pattern: str) -> list[str]:
    m = _PORT.match(pattern)
    return ranges.expand(m.group(1) if m else pattern)


def from_yaml_data(data: Any) -> RawInventory:
    """Tables from a parsed Ansible YAML inventory (``all:``/``children:``/``hosts:``/``vars:``).

    >>> raw = from_yaml_data({"all": {"children": {"web": {"hosts": {"w-[1:2]": {"os": "rhel9"}}}}}})
    >>> raw.group_hosts["web"], raw.host_vars["w-2"], raw.group_children["all"]
    (['w-1', 'w-2'], {'os': 'rhel9'}, ['web'])
    """
    if not isinstance(data, Mapping) or not data:
        raise ValidationFailed("invalid inventory: expected a mapping of groups such as 'all:'")
    if "plugin" in data:
        raise ValidationFailed("inventory plugin configurations are not supported; give the resolved inventory")
    raw = RawInventory()
    raw.add_group("all")
    for name, body in data.items():
        _parse_group(raw, str(name), body, stack=())
        if name != "all":
            raw.add_child("all", str(name))
    return raw


def _parse_group(raw: RawInventory, name: str, body: Any, stack: tuple[str, ...]) -> None:
    if name in stack:
        raise ValidationFailed(f"invalid inventory: group {name!r} is its own descendant ({' > '.join(stack)})")
    raw.add_group(name)
    if body is None:
        return
    if not isinstance(body, Mapping):
        raise ValidationFailed(f"invalid inventory: group {name!r} must be a mapping, found {type(body).__name__}")
    for key in body:
        if key not in _SECTIONS:
            raise ValidationFailed(f"invalid inventory: group {name!r} has {key!r}; only hosts, vars, children")
    raw.group_vars[name].update(_mapping(body.get("vars"), f"{name}.vars"))
    for child, child_body in _mapping(body.get("children"), f"{name}.children").items():
        _parse_group(raw, child, child_body, stack=(*stack, name))
        raw.add_child(name, child)
    for pattern, hostvars in _mapping(body.get("hosts"), f"{name}.hosts").items():
        values = _mapping(hostvars, f"host {pattern!r} in group {name!r}")
        for host in _host_names(pattern):
            raw.add_host(name, host, values)


def from_list_data(data: Any) -> RawInventory:
    """Tables from ``ansible-inventory --list`` / AWX ``/inventories/{id}/script/?hostvars=1`` JSON.

    >>> raw = from_list_data({"_meta": {"hostvars": {"a": {"env": "prod"}, "b": {}}},
    ...                       "all": {"children": ["ungrouped", "web"]}, "web": {"hosts": ["a"]},
    ...                       "ungrouped": {"hosts": ["b"]}})
    >>> raw.group_hosts["web"], raw.host_vars["a"], sorted(raw.group_children["all"])
    (['a'], {'env': 'prod'}, ['ungrouped', 'web'])
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed("invalid inventory list: expected a JSON object")
    meta = data.get("_meta") or {}
    hostvars = _mapping(meta.get("hostvars") if isinstance(meta, Mapping) else None, "_meta.hostvars")
    raw = RawInventory()
    raw.add_group("all")
    for name, body in data.items():
        if name == "_meta":
            continue
        raw.add_group(name)
        if isinstance(body, list):  # the oldest script format: group -> [hosts]
            body = {"hosts": body}
        if not isinstance(body, Mapping):
            raise ValidationFailed(f"invalid inventory list: group {name!r} must be an object or a list")
        raw.group_vars[name].update(_mapping(body.get("vars"), f"{name}.vars"))
        for host in body.get("hosts") or []:
            raw.add_host(name, str(host), _mapping(hostvars.get(host), f"hostvars of {host!r}"))
        for child in body.get("children") or []:
            raw.add_group(str(child))
            raw.add_child(name, str(child))
    for host, values in hostvars.items():  # hosts listed only under _meta still belong to 'all'
        if host not in raw.host_vars:
            raw.add_host("all", host, _mapping(values, f"hostvars of {host!r}"))
    for name in raw.group_children:
        if name != "all" and not any(name in kids for kids in raw.group_children.values()):
            raw.add_child("all", name)
    return raw
