"""A chat session over the agent graph: send a message, confirm or drop the pending proposal.

Used by the API, the CLI and the eval, so all three run the same code. The
thread is keyed by user and session, so nobody can confirm another user's
proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from agent.reader.conversation import text_of
from core.errors import Conflict
from core.redact import redact
from tools.context import ToolContext
from tools.proposal import Proposal, as_confirmed, as_intent, as_proposal


@dataclass
class TurnResult:
    """A turn as clients see it: the reply, the confirmation card (``Proposal.public()``) and the intent's carried
    fields (the eval format of evals/README.md), both JSON-ready."""

    reply: str
    pending: dict[str, Any] | None
    job_id: int | None
    intent: dict[str, Any]


class ChatSession:
    def __init__(self, graph: Any) -> None:
        self.graph = graph

    @staticmethod
    def config(ctx: ToolContext, session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{ctx.user}/{session_id}"}}

    def _waiting(self, config: dict[str, Any]) -> dict[str, Any] | None:
        snap = self.graph.get_state(config)
        for it in snap.interrupts or ():
            if isinstance(it.value, dict) and it.value.get("type") == "confirm":
                return it.value
        return None

    def _result(self, config: dict[str, Any], before: int) -> TurnResult:
        values = self.graph.get_state(config).values
        new: list[BaseMessage] = values.get("messages", [])[before:]
        replies = [text_of(m) for m in new if isinstance(m, AIMessage | ToolMessage) and text_of(m).strip()]
        pending = as_proposal(values.get("pending"))
        intent = as_intent(values.get("intent"))
        return TurnResult(
            reply=replies[-1] if replies else "",
            pending=pending.public() if pending else None,
            job_id=values.get("job_id"),
            intent=intent.carried() if intent else {"action": "clarify"},
        )

    def pending(self, ctx: ToolContext, session_id: str) -> Proposal | None:
        """The proposal awaiting confirmation in this session, if any."""
        return as_proposal((self.graph.get_state(self.config(ctx, session_id)).values or {}).get("pending"))

    def _count(self, config: dict[str, Any]) -> int:
        return len(self.graph.get_state(config).values.get("messages", []))

    def send(self, ctx: ToolContext, session_id: str, message: str) -> TurnResult:
        config = self.config(ctx, session_id)
        if (
            self._waiting(config) is not None
        ):  # the user wrote instead of confirming: close the prompt, keep the proposal
            self.graph.invoke(Command(resume={"decision": "message"}), config, context=ctx)
        before = self._count(config)
        # Secrets never reach the checkpointer or a model: the message is redacted first.
        self.graph.invoke({"messages": [HumanMessage(redact(message))]}, config, context=ctx)
        return self._result(config, before)

    def confirm(self, ctx: ToolContext, session_id: str, token: str) -> TurnResult:
        """Queue the pending proposal if ``token`` is its token; Conflict otherwise (nothing queued)."""
        config = self.config(ctx, session_id)
        self._serialise(ctx, config)
        waiting = self._waiting(config)
        if waiting is None:
            confirmed = as_confirmed(self.graph.get_state(config).values.get("confirmed"))
            if confirmed is not None and confirmed.token == token:
                raise Conflict(f"this proposal was already confirmed: it is job {confirmed.job_id}")
            raise Conflict("nothing is awaiting confirmation in this session; ask for a job first")
        if token != waiting["token"]:
            raise Conflict(
                "that token does not match the current proposal (it changed or was dropped); "
                "confirm the latest proposal"
            )
        before = self._count(config)
        self.graph.invoke(Command(resume={"decision": "confirm", "token": token}), config, context=ctx)
        return self._result(config, before)

    @staticmethod
    def _serialise(ctx: ToolContext, config: dict[str, Any]) -> None:
        """Confirmations of one conversation run one at a time: a transaction-scoped advisory lock on the
        caller's connection, held until it commits the job. A second confirmation of the same proposal then
        finds it already confirmed instead of racing it (and, without a database, there is nothing to race)."""
        execute = getattr(ctx.conn, "execute", None)
        if execute is not None:
            thread = config["configurable"]["thread_id"]
            execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", (f"patchpilot.chat:{thread}",))

    def drop(self, ctx: ToolContext, session_id: str) -> TurnResult:
        config = self.config(ctx, session_id)
        if self._waiting(config) is None:
            raise Conflict("nothing is awaiting confirmation in this session")
        before = self._count(config)
        self.graph.invoke(Command(resume={"decision": "cancel"}), config, context=ctx)
        return self._result(config, before)
