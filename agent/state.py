"""The conversation state kept by the checkpointer: messages plus what code decided."""

from __future__ import annotations

from typing import Any, NotRequired

from langchain.agents import AgentState


class ChatState(AgentState[Any]):
    """``intent``: the intent this turn produced (carried fields; None = the agent only asked).
    ``pending``: the proposal awaiting the human's confirmation (intent, summary, hosts_by_env, needs_approval,
    starts_at, token). ``job_id``: the job queued by the last confirmation. ``confirmed``: that confirmation's
    token and job id, so a repeated confirmation of the same proposal is told which job it already became."""

    intent: NotRequired[dict[str, Any] | None]
    pending: NotRequired[dict[str, Any] | None]
    job_id: NotRequired[int | None]
    confirmed: NotRequired[dict[str, Any] | None]
