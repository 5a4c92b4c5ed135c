"""Beat's heartbeat: the sweep task stamps Redis; ``patchpilot beat-health`` reads the stamp."""

from __future__ import annotations

import time

import redis

from core.settings import get_settings

KEY = "patchpilot:beat:last_sweep"


def _client() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis.url or "redis://127.0.0.1:6379/0", socket_timeout=5)


def stamp() -> None:
    _client().set(KEY, str(time.time()), ex=3600)


def last_sweep_age() -> float | None:
    value = _client().get(KEY)
    return None if value is None else time.time() - float(value)
