"""The append-only audit trail (ops.audit; a trigger refuses UPDATE/DELETE)."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from core.db import DictConn
from core.redact import redact_obj


def record(
    conn: DictConn,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    source: str | None = None,
) -> None:
    """Append one audit row in the caller's transaction (it commits with the change it records)."""
    conn.execute(
        "INSERT INTO ops.audit (actor, action, object_type, object_id, source, detail) VALUES (%s, %s, %s, %s, %s, %s)",
        (
            actor,
            action,
            object_type,
            None if object_id is None else str(object_id),
            source,
            Jsonb(redact_obj(detail or {})),  # secrets never reach the audit trail
        ),
    )
