"""Users and API tokens (admins), and who am I (everyone signed in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import client_ip, require
from api.deps import ConnDep
from core.auth import service
from core.auth.models import USER_NAME_PATTERN, AuthMethod, IssuedToken, Principal, Role, TokenInfo, User
from core.errors import ValidationFailed

router = APIRouter(prefix="/users", tags=["users"])

AdminDep = Annotated[Principal, Depends(require(Role.admin))]
NamePath = Annotated[str, Path(pattern=USER_NAME_PATTERN)]


class Me(BaseModel):
    name: str
    roles: list[Role]
    via: AuthMethod


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=USER_NAME_PATTERN)
    roles: list[Role] = Field(min_length=1, max_length=5)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[Role] | None = Field(default=None, max_length=5)
    enabled: bool | None = None


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_days: int | None = Field(default=90, ge=1, le=3650, description="null: the token never expires")
    label: str | None = Field(default=None, max_length=100)


@router.get("/me", summary="Who am I: the caller's name, roles and how they signed in")
def me(principal: Annotated[Principal, Depends(require(Role.viewer))]) -> Me:
    return Me(name=principal.name, roles=sorted(principal.roles), via=principal.via)


@router.get("", summary="List users and their tokens (prefixes and dates; never the tokens)")
def list_users(conn: ConnDep, admin: AdminDep) -> list[User]:
    return service.list_users(conn)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(body: NewUser, request: Request, conn: ConnDep, admin: AdminDep) -> User:
    """409 when the name is taken."""
    return service.create_user(conn, body.name, body.roles, by=admin.name, source=client_ip(request))


@router.patch("/{name}", summary="Change a user's roles, or disable/enable them")
def update_user(name: NamePath, body: UserChange, request: Request, conn: ConnDep, admin: AdminDep) -> User:
    """A disabled user's tokens and SSO logins stop working at once. Admins cannot lock themselves out."""
    if name == admin.name and (body.enabled is False or (body.roles is not None and Role.admin not in body.roles)):
        raise ValidationFailed("you cannot disable yourself or drop your own admin role; ask another admin")
    return service.update_user(
        conn, name, roles=body.roles, enabled=body.enabled, by=admin.name, source=client_ip(request)
    )


@router.post(
    "/{name}/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API token; its value is in this response only",
)
def issue_token(name: NamePath, body: NewToken, request: Request, conn: ConnDep, admin: AdminDep) -> IssuedToken:
    return service.issue_token(
        conn, name, expires_days=body.expires_days, label=body.label, by=admin.name, source=client_ip(request)
    )


@router.post("/{name}/tokens/{token_id}/revoke", summary="Revoke a token (idempotent)")
def revoke_token(
    name: NamePath, token_id: Annotated[int, Path(ge=1, le=2**62)], request: Request, conn: ConnDep, admin: AdminDep
) -> TokenInfo:
    return service.revoke_token(conn, str(token_id), user=name, by=admin.name, source=client_ip(request))
