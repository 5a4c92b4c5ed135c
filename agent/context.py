"""Build the runtime context tools receive (identity, connection, inventory, settings), from Settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.graph import make_model
from agent.reader.resolve import resolve_phrases
from agent.reader.when import parse_when
from agent.suggest import make_suggester
from core.settings import Settings
from tools.context import ToolContext
from tools.ports import JobsPort, KbPort, NoDatabase, ServiceJobs, ServiceKb


def build_context(
    settings: Settings,
    inventory: Any,
    *,
    user: str,
    conn: Any = None,
    now: datetime | None = None,
    source: str | None = None,
    jobs: JobsPort | None = None,
    kb: KbPort | None = None,
) -> ToolContext:
    """Without a connection, jobs and KB refuse every call (nothing can be queued)."""
    if conn is None:
        jobs, kb = jobs or NoDatabase(), kb or NoDatabase()
    suggest = make_suggester(make_model(settings)) if settings.llm_enabled else None
    return ToolContext(
        user=user,
        settings=settings,
        inventory=inventory,
        jobs=jobs or ServiceJobs(),
        kb=kb or ServiceKb(),
        read_when=parse_when,
        read_targets=resolve_phrases,
        conn=conn,
        fixed_now=now,
        source=source,
        suggest=suggest,
    )
