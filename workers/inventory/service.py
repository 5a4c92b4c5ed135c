"""Inventory sync and lookup. Takes a connection; never commits.

``sync`` reads the configured source (workers.inventory.sources: the AWX inventory of the patch job
template, or a YAML file), masks secret-looking variables, checks it, and replaces the stored snapshot in
one savepoint; a read or check that fails is recorded as a failed sync and leaves the previous snapshot as
it was. ``current`` gives the :class:`core.inventory.Inventory` of the stored snapshot (cached in-process,
keyed on the sync that wrote it), which the API and the worker resolve targets against. ``refresh`` is what
the chat calls for "refresh the inventory".
"""

from __future__ import annotations

import threading
from datetime import datetime

import psycopg

from core.errors import PatchpilotError, ServiceUnavailable
from core.inventory import Inventory
from core.settings import Settings
from workers.inventory import repository as repo
from workers.inventory.models import (
    Changes,
    InventoryListing,
    InventorySource,
    Snapshot,
    StoredGroup,
    StoredHost,
    SyncResult,
    SyncStatus,
)
from workers.inventory.repository import Conn
from workers.inventory.sources import Reader, check, raw_from_snapshot, read_file, reader_for, redacted

# --- the stored snapshot -----------------------------------------------------


def stored(conn: Conn) -> Snapshot | None:
    """The stored snapshot, or None before the first successful sync."""
    loaded = repo.load_snapshot(conn)
    return loaded[1] if loaded else None


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
    """Re-read the inventory source now (the chat's "refresh the inventory"); the caller commits.

    ``describe(result)`` says what happened in a few lines for a person (the CLI prints the same).
    """
    return sync(conn, settings, now=now)


def describe(result: SyncResult) -> list[str]:
    """What a sync did, for people: the source, the counts, then each kind of change with its names."""
    if result.status is SyncStatus.failed:
        return [f"inventory sync failed ({result.ref}): {result.error}", "the previous inventory is kept"]
    lines = [f"inventory synced from {result.ref}: {result.hosts} hosts, {result.groups} groups"]
    c = result.changes
    for label, names in (
        ("hosts added", c.hosts_added),
        ("hosts removed", c.hosts_removed),
        ("hosts changed", c.hosts_changed),
        ("hosts disabled", c.hosts_disabled),
        ("hosts enabled", c.hosts_enabled),
        ("groups added", c.groups_added),
        ("groups removed", c.groups_removed),
        ("groups changed", c.groups_changed),
    ):
        if names:
            lines.append(f"  {label} ({len(names)}): {', '.join(names)}")
    if c.variables_changed:
        lines.append("  inventory variables changed")
    if c.empty:
        lines.append("  no change")
    return lines


def listing(conn: Conn) -> InventoryListing:
    """The stored snapshot with each host's direct groups, and the last sync attempt (which may have failed)."""
    loaded = repo.load_snapshot(conn)
    attempt = repo.latest_attempt(conn)
    if loaded is None:
        return InventoryListing(last_attempt=attempt)
    result, snapshot, groups_of = loaded
    return InventoryListing(
        source=result.source,
        ref=result.ref,
        synced_at=result.at,
        variables=snapshot.variables,
        hosts=[
            StoredHost(name=h.name, enabled=h.enabled, variables=h.variables, groups=groups_of[h.name], awx_id=h.awx_id)
            for h in snapshot.hosts
        ],
        groups=[
            StoredGroup(name=g.name, variables=g.variables, hosts=g.hosts, children=g.children, awx_id=g.awx_id)
            for g in snapshot.groups
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
            return without_database(settings)
        key = (latest[0].id, latest[0].at)
        with self._lock:
            if self._key == key and self._inventory is not None:
                return self._inventory
        loaded = repo.load_snapshot(conn)  # one statement: never half of one sync and half of the next
        if loaded is None:
            return without_database(settings)
        result, snapshot, _ = loaded
        key = (result.id, result.at)
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


def without_database(settings: Settings) -> Inventory:
    """The inventory when nothing is stored yet (or no database is attached): a file source is read as is;
    an AWX source must be synced first."""
    if settings.inventory_source is InventorySource.file and settings.inventory_path is not None:
        return Inventory(raw_from_snapshot(redacted(read_file(settings.inventory_path))))
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
