"""Job endpoints: lists, detail, cancel, relaunch, events, host summaries; workflow jobs of sliced templates."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from workers.emulator import launching
from workers.emulator import serializers as ser
from workers.emulator import serializers_workflow as serw
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response, method_not_allowed
from workers.emulator.jobs import ACTIVE, Job, WorkflowJob
from workers.emulator.templates_api import template_of
from workers.emulator.views import View, list_response, only
from workers.emulator.world import LaunchError

JOB_FIELDS = (
    "id", "name", "status", "failed", "job_template", "unified_job_template", "launch_type", "created", "limit",
    "started", "finished",
)  # fmt: skip
EVENT_FIELDS = (
    "id", "event", "counter", "failed", "changed", "host_name", "host", "task", "play", "role", "playbook",
    "start_line", "end_line", "uuid", "parent_uuid", "stdout", "verbosity", "event_level",
)  # fmt: skip
SUMMARY_FIELDS = ("id", "host_name", "failed", "dark", "failures", "changed", "ok", "skipped", "host")


def job_of(ctx: Ctx) -> Job:
    job = ctx.world.jobs.get(ctx.int_arg())
    if job is None:
        raise ApiError(404, NOT_FOUND)
    return job


def jobs(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    now = w.now()
    only_template = ctx.int_arg() if ctx.args else None
    if only_template is not None:
        template_of(ctx)
    rows = []
    for j in w.jobs.values():
        if only_template is not None and j.template["id"] != only_template:
            continue
        timing = j.timing(now)
        rows.append(
            ({"id": j.id, "name": j.template["name"], "status": timing["status"], "failed": timing["failed"],
              "job_template": j.template["id"], "unified_job_template": j.template["id"],
              "launch_type": j.launch_type, "created": ser.dt(j.created), "limit": j.limit,
              "started": ser.dt(timing["started"]) if timing["started"] else None,
              "finished": ser.dt(timing["finished"]) if timing["finished"] else None}, j)
        )  # fmt: skip
    return list_response(
        ctx, rows, lambda j: ser.job(j, ctx.prefix, w, detail=False, list_view=True), fields=JOB_FIELDS
    )


def job(ctx: Ctx) -> Response:
    only(ctx, "GET")
    return json_response(ser.job(job_of(ctx), ctx.prefix, ctx.world, detail=True))


def cancel(ctx: Ctx) -> Response:
    only(ctx, "GET", "POST")
    j = job_of(ctx)
    now = ctx.world.now()
    if ctx.method == "GET":
        return json_response({"can_cancel": j.status(now) in ACTIVE})
    with ctx.world.lock:
        accepted = j.request_cancel(now)
        ctx.world.save()
    if not accepted:
        raise method_not_allowed("POST")
    return Response(status_code=202)


def relaunch(ctx: Ctx) -> Response:
    only(ctx, "GET", "POST")
    w = ctx.world
    j = job_of(ctx)
    now = w.now()
    if ctx.method == "GET":
        stats = j.stats(now)
        counts: Any = "Relaunch by host status not available until job finishes running."
        if j.status(now) not in ACTIVE:
            hosts = stats or {}
            counts = {"all": len(hosts), "failed": sum(1 for s in hosts.values() if s.failures or s.dark)}
        return json_response({"passwords_needed_to_start": [], "retry_counts": counts})
    try:
        new = launching.relaunch(w, j, str(ctx.body.get("hosts", "all")))
    except LaunchError as exc:
        raise ApiError(400, exc.body) from exc
    body = {"job": new.id, **ser.job(new, ctx.prefix, w, detail=False)}
    return json_response(body, 201, {"Location": body["url"]})


def job_events(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    j = job_of(ctx)
    events = j.saved_events(w.now())
    rows = [
        ({"id": j.event_id_base + e["counter"], "event": e["event"], "counter": e["counter"], "failed": e["failed"],
          "changed": e["changed"], "host_name": e["host_name"], "host": w.host_ids.get(e["host_name"]),
          "task": e["task"], "play": e["play"], "role": e["role"], "playbook": e["playbook"],
          "start_line": e["start_line"], "end_line": e["end_line"], "uuid": e["uuid"],
          "parent_uuid": e["parent_uuid"], "stdout": e["stdout"], "verbosity": e["verbosity"],
          "event_level": e["event_level"]}, e)
        for e in events
    ]  # fmt: skip
    truncate = not ctx.query("no_truncate")
    return list_response(
        ctx,
        rows,
        lambda e: ser.job_event(j, e, ctx.prefix, w, truncate=truncate),
        fields=EVENT_FIELDS,
        default_order="start_line,counter",
        search=("stdout",),
        allow_limit=True,
        headers={"X-UI-Max-Events": "4000"},
    )


def job_event(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    eid = ctx.int_arg()
    j = w.jobs.get(eid // 100_000)
    if j is not None:
        for e in j.saved_events(w.now()):
            if j.event_id_base + e["counter"] == eid:
                return json_response(ser.job_event(j, e, ctx.prefix, w, truncate=False))
    raise ApiError(404, NOT_FOUND)


def host_summaries(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    j = job_of(ctx)
    stats = j.stats(w.now()) or {}
    rows = []
    for index, (name, s) in enumerate(sorted(stats.items()), start=1):
        filt = {"id": j.summary_id_base + index, "host_name": name, "failed": bool(s.dark or s.failures),
                "dark": s.dark, "failures": s.failures, "changed": s.changed, "ok": s.ok, "skipped": s.skipped,
                "host": w.host_ids.get(name)}  # fmt: skip
        rows.append((filt, (index, name, s)))
    return list_response(
        ctx, rows, lambda x: ser.host_summary(j, x[0], x[1], x[2], ctx.prefix, w), fields=SUMMARY_FIELDS,
        default_order="-id", search=("host_name",),
    )  # fmt: skip


# --- workflow jobs (sliced job templates) ----------------------------------


def _flow(ctx: Ctx) -> WorkflowJob:
    flow = ctx.world.workflow_jobs.get(ctx.int_arg())
    if flow is None:
        raise ApiError(404, NOT_FOUND)
    return flow


def workflow_jobs(ctx: Ctx) -> Response:
    only(ctx, "GET")
    w = ctx.world
    if ctx.args:
        return json_response(serw.workflow_job(_flow(ctx), ctx.prefix, w, detail=True))
    now = w.now()
    rows = [({"id": f.id, "name": f.template["name"], "status": f.status(now)}, f) for f in w.workflow_jobs.values()]
    return list_response(
        ctx, rows, lambda f: serw.workflow_job(f, ctx.prefix, w, detail=False), fields=("id", "name", "status")
    )


def workflow_cancel(ctx: Ctx) -> Response:
    only(ctx, "GET", "POST")
    flow = _flow(ctx)
    now = ctx.world.now()
    if ctx.method == "GET":
        return json_response({"can_cancel": flow.status(now) in ACTIVE})
    with ctx.world.lock:
        accepted = flow.request_cancel(now)
        ctx.world.save()
    if not accepted:
        raise method_not_allowed("POST")
    return Response(status_code=202)


def workflow_nodes(ctx: Ctx) -> Response:
    only(ctx, "GET")
    flow = _flow(ctx)
    rows = [({"id": flow.node_id_base + n, "job": j.id}, (n, j)) for n, j in enumerate(flow.slices, start=1)]
    return list_response(
        ctx, rows, lambda x: serw.workflow_node(flow, x[0], x[1], ctx.prefix, ctx.world), fields=("id", "job")
    )


ROUTES: list[tuple[str, View]] = [
    (r"job_templates/(\d+)/jobs", jobs),
    (r"jobs", jobs),
    (r"jobs/(\d+)", job),
    (r"jobs/(\d+)/cancel", cancel),
    (r"jobs/(\d+)/relaunch", relaunch),
    (r"jobs/(\d+)/job_events", job_events),
    (r"jobs/(\d+)/job_host_summaries", host_summaries),
    (r"job_events/(\d+)", job_event),
    (r"workflow_jobs", workflow_jobs),
    (r"workflow_jobs/(\d+)", workflow_jobs),
    (r"workflow_jobs/(\d+)/cancel", workflow_cancel),
    (r"workflow_jobs/(\d+)/workflow_nodes", workflow_nodes),
]
