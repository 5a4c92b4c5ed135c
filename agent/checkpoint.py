"""Conversation state in PostgreSQL (langgraph-checkpoint-postgres), in its own schema ``chat``."""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

SCHEMA = "chat"


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
    saver = PostgresSaver(pool)
    saver.setup()
    return saver
