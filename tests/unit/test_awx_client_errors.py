"""Error mapping and paging of the AWX client, on httpx.MockTransport (no network, no mock.patch)."""

from __future__ import annotations

import json

import httpx
import pytest

from core.errors import AwxAuthFailed, AwxBadRequest, AwxError, AwxNotFound, AwxUnavailable
from core.settings import AwxSettings
from workers.awx import AwxClient


def _client(handler, **settings) -> AwxClient:
    return AwxClient(
        AwxSettings.model_validate({"url": "https://aap.example.com", "retries": 2, **settings}),
        transport=httpx.MockTransport(handler),
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, AwxBadRequest), (401, AwxAuthFailed), (403, AwxAuthFailed), (404, AwxNotFound), (409, AwxError)],
)
def test_status_mapping(status: int, error: type[Exception]) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"limit": ["Field is not configured to prompt on launch."]})

    with _client(handler) as c, pytest.raises(error) as raised:
        c.job(5)
    assert len(calls) == 1  # client errors are not retried
    if status == 400:
        assert "Field is not configured to prompt on launch." in str(raised.value)


def test_retries_on_gateway_errors_and_timeouts() -> None:
    answers = iter(
        [httpx.Response(502), httpx.Response(429), "timeout", httpx.Response(200, json={"id": 5, "status": "running"})]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return answer

    with _client(handler, retries=3) as c:
        assert c.job(5).status == "running"
    with _client(lambda r: httpx.Response(504), retries=1) as c, pytest.raises(AwxUnavailable):
        c.job(5)


def test_requests_carry_token_slash_and_follow_relative_next() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = request.url.params.get("page", "1")
        body = {"count": 3, "next": None, "previous": None, "results": [{"id": int(page), "status": "failed"}]}
        if page == "1":
            body["next"] = "/api/controller/v2/jobs/?job_template=7&page=2&page_size=200"
        return httpx.Response(200, json=body)

    with _client(handler, base_path="/api/controller/v2/", token="s3cret") as c:
        from datetime import datetime

        assert c.find_launched_job(7, var="x", value=1, since=datetime(2025, 1, 1)) is None
    assert [str(r.url) for r in seen] == [
        "https://aap.example.com/api/controller/v2/jobs/?page_size=200&job_template=7"
        "&created__gte=2025-01-01T00%3A00%3A00.000000Z&order_by=-id",
        "https://aap.example.com/api/controller/v2/jobs/?job_template=7&page=2&page_size=200",
    ]
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)


def test_redirect_is_an_error_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "/api/v2/jobs/1/"})

    with _client(handler) as c, pytest.raises(AwxError, match="redirected"):
        c.job(1)


def test_launch_body() -> None:
    posted: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"ask_limit_on_launch": True, "ask_variables_on_launch": True})
        posted.append(json.loads(request.content))
        return httpx.Response(201, json={"job": 12, "ignored_fields": {}, "id": 12, "status": "pending"})

    with _client(handler) as c:
        job = c.launch(7, limit="a,b", extra_vars={"patchpilot_job_id": 3})
    assert job.id == 12 and posted == [{"limit": "a,b", "extra_vars": {"patchpilot_job_id": 3}}]
