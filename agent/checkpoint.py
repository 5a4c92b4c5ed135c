"""Conversation state in PostgreSQL (langgraph-checkpoint-postgres), in its own schema ``chat``."""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from core.enums import Action, RebootPolicy
from core.intent import PatchIntent
from tools.proposal import Confirmed, Proposal

SCHEMA = "chat"
# The typed values the chat state holds (agent.state.ChatState): revived as these models, and nothing else is.
STATE_TYPES: tuple[type, ...] = (PatchIntent, Proposal, Confirmed, Action, RebootPolicy)


def serializer() -> JsonPlusSerializer:
    """The checkpoint serializer, with the chat state's own types allow-listed (every saver uses it)."""
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


def postgres_checkpointer(url: str, *, max_size: int = 4) -> PostgresSaver:
    """A PostgresSaver on its own small pool (autocommit, as the saver requires); tables created if missing."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "prepare_threshold": 0,
        "row_factory": dict_row,
        "options": f"-c search_path={SCHEMA}",
    }
    pool: ConnectionPool[Any] = ConnectionPool(url, min_size=1, max_size=max_size, kwargs=kwargs, open=True)
    saver = PostgresSaver(pool, serde=serializer())
    saver.setup()
    return saver


def memory_checkpointer() -> InMemorySaver:
    """Conversation state in this process only (the CLI's offline chat, the eval, tests), same serializer."""
    return InMemorySaver(serde=serializer())
