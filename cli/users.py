"""``patchpilot users``: manage users and API tokens from the shell (the actor is 'cli:<os user>')."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from core.auth import service
from core.auth.demo import TOKENS_FILE, ensure_demo_users
from core.auth.models import Role
from core.db import DictConn, commit, connect, rollback
from core.errors import PatchpilotError
from core.settings import get_settings

users_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)


def _actor() -> str:
    return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"


@contextmanager
def _conn() -> Iterator[DictConn]:
    from cli import services

    settings = services.ensure_db(get_settings())
    conn = connect(settings.db.url or "")
    try:
        yield conn
        commit(conn)
    except BaseException:
        rollback(conn)
        raise
    finally:
        conn.close()


def _fail(exc: PatchpilotError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    return typer.Exit(1)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="user name (as in SSO, if you use it)")],
    role: Annotated[list[Role], typer.Option("--role", "-r", help="repeat for several roles")],
) -> None:
    """Create a user with one or more roles."""
    try:
        with _conn() as conn:
            user = service.create_user(conn, name, role, by=_actor())
    except PatchpilotError as exc:
        raise _fail(exc) from None
    typer.echo(f"created {user.name} ({', '.join(user.roles)})")


@users_app.command("update")
def update(
    name: str,
    role: Annotated[list[Role] | None, typer.Option("--role", "-r", help="replace the roles")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable", help="switch the user on or off")] = None,
) -> None:
    """Change a user's roles, or disable/enable them."""
    try:
        with _conn() as conn:
            user = service.update_user(conn, name, roles=role or None, enabled=enabled, by=_actor())
    except PatchpilotError as exc:
        raise _fail(exc) from None
    typer.echo(f"{user.name}: {', '.join(user.roles) or 'no role'}{'' if user.enabled else ' (disabled)'}")


@users_app.command("token")
def token(
    name: str,
    expires_days: Annotated[int, typer.Option(help="days until it expires; 0 = never")] = 90,
    label: Annotated[str | None, typer.Option(help="a note to recognise it by")] = None,
) -> None:
    """Issue an API token and print it, once: it is not stored and cannot be shown again."""
    try:
        with _conn() as conn:
            issued = service.issue_token(conn, name, expires_days=expires_days or None, label=label, by=_actor())
    except PatchpilotError as exc:
        raise _fail(exc) from None
    expires = issued.info.expires_at.isoformat(timespec="minutes") if issued.info.expires_at else "never"
    typer.echo(issued.token)
    typer.echo(f"token {issued.info.id} ({issued.info.prefix}) for {name}, expires {expires}.", err=True)
    typer.echo("Keep it now: it is shown only this once. Use: Authorization: Bearer <token>", err=True)


@users_app.command("revoke")
def revoke(ref: Annotated[str, typer.Argument(help="token id, or its prefix as 'users list' shows it")]) -> None:
    """Revoke a token; it stops working at once."""
    try:
        with _conn() as conn:
            info = service.revoke_token(conn, ref, by=_actor())
    except PatchpilotError as exc:
        raise _fail(exc) from None
    typer.echo(f"revoked token {info.id} ({info.prefix}) of {info.user}")


@users_app.command("list")
def list_() -> None:
    """Users, their roles and their tokens (prefix, dates, state)."""
    with _conn() as conn:
        users = service.list_users(conn)
    for user in users:
        state = "" if user.enabled else "  [disabled]"
        typer.echo(f"{user.name}  roles: {', '.join(user.roles) or '-'}{state}")
        for t in user.tokens:
            if t.revoked_at:
                status = f"revoked {t.revoked_at:%Y-%m-%d}"
            elif t.expires_at:
                status = f"expires {t.expires_at:%Y-%m-%d}"
            else:
                status = "never expires"
            used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            typer.echo(f"    {t.id:>5}  {t.prefix}  {status}, {used}{f'  ({t.label})' if t.label else ''}")


@users_app.command("demo")
def demo() -> None:
    """Create the demo users (one per role) with fresh tokens, written to $PATCHPILOT_HOME/demo-tokens.json."""
    home = get_settings().home
    with _conn() as conn:
        tokens = ensure_demo_users(conn, home)
    typer.echo(f"{len(tokens)} demo tokens written to {home / TOKENS_FILE} (mode 0600)")
