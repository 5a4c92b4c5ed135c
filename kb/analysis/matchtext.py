"""Build the text KB patterns are matched against from one Ansible result (evals/README.md section 3).

Fields, in this order, each starting on its own line: ``msg``, ``stderr``, ``stdout``,
``module_stdout``, ``module_stderr``, the ``failures`` list, ``reason``; then the same fields of nested
results: the failed items of a loop (``results``) and the failed modules of a fact gathering
(``failed_modules``). JSON strings arrive decoded (``\\n`` is a newline); CRLF becomes LF.

>>> build_match_text({"msg": "non-zero return code", "stderr": "E: boom\\n", "rc": 1})
'non-zero return code\\nE: boom'
>>> build_match_text({"msg": "MODULE FAILURE", "failed_modules": {"m": {"module_stdout": "sh: python3: not found"}}})
'MODULE FAILURE\\nsh: python3: not found'
"""

from __future__ import annotations

import json
from typing import Any

# ``reason``: what Ansible prints instead of a msg when a task cannot even start (an include that does not
# parse, an action it cannot resolve).
FIELDS = ("msg", "stderr", "stdout", "module_stdout", "module_stderr", "failures", "reason")
# A field longer than this keeps its head and tail: the cause is nearly always in the first
# lines (the message) or the last ones (the error summary of a package manager run).
FIELD_CAP = 64 * 1024
_HEAD = 16 * 1024
_MAX_DEPTH = 3

# Messages that only say "something failed, see elsewhere": the operator message then
# prefers stderr or the nested results.
GENERIC_MESSAGES = (
    "non-zero return code",
    "module failure",
    "the following modules failed to execute",
    "one or more items failed",
    "failed to install some of the specified packages",
)


def cap(text: str, limit: int = FIELD_CAP) -> str:
    """Keep the head and the tail of an over-long text."""
    if len(text) <= limit:
        return text
    return text[:_HEAD] + "\n[...]\n" + text[-(limit - _HEAD) :]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "\n".join(_as_text(v) for v in value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return cap(text.replace("\r\n", "\n").replace("\r", "\n").strip("\n"))


def _nested(result: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    results = result.get("results")
    if isinstance(results, list):
        dicts = [r for r in results if isinstance(r, dict)]
        failed = [r for r in dicts if r.get("failed") is True or r.get("unreachable") is True]
        # Event results keep per-item 'failed'; if no item says so, all items are candidates.
        out.extend(failed if failed or any("failed" in r for r in dicts) else dicts)
    modules = result.get("failed_modules")
    if isinstance(modules, dict):
        out.extend(v for v in modules.values() if isinstance(v, dict))
    return out


def fields_of(result: dict[str, Any], depth: int = 0) -> list[str]:
    """The non-empty match fields of ``result`` and its nested results, in order."""
    parts = [t for t in (_as_text(result.get(name)) for name in FIELDS) if t]
    if depth < _MAX_DEPTH:
        for sub in _nested(result):
            parts.extend(fields_of(sub, depth + 1))
    return parts


def build_match_text(result: dict[str, Any]) -> str:
    return "\n".join(fields_of(result))


def operator_message(result: dict[str, Any]) -> str:
    """The one message to show an operator: msg unless it is generic, else stderr or a nested msg.

    >>> operator_message({"msg": "non-zero return code", "stderr": "Error: no repos\\n"})
    'Error: no repos'
    >>> operator_message({"msg": "Missing sudo password"})
    'Missing sudo password'
    """
    msg = _as_text(result.get("msg"))
    if msg and not msg.lower().startswith(GENERIC_MESSAGES):
        return msg[:4000]
    for name in ("stderr", "module_stderr", "module_stdout", "failures", "reason"):
        text = _as_text(result.get(name))
        if text:
            return text[-4000:]
    for sub in _nested(result):
        text = operator_message(sub)
        if text:
            return text
    stdout = _as_text(result.get("stdout"))
    return (msg or stdout[-4000:] or "")[:4000]


def rc_of(result: dict[str, Any]) -> int | None:
    rc = result.get("rc")
    if isinstance(rc, int) and not isinstance(rc, bool):
        return rc
    for sub in _nested(result):
        sub_rc = rc_of(sub)
        if sub_rc is not None:
            return sub_rc
    return None


def module_of(result: dict[str, Any]) -> str | None:
    """The module name when the result itself says it (a failed fact gathering names its modules)."""
    modules = result.get("failed_modules")
    if isinstance(modules, dict) and modules:
        return str(next(iter(modules)))
    return None
