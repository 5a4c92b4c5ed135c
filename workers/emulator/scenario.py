"""What the emulator plays: inventory, job templates, per-host outcomes, timings and injected faults.

A scenario is a pydantic model, usually loaded from YAML::

    inventory: evals/inventory.yaml     # Ansible YAML inventory; default: the project's evals/inventory.yaml
    duration_s: 20                      # launch -> terminal status
    default_outcome: changed            # ok | changed
    hosts:                              # host name or glob -> outcome
      web-stg-02: {outcome: failed, family: dnf-no-space-left}
      app-dev-02: unreachable
    faults: {error_rate: 0.0, latency_ms: 0, fail_next: 0, drop_rate: 0.0}
"""

from __future__ import annotations

import fnmatch
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INVENTORY = PROJECT_ROOT / "evals" / "inventory.yaml"
DEFAULT_KB_SEED = PROJECT_ROOT / "kb" / "seed.yaml"
SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"


class Outcome(StrEnum):
    ok = "ok"
    changed = "changed"
    failed = "failed"
    unreachable = "unreachable"
    slow = "slow"
    hang = "hang"


class HostRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    family: str | None = Field(default=None, description="kb slug: picks the failure message and the failing task")
    message: str | None = Field(default=None, description="overrides the failure message")


MACHINE_CREDENTIAL = "patchpilot-machine"


class TemplateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    playbook: str
    description: str = ""
    ask_limit_on_launch: bool = True
    ask_variables_on_launch: bool = True
    limit: str = ""
    extra_vars: str = ""
    play_hosts: str = Field(default="all", description="the plays' `hosts:` pattern")
    allow_simultaneous: bool = Field(default=False, description="AWX's default: a second job waits for the first")
    job_slice_count: int = Field(default=1, ge=1, description="> 1: launch answers with a workflow_job")
    timeout: int = Field(default=0, ge=0, description="seconds; a job running longer ends failed")
    credentials: list[str] = Field(
        default_factory=lambda: [MACHINE_CREDENTIAL], description="machine credentials attached (by name); [] = none"
    )
    survey: list[dict[str, Any]] = Field(
        default_factory=list, description="survey questions: {variable, required, default}; non-empty enables it"
    )


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of API requests answered 502/503/504")
    latency_ms: int = Field(default=0, ge=0)
    fail_next: int = Field(default=0, ge=0, description="the next N API requests answer 503")
    drop_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests whose connection is dropped")


def default_templates() -> list[TemplateSpec]:
    """The templates as ``patchpilot awx bootstrap`` leaves them, plus one an old setup might have."""
    ready: dict[str, Any] = {"allow_simultaneous": True}
    return [
        TemplateSpec(name="patchpilot-patch", playbook="playbooks/patch.yml", description="patchpilot: patch", **ready),
        TemplateSpec(
            name="patchpilot-precheck", playbook="playbooks/precheck.yml", description="patchpilot: pre-checks", **ready
        ),
        TemplateSpec(
            name="patchpilot-reboot", playbook="playbooks/reboot.yml", description="patchpilot: reboot", **ready
        ),
        TemplateSpec(
            name="legacy-no-prompt",
            playbook="playbooks/patch.yml",
            description="an old template that does not prompt for limit",
            ask_limit_on_launch=False,
            ask_variables_on_launch=True,
            **ready,
        ),
    ]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inventory: Path = DEFAULT_INVENTORY
    inventory_name: str = "patchpilot-demo"
    organization: str = "Default"
    project: str = "patchpilot"
    duration_s: float = Field(default=20.0, gt=0)
    slow_factor: float = Field(default=3.0, ge=1, description="duration multiplier when a host is slow")
    event_lag_s: float = Field(default=0.5, ge=0, description="events are saved this long after they happen")
    cancel_delay_s: float = Field(default=0.3, ge=0, description="running -> canceled after a cancel request")
    default_outcome: Literal["ok", "changed"] = "changed"
    hosts: dict[str, HostRule] = Field(default_factory=dict)
    templates: list[TemplateSpec] = Field(default_factory=default_templates)
    faults: Faults = Field(default_factory=Faults)
    stdout_max_bytes: int = Field(default=1048576, ge=0, description="AWX STDOUT_MAX_BYTES_DISPLAY")
    kb_seed: Path = DEFAULT_KB_SEED
    tokens: list[str] = Field(default_factory=lambda: ["emulator-token"])
    users: dict[str, str] = Field(default_factory=lambda: {"admin": "password"})
    version: str = "24.6.1"
    seed: int | None = Field(default=None, description="random seed for error_rate/drop_rate")
    disabled_hosts: list[str] = Field(default_factory=list, description="hosts with enabled=false in AWX")
    credentials: list[str] = Field(default_factory=lambda: [MACHINE_CREDENTIAL], description="machine credentials")
    job_error: str | None = Field(
        default=None, description="every job ends 'error' with this job_explanation (e.g. a failed project update)"
    )

    @field_validator("hosts", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"outcome": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    def rule_for(self, host: str) -> HostRule:
        """The host's rule: its exact name first, then the first matching glob, else the default outcome."""
        if host in self.hosts:
            return self.hosts[host]
        for pattern, rule in self.hosts.items():
            if fnmatch.fnmatchcase(host, pattern):
                return rule
        return HostRule(outcome=Outcome(self.default_outcome))


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML; relative paths inside it resolve against the file's folder, then the project root."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("inventory", "kb_seed"):
        if key in data and not Path(data[key]).is_absolute():
            beside = path.parent / data[key]
            data[key] = beside if beside.exists() else PROJECT_ROOT / data[key]
    return Scenario.model_validate(data)


def demo_scenario() -> Scenario:
    return load_scenario(SCENARIOS_DIR / "demo.yaml")
