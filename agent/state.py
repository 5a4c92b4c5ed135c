"""The conversation state kept by the checkpointer: messages plus what code decided."""

from __future__ import annotations

from typing import Any, NotRequired

from langchain.agents import AgentState

from core.intent import PatchIntent
from tools.proposal import Confirmed, Proposal


class ChatState(AgentState[Any]):
    """``intent``: the intent this turn produced (None = nothing yet; read its carried fields with ``carried()``).
    ``pending``: the proposal awaiting the human's confirmation (intent, summary, hosts_by_env, needs_approval,
    starts_at, token). ``job_id``: the job queued by the last confirmation. ``confirmed``: that confirmation's
    token and job id, so a repeated confirmation of the same proposal is told which job it already became."""

    intent: NotRequired[PatchIntent | None]
    pending: NotRequired[Proposal | None]
    job_id: NotRequired[int | None]
    confirmed: NotRequired[Confirmed | None]
