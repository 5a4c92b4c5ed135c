"""Fault suite: 50 jobs under `patchpilot up` while worker, API, beat and the AWX emulator are SIGKILLed at random.

Every job reaches its terminal state, AWX launched each exactly once, and the stack still serves at the end
without a manual restart (the supervisor restarted every killed component).

Depends on the AWX emulator persisting its jobs, events and launch counts under PATCHPILOT_HOME across a
restart (built on another branch): without it, a job running when the emulator is killed ends ``error``
("AWX has no /api/v2/jobs/N/") and the launch counts restart from zero. Loopback only; bounded to 50 jobs,
12 kills and a few minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from cli.supervisor import alive, read_state
from core.embedded import free_port
from tests import services

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOBS = 50
KILLS = 12
VICTIMS = ["worker", "api", "beat", "awx-emulator"]
HOSTS = ["web-stg-01", "web-stg-02", "app-stg-01", "app-stg-02", "app-dev-01", "app-dev-02", "cache-stg-01", "ci-01"]
SCENARIO = {"duration_s": 2.0, "event_lag_s": 0.2, "default_outcome": "changed"}


class Stack:
    def __init__(self, home: Path, proc: subprocess.Popen[bytes], api: str, awx: str) -> None:
        self.home, self.proc, self.api, self.awx = home, proc, api, awx

    def pid_of(self, name: str) -> int | None:
        state = read_state(self.home) or {}
        return next((c["pid"] for c in state.get("components", []) if c["name"] == name), None)

    def token(self) -> str:
        return json.loads((self.home / "demo-tokens.json").read_text())["operator"]


@pytest.fixture
def stack(db_url, redis_url, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO))
    api_port, awx_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")}
    env.update(
        {
            "PATCHPILOT_HOME": str(home),
            "PATCHPILOT_DB__URL": db_url,
            "PATCHPILOT_REDIS__URL": redis_url,
            "PATCHPILOT_AWX__POLL_INITIAL_S": "0.3",
            "PATCHPILOT_AWX__POLL_MAX_S": "1.0",
            "PATCHPILOT_AWX__EVENT_WAIT_S": "5",
            "PATCHPILOT_JOBS__WINDOWS": "{}",
            "PATCHPILOT_JOBS__QUEUE": f"pp-fault-{uuid.uuid4().hex[:8]}",
        }
    )
    args = ["up", "--no-uis", "--api-port", str(api_port), "--awx-port", str(awx_port), "--scenario", str(scenario)]
    with (tmp_path / "up.log").open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=services.ROOT,
            start_new_session=True,
        )
    s = Stack(home, proc, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{awx_port}")
    try:
        _wait(lambda: _healthy(s.api) and (home / "demo-tokens.json").exists(), 120, "the stack came up")
        yield s
    finally:
        pids = [c.get("pid") for c in (read_state(home) or {}).get("components", [])]
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)  # Ctrl-C: the only thing that stops the stack
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGUSR1)  # the supervisor prints its threads' stacks (faulthandler)
            time.sleep(2)
            for pid in [proc.pid, *[p for p in pids if p]]:  # nothing of the stack outlives the test
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            raise
        finally:
            print("SIGINT disposition this test process passed on:", signal.getsignal(signal.SIGINT))
            print((tmp_path / "up.log").read_text()[-12000:])
        assert not [p for p in pids if alive(p)], "Ctrl-C left a component running"


def _healthy(api: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{api}/healthz", timeout=2).status_code == 200
    return False


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s: {what}")


def _submit_all(stack: Stack, stop_at: float) -> None:
    """Submit JOBS jobs, retrying through API restarts; a host held by an active job is tried again later."""
    accepted = 0
    i = 0
    with httpx.Client(base_url=stack.api, headers={"Authorization": f"Bearer {stack.token()}"}, timeout=10) as c:
        while accepted < JOBS and time.monotonic() < stop_at:
            host = HOSTS[i % len(HOSTS)]
            i += 1
            try:
                r = c.post("/api/v1/jobs", json={"action": "patch", "hosts": [host]})
            except httpx.HTTPError:
                time.sleep(0.5)  # the API is being restarted
                continue
            if r.status_code == 202:
                accepted += 1
            elif r.status_code in (409, 502, 503):
                time.sleep(0.1)
            else:
                raise AssertionError(f"unexpected {r.status_code}: {r.text}")


def _pause(done: threading.Event, seconds: float) -> bool:
    """Sleep in short steps (a timed Event.wait never wakes under libfaketime's shifted clocks); True when done."""
    until = time.monotonic() + seconds
    while time.monotonic() < until and not done.is_set():
        time.sleep(0.1)
    return done.is_set()


def _killer(stack: Stack, rng: random.Random, done: threading.Event, kills: list[tuple[str, datetime]]) -> None:
    while len(kills) < KILLS and not _pause(done, rng.uniform(2.0, 5.0)):
        victim = rng.choice(VICTIMS)
        pid = stack.pid_of(victim)
        if pid is None:  # still restarting from an earlier kill
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            kills.append((victim, datetime.now(UTC)))


def test_fifty_jobs_survive_random_sigkills(stack, db_url):
    rng = random.Random(15)
    kills: list[tuple[str, datetime]] = []
    done = threading.Event()
    killer = threading.Thread(target=_killer, args=(stack, rng, done, kills), daemon=True)
    killer.start()
    try:
        _submit_all(stack, time.monotonic() + 300)
        # Keep killing until every kill was spent, so the later jobs see faults too.
        _wait(lambda: len(kills) >= KILLS, 120, "all kills were made")
    finally:
        done.set()
        killer.join(10)

    def statuses() -> list[dict]:
        with psycopg.connect(db_url) as conn:
            cur = conn.execute("SELECT id, status, error, started_at, finished_at FROM ops.jobs ORDER BY id")
            cols = [d.name for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    terminal = {"succeeded", "failed", "canceled", "error"}
    _wait(lambda: all(j["status"] in terminal for j in statuses()), 240, "every job is terminal")
    jobs = statuses()
    assert len(jobs) >= JOBS
    emulator_kills = [t for v, t in kills if v == "awx-emulator"]

    def overlapped(job: dict) -> bool:
        start, end = job["started_at"], job["finished_at"]
        return start is not None and any(start <= t <= end for t in emulator_kills)

    wrong = [
        j
        for j in jobs
        if not (j["status"] == "succeeded" or (j["status"] == "failed" and overlapped(j) and j["error"]))
    ]
    assert wrong == [], "every job ends succeeded (or failed with AWX's explanation when its node died)"

    launches = httpx.get(f"{stack.awx}/_emulator/launches/", timeout=10).json()
    assert {str(j["id"]): 1 for j in jobs} == {k: v for k, v in launches.items() if k in {str(j["id"]) for j in jobs}}

    # Still serving, with no manual restart: every killed component was restarted by the supervisor.
    _wait(lambda: all(stack.pid_of(v) for v in VICTIMS) and _healthy(stack.api), 60, "all components are back")
    state = read_state(stack.home) or {}
    restarts = {c["name"]: c["restarts"] for c in state["components"]}
    for victim in VICTIMS:
        assert restarts[victim] >= sum(1 for v, _ in kills if v == victim)
    status = subprocess.run(
        [sys.executable, "-m", "cli.main", "status", "--json"],
        env={**os.environ, "PATCHPILOT_HOME": str(stack.home)},
        capture_output=True,
        text=True,
        cwd=services.ROOT,
        check=False,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert {c["name"]: c["health"] for c in report["components"]} == {
        "awx-emulator": "ok",
        "api": "ok",
        "worker": "running",
        "beat": "running",
    }
    with httpx.Client(base_url=stack.api, headers={"Authorization": f"Bearer {stack.token()}"}, timeout=10) as c:
        r = c.post("/api/v1/jobs", json={"action": "patch", "hosts": ["web-stg-01"]})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        _wait(lambda: c.get(f"/api/v1/jobs/{job_id}").json()["status"] == "succeeded", 60, "a new job succeeds")
    assert stack.proc.poll() is None, "the supervisor is still running"
