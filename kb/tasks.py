"""The analysis task: collect sends ``patchpilot.jobs.analyze`` after it commits a job's output.

A task you can grep for, not a hook the CLI fills at import time: any worker started on
``workers.celery_app`` (which includes this module by name) runs it. It reads the stored,
already-redacted stdout and failed events, matches them against the KB and commits the
failures. Idempotent (analyse_job replaces the job's rows), so a redelivery is harmless.
"""

from __future__ import annotations

from celery import shared_task
from psycopg import OperationalError

from core.db import commit, connect
from core.settings import get_settings
from core.sql import Queries
from kb.service import analyse_job

Q = Queries(__file__, "tasks.sql")
NAME = "patchpilot.jobs.analyze"


@shared_task(
    name=NAME,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=10,
)
def analyze(job_id: int) -> int:
    """Analyse one job's stored output; returns the number of failures stored."""
    settings = get_settings()
    if not settings.db.url:
        raise RuntimeError("PATCHPILOT_DB__URL is not set; start the worker with 'patchpilot worker'")
    with connect(settings.db.url) as conn:
        row = conn.execute(Q.job_output, {"job_id": job_id}).fetchone()
        if row is None:
            return 0  # nothing collected (yet): collect sends this only after its commit
        stored = analyse_job(conn, job_id, str(row["content"]), list(row["failed_events"]) or None, settings)
        commit(conn)
    return len(stored)
