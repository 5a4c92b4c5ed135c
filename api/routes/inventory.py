"""The inventory: the stored snapshot of its source (the AWX inventory of the patch job template), and a sync."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from api.auth import require
from api.deps import ConnDep, SettingsDep, SourceDep, UserDep
from core import audit
from core.auth.models import Role
from workers.inventory import service
from workers.inventory.models import InventoryListing, SyncResult, SyncStatus

router = APIRouter(prefix="/inventory", tags=["inventory"])


@router.get("", summary="The stored inventory: hosts with groups, variables and enabled", dependencies=[
    Depends(require(Role.viewer))])  # fmt: skip
def get_inventory(conn: ConnDep) -> InventoryListing:
    """Every host of the stored snapshot (its own variables, direct groups, ``enabled``), the groups, when it
    was synced and from where, and the last sync attempt (a failed one names its reason)."""
    return service.listing(conn)


@router.post(
    "/sync",
    summary="Re-read the inventory source now",
    dependencies=[Depends(require(Role.operator))],
    responses={502: {"model": SyncResult, "description": "the sync failed; the previous snapshot is kept"}},
)
def sync_inventory(
    request: Request, response: Response, conn: ConnDep, settings: SettingsDep, user: UserDep, source: SourceDep
) -> SyncResult:
    """Read the AWX inventory (or the file) and replace the stored snapshot in one transaction.

    Answers with what changed. When the source cannot be read or does not hold together the answer is 502
    with the reason, and targets keep resolving against the previous snapshot.
    """
    result = service.sync(conn, settings, now=service.db_now(conn))
    audit.record(
        conn,
        actor=user,
        action="inventory.sync",
        object_type="inventory_sync",
        object_id=result.id,
        source=source,
        detail={"status": result.status.value, "hosts": result.hosts, "error": result.error},
    )
    if result.status is SyncStatus.failed:
        response.status_code = status.HTTP_502_BAD_GATEWAY
    return result
