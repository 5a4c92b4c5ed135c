"""``patchpilot bench``: every benchmark, with its figures, ratios and targets, printed as JSON sections."""

from __future__ import annotations

import json
from typing import Any

from cli import services
from core.settings import Settings


def _print(title: str, figures: dict[str, Any]) -> None:
    print(f"\n== {title} ==", flush=True)
    print(json.dumps(figures, indent=2, default=str), flush=True)


def run_benchmarks(settings: Settings, *, only: set[str], jobs: int) -> None:
    want = only or {"agent", "redact", "analyser", "jobs", "api"}
    if "agent" in want:
        from bench.agent import bench_turn_latency

        _print("agent: offline turn latency and model calls per turn", bench_turn_latency())
    if "redact" in want:
        from bench.redact import bench_redact

        _print("redaction: 10 MB of backtracking-prone input, seconds per shape (target <= 10 s)", bench_redact())
    if want & {"analyser", "jobs", "api"}:
        settings = services.ensure_db(settings)
    if "api" in want:
        from bench.api import bench_api

        _print(
            "API: GET /api/v1/jobs/{id}, 16 clients, real app vs bare FastAPI (ratio target >= 0.5)",
            bench_api(settings),
        )
    if "analyser" in want:
        from bench import kb as kb_bench

        _print("analyser: 100 MB stdout (10,000 hosts) vs grep -c", kb_bench.bench_analyse())
        _print("matching: 10,000 failures vs KBs of 100 and 10,000 entries", kb_bench.bench_matching())
        _print(
            "similarity: 100,000 entries, IVFFlat vs exact scan",
            kb_bench.bench_similarity(settings.db.url or "", 100_000),
        )
    if "jobs" in want:
        from bench.jobs import bench_jobs

        settings, redis_server = services.ensure_redis(settings)
        try:
            _print(f"job pipeline: {jobs} AWX jobs, one worker at concurrency 4", bench_jobs(settings, jobs=jobs))
        finally:
            if redis_server:
                redis_server.stop()
