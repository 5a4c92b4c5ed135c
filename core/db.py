"""The PostgreSQL connection pool (psycopg 3 + psycopg_pool, pgvector registered)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeAlias, cast

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

DictConn: TypeAlias = psycopg.Connection[dict[str, Any]]
Pool: TypeAlias = ConnectionPool[DictConn]
AsyncDictConn: TypeAlias = psycopg.AsyncConnection[dict[str, Any]]
AsyncPool: TypeAlias = AsyncConnectionPool[AsyncDictConn]

log = logging.getLogger(__name__)


def _configure(conn: DictConn) -> None:
    # Registering needs the 'vector' type; before the first migration it does not exist yet.
    try:
        from pgvector.psycopg import register_vector

        register_vector(conn)
    except psycopg.ProgrammingError:
        log.debug("pgvector type not present yet; run 'patchpilot migrate'")
    conn.commit()


def make_pool(url: str, *, min_size: int = 1, max_size: int = 10, open_now: bool = True) -> Pool:
    """A pool whose connections return dict rows and know the ``vector`` type."""
    pool: Pool = ConnectionPool(
        url,
        connection_class=DictConn,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": False},
        configure=_configure,
        open=False,
    )
    if open_now:
        pool.open(wait=True, timeout=30)
    return pool


def make_read_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncPool:
    """An asyncio pool of autocommit connections for the API's hot reads: each statement is one round trip,
    awaited on the event loop instead of a thread-pool hop. Never for writes (they keep one transaction on
    the sync pool). Closed; the caller opens it (``await pool.open()``) on the loop that will use it."""
    return AsyncConnectionPool(
        url,
        connection_class=AsyncDictConn,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=False,
    )


def connect(url: str, *, autocommit: bool = False) -> DictConn:
    """One connection with the same setup as the pool's (for CLI commands and tests)."""
    conn = cast(DictConn, psycopg.connect(url, row_factory=dict_row, autocommit=autocommit))
    _configure(conn)
    return conn


# --- after-commit hooks ----------------------------------------------------
# Celery messages are sent only after the commit that created their row
# (STYLE.md). Services register a callback; the boundary (API request, task,
# CLI) calls ``commit`` which commits and then runs them.

_after_commit: dict[int, list[Callable[[], None]]] = {}


def on_commit(conn: Any, fn: Callable[[], None]) -> None:
    """Run ``fn`` after ``conn``'s current transaction commits (dropped on rollback)."""
    _after_commit.setdefault(id(conn), []).append(fn)


def commit(conn: Any) -> None:
    conn.commit()
    for fn in _after_commit.pop(id(conn), []):
        try:
            fn()
        except Exception:  # a lost message is recovered by the beat sweeper
            log.exception("after-commit callback failed")


def has_hooks(conn: Any) -> bool:
    """True when after-commit callbacks wait on ``conn``'s transaction."""
    return bool(_after_commit.get(id(conn)))


def discard_hooks(conn: Any) -> None:
    """Forget the after-commit callbacks registered on ``conn`` (the benchmark's baseline dispatches its own)."""
    _after_commit.pop(id(conn), None)


def rollback(conn: Any) -> None:
    _after_commit.pop(id(conn), None)
    conn.rollback()
