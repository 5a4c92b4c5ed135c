"""Access-control errors (subclasses of core.errors; the API renders them with their headers)."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict, NotAuthenticated, PatchpilotError


class FailReason(StrEnum):
    """Why authentication failed: recorded in the audit trail, never with the credential."""

    missing = "missing"  # no Authorization header
    not_bearer = "not_bearer"  # another scheme, or an empty token
    malformed = "malformed"  # neither a pp_ token nor a JWT
    unknown_token = "unknown_token"  # noqa: S105 - a reason, not a credential
    expired = "expired"
    revoked = "revoked"
    user_disabled = "user_disabled"
    unknown_user = "unknown_user"  # dev header naming nobody
    oidc_disabled = "oidc_disabled"  # a JWT, but no OIDC issuer is configured
    bad_signature = "bad_signature"
    unknown_key = "unknown_key"  # the JWT's kid is not in the JWKS
    bad_claims = "bad_claims"  # issuer, audience, nbf/iat or a required claim
    no_username = "no_username"


_MESSAGES = {
    FailReason.missing: "Sign in first: send 'Authorization: Bearer <token>'.",
    FailReason.not_bearer: "Send the credential as 'Authorization: Bearer <token>'.",
    FailReason.expired: "The token has expired; ask an admin for a new one (patchpilot users token NAME).",
    FailReason.revoked: "The token was revoked; ask an admin for a new one.",
    FailReason.user_disabled: "This user is disabled.",
}


class AuthFailed(NotAuthenticated):
    """The credential was not accepted."""

    code = "not_authenticated"

    def __init__(self, reason: FailReason, *, actor: str = "anonymous", note: str | None = None) -> None:
        # ``reason`` goes to the client; ``actor`` and ``note`` only to the audit trail.
        super().__init__(_MESSAGES.get(reason, "The credential was not accepted."), reason=reason.value)
        self.reason, self.actor, self.note = reason, actor, note

    @property
    def www_authenticate(self) -> str:
        if self.reason is FailReason.missing:
            return 'Bearer realm="patchpilot"'
        return 'Bearer realm="patchpilot", error="invalid_token"'


class UserExists(Conflict):
    """A user with that name already exists."""

    code = "user_exists"


class RateLimited(PatchpilotError):
    """Too many requests; wait and try again."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
