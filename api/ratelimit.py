"""Per-user rate limits backed by Redis: a fixed window per (limit name, user).

``INCR`` + ``EXPIRE`` in one transaction, so every API replica shares the count.
A fixed window lets a user send up to twice the limit across a window boundary;
for a cost guard on chat (an LLM call per message) that is acceptable and needs
no Lua. When Redis is unreachable the limit is not applied (fail open, logged):
it protects a budget, not access, and refusing every chat because Redis blinked
would be worse.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from fastapi import Request, Response

from api.auth import PrincipalDep
from core.auth.errors import RateLimited
from core.settings import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "patchpilot:ratelimit"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


class FixedWindowLimiter:
    def __init__(self, client: redis.Redis, *, name: str, limit: int, window_s: int) -> None:
        if limit < 1 or window_s < 1:
            raise ValueError("limit and window_s must be at least 1")
        self.client, self.name, self.limit, self.window_s = client, name, limit, window_s

    def hit(self, key: str, now: float | None = None) -> Decision:
        """Count one request for ``key`` and say whether it is within the limit."""
        now = time.time() if now is None else now
        window = int(now // self.window_s)
        rkey = f"{KEY_PREFIX}:{self.name}:{window}:{key}"
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(rkey)
        pipe.expire(rkey, self.window_s + 1)
        count = int(pipe.execute()[0])
        reset = max(1, math.ceil((window + 1) * self.window_s - now))
        return Decision(count <= self.limit, self.limit, max(0, self.limit - count), reset)


class RateLimit:
    """A dependency limiting each user to ``limit`` requests per ``window_s`` (from settings); 429 beyond.

    ``limits(settings) -> (limit, window_s)``; a limit of 0 switches it off.
    """

    def __init__(self, name: str, limits: Callable[[Settings], tuple[int, int]]) -> None:
        self.name, self.limits = name, limits

    def __call__(self, request: Request, response: Response, principal: PrincipalDep) -> None:
        settings: Settings = request.app.state.settings
        limit, window_s = self.limits(settings)
        client = _client(request)
        if limit <= 0 or client is None:
            return
        try:
            decision = FixedWindowLimiter(client, name=self.name, limit=limit, window_s=window_s).hit(principal.name)
        except redis.RedisError as exc:
            log.warning("rate limit %s not applied: Redis unavailable (%s)", self.name, exc)
            return
        if not decision.allowed:
            raise RateLimited(
                f"at most {limit} {self.name} requests per {window_s} s; try again in {decision.retry_after} s",
                retry_after=decision.retry_after,
            )
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)


def _client(request: Request) -> redis.Redis | None:
    state = request.app.state
    client: redis.Redis | None = getattr(state, "ratelimit_redis", None)
    if client is None and state.settings.redis.url:
        client = redis.Redis.from_url(state.settings.redis.url, socket_timeout=1, socket_connect_timeout=1)
        state.ratelimit_redis = client
    return client


chat_rate_limit = RateLimit("chat", lambda s: (s.api.chat_rate_limit, s.api.chat_rate_window_s))
