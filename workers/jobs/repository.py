"""SQL for jobs; the only module that runs it. Takes a connection, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from core.db import DictConn
from core.enums import JobStatus
from core.sql import Queries
from workers.jobs.models import Job

Q = Queries(__file__)
Conn = DictConn


def insert_job(conn: Conn, **fields: Any) -> dict[str, Any]:
    fields = {**fields, "intent": Jsonb(fields["intent"])}
    row = conn.execute(Q.insert_job, fields).fetchone()
    assert row is not None
    return row


def lock_hosts(conn: Conn, job_id: int, hosts: list[str]) -> set[str]:
    """Take the hosts for ``job_id``; return the ones taken (others are held by active jobs)."""
    return {r["host"] for r in conn.execute(Q.lock_hosts, {"job_id": job_id, "hosts": hosts}).fetchall()}


def lock_holders(conn: Conn, job_id: int, hosts: list[str]) -> list[dict[str, Any]]:
    return conn.execute(Q.lock_holders, {"job_id": job_id, "hosts": hosts}).fetchall()


def release_hosts(conn: Conn, job_id: int) -> None:
    conn.execute(Q.release_hosts, {"job_id": job_id})


def insert_pending_hosts(conn: Conn, job_id: int, hosts: list[str]) -> None:
    conn.execute(Q.insert_pending_hosts, {"job_id": job_id, "hosts": hosts})


def get(conn: Conn, job_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    return conn.execute(Q.get_job_for_update if for_update else Q.get_job, {"job_id": job_id}).fetchone()


def set_status(conn: Conn, job_id: int, status: JobStatus, error: str | None = None) -> dict[str, Any]:
    row = conn.execute(Q.set_status, {"job_id": job_id, "status": status.value, "error": error}).fetchone()
    assert row is not None
    return row


def mark_launching(conn: Conn, job_id: int) -> dict[str, Any]:
    row = conn.execute(Q.mark_launching, {"job_id": job_id}).fetchone()
    assert row is not None
    return row


def mark_running(
    conn: Conn, job_id: int, awx_job_id: int, awx_status: str, awx_job_type: str = "job"
) -> dict[str, Any]:
    params = {"job_id": job_id, "awx_job_id": awx_job_id, "awx_status": awx_status, "awx_job_type": awx_job_type}
    row = conn.execute(Q.mark_running, params)
    result = row.fetchone()
    assert result is not None
    return result


def advance_poll(conn: Conn, job_id: int, expected: int, awx_status: str) -> dict[str, Any] | None:
    return conn.execute(Q.advance_poll, {"job_id": job_id, "expected": expected, "awx_status": awx_status}).fetchone()


def request_cancel(conn: Conn, job_id: int) -> dict[str, Any]:
    row = conn.execute(Q.request_cancel, {"job_id": job_id}).fetchone()
    assert row is not None
    return row


def approve(conn: Conn, job_id: int, approver: str) -> dict[str, Any]:
    row = conn.execute(Q.approve, {"job_id": job_id, "approver": approver}).fetchone()
    assert row is not None
    return row


def job_hosts(conn: Conn, job_id: int) -> list[dict[str, Any]]:
    return conn.execute(Q.job_hosts, {"job_id": job_id}).fetchall()


def upsert_job_host(conn: Conn, job_id: int, host: str, status: str, counts: dict[str, int]) -> None:
    conn.execute(Q.upsert_job_host, {"job_id": job_id, "host": host, "status": status, **counts})


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


def get_output(conn: Conn, job_id: int) -> dict[str, Any] | None:
    """The stored stdout and failed events of a job (what the analysis task reads)."""
    return conn.execute(Q.get_output, {"job_id": job_id}).fetchone()


def note_error(conn: Conn, job_id: int, error: str) -> None:
    """Record why a job is being ended before the ending itself (kept by collect)."""
    conn.execute(Q.note_error, {"job_id": job_id, "error": error})


def get_stdout(conn: Conn, job_id: int) -> dict[str, Any] | None:
    return conn.execute(Q.get_stdout, {"job_id": job_id}).fetchone()


def list_jobs(conn: Conn, *, limit: int, offset: int, **filters: Any) -> tuple[list[dict[str, Any]], int]:
    params = {"status": None, "host": None, "requested_by": None, **filters}
    rows = conn.execute(Q.list_jobs, {**params, "limit": limit, "offset": offset}).fetchall()
    total = conn.execute(Q.count_jobs, params).fetchone()
    return rows, int(total["n"]) if total else 0


def last_job(conn: Conn, requested_by: str) -> dict[str, Any] | None:
    return conn.execute(Q.last_job, {"requested_by": requested_by}).fetchone()


def due_scheduled(conn: Conn, limit: int = 100) -> list[dict[str, Any]]:
    return conn.execute(Q.due_scheduled, {"limit": limit}).fetchall()


def stale_jobs(conn: Conn, *, queued_after_s: float, running_after_s: float, limit: int = 200) -> list[dict[str, Any]]:
    return conn.execute(
        Q.stale_jobs, {"queued_after_s": queued_after_s, "running_after_s": running_after_s, "limit": limit}
    ).fetchall()


def expired_approvals(conn: Conn, limit: int = 100) -> list[int]:
    return [r["id"] for r in conn.execute(Q.expired_approvals, {"limit": limit}).fetchall()]


def to_job(conn: Conn, row: dict[str, Any]) -> Job:
    return Job.from_row(row, job_hosts(conn, row["id"]))


def now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now() AS now").fetchone()
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]


def touch(conn: Conn, job_id: int) -> None:
    conn.execute(Q.touch, {"job_id": job_id})
