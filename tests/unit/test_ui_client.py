"""The typed API client against the fake API over real HTTP: identity, errors, shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.settings import Settings
from tests.unit.ui_fake_api import FakeServer
from ui.client import ApiClient, ApiError, ApiUnavailable, Credentials, api_url, client_for


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.stop()


def test_identity_header_on_every_call_and_token_replaces_it(fake: FakeServer) -> None:
    with ApiClient(fake.url, Credentials(user="  erin  ")) as client:
        client.list_jobs(requested_by="erin")
        client.kb_entries(q="space")
    assert [u for _, _, u in fake.api.requests] == ["erin", "erin"]
    assert Credentials(user="erin", token="abc").headers() == {"Authorization": "Bearer abc"}
    assert Credentials().headers() == {}


def test_chat_confirm_and_stale_token(fake: FakeServer) -> None:
    with ApiClient(fake.url, Credentials(user="a")) as client:
        reply = client.chat("s1", "patch web-stg-01 and db-prod-01")
        assert reply.pending is not None
        assert reply.pending.hosts_by_env == {"prod": ["db-prod-01"], "staging": ["web-stg-01"]}
        assert reply.pending.needs_approval
        with pytest.raises(ApiError) as stale:
            client.confirm("s1", "not-the-token")
        assert stale.value.status_code == 409 and "stale" in stale.value.detail
        done = client.confirm("s1", reply.pending.token)
        assert done.job_id == 1
        job = client.get_job(1)
        assert job.status == "awaiting_approval" and [h.host for h in job.hosts] == ["db-prod-01", "web-stg-01"]
        assert client.cancel_pending("s1") is None  # nothing pending any more: 409 -> None


def test_errors_carry_the_api_detail_never_a_trace(fake: FakeServer) -> None:
    with ApiClient(fake.url) as client:
        with pytest.raises(ApiError) as err:
            client.chat("s", "explode")
        assert (err.value.status_code, err.value.code) == (500, "internal_error")
        assert err.value.detail == "unexpected error; it was logged with reference abc123"
        with pytest.raises(ApiError) as missing:
            client.kb_entry("no/such ../slug")
        assert missing.value.status_code == 404
        # The slug stays one path segment.
        assert fake.api.requests[-1][1] == "/api/v1/kb/entries/no%2Fsuch%20..%2Fslug"


def test_non_json_error_and_unreachable_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    with ApiClient("http://api.invalid", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ApiError) as err:
            client.get_job(1)
        assert err.value.detail == "the API answered 502 Bad Gateway"
    server = FakeServer()
    url = server.url
    server.stop()
    with ApiClient(url, timeout=2) as client, pytest.raises(ApiUnavailable) as down:
        client.get_job(1)
    assert down.value.detail == f"the patchpilot API at {url} is not answering"


def test_url_from_settings() -> None:
    assert api_url(Settings(api={"host": "::", "port": 9})) == "http://127.0.0.1:9"
    assert api_url(Settings(api={"host": "::1", "port": 9})) == "http://[::1]:9"
    assert api_url(Settings(ui={"api_url": "https://api.example.org/"})) == "https://api.example.org"
    with client_for(Settings(api={"port": 8123}), token="t") as client:
        assert client.base_url == "http://127.0.0.1:8123"
