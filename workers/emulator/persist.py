"""The emulator's durable state: templates, jobs (with their rendered runs), workflow jobs and launch counts.

A real AWX does not forget a job when its API restarts. The emulator writes its state as
one JSON file (atomically: a temporary file renamed over the old one) after every change
and reads it back at start. Job timelines are wall-clock based, so a job that was running
when the emulator stopped carries on where its timeline says it is, and finishes.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workers.emulator.display import HostStats
from workers.emulator.jobs import Job, WorkflowJob
from workers.emulator.render import Rendered

STATE_FILE = "state.json"
VERSION = 1


def _job(j: Job) -> dict[str, Any]:
    r = j.rendered
    return {
        "id": j.id,
        "template": j.template["id"],
        "limit": j.limit,
        "extra_vars": j.extra_vars,
        "launch_type": j.launch_type,
        "created": j.created,
        "duration": j.duration,
        "lag": j.lag,
        "cancel_delay": j.cancel_delay,
        "event_id_base": j.event_id_base,
        "summary_id_base": j.summary_id_base,
        "ignored_fields": j.ignored_fields,
        "cancel_requested": j.cancel_requested,
        "canceled_at": j.canceled_at,
        "ancestor": j.ancestor,
        "blocked_by": j.blocked_by.id if j.blocked_by else None,
        "error": j.error,
        "timeout": j.timeout,
        "slice_number": j.slice_number,
        "slice_count": j.slice_count,
        "workflow": j.workflow,
        "rendered": {
            "events": r.events,
            "stats": {h: asdict(s) for h, s in r.stats.items()},
            "reached_stats": r.reached_stats,
            "hung": r.hung,
            "failed": r.failed,
            "lines": r.lines,
        },
    }


def save(world: Any, state_dir: Path) -> None:
    data = {
        "version": VERSION,
        "created": world.created,
        "templates": list(world.templates.values()),
        "jobs": [_job(j) for j in world.jobs.values()],
        "workflow_jobs": [
            {
                "id": f.id,
                "template": f.template["id"],
                "created": f.created,
                "slices": [j.id for j in f.slices],
                "node_id_base": f.node_id_base,
                "cancel_requested": f.cancel_requested,
            }
            for f in world.workflow_jobs.values()
        ],
        "launches": dict(world.launches),
        "disabled": sorted(world.disabled),
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{STATE_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, state_dir / STATE_FILE)


def restore(world: Any, state_dir: Path) -> bool:
    """Load the saved state into ``world``; False when there is none (a fresh emulator)."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return False
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != VERSION:
        return False
    with world.lock:
        world.created = data["created"]
        world.templates = {int(t["id"]): t for t in data["templates"]}
        jobs: dict[int, Job] = {}
        for raw in data["jobs"]:
            r = raw.pop("rendered")
            template = world.templates[raw.pop("template")]
            blocked = raw.pop("blocked_by")
            rendered = Rendered(
                events=r["events"],
                stats={h: HostStats(**s) for h, s in r["stats"].items()},
                reached_stats=r["reached_stats"],
                hung=r["hung"],
                failed=r["failed"],
                lines=r["lines"],
            )
            job = Job(template=template, rendered=rendered, **raw)
            job.blocked_by = jobs.get(blocked) if blocked else None
            jobs[job.id] = job
        world.jobs = jobs
        world.workflow_jobs = {
            f["id"]: WorkflowJob(
                id=f["id"],
                template=world.templates[f["template"]],
                created=f["created"],
                slices=[jobs[i] for i in f["slices"]],
                node_id_base=f["node_id_base"],
                cancel_requested=f["cancel_requested"],
            )
            for f in data["workflow_jobs"]
        }
        world.launches = Counter(data["launches"])
        world.disabled = set(data.get("disabled", world.disabled))
    return True
