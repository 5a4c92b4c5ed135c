"""Analyse a job log on demand: failures and their KB matches out, nothing stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require
from api.deps import ConnDep, SettingsDep
from core.auth.models import Role
from core.errors import LogTooLarge, ValidationFailed
from kb.service import analyse_input

router = APIRouter(tags=["analyse"])


class AnalyzeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    log: str = Field(description="AWX job stdout (format=txt or ansi)")


@router.post(
    "/analyze",
    dependencies=[Depends(require(Role.operator, Role.kb_editor))],
    summary="Analyse a job log (JSON {'log': ...} or a text/plain body); stores nothing",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": AnalyzeBody.model_json_schema()},
                "text/plain": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def analyze(request: Request, conn: ConnDep, settings: SettingsDep) -> dict[str, Any]:
    """Each failed host and task, the message, and the KB entry that applies (exact or similar, with its score).

    The body is either JSON ``{"log": "..."}`` or the log itself as ``text/plain``. Over
    ``api.max_body_bytes`` the answer is 413 ``log_too_large``. An empty body, binary data or text that is
    not Ansible output is 422 ``not_an_ansible_log``; ``input`` names the encoding used and any decoding step.
    Entries below the answer bar are listed per failure as ``related`` ("possibly related", with scores).
    """
    limit = settings.api.max_body_bytes
    raw = await request.body()
    if len(raw) > limit:
        raise LogTooLarge(f"the log is {len(raw)} bytes; the limit is {limit} bytes", limit=limit)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = AnalyzeBody.model_validate_json(raw)
        except ValueError as exc:
            raise ValidationFailed(f"expected JSON {{'log': '...'}}: {exc}") from None
        return analyse_input(conn, body.log, settings)
    # A text/plain body is read in the encoding it was written in (kb.analysis.intake: BOM, UTF-16, UTF-8, latin-1).
    return analyse_input(conn, raw, settings)
