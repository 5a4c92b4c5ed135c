"""The in-thread AWX emulator the AWX client tests drive: a fast scenario, fixtures and helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from core.settings import AwxSettings
from workers.awx import AwxClient

FAST = {
    "duration_s": 0.5,
    "event_lag_s": 0.15,
    "cancel_delay_s": 0.2,
    "hosts": {
        "web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"},
        "app-dev-02": {"outcome": "unreachable", "family": "ssh-connect-failed"},
        "db-stg-01": "hang",
    },
}


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def load(self, **changes: Any) -> None:
        r = self.http.post("/_emulator/scenario/", json={**FAST, **changes})
        assert r.status_code == 200, r.text

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.http.post("/_emulator/faults/", json=changes).json()

    def launches(self) -> dict[str, int]:
        return self.http.get("/_emulator/launches/").json()

    def client(self, **settings: Any) -> AwxClient:
        return AwxClient(AwxSettings.model_validate({"url": self.url, "retries": 2, **settings}))


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _patch(client: AwxClient) -> int:
    return client.find_job_template("patchpilot-patch").id
