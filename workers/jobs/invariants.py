"""Periodic invariant checks (beat): facts that must always hold in the database, flagged when they do not.

Today: every job row has its ``job.submit`` audit record (submission inserts, locks and audits in
one transaction, so a row without one is a phantom job). Read-only: it logs an error naming the
jobs and returns them; it never repairs anything on its own.
"""

from __future__ import annotations

import logging

from psycopg.rows import class_row

from core.sql import Queries
from workers import runtime
from workers.celery_app import app
from workers.jobs.models import UnauditedJob
from workers.jobs.repository import Conn

log = logging.getLogger(__name__)
Q = Queries(__file__, "invariants.sql")
LIMIT = 100


def jobs_without_submit_audit(conn: Conn, limit: int = LIMIT) -> list[UnauditedJob]:
    with conn.cursor(row_factory=class_row(UnauditedJob)) as cur:
        return cur.execute(Q.jobs_without_submit_audit, {"limit": limit}).fetchall()


def check(conn: Conn) -> dict[str, list[int]]:
    """Every invariant's violations (job ids), logged as errors when there are any."""
    phantom = [j.id for j in jobs_without_submit_audit(conn)]
    if phantom:
        log.error("invariant broken: jobs without a job.submit audit record: %s", phantom)
    return {"jobs_without_submit_audit": phantom}


@app.task(name="patchpilot.jobs.invariants", acks_late=True)  # type: ignore[untyped-decorator]  # Celery is untyped
def check_task() -> dict[str, list[int]]:
    with runtime.pool().connection() as conn:
        out = check(conn)
        conn.rollback()
        return out
