"""FastAPI dependencies: the request owns the transaction (commit on success, then after-commit hooks).

Commit, then answer: since FastAPI 0.118 the exit code of a dependency with ``yield`` runs *after* the
response has been sent, unless the dependency is declared ``scope="function"`` (FastAPI >= 0.121), which
runs it when the handler returns, before the response is built. ``ConnDep`` is function-scoped, so a client
that receives a 202 can read what it created at once (tests/integration/test_commit_race.py, 504 of 504);
request-scoped, 6 of those reads were 404.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from psycopg.pq import TransactionStatus
from psycopg_pool import PoolTimeout

from api.auth import PrincipalDep
from core.db import DictConn, commit, has_hooks, rollback
from core.settings import Settings

Conn = DictConn
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_conn(request: Request) -> AsyncIterator[Conn]:
    """A pooled connection for this request; committed before the response if the handler succeeds, else rolled
    back.

    Reads (GET/HEAD/OPTIONS) run in autocommit: each query is one round trip, without a BEGIN and a COMMIT
    around them, and taking and returning the connection needs no I/O, so it happens on the event loop
    instead of costing two thread-pool hops. Writes keep one transaction, committed in the thread pool.
    ``GET /jobs/{id}`` went from 5 round trips and 4 hops to 3 and 2 (bench/api.py).
    """
    pool = request.app.state.pool
    if pool.closed:
        await run_in_threadpool(pool.open, True, 30)
    try:
        conn = pool.getconn(timeout=0)  # an idle connection: no I/O, no wait
    except PoolTimeout:
        conn = await run_in_threadpool(pool.getconn)
    read_only = request.method in _SAFE_METHODS
    try:
        conn.autocommit = read_only
    except BaseException:
        await run_in_threadpool(pool.putconn, conn)
        raise
    try:
        yield conn
    except BaseException:
        await _end(pool, conn, rollback, read_only)
        raise
    else:
        await _end(pool, conn, commit, read_only)


async def _end(pool: Any, conn: Conn, end: Callable[[Conn], None], read_only: bool) -> None:
    """Commit (or roll back) and return the connection to the pool, in one thread-pool hop; on the event loop
    for a read in autocommit, which has nothing to commit, roll back or reset (no I/O)."""

    def finish() -> None:
        try:
            end(conn)
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.autocommit = False
            pool.putconn(conn)

    idle = conn.info.transaction_status == TransactionStatus.IDLE
    if read_only and idle and not has_hooks(conn):
        finish()
    else:
        await run_in_threadpool(finish)


@contextlib.contextmanager
def pooled_connection(request: Request) -> Iterator[Conn]:
    """A connection from the app's sync pool for a read outside ``get_conn`` (committed, i.e. ended, on exit)."""
    pool = request.app.state.pool
    if pool.closed:
        pool.open(wait=True, timeout=30)
    with pool.connection() as conn:
        yield conn


def current_user(principal: PrincipalDep) -> str:
    """The authenticated caller's name (api.auth decides who that is; 401 when nobody)."""
    return principal.name


def client_source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ConnDep = Annotated[Conn, Depends(get_conn, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_inventory(request: Request, conn: ConnDep, settings: SettingsDep) -> Any:
    """The stored inventory snapshot (cached per app, keyed on the sync that wrote it); 503 before the first
    AWX sync."""
    return request.app.state.inventory_cache.current(conn, settings)


UserDep = Annotated[str, Depends(current_user)]
InventoryDep = Annotated[Any, Depends(get_inventory)]
SourceDep = Annotated[str, Depends(client_source)]
