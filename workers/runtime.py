"""Per-process resources of a worker: the DB pool and the AWX client, created lazily after fork."""

from __future__ import annotations

import os
import threading
from typing import Any

from core.db import Pool, make_pool
from core.settings import Settings, get_settings
from workers.awx.client import AwxClient

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _for_this_process() -> dict[str, Any]:
    if _state.get("pid") != os.getpid():  # after fork: never share sockets with the parent
        _state.clear()
        _state["pid"] = os.getpid()
    return _state


def settings() -> Settings:
    return get_settings()


def pool() -> Pool:
    with _lock:
        state = _for_this_process()
        if "pool" not in state:
            s = settings()
            if not s.db.url:
                raise RuntimeError("PATCHPILOT_DB__URL is not set; start the worker with 'patchpilot worker'")
            state["pool"] = make_pool(s.db.url, min_size=1, max_size=max(2, s.db.pool_max))
        return state["pool"]  # type: ignore[no-any-return]


def awx() -> AwxClient:
    with _lock:
        state = _for_this_process()
        if "awx" not in state:
            state["awx"] = AwxClient(settings().awx)
        return state["awx"]  # type: ignore[no-any-return]
