"""Roles and the authenticated caller.

>>> Principal(name="ann", roles=frozenset({Role.operator}), via=AuthMethod.token).allows({Role.viewer})
True
>>> Principal(name="bob", roles=frozenset({Role.viewer}), via=AuthMethod.token).allows({Role.operator})
False
>>> sorted(effective_roles({Role.admin})) == sorted(Role)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# A user name: letters, digits and . _ @ - (so OIDC e-mail style names fit); same CHECK in 0003_auth.sql.
USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class Role(StrEnum):
    viewer = "viewer"  # read jobs and the KB
    operator = "operator"  # chat, submit, cancel own jobs
    approver = "approver"  # approve/reject other people's jobs on critical hosts
    kb_editor = "kb-editor"  # KB writes
    admin = "admin"  # everything: audit, users


class AuthMethod(StrEnum):
    token = "token"  # noqa: S105 - patchpilot API token (pp_...)
    oidc = "oidc"  # OIDC access/ID token (JWT) from the SSO provider
    dev_header = "dev-header"  # X-Patchpilot-User, development only


# What each role brings along; admin implies everything.
IMPLIED: dict[Role, frozenset[Role]] = {
    Role.viewer: frozenset(),
    Role.operator: frozenset({Role.viewer}),
    Role.approver: frozenset({Role.viewer}),
    Role.kb_editor: frozenset({Role.viewer}),
    Role.admin: frozenset(Role),
}


def effective_roles(roles: Iterable[Role]) -> frozenset[Role]:
    """The roles plus everything they imply."""
    out: set[Role] = set()
    for role in roles:
        out.add(role)
        out |= IMPLIED[role]
    return frozenset(out)


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Roles from their names; ``ValueError`` names the unknown one."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            raise ValueError(f"unknown role {value!r}; roles are {', '.join(r.value for r in Role)}") from None
    return frozenset(roles)


class Principal(BaseModel):
    """Who is calling, with which roles, authenticated how. Never carries the credential itself."""

    model_config = ConfigDict(frozen=True)

    name: str
    roles: frozenset[Role]
    via: AuthMethod

    def allows(self, wanted: Iterable[Role]) -> bool:
        """True when the caller holds (directly or by implication) at least one of ``wanted``."""
        return bool(effective_roles(self.roles) & set(wanted))

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles


class TokenInfo(BaseModel):
    """An API token as listings show it: never the token or its hash."""

    id: int
    user: str
    prefix: str
    label: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class User(BaseModel):
    name: str = Field(pattern=USER_NAME_PATTERN)
    roles: list[Role]
    enabled: bool = True
    created_at: datetime
    tokens: list[TokenInfo] = Field(default_factory=list)


class IssuedToken(BaseModel):
    """A freshly issued token: the only time its value is shown."""

    token: str
    info: TokenInfo
