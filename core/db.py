"""The PostgreSQL connection pool (psycopg 3 + psycopg_pool, pgvector registered)."""

from __future__ import annotations

import logging

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


def _configure(conn: psycopg.Connection) -> None:
    # Registering needs the 'vector' type; before the first migration it does not exist yet.
    try:
        from pgvector.psycopg import register_vector

        register_vector(conn)
    except psycopg.ProgrammingError:
        log.debug("pgvector type not present yet; run 'patchpilot migrate'")
    conn.commit()


def make_pool(url: str, *, min_size: int = 1, max_size: int = 10, open_wait: bool = True) -> ConnectionPool:
    """A pool whose connections return dict rows and know the ``vector`` type."""
    pool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": False},
        configure=_configure,
        open=False,
    )
    pool.open(wait=open_wait, timeout=30)
    return pool


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """One connection with the same setup as the pool's (for CLI commands and tests)."""
    conn = psycopg.connect(url, row_factory=dict_row, autocommit=autocommit)  # type: ignore[arg-type]
    _configure(conn)
    return conn  # type: ignore[return-value]
