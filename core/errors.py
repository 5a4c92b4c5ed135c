"""The one error tree. Each class's docstring is its default message.

API-facing errors carry an HTTP status; the API renders every PatchpilotError
through one handler as ``{"error": code, "detail": message, ...}``.
"""

from __future__ import annotations

from typing import Any


class PatchpilotError(Exception):
    """Something went wrong in patchpilot."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str | None = None, **context: Any) -> None:
        self.message = message or (self.__doc__ or self.__class__.__name__).strip()
        self.context = context
        super().__init__(self.message)


class ValidationFailed(PatchpilotError):
    """The request is not valid."""

    status_code = 422
    code = "validation_failed"


class NotFound(PatchpilotError):
    """No such object."""

    status_code = 404
    code = "not_found"


class Conflict(PatchpilotError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class HostBusy(Conflict):
    """A host in this request is held by another active job."""

    code = "host_busy"


class InvalidTransition(Conflict):
    """The job cannot move to that status from its current one."""

    code = "invalid_transition"


class PermissionDenied(PatchpilotError):
    """You are not allowed to do that."""

    status_code = 403
    code = "forbidden"


class NotAuthenticated(PatchpilotError):
    """Sign in first: send 'Authorization: Bearer <token>'."""

    status_code = 401
    code = "not_authenticated"


class PolicyViolation(PatchpilotError):
    """The request is outside what patchpilot may do."""

    status_code = 422
    code = "policy_violation"


class ServiceUnavailable(PatchpilotError):
    """A service patchpilot depends on is not answering; try again shortly."""

    status_code = 503
    code = "unavailable"


# --- AWX -----------------------------------------------------------------


class AwxError(PatchpilotError):
    """AWX/AAP answered with an error."""

    status_code = 502
    code = "awx_error"


class AwxUnavailable(AwxError):
    """AWX/AAP is not reachable or answered 5xx; the call is retried with backoff."""

    status_code = 503
    code = "awx_unavailable"


class AwxAuthFailed(AwxError):
    """AWX/AAP refused the credentials (401/403): check PATCHPILOT_AWX__TOKEN and its scope (write)."""

    code = "awx_auth_failed"


class AwxNotFound(AwxError):
    """The AWX/AAP object does not exist."""

    status_code = 404
    code = "awx_not_found"


class AwxPromptNotAllowed(AwxError):
    """The job template does not prompt for limit/extra_vars; AWX would ignore them and run on the whole inventory."""

    status_code = 409
    code = "awx_prompt_not_allowed"


class AwxBadRequest(AwxError):
    """AWX/AAP rejected the request (400)."""

    code = "awx_bad_request"


# --- knowledge base ------------------------------------------------------


class KbError(PatchpilotError):
    """Knowledge-base error."""

    status_code = 422
    code = "kb_error"


class InvalidPattern(KbError):
    """The pattern is not a valid RE2 expression."""

    code = "invalid_pattern"


class SampleMismatch(KbError):
    """The entry does not match its own samples (or matches a sample it must not)."""

    code = "sample_mismatch"


class LogTooLarge(PatchpilotError):
    """The log is larger than the analyser accepts."""

    status_code = 413
    code = "log_too_large"
