"""Launching in the emulator: prompts and surveys, per-host plans, rendering, blocking and slicing.

What AWX does at launch (contract 3.4, 15): unprompted fields are dropped and echoed in
``ignored_fields``; a required survey answer or variable that is missing is a 400
(``variables_needed_to_start``); a template with ``allow_simultaneous`` false holds the
new job ``pending`` while another job of it is active; ``job_slice_count > 1`` answers
with a workflow job whose nodes run one slice of the hosts each.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

import yaml

from workers.emulator.failures import UNREACHABLE_SLUGS, Stage, failure_message, stage_for
from workers.emulator.jobs import ACTIVE, Job, WorkflowJob
from workers.emulator.playbook_shape import (
    APPLY_APT,
    APPLY_DNF,
    APT_OS,
    FREE_SPACE,
    GATHER,
    REBOOT,
    REBOOT_CHECK,
    REBOOT_IF_REQUIRED,
    SERVICES,
    SIMULATE,
)
from workers.emulator.render import HostPlan, Rendered, render_run, render_zero_hosts
from workers.emulator.scenario import Outcome
from workers.emulator.world import EVENT_ID_BLOCK, LaunchError, World

PROMPTED_ELSEWHERE = (
    "job_tags",
    "skip_tags",
    "inventory",
    "credentials",
    "job_type",
    "verbosity",
    "diff_mode",
    "scm_branch",
    "forks",
    "timeout",
    "job_slice_count",
    "labels",
    "instance_groups",
    "execution_environment",
)
DEFAULT_FREE_MB = 20480  # a host's free MiB on / when its variables do not say (host var free_mb)
NO_CREDENTIAL = (
    "Failed to connect to the host via ssh: root@{addr}: Permission denied "
    "(publickey,gssapi-keyex,gssapi-with-mic,password)."
)


def shape_key(playbook: str) -> str:
    """``playbooks/patch.yml`` -> ``patch.yml`` (the key of PLAYBOOK_SHAPE)."""
    return PurePosixPath(playbook).name


def _stage_task(playbook: str, stage: Stage, os_name: str) -> str | None:
    apply = APPLY_APT if os_name in APT_OS else APPLY_DNF
    table = {
        "patch.yml": {
            Stage.connect: GATHER,
            Stage.apply: apply,
            Stage.reboot_check: REBOOT_CHECK,
            Stage.reboot: REBOOT_IF_REQUIRED,
            Stage.service: SERVICES,
        },
        "precheck.yml": {Stage.connect: GATHER, Stage.apply: SIMULATE},
        "reboot.yml": {Stage.connect: GATHER, Stage.reboot: REBOOT, Stage.service: SERVICES},
    }
    return table.get(shape_key(playbook), {}).get(stage)


def parse_extra_vars(value: Any) -> dict[str, Any]:
    """Launch ``extra_vars``: an object, or a string of JSON or YAML (contract 3.2)."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as json_exc:
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError as yaml_exc:
                raise LaunchError(
                    {"extra_vars": [f"Cannot parse as JSON (error: {json_exc}) or YAML (error: {yaml_exc})."]}
                ) from yaml_exc
        if isinstance(parsed, dict):
            return parsed
    raise LaunchError({"extra_vars": [f"Input type `{type(value).__name__}` is not a dictionary"]})


def variables_needed(template: dict[str, Any]) -> list[str]:
    """Required survey variables without a default (``variables_needed_to_start``)."""
    if not template.get("survey_enabled"):
        return []
    return [
        str(q["variable"]) for q in template.get("survey", []) if q.get("required") and q.get("default") in (None, "")
    ]


def _plans(
    w: World, template: dict[str, Any], hosts: list[str], extra_vars: dict[str, Any]
) -> tuple[dict[str, HostPlan], bool]:
    scen, playbook = w.scenario, template["playbook"]
    want_mb = _int(extra_vars.get("patchpilot_min_free_mb"))
    plans: dict[str, HostPlan] = {}
    slow = False
    for host in hosts:
        hvars = w.inventory.hosts[host].vars if host in w.inventory.hosts else {}
        os_name = str(hvars.get("os", "rhel9"))
        hid = w.host_ids.get(host, 0)
        addr = str(hvars.get("ansible_host") or f"10.20.{hid // 250}.{hid % 250 + 1}")
        rule = scen.rule_for(host)
        plan = HostPlan(name=host, os=os_name, addr=addr, result=scen.default_outcome)
        if not template.get("credentials"):
            # No machine credential: ssh runs as the EE's user without a key and every host is unreachable.
            plan.fail_task, plan.unreachable = GATHER, True
            plan.message = NO_CREDENTIAL.format(addr=addr)
        elif want_mb is not None and want_mb > (free := _int(hvars.get("free_mb")) or DEFAULT_FREE_MB):
            # The pre-check asserts free space against patchpilot_min_free_mb, as the playbook does.
            plan.fail_task = FREE_SPACE
            plan.message = f"/ has {free} MB free on /; patchpilot_min_free_mb is {want_mb}"
        elif rule.outcome in (Outcome.ok, Outcome.changed):
            plan.result = rule.outcome.value
        elif rule.outcome is Outcome.slow:
            slow = True
        elif rule.outcome is Outcome.hang:
            plan.hang_task = _stage_task(playbook, Stage.apply, os_name) or _stage_task(playbook, Stage.reboot, os_name)
        else:
            unreachable = rule.outcome is Outcome.unreachable or (rule.family in UNREACHABLE_SLUGS)
            stage = Stage.connect if unreachable else stage_for(rule.family, scen.kb_seed)
            plan.fail_task = _stage_task(playbook, stage, os_name)
            plan.unreachable = unreachable and stage is Stage.connect
            if stage is Stage.reboot:
                plan.result = "changed"  # the reboot runs (and fails) only when one is needed
            plan.message = rule.message or failure_message(
                rule.family, scen.kb_seed, addr=addr, unreachable=plan.unreachable
            )
        plans[host] = plan
    return plans, slow


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _render(
    w: World, template: dict[str, Any], hosts: list[str], unmatched: list[str], extra_vars: dict[str, Any]
) -> tuple[Rendered, bool]:
    key = shape_key(template["playbook"])
    if not hosts:
        return render_zero_hosts(key, unmatched), False
    play_hosts, _ = w.resolve(template.get("play_hosts") or "all")
    plans, slow = _plans(w, template, hosts, extra_vars)
    return render_run(key, [h for h in hosts if h in play_hosts], plans, unmatched), slow


def _blocker(w: World, template: dict[str, Any]) -> Job | None:
    """The newest active job of the template a new one must wait for (allow_simultaneous false)."""
    if template.get("allow_simultaneous"):
        return None
    now = w.now()
    active = [j for j in w.jobs.values() if j.template["id"] == template["id"] and j.status(now) in ACTIVE]
    return max(active, key=lambda j: j.id) if active else None


def start_job(
    w: World,
    template: dict[str, Any],
    limit: str,
    extra_vars: dict[str, Any],
    launch_type: str,
    *,
    hosts: list[str] | None = None,
    **extra: Any,
) -> Job:
    resolved, unmatched = w.resolve(limit)
    chosen = resolved if hosts is None else hosts
    rendered, slow = _render(w, template, chosen, unmatched if hosts is None else [], extra_vars)
    jid = max(w.jobs, default=0) + 1
    duration = w.scenario.duration_s * (w.scenario.slow_factor if slow else 1.0)
    job = Job(
        id=jid,
        template=template,
        limit=limit,
        extra_vars=extra_vars,
        launch_type=launch_type,
        created=w.now(),
        duration=duration,
        lag=w.scenario.event_lag_s,
        cancel_delay=w.scenario.cancel_delay_s,
        rendered=rendered,
        event_id_base=jid * EVENT_ID_BLOCK,
        summary_id_base=jid * 1000,
        blocked_by=_blocker(w, template),
        error=w.scenario.job_error,
        timeout=float(template.get("timeout") or 0),
        **extra,
    )
    w.jobs[jid] = job
    return job


def launch(w: World, template: dict[str, Any], body: dict[str, Any]) -> Job | WorkflowJob:
    """JT launch: unprompted fields are dropped and echoed in ``ignored_fields`` (contract 3.4)."""
    with w.lock:
        ignored: dict[str, Any] = {}
        limit = template["limit"]
        requested_vars = parse_extra_vars(body.get("extra_vars"))
        base_vars = parse_extra_vars(template["extra_vars"]) if template["extra_vars"] else {}
        extra_vars = dict(base_vars)
        if "limit" in body:
            if template["ask_limit_on_launch"]:
                limit = "" if body["limit"] is None else str(body["limit"])
            elif body["limit"] != template["limit"]:
                ignored["limit"] = body["limit"]
        if requested_vars:
            survey_vars = (
                {q["variable"] for q in template.get("survey", [])} if template.get("survey_enabled") else set()
            )
            if template["ask_variables_on_launch"]:
                extra_vars.update(requested_vars)
            else:
                extra_vars.update({k: v for k, v in requested_vars.items() if k in survey_vars})
                rejected = {k: v for k, v in requested_vars.items() if base_vars.get(k) != v and k not in survey_vars}
                if rejected:
                    ignored["extra_vars"] = rejected
        missing = [v for v in variables_needed(template) if v not in extra_vars]
        if missing:
            raise LaunchError({"variables_needed_to_start": [f"'{v}' value missing" for v in missing]})
        for key in PROMPTED_ELSEWHERE:
            if key in body:
                ignored[key] = body[key]
        marker = requested_vars.get("patchpilot_job_id")
        if marker is not None:
            w.launches[str(marker)] += 1
        slices = int(template.get("job_slice_count") or 1)
        if slices > 1:
            flow = _sliced(w, template, limit, extra_vars, slices)
            w.save()
            return flow
        job = start_job(w, template, limit, extra_vars, "manual", ignored_fields=ignored)
        w.save()
        return job


def _sliced(w: World, template: dict[str, Any], limit: str, extra_vars: dict[str, Any], count: int) -> WorkflowJob:
    """AWX slices the inventory: host i runs in slice i % count, each slice a job of its own."""
    hosts, _ = w.resolve(limit)
    wid = max(w.workflow_jobs, default=0) + 1
    jobs = []
    for n in range(count):
        part = hosts[n::count]
        job = start_job(
            w, template, limit, extra_vars, "workflow", hosts=part, slice_number=n + 1, slice_count=count, workflow=wid
        )
        jobs.append(job)
    flow = WorkflowJob(id=wid, template=template, created=w.now(), slices=jobs, node_id_base=wid * 1000)
    w.workflow_jobs[wid] = flow
    return flow


def relaunch(w: World, job: Job, hosts: str) -> Job:
    with w.lock:
        now = w.now()
        limit = job.limit
        if hosts == "failed":
            if job.status(now) not in ("successful", "failed", "error", "canceled"):
                raise LaunchError({"hosts": "Wait until job finishes before retrying on failed hosts."})
            stats = job.stats(now)
            if stats is None:
                raise LaunchError({"hosts": "Cannot retry on failed hosts, playbook stats not available."})
            failed = [h for h, s in stats.items() if s.failures or s.dark]
            if not failed:
                raise LaunchError({"hosts": "Cannot relaunch because previous job had 0 failed hosts."})
            limit = ",".join(failed)
        elif hosts != "all":
            raise LaunchError({"hosts": [f'"{hosts}" is not a valid choice.']})
        new = start_job(w, job.template, limit, dict(job.extra_vars), "relaunch", ancestor=job.id)
        w.save()
        return new
