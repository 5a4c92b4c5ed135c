"""Job template endpoints: list/create, detail/update, launch (prompts and POST), survey spec, credentials."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from workers.emulator import launching
from workers.emulator import serializers as ser
from workers.emulator import serializers_workflow as serw
from workers.emulator.http import NOT_FOUND, ApiError, Ctx, json_response
from workers.emulator.jobs import WorkflowJob
from workers.emulator.views import CRED_FIELDS, View, credentials_body, list_response, only
from workers.emulator.world import LaunchError

TEMPLATE_FIELDS = (
    "id", "name", "description", "organization", "organization__name", "playbook", "inventory", "project",
    "allow_simultaneous", "job_slice_count", "survey_enabled",
)  # fmt: skip


def template_of(ctx: Ctx) -> dict[str, Any]:
    t = ctx.world.templates.get(ctx.int_arg())
    if t is None:
        raise ApiError(404, NOT_FOUND)
    return t


def job_templates(ctx: Ctx) -> Response:
    only(ctx, "GET", "POST")
    w = ctx.world
    if ctx.method == "POST":
        try:
            t = w.create_template(ctx.body)
        except LaunchError as exc:
            raise ApiError(400, exc.body) from exc
        body = ser.job_template(t, ctx.prefix, w)
        return json_response(body, 201, {"Location": body["url"]})
    rows = [
        ({"id": t["id"], "name": t["name"], "description": t["description"], "organization": t["organization"],
          "organization__name": w.organizations[t["organization"]]["name"], "playbook": t["playbook"],
          "inventory": t["inventory"], "project": t["project"], "allow_simultaneous": t["allow_simultaneous"],
          "job_slice_count": t["job_slice_count"], "survey_enabled": t["survey_enabled"]}, t)
        for t in w.templates.values()
    ]  # fmt: skip
    return list_response(
        ctx, rows, lambda t: ser.job_template(t, ctx.prefix, w), fields=TEMPLATE_FIELDS, search=("name", "description")
    )


def job_template(ctx: Ctx) -> Response:
    only(ctx, "GET", "PATCH", "PUT")
    t = template_of(ctx)
    if ctx.method != "GET":
        try:
            ctx.world.update_template(t, ctx.body)
        except LaunchError as exc:
            raise ApiError(400, exc.body) from exc
    return json_response(ser.job_template(t, ctx.prefix, ctx.world))


def launch(ctx: Ctx) -> Response:
    only(ctx, "GET", "POST")
    w = ctx.world
    t = template_of(ctx)
    if ctx.method == "GET":
        return json_response(ser.launch_prompts(t, w))
    try:
        started = launching.launch(w, t, ctx.body)
    except LaunchError as exc:
        raise ApiError(400, exc.body) from exc
    if isinstance(started, WorkflowJob):
        flow = serw.workflow_job(started, ctx.prefix, w, detail=False)
        body = {"workflow_job": started.id, "ignored_fields": {}, **flow}
        return json_response(body, 201, {"Location": body["url"]})
    body = {
        "job": started.id,
        "ignored_fields": started.ignored_fields,
        **ser.job(started, ctx.prefix, w, detail=False),
    }
    return json_response(body, 201, {"Location": body["url"]})


def survey_spec(ctx: Ctx) -> Response:
    only(ctx, "GET")
    t = template_of(ctx)
    spec = [
        {"question_name": q.get("question_name", q["variable"]), "question_description": "", "required": bool(
            q.get("required")), "type": q.get("type", "text"), "variable": q["variable"], "min": 0, "max": 1024,
         "default": q.get("default", ""), "choices": ""}
        for q in t.get("survey", [])
    ]  # fmt: skip
    if not spec:
        return json_response({})
    return json_response({"name": "", "description": "", "spec": spec})


def template_credentials(ctx: Ctx) -> Response:
    """List, attach (``{"id": N}`` -> 204) or detach (``{"id": N, "disassociate": true}``) credentials."""
    only(ctx, "GET", "POST")
    w, p = ctx.world, ctx.prefix
    t = template_of(ctx)
    if ctx.method == "POST":
        try:
            w.attach_credential(t, ctx.body)
        except LaunchError as exc:
            raise ApiError(400, exc.body) from exc
        return Response(status_code=204)
    rows = [
        ({"id": c["id"], "name": c["name"], "organization": c["organization"], "credential_type": 1,
          "credential_type__kind": c["kind"], "kind": c["kind"]}, c)
        for cid in t["credentials"] if (c := w.credentials.get(cid))
    ]  # fmt: skip
    return list_response(ctx, rows, lambda c: credentials_body(c, p, w), fields=CRED_FIELDS)


ROUTES: list[tuple[str, View]] = [
    (r"job_templates", job_templates),
    (r"job_templates/(\d+)", job_template),
    (r"job_templates/(\d+)/launch", launch),
    (r"job_templates/(\d+)/survey_spec", survey_spec),
    (r"job_templates/(\d+)/credentials", template_credentials),
]
