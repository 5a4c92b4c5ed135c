"""``patchpilot status`` and ``patchpilot down``: look at, or stop, a stack that ``patchpilot up`` started.

Both read ``stack.json`` under ``PATCHPILOT_HOME`` (written by cli.supervisor). ``down`` also stops an
embedded PostgreSQL that a command left running there, and says what it stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from cli.supervisor import STATE_FILE, alive, read_state
from core.embedded import postgres_running, stop_postgres


def health(component: dict[str, Any]) -> str:
    """``ok`` / ``down`` from the component's health URL; ``running`` / ``down`` by pid when it has none."""
    if not alive(component.get("pid")):
        return "down"
    url = component.get("health_url")
    if not url:
        return "running"
    try:
        code = httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return "down"
    return "ok" if code < 500 else f"http {code}"


def status(home: Path) -> dict[str, Any]:
    """The stack's components with pid, state, restarts and health; ``running`` False when no supervisor."""
    state = read_state(home)
    if state is None:
        return {"running": False, "components": [], "postgres_left_running": postgres_running(home / "pg")}
    up = alive(state.get("supervisor_pid"))
    comps = [{**c, "health": health(c) if up else "down"} for c in state.get("components", [])]
    return {**state, "running": up, "components": comps}


def format_status(report: dict[str, Any]) -> str:
    if not report["components"]:
        extra = "; its embedded PostgreSQL is still running ('patchpilot down' stops it)"
        return "no stack is running" + (extra if report.get("postgres_left_running") else "")
    head = f"stack supervised by pid {report.get('supervisor_pid')}" + ("" if report["running"] else " (gone)")
    lines = [head, f"  {'component':<14}{'pid':>8}  {'state':<11}{'restarts':>8}  health"]
    for c in report["components"]:
        pid = str(c.get("pid") or "-")
        lines.append(f"  {c['name']:<14}{pid:>8}  {c['state']:<11}{c['restarts']:>8}  {c['health']}")
    return "\n".join(lines)


def down(home: Path, timeout_s: float = 60.0) -> list[str]:
    """Stop what runs under ``home``: the supervisor (which stops its components and databases), orphaned
    components of a supervisor that was killed, an embedded PostgreSQL left running. Returns what it did."""
    done: list[str] = []
    state = read_state(home)
    if state is not None:
        sup = int(state.get("supervisor_pid") or 0)
        if alive(sup):
            os.kill(sup, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while alive(sup) and time.monotonic() < deadline:
                time.sleep(0.2)
            done.append(f"stopped the stack supervised by pid {sup}")
        for comp in state.get("components", []):
            pid = comp.get("pid")
            if alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGTERM)
                    time.sleep(1)
                    os.killpg(pid, signal.SIGKILL)
                done.append(f"stopped {comp['name']} (pid {pid}), left behind by a supervisor that died")
        redis_pid = int(state.get("redis_pid") or 0)
        if alive(redis_pid):
            os.kill(redis_pid, signal.SIGTERM)
            done.append(f"stopped the embedded Redis (pid {redis_pid})")
        (home / STATE_FILE).unlink(missing_ok=True)
    if postgres_running(home / "pg"):
        stop_postgres(home / "pg")
        done.append(f"stopped the embedded PostgreSQL in {(home / 'pg').resolve()}")
    return done
