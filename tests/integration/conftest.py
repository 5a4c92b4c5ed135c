"""Integration fixtures: the AWX emulator over real HTTP, a real Celery worker process, the API app."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import Settings
from tests import services

INVENTORY = services.ROOT / "evals" / "inventory.yaml"


@pytest.fixture(scope="session")
def celery_broker(redis_server_url: str) -> str:
    """Point this test process's Celery app (the sender) at the test Redis."""
    from workers.celery_app import configure

    configure(broker_url=redis_server_url)
    return redis_server_url


@pytest.fixture
def inventory() -> Any:
    from core.inventory import Inventory

    return Inventory.load(INVENTORY)


@pytest.fixture
def pipeline_settings(settings: Settings, celery_broker: str) -> Settings:
    """Settings for pipeline tests: fast polls, no patch windows, and a Celery queue of the test's own (a worker
    left over from an earlier test can never take this test's messages)."""
    from workers.celery_app import configure

    queue = f"pp-test-{uuid.uuid4().hex[:8]}"
    configure(broker_url=celery_broker, queue=queue)
    return settings.model_copy(
        update={
            "awx": settings.awx.model_copy(
                update={"poll_initial_s": 0.2, "poll_max_s": 1.0, "event_wait_s": 5.0, "retries": 4}
            ),
            "jobs": settings.jobs.model_copy(update={"windows": {}, "queue": queue}),
        }
    )


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env.update(
        {
            "PATCHPILOT_ENV": "test",
            "PATCHPILOT_HOME": str(settings.home),
            "PATCHPILOT_DB__URL": settings.db.url or "",
            "PATCHPILOT_REDIS__URL": settings.redis.url or "",
            "PATCHPILOT_AWX__URL": settings.awx.url,
            "PATCHPILOT_AWX__TOKEN": settings.awx.token.get_secret_value(),
            "PATCHPILOT_AWX__POLL_INITIAL_S": str(settings.awx.poll_initial_s),
            "PATCHPILOT_AWX__POLL_MAX_S": str(settings.awx.poll_max_s),
            "PATCHPILOT_AWX__EVENT_WAIT_S": str(settings.awx.event_wait_s),
            "PATCHPILOT_AWX__RETRIES": str(settings.awx.retries),
            "PATCHPILOT_AWX__MAX_PENDING_S": str(settings.awx.max_pending_s),
            "PATCHPILOT_AWX__TEMPLATE_PATCH": settings.awx.template_patch,
            "PATCHPILOT_JOBS__WINDOWS": "{}",
            "PATCHPILOT_JOBS__QUEUE": settings.jobs.queue,
            "PATCHPILOT_INVENTORY__SYNC_INTERVAL_S": str(settings.inventory.sync_interval_s),
        }
    )
    if settings.inventory.source is not None:
        env["PATCHPILOT_INVENTORY__SOURCE"] = settings.inventory.source.value
    return env


class WorkerProcess:
    """``patchpilot worker`` as a real child process (prefork pool, beat embedded)."""

    def __init__(self, settings: Settings, log: Path, *, concurrency: int = 2, pool: str = "prefork") -> None:
        self.settings, self.log = settings, log
        self.args = [
            sys.executable,
            "-m",
            "cli.main",
            "worker",
            "--concurrency",
            str(concurrency),
            "--pool",
            pool,
            "--beat",
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                env=settings_env(self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=services.ROOT,
                start_new_session=True,
            )

    def children(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in out.stdout.split()]

    def kill_all(self) -> None:
        """SIGKILL the worker's whole process group (its pool children too, even if the main process is gone)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(15)
        self.kill_all()  # whatever is left of the group (orphaned pool children)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The AWX emulator in this process, over real HTTP; scenario from the test's ``scenario`` marker/param."""
    from workers.emulator.scenario import Scenario
    from workers.emulator.server import run_emulator_in_thread

    marker = request.node.get_closest_marker("scenario")
    data = {"duration_s": 0.6, "event_lag_s": 0.2, "default_outcome": "changed", **(marker.kwargs if marker else {})}
    base_url, stop = run_emulator_in_thread(Scenario.model_validate(data))
    yield _Emulator(base_url)
    stop()


class _Emulator:
    def __init__(self, base_url: str) -> None:
        self.url = base_url

    def launches(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/_emulator/launches/", timeout=5).json()  # type: ignore[no-any-return]

    def faults(self, **faults: Any) -> None:
        httpx.post(f"{self.url}/_emulator/faults/", json=faults, timeout=5).raise_for_status()


@pytest.fixture
def awx_settings(pipeline_settings: Settings, emulator: _Emulator) -> Settings:
    return pipeline_settings.model_copy(update={"awx": pipeline_settings.awx.model_copy(update={"url": emulator.url})})


@pytest.fixture
def worker(awx_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess(awx_settings, tmp_path / "worker.log")
    w.start()
    yield w
    w.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def demo_tokens(pipeline_settings: Settings, tmp_path: Path) -> dict[str, str]:
    """One user per role (admin, operator, operator2, approver, viewer, kb-editor) and their API tokens."""
    from core.auth.demo import ensure_demo_users
    from core.db import connect

    with connect(pipeline_settings.db.url or "") as conn:
        tokens = ensure_demo_users(conn, tmp_path)
        conn.commit()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
