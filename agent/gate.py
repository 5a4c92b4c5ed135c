"""Two gates around the model, in code: policy before it reads a message, confirmation before any job is queued.

``PolicyGate`` refuses a message that breaks policy (agent.policy.screen)
before the model sees it. ``ConfirmationGate`` ends every turn that leaves a
proposal pending with a human-in-the-loop ``interrupt`` carrying the proposal
(hosts by environment, options, schedule, approval, token). Only a resume of
``{"decision": "confirm", "token": <that token>}`` reaches ``tools.jobs.submit_job``.
"""

from __future__ import annotations

from typing import Any

from langchain.agents.middleware import AgentMiddleware, hook_config
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.policy import screen
from agent.reader.conversation import text_of
from agent.state import ChatState
from core.enums import Action
from core.errors import PatchpilotError
from core.intent import PatchIntent
from tools.context import ToolContext
from tools.jobs import submit_job
from tools.proposal import Confirmed, as_proposal


def _say(text: str, *, reset: bool = False) -> AIMessage:
    return AIMessage(text, name="patchpilot", additional_kwargs={"patchpilot_reset": True} if reset else {})


class PolicyGate(AgentMiddleware[ChatState, ToolContext]):
    state_schema = ChatState

    @hook_config(can_jump_to=["end"])
    def before_agent(self, state: ChatState, runtime: Runtime[ToolContext]) -> dict[str, Any] | None:
        update: dict[str, Any] = {"intent": None, "job_id": None}
        human = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)
        violation = screen(text_of(human)) if human is not None else None
        if violation is not None:
            update |= {
                "intent": PatchIntent(action=Action.reject),
                "pending": None,
                "messages": [_say(violation.message, reset=True)],
                "jump_to": "end",
            }
        return update


class ConfirmationGate(AgentMiddleware[ChatState, ToolContext]):
    state_schema = ChatState

    def after_agent(self, state: ChatState, runtime: Runtime[ToolContext]) -> dict[str, Any] | None:
        pending = as_proposal(state.get("pending"))
        if pending is None:
            return None
        decision = interrupt({"type": "confirm", **pending.public()})
        kind = decision.get("decision") if isinstance(decision, dict) else None
        if kind == "cancel":
            return {"pending": None, "messages": [_say("Dropped the proposal; nothing was queued.", reset=True)]}
        if kind != "confirm":
            return None  # the user wrote something else; the proposal waits until confirmed, replaced or dropped
        if decision.get("token") != pending.token:
            return {"messages": [_say("That confirmation does not match the current proposal; nothing was queued.")]}
        try:
            job = submit_job(runtime.context, pending)
        except PatchpilotError as exc:
            return {"pending": None, "messages": [_say(f"Not queued: {exc.message}", reset=True)]}
        hosts = ", ".join(pending.intent.hosts)
        text = f"Job {job.id} is {job.status.value} for {hosts}."
        if pending.needs_approval:
            text += " It waits for a second person's approval before it runs."
        return {
            "pending": None,
            "job_id": job.id,
            "confirmed": Confirmed(token=pending.token, job_id=job.id),
            "messages": [_say(text, reset=True)],
        }
