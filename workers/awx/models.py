"""Typed results of the AWX/AAP client (field names are AWX's own, see ../shared/awx-api-contract.md)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

JobKind = Literal["job", "workflow_job"]
JOB_PATHS: dict[str, str] = {"job": "jobs", "workflow_job": "workflow_jobs"}


class AwxJobStatus(StrEnum):
    """AWX unified-job statuses (contract 5.1)."""

    new = "new"
    pending = "pending"
    waiting = "waiting"
    running = "running"
    successful = "successful"
    failed = "failed"
    error = "error"
    canceled = "canceled"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({AwxJobStatus.successful, AwxJobStatus.failed, AwxJobStatus.error, AwxJobStatus.canceled})


def parse_vars(value: Any) -> dict[str, Any]:
    """AWX variables come as JSON or YAML text (or already as an object); always return a dict.

    >>> parse_vars('{"a": 1}')
    {'a': 1}
    >>> parse_vars("---\\nreboot_ok: false")
    {'reboot_ok': False}
    >>> parse_vars("")
    {}
    """
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    text = str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            return {}
    return parsed if isinstance(parsed, dict) else {}


class _AwxModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JobTemplate(_AwxModel):
    id: int
    name: str
    description: str = ""
    organization: int | None = None
    inventory: int | None = None
    project: int | None = None
    playbook: str = ""
    limit: str = ""
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    ask_limit_on_launch: bool = False
    ask_variables_on_launch: bool = False
    survey_enabled: bool = False
    allow_simultaneous: bool = False
    job_slice_count: int = 1

    @field_validator("extra_vars", mode="before")
    @classmethod
    def _parse_extra_vars(cls, value: Any) -> dict[str, Any]:
        return parse_vars(value)


class LaunchPrompts(_AwxModel):
    """``GET /job_templates/{id}/launch/`` (contract 3.1)."""

    ask_limit_on_launch: bool = False
    ask_variables_on_launch: bool = False
    survey_enabled: bool = False
    can_start_without_user_input: bool = False
    passwords_needed_to_start: list[str] = Field(default_factory=list)
    variables_needed_to_start: list[str] = Field(default_factory=list)
    credential_needed_to_start: bool = False
    inventory_needed_to_start: bool = False
    job_template_data: dict[str, Any] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)


class AwxJob(_AwxModel):
    """A job as ``GET /jobs/{id}/`` shows it (list rows lack the detail-only fields, which keep their defaults).

    ``type`` is ``job``, or ``workflow_job`` when a sliced template (``job_slice_count > 1``)
    was launched: that one lives under ``/workflow_jobs/`` and its slices are jobs.
    """

    id: int
    type: JobKind = "job"
    name: str = ""
    status: AwxJobStatus
    failed: bool = False
    started: datetime | None = None
    finished: datetime | None = None
    elapsed: float = 0.0
    event_processing_finished: bool = False
    host_status_counts: dict[str, int] | None = None
    job_explanation: str = ""
    limit: str = ""
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    job_template: int | None = None
    launch_type: str = ""
    playbook: str = ""
    created: datetime | None = None
    ignored_fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extra_vars", mode="before")
    @classmethod
    def _parse_extra_vars(cls, value: Any) -> dict[str, Any]:
        return parse_vars(value)

    @property
    def terminal(self) -> bool:
        return self.status.terminal


class SurveyQuestion(_AwxModel):
    """One question of ``GET /job_templates/{id}/survey_spec/`` (``spec`` list)."""

    variable: str
    question_name: str = ""
    required: bool = False
    default: Any = None


class HostSummary(_AwxModel):
    """One row of ``/jobs/{id}/job_host_summaries/``; ``dark`` is the unreachable count."""

    host_name: str
    ok: int = 0
    changed: int = 0
    dark: int = 0
    failures: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    processed: int = 0
    failed: bool = False


class JobEvent(_AwxModel):
    id: int
    counter: int
    event: str
    host_name: str = ""
    task: str = ""
    play: str = ""
    role: str = ""
    event_data: dict[str, Any] = Field(default_factory=dict)
    stdout: str = ""
    start_line: int = 0
    end_line: int = 0
    failed: bool = False
    changed: bool = False


class Stdout(_AwxModel):
    """Job output as plain text; ``truncated`` means only the last ``keep_bytes`` were kept."""

    text: str
    truncated: bool
    size_bytes: int
