"""Sending the jobs' Celery messages (only ever after the commit that made them necessary)."""

from __future__ import annotations

from typing import Any

from core.db import on_commit
from workers.celery_app import app, queue_name

LAUNCH = "patchpilot.jobs.launch"
POLL = "patchpilot.jobs.poll"
COLLECT = "patchpilot.jobs.collect"
CANCEL = "patchpilot.jobs.cancel"
ANALYZE = "patchpilot.jobs.analyze"


def send_launch(job_id: int) -> None:
    app.send_task(LAUNCH, args=[job_id], queue=queue_name())


def send_poll(job_id: int, expected: int, countdown: float = 0.0) -> None:
    app.send_task(POLL, args=[job_id, expected], countdown=countdown, queue=queue_name())


def send_collect(job_id: int) -> None:
    app.send_task(COLLECT, args=[job_id], queue=queue_name())


def send_analyze(job_id: int) -> None:
    """Analyse the job's stored output (kb.tasks); sent only after collect has committed it."""
    app.send_task(ANALYZE, args=[job_id], queue=queue_name())


def send_cancel(job_id: int) -> None:
    app.send_task(CANCEL, args=[job_id], queue=queue_name())


def launch_after_commit(conn: Any, job_id: int) -> None:
    on_commit(conn, lambda: send_launch(job_id))


def cancel_after_commit(conn: Any, job_id: int) -> None:
    on_commit(conn, lambda: send_cancel(job_id))
