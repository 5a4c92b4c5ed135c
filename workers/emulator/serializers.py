"""AWX-shaped JSON bodies for the emulator's objects (contract 3.3, 5.2, 7.2, 9, 10)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from workers.emulator.display import truncate_stdout
from workers.emulator.jobs import Job

ASK_FIELDS = [
    "scm_branch",
    "variables",
    "tags",
    "diff_mode",
    "skip_tags",
    "job_type",
    "limit",
    "verbosity",
    "inventory",
    "credential",
    "execution_environment",
    "labels",
    "forks",
    "job_slice_count",
    "timeout",
    "instance_groups",
]


def ts(epoch: float | None) -> str | None:
    """
    >>> ts(0.5)
    '1970-01-01T00:00:00.500000Z'
    """
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def job_template(t: dict[str, Any], p: str, world: Any) -> dict[str, Any]:
    org = world.organizations[t["organization"]]
    inv = world.inventory_obj
    proj = world.projects[t["project"]]
    recent = [
        {
            "id": j.id,
            "status": j.status(world.now()),
            "finished": ts(j.end),
            "canceled_on": ts(j.cancel_requested),
            "type": "job",
        }
        for j in sorted(world.jobs.values(), key=lambda j: -j.id)
        if j.template["id"] == t["id"]
    ][:10]
    body: dict[str, Any] = {
        "id": t["id"],
        "type": "job_template",
        "url": f"{p}job_templates/{t['id']}/",
        "related": {
            "launch": f"{p}job_templates/{t['id']}/launch/",
            "jobs": f"{p}job_templates/{t['id']}/jobs/",
            "inventory": f"{p}inventories/{t['inventory']}/",
            "project": f"{p}projects/{t['project']}/",
            "organization": f"{p}organizations/{t['organization']}/",
            "credentials": f"{p}job_templates/{t['id']}/credentials/",
            "survey_spec": f"{p}job_templates/{t['id']}/survey_spec/",
        },
        "summary_fields": {
            "organization": {"id": org["id"], "name": org["name"], "description": ""},
            "credentials": [
                {"id": c, "name": world.credentials[c]["name"], "kind": "ssh", "cloud": False}
                for c in t["credentials"]
                if c in world.credentials
            ],
            "inventory": {"id": inv["id"], "name": inv["name"], "total_hosts": len(world.inventory.hosts)},
            "project": {"id": proj["id"], "name": proj["name"], "status": "successful"},
            "recent_jobs": recent,
            "user_capabilities": {"edit": True, "delete": True, "start": True, "schedule": True, "copy": True},
        },
        "created": ts(t["created"]),
        "modified": ts(t["modified"]),
        "name": t["name"],
        "description": t["description"],
        "job_type": "run",
        "inventory": t["inventory"],
        "project": t["project"],
        "playbook": t["playbook"],
        "scm_branch": "",
        "forks": 0,
        "limit": t["limit"],
        "verbosity": 0,
        "extra_vars": t["extra_vars"],
        "job_tags": "",
        "force_handlers": False,
        "skip_tags": "",
        "start_at_task": "",
        "timeout": t.get("timeout", 0),
        "use_fact_cache": False,
        "organization": t["organization"],
        "last_job_run": recent[0]["finished"] if recent else None,
        "last_job_failed": bool(recent and recent[0]["status"] in ("failed", "error")),
        "next_job_run": None,
        "status": recent[0]["status"] if recent else "never updated",
        "execution_environment": None,
        "host_config_key": "",
    }
    for name in ASK_FIELDS:
        body[f"ask_{name}_on_launch"] = bool(t.get(f"ask_{name}_on_launch", False))
    body.update(
        {
            "survey_enabled": bool(t.get("survey_enabled")),
            "become_enabled": False,
            "diff_mode": False,
            "allow_simultaneous": bool(t.get("allow_simultaneous")),
            "custom_virtualenv": None,
            "job_slice_count": int(t.get("job_slice_count") or 1),
            "webhook_service": "",
            "webhook_credential": None,
            "prevent_instance_group_fallback": False,
        }
    )
    return body


def launch_prompts(t: dict[str, Any], world: Any) -> dict[str, Any]:
    from workers.emulator.launching import variables_needed

    inv = world.inventory_obj
    body: dict[str, Any] = {"can_start_without_user_input": False, "passwords_needed_to_start": []}
    for name in ASK_FIELDS:
        body[f"ask_{name}_on_launch"] = bool(t.get(f"ask_{name}_on_launch", False))
    body["can_start_without_user_input"] = not any(v for k, v in body.items() if k.startswith("ask_"))
    body.update(
        {
            "survey_enabled": bool(t.get("survey_enabled")),
            "variables_needed_to_start": variables_needed(t),
            "credential_needed_to_start": False,
            "inventory_needed_to_start": False,
            "job_template_data": {"name": t["name"], "id": t["id"], "description": t["description"]},
            "defaults": {
                "extra_vars": t["extra_vars"],
                "inventory": {"name": inv["name"], "id": inv["id"]},
                "limit": t["limit"],
                "scm_branch": "",
                "job_tags": "",
                "skip_tags": "",
                "job_type": "run",
                "verbosity": 0,
                "diff_mode": False,
                "credentials": [
                    {"id": c, "name": world.credentials[c]["name"], "credential_type": 1, "passwords_needed": []}
                    for c in t["credentials"]
                    if c in world.credentials
                ],
                "execution_environment": {"id": 1, "name": "Default execution environment"},
                "forks": 0,
                "job_slice_count": int(t.get("job_slice_count") or 1),
                "timeout": t.get("timeout", 0),
                "instance_groups": [],
            },
        }
    )
    return body


def job(j: Job, p: str, world: Any, *, detail: bool, list_view: bool = False) -> dict[str, Any]:
    now = world.now()
    timing = j.timing(now)
    t = j.template
    body: dict[str, Any] = {
        "id": j.id,
        "type": "job",
        "url": f"{p}jobs/{j.id}/",
        "related": {
            "created_by": f"{p}users/1/",
            "labels": f"{p}jobs/{j.id}/labels/",
            "inventory": f"{p}inventories/{t['inventory']}/",
            "project": f"{p}projects/{t['project']}/",
            "organization": f"{p}organizations/{t['organization']}/",
            "credentials": f"{p}jobs/{j.id}/credentials/",
            "unified_job_template": f"{p}job_templates/{t['id']}/",
            "stdout": f"{p}jobs/{j.id}/stdout/",
            "job_events": f"{p}jobs/{j.id}/job_events/",
            "job_host_summaries": f"{p}jobs/{j.id}/job_host_summaries/",
            "activity_stream": f"{p}jobs/{j.id}/activity_stream/",
            "notifications": f"{p}jobs/{j.id}/notifications/",
            "job_template": f"{p}job_templates/{t['id']}/",
            "cancel": f"{p}jobs/{j.id}/cancel/",
            "relaunch": f"{p}jobs/{j.id}/relaunch/",
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
        "created": ts(j.created),
        "modified": ts(j.created),
        "name": t["name"],
        "description": t["description"],
        "job_type": "run",
        "inventory": t["inventory"],
        "project": t["project"],
        "playbook": t["playbook"],
        "scm_branch": "",
        "forks": 0,
        "limit": j.limit,
        "verbosity": 0,
        "extra_vars": j.extra_vars_text,
        "job_tags": "",
        "force_handlers": False,
        "skip_tags": "",
        "start_at_task": "",
        "timeout": int(j.timeout),
        "use_fact_cache": False,
        "organization": t["organization"],
        "unified_job_template": t["id"],
        "launch_type": j.launch_type,
        "status": timing["status"],
        "execution_environment": 1,
        "failed": timing["failed"],
        "started": ts(timing["started"]),
        "finished": ts(timing["finished"]),
        "canceled_on": ts(timing["canceled_on"]),
        "elapsed": timing["elapsed"],
        "job_args": ""
        if list_view
        else json.dumps(["ansible-playbook", "-u", "patch", "-i", "inventory", t["playbook"]]),
        "job_cwd": "/runner/project",
        "job_env": {},
        "job_explanation": timing["job_explanation"],
        "execution_node": "awx-emulator" if timing["started"] else "",
        "controller_node": "awx-emulator" if timing["started"] else "",
        "result_traceback": "",
        "event_processing_finished": timing["event_processing_finished"],
        "launched_by": {"id": 1, "name": "admin", "type": "user", "url": f"{p}users/1/"},
        "work_unit_id": f"emu{j.id}" if timing["started"] else None,
        "job_template": t["id"],
        "passwords_needed_to_start": [],
        "allow_simultaneous": bool(t.get("allow_simultaneous")),
        "artifacts": {},
        "scm_revision": "0c7a2b1e6c4f2d9a8b7e5f3a1c0d9e8f7a6b5c4d",
        "instance_group": 1,
        "diff_mode": False,
        "job_slice_number": j.slice_number,
        "job_slice_count": j.slice_count,
        "webhook_service": "",
        "webhook_credential": None,
        "webhook_guid": "",
    }
    if list_view:
        for key in ("job_args", "job_cwd", "job_env", "result_traceback", "event_processing_finished"):
            body.pop(key)
    if detail:
        body["host_status_counts"] = timing["host_status_counts"]
        starts = [e for e in j.saved_events(now) if e["event"] in ("playbook_on_play_start", "playbook_on_task_start")]
        body["playbook_counts"] = {
            "play_count": sum(e["event"] == "playbook_on_play_start" for e in starts),
            "task_count": sum(e["event"] == "playbook_on_task_start" for e in starts),
        }
        body["custom_virtualenv"] = None
        if j.ancestor:
            body["summary_fields"]["ancestor_job"] = {"id": j.ancestor, "name": t["name"], "type": "job"}
    return body


def job_event(j: Job, ev: dict[str, Any], p: str, world: Any, *, truncate: bool) -> dict[str, Any]:
    eid = j.event_id_base + ev["counter"]
    host = world.host_ids.get(ev["host_name"]) if ev["host_name"] else None
    related: dict[str, Any] = {"job": f"{p}jobs/{j.id}/", "children": f"{p}job_events/{eid}/children/"}
    summary: dict[str, Any] = {
        "job": {
            "id": j.id,
            "name": j.template["name"],
            "description": j.template["description"],
            "status": j.status(world.now()),
            "failed": j.status(world.now()) in ("failed", "error", "canceled"),
            "elapsed": j.timing(world.now())["elapsed"],
            "type": "job",
            "job_template_id": j.template["id"],
            "job_template_name": j.template["name"],
        },
        "role": {},
    }
    if host is not None:
        related["host"] = f"{p}hosts/{host}/"
        summary["host"] = {"id": host, "name": ev["host_name"], "description": ""}
    stdout = ev["stdout"]
    if truncate and not ev["event"].startswith("playbook_on_"):
        stdout = truncate_stdout(stdout)
    at = j.emit_times[ev["counter"] - 1]
    return {
        "id": eid,
        "type": "job_event",
        "url": f"{p}job_events/{eid}/",
        "related": related,
        "summary_fields": summary,
        "created": ts(at),
        "modified": ts(at + j.lag),
        "job": j.id,
        "event": ev["event"],
        "counter": ev["counter"],
        "event_display": ev["event_display"],
        "event_data": ev["event_data"],
        "event_level": ev["event_level"],
        "failed": ev["failed"],
        "changed": ev["changed"],
        "uuid": ev["uuid"],
        "parent_uuid": ev["parent_uuid"],
        "host": host,
        "host_name": ev["host_name"],
        "playbook": ev["playbook"],
        "play": ev["play"],
        "task": ev["task"],
        "role": ev["role"],
        "stdout": stdout,
        "start_line": ev["start_line"],
        "end_line": ev["end_line"],
        "verbosity": ev["verbosity"],
    }


def host_summary(j: Job, index: int, host_name: str, s: Any, p: str, world: Any) -> dict[str, Any]:
    sid = j.summary_id_base + index
    host = world.host_ids.get(host_name)
    now = world.now()
    return {
        "id": sid,
        "type": "job_host_summary",
        "url": f"{p}job_host_summaries/{sid}/",
        "related": {"job": f"{p}jobs/{j.id}/", **({"host": f"{p}hosts/{host}/"} if host else {})},
        "summary_fields": {
            "host": {"id": host, "name": host_name, "description": ""},
            "job": {
                "id": j.id,
                "name": j.template["name"],
                "description": j.template["description"],
                "status": j.status(now),
                "failed": j.status(now) in ("failed", "error", "canceled"),
                "elapsed": j.timing(now)["elapsed"],
                "type": "job",
                "canceled_on": ts(j.cancel_requested),
                "job_template_id": j.template["id"],
                "job_template_name": j.template["name"],
            },
        },
        "created": ts(j.emit_times[-1] + j.lag),
        "modified": ts(j.emit_times[-1] + j.lag),
        "job": j.id,
        "host": host,
        "constructed_host": None,
        "host_name": host_name,
        "changed": s.changed,
        "dark": s.dark,
        "failures": s.failures,
        "ok": s.ok,
        "processed": 1,
        "skipped": s.skipped,
        "failed": bool(s.dark or s.failures),
        "ignored": s.ignored,
        "rescued": s.rescued,
    }
