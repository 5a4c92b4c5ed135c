"""Inventory sources: read the AWX inventory or a YAML file into a :class:`Snapshot`, mask its secrets, check it
holds together, and turn a snapshot into core.inventory's tables (the one loader's :class:`RawInventory`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from core.errors import ValidationFailed
from core.inventory import Inventory, loader
from core.redact import redact_obj
from core.settings import Settings
from workers.inventory.models import InventorySource, Snapshot, SourceGroup, SourceHost

Reader = Callable[[], Snapshot]
_AWX_ONLY_GROUPS = ("all", "ungrouped")  # Ansible's implicit groups: not stored (AWX has neither)


def snapshot_from_raw(raw: loader.RawInventory, source: InventorySource, ref: str) -> Snapshot:
    """A parsed inventory as a snapshot: hosts' own variables, groups with direct hosts and children."""
    groups = [
        SourceGroup(
            name=name,
            variables=raw.group_vars.get(name, {}),
            hosts=list(raw.group_hosts.get(name, [])),
            children=[c for c in raw.group_children.get(name, []) if c not in _AWX_ONLY_GROUPS],
        )
        for name in raw.group_hosts
        if name not in _AWX_ONLY_GROUPS
    ]
    hosts = [SourceHost(name=n, variables=v, enabled=n not in raw.disabled) for n, v in raw.host_vars.items()]
    return Snapshot(source=source, ref=ref, variables=raw.group_vars.get("all", {}), hosts=hosts, groups=groups)


def read_file(path: Path) -> Snapshot:
    """The file source: an Ansible YAML inventory, read with core.inventory's loader."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(f"cannot read inventory {path}: {exc.strerror}", path=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"inventory {path} is not valid YAML: {exc}") from exc
    return snapshot_from_raw(loader.from_yaml_data(data), InventorySource.file, f"file {path}")


def reader_for(settings: Settings) -> Reader:
    """The configured source as a zero-argument reader."""
    if settings.inventory_source is InventorySource.awx:
        from workers.awx.inventory import read_template_inventory

        template = settings.inventory.template or settings.awx.template_patch
        return lambda: read_template_inventory(settings.awx, template, page_size=settings.inventory.page_size)
    path = settings.inventory_path
    if path is None:
        raise ValidationFailed("the file inventory source needs a file; set PATCHPILOT_INVENTORY__PATH")
    return lambda: read_file(path)


def redacted(snapshot: Snapshot) -> Snapshot:
    """The snapshot with secret-looking variables (``ansible_password``, ``*_token`` ...) masked: they are never
    needed to resolve targets, and the stored inventory is readable by every signed-in user."""
    return snapshot.model_copy(
        update={
            "variables": redact_obj(snapshot.variables),
            "hosts": [h.model_copy(update={"variables": redact_obj(h.variables)}) for h in snapshot.hosts],
            "groups": [g.model_copy(update={"variables": redact_obj(g.variables)}) for g in snapshot.groups],
        }
    )


def check(snapshot: Snapshot) -> None:
    """Refuse a snapshot that cannot be stored whole: duplicate names, members that do not exist, cycles."""
    hosts = [h.name for h in snapshot.hosts]
    groups = [g.name for g in snapshot.groups]
    for kind, names in (("host", hosts), ("group", groups)):
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValidationFailed(f"{snapshot.ref} lists the {kind} {', '.join(dup)} more than once")
    known_hosts, known_groups = set(hosts), set(groups)
    for g in snapshot.groups:
        missing = [h for h in g.hosts if h not in known_hosts]
        if missing:
            raise ValidationFailed(f"{snapshot.ref}: group {g.name!r} lists unknown hosts {', '.join(missing)}")
        missing = [c for c in g.children if c not in known_groups]
        if missing:
            raise ValidationFailed(f"{snapshot.ref}: group {g.name!r} has unknown children {', '.join(missing)}")
    Inventory(raw_from_snapshot(snapshot))  # refuses cyclic children with a clear message


def raw_from_snapshot(snapshot: Snapshot) -> loader.RawInventory:
    """The loader's tables for a snapshot; groups nobody has as a child hang under 'all' (AWX's root groups)."""
    raw = loader.RawInventory()
    raw.add_group("all")
    raw.group_vars["all"].update(snapshot.variables)
    for h in snapshot.hosts:
        raw.host_vars[h.name] = dict(h.variables)
        if not h.enabled:
            raw.disabled.add(h.name)
    for g in snapshot.groups:
        raw.add_group(g.name)
        raw.group_vars[g.name].update(g.variables)
        raw.group_hosts[g.name] = list(dict.fromkeys(g.hosts))
        raw.group_children[g.name] = list(dict.fromkeys(g.children))
    children = {c for g in snapshot.groups for c in g.children}
    for g in snapshot.groups:
        if g.name not in children:
            raw.add_child("all", g.name)
    return raw
