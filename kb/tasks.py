"""The analysis task: collect sends ``patchpilot.jobs.analyze`` after it commits a job's output.

A task you can grep for, not a hook the CLI fills at import time: any worker started on
``workers.celery_app`` (which includes this module by name) runs it. It reads the stored,
already-redacted stdout and failed events, matches them against the KB and commits the
failures with the job's ``analysis`` state ``done``. Idempotent (analyse_job replaces the job's rows), so a
redelivery is harmless. When it gives up (an error, or the database still down after its retries) the
job's state becomes ``failed``, so no reader waits for it forever; ``POST /kb/jobs/{id}/reanalyse`` runs
it again.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from psycopg import OperationalError
from psycopg.rows import class_row
from pydantic import BaseModel, ConfigDict

from core.db import commit, connect
from core.enums import AnalysisState
from core.settings import get_settings
from core.sql import Queries
from kb.service import analyse_job
from kb.store import repository as repo

Q = Queries(__file__, "tasks.sql")
NAME = "patchpilot.jobs.analyze"


class JobOutput(BaseModel):
    """What collect stored for a job: its redacted stdout and failed AWX events (``ops.job_stdout``)."""

    model_config = ConfigDict(frozen=True)

    content: str
    failed_events: list[dict[str, Any]]


class AnalyzeTask(Task):  # type: ignore[misc]
    """Marks the job's analysis ``failed`` when the task ends in failure (after its retries)."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        job_id = args[0] if args else kwargs.get("job_id")
        mark_failed(int(job_id))


def mark_failed(job_id: int) -> bool:
    """Record that the job's analysis gave up; False when the database cannot be reached either."""
    url = get_settings().db.url
    if not url:
        return False
    try:
        with connect(url) as conn:
            repo.set_analysis(conn, job_id, AnalysisState.failed.value)
            commit(conn)
    except OperationalError:
        return False  # the sweeper re-sends a pending analysis; nothing else to do here
    return True


@shared_task(
    base=AnalyzeTask,
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


INDEX_NAME = "patchpilot.kb.sample_index"


@shared_task(name=INDEX_NAME, acks_late=True, ignore_result=True)
def sample_index() -> int | None:
    """Rebuild the KB's similarity index when its samples have doubled or halved since it was built (curators add
    entries one by one, so imports alone do not see the growth); the number of lists built, or None (kept)."""
    settings = get_settings()
    if not settings.db.url:
        return None
    with connect(settings.db.url) as conn:
        built = repo.ensure_sample_index(conn)
        commit(conn)
    return int(built["lists"]) if built else None
