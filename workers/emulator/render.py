"""Render an ansible-playbook run as AWX stores it: job events with stdout chunks, line numbers and stats.

Follows ../shared/awx-api-contract.md section 12 (default callback under AWX:
80-column banners, colours kept in events, CRLF from the pty, the PLAY RECAP
format with trailing spaces) and 12.1 (one raw chunk per event; ``stdout`` is
the chunk without its final CR/LF; ``end_line - start_line`` = newlines in the chunk).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from workers.emulator.display import (
    BRIGHT_PURPLE,
    BRIGHT_RED,
    CYAN,
    EVENT_META,
    FAILED_TYPES,
    GREEN,
    RED,
    YELLOW,
    HostStats,
    banner,
    recap_line,
    stringc,
)
from workers.emulator.playbook_shape import (
    APPLY_APT,
    APPLY_DNF,
    APT_OS,
    GATHER,
    PLAYBOOK_SHAPE,
    REBOOT,
    REBOOT_CHECK,
    REBOOT_IF_REQUIRED,
    SIMULATE,
    TASK_ACTIONS,
)


@dataclass
class HostPlan:
    """What happens to one host: ``result`` is ok|changed; ``fail_task`` fails it there (``unreachable`` or not)."""

    name: str
    os: str = "rhel9"
    addr: str = ""
    result: str = "changed"
    fail_task: str | None = None
    unreachable: bool = False
    message: str = ""
    hang_task: str | None = None


@dataclass
class Rendered:
    events: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, HostStats] = field(default_factory=dict)
    reached_stats: bool = False
    hung: bool = False
    failed: bool = False
    lines: int = 0


class _Builder:
    def __init__(self, playbook: str) -> None:
        self.out = Rendered()
        self.playbook = playbook
        self.playbook_uuid = str(uuid.uuid4())
        self.play: dict[str, Any] = {}
        self.task: dict[str, Any] = {}

    def emit(self, event: str, chunk: str, *, host: str = "", res: dict[str, Any] | None = None, **data: Any) -> None:
        base: dict[str, Any] = {}
        if event not in ("verbose",):
            base = {"playbook": self.playbook, "playbook_uuid": self.playbook_uuid}
            if self.play:
                base.update(self.play)
            if self.task and event.startswith(("runner_", "playbook_on_task_start")):
                base.update(self.task)
        if host:
            base["host"] = host
        if res is not None:
            base["res"] = res
        base.update(data)
        ev_uuid = str(uuid.uuid4())
        if event != "verbose":
            base["uuid"] = ev_uuid
        parent = ""
        if event.startswith("runner_"):
            parent = self.task.get("task_uuid", "")
        elif event in ("playbook_on_task_start", "playbook_on_no_hosts_matched", "playbook_on_no_hosts_remaining"):
            parent = self.play.get("play_uuid", "")
        elif event in ("playbook_on_play_start", "playbook_on_stats"):
            parent = self.playbook_uuid
        level, display = EVENT_META.get(event, (0, event))
        is_failed = event in FAILED_TYPES and not base.get("ignore_errors", False)
        lines = chunk.count("\n")
        self.out.events.append(
            {
                "event": event,
                "event_display": display,
                "event_level": level,
                "counter": len(self.out.events) + 1,
                "host_name": host,
                "playbook": self.playbook if event != "verbose" else "",
                "play": self.play.get("play", "") if event != "verbose" else "",
                "task": self.task.get("task", "") if event.startswith(("runner_", "playbook_on_task")) else "",
                "role": "",
                "stdout": chunk.rstrip("\r\n"),
                "start_line": self.out.lines,
                "end_line": self.out.lines + lines,
                "event_data": base,
                "failed": is_failed,
                "changed": bool((res or {}).get("changed")),
                "uuid": ev_uuid if event != "verbose" else "",
                "parent_uuid": parent,
                "verbosity": 0,
            }
        )
        self.out.lines += lines


def _display_json(res: dict[str, Any]) -> str:
    shown = {k: v for k, v in res.items() if k not in ("invocation", "diff", "exception") and not k.startswith("_")}
    return json.dumps(shown, sort_keys=True, ensure_ascii=False)


def _applies(task: str, plan: HostPlan) -> bool:
    """Whether the task runs on the host (the dnf/apt split and the reboot only when needed)."""
    if task == APPLY_DNF:
        return plan.os not in APT_OS
    if task == APPLY_APT:
        return plan.os in APT_OS
    if task == REBOOT_IF_REQUIRED:
        return plan.result == "changed"
    return True


def _fail_res(task: str, plan: HostPlan) -> dict[str, Any]:
    msg = plan.message
    if plan.unreachable:
        return {"changed": False, "msg": msg, "unreachable": True}
    if task in (APPLY_DNF, SIMULATE) and plan.os not in APT_OS:
        res: dict[str, Any] = {"changed": False, "failures": [], "msg": msg, "rc": 1, "results": []}
    elif task in (APPLY_APT, SIMULATE):
        res = {"changed": False, "msg": msg, "rc": 100, "stdout": "", "stdout_lines": []}
    elif task in (REBOOT, REBOOT_IF_REQUIRED):
        res = {"changed": False, "elapsed": 612, "msg": msg, "rebooted": True}
    elif task == REBOOT_CHECK:
        res = {"changed": False, "msg": msg, "rc": 3, "stderr": msg, "stdout": ""}
    elif task == GATHER:
        res = {"ansible_facts": {}, "changed": False, "msg": msg}
    else:
        res = {"changed": False, "msg": msg}
    res["_ansible_no_log"] = False
    return res


def _ok_changed(task: str, plan: HostPlan) -> bool:
    if task in (APPLY_DNF, APPLY_APT, SIMULATE, REBOOT_IF_REQUIRED, REBOOT):
        return plan.result == "changed"
    return False


def render_zero_hosts(playbook: str, unmatched: list[str]) -> Rendered:
    """Contract 12.4 C2: the limit matches nothing; ansible stops before any play (no callback events)."""
    b = _Builder(playbook)
    for pattern in unmatched:
        b.emit(
            "verbose",
            stringc(f"[WARNING]: Could not match supplied host pattern, ignoring: {pattern}", BRIGHT_PURPLE) + "\r\n",
        )
    msg = "ERROR! Specified inventory, host pattern and/or --limit leaves us with no hosts to target."
    b.emit("verbose", stringc(msg, RED) + "\r\n")
    b.out.failed = True
    return b.out


def render_run(
    playbook: str, play_hosts: list[str], plans: dict[str, HostPlan], unmatched: list[str] | None = None
) -> Rendered:
    """Render ``playbook`` over ``plans`` (limit order); ``play_hosts`` are the hosts the plays' pattern selects."""
    b = _Builder(playbook)
    for pattern in unmatched or []:
        b.emit(
            "verbose",
            stringc(f"[WARNING]: Could not match supplied host pattern, ignoring: {pattern}", BRIGHT_PURPLE) + "\r\n",
        )
    b.emit("playbook_on_start", "")
    stats: dict[str, HostStats] = {h: HostStats() for h in plans if h in play_hosts}
    alive = [h for h in plans if h in play_hosts]
    for play_name, tasks in PLAYBOOK_SHAPE[playbook]:
        play_uuid = str(uuid.uuid4())
        b.play = {"play": play_name, "play_uuid": play_uuid, "play_pattern": "all", "name": play_name, "pattern": "all"}
        b.task = {}
        b.emit("playbook_on_play_start", f"\r\n{banner(f'PLAY [{play_name}]')}\r\n", name=play_name, pattern="all")
        b.play = {"play": play_name, "play_uuid": play_uuid, "play_pattern": "all"}
        if not alive:
            b.emit("playbook_on_no_hosts_matched", stringc("skipping: no hosts matched", CYAN) + "\r\n")
            continue
        for task in tasks:
            task_uuid = str(uuid.uuid4())
            action = TASK_ACTIONS[task]
            b.task = {
                "task": task,
                "task_uuid": task_uuid,
                "task_action": action,
                "resolved_action": action,
                "task_args": "",
                "task_path": f"/runner/project/{playbook}:{10 + 6 * tasks.index(task)}",
            }
            b.emit("playbook_on_task_start", f"\r\n{banner(f'TASK [{task}]')}\r\n", name=task, is_conditional=False)
            for host in list(alive):
                plan = plans[host]
                addr = plan.addr or host
                b.emit("runner_on_start", "", host=host)
                if plan.hang_task == task:
                    b.out.hung = True
                    b.out.stats = stats
                    return b.out
                common: dict[str, Any] = {"remote_addr": addr, "start": "", "end": "", "duration": 0.0}
                if plan.fail_task == task:
                    res = _fail_res(task, plan)
                    alive.remove(host)
                    if plan.unreachable:
                        stats[host].dark += 1
                        line = stringc(f"fatal: [{host}]: UNREACHABLE! => {_display_json(res)}", BRIGHT_RED)
                        b.emit("runner_on_unreachable", line + "\r\n", host=host, res=res, **common)
                    else:
                        stats[host].failures += 1
                        line = stringc(f"fatal: [{host}]: FAILED! => {_display_json(res)}", RED)
                        b.emit(
                            "runner_on_failed",
                            line + "\r\n",
                            host=host,
                            res=res,
                            ignore_errors=False,
                            event_loop=None,
                            **common,
                        )
                elif not _applies(task, plan):
                    stats[host].skipped += 1
                    res = {"changed": False, "skip_reason": "Conditional result was False", "_ansible_no_log": False}
                    b.emit(
                        "runner_on_skipped",
                        stringc(f"skipping: [{host}]", CYAN) + "\r\n",
                        host=host,
                        event_loop=None,
                        **common,
                    )
                else:
                    changed = _ok_changed(task, plan)
                    stats[host].ok += 1
                    stats[host].changed += int(changed)
                    res = {"changed": changed, "_ansible_no_log": False}
                    if task == GATHER:
                        res["ansible_facts"] = {"discovered_interpreter_python": "/usr/bin/python3"}
                    label = stringc(f"changed: [{host}]", YELLOW) if changed else stringc(f"ok: [{host}]", GREEN)
                    b.emit("runner_on_ok", label + "\r\n", host=host, res=res, event_loop=None, **common)
            if not alive:
                b.task = {}
                b.emit("playbook_on_no_hosts_remaining", f"\r\n{banner('NO MORE HOSTS LEFT')}\r\n")
                break
        if not alive:
            break
    b.play, b.task = {}, {}
    recap = "".join(f"{recap_line(h, stats[h])}\r\n" for h in sorted(stats))
    counts: dict[str, Any] = {
        key: {h: getattr(s, key) for h, s in stats.items() if getattr(s, key)}
        for key in ("changed", "dark", "failures", "ignored", "ok", "rescued", "skipped")
    }
    b.emit(
        "playbook_on_stats",
        f"\r\n{banner('PLAY RECAP')}\r\n{recap}\r\n",
        **counts,
        processed={h: 1 for h in stats},
        artifact_data={},
    )
    b.out.events[-1]["failed"] = any(s.failures or s.dark for s in stats.values())
    b.out.stats = stats
    b.out.reached_stats = True
    b.out.failed = b.out.events[-1]["failed"]
    return b.out
