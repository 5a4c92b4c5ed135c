"""Inventory tool: re-read the inventory source now ("refresh the inventory", "reload hosts from AWX").

The answer is the sync's own description (workers.inventory.service.describe): the source, the counts and what
changed, or why it failed (the previous inventory is kept). Without a database the port refuses and the user is
told plainly that nothing was refreshed.
"""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import tool
from langgraph.types import Command

from core.enums import Action
from core.errors import PatchpilotError
from core.intent import PatchIntent
from tools.context import ToolContext
from tools.outcome import outcome


@tool("refresh_inventory", return_direct=True)
def refresh_inventory(runtime: ToolRuntime[ToolContext]) -> Command[Any]:
    """Re-read the inventory source (AWX or the inventory file) now and report what changed. Use when the user
    asks to refresh, resync or reload the inventory or its hosts. Changes no server."""
    ctx, call_id = runtime.context, runtime.tool_call_id or ""
    try:
        text = "\n".join(ctx.sync.refresh(ctx.conn, ctx.settings, now=ctx.now()))
    except PatchpilotError as exc:
        text = exc.message
    return outcome(call_id, text, intent=PatchIntent(action=Action.status), kind="answered")
