"""Reading the audit trail for the audit API: filtered pages (newest first) and a batched export.

``action`` matches exactly, or a family when it ends in ``.*`` (``job.*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.db import DictConn
from core.sql import Queries

Q = Queries(__file__, "auditlog.sql")
EXPORT_BATCH = 1000


class AuditFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(default=None, max_length=256)
    action: str | None = Field(default=None, max_length=128)
    object_type: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=256)
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, Any]:
        params = self.model_dump()
        action = self.action
        if action and action.endswith(".*"):
            family = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.update(action=None, action_prefix=family + "%")
        else:
            params["action_prefix"] = None
        return params


class AuditRow(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    source: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_before_id: int | None = Field(description="pass as before_id for the next (older) page; null at the end")


def search(conn: DictConn, flt: AuditFilter, *, limit: int = 100, before_id: int | None = None) -> AuditPage:
    rows = conn.execute(Q.search, {**flt.params(), "limit": limit + 1, "before_id": before_id}).fetchall()
    items = [AuditRow.model_validate(r) for r in rows[:limit]]
    return AuditPage(items=items, next_before_id=items[-1].id if len(rows) > limit else None)


def export(conn: DictConn, flt: AuditFilter, *, batch: int | None = None) -> Iterator[AuditRow]:
    """Every matching row, oldest first, read in batches of ``batch`` (each batch is one short query)."""
    batch = batch or EXPORT_BATCH
    after = 0
    params = flt.params()
    while True:
        rows = conn.execute(Q.export, {**params, "after_id": after, "limit": batch}).fetchall()
        for row in rows:
            yield AuditRow.model_validate(row)
        if len(rows) < batch:
            return
        after = rows[-1]["id"]
