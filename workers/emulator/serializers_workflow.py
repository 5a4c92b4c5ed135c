"""AWX-shaped JSON for a sliced template's workflow job and its nodes (one slice job per node)."""

from __future__ import annotations

from typing import Any

from workers.emulator.jobs import Job, WorkflowJob
from workers.emulator.serializers import ts


def workflow_job(f: WorkflowJob, p: str, world: Any, *, detail: bool) -> dict[str, Any]:
    """A sliced template's workflow job (WorkflowJobSerializer; ``is_sliced_job`` true)."""
    now = world.now()
    t = f.template
    status = f.status(now)
    starts = [j.started_at for j in f.slices if j.started_at is not None and j.started_at <= now]
    started = min(starts) if starts else None
    end = f.end if status not in ("new", "pending", "waiting", "running") else None
    body: dict[str, Any] = {
        "id": f.id,
        "type": "workflow_job",
        "url": f"{p}workflow_jobs/{f.id}/",
        "related": {
            "created_by": f"{p}users/1/",
            "unified_job_template": f"{p}job_templates/{t['id']}/",
            "job_template": f"{p}job_templates/{t['id']}/",
            "workflow_nodes": f"{p}workflow_jobs/{f.id}/workflow_nodes/",
            "labels": f"{p}workflow_jobs/{f.id}/labels/",
            "activity_stream": f"{p}workflow_jobs/{f.id}/activity_stream/",
            "relaunch": f"{p}workflow_jobs/{f.id}/relaunch/",
            "cancel": f"{p}workflow_jobs/{f.id}/cancel/",
        },
        "summary_fields": {
            "organization": {"id": t["organization"], "name": world.organizations[t["organization"]]["name"]},
            "inventory": {"id": t["inventory"], "name": world.inventory_obj["name"]},
            "job_template": {"id": t["id"], "name": t["name"], "description": t["description"]},
            "unified_job_template": {
                "id": t["id"],
                "name": t["name"],
                "description": t["description"],
                "unified_job_type": "job",
            },
            "created_by": {"id": 1, "username": "admin", "first_name": "", "last_name": ""},
            "user_capabilities": {"delete": True, "start": True},
            "labels": {"count": 0, "results": []},
        },
        "created": ts(f.created),
        "modified": ts(f.created),
        "name": t["name"],
        "description": t["description"],
        "unified_job_template": t["id"],
        "launch_type": "manual",
        "status": status,
        "failed": status in ("failed", "error", "canceled"),
        "started": ts(started),
        "finished": ts(end),
        "canceled_on": ts(f.cancel_requested),
        "elapsed": round(max(0.0, (end or now) - started), 3) if started is not None else 0.0,
        "job_args": "",
        "job_cwd": "",
        "job_env": {},
        "job_explanation": "",
        "result_traceback": "",
        "launched_by": {"id": 1, "name": "admin", "type": "user", "url": f"{p}users/1/"},
        "work_unit_id": None,
        "workflow_job_template": None,
        "extra_vars": f.slices[0].extra_vars_text if f.slices else "{}",
        "allow_simultaneous": bool(t.get("allow_simultaneous")),
        "job_template": t["id"],
        "is_sliced_job": True,
        "inventory": t["inventory"],
        "limit": f.slices[0].limit if f.slices else "",
        "scm_branch": None,
        "webhook_service": "",
        "webhook_credential": None,
        "webhook_guid": "",
        "skip_tags": None,
        "job_tags": None,
    }
    return body


def workflow_node(f: WorkflowJob, index: int, j: Job, p: str, world: Any) -> dict[str, Any]:
    """One node of a sliced workflow job: the slice job it ran (WorkflowJobNodeSerializer)."""
    nid = f.node_id_base + index
    t = f.template
    return {
        "id": nid,
        "type": "workflow_job_node",
        "url": f"{p}workflow_job_nodes/{nid}/",
        "related": {
            "workflow_job": f"{p}workflow_jobs/{f.id}/",
            "unified_job_template": f"{p}job_templates/{t['id']}/",
            "job": f"{p}jobs/{j.id}/",
        },
        "summary_fields": {
            "job": {
                "id": j.id,
                "name": t["name"],
                "description": t["description"],
                "status": j.status(world.now()),
                "failed": j.status(world.now()) in ("failed", "error", "canceled"),
                "type": "job",
            },
            "workflow_job": {"id": f.id, "name": t["name"], "description": t["description"]},
            "unified_job_template": {
                "id": t["id"],
                "name": t["name"],
                "description": t["description"],
                "unified_job_type": "job",
            },
        },
        "created": ts(f.created),
        "modified": ts(f.created),
        "extra_data": {},
        "inventory": None,
        "scm_branch": None,
        "job_type": None,
        "job_tags": None,
        "skip_tags": None,
        "limit": None,
        "diff_mode": None,
        "verbosity": None,
        "execution_environment": None,
        "forks": None,
        "job_slice_count": None,
        "timeout": None,
        "job": j.id,
        "workflow_job": f.id,
        "unified_job_template": t["id"],
        "success_nodes": [],
        "failure_nodes": [],
        "always_nodes": [],
        "all_parents_must_converge": False,
        "do_not_run": False,
        "identifier": f"slice-{index}",
    }
