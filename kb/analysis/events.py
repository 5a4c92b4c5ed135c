"""Read AWX job events (``/api/v2/jobs/{id}/job_events/`` rows) into the same failures as the stdout parser.

Works on a full event list or on only the failed ones (what the collector fetches). The
host's final ``runner_on_failed`` of a loop task supersedes its ``runner_item_on_failed``
events; ``event_data.ignore_errors`` marks ignored results; a ``playbook_on_stats`` event,
when present, plays the part of the PLAY RECAP.

>>> events = [
...     {"event": "playbook_on_play_start", "counter": 1, "play": "Patch", "event_data": {"name": "Patch"}},
...     {"event": "playbook_on_task_start", "counter": 2, "task": "Update", "play": "Patch",
...      "event_data": {"task": "Update", "task_action": "ansible.builtin.dnf", "task_uuid": "t1"}},
...     {"event": "runner_on_failed", "counter": 3, "host_name": "web-02", "task": "Update", "play": "Patch",
...      "role": "", "event_data": {"task_action": "ansible.builtin.dnf", "task_uuid": "t1",
...      "res": {"msg": "Depsolve Error occurred", "rc": 1}, "ignore_errors": False}},
... ]
>>> [(f.host, f.task, f.module, f.rc) for f in parse_events(events).failures]
[('web-02', 'Update', 'ansible.builtin.dnf', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kb.analysis.tracker import Tracker
from kb.models import Analysis

_FAILED = {"runner_on_failed", "runner_on_async_failed", "runner_on_error"}
_HOST_EVENTS = _FAILED | {
    "runner_on_ok",
    "runner_on_skipped",
    "runner_on_unreachable",
    "runner_item_on_ok",
    "runner_item_on_failed",
    "runner_item_on_skipped",
    "runner_on_async_ok",
}


def _data(event: Mapping[str, Any]) -> Mapping[str, Any]:
    data = event.get("event_data")
    return data if isinstance(data, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _task_name(event: Mapping[str, Any]) -> str:
    data = _data(event)
    task = _text(event.get("task")) or _text(data.get("task")) or _text(data.get("name"))
    role = _text(event.get("role")) or _text(data.get("role"))
    if role and not task.startswith(f"{role} : "):
        task = f"{role} : {task}"
    return task


def _task_key(event: Mapping[str, Any]) -> tuple[str, str]:
    data = _data(event)
    return (_text(data.get("task_uuid")), _task_name(event))


def _counter(event: Mapping[str, Any]) -> int:
    value = event.get("counter")
    return value if isinstance(value, int) else 0


def parse_events(events: Iterable[Mapping[str, Any]]) -> Analysis:
    """Failures from job events; malformed events are skipped, never raised on."""
    rows = [e for e in events if isinstance(e, Mapping)]
    rows.sort(key=_counter)
    t = Tracker()
    current: tuple[str, str] | None = None
    play: str | None = None
    for event in rows:
        kind = event.get("event")
        data = _data(event)
        t.line = _counter(event)
        event_play = _text(event.get("play")) or _text(data.get("play")) or None
        if kind == "playbook_on_play_start" or (event_play is not None and event_play != play):
            play = event_play or _text(data.get("name")) or None
            t.play_start(play)
            current = None
            if kind == "playbook_on_play_start":
                continue
        if kind == "playbook_on_stats":
            _stats(t, data)
            continue
        if kind not in _HOST_EVENTS and kind != "playbook_on_task_start":
            continue
        key = _task_key(event)
        if key != current and key != ("", ""):
            current = key
            role = _text(event.get("role")) or _text(data.get("role")) or None
            module = _text(data.get("resolved_action")) or _text(data.get("task_action")) or None
            t.task_start(key[1], role=role, module=module)
        if kind == "playbook_on_task_start":
            continue
        host = _text(event.get("host_name")) or _text(data.get("host"))
        if not host:
            continue
        res = data.get("res")
        result = dict(res) if isinstance(res, Mapping) else {}
        if kind == "runner_on_unreachable":
            t.failed(host, result, unreachable=True, ignored=bool(data.get("ignore_unreachable")))
        elif kind == "runner_item_on_failed":
            label = result.get("_ansible_item_label", result.get("item"))
            t.failed(host, result, item=str(label) if label is not None else "?")
        elif kind in _FAILED:
            t.failed(host, result, final=True, ignored=data.get("ignore_errors") is True)
        else:
            t.activity(host)
    return t.result(lines=len(rows))


def _stats(t: Tracker, data: Mapping[str, Any]) -> None:
    names = {"failures": "failed", "dark": "unreachable", "rescued": "rescued", "ignored": "ignored", "ok": "ok"}
    hosts: set[str] = set()
    for key in names:
        value = data.get(key)
        if isinstance(value, Mapping):
            hosts.update(str(h) for h in value)
    for host in hosts:
        counts = {}
        for key, name in names.items():
            value = data.get(key)
            n = value.get(host, 0) if isinstance(value, Mapping) else 0
            counts[name] = n if isinstance(n, int) else 0
        t.recap_line(host, counts)
