"""Per-user rate limit on real Redis: a fixed window per user, 429 with Retry-After beyond it."""

from __future__ import annotations

from typing import Annotated

import pytest
import redis
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from api.auth import Principal, require
from api.ratelimit import FixedWindowLimiter, chat_rate_limit
from core.auth import service
from core.auth.models import Role
from core.db import connect
from tests.integration.test_auth_common import tiny_app, with_auth

pytestmark = pytest.mark.integration


@pytest.fixture
def client_redis(redis_url: str):
    c = redis.Redis.from_url(redis_url)
    yield c
    c.close()


def test_fixed_window(client_redis) -> None:
    limiter = FixedWindowLimiter(client_redis, name="chat", limit=3, window_s=60)
    t0 = 16_667 * 60 + 20.0  # 20 s into a window
    decisions = [limiter.hit("ann", now=t0 + i) for i in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert decisions[3].retry_after == 37  # the window ends at t0 + 40; this hit came at t0 + 3
    assert limiter.hit("bob", now=t0 + 5).allowed  # per user
    assert limiter.hit("ann", now=t0 + 40).allowed  # the next window
    keys = client_redis.keys("patchpilot:ratelimit:chat:*")
    assert keys and all(0 < client_redis.ttl(k) <= 61 for k in keys)  # nothing outlives its window


def test_limiter_refuses_nonsense(client_redis) -> None:
    with pytest.raises(ValueError):
        FixedWindowLimiter(client_redis, name="x", limit=0, window_s=60)


def _app(settings, **api):
    router = APIRouter()

    @router.post("/chat", dependencies=[Depends(chat_rate_limit)])
    def chat(p: Annotated[Principal, Depends(require(Role.operator))]) -> dict[str, str]:
        return {"reply": f"hello {p.name}"}

    return tiny_app(with_auth(settings, api=api), [router], oidc=None)


@pytest.fixture
def tokens(db_url: str) -> dict[str, str]:
    out = {}
    with connect(db_url) as conn:
        for name in ("ann", "bob"):
            service.create_user(conn, name, [Role.operator], by="setup")
            out[name] = service.issue_token(conn, name, expires_days=None, by="setup").token
        conn.commit()
    return out


def test_chat_limit_per_user_returns_429_with_retry_after(settings, tokens) -> None:
    app = _app(settings, chat_rate_limit=2, chat_rate_window_s=60)
    with TestClient(app, raise_server_exceptions=False) as client:
        ann = {"Authorization": f"Bearer {tokens['ann']}"}
        first = client.post("/api/v1/chat", headers=ann)
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "1"
        assert client.post("/api/v1/chat", headers=ann).status_code == 200
        r = client.post("/api/v1/chat", headers=ann)
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60 and r.json()["retry_after"] == int(r.headers["Retry-After"])
        assert client.post("/api/v1/chat", headers={"Authorization": f"Bearer {tokens['bob']}"}).status_code == 200
        assert client.post("/api/v1/chat").status_code == 401  # authentication comes first
    app.state.pool.close()


def test_limit_zero_is_off_and_redis_down_fails_open(settings, tokens) -> None:
    app = _app(settings, chat_rate_limit=0)
    with TestClient(app) as client:
        for _ in range(5):
            assert client.post("/api/v1/chat", headers={"Authorization": f"Bearer {tokens['ann']}"}).status_code == 200
    app.state.pool.close()
    down = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": "redis://127.0.0.1:1/0"})})
    app = _app(down, chat_rate_limit=1)
    with TestClient(app) as client:
        for _ in range(3):
            r = client.post("/api/v1/chat", headers={"Authorization": f"Bearer {tokens['ann']}"})
            assert r.status_code == 200 and "X-RateLimit-Remaining" not in r.headers
    app.state.pool.close()
