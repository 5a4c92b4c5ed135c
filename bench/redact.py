"""Redaction on 10 MB of backtracking-prone input: seconds per shape against the <= 10 s target.

A backtracking regex would take minutes or hours on these; linear-time rules take about a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.redact import redact

TARGET_S = 10.0

ADVERSARIAL: dict[str, Callable[[], str]] = {
    "keys": lambda: "password=a " * 900_000,
    "json": lambda: '"k": "v", ' * 1_000_000,
    "begin": lambda: "-----BEGIN RSA PRIVATE KEY-----" * 300_000,
    "run": lambda: "a" * 10_000_000,
    "unclosed": lambda: 'password: "' + "a=b " * 2_500_000,
    "mysql": lambda: ("mysql " + "a" * 90 + "\n") * 100_000,
    "url": lambda: ("postgres://u:" + "p" * 100 + " ") * 90_000,
    "jwt": lambda: "eyJabcdefgh." * 800_000,
    "longkeys": lambda: ("x" * 200 + ":") * 50_000,
    "colons": lambda: "a: " * 3_300_000,
    "escapes": lambda: 'a: "' + '\\"a: ' * 1_600_000,
    "seps": lambda: 'a="b=\'c:"' * 1_000_000,
}


def bench_redact() -> dict[str, Any]:
    """Seconds to redact each 10 MB shape, the slowest, and whether it is within the target."""
    seconds: dict[str, float] = {}
    for name, make in ADVERSARIAL.items():
        text = make()
        start = time.perf_counter()
        redact(text)
        seconds[name] = round(time.perf_counter() - start, 2)
    slowest = max(seconds.values())
    return {"seconds": seconds, "slowest_s": slowest, "target_s": TARGET_S, "within_target": slowest <= TARGET_S}
