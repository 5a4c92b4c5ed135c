"""SQL for the inventory snapshot; the only module that runs it. Takes a connection, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from core.db import DictConn
from core.sql import Queries
from workers.inventory.models import Changes, InventorySource, Snapshot, SourceGroup, SourceHost, SyncResult, SyncStatus

Q = Queries(__file__)
Conn = DictConn
_LOCK_KEY = 0x696E_7673  # "invs"


def lock(conn: Conn) -> None:
    """Wait for any other sync; the lock is held until the caller's transaction ends."""
    conn.execute(Q.lock_sync, {"key": _LOCK_KEY})


def _result(row: dict[str, Any]) -> SyncResult:
    return SyncResult(
        id=row["id"],
        source=InventorySource(row["source"]),
        ref=row["ref"],
        status=SyncStatus(row["status"]),
        at=row["at"],
        hosts=row["hosts"],
        groups=row["groups"],
        changes=Changes.model_validate(row["changes"] or {}),
        error=row["error"],
    )


def latest_snapshot(conn: Conn) -> tuple[SyncResult, dict[str, Any]] | None:
    """The sync whose rows are stored now, and the inventory's own variables."""
    row = conn.execute(Q.latest_snapshot).fetchone()
    return (_result(row), dict(row["variables"])) if row else None


def latest_attempt(conn: Conn) -> SyncResult | None:
    row = conn.execute(Q.latest_attempt).fetchone()
    return _result(row) if row else None


def insert_sync(
    conn: Conn,
    *,
    source: InventorySource,
    ref: str,
    status: SyncStatus,
    at: datetime,
    variables: dict[str, Any] | None = None,
    hosts: int = 0,
    groups: int = 0,
    changes: Changes | None = None,
    error: str | None = None,
) -> SyncResult:
    row = conn.execute(
        Q.insert_sync,
        {
            "source": source.value,
            "ref": ref,
            "status": status.value,
            "at": at,
            "variables": Jsonb(variables or {}),
            "hosts": hosts,
            "groups": groups,
            "changes": Jsonb((changes or Changes()).model_dump()),
            "error": error,
        },
    ).fetchone()
    assert row is not None
    return _result(row)


def replace_snapshot(conn: Conn, snapshot: Snapshot, *, sync_id: int, synced_at: datetime) -> None:
    """Delete the stored hosts and groups (membership cascades) and insert ``snapshot``'s."""
    conn.execute(Q.delete_hosts)
    conn.execute(Q.delete_groups)
    common = {"source": snapshot.source.value, "sync_id": sync_id, "synced_at": synced_at}
    hosts, groups = snapshot.hosts, snapshot.groups
    conn.execute(
        Q.insert_hosts,
        {
            **common,
            "names": [h.name for h in hosts],
            "positions": list(range(len(hosts))),
            "enabled": [h.enabled for h in hosts],
            "variables": [Jsonb(h.variables) for h in hosts],
            "awx_ids": [h.awx_id for h in hosts],
        },
    )
    conn.execute(
        Q.insert_groups,
        {
            **common,
            "names": [g.name for g in groups],
            "positions": list(range(len(groups))),
            "variables": [Jsonb(g.variables) for g in groups],
            "awx_ids": [g.awx_id for g in groups],
        },
    )
    members = [(g.name, h, i) for g in groups for i, h in enumerate(g.hosts)]
    conn.execute(
        Q.insert_group_hosts,
        {"groups": [m[0] for m in members], "hosts": [m[1] for m in members], "positions": [m[2] for m in members]},
    )
    kids = [(g.name, c, i) for g in groups for i, c in enumerate(g.children)]
    conn.execute(
        Q.insert_group_children,
        {"parents": [k[0] for k in kids], "children": [k[1] for k in kids], "positions": [k[2] for k in kids]},
    )


def load_snapshot(conn: Conn) -> tuple[SyncResult, Snapshot, dict[str, list[str]]] | None:
    """The stored snapshot (read in one statement), the sync that wrote it, and each host's direct groups."""
    row = conn.execute(Q.load_snapshot).fetchone()
    if row is None:
        return None
    result = _result(row)
    hosts = [SourceHost.model_validate({k: v for k, v in h.items() if k != "groups"}) for h in row["host_rows"]]
    snapshot = Snapshot(
        source=result.source,
        ref=result.ref,
        variables=dict(row["variables"]),
        hosts=hosts,
        groups=[SourceGroup.model_validate(g) for g in row["group_rows"]],
    )
    return result, snapshot, {h["name"]: list(h["groups"]) for h in row["host_rows"]}


def now(conn: Conn) -> datetime:
    """The one clock: the database's ``now()`` (the start of the caller's transaction)."""
    row = conn.execute(Q.db_now).fetchone()
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]
