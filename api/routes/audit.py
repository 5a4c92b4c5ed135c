"""The audit trail, for admins: search it, or export it as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.auth import client_ip, require
from api.deps import ConnDep
from core import audit
from core.auth import auditlog
from core.auth.auditlog import AuditFilter, AuditPage, AuditRow
from core.auth.models import Principal, Role
from core.redact import redact_obj

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def _shown(row: AuditRow) -> AuditRow:
    # Writers should not put secrets in audit details; redact again on the way out in case one did.
    return row.model_copy(update={"detail": redact_obj(row.detail)})


@router.get(
    "",
    summary="Search the audit trail (admins), newest first; ?format=jsonl exports every match, oldest first",
    response_model=None,
    responses={200: {"model": AuditPage, "content": {"application/x-ndjson": {}}}},
)
def list_audit(
    request: Request,
    conn: ConnDep,
    admin: Annotated[Principal, Depends(require(Role.admin))],
    actor: Annotated[str | None, Query(max_length=256)] = None,
    action: Annotated[str | None, Query(max_length=128, description="exact, or a family: 'job.*'")] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    object_id: Annotated[str | None, Query(max_length=256)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="next_before_id of the previous page")] = None,
    format: Annotated[AuditFormat, Query()] = AuditFormat.json,
) -> AuditPage | StreamingResponse:
    """Filter by actor, action, object and time. JSON pages carry ``next_before_id`` for the next, older page.

    ``format=jsonl`` streams every matching row (``application/x-ndjson``), read in batches so any size
    of trail can be exported; the export itself is audited.
    """
    flt = AuditFilter(
        actor=actor, action=action, object_type=object_type, object_id=object_id, since=since, until=until
    )
    if format is AuditFormat.json:
        page = auditlog.search(conn, flt, limit=limit, before_id=before_id)
        return page.model_copy(update={"items": [_shown(r) for r in page.items]})
    audit.record(
        conn,
        actor=admin.name,
        action="audit.export",
        object_type="audit",
        source=client_ip(request),
        detail={"filter": flt.model_dump(mode="json", exclude_none=True)},
    )
    return StreamingResponse(
        _jsonl(request, flt),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="patchpilot-audit.jsonl"'},
    )


def _jsonl(request: Request, flt: AuditFilter) -> Iterator[str]:
    # A connection of its own: the export outlives the request's transaction.
    pool = request.app.state.pool
    with pool.connection() as conn:
        try:
            for row in auditlog.export(conn, flt):
                yield json.dumps(_shown(row).model_dump(mode="json"), separators=(",", ":")) + "\n"
        finally:
            conn.rollback()
