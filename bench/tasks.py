"""The benchmark's baseline: a task that launches and then *sleeps inside its slot* while polling.

This is the design DESIGN.md rules out; ``patchpilot bench`` runs it beside the
real pipeline to show the ratio. Never used outside the benchmark: only the benchmark's
worker loads this module (``celery worker --include bench.tasks``). Status changes go
through the jobs repository like the real pipeline's.
"""

from __future__ import annotations

import time

from core.db import commit
from core.enums import JobStatus
from workers import runtime
from workers.celery_app import app
from workers.jobs import lifecycle
from workers.jobs import repository as repo


@app.task(name="patchpilot.bench.blocking_job", acks_late=True)
def blocking_job(job_id: int) -> None:
    settings = runtime.settings()
    client = runtime.awx()
    with runtime.pool().connection() as conn:
        row = lifecycle.begin_launch(conn, job_id, settings)
        commit(conn)
        if row is None:
            return
        awx_job = lifecycle.launch_on_awx(client, row, settings)
        lifecycle.finish_launch(conn, job_id, awx_job, settings)
        conn.execute("UPDATE ops.jobs SET poll_count = -1 WHERE id = %s", (job_id,))  # no poll chain
        commit(conn)
        delay = settings.awx.poll_initial_s
        while not (current := client.job(awx_job.id)).terminal or not current.event_processing_finished:
            time.sleep(delay)  # the anti-pattern under test: the slot is held while AWX works
            delay = min(delay * 2, settings.awx.poll_max_s)
        repo.set_status(conn, job_id, JobStatus.collecting)
        lifecycle.collect(conn, client, job_id, settings)
        commit(conn)
