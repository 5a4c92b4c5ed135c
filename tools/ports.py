"""The services tools call, behind small protocols so the agent can run without a database (the eval).

``ServiceJobs`` / ``ServiceKb`` call workers.jobs.service and kb.service (imported
when first called, so loading the agent does not load the worker and KB stacks); ``ServiceInventory`` calls
workers.inventory.service (refresh, then describe). ``NoDatabase`` answers every call with ServiceUnavailable,
so a run without PostgreSQL can never queue or sync anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from core.errors import ServiceUnavailable
from core.intent import PatchIntent
from core.settings import Settings


@dataclass
class Resolved:
    hosts: list[str]
    unknown: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    named: bool = False  # some phrase named a positive target
    terms: list[str] = field(default_factory=list)  # what was recognised: 'group web', 'env=prod', 'host web-1'

    def problem(self) -> str | None:
        """Why these targets cannot be used, as a question for the user; None when they can."""
        if self.unknown:
            hints = [
                f"{u} (did you mean {', '.join(self.suggestions[u][:3])}?)" if self.suggestions.get(u) else u
                for u in self.unknown
            ]
            return f"These are not in the inventory: {'; '.join(hints)}. Which hosts do you mean?"
        if not self.named:
            return "Which hosts? Name hosts or groups from the inventory."
        if not self.hosts:
            return "Those targets leave no host at all. Which hosts do you mean?"
        return None


@runtime_checkable
class JobsPort(Protocol):
    def submit(
        self,
        conn: Any,
        intent: PatchIntent,
        *,
        requested_by: str,
        settings: Settings,
        inventory: Any,
        now: datetime,
        source: str | None = None,
    ) -> Any: ...
    def get_job(self, conn: Any, job_id: int) -> Any: ...
    def last_job(self, conn: Any, requested_by: str) -> Any: ...
    def active_jobs(self, conn: Any, requested_by: str | None) -> list[Any]: ...
    def request_cancel(self, conn: Any, job_id: int, *, by: str, source: str | None = None) -> Any: ...


@runtime_checkable
class KbPort(Protocol):
    def job_failures(self, conn: Any, job_id: int) -> list[dict[str, Any]]: ...


@runtime_checkable
class InventoryPort(Protocol):
    def refresh(self, conn: Any, settings: Settings, *, now: datetime) -> list[str]: ...


class ServiceInventory:
    """workers.inventory.service, as the tools use it: re-read the source, say what changed."""

    def refresh(self, conn: Any, settings: Settings, *, now: datetime) -> list[str]:
        from workers.inventory import service

        return service.describe(service.refresh(conn, settings, now=now))


class ServiceJobs:
    """workers.jobs.service, as the tools use it."""

    def submit(
        self,
        conn: Any,
        intent: PatchIntent,
        *,
        requested_by: str,
        settings: Settings,
        inventory: Any,
        now: datetime,
        source: str | None = None,
    ) -> Any:
        from workers.jobs import service

        return service.submit(
            conn, intent, requested_by=requested_by, settings=settings, inventory=inventory, now=now, source=source
        )

    def get_job(self, conn: Any, job_id: int) -> Any:
        from workers.jobs import service

        return service.get_job(conn, job_id)

    def last_job(self, conn: Any, requested_by: str) -> Any:
        from workers.jobs import service

        return service.last_job(conn, requested_by)

    def active_jobs(self, conn: Any, requested_by: str | None) -> list[Any]:
        from core.enums import JobStatus
        from workers.jobs import service

        out: list[Any] = []
        for status in JobStatus:
            if status.active:
                page = service.list_jobs(conn, requested_by=requested_by, status=status, limit=20)
                out += list(getattr(page, "items", page))
        return sorted(out, key=lambda j: j.id, reverse=True)

    def request_cancel(self, conn: Any, job_id: int, *, by: str, source: str | None = None) -> Any:
        from workers.jobs import service

        return service.request_cancel(conn, job_id, by=by, source=source)


class ServiceKb:
    """kb.service, as the tools use it."""

    def job_failures(self, conn: Any, job_id: int) -> list[dict[str, Any]]:
        from kb import service

        return [f.model_dump(mode="json") for f in service.job_failures(conn, job_id)]


class NoDatabase:
    """Jobs and KB when no database is attached: every call is refused, nothing can be queued."""

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise ServiceUnavailable("no job database is attached to this session (offline evaluation)")

    submit = get_job = last_job = active_jobs = request_cancel = job_failures = _refuse

    def refresh(self, conn: Any, settings: Settings, *, now: datetime) -> list[str]:
        raise ServiceUnavailable(
            "I cannot refresh the inventory: no database is attached to this session, so there is no stored "
            "inventory to update. Run `patchpilot inventory sync` where the database is reachable."
        )
