"""The supervisor of 'patchpilot up': restarts a component that dies, with backoff, and says so."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from cli import stackctl
from cli.supervisor import STATE_FILE, Supervisor, alive, read_state

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
# A parent that leaves a child in its process group, as Celery's prefork pool does.
FORKER = [
    sys.executable,
    "-c",
    "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
    " time.sleep(120)",
]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sup(tmp_path):
    clock = Clock()
    lines: list[str] = []
    s = Supervisor(tmp_path, dict(os.environ), clock=clock, say=lines.append)
    s.lines, s.fake_clock = lines, clock  # type: ignore[attr-defined]
    yield s
    s.stop(timeout_s=5)


def _wait_exit(comp) -> None:
    comp.proc.wait(30)


def test_a_crashing_component_is_restarted_with_doubling_backoff(sup):
    comp = sup.add("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    sup.start_all()
    delays = []
    for _ in range(4):
        _wait_exit(comp)
        events = sup.tick()
        assert events and "flaky exited with code 3" in events[0]
        delays.append(comp.next_start - sup.fake_clock.now)
        assert sup.tick() == []  # not before the backoff has passed
        sup.fake_clock.now = comp.next_start
        # the pid of the process started, which may have exited by the time this line reads it (comp.pid is None)
        assert sup.tick() == [f"flaky restarted (pid {comp.proc.pid}, restart {comp.restarts})"]
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert comp.restarts == 4 and comp.last_exit == 3
    log = (sup.home / "logs" / "supervisor.log").read_text()
    assert log.count("flaky exited with code 3") == 4 and "restart 4" in log
    assert any("[supervisor] flaky restarted" in line for line in sup.lines)


def test_backoff_caps_and_resets_after_a_stable_run(sup):
    comp = sup.add("flaky", [sys.executable, "-c", "raise SystemExit(1)"])
    sup.start_all()
    for _ in range(7):
        _wait_exit(comp)
        sup.tick()
        sup.fake_clock.now = comp.next_start
        sup.tick()
    assert comp.backoff_s == 30.0
    _wait_exit(comp)
    sup.fake_clock.now += 61  # it ran for over a minute before it died
    sup.tick()
    assert comp.next_start - sup.fake_clock.now == 1.0


def test_sigkill_is_reported_and_the_group_is_cleaned_before_restart(sup):
    comp = sup.add("worker", FORKER)
    sup.start_all()
    pid = comp.pid
    deadline = time.monotonic() + 30
    while not _children(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (child,) = _children(pid)
    os.kill(pid, signal.SIGKILL)
    _wait_exit(comp)
    events = sup.tick()
    assert events == ["worker exited with signal SIGKILL after 0.0 s; restarting in 1 s (restart 1)"]
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the orphaned pool child was killed with its group"
    state = read_state(sup.home)
    assert state["components"][0] | {"log": None} == {
        "name": "worker",
        "pid": None,
        "state": "restarting",
        "restarts": 0,
        "last_exit": -9,
        "health_url": None,
        "log": None,
    }
    sup.fake_clock.now += 1
    sup.tick()
    assert alive(comp.pid) and comp.pid != pid


def test_status_lists_components_and_stop_leaves_nothing(sup):
    sup.add("beat", SLEEPER)
    sup.add("api", SLEEPER, health_url="http://127.0.0.1:9/healthz")  # nothing listens on port 9
    sup.start_all()
    report = stackctl.status(sup.home)
    assert report["running"] is True
    assert {c["name"]: (c["state"], c["health"]) for c in report["components"]} == {
        "beat": ("running", "running"),
        "api": ("running", "down"),
    }
    text = stackctl.format_status(report)
    assert "beat" in text and str(sup.components["beat"].pid) in text
    pids = [c.pid for c in sup.components.values()]
    sup.stop(timeout_s=5)
    assert not any(alive(p) for p in pids)
    assert not (sup.home / STATE_FILE).exists()
    assert stackctl.status(sup.home)["running"] is False


def test_down_stops_components_a_dead_supervisor_left_behind(tmp_path):
    import subprocess

    orphan = subprocess.Popen(SLEEPER, start_new_session=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = {
        "supervisor_pid": dead.pid,
        "components": [{"name": "worker", "pid": orphan.pid, "state": "running", "restarts": 0}],
    }
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    done = stackctl.down(tmp_path)
    orphan.wait(10)
    assert done == [f"stopped worker (pid {orphan.pid}), left behind by a supervisor that died"]
    assert not (tmp_path / STATE_FILE).exists()
    assert stackctl.down(tmp_path) == []


def _children(pid: int) -> list[int]:
    import subprocess

    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def test_ctrl_c_stops_up_even_when_it_was_started_with_sigint_ignored(tmp_path):
    """A background job of a script (and a child of a process that ignores SIGINT) starts with SIGINT ignored;
    Python keeps it ignored, so 'up' must install its own handler or Ctrl-C does nothing."""
    import subprocess
    import sys

    from tests import services

    code = (
        "import sys, time\n"
        "from cli.stack import _signals_raise\n"
        "with _signals_raise():\n"
        "    try:\n"
        "        print('ready', flush=True)\n"
        "        time.sleep(60)\n"
        "    except KeyboardInterrupt:\n"
        "        print('stopping', flush=True)\n"
        "        sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=services.ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0
        assert proc.stdout.read().strip() == "stopping"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
