"""The patch intent: the agent's one output for an actionable request.

Exactly the schema of ``evals/README.md`` section 1. Validation is code, never
the model's judgement.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.enums import RUNNABLE_ACTIONS, Action, RebootPolicy

_PERCENT = re.compile(r"^([1-9][0-9]?|100)%$")
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
PACKAGE_GLOB = re.compile(r"^[A-Za-z0-9_.+*?:\[\]-]{1,200}$")

# Which fields each action carries (README §1); only these are compared in evals.
CARRIED_FIELDS: dict[Action, tuple[str, ...]] = {
    Action.patch: ("hosts", "security_only", "reboot", "exclude", "packages", "not_before", "serial"),
    Action.precheck: ("hosts", "security_only", "exclude", "packages", "not_before"),
    Action.reboot: ("hosts", "not_before", "serial"),
    Action.list_hosts: ("hosts",),
    Action.status: ("job",),
    Action.cancel: ("job",),
    Action.explain: ("job",),
    Action.clarify: (),
    Action.reject: (),
}


class PatchIntent(BaseModel):
    """What the operator asked for, with every target resolved to explicit host names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    hosts: list[str] = Field(default_factory=list, max_length=10_000)
    security_only: bool = False
    reboot: RebootPolicy = RebootPolicy.if_needed
    exclude: list[str] = Field(default_factory=list, max_length=200)
    packages: list[str] = Field(default_factory=list, max_length=500)
    not_before: datetime | None = None
    serial: int | str | None = None
    job: int | Literal["last"] | None = None

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        for h in v:
            if not HOST_NAME.match(h):
                raise ValueError(f"{h!r} is not a valid host name")
        return sorted(set(v))

    @field_validator("exclude", "packages")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        for p in v:
            if not PACKAGE_GLOB.match(p):
                raise ValueError(f"{p!r} is not a valid package name or glob")
        return sorted(set(v))

    @field_validator("not_before")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("not_before must carry a timezone, e.g. 2026-11-27T22:00:00Z")
        return v.astimezone(UTC)

    @field_validator("serial", mode="before")
    @classmethod
    def _serial(cls, v: Any) -> int | str | None:
        if v is None:
            return None
        if isinstance(v, bool):
            raise ValueError("serial must be an integer >= 1 or a percentage '1%'..'100%'")
        if isinstance(v, int):
            if v < 1:
                raise ValueError("serial must be an integer >= 1 or a percentage '1%'..'100%'")
            return v
        if isinstance(v, str) and _PERCENT.match(v.strip()):
            return v.strip()
        raise ValueError("serial must be an integer >= 1 or a percentage '1%'..'100%'")

    @field_validator("job", mode="before")
    @classmethod
    def _job(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("job must be a job number or 'last'")
        if isinstance(v, int) and v < 1:
            raise ValueError("job must be a positive job number or 'last'")
        return v

    @model_validator(mode="after")
    def _hosts_required(self) -> PatchIntent:
        if self.action in RUNNABLE_ACTIONS and not self.hosts:
            raise ValueError(f"action {self.action.value!r} needs at least one host in 'hosts'")
        return self

    @property
    def runnable(self) -> bool:
        return self.action in RUNNABLE_ACTIONS

    def carried(self) -> dict[str, Any]:
        """The fields this action carries, JSON-ready (used by evals and confirmations)."""
        data = self.model_dump(mode="json")
        return {"action": self.action.value} | {k: data[k] for k in CARRIED_FIELDS[self.action]}

    def extra_vars(self) -> dict[str, Any]:
        """The playbooks' extra_vars contract (playbooks/README.md)."""
        return {
            "patchpilot_security_only": self.security_only,
            "patchpilot_reboot": self.reboot.value,
            "patchpilot_exclude": list(self.exclude),
            "patchpilot_packages": list(self.packages),
            "patchpilot_serial": self.serial if self.serial is not None else "100%",
        }
