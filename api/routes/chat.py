"""Chat with the agent: propose a job in plain words, then confirm it by token (nothing runs before)."""

from __future__ import annotations

import re
import threading
from typing import Any

from fastapi import APIRouter, Depends, Request
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field

from agent.checkpoint import postgres_checkpointer
from agent.context import build_context
from agent.graph import build_agent, make_model
from agent.reader.conversation import text_of
from agent.session import ChatSession, TurnResult
from api.auth import require
from api.deps import ConnDep, InventoryDep, SettingsDep, SourceDep, UserDep
from api.ratelimit import chat_rate_limit
from core.auth.models import Role
from core.errors import ValidationFailed
from core.risk import RiskAssessment, assess_intent
from tools.proposal import as_proposal

router = APIRouter(prefix="/chat", tags=["chat"])
_lock = threading.Lock()


class ChatIn(BaseModel):
    session_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    message: str = Field(min_length=1, max_length=20_000)


class ConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=100)
    typed: str | None = Field(
        default=None,
        max_length=20,
        description="for a high-risk proposal: what the user typed to confirm it (its risk's confirm_phrase)",
    )


class Pending(BaseModel):
    intent: dict[str, Any]
    summary: str
    hosts_by_env: dict[str, list[str]]
    needs_approval: bool
    starts_at: str
    token: str
    risk: RiskAssessment | None = None


class ChatOut(BaseModel):
    reply: str
    pending: Pending | None = None
    job_id: int | None = None


class ConfirmOut(BaseModel):
    reply: str
    job_id: int | None = None


class Message(BaseModel):
    role: str = Field(description="user or assistant")
    text: str


class ChatHistory(BaseModel):
    messages: list[Message]
    pending: Pending | None = None
    job_id: int | None = None


def chat_session(request: Request) -> ChatSession:
    """One agent per process, its conversations checkpointed in PostgreSQL (a chat survives a restart)."""
    state = request.app.state
    with _lock:
        if getattr(state, "chat_session", None) is None:
            url = state.settings.db.url or state.pool.conninfo
            state.chat_session = ChatSession(build_agent(make_model(state.settings), postgres_checkpointer(url)))
    return state.chat_session  # type: ignore[no-any-return]


_ANY_TOKEN = re.compile(r"\s*\(token [A-Za-z0-9_-]{6,}\)")


def _without_token(reply: str, token: str | None) -> str:
    """The confirmation token is for the client's Confirm call, not for people to read or paste."""
    reply = _ANY_TOKEN.sub("", reply)
    if not token:
        return reply
    reply = re.sub(rf"\s*\((?:token\s+)?{re.escape(token)}\)", "", reply)
    return reply.replace(token, "")


def _out(result: TurnResult, inventory: Any) -> ChatOut:
    pending = None
    if result.pending:
        pending = Pending.model_validate(
            result.pending | {"risk": assess_intent(inventory, result.pending.get("intent") or {})}
        )
    reply = _without_token(result.reply, pending.token if pending else None)
    return ChatOut(reply=reply, pending=pending, job_id=result.job_id)


@router.post(
    "",
    response_model=ChatOut,
    summary="Send a chat message",
    dependencies=[Depends(require(Role.operator)), Depends(chat_rate_limit)],
)
def post_message(
    body: ChatIn,
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: UserDep,
    inventory: InventoryDep,
    source: SourceDep,
) -> ChatOut:
    """The agent's reply. When it proposes a job, ``pending`` holds the confirmation (hosts by environment,
    options, start time, whether a second person must approve), its ``risk`` (level, one line of reasons,
    per-host environment and critical badges, and for a high risk the phrase the user types to confirm),
    and the ``token`` to confirm it with (never repeated in ``reply``)."""
    ctx = build_context(settings, inventory, user=user, conn=conn, source=source)
    return _out(chat_session(request).send(ctx, body.session_id, body.message), inventory)


@router.post(
    "/{session_id}/confirm",
    response_model=ConfirmOut,
    summary="Confirm the pending proposal",
    dependencies=[Depends(require(Role.operator))],
)
def confirm(
    session_id: str,
    body: ConfirmIn,
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: UserDep,
    inventory: InventoryDep,
    source: SourceDep,
) -> ConfirmOut:
    """Queue the proposal whose token this is. 409 when nothing is pending or the token is stale; 422 when
    the proposal is high risk and ``typed`` is not its ``risk.confirm_phrase`` (the host count)."""
    ctx = build_context(settings, inventory, user=user, conn=conn, source=source)
    session = chat_session(request)
    pending = session.pending(ctx, session_id)
    if pending is not None and pending.token == body.token:
        risk = assess_intent(inventory, pending.public()["intent"])
        if risk is not None and risk.confirm_phrase and (body.typed or "").strip() != risk.confirm_phrase:
            raise ValidationFailed(
                f"this proposal is high risk ({risk.line}); nothing was queued. Confirm it with typed="
                f"{risk.confirm_phrase} (the number of hosts), as the user typed it",
                field="typed",
            )
    result = session.confirm(ctx, session_id, body.token)
    return ConfirmOut(reply=result.reply, job_id=result.job_id)


@router.get(
    "/{session_id}",
    response_model=ChatHistory,
    summary="The conversation of a session so far",
    dependencies=[Depends(require(Role.operator))],
)
def get_history(
    session_id: str, request: Request, conn: ConnDep, settings: SettingsDep, user: UserDep, inventory: InventoryDep
) -> ChatHistory:
    """Each message you sent with the reply it got, and the proposal still waiting for you (a reloaded page
    shows the same conversation). Sessions are per user: another user's session id reads as empty."""
    ctx = build_context(settings, inventory, user=user, conn=conn)
    values = chat_session(request).graph.get_state(ChatSession.config(ctx, session_id)).values or {}
    messages: list[Message] = []
    reply: str | None = None
    for m in values.get("messages", []):
        if isinstance(m, HumanMessage):
            if reply:
                messages.append(Message(role="assistant", text=reply))
            reply = None
            messages.append(Message(role="user", text=text_of(m)))
        elif isinstance(m, AIMessage | ToolMessage) and text_of(m).strip():
            reply = text_of(m)
    if reply:
        messages.append(Message(role="assistant", text=reply))
    raw = as_proposal(values.get("pending"))
    pending = None
    if raw is not None:
        card = raw.public()
        pending = Pending.model_validate(card | {"risk": assess_intent(inventory, card["intent"])})
        messages = [Message(role=m.role, text=_without_token(m.text, pending.token)) for m in messages]
    return ChatHistory(messages=messages, pending=pending, job_id=values.get("job_id"))


@router.delete(
    "/{session_id}/pending",
    response_model=ChatOut,
    summary="Drop the pending proposal",
    dependencies=[Depends(require(Role.operator))],
)
def drop_pending(
    session_id: str, request: Request, conn: ConnDep, settings: SettingsDep, user: UserDep, inventory: InventoryDep
) -> ChatOut:
    """Forget the proposal awaiting confirmation; nothing is queued. 409 when nothing is pending."""
    ctx = build_context(settings, inventory, user=user, conn=conn)
    return _out(chat_session(request).drop(ctx, session_id), inventory)
