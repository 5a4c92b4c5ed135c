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
from tools.ports import InventoryPort, JobsPort, KbPort, NoDatabase, ServiceInventory, ServiceJobs, ServiceKb


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
    sync: InventoryPort | None = None,
) -> ToolContext:
    """Without a connection, jobs, KB and inventory refresh refuse every call (nothing can be queued or synced)."""
    if conn is None:
        jobs, kb, sync = jobs or NoDatabase(), kb or NoDatabase(), sync or NoDatabase()
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
        sync=sync or ServiceInventory(),
    )
