"""SQL for jobs; the only module that runs it. Takes a connection, never commits.

Rows come back typed (``class_row``) as the models of workers.jobs.models: the ``intent`` column becomes a
PatchIntent here, once, and nothing above this module reads a job as a dict.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from core.db import AsyncDictConn, DictConn
from core.enums import HostStatus, JobStatus
from core.intent import PatchIntent
from core.sql import Queries
from workers.jobs.models import DueJob, HostCounts, Job, JobHostRow, JobRow, JobStdout, LockHolder, StaleJob

Q = Queries(__file__)
Conn = DictConn
M = TypeVar("M", bound=BaseModel)
Row = dict[str, Any]


def _one(conn: Conn, model: type[M], query: str, params: Mapping[str, Any]) -> M | None:
    with conn.cursor(row_factory=class_row(model)) as cur:
        return cur.execute(query, params).fetchone()


def _all(conn: Conn, model: type[M], query: str, params: Mapping[str, Any]) -> list[M]:
    with conn.cursor(row_factory=class_row(model)) as cur:
        return cur.execute(query, params).fetchall()


def _job(conn: Conn, query: str, params: Mapping[str, Any]) -> JobRow:
    """A statement that returns the job row it changed (``RETURNING *``); the job must exist."""
    row = _one(conn, JobRow, query, params)
    assert row is not None
    return row


def insert_job(
    conn: Conn,
    *,
    intent: PatchIntent,
    requested_by: str,
    status: JobStatus,
    needs_approval: bool,
    approval_expires_at: datetime | None,
    not_before: datetime | None,
    awx_template: str,
) -> JobRow:
    params = {
        "action": intent.action.value,
        "intent": Jsonb(intent.model_dump(mode="json")),
        "hosts": intent.hosts,
        "requested_by": requested_by,
        "status": status.value,
        "needs_approval": needs_approval,
        "approval_expires_at": approval_expires_at,
        "not_before": not_before,
        "awx_template": awx_template,
    }
    return _job(conn, Q.insert_job, params)


def lock_hosts(conn: Conn, job_id: int, hosts: list[str]) -> set[str]:
    """Take the hosts for ``job_id``; return the ones taken (others are held by active jobs)."""
    return {r["host"] for r in conn.execute(Q.lock_hosts, {"job_id": job_id, "hosts": hosts}).fetchall()}


def lock_holders(conn: Conn, job_id: int, hosts: list[str]) -> list[LockHolder]:
    return _all(conn, LockHolder, Q.lock_holders, {"job_id": job_id, "hosts": hosts})


def release_hosts(conn: Conn, job_id: int) -> None:
    conn.execute(Q.release_hosts, {"job_id": job_id})


def insert_pending_hosts(conn: Conn, job_id: int, hosts: list[str]) -> None:
    conn.execute(Q.insert_pending_hosts, {"job_id": job_id, "hosts": hosts})


def get(conn: Conn, job_id: int, *, for_update: bool = False) -> JobRow | None:
    return _one(conn, JobRow, Q.get_job_for_update if for_update else Q.get_job, {"job_id": job_id})


def set_status(conn: Conn, job_id: int, status: JobStatus, error: str | None = None) -> JobRow:
    return _job(conn, Q.set_status, {"job_id": job_id, "status": status.value, "error": error})


def mark_launching(conn: Conn, job_id: int) -> JobRow:
    return _job(conn, Q.mark_launching, {"job_id": job_id})


def mark_running(conn: Conn, job_id: int, awx_job_id: int, awx_status: str, awx_job_type: str = "job") -> JobRow:
    params = {"job_id": job_id, "awx_job_id": awx_job_id, "awx_status": awx_status, "awx_job_type": awx_job_type}
    return _job(conn, Q.mark_running, params)


def advance_poll(conn: Conn, job_id: int, expected: int, awx_status: str) -> JobRow | None:
    return _one(conn, JobRow, Q.advance_poll, {"job_id": job_id, "expected": expected, "awx_status": awx_status})


def request_cancel(conn: Conn, job_id: int) -> JobRow:
    return _job(conn, Q.request_cancel, {"job_id": job_id})


def approve(conn: Conn, job_id: int, approver: str) -> JobRow:
    return _job(conn, Q.approve, {"job_id": job_id, "approver": approver})


def job_hosts(conn: Conn, job_id: int) -> list[JobHostRow]:
    return _all(conn, JobHostRow, Q.job_hosts, {"job_id": job_id})


def upsert_job_host(conn: Conn, job_id: int, host: str, status: HostStatus, counts: HostCounts) -> None:
    conn.execute(Q.upsert_job_host, {"job_id": job_id, "host": host, "status": status.value, **counts.model_dump()})


def save_stdout(
    conn: Conn,
    job_id: int,
    content: str,
    size_bytes: int,
    truncated: bool,
    failed_events: list[dict[str, Any]] | None = None,
) -> None:
    params = {"job_id": job_id, "content": content, "size_bytes": size_bytes, "truncated": truncated}
    conn.execute(Q.save_stdout, {**params, "failed_events": Jsonb(failed_events or [])})


def analysis_pending(conn: Conn, job_id: int) -> None:
    conn.execute(Q.analysis_pending, {"job_id": job_id})


def stale_analyses(conn: Conn, *, after_s: float, limit: int = 200) -> list[int]:
    return [r["id"] for r in conn.execute(Q.stale_analyses, {"after_s": after_s, "limit": limit}).fetchall()]


def note_error(conn: Conn, job_id: int, error: str) -> None:
    """Record why a job is being ended before the ending itself (kept by collect)."""
    conn.execute(Q.note_error, {"job_id": job_id, "error": error})


def get_stdout(conn: Conn, job_id: int) -> JobStdout | None:
    return _one(conn, JobStdout, Q.get_stdout, {"job_id": job_id})


def list_jobs(
    conn: Conn,
    *,
    limit: int,
    offset: int,
    status: JobStatus | None = None,
    host: str | None = None,
    requested_by: str | None = None,
) -> tuple[list[JobRow], int]:
    params = {"status": status.value if status else None, "host": host, "requested_by": requested_by}
    rows = _all(conn, JobRow, Q.list_jobs, {**params, "limit": limit, "offset": offset})
    total = conn.execute(Q.count_jobs, params).fetchone()
    return rows, int(total["n"]) if total else 0


def last_job(conn: Conn, requested_by: str) -> JobRow | None:
    return _one(conn, JobRow, Q.last_job, {"requested_by": requested_by})


def due_scheduled(conn: Conn, limit: int = 100) -> list[DueJob]:
    return _all(conn, DueJob, Q.due_scheduled, {"limit": limit})


def stale_jobs(conn: Conn, *, queued_after_s: float, running_after_s: float, limit: int = 200) -> list[StaleJob]:
    params = {"queued_after_s": queued_after_s, "running_after_s": running_after_s, "limit": limit}
    return _all(conn, StaleJob, Q.stale_jobs, params)


def expired_approvals(conn: Conn, limit: int = 100) -> list[int]:
    return [r["id"] for r in conn.execute(Q.expired_approvals, {"limit": limit}).fetchall()]


def to_job(conn: Conn, row: JobRow) -> Job:
    return Job.from_row(row, job_hosts(conn, row.id))


async def get_job_view(aconn: AsyncDictConn, job_id: int) -> tuple[Job, list[Row]] | None:
    """The job with its hosts, and its failure rows (the columns of kb's ``job_failures``), in one statement on
    an asyncio connection; None when the job does not exist."""
    cur = await aconn.execute(Q.get_job_view, {"job_id": job_id})
    row = await cur.fetchone()
    return None if row is None else _job_view(row)


async def get_job_view_with(
    aconn: AsyncDictConn, job_id: int, value_sql: str, params: Mapping[str, Any]
) -> tuple[Job, list[Row], Any] | None:
    """``get_job_view`` and one more value computed in the same statement: ``value_sql`` is a scalar ``SELECT``
    with its own named ``params`` (the API folds its token check into this read: one round trip, not two).
    None when the job does not exist, whatever the value."""
    cur = await aconn.execute(_view_with(value_sql), {**params, "job_id": job_id})
    row = await cur.fetchone()
    if row is None:
        return None
    value = row.pop("view_with_value")
    return (*_job_view(row), value)


async def get_job_views_with(
    aconn: AsyncDictConn, keys: Sequence[tuple[int, str]], value_sql: str, value_param: str
) -> list[tuple[Job, list[Row], Any] | None]:
    """``get_job_view_with`` for a batch in one statement: ``keys`` are (job id, text) pairs, the text bound to
    ``value_sql``'s one named parameter ``value_param``. One result per key, in order; None where the job does
    not exist. (The API batches concurrent reads: one round trip for all of them.)"""
    cur = await aconn.execute(
        _views_with(value_sql, value_param), {"job_ids": [k[0] for k in keys], "args": [k[1] for k in keys]}
    )
    out: list[tuple[Job, list[Row], Any] | None] = [None] * len(keys)
    for row in await cur.fetchall():
        n, value = row.pop("view_n"), row.pop("view_with_value")
        out[n - 1] = (*_job_view(row), value)
    return out


@functools.cache
def _views_with(value_sql: str, value_param: str) -> str:
    # The single-job view and the value, each written for one id, bound to the columns of the batch.
    view = Q.get_job_view.rstrip().removesuffix(";")
    placeholder = f"%({value_param})s"
    if view.count("%(") != 1 or view.count("%(job_id)s") != 1 or value_sql.count("%(") != value_sql.count(placeholder):
        raise ValueError("get_job_view must take only %(job_id)s and value_sql only its one parameter")
    return (
        f"SELECT r.n AS view_n, ({value_sql.replace(placeholder, 'r.arg')}) AS view_with_value, v.*\n"
        "FROM unnest(%(job_ids)s::bigint[], %(args)s::text[]) WITH ORDINALITY AS r(job_id, arg, n)\n"
        f"JOIN LATERAL ({view.replace('%(job_id)s', 'r.job_id')}\n) v ON true"
    )


@functools.cache
def _view_with(value_sql: str) -> str:
    return f"SELECT ({value_sql}) AS view_with_value, v.*\nFROM ({Q.get_job_view.rstrip().removesuffix(';')}\n) v"


_HOST_COUNTS = tuple(HostCounts.model_fields)
_JOB_COLUMNS = tuple(name for name in Job.model_fields if name not in ("hosts", "failures"))


def _job_view(row: Row) -> tuple[Job, list[Row]]:
    # The Job validated once from the row (what Job.from_row builds through JobRow and JobHostRow: half the CPU).
    hosts = [
        {"host": h["host"], "status": h["status"], "counts": {k: h[k] for k in _HOST_COUNTS}}
        for h in row.pop("host_rows")
    ]
    failures: list[Row] = row.pop("failure_rows")
    for f in failures:  # JSON renders a double 1.0 as 1: keep the column's type
        if f["score"] is not None:
            f["score"] = float(f["score"])
    return Job.model_validate({**{k: row[k] for k in _JOB_COLUMNS}, "hosts": hosts}), failures


def now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now() AS now").fetchone()
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]


def touch(conn: Conn, job_id: int) -> None:
    conn.execute(Q.touch, {"job_id": job_id})
