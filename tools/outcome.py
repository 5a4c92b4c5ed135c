"""How a tool reports back: a ToolMessage for the model plus the state it sets (intent in force, pending proposal)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import ToolMessage
from langgraph.types import Command

from core.enums import Action
from core.intent import PatchIntent
from tools.proposal import Proposal

NO_CHANGE = object()


def outcome(
    tool_call_id: str,
    text: str,
    *,
    intent: PatchIntent | None,
    kind: str,
    pending: Proposal | object | None = NO_CHANGE,
) -> Command[Any]:
    """``kind`` (artifact) tells readers what happened: proposed, clarify, reject, answered."""
    update: dict[str, Any] = {
        "messages": [ToolMessage(text, tool_call_id=tool_call_id, artifact={"outcome": kind})],
        "intent": intent,
    }
    if pending is not NO_CHANGE:
        update["pending"] = pending
    return Command(update=update)


def clarify(tool_call_id: str, text: str) -> Command[Any]:
    return outcome(tool_call_id, text, intent=PatchIntent(action=Action.clarify), kind="clarify", pending=None)


def reject(tool_call_id: str, text: str) -> Command[Any]:
    return outcome(tool_call_id, text, intent=PatchIntent(action=Action.reject), kind="reject", pending=None)
