"""The typed records a chat keeps between turns: the proposal awaiting confirmation and the confirmation it got.

The checkpointer stores them as models (agent.checkpoint allow-lists these types), so the intent stays one
``PatchIntent`` from the tool that proposed it to the jobs service that queues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from core.intent import PatchIntent

# What a client may see of a proposal (the confirmation card); ``critical`` is for the gate only.
PUBLIC_FIELDS = ("intent", "summary", "hosts_by_env", "needs_approval", "starts_at", "token")


class Proposal(BaseModel):
    """A proposed job: the validated intent, what the user is shown, and the token that confirms it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: PatchIntent
    summary: str
    hosts_by_env: dict[str, list[str]] = Field(default_factory=dict)
    needs_approval: bool = False
    critical: list[str] = Field(default_factory=list)
    starts_at: datetime
    token: str = Field(min_length=6)

    @field_serializer("starts_at")
    def _iso(self, v: datetime) -> str:
        return v.isoformat()

    def public(self) -> dict[str, Any]:
        """The confirmation card, JSON-ready (the API's ``Pending`` minus its risk assessment)."""
        return self.model_dump(mode="json", include=set(PUBLIC_FIELDS))


class Confirmed(BaseModel):
    """The last confirmation of this conversation: a repeat of its token is told which job it became."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str
    job_id: int


def as_proposal(value: Proposal | Mapping[str, Any] | None) -> Proposal | None:
    """The pending proposal from the state; a conversation checkpointed before proposals were typed held a dict."""
    if value is None or isinstance(value, Proposal):
        return value
    return Proposal.model_validate(dict(value)) if value else None


def as_confirmed(value: Confirmed | Mapping[str, Any] | None) -> Confirmed | None:
    if value is None or isinstance(value, Confirmed):
        return value
    return Confirmed.model_validate(dict(value)) if value else None


def as_intent(value: PatchIntent | Mapping[str, Any] | None) -> PatchIntent | None:
    if value is None or isinstance(value, PatchIntent):
        return value
    return PatchIntent.model_validate(dict(value)) if value else None
