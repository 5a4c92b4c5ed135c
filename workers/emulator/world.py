"""The emulator's state: organization, inventory, project, credentials, job templates, jobs, faults.

The inventory is read with core.inventory's loader (the one patchpilot uses), so the
emulator and the worker agree on hosts, groups and patterns. With a ``state_dir``
(``PATCHPILOT_HOME/awx-emulator``) templates and jobs are written to disk on every change
and read back at start, so a restarted emulator finishes the jobs it was running, as a
real AWX does, instead of forgetting them.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from core.errors import ValidationFailed
from core.inventory import Inventory
from core.inventory.loader import RawInventory, from_yaml_data
from workers.emulator.jobs import Job, WorkflowJob
from workers.emulator.scenario import PROJECT_ROOT, Faults, Scenario, TemplateSpec

EVENT_ID_BLOCK = 100_000  # event ids: job_id * block + counter, unique across jobs
TEMPLATE_FIELDS = ("name", "description", "playbook", "limit", "extra_vars")
FLAG_FIELDS = ("ask_limit_on_launch", "ask_variables_on_launch", "allow_simultaneous", "survey_enabled")
NUMBER_FIELDS = ("job_slice_count", "timeout")


class LaunchError(Exception):
    """A 400 with an AWX validation body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


def project_playbooks(root: Path = PROJECT_ROOT) -> list[str]:
    """Playbooks as AWX lists them for a project: paths relative to the project root."""
    return sorted(p.relative_to(root).as_posix() for p in (root / "playbooks").glob("*.yml"))


class World:
    """Everything the emulator knows; guarded by one lock (handlers are short)."""

    def __init__(self, scenario: Scenario | None = None, *, state_dir: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_dir: Path | None = None  # set after the first load, which must not overwrite saved state
        self.load(scenario or Scenario())
        self.state_dir = state_dir
        if state_dir is not None:
            from workers.emulator import persist

            persist.restore(self, state_dir)

    def load(self, scenario: Scenario) -> None:
        with self.lock:
            self.scenario = scenario
            self.faults = scenario.faults.model_copy()
            self.rng = random.Random(scenario.seed)  # noqa: S311 - fault injection, not security
            text = Path(scenario.inventory).read_text(encoding="utf-8")
            self.raw: RawInventory = from_yaml_data(yaml.safe_load(text))
            self.inventory = Inventory(self.raw)
            # The one notion of a disabled host: the scenario's ``disabled_hosts``, then whatever an administrator
            # changes through ``PATCH hosts/N/`` (inventory_api). Listings, the inventory script and job runs all
            # read it through :meth:`enabled`.
            self.disabled: set[str] = set(scenario.disabled_hosts)
            self.host_ids = {name: i for i, name in enumerate(self.inventory.order, start=1)}
            real_groups = [g for g in self.raw.group_hosts if g not in ("all", "ungrouped")]
            self.group_ids = {name: i for i, name in enumerate(real_groups, start=1)}
            t0 = time.time()
            self.organizations: dict[int, dict[str, Any]] = {1: {"id": 1, "name": scenario.organization}}
            self.inventory_obj = {"id": 1, "name": scenario.inventory_name, "organization": 1}
            project = {"id": 1, "name": scenario.project, "organization": 1, "playbooks": project_playbooks()}
            self.projects: dict[int, dict[str, Any]] = {1: project}
            self.credentials = {
                i: {"id": i, "name": name, "kind": "ssh", "organization": 1}
                for i, name in enumerate(scenario.credentials, start=1)
            }
            self.templates: dict[int, dict[str, Any]] = {}
            for spec in scenario.templates:
                self._add_template(spec, t0)
            self.jobs: dict[int, Job] = {}
            self.workflow_jobs: dict[int, WorkflowJob] = {}
            self.launches: Counter[str] = Counter()
            self.api_requests = 0
            self.created = t0
            self.save()

    def save(self) -> None:
        """Write templates and jobs to the state directory (when there is one)."""
        if self.state_dir is not None:
            from workers.emulator import persist

            persist.save(self, self.state_dir)

    def now(self) -> float:
        return time.time()

    # --- inventory -----------------------------------------------------

    def enabled(self, name: str) -> bool:
        """Whether AWX would run the host (disabled hosts get no host summary, as in AWX)."""
        with self.lock:
            return name not in self.disabled

    def set_enabled(self, name: str, enabled: bool) -> None:
        """An administrator's ``PATCH hosts/N/ {"enabled": ...}``: seen by listings and by every later launch."""
        with self.lock:
            if enabled:
                self.disabled.discard(name)
            else:
                self.disabled.add(name)
            self.save()

    def resolve(self, pattern: str) -> tuple[list[str], list[str]]:
        """Enabled hosts a limit selects, in inventory order, and the terms that matched none of them.

        AWX gives ansible only enabled hosts, so a term naming just a disabled host matches nothing.
        """
        text = pattern.strip() or "all"
        try:
            found = self.inventory.pattern(text)
            unmatched = list(self.inventory.pattern_unmatched(text))
        except ValidationFailed:
            return [], [text]  # ansible warns and matches nothing
        hosts = [h for h in self.inventory.order if h in found and self.enabled(h)]
        for term in (t.strip() for t in text.replace(":", ",").split(",")):
            if term in self.disabled and term not in unmatched:
                unmatched.append(term)
        return hosts, unmatched

    # --- templates -----------------------------------------------------

    def _add_template(self, spec: TemplateSpec, t0: float, **over: Any) -> dict[str, Any]:
        tid = max(self.templates, default=0) + 1
        by_name = {c["name"]: c["id"] for c in self.credentials.values()}
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
            "allow_simultaneous": spec.allow_simultaneous,
            "job_slice_count": spec.job_slice_count,
            "timeout": spec.timeout,
            "survey_enabled": bool(spec.survey),
            "survey": list(spec.survey),
            "credentials": [by_name[c] for c in spec.credentials if c in by_name],
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

    def validate_template_fields(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        fields: dict[str, Any] = {}
        for key in TEMPLATE_FIELDS:
            if key in body:
                fields[key] = "" if body[key] is None else str(body[key])
        for key in FLAG_FIELDS:
            if key in body:
                fields[key] = bool(body[key])
        for key in NUMBER_FIELDS:
            if key in body:
                value = body[key]
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    errors[key] = ["A valid integer is required."]
                else:
                    fields[key] = value
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
            spec = TemplateSpec(name=fields["name"], playbook=fields["playbook"], credentials=[])  # as AWX: none yet
            org = self.projects[fields["project"]]["organization"]
            t = self._add_template(spec, self.now(), **fields, organization=org)
            self.save()
            return t

    def update_template(self, t: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            fields = self.validate_template_fields(body, t)
            t.update(fields, modified=self.now())
            self.save()
            return t

    def attach_credential(self, t: dict[str, Any], body: dict[str, Any]) -> None:
        """``POST /job_templates/{id}/credentials/ {"id": N}`` (``disassociate: true`` removes it)."""
        with self.lock:
            cid = body.get("id")
            if not isinstance(cid, int) or cid not in self.credentials:
                raise LaunchError({"msg": [f"Credential with id {cid} does not exist"]})
            if body.get("disassociate"):
                t["credentials"] = [c for c in t["credentials"] if c != cid]
            elif cid not in t["credentials"]:
                t["credentials"] = [*t["credentials"], cid]
            self.save()
