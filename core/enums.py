"""Shared statuses and the one function that knows which job transitions are allowed."""

from __future__ import annotations

from enum import StrEnum

from core.errors import InvalidTransition


class Action(StrEnum):
    patch = "patch"
    precheck = "precheck"
    reboot = "reboot"
    status = "status"
    cancel = "cancel"
    explain = "explain"
    list_hosts = "list_hosts"
    clarify = "clarify"
    reject = "reject"


RUNNABLE_ACTIONS = frozenset({Action.patch, Action.precheck, Action.reboot})


class RebootPolicy(StrEnum):
    never = "never"
    if_needed = "if_needed"
    always = "always"


class JobStatus(StrEnum):
    queued = "queued"
    scheduled = "scheduled"
    awaiting_approval = "awaiting_approval"
    launching = "launching"
    running = "running"
    collecting = "collecting"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"
    error = "error"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def active(self) -> bool:
        return not self.terminal


class AnalysisState(StrEnum):
    """Where a job's failure analysis is: collect sets ``pending`` with the job's final status, the analysis
    task ``done`` (its failure rows and this state in one commit), or ``failed`` when it gave up. None: the
    job produced no output to analyse (never launched, or ended before collect)."""

    pending = "pending"
    done = "done"
    failed = "failed"


TERMINAL_STATUSES = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.canceled, JobStatus.error})

_S = JobStatus
_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    _S.awaiting_approval: frozenset({_S.queued, _S.scheduled, _S.canceled}),
    _S.scheduled: frozenset({_S.queued, _S.canceled}),
    # queued -> failed: a job that waited finds at launch that a host was disabled or removed (never launched).
    _S.queued: frozenset({_S.launching, _S.canceled, _S.failed}),
    # launching -> queued is the crash-recovery path (a redelivered launch found no AWX job).
    _S.launching: frozenset({_S.running, _S.queued, _S.error, _S.canceled}),
    _S.running: frozenset({_S.collecting, _S.error}),
    _S.collecting: frozenset({_S.succeeded, _S.failed, _S.canceled, _S.error}),
}


def allowed_transitions(current: JobStatus) -> frozenset[JobStatus]:
    return _TRANSITIONS.get(current, frozenset())


def check_transition(current: JobStatus, new: JobStatus) -> None:
    """Raise InvalidTransition unless ``current -> new`` is allowed.

    >>> check_transition(JobStatus.queued, JobStatus.launching)
    >>> check_transition(JobStatus.succeeded, JobStatus.running)
    Traceback (most recent call last):
    ...
    core.errors.InvalidTransition: job cannot go from succeeded to running
    """
    if new not in allowed_transitions(current):
        raise InvalidTransition(f"job cannot go from {current} to {new}", current=current, new=new)


class HostStatus(StrEnum):
    ok = "ok"
    changed = "changed"
    failed = "failed"
    unreachable = "unreachable"
    skipped = "skipped"
    pending = "pending"
    not_run = "not_run"  # requested, but AWX never ran it (disabled, or not in the AWX inventory)


class MatchKind(StrEnum):
    exact = "exact"
    similar = "similar"
