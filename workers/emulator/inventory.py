"""An Ansible YAML inventory, loaded the way ansible-inventory sees it, plus host-pattern resolution."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Group:
    name: str
    variables: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    """Hosts in first-seen order (ansible's order), their merged variables, and the groups."""

    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, text: str) -> Inventory:
        """
        >>> inv = Inventory.from_yaml("all:\\n  children:\\n    web:\\n      hosts:\\n        w1: {os: rhel9}\\n")
        >>> list(inv.hosts), inv.groups["web"].hosts
        (['w1'], ['w1'])
        """
        inv = cls()
        data = yaml.safe_load(text) or {}
        for name, body in data.items():
            inv._load_group(name, body or {})
        inv.groups.setdefault("all", Group("all"))
        grouped = {h for g in inv.groups.values() if g.name != "all" for h in g.hosts}
        inv.groups["ungrouped"] = Group("ungrouped", hosts=[h for h in inv.hosts if h not in grouped])
        if "ungrouped" not in inv.groups["all"].children:
            inv.groups["all"].children.append("ungrouped")
        return inv

    @classmethod
    def from_path(cls, path: Path) -> Inventory:
        return cls.from_yaml(path.read_text(encoding="utf-8"))

    def _load_group(self, name: str, body: dict[str, Any]) -> Group:
        group = self.groups.setdefault(name, Group(name))
        group.variables.update(body.get("vars") or {})
        for host, hvars in (body.get("hosts") or {}).items():
            self.hosts.setdefault(host, {}).update(hvars or {})
            if host not in group.hosts:
                group.hosts.append(host)
        for child, cbody in (body.get("children") or {}).items():
            self._load_group(child, cbody or {})
            if child not in group.children:
                group.children.append(child)
        return group

    def group_hosts(self, name: str, _seen: frozenset[str] = frozenset()) -> list[str]:
        """All hosts of a group, children included, in inventory order."""
        if name == "all":
            return list(self.hosts)
        group = self.groups.get(name)
        if group is None or name in _seen:
            return []
        found = set(group.hosts)
        for child in group.children:
            found.update(self.group_hosts(child, _seen | {name}))
        return [h for h in self.hosts if h in found]

    def host_groups(self, host: str) -> list[str]:
        """Groups the host belongs to directly."""
        return [g.name for g in self.groups.values() if host in g.hosts and g.name not in ("all",)]

    def resolve(self, pattern: str) -> tuple[list[str], list[str]]:
        """Hosts selected by an ansible host pattern, and the pattern parts that matched nothing.

        Supports ``a,b`` / ``a:b``, ``&group``, ``!group``, globs and ``~regex``; empty means all.

        >>> text = "all:\\n  children:\\n    web: {hosts: {w1: {}, w2: {}}}\\n    db: {hosts: {d1: {}}}\\n"
        >>> inv = Inventory.from_yaml(text)
        >>> inv.resolve("web:!w2,d1,nope")
        (['w1', 'd1'], ['nope'])
        >>> inv.resolve("all:&db")
        (['d1'], [])
        """
        terms = [t.strip() for t in re.split(r"[,:]", pattern or "all") if t.strip()]
        selected: set[str] = set()
        intersect: list[set[str]] = []
        excluded: set[str] = set()
        unmatched: list[str] = []
        for term in terms:
            op, name = (term[0], term[1:]) if term[0] in "&!" else ("", term)
            hosts = self._match(name)
            if not hosts:
                unmatched.append(name)
            if op == "&":
                intersect.append(hosts)
            elif op == "!":
                excluded |= hosts
            else:
                selected |= hosts
        for subset in intersect:
            selected &= subset
        selected -= excluded
        return [h for h in self.hosts if h in selected], unmatched

    def _match(self, name: str) -> set[str]:
        if name in ("all", "*"):
            return set(self.hosts)
        if name in self.groups:
            return set(self.group_hosts(name))
        if name in self.hosts:
            return {name}
        if name.startswith("~"):
            rx = re.compile(name[1:])
            return {h for h in self.hosts if rx.match(h)}
        found = {h for h in self.hosts if fnmatch.fnmatchcase(h, name)}
        for gname in self.groups:
            if fnmatch.fnmatchcase(gname, name):
                found.update(self.group_hosts(gname))
        return found
