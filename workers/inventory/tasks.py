"""Thin Celery task: beat re-reads the inventory source every ``inventory.sync_interval_s``."""

from __future__ import annotations

import logging

from core.db import commit
from workers import runtime
from workers.celery_app import app
from workers.inventory import service
from workers.inventory.models import SyncStatus

log = logging.getLogger(__name__)


@app.task(name="patchpilot.inventory.sync", acks_late=True)  # type: ignore[untyped-decorator,unused-ignore]
def sync() -> dict[str, object]:
    """One sync; a failure is recorded (the previous snapshot stays) and the next beat tries again."""
    with runtime.pool().connection() as conn:
        result = service.sync(conn, runtime.settings(), now=service.db_now(conn))
        commit(conn)
    if result.status is SyncStatus.failed:
        log.warning("inventory sync failed, previous snapshot kept: %s", result.error)
    return {"id": result.id, "status": result.status.value, "hosts": result.hosts}
