"""What a plain worker of ``workers.celery_app`` registers: the pipeline and the analysis task, never bench code."""

from __future__ import annotations

import inspect

from workers.celery_app import app
from workers.jobs import dispatch, lifecycle
from workers.jobs import tasks as job_tasks


def test_a_plain_worker_has_the_analysis_task_and_no_bench_task() -> None:
    app.loader.import_default_modules()  # what `celery -A workers.celery_app worker` does at start
    names = set(app.tasks)
    assert {dispatch.LAUNCH, dispatch.POLL, dispatch.COLLECT, dispatch.CANCEL, dispatch.ANALYZE} <= names
    assert not any(n.startswith("patchpilot.bench.") for n in names)


def test_beat_keeps_the_kb_similarity_index_in_step_with_the_kb() -> None:
    from kb.tasks import INDEX_NAME

    app.loader.import_default_modules()
    assert INDEX_NAME in set(app.tasks)
    beat = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert beat[INDEX_NAME] == 900.0


def test_analysis_is_sent_by_collect_not_called_through_a_registry() -> None:
    assert not hasattr(lifecycle, "register_collect_hook")
    assert "dispatch.send_analyze" in inspect.getsource(lifecycle.collect)


def test_retries_use_celerys_backoff_options() -> None:
    for task in (job_tasks.launch, job_tasks.poll, job_tasks.collect, job_tasks.cancel):
        assert task.retry_backoff is True and task.retry_jitter is True and task.retry_backoff_max == 30
        assert task.autoretry_for and task.max_retries == 30
