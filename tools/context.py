"""What tools receive from the runtime, never from the model: who is asking, the DB, the inventory, settings.

The agent builds one ToolContext per turn (agent/context.py) and passes it as
the LangGraph runtime context; tools read it through ``ToolRuntime.context``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.settings import Settings
from tools.ports import InventoryPort, JobsPort, KbPort, NoDatabase, Resolved


@dataclass
class ToolContext:
    user: str
    settings: Settings
    inventory: Any  # core.inventory.Inventory
    jobs: JobsPort
    kb: KbPort
    read_when: Callable[[str, datetime], datetime | None]
    read_targets: Callable[[Any, list[str]], Resolved]  # the agent's reader: (inventory, target words) -> hosts
    conn: Any = None  # psycopg connection; None when no database is attached (the eval)
    fixed_now: datetime | None = None
    source: str | None = None
    suggest: Callable[[str], str] | None = None  # LLM suggestion for a failure no KB entry matches
    sync: InventoryPort = field(default_factory=NoDatabase)  # "refresh the inventory"; refuses without a database

    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)
