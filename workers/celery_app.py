"""The Celery application (Redis broker), configured from Settings.

Tasks are ``acks_late`` and idempotent because Redis redelivers unacknowledged
work; a worker process that dies mid-task has its message requeued
(``task_reject_on_worker_lost``). Beat runs the sweeper that dispatches
scheduled jobs from PostgreSQL — scheduled jobs are never Celery ETA tasks.
"""

from __future__ import annotations

from celery import Celery

from core.settings import get_settings

# Task modules by name. kb.tasks holds the analysis task (patchpilot.jobs.analyze) that collect sends
# after it commits; naming it here means a plain `celery -A workers.celery_app worker` runs it too.
# (A string, not an import: workers and kb stay independent packages.)
TASK_MODULES = ["workers.jobs.tasks", "workers.jobs.invariants", "workers.inventory.tasks", "kb.tasks"]
app = Celery("patchpilot", include=TASK_MODULES)


def queue_name() -> str:
    return str(app.conf.task_default_queue)


def configure(broker_url: str | None = None, queue: str | None = None) -> Celery:
    """(Re)configure the app; tests and the benchmark point the sender at their own broker and queue."""
    settings = get_settings()
    queue = queue or settings.jobs.queue
    app.conf.update(
        broker_url=broker_url or settings.redis.url or "redis://127.0.0.1:6379/0",
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=queue,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        # Poll countdowns stay <= awx.poll_max_s (30 s); the visibility timeout must exceed them.
        broker_transport_options={"visibility_timeout": max(300, int(settings.awx.poll_max_s * 10))},
        beat_schedule={
            "sweep": {"task": "patchpilot.jobs.sweep", "schedule": 5.0, "options": {"queue": queue}},
            "inventory-sync": {
                "task": "patchpilot.inventory.sync",
                "schedule": settings.inventory.sync_interval_s,
                "options": {"queue": queue},
            },
            "invariants": {"task": "patchpilot.jobs.invariants", "schedule": 300.0, "options": {"queue": queue}},
            # kb/tasks.py sample_index: the similarity index follows the KB's growth (migration 0014).
            "kb-index": {"task": "patchpilot.kb.sample_index", "schedule": 900.0, "options": {"queue": queue}},
        },
        timezone="UTC",
    )
    return app


configure()
