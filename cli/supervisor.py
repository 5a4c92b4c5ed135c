"""The supervisor behind ``patchpilot up``: starts components, restarts the ones that die, records their state.

Each component runs in a process group of its own, so a Ctrl-C in the terminal reaches only the
supervisor, which then stops the components in order; and when a component dies, what it leaves
behind (Celery's pool children) is killed with its group before it is started again.

A component that exits is restarted after a backoff of 1 s doubling to 30 s; the backoff falls back
to 1 s once a run has lasted a minute. Every exit and restart is printed, appended to
``logs/supervisor.log`` and counted in ``stack.json`` under ``PATCHPILOT_HOME``, which
``patchpilot status`` and ``patchpilot down`` read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE = "stack.json"
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_S = 60.0


@dataclass
class Component:
    name: str
    argv: list[str]
    health_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float | None = None
    last_exit: int | None = None
    backoff_s: float = MIN_BACKOFF_S

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def state(self) -> str:
        if self.pid is not None:
            return "running"
        return "restarting" if self.next_start is not None else "stopped"


@dataclass
class Supervisor:
    home: Path
    env: dict[str, str]
    clock: Callable[[], float] = time.monotonic
    say: Callable[[str], None] = print
    min_backoff_s: float = MIN_BACKOFF_S
    max_backoff_s: float = MAX_BACKOFF_S
    stable_s: float = STABLE_S
    components: dict[str, Component] = field(default_factory=dict)
    extra_state: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, argv: list[str], health_url: str | None = None) -> Component:
        comp = Component(name, argv, health_url, backoff_s=self.min_backoff_s)
        self.components[name] = comp
        return comp

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, name: str) -> None:
        comp = self.components[name]
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / f"{name}.log").open("ab") as log:
            comp.proc = subprocess.Popen(
                comp.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        comp.started_at, comp.next_start = self.clock(), None
        self.write_state()

    def start_all(self) -> None:
        for name in self.components:
            self.start(name)

    def tick(self) -> list[str]:
        """Reap components that exited, restart those whose backoff has passed; return what happened."""
        now = self.clock()
        events: list[str] = []
        for comp in self.components.values():
            if comp.proc is not None and comp.proc.poll() is not None:
                comp.last_exit = comp.proc.returncode
                _kill_group(comp.proc.pid, signal.SIGKILL)  # what it left behind (pool children)
                ran = now - comp.started_at
                if ran >= self.stable_s:
                    comp.backoff_s = self.min_backoff_s
                comp.proc, comp.next_start = None, now + comp.backoff_s
                events.append(
                    f"{comp.name} exited with {_exit_text(comp.last_exit)} after {ran:.1f} s; "
                    f"restarting in {comp.backoff_s:.0f} s (restart {comp.restarts + 1})"
                )
                comp.backoff_s = min(comp.backoff_s * 2, self.max_backoff_s)
            elif comp.proc is None and comp.next_start is not None and now >= comp.next_start:
                comp.restarts += 1
                self.start(comp.name)
                started = comp.proc.pid if comp.proc is not None else None  # even if it has died already
                events.append(f"{comp.name} restarted (pid {started}, restart {comp.restarts})")
        for event in events:
            self._log(event)
        if events:
            self.write_state()
        return events

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM every component's group (UIs and API first), wait, then SIGKILL what is left."""
        order = sorted(self.components.values(), key=lambda c: _STOP_ORDER.get(c.name, 0))
        for comp in order:
            if comp.proc is not None:
                _kill_group(comp.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for comp in order:
            if comp.proc is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                comp.proc.wait(max(0.1, deadline - time.monotonic()))
            _kill_group(comp.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                comp.proc.wait(5)
            comp.proc, comp.next_start = None, None
        state = self.home / STATE_FILE
        state.unlink(missing_ok=True)

    # --- state ---------------------------------------------------------------------------------

    def write_state(self) -> None:
        data = {
            "supervisor_pid": os.getpid(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "components": [
                {
                    "name": c.name,
                    "pid": c.pid,
                    "state": c.state(),
                    "restarts": c.restarts,
                    "last_exit": c.last_exit,
                    "health_url": c.health_url,
                    "log": str((self.home / "logs" / f"{c.name}.log").resolve()),
                }
                for c in self.components.values()
            ],
            **self.extra_state,
        }
        path = self.home / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)

    def _log(self, line: str) -> None:
        self.say(f"[supervisor] {line}")
        with (self.home / "logs" / "supervisor.log").open("a") as f:
            f.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {line}\n")


_STOP_ORDER = {"chat-ui": 0, "kb-ui": 0, "api": 1, "beat": 2, "worker": 3, "awx-emulator": 4}


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"code {code}"


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def read_state(home: Path) -> dict[str, Any] | None:
    path = home / STATE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie is not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True
