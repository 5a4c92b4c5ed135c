"""Users and API tokens: create, issue, revoke, authenticate. Takes a connection; never commits.

Every change is audited in the caller's transaction (actor = who did it).
Authentication failures are not audited here: the caller records them with
``record_failure`` in a transaction of its own, because the request that
failed rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from core import audit
from core.auth import repository as repo
from core.auth.errors import AuthFailed, FailReason, UserExists
from core.auth.models import (
    USER_NAME_PATTERN,
    AuthMethod,
    IssuedToken,
    Principal,
    Role,
    TokenInfo,
    User,
    parse_roles,
)
from core.auth.oidc import OidcIdentity, OidcVerifier
from core.auth.tokens import display_prefix, looks_like_api_token, looks_like_jwt, new_token, token_hash
from core.db import AsyncDictConn
from core.errors import Conflict, NotFound, ValidationFailed

Conn = repo.Conn
_NAME = re.compile(USER_NAME_PATTERN)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValidationFailed(
            "a user name is 1-64 characters: letters, digits and . _ @ -, starting with a letter or digit",
            field="name",
        )
    return name


def _user(row: dict[str, Any], tokens: list[dict[str, Any]] | None = None) -> User:
    return User(
        name=row["name"],
        roles=sorted(parse_roles(row["roles"])),
        enabled=row["enabled"],
        created_at=row["created_at"],
        tokens=[TokenInfo.model_validate(t) for t in tokens or []],
    )


def create_user(conn: Conn, name: str, roles: list[Role], *, by: str, source: str | None = None) -> User:
    """Create a user with ``roles``; ``UserExists`` when the name is taken."""
    row = repo.insert_user(conn, check_name(name), sorted(r.value for r in set(roles)))
    if row is None:
        raise UserExists(f"user {name!r} already exists; change their roles with PATCH /users/{name}")
    audit.record(
        conn,
        actor=by,
        action="user.create",
        object_type="user",
        object_id=name,
        source=source,
        detail={"roles": row["roles"]},
    )
    return _user(row)


def update_user(
    conn: Conn,
    name: str,
    *,
    roles: list[Role] | None = None,
    enabled: bool | None = None,
    by: str,
    source: str | None = None,
) -> User:
    """Change a user's roles and/or enable or disable them (a disabled user's tokens stop working)."""
    new_roles = sorted(r.value for r in set(roles)) if roles is not None else None
    before = repo.get_user(conn, name)
    row = repo.update_user(conn, name, roles=new_roles, enabled=enabled)
    if before is None or row is None:
        raise NotFound(f"user {name!r} does not exist")
    audit.record(
        conn,
        actor=by,
        action="user.update",
        object_type="user",
        object_id=name,
        source=source,
        detail={
            "roles": {"from": before["roles"], "to": row["roles"]},
            "enabled": {"from": before["enabled"], "to": row["enabled"]},
        },
    )
    return _user(row)


def get_user(conn: Conn, name: str) -> User:
    row = repo.get_user(conn, name)
    if row is None:
        raise NotFound(f"user {name!r} does not exist")
    return _user(row, repo.list_tokens(conn, name))


def list_users(conn: Conn) -> list[User]:
    """Every user with their tokens (prefixes and dates only)."""
    tokens: dict[str, list[dict[str, Any]]] = {}
    for t in repo.list_tokens(conn):
        tokens.setdefault(t["user"], []).append(t)
    return [_user(row, tokens.get(row["name"])) for row in repo.list_users(conn)]


def issue_token(
    conn: Conn,
    name: str,
    *,
    expires_days: int | None,
    by: str,
    label: str | None = None,
    source: str | None = None,
) -> IssuedToken:
    """A new API token for ``name``; the value is returned here once and never stored."""
    user = repo.get_user(conn, name)
    if user is None:
        raise NotFound(f"user {name!r} does not exist; create it first (patchpilot users add {name} --role ...)")
    if not user["enabled"]:
        raise ValidationFailed(f"user {name!r} is disabled; enable it before issuing a token")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise ValidationFailed("expires_days is between 1 and 3650 (or omitted for a token that never expires)")
    token = new_token()
    expires_at = repo.now(conn) + timedelta(days=expires_days) if expires_days else None
    row = repo.insert_token(
        conn,
        user_id=user["id"],
        sha256=token_hash(token),
        prefix=display_prefix(token),
        label=label,
        expires_at=expires_at,
    )
    audit.record(
        conn,
        actor=by,
        action="token.issue",
        object_type="token",
        object_id=row["id"],
        source=source,
        detail={
            "user": name,
            "prefix": row["prefix"],
            "label": label,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return IssuedToken(token=token, info=TokenInfo.model_validate(row))


def revoke_token(conn: Conn, ref: str, *, by: str, user: str | None = None, source: str | None = None) -> TokenInfo:
    """Revoke the token named by its id or display prefix (``pp_AbCd12``); idempotent.

    ``user``, when given, must own the token (the API's per-user route).
    """
    found = [t for t in repo.find_tokens(conn, ref.strip()) if user is None or t["user"] == user]
    if not found:
        raise NotFound(f"no token with id or prefix {ref!r}")
    if len(found) > 1:
        ids = ", ".join(f"{t['id']} ({t['prefix']}, {t['user']})" for t in found[:10])
        raise Conflict(f"{ref!r} names several tokens: {ids}; give the id")
    row = repo.revoke_token(conn, found[0]["id"])
    if row is None:  # already revoked: nothing changes, nothing to audit
        return TokenInfo.model_validate(found[0])
    audit.record(
        conn,
        actor=by,
        action="token.revoke",
        object_type="token",
        object_id=row["id"],
        source=source,
        detail={"user": row["user"], "prefix": row["prefix"]},
    )
    return TokenInfo.model_validate(row)


# --- authentication -----------------------------------------------------------------------------


def authenticate_bearer(conn: Conn, credential: str, oidc: OidcVerifier | None) -> Principal:
    """The principal for a bearer credential: a patchpilot API token or, when configured, an OIDC JWT."""
    if credential.startswith("pp_"):
        return authenticate_token(conn, credential)
    if looks_like_jwt(credential):
        if oidc is None:
            raise AuthFailed(FailReason.oidc_disabled)
        return oidc_principal(conn, oidc.verify(credential))
    raise AuthFailed(FailReason.malformed)


def oidc_principal(conn: Conn, identity: OidcIdentity) -> Principal:
    """The principal for a verified OIDC identity. An SSO user needs no row in ops.users, but a row that
    says "disabled" locks them out even with a valid token."""
    row = repo.get_user(conn, identity.name)
    if row is not None and not row["enabled"]:
        raise AuthFailed(FailReason.user_disabled, actor=identity.name)
    return Principal(name=identity.name, roles=identity.roles, via=AuthMethod.oidc)


def authenticate_token(conn: Conn, token: str) -> Principal:
    if not looks_like_api_token(token):
        raise AuthFailed(FailReason.malformed)
    row = repo.token_by_hash(conn, token_hash(token))
    principal = token_principal(row)
    if row is not None and row["use_stale"]:  # the lookup says whether a write is due: most requests cost one query
        repo.touch_token(conn, row["id"])
    return principal


async def authenticate_token_async(aconn: AsyncDictConn, token: str) -> Principal:
    """``authenticate_token`` on an asyncio connection in autocommit (the API's read pool): the same checks,
    read from the database on every request, so a revocation takes effect at once."""
    if not looks_like_api_token(token):
        raise AuthFailed(FailReason.malformed)
    row = await repo.token_by_hash_async(aconn, token_hash(token))
    principal = token_principal(row)
    if row is not None and row["use_stale"]:
        await repo.touch_token_async(aconn, row["id"])
    return principal


def token_principal(row: Mapping[str, Any] | None) -> Principal:
    """The principal a token row (``token_by_hash``, or its json form ``TOKEN_ROW_JSON``) admits; ``AuthFailed``
    for an unknown, revoked or expired token or a disabled user."""
    if row is None:
        raise AuthFailed(FailReason.unknown_token)
    note = f"token {row['id']} ({row['prefix']})"
    if row["revoked_at"] is not None:
        raise AuthFailed(FailReason.revoked, actor=row["user"], note=note)
    if row["expired"]:
        raise AuthFailed(FailReason.expired, actor=row["user"], note=note)
    if not row["enabled"]:
        raise AuthFailed(FailReason.user_disabled, actor=row["user"], note=note)
    return Principal(name=row["user"], roles=parse_roles(row["roles"]), via=AuthMethod.token)


def authenticate_dev_user(conn: Conn, name: str) -> Principal:
    """Development only: trust the name in X-Patchpilot-User, but take the roles from ops.users."""
    row = repo.get_user(conn, name) if _NAME.fullmatch(name) else None
    if row is None:
        raise AuthFailed(FailReason.unknown_user, note=f"dev header named {name[:64]!r}")
    if not row["enabled"]:
        raise AuthFailed(FailReason.user_disabled, actor=row["name"])
    return Principal(name=row["name"], roles=parse_roles(row["roles"]), via=AuthMethod.dev_header)


def record_failure(conn: Conn, failure: AuthFailed, *, source: str | None, method: str, path: str) -> None:
    """Audit one authentication failure (the reason, never the credential)."""
    detail: dict[str, Any] = {"reason": failure.reason.value, "method": method, "path": path[:512]}
    if failure.note:
        detail["note"] = failure.note
    audit.record(conn, actor=failure.actor, action="auth.failed", object_type="auth", source=source, detail=detail)


def record_denial(
    conn: Conn, principal: Principal, wanted: frozenset[Role], *, source: str | None, method: str, path: str
) -> None:
    """Audit a refused authorisation (authenticated, but without the role)."""
    audit.record(
        conn,
        actor=principal.name,
        action="auth.denied",
        object_type="auth",
        source=source,
        detail={
            "needs": sorted(wanted),
            "has": sorted(principal.roles),
            "via": principal.via.value,
            "method": method,
            "path": path[:512],
        },
    )
