"""How ansible's default callback prints under AWX: colours, banners, the PLAY RECAP, stdout assembly.

Contract section 12: 80-column banners, colours kept in events, the recap format with
trailing spaces; ``format=txt`` is the non-empty event stdouts with ANSI stripped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

COLUMNS = 79  # Display.columns = max(79, tty_width - 1) under runner's 80-column pty
GREEN, YELLOW, CYAN, RED, BRIGHT_RED, BRIGHT_PURPLE = "0;32", "0;33", "0;36", "0;31", "1;31", "1;35"
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

EVENT_META: dict[str, tuple[int, str]] = {  # event -> (event_level, event_display)
    "playbook_on_start": (0, "Playbook Started"),
    "verbose": (0, "Verbose"),
    "warning": (0, "Warning"),
    "error": (0, "Error"),
    "playbook_on_play_start": (1, "Play Started"),
    "playbook_on_stats": (1, "Playbook Complete"),
    "playbook_on_task_start": (2, "Task Started"),
    "playbook_on_no_hosts_matched": (2, "No Hosts Matched"),
    "playbook_on_no_hosts_remaining": (2, "No Hosts Remaining"),
    "runner_on_start": (3, "Host Started"),
    "runner_on_ok": (3, "Host OK"),
    "runner_on_failed": (3, "Host Failed"),
    "runner_on_skipped": (3, "Host Skipped"),
    "runner_on_unreachable": (3, "Host Unreachable"),
}
FAILED_TYPES = frozenset({"runner_on_failed", "runner_on_unreachable", "runner_item_on_failed", "error"})


def stringc(text: str, color: str) -> str:
    return f"\x1b[{color}m{text}\x1b[0m"


def strip_ansi(text: str) -> str:
    """
    >>> strip_ansi("\\x1b[0;32mok: [h]\\x1b[0m")
    'ok: [h]'
    """
    return ANSI_RE.sub("", text)


def banner(msg: str) -> str:
    """A banner line as Display.banner prints it: 80 columns under AWX.

    >>> len(banner("TASK [Gathering Facts]")), banner("PLAY RECAP")[:14]
    (80, 'PLAY RECAP ***')
    """
    msg = msg.strip()
    return f"{msg} {'*' * max(3, COLUMNS - len(msg))}"


def _colorize(lead: str, num: int, color: str) -> str:
    text = f"{lead}={num!s:<4}"
    return stringc(text, color) if num else text


def recap_line(host: str, s: HostStats) -> str:
    """One PLAY RECAP line (ansible's default callback, colours on).

    >>> line = strip_ansi(recap_line("web01", HostStats(ok=4, changed=3)))
    >>> line[:61]
    'web01                      : ok=4    changed=3    unreachable'
    >>> line[61:]
    '=0    failed=0    skipped=0    rescued=0    ignored=0   '
    """
    color = RED if (s.failures or s.dark) else YELLOW if s.changed else GREEN
    name = f"{stringc(host, color):<37}"  # 26 visible columns + 11 of colour codes
    parts = [
        _colorize("ok", s.ok, GREEN),
        _colorize("changed", s.changed, YELLOW),
        _colorize("unreachable", s.dark, BRIGHT_RED),
        _colorize("failed", s.failures, RED),
        _colorize("skipped", s.skipped, CYAN),
        _colorize("rescued", s.rescued, GREEN),
        _colorize("ignored", s.ignored, BRIGHT_PURPLE),
    ]
    return f"{name} : {' '.join(parts)}"


@dataclass
class HostStats:
    ok: int = 0
    changed: int = 0
    dark: int = 0
    failures: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


def host_status_counts(stats: dict[str, HostStats]) -> dict[str, int]:
    """Each host once under its worst bucket (order skipped, ok, changed, failures, dark; last wins)."""
    counts: dict[str, int] = {}
    for s in stats.values():
        bucket = None
        for key, value in (
            ("skipped", s.skipped),
            ("ok", s.ok),
            ("changed", s.changed),
            ("failures", s.failures),
            ("dark", s.dark),
        ):
            if value:
                bucket = key
        if bucket:
            counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def stdout_text(events: list[dict[str, Any]], *, ansi: bool) -> str:
    """AWX's stdout: the non-empty event stdouts in start_line order, one per line, CRLF -> LF."""
    parts = []
    for ev in sorted(events, key=lambda e: (e["start_line"], e["counter"])):
        if ev["stdout"]:
            text = ev["stdout"].replace("\r\n", "\n")
            parts.append(text if ansi else strip_ansi(text))
    return "".join(p + "\n" for p in parts)


def truncate_stdout(text: str, limit: int = 1024) -> str:
    """List views cut event stdout at 1023 chars + '…' and re-close an open colour code.

    >>> truncate_stdout("\\x1b[0;31m" + "x" * 2000 + "\\x1b[0m").endswith("…\\x1b[0m")
    True
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1] + "…"
    codes = ANSI_RE.findall(cut)
    if codes and codes[-1] != "\x1b[0m":
        cut += "\x1b[0m"
    return cut
