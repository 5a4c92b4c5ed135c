"""Thin Celery tasks: ids in, a connection, one lifecycle step, transient errors mapped to retries.

Retries are Celery's own: AwxUnavailable is in ``autoretry_for`` and the countdown is
``retry_backoff`` (1 s doubling) capped by ``retry_backoff_max`` with full ``retry_jitter``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from core.db import commit, rollback
from core.errors import AwxError, AwxUnavailable
from workers import runtime
from workers.celery_app import app
from workers.jobs import heartbeat, lifecycle

log = logging.getLogger(__name__)
RETRY: dict[str, Any] = {
    "max_retries": 30,
    "acks_late": True,
    "autoretry_for": (AwxUnavailable,),
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "retry_jitter": True,
}


@app.task(name="patchpilot.jobs.launch", bind=True, **RETRY)
def launch(self: Task, job_id: int) -> None:
    with runtime.pool().connection() as conn, lifecycle.job_lock(conn, job_id) as mine:
        if not mine:
            return  # another delivery of this message is launching it right now
        row = lifecycle.begin_launch(conn, job_id, runtime.settings())
        commit(conn)  # 'launching' is durable before AWX hears of the job
        if row is None:
            return
        try:
            awx_job = lifecycle.launch_on_awx(runtime.awx(), row, runtime.settings())
        except AwxUnavailable:
            rollback(conn)
            raise  # retried by Celery (autoretry_for), which then looks for the job first
        except AwxError as exc:
            lifecycle.fail(conn, job_id, f"AWX refused the launch: {exc.message}")
            commit(conn)
            return
        lifecycle.finish_launch(conn, job_id, awx_job, runtime.settings())
        commit(conn)


@app.task(name="patchpilot.jobs.poll", bind=True, **RETRY)
def poll(self: Task, job_id: int, expected: int) -> None:
    _step(self, lambda conn: lifecycle.poll(conn, runtime.awx(), job_id, expected, runtime.settings()), job_id)


@app.task(name="patchpilot.jobs.collect", bind=True, **RETRY)
def collect(self: Task, job_id: int) -> None:
    _step(self, lambda conn: lifecycle.collect(conn, runtime.awx(), job_id, runtime.settings()), job_id)


@app.task(name="patchpilot.jobs.cancel", bind=True, **RETRY)
def cancel(self: Task, job_id: int) -> None:
    _step(self, lambda conn: lifecycle.cancel_on_awx(conn, runtime.awx(), job_id), job_id)


@app.task(name="patchpilot.jobs.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    with runtime.pool().connection() as conn:
        result = lifecycle.sweep(conn, runtime.settings())
        commit(conn)
    heartbeat.stamp()
    return result


def _step(task: Task, fn: Any, job_id: int) -> None:
    with runtime.pool().connection() as conn:
        try:
            fn(conn)
            commit(conn)
        except AwxUnavailable:
            rollback(conn)
            raise
        except AwxError as exc:
            rollback(conn)
            lifecycle.fail(conn, job_id, f"AWX error while following the job: {exc.message}")
            commit(conn)
