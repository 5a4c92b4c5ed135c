"""The HTTP layer of the AWX client: auth, URLs, error mapping, retries, pagination.

The only module in patchpilot that handles httpx errors (import-linter keeps
httpx out of tools/agent/api). Rules from ../shared/awx-api-contract.md:
paths always end in ``/``; ``next`` links are relative and joined to the
scheme+host only (section 1.4); idempotent GETs are retried on 429/502/503/504
and on transport failures with jittered exponential backoff (section 11);
POSTs are never retried here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from core.errors import AwxAuthFailed, AwxBadRequest, AwxError, AwxNotFound, AwxUnavailable
from core.settings import AwxSettings

PAGE_SIZE = 200  # AWX's maximum page size (contract 2)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Backoff defaults when AwxSettings carries no retry_backoff_s / retry_backoff_max_s:
# 0.25 s doubling to 8 s, full jitter; 5 retries wait ~8 s at most on average.
_BACKOFF_S = 0.25
_BACKOFF_MAX_S = 8.0


def _detail(response: httpx.Response) -> str:
    """AWX's error body, shortened: ``{"detail": ...}`` or the field errors as JSON text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    if isinstance(body, dict) and set(body) == {"detail"}:
        return str(body["detail"])
    return str(body)[:1000]


def raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    """Map an AWX error response to the patchpilot error tree; 2xx passes."""
    status = response.status_code
    if status < 300:
        return
    where = f"{method} {path}"
    if status in RETRY_STATUSES:
        raise AwxUnavailable(f"AWX answered {status} to {where}", status=status)
    if status in (401, 403):
        raise AwxAuthFailed(f"AWX refused {where} ({status}): {_detail(response)}", status=status)
    if status == 404:
        raise AwxNotFound(f"AWX has no {path} ({_detail(response)})", status=status)
    if status == 400:
        raise AwxBadRequest(f"AWX rejected {where}: {_detail(response)}", status=status)
    if status == 406:
        raise AwxError(
            f"AWX cannot render {where} in the requested media type (406): {_detail(response)}", status=status
        )
    if status in (301, 302, 307, 308):
        raise AwxError(
            f"AWX redirected {where} to {response.headers.get('location')}; check PATCHPILOT_AWX__URL/BASE_PATH",
            status=status,
        )
    if status >= 500:
        raise AwxUnavailable(f"AWX answered {status} to {where}", status=status)
    raise AwxError(f"AWX answered {status} to {where}: {_detail(response)}", status=status)


class AwxHttp:
    """A small httpx wrapper that speaks AWX's conventions and raises only PatchpilotErrors."""

    def __init__(self, settings: AwxSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(settings.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = "/" + "/".join(p for p in (parts.path.strip("/"), settings.base_path.strip("/")) if p) + "/"
        self._retries = max(0, settings.retries)
        self._backoff_s = float(getattr(settings, "retry_backoff_s", _BACKOFF_S))
        self._backoff_max_s = float(getattr(settings, "retry_backoff_max_s", _BACKOFF_MAX_S))
        self._client = httpx.Client(
            base_url=self.origin,
            headers={
                "Authorization": f"Bearer {settings.token.get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": "patchpilot",
            },
            verify=settings.verify_tls,
            timeout=settings.timeout_s,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def path(self, relative: str) -> str:
        """``jobs/5`` -> ``/api/v2/jobs/5/`` (always with the trailing slash)."""
        rel = relative.strip("/")
        return f"{self.base_path}{rel}/" if rel else self.base_path

    # --- one request ---------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise AwxUnavailable(f"AWX timed out on {method} {path}: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise AwxUnavailable(f"AWX connection failed on {method} {path}: {type(exc).__name__}: {exc}") from exc
        raise_for_status(response, method, path)
        return response

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_random_exponential(multiplier=self._backoff_s, max=self._backoff_max_s),
            retry=retry_if_exception_type(AwxUnavailable),
            reraise=True,
        )

    def get_response(
        self, path: str, params: dict[str, Any] | None = None, *, accept: str | None = None
    ) -> httpx.Response:
        """GET with retries (idempotent). ``path`` is absolute (``/api/v2/...``).

        ``accept`` replaces the default ``application/json``: AWX negotiates content as DRF
        does, and answers 406 when no renderer of the view matches (stdout txt is text/plain only).
        """
        headers = {"Accept": accept} if accept else None
        for attempt in self._retrying():
            with attempt:
                return self._send("GET", path, params=params, headers=headers)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get_response(path, params).json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """POST once: a launch must never be retried blindly (contract 11)."""
        return self._send("POST", path, json=body if body is not None else {})

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self._send("PATCH", path, json=body)

    def post_status(self, path: str, body: dict[str, Any] | None = None) -> int:
        """POST and return the status code for the statuses the caller handles itself (e.g. 405 on cancel)."""
        try:
            response = self._client.request("POST", path, json=body if body is not None else {})
        except httpx.TimeoutException as exc:
            raise AwxUnavailable(f"AWX timed out on POST {path}") from exc
        except httpx.TransportError as exc:
            raise AwxUnavailable(f"AWX connection failed on POST {path}: {type(exc).__name__}") from exc
        if response.status_code != 405:
            raise_for_status(response, "POST", path)
        return response.status_code

    def stream_tail(
        self, path: str, params: dict[str, Any], keep_bytes: int, *, accept: str = "text/plain"
    ) -> tuple[bytes, int]:
        """Stream a (download) body and keep its last ``keep_bytes``; returns (tail, total size)."""
        for attempt in self._retrying():
            with attempt:
                return self._stream_tail_once(path, params, keep_bytes, accept)
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream_tail_once(self, path: str, params: dict[str, Any], keep_bytes: int, accept: str) -> tuple[bytes, int]:
        buf = bytearray()
        total = 0
        try:
            with self._client.stream("GET", path, params=params, headers={"Accept": accept}) as response:
                if response.status_code >= 300:
                    response.read()
                    raise_for_status(response, "GET", path)
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    buf += chunk
                    if len(buf) > 2 * keep_bytes:
                        del buf[: len(buf) - keep_bytes]
        except httpx.TimeoutException as exc:
            raise AwxUnavailable(f"AWX timed out streaming {path}") from exc
        except httpx.TransportError as exc:
            raise AwxUnavailable(f"AWX connection failed streaming {path}: {type(exc).__name__}") from exc
        return bytes(buf[-keep_bytes:]) if keep_bytes else b"", total

    # --- lists ---------------------------------------------------------

    def iter_list(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a paginated list, following the relative ``next`` links."""
        query = {"page_size": PAGE_SIZE, **(params or {})}
        page: Any = self.get(path, query)
        while True:
            yield from page.get("results", [])
            nxt = page.get("next")
            if not nxt:
                return
            # next is a relative path with the full query string: join with scheme+host only.
            page = self.get(nxt if nxt.startswith("/") else urlsplit(nxt).path + "?" + urlsplit(nxt).query)
