"""The emulator's state: organization, inventory, project, job templates, jobs, launch counts, faults."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

import yaml

from workers.emulator.failures import UNREACHABLE_SLUGS, Stage, failure_message, stage_for
from workers.emulator.inventory import Inventory
from workers.emulator.jobs import Job
from workers.emulator.playbook_shape import (
    APPLY_APT,
    APPLY_DNF,
    APT_OS,
    GATHER,
    PLAYBOOK_SHAPE,
    REBOOT,
    REBOOT_CHECK,
    REBOOT_IF_REQUIRED,
    SERVICES,
    SIMULATE,
)
from workers.emulator.render import HostPlan, Rendered, render_run, render_zero_hosts
from workers.emulator.scenario import Faults, Outcome, Scenario, TemplateSpec

EVENT_ID_BLOCK = 100_000  # event ids: job_id * block + counter, unique across jobs


class LaunchError(Exception):
    """A 400 with an AWX validation body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


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
    return table.get(playbook, {}).get(stage)


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


class World:
    """Everything the emulator knows; guarded by one lock (handlers are short)."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.lock = threading.RLock()
        self.load(scenario or Scenario())

    def load(self, scenario: Scenario) -> None:
        with self.lock:
            self.scenario = scenario
            self.faults = scenario.faults.model_copy()
            self.rng = random.Random(scenario.seed)  # noqa: S311 - fault injection, not security
            self.inventory = Inventory.from_path(scenario.inventory)
            self.host_ids = {name: i for i, name in enumerate(self.inventory.hosts, start=1)}
            real_groups = [g for g in self.inventory.groups if g not in ("all", "ungrouped")]
            self.group_ids = {name: i for i, name in enumerate(real_groups, start=1)}
            t0 = time.time()
            self.organizations: dict[int, dict[str, Any]] = {1: {"id": 1, "name": scenario.organization}}
            self.inventory_obj = {"id": 1, "name": scenario.inventory_name, "organization": 1}
            playbooks = sorted({*PLAYBOOK_SHAPE, *(t.playbook for t in scenario.templates)})
            project = {"id": 1, "name": scenario.project, "organization": 1, "playbooks": playbooks}
            self.projects: dict[int, dict[str, Any]] = {1: project}
            self.templates: dict[int, dict[str, Any]] = {}
            for spec in scenario.templates:
                self._add_template(spec, t0)
            self.jobs: dict[int, Job] = {}
            self.launches: Counter[str] = Counter()
            self.api_requests = 0
            self.created = t0

    def now(self) -> float:
        return time.time()

    def _add_template(self, spec: TemplateSpec, t0: float, **over: Any) -> dict[str, Any]:
        tid = max(self.templates, default=0) + 1
        t = {
            "id": tid,
            "name": spec.name,
            "description": spec.description,
            "organization": 1,
            "inventory": 1,
            "project": 1,
            "playbook": spec.playbook,
            "limit": spec.limit,
            "extra_vars": spec.extra_vars,
            "ask_limit_on_launch": spec.ask_limit_on_launch,
            "ask_variables_on_launch": spec.ask_variables_on_launch,
            "play_hosts": spec.play_hosts,
            "created": t0,
            "modified": t0,
            **over,
        }
        self.templates[tid] = t
        return t

    def set_faults(self, changes: dict[str, Any]) -> Faults:
        with self.lock:
            self.faults = Faults.model_validate({**self.faults.model_dump(), **changes})
            return self.faults

    def fault_for_request(self) -> str | None:
        """'fail' (503), 'error' (random 502/503/504), 'drop', or None."""
        with self.lock:
            if self.faults.fail_next > 0:
                self.faults = self.faults.model_copy(update={"fail_next": self.faults.fail_next - 1})
                return "fail"
            if self.faults.drop_rate and self.rng.random() < self.faults.drop_rate:
                return "drop"
            if self.faults.error_rate and self.rng.random() < self.faults.error_rate:
                return "error"
            return None

    # --- templates -----------------------------------------------------

    def validate_template_fields(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        fields: dict[str, Any] = {}
        for key in ("name", "description", "playbook", "limit", "extra_vars"):
            if key in body:
                fields[key] = "" if body[key] is None else str(body[key])
        for key in ("ask_limit_on_launch", "ask_variables_on_launch"):
            if key in body:
                fields[key] = bool(body[key])
        for key, known in (("inventory", {1}), ("project", set(self.projects))):
            if key in body:
                value = body[key]
                if not isinstance(value, int) or value not in known:
                    errors[key] = [f'Invalid pk "{value}" - object does not exist.']
                else:
                    fields[key] = value
        if current is None:
            for key in ("name", "playbook", "project"):
                if key not in body and key not in errors:
                    errors[key] = ["This field is required."]
        merged = {**(current or {}), **fields}
        if "playbook" not in errors and merged.get("playbook"):
            proj = self.projects.get(merged.get("project", 0))
            if proj and merged["playbook"] not in proj["playbooks"]:
                errors["playbook"] = ["Playbook not found for project."]
        if not errors and merged.get("name"):
            org = self.projects[merged["project"]]["organization"]
            for t in self.templates.values():
                if t["name"] == merged["name"] and t["organization"] == org and t["id"] != merged.get("id"):
                    errors["__all__"] = ["Job Template with this Name and Organization already exists."]
        if errors:
            raise LaunchError(errors)
        return fields

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            fields = self.validate_template_fields(body, None)
            spec = TemplateSpec(name=fields["name"], playbook=fields["playbook"])
            org = self.projects[fields["project"]]["organization"]
            return self._add_template(spec, self.now(), **fields, organization=org)

    def update_template(self, t: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            fields = self.validate_template_fields(body, t)
            t.update(fields, modified=self.now())
            return t

    # --- launching -----------------------------------------------------

    def _plans(self, playbook: str, hosts: list[str]) -> tuple[dict[str, HostPlan], bool]:
        scen = self.scenario
        plans: dict[str, HostPlan] = {}
        slow = False
        for host in hosts:
            hvars = self.inventory.hosts.get(host, {})
            os_name = str(hvars.get("os", "rhel9"))
            addr = str(
                hvars.get("ansible_host")
                or f"10.20.{self.host_ids.get(host, 0) // 250}.{self.host_ids.get(host, 0) % 250 + 1}"
            )
            rule = scen.rule_for(host)
            plan = HostPlan(name=host, os=os_name, addr=addr, result=scen.default_outcome)
            if rule.outcome in (Outcome.ok, Outcome.changed):
                plan.result = rule.outcome.value
            elif rule.outcome is Outcome.slow:
                slow = True
            elif rule.outcome is Outcome.hang:
                plan.hang_task = _stage_task(playbook, Stage.apply, os_name) or _stage_task(
                    playbook, Stage.reboot, os_name
                )
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

    def _render(self, template: dict[str, Any], limit: str) -> tuple[Rendered, bool]:
        hosts, unmatched = self.inventory.resolve(limit)
        if not hosts:
            return render_zero_hosts(template["playbook"], unmatched), False
        play_hosts, _ = self.inventory.resolve(template.get("play_hosts") or "all")
        plans, slow = self._plans(template["playbook"], hosts)
        return render_run(template["playbook"], [h for h in hosts if h in play_hosts], plans, unmatched), slow

    def start_job(
        self, template: dict[str, Any], limit: str, extra_vars: dict[str, Any], launch_type: str, **extra: Any
    ) -> Job:
        rendered, slow = self._render(template, limit)
        jid = max(self.jobs, default=0) + 1
        duration = self.scenario.duration_s * (self.scenario.slow_factor if slow else 1.0)
        job = Job(
            id=jid,
            template=template,
            limit=limit,
            extra_vars=extra_vars,
            launch_type=launch_type,
            created=self.now(),
            duration=duration,
            lag=self.scenario.event_lag_s,
            cancel_delay=self.scenario.cancel_delay_s,
            rendered=rendered,
            event_id_base=jid * EVENT_ID_BLOCK,
            summary_id_base=jid * 1000,
            **extra,
        )
        self.jobs[jid] = job
        return job

    def launch(self, template: dict[str, Any], body: dict[str, Any]) -> Job:
        """JT launch: unprompted fields are dropped and echoed in ``ignored_fields`` (contract 3.4)."""
        with self.lock:
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
                if template["ask_variables_on_launch"]:
                    extra_vars.update(requested_vars)
                else:
                    rejected = {k: v for k, v in requested_vars.items() if base_vars.get(k) != v}
                    if rejected:
                        ignored["extra_vars"] = rejected
            for key in (
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
            ):
                if key in body:
                    ignored[key] = body[key]
            job = self.start_job(template, limit, extra_vars, "manual", ignored_fields=ignored)
            marker = requested_vars.get("patchpilot_job_id")
            if marker is not None:
                self.launches[str(marker)] += 1
            return job

    def relaunch(self, job: Job, hosts: str) -> Job:
        with self.lock:
            now = self.now()
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
            return self.start_job(job.template, limit, dict(job.extra_vars), "relaunch", ancestor=job.id)
