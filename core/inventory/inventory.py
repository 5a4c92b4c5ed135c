"""The inventory: hosts, groups (children included), variables, and the questions asked of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from core.errors import ValidationFailed
from core.inventory import loader
from core.inventory.models import Host

# Variables and groups that name an environment (environment_of); first found wins.
ENV_VARS = ("env", "environment", "stage", "tier")
ENV_GROUPS = frozenset(
    {"prod", "production", "prd", "staging", "stage", "stg", "dev", "development", "qa", "test", "uat", "preprod"}
)
NO_ENVIRONMENT = "unassigned"
_TRUE = frozenset({"true", "yes", "on", "1", "y"})


def truthy(value: Any) -> bool:
    """Ansible-style boolean of a variable value (``critical: yes`` counts).

    >>> [truthy(v) for v in (True, "yes", "True", 1, "no", None, 0)]
    [True, True, True, True, False, False, False]
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUE


class Inventory:
    """Hosts and groups of an Ansible inventory.

    >>> inv = Inventory.parse('''
    ... all:
    ...   children:
    ...     web: {hosts: {web-1: {env: prod}, web-2: {env: dev, critical: true}}}
    ...     prod: {hosts: {web-1: {}, db-1: {env: prod}}}
    ... ''')
    >>> sorted(inv.hosts), sorted(inv.groups["prod"])
    (['db-1', 'web-1', 'web-2'], ['db-1', 'web-1'])
    >>> sorted(inv.pattern("web:&prod")), inv.critical(["web-1", "web-2"]), inv.environment_of("web-2")
    (['web-1'], ['web-2'], 'dev')
    """

    def __init__(self, raw: loader.RawInventory) -> None:
        self._raw = raw
        order = _closure_order(raw)
        members: dict[str, list[str]] = {g: [] for g in raw.group_hosts}
        for group in raw.group_hosts:
            seen: dict[str, None] = {}
            for g in order[group]:
                seen.update(dict.fromkeys(raw.group_hosts[g]))
            members[group] = list(seen)
        members["all"] = list(dict.fromkeys([*members.get("all", []), *raw.host_vars]))
        grouped = {h for g, hs in members.items() if g not in ("all", "ungrouped") for h in hs}
        members["ungrouped"] = list(
            dict.fromkeys([*members.get("ungrouped", []), *(h for h in members["all"] if h not in grouped)])
        )
        self.ordered: dict[str, tuple[str, ...]] = {g: tuple(hs) for g, hs in members.items()}
        self.groups: dict[str, frozenset[str]] = {g: frozenset(hs) for g, hs in members.items()}
        depth = _depths(raw)
        host_groups: dict[str, set[str]] = {h: set() for h in raw.host_vars}
        for g, hs in members.items():
            for h in hs:
                host_groups[h].add(g)
        self.hosts: dict[str, Host] = {}
        for name in members["all"]:
            merged: dict[str, Any] = {}
            for g in sorted(host_groups[name], key=lambda g: (depth.get(g, 0), g)):
                merged.update(raw.group_vars.get(g, {}))
            merged.update(raw.host_vars.get(name, {}))
            self.hosts[name] = Host(
                name=name, vars=merged, groups=frozenset(host_groups[name]), enabled=name not in raw.disabled
            )
        self.order: tuple[str, ...] = tuple(members["all"])

    # --- loading -----------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Inventory:
        """Read an Ansible YAML inventory file (``all:``/``children:``/``hosts:``/``vars:``)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationFailed(f"cannot read inventory {path}: {exc.strerror}", path=str(path)) from exc
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> Inventory:
        """Read Ansible YAML inventory text."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationFailed(f"inventory is not valid YAML: {exc}") from exc
        return cls(loader.from_yaml_data(data))

    @classmethod
    def from_ansible_list(cls, data: Mapping[str, Any]) -> Inventory:
        """Read ``ansible-inventory --list`` or AWX ``/inventories/{id}/script/?hostvars=1`` JSON (parsed)."""
        return cls(loader.from_list_data(data))

    # --- questions ---------------------------------------------------------

    def pattern(self, pattern: str) -> set[str]:
        """Hosts an Ansible host pattern selects (``web:&prod:!web-prod-03``, ``app-0*``, ``~db-.*``).

        Raises ValidationFailed on a syntax error; names that match nothing select nothing
        (use :meth:`pattern_unmatched` to list them).

        >>> inv = Inventory.parse("all: {hosts: {a-1: {}, a-2: {}, b-1: {}}}")
        >>> sorted(inv.pattern("a-*:!a-2")), sorted(inv.pattern("a-[1:2]"))
        (['a-1'], ['a-1', 'a-2'])
        """
        from core.inventory.patterns import evaluate

        return evaluate(self, pattern).hosts

    def pattern_unmatched(self, pattern: str) -> list[str]:
        """The terms of ``pattern`` that match no group and no host (ansible-core warns and ignores them)."""
        from core.inventory.patterns import evaluate

        return evaluate(self, pattern).unmatched

    def critical(self, hosts: Iterable[str]) -> list[str]:
        """The hosts among ``hosts`` with ``critical: true``, sorted (they need a second person's approval)."""
        return sorted({h for h in hosts if h in self.hosts and truthy(self.hosts[h].vars.get("critical"))})

    def environment_of(self, host: str) -> str | None:
        """The host's environment: its env variable, else an environment group it is in, else None."""
        h = self.hosts.get(host)
        if h is None:
            return None
        for key in ENV_VARS:
            value = h.vars.get(key)
            if isinstance(value, str) and value:
                return value
        found = sorted(g for g in h.groups if g.lower() in ENV_GROUPS)
        return found[0] if found else None

    def by_environment(self, hosts: Iterable[str]) -> dict[str, list[str]]:
        """Hosts grouped by environment (``'unassigned'`` when none), for confirmation summaries."""
        out: dict[str, list[str]] = {}
        for h in sorted(set(hosts)):
            out.setdefault(self.environment_of(h) or NO_ENVIRONMENT, []).append(h)
        return dict(sorted(out.items()))

    def unknown(self, names: Iterable[str]) -> list[str]:
        """The names that are not inventory hosts (exact, case-sensitive, as AWX compares), in order."""
        return list(dict.fromkeys(n for n in names if n not in self.hosts))

    def disabled(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` that are inventory hosts disabled at their source (AWX), in order.

        >>> from core.inventory.loader import from_yaml_data
        >>> raw = from_yaml_data({"all": {"hosts": {"a": {}, "b": {}}}})
        >>> raw.disabled.add("b")
        >>> Inventory(raw).disabled(["a", "b", "zz"])
        ['b']
        """
        return list(dict.fromkeys(n for n in names if n in self.hosts and not self.hosts[n].enabled))

    def host_vars(self, name: str) -> dict[str, Any]:
        return dict(self.hosts[name].vars)

    @cached_property
    def folded(self) -> dict[str, str]:
        """Lower-cased host and group names -> their inventory spelling (hosts win)."""
        out = {g.lower(): g for g in self.groups}
        out.update({h.lower(): h for h in self.hosts})
        return out


def _closure_order(raw: loader.RawInventory) -> dict[str, list[str]]:
    """For each group: itself then its descendants, depth first, each once; refuses cycles."""
    out: dict[str, list[str]] = {}

    def walk(group: str, path: tuple[str, ...]) -> list[str]:
        if group in path:
            raise ValidationFailed(f"invalid inventory: group {group!r} is its own descendant")
        if group in out:
            return out[group]
        seen: dict[str, None] = {group: None}
        for child in raw.group_children.get(group, []):
            seen.update(dict.fromkeys(walk(child, (*path, group))))
        out[group] = list(seen)
        return out[group]

    for g in raw.group_hosts:
        walk(g, ())
    return out


def _depths(raw: loader.RawInventory) -> dict[str, int]:
    """Longest distance from 'all' (ansible-core's group depth: deeper group vars win)."""
    depth: dict[str, int] = {"all": 0}
    frontier = ["all"]
    for _ in range(len(raw.group_children) + 1):
        nxt: list[str] = []
        for parent in frontier:
            for child in raw.group_children.get(parent, []):
                if depth.get(child, -1) < depth[parent] + 1:
                    depth[child] = depth[parent] + 1
                    nxt.append(child)
        if not nxt:
            break
        frontier = nxt
    return depth
