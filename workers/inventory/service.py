"""Inventory sync and lookup. Takes a connection; never commits.

``sync`` reads the configured source (the AWX inventory of the patch job template, or a YAML file), masks
secret-looking variables, checks it,
and replaces the stored snapshot in one savepoint; a read or check that fails is recorded as a failed sync and
leaves the previous snapshot as it was. ``current`` gives the :class:`core.inventory.Inventory` of the stored
snapshot (cached in-process, keyed on the sync that wrote it), which the API and the worker resolve targets
against. ``refresh`` is what the chat calls for "refresh the inventory".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import yaml

from core.errors import PatchpilotError, ServiceUnavailable, ValidationFailed
from core.inventory import Inventory, loader
from core.redact import redact_obj
from core.settings import Settings
from workers.inventory import repository as repo
from workers.inventory.models import (
    Changes,
    InventoryListing,
    InventorySource,
    Snapshot,
    SourceGroup,
    SourceHost,
    StoredGroup,
    StoredHost,
    SyncResult,
    SyncStatus,
)
from workers.inventory.repository import Conn

Reader = Callable[[], Snapshot]
_AWX_ONLY_GROUPS = ("all", "ungrouped")  # Ansible's implicit groups: not stored (AWX has neither)


# --- sources ----------------------------------------------------------------


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


# --- the stored snapshot -----------------------------------------------------


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


def stored(conn: Conn) -> Snapshot | None:
    """The stored snapshot, or None before the first successful sync."""
    latest = repo.latest_snapshot(conn)
    if latest is None:
        return None
    result, variables = latest
    hosts = [h for h, _ in repo.stored_hosts(conn)]
    return Snapshot(
        source=result.source, ref=result.ref, variables=variables, hosts=hosts, groups=repo.stored_groups(conn)
    )


def diff(old: Snapshot | None, new: Snapshot) -> Changes:
    """What replacing ``old`` by ``new`` changes, by name."""
    before = {h.name: h for h in old.hosts} if old else {}
    after = {h.name: h for h in new.hosts}
    gbefore = {g.name: g for g in old.groups} if old else {}
    gafter = {g.name: g for g in new.groups}

    def direct(snap: Snapshot | None) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for g in snap.groups if snap else []:
            for h in g.hosts:
                out.setdefault(h, set()).add(g.name)
        return out

    was, now = direct(old), direct(new)
    common = [n for n in after if n in before]
    return Changes(
        hosts_added=[n for n in after if n not in before],
        hosts_removed=[n for n in before if n not in after],
        hosts_changed=[
            n for n in common if before[n].variables != after[n].variables or was.get(n, set()) != now.get(n, set())
        ],
        hosts_enabled=[n for n in common if after[n].enabled and not before[n].enabled],
        hosts_disabled=[n for n in after if not after[n].enabled and (n not in before or before[n].enabled)],
        groups_added=[n for n in gafter if n not in gbefore],
        groups_removed=[n for n in gbefore if n not in gafter],
        groups_changed=[
            n
            for n in gafter
            if n in gbefore
            and (
                gbefore[n].variables != gafter[n].variables
                or set(gbefore[n].hosts) != set(gafter[n].hosts)
                or set(gbefore[n].children) != set(gafter[n].children)
            )
        ],
        variables_changed=old is not None and old.variables != new.variables,
    )


def sync(conn: Conn, settings: Settings, *, now: datetime, read: Reader | None = None) -> SyncResult:
    """Read the source and replace the stored snapshot; a failure is a ``failed`` result, not an exception.

    The whole replacement is one savepoint under an advisory lock (syncs never interleave). Whatever fails
    (AWX unreachable or refusing, a file that does not parse, variables that are not a mapping, a snapshot
    that does not hold together) is recorded with its reason and the previous snapshot stays in place.
    """
    repo.lock(conn)  # also opens the caller's transaction, so the block below is a savepoint, never a commit
    source = settings.inventory_source
    try:
        snapshot = redacted((read or reader_for(settings))())
        check(snapshot)
        with conn.transaction():
            changes = diff(stored(conn), snapshot)
            result = repo.insert_sync(
                conn,
                source=snapshot.source,
                ref=snapshot.ref,
                status=SyncStatus.succeeded,
                at=now,
                variables=snapshot.variables,
                hosts=len(snapshot.hosts),
                groups=len(snapshot.groups),
                changes=changes,
            )
            repo.replace_snapshot(conn, snapshot, sync_id=result.id, synced_at=now)
            return result
    except (PatchpilotError, psycopg.DataError, psycopg.IntegrityError) as exc:
        message = exc.message if isinstance(exc, PatchpilotError) else f"the snapshot could not be stored: {exc}"
        return repo.insert_sync(
            conn, source=source, ref=_ref(settings), status=SyncStatus.failed, at=now, error=message
        )


def _ref(settings: Settings) -> str:
    if settings.inventory_source is InventorySource.awx:
        return f"AWX job template {settings.inventory.template or settings.awx.template_patch!r} at {settings.awx.url}"
    return f"file {settings.inventory_path}"


def refresh(conn: Conn, settings: Settings, *, now: datetime) -> SyncResult:
    """Re-read the inventory source now (the chat's "refresh the inventory"); the caller commits."""
    return sync(conn, settings, now=now)


def listing(conn: Conn) -> InventoryListing:
    """The stored snapshot with each host's direct groups, and the last sync attempt (which may have failed)."""
    latest = repo.latest_snapshot(conn)
    attempt = repo.latest_attempt(conn)
    if latest is None:
        return InventoryListing(last_attempt=attempt)
    result, variables = latest
    return InventoryListing(
        source=result.source,
        ref=result.ref,
        synced_at=result.at,
        variables=variables,
        hosts=[
            StoredHost(name=h.name, enabled=h.enabled, variables=h.variables, groups=groups, awx_id=h.awx_id)
            for h, groups in repo.stored_hosts(conn)
        ],
        groups=[
            StoredGroup(name=g.name, variables=g.variables, hosts=g.hosts, children=g.children, awx_id=g.awx_id)
            for g in repo.stored_groups(conn)
        ],
        last_attempt=attempt,
    )


# --- the inventory targets resolve against -----------------------------------


class InventoryCache:
    """The stored snapshot as a core Inventory, rebuilt only when a sync has replaced it (keyed on the sync)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, datetime] | None = None
        self._inventory: Inventory | None = None

    def current(self, conn: Conn, settings: Settings) -> Inventory:
        """The inventory to resolve targets against.

        The stored snapshot of the configured source. Before the first sync, the file source reads its file
        directly; the AWX source is unavailable until synced (never a guess, never the demo fleet).
        """
        latest = repo.latest_snapshot(conn)
        if latest is None or latest[0].source is not settings.inventory_source:
            return _unsynced(settings)
        key = (latest[0].id, latest[0].at)
        with self._lock:
            if self._key == key and self._inventory is not None:
                return self._inventory
        snapshot = stored(conn)
        assert snapshot is not None
        inventory = Inventory(raw_from_snapshot(snapshot))
        with self._lock:
            self._key, self._inventory = key, inventory
        return inventory


def untargetable(conn: Conn, settings: Settings, hosts: list[str]) -> str | None:
    """Why ``hosts`` cannot be targeted now, against the stored inventory, or None when they all can.

    For a job that waited (scheduled, awaiting approval): a host may have been removed or disabled in AWX since.
    """
    inventory = current(conn, settings)
    unknown, disabled = inventory.unknown(hosts), inventory.disabled(hosts)
    reasons = [f"no longer in the inventory: {', '.join(unknown)}"] if unknown else []
    reasons += [f"disabled in the AWX inventory: {', '.join(disabled)}"] if disabled else []
    return "; ".join(reasons) or None


def _unsynced(settings: Settings) -> Inventory:
    if settings.inventory_source is InventorySource.file and settings.inventory_path is not None:
        return Inventory(raw_from_snapshot(read_file(settings.inventory_path)))
    raise ServiceUnavailable(
        "the AWX inventory has not been synced yet; run 'patchpilot inventory sync' "
        f"(the beat schedule syncs every {settings.inventory.sync_interval_s:.0f} s)"
    )


_cache = InventoryCache()


def db_now(conn: Conn) -> datetime:
    """The clock syncs are stamped with when the caller has none of its own (the database's)."""
    return repo.now(conn)


def current(conn: Conn, settings: Settings) -> Inventory:
    """The process-wide cached inventory (see :meth:`InventoryCache.current`)."""
    return _cache.current(conn, settings)
