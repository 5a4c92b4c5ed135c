"""FastAPI dependencies: the request owns the transaction (commit on success, then after-commit hooks).

Commit, then answer: since FastAPI 0.118 the exit code of a dependency with ``yield`` runs *after* the
response has been sent, unless the dependency is declared ``scope="function"`` (FastAPI >= 0.121), which
runs it when the handler returns, before the response is built. ``ConnDep`` is function-scoped, so a client
that receives a 202 can read what it created at once (tests/integration/test_commit_race.py, 504 of 504);
request-scoped, 6 of those reads were 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request

from api.auth import PrincipalDep
from core.db import DictConn, commit, rollback
from core.settings import Settings

Conn = DictConn


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_conn(request: Request) -> Iterator[Conn]:
    """A pooled connection for this request; committed if the handler succeeds, rolled back otherwise."""
    pool = request.app.state.pool
    if pool.closed:
        pool.open(wait=True, timeout=30)
    with pool.connection() as conn:
        try:
            yield conn
        except BaseException:
            rollback(conn)
            raise
        else:
            commit(conn)


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
