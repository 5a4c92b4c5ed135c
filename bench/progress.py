"""The AWX request budget of live progress: requests per 60-s job, progress on, against the 1,000-job target.

``patchpilot bench`` wiring (for the lead): in the jobs section, add
``progress_budget(ours.awx_requests_per_job)`` to the pipeline figures, or call
:func:`bench_progress` for a run of its own. The pipeline's own count already includes
the progress reads, because ``workers.jobs.lifecycle.poll`` calls ``progress.refresh``.
"""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from workers.jobs.progress import budget


def progress_budget(awx_requests_per_job: float) -> dict[str, Any]:
    """The figure and its ratio to the target (<= 15 AWX requests per 60-s job)."""
    return budget(awx_requests_per_job)


def bench_progress(settings: Settings, *, jobs: int = 20, duration_s: float = 60.0) -> dict[str, Any]:
    """Run ``jobs`` AWX jobs of ``duration_s`` through the real pipeline (worker, emulator, live progress on)."""
    from bench.jobs import run

    figures = run(settings, jobs=jobs, duration_s=duration_s, baseline=False)
    return {"jobs": figures.jobs, "statuses": figures.statuses, **progress_budget(figures.awx_requests_per_job)}
