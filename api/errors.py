"""One handler renders every error: JSON naming the problem, never a stack trace."""

from __future__ import annotations

import logging
import uuid

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import PatchpilotError

log = logging.getLogger(__name__)


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _line_column(body: bytes, loc: tuple[object, ...] | list[object]) -> str:
    """ " at line L, column C" for the character offset FastAPI reports in ``loc`` (("body", 30)), or ""."""
    offset = next((p for p in reversed(list(loc)) if isinstance(p, int)), None)
    if offset is None:
        return ""
    text = body.decode("utf-8", errors="replace")[:offset]
    line = text.count("\n") + 1
    column = offset - (text.rfind("\n") + 1) + 1
    return f" at line {line}, column {column}"


def install(app: FastAPI) -> None:
    @app.exception_handler(PatchpilotError)
    async def _patchpilot(_: Request, exc: PatchpilotError) -> JSONResponse:
        body: dict[str, object] = {"error": exc.code, "detail": exc.message}
        body.update({k: v for k, v in exc.context.items() if isinstance(v, str | int | float | bool | list)})
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            kind = err.get("type", "")
            msg = str(err.get("msg", "invalid"))
            loc = err.get("loc", ())
            if kind == "json_invalid":
                reason = err.get("ctx", {}).get("error", "parse error")
                where = _line_column(await request.body(), loc)
                errors.append({"field": "body", "problem": f"the body is not valid JSON{where} ({reason})"})
                continue
            if kind == "extra_forbidden":
                msg = "unknown field; remove it (see the OpenAPI schema at /docs)"
            errors.append({"field": _field(loc), "problem": msg})
        summary = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
        return JSONResponse(
            {"error": "validation_failed", "detail": summary or "invalid request", "errors": errors},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(psycopg.DataError)
    async def _data(_: Request, exc: psycopg.DataError) -> JSONResponse:
        # Input PostgreSQL cannot store (NUL bytes, out-of-range numbers): the caller's data, not our fault.
        reason = (exc.diag.message_primary or "invalid value") if exc.diag else "invalid value"
        return JSONResponse(
            {"error": "validation_failed", "detail": f"a value cannot be stored: {reason}; remove it and retry"},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.exception("unhandled error (ref %s)", ref, exc_info=exc)
        return JSONResponse(
            {"error": "internal_error", "detail": f"unexpected error; it was logged with reference {ref}"},
            status_code=500,
        )
