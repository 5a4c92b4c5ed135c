"""SQL for users and API tokens; the only module that runs it. Takes a connection, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db import AsyncDictConn, DictConn
from core.sql import Queries

Q = Queries(__file__)
Conn = DictConn
Row = dict[str, Any]


def insert_user(conn: Conn, name: str, roles: list[str]) -> Row | None:
    """The new user, or None when the name is taken."""
    return conn.execute(Q.insert_user, {"name": name, "roles": roles}).fetchone()


def get_user(conn: Conn, name: str) -> Row | None:
    return conn.execute(Q.get_user, {"name": name}).fetchone()


def list_users(conn: Conn) -> list[Row]:
    return conn.execute(Q.list_users).fetchall()


def update_user(conn: Conn, name: str, *, roles: list[str] | None, enabled: bool | None) -> Row | None:
    return conn.execute(Q.update_user, {"name": name, "roles": roles, "enabled": enabled}).fetchone()


def insert_token(
    conn: Conn, *, user_id: int, sha256: str, prefix: str, label: str | None, expires_at: datetime | None
) -> Row:
    params = {"user_id": user_id, "sha256": sha256, "prefix": prefix, "label": label, "expires_at": expires_at}
    row = conn.execute(Q.insert_token, params).fetchone()
    assert row is not None
    return row


def token_by_hash(conn: Conn, sha256: str) -> Row | None:
    return conn.execute(Q.token_by_hash, {"sha256": sha256}).fetchone()


def touch_token(conn: Conn, token_id: int) -> None:
    conn.execute(Q.touch_token, {"id": token_id})


async def token_by_hash_async(aconn: AsyncDictConn, sha256: str) -> Row | None:
    """``token_by_hash`` awaited on the event loop (the API's read pool)."""
    cur = await aconn.execute(Q.token_by_hash, {"sha256": sha256})
    return await cur.fetchone()


# ``token_by_hash`` as one SQL value (its row as json; NULL for no such token), parameter ``%(sha256)s``: a read
# that must be authorised can carry the token check in its own statement (one round trip, not two). The json row
# has token_by_hash's keys; ``revoked_at`` is a string there, read only for being null.
TOKEN_ROW_JSON = f"SELECT row_to_json(t) FROM ({Q.token_by_hash.rstrip().removesuffix(';')}) t"


async def touch_token_async(aconn: AsyncDictConn, token_id: int) -> None:
    await aconn.execute(Q.touch_token, {"id": token_id})


def list_tokens(conn: Conn, user: str | None = None) -> list[Row]:
    return conn.execute(Q.list_tokens, {"user": user}).fetchall()


def find_tokens(conn: Conn, ref: str) -> list[Row]:
    token_id = int(ref) if ref.isdigit() and len(ref) < 19 else None
    return conn.execute(Q.find_tokens, {"id": token_id, "ref": ref}).fetchall()


def revoke_token(conn: Conn, token_id: int) -> Row | None:
    """The revoked token, or None when it was already revoked."""
    return conn.execute(Q.revoke_token, {"id": token_id}).fetchone()


def revoke_labelled(conn: Conn, user_id: int, label: str) -> None:
    conn.execute(Q.revoke_labelled, {"user_id": user_id, "label": label})


def now(conn: Conn) -> datetime:
    row = conn.execute(Q.now).fetchone()
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]
