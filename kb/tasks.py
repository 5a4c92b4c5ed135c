"""The analysis task: collect sends ``patchpilot.jobs.analyze`` after it commits a job's output.

A task you can grep for, not a hook the CLI fills at import time: any worker started on
``workers.celery_app`` (which includes this module by name) runs it. It reads the stored,
already-redacted stdout and failed events, matches them against the KB and commits the
failures. Idempotent (analyse_job replaces the job's rows), so a redelivery is harmless.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from psycopg import OperationalError
from psycopg.rows import class_row
from pydantic import BaseModel, ConfigDict

from core.db import commit, connect
from core.settings import get_settings
from core.sql import Queries
from kb.service import analyse_job

Q = Queries(__file__, "tasks.sql")
NAME = "patchpilot.jobs.analyze"


class JobOutput(BaseModel):
    """What collect stored for a job: its redacted stdout and failed AWX events (``ops.job_stdout``)."""

    model_config = ConfigDict(frozen=True)

    content: str
    failed_events: list[dict[str, Any]]


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
        with conn.cursor(row_factory=class_row(JobOutput)) as cur:
            row = cur.execute(Q.job_output, {"job_id": job_id}).fetchone()
        if row is None:
            return 0  # nothing collected (yet): collect sends this only after its commit
        stored = analyse_job(conn, job_id, row.content, row.failed_events or None, settings)
        commit(conn)
    return len(stored)
