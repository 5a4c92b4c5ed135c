"""The one typed HTTP client of the patchpilot REST API (``/api/v1``) used by both UIs.

Every call sends the caller's identity through :class:`Credentials` (today the
``X-Patchpilot-User`` header; a bearer token once sign-in lands: only that class changes).
Failures become :class:`ApiError` carrying the API's ``detail``, never a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from core.errors import PatchpilotError
from core.settings import Settings
from ui.models import (
    ApprovalQueue,
    ChatHistory,
    ChatResponse,
    ConfirmResponse,
    Job,
    JobFailure,
    JobPage,
    JobProgress,
    KbEntry,
    KbRevision,
    KbSuggestion,
    Me,
    PatternTestResult,
    SavedEntry,
    UnmatchedDay,
    UnmatchedGroup,
)

M = TypeVar("M", bound=BaseModel)
PREFIX = "/api/v1"


class ApiError(PatchpilotError):
    """The patchpilot API refused the request."""

    def __init__(
        self, detail: str, *, status: int = 0, code: str = "api_error", errors: list[dict[str, str]] | None = None
    ):
        super().__init__(detail)
        self.status_code = status
        self.code = code
        self.detail = detail
        self.errors = errors or []


class ApiUnavailable(ApiError):
    """The patchpilot API is not answering."""


def api_url(settings: Settings) -> str:
    """The API's base URL: ``ui.api_url`` when set (OpenShift: the API Service), else ``http://host:port``.

    >>> api_url(Settings(api={"host": "0.0.0.0", "port": 8123}))
    'http://127.0.0.1:8123'
    """
    if settings.ui.api_url:
        return settings.ui.api_url.rstrip("/")
    host = settings.api.host
    # A server bound to every interface is reached on loopback from the same machine.
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - not a bind, a client-side rewrite
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.api.port}"


@dataclass(frozen=True)
class Credentials:
    """Who is calling. The only place that knows how identity goes on the wire."""

    user: str = ""
    token: str | None = None

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        name = self.user.strip()[:64]
        return {"X-Patchpilot-User": name} if name else {}


def _error_from(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("error") or response.reason_phrase)
        errors = (
            [e for e in body.get("errors", []) if isinstance(e, dict)] if isinstance(body.get("errors"), list) else []
        )
        return ApiError(detail, status=response.status_code, code=str(body.get("error", "api_error")), errors=errors)
    return ApiError(f"the API answered {response.status_code} {response.reason_phrase}", status=response.status_code)


class ApiClient:
    """Typed calls of the REST API. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        """``http``: an httpx client already pointing at ``base_url + /api/v1`` (e.g. Starlette's TestClient,
        which runs the API app in-process over ASGI); it is not closed by :meth:`close`."""
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials or Credentials()
        self._owned = http is None
        self._http = http or httpx.Client(base_url=self.base_url + PREFIX, timeout=timeout, transport=transport)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._http.close()

    # --- plumbing ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = kwargs.pop("params", None)
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None and v != ""}
        try:
            response = self._http.request(method, path, headers=self.credentials.headers(), **kwargs)
        except httpx.TimeoutException:
            raise ApiUnavailable(f"the patchpilot API at {self.base_url} did not answer in time") from None
        except httpx.HTTPError:
            raise ApiUnavailable(f"the patchpilot API at {self.base_url} is not answering") from None
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = self._request(method, path, **kwargs)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError):
            raise ApiError(f"unexpected answer from {method} {path}", status=response.status_code) from None

    def _models(self, model: type[M], method: str, path: str, **kwargs: Any) -> list[M]:
        response = self._request(method, path, **kwargs)
        try:
            body = response.json()
            items = body.get("items", []) if isinstance(body, dict) else body
            return [model.model_validate(item) for item in items]
        except (ValueError, ValidationError, AttributeError):
            raise ApiError(f"unexpected answer from {method} {path}", status=response.status_code) from None

    # --- chat -------------------------------------------------------------------------------
    def chat(self, session_id: str, message: str) -> ChatResponse:
        return self._model(ChatResponse, "POST", "/chat", json={"session_id": session_id, "message": message})

    def confirm(self, session_id: str, token: str, typed: str | None = None) -> ConfirmResponse:
        """Run the pending proposal. ApiError 409 when the token is stale, 422 when a high-risk proposal's
        ``typed`` confirmation (the host count) is missing or wrong."""
        body = {"token": token} | ({"typed": typed} if typed is not None else {})
        return self._model(ConfirmResponse, "POST", f"/chat/{_segment(session_id)}/confirm", json=body)

    def history(self, session_id: str) -> ChatHistory:
        """The conversation of this session as the server keeps it (survives a page reload)."""
        return self._model(ChatHistory, "GET", f"/chat/{_segment(session_id)}")

    def cancel_pending(self, session_id: str) -> ChatResponse | None:
        """Drop the pending proposal on the server; None when nothing was pending (409)."""
        try:
            return self._model(ChatResponse, "DELETE", f"/chat/{_segment(session_id)}/pending")
        except ApiError as exc:
            if exc.status_code == 409:
                return None
            raise

    # --- jobs -------------------------------------------------------------------------------
    def submit_job(self, intent: dict[str, Any]) -> Job:
        return self._model(Job, "POST", "/jobs", json=intent)

    def get_job(self, job_id: int) -> Job:
        return self._model(Job, "GET", f"/jobs/{int(job_id)}")

    def list_jobs(
        self,
        *,
        status: str | None = None,
        host: str | None = None,
        requested_by: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> JobPage:
        params = {"status": status, "host": host, "requested_by": requested_by, "limit": limit, "offset": offset}
        return self._model(JobPage, "GET", "/jobs", params=params)

    def cancel_job(self, job_id: int) -> Job:
        return self._model(Job, "POST", f"/jobs/{int(job_id)}/cancel")

    def approve_job(self, job_id: int) -> Job:
        return self._model(Job, "POST", f"/jobs/{int(job_id)}/approve")

    def reject_job(self, job_id: int, reason: str) -> Job:
        return self._model(Job, "POST", f"/jobs/{int(job_id)}/reject", json={"reason": reason})

    def approvals(self) -> ApprovalQueue:
        """Jobs waiting for a second person (approvers only: 403 otherwise)."""
        return self._model(ApprovalQueue, "GET", "/jobs/approvals")

    def job_progress(self, job_id: int) -> JobProgress:
        return self._model(JobProgress, "GET", f"/jobs/{int(job_id)}/progress")

    def job_stdout(self, job_id: int) -> str:
        return self._request("GET", f"/jobs/{int(job_id)}/stdout").text

    # --- knowledge base ---------------------------------------------------------------------
    def kb_entries(
        self,
        *,
        q: str | None = None,
        category: str | None = None,
        enabled: bool | None = None,
        wrapper: bool | None = None,
        limit: int = 200,
    ) -> list[KbEntry]:
        params = {"q": q, "category": category, "enabled": enabled, "wrapper": wrapper, "limit": limit}
        return self._models(KbEntry, "GET", "/kb/entries", params=params)

    def kb_entry(self, slug: str) -> KbEntry:
        return self._model(KbEntry, "GET", f"/kb/entries/{_segment(slug)}")

    def kb_create(self, entry: dict[str, Any]) -> SavedEntry:
        """Create an entry; 422 (invalid_pattern, sample_mismatch) or 409 (slug exists) as ApiError."""
        return self._model(SavedEntry, "POST", "/kb/entries", json=entry)

    def kb_update(self, slug: str, entry: dict[str, Any], *, version: int | None = None) -> SavedEntry:
        """Replace an entry's content (a new version; the API keeps the history); 409 if ``version`` is stale."""
        body = {k: v for k, v in entry.items() if k != "slug"}
        params = {"version": version} if version is not None else None
        return self._model(SavedEntry, "PUT", f"/kb/entries/{_segment(slug)}", json=body, params=params)

    def kb_set_enabled(self, slug: str, enabled: bool) -> KbEntry:
        action = "enable" if enabled else "disable"
        return self._model(KbEntry, "POST", f"/kb/entries/{_segment(slug)}/{action}")

    def kb_history(self, slug: str) -> list[KbRevision]:
        return self._models(KbRevision, "GET", f"/kb/entries/{_segment(slug)}/history")

    def kb_test(
        self, pattern: str | None = None, *, text: str | None = None, slug: str | None = None, limit: int = 1000
    ) -> PatternTestResult:
        """What one pattern (and/or one text) matches: RE2 errors come back as ApiError 422."""
        body: dict[str, Any] = {"pattern": pattern, "text": text, "slug": slug or None, "limit": limit}
        return self._model(PatternTestResult, "POST", "/kb/test", json={k: v for k, v in body.items() if v is not None})

    def kb_suggest(self, example: str) -> KbSuggestion:
        """The API's pattern, title and slug for a new entry from an example failure (the KB owns the rules).

        ApiUnavailable when the API does not answer; ApiError when it refuses (403 without kb-editor, 422)."""
        return self._model(KbSuggestion, "POST", "/kb/suggest", json={"example": example[:100_000]})

    def me(self) -> Me:
        """Who the token belongs to (401 when it is wrong, expired or revoked)."""
        return self._model(Me, "GET", "/users/me")

    def kb_unmatched(self, *, limit: int = 100) -> list[UnmatchedGroup]:
        return self._models(UnmatchedGroup, "GET", "/kb/unmatched", params={"limit": limit})

    def kb_unmatched_trend(self, *, days: int = 14) -> list[UnmatchedDay]:
        """Unmatched failures and groups per day (UTC), newest first; days without any are left out."""
        return self._models(UnmatchedDay, "GET", "/kb/unmatched/trend", params={"days": days})

    def reanalyse(self, job_id: int) -> list[JobFailure]:
        """Match the job's stored failures again with the current KB; the failures as they are now."""
        return self._models(JobFailure, "POST", f"/jobs/{int(job_id)}/reanalyse")


def _segment(value: str) -> str:
    """A path segment that cannot climb out of its route."""
    return quote(value, safe="")


def client_for(settings: Settings, user: str = "", *, token: str | None = None) -> ApiClient:
    return ApiClient(api_url(settings), Credentials(user=user, token=token))
