"""Helpers for the agent tests: the eval inventory, a recording jobs port, a session on an in-memory saver."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from agent.checkpoint import memory_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.enums import JobStatus
from core.settings import Settings

PROJECT_EVALS = Path(__file__).resolve().parents[2] / "evals"
INTENTS = PROJECT_EVALS / "intents.jsonl"
INVENTORY_PATH = PROJECT_EVALS / "inventory.yaml"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def inventory() -> Any:
    from core.inventory import Inventory

    return Inventory.load(INVENTORY_PATH)


class RecordingJobs:
    """A jobs port that records what was submitted (the real service is covered by integration tests)."""

    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(
        self,
        conn: Any,
        intent: Any,
        *,
        requested_by: str,
        settings: Any,
        inventory: Any,
        now: Any,
        source: str | None = None,
    ) -> Any:
        self.submitted.append(intent)
        self.now = now
        return SimpleNamespace(id=100 + len(self.submitted), status=JobStatus.queued)

    def get_job(self, conn: Any, job_id: int) -> Any:
        raise AssertionError("not used")

    def last_job(self, conn: Any, requested_by: str) -> Any:
        return None

    def active_jobs(self, conn: Any, requested_by: str | None) -> list[Any]:
        return []

    def request_cancel(self, conn: Any, job_id: int, *, by: str, source: str | None = None) -> Any:
        raise AssertionError("not used")


def session_and_context(
    jobs: RecordingJobs, settings: Settings | None = None, user: str = "alice"
) -> tuple[ChatSession, Any]:
    session = ChatSession(build_agent(OfflineRuleModel(), memory_checkpointer()))
    ctx = build_context(settings or Settings(), inventory(), user=user, conn=object(), now=NOW, jobs=jobs)
    return session, ctx
