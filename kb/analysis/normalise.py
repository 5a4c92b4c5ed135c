r"""Normalise a failure text into a template: what stays when hosts, versions, paths and numbers go.

Used for the similarity fallback (../shared/embedder-notes.md: normalisation matters far more
than the model) and to group unmatched failures.

>>> normalise('Failed to connect to the host via ssh: ssh: connect to host 10.10.3.42 port 22: Connection timed out')
'failed to connect to the host via ssh: ssh: connect to host <ip> port <n>: connection timed out'
>>> normalise("installing package kernel-core-5.14.0-611.24.1.el9_7.x86_64 needs 27MB more space on the /boot fs")
'installing package <pkg> needs <n>mb more space on the /boot fs'
>>> normalise("web-prod-02 is in change freeze CHG0041877 until 2026-11-30T06:00:00Z")
'<host> is in change freeze <id> until <time>'
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_SUBS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\\[nrt]"), " "),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), " <time> "),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'\]\)>,]+", re.I), " <url> "),
    (re.compile(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b"), " <ip> "),
    (re.compile(r"\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\b", re.I), " <ip> "),
    (re.compile(r"(connect to host|resolve hostname|for host|on host|[\w.-]+@)\s*[\w.-]+", re.I), r"\1 <host>"),
    (re.compile(r"\b[\w-]+(\.[\w-]+)+\.(com|net|org|io|local|lan|internal|corp|example)\b", re.I), " <host> "),
    (re.compile(r"\b[\w+.~-]+_[\w.+~:-]+_(amd64|arm64|i386|all)\.deb\b"), " <pkg> "),
    (
        re.compile(r"\b[\w+-]+-(\d+:)?[\w.+~]+-[\w.+~]+\.(x86_64|noarch|aarch64|i686|ppc64le|s390x|src)(\.rpm)?\b"),
        " <pkg> ",
    ),
    (re.compile(r"\b[a-z]+(-[a-z0-9]+)*-(prod|stg|staging|dev|test|qa|uat)-\d+\b", re.I), " <host> "),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b", re.I), " <hex> "),
    (re.compile(r"\b[A-Z]{2,}\d{4,}\b"), " <id> "),
    (re.compile(r"'[a-z0-9][\w.-]*-(rpms|source-rpms|debug-rpms)'", re.I), " <repo> "),
    # Paths of two or more components; a lone '/boot' or '/var' is a mount point and tells causes apart.
    (re.compile(r"(?<![\w<])(/[\w.@+~-]+){2,}/?"), " <path> "),
    (re.compile(r"\bv?\d+(\.\d+)+([-+~][\w.+~-]*)?\b"), " <ver> "),
    (re.compile(r"\d+"), "<n>"),
]
_WRAPPER = re.compile(
    r'"?(changed|rc|start|end|delta|cmd|stdout_lines|stderr_lines|invocation|ansible_facts|_ansible_\w+)"?\s*:'
)
_NOISE = re.compile(r"[{}\[\]\"'`]")
_SPACE = re.compile(r"\s+")
MAX_CHARS = 4000


def normalise(text: str) -> str:
    """The template of a failure text (lowercase, placeholders, one space between words)."""
    text = _ANSI.sub("", text[: MAX_CHARS * 4])
    text = _WRAPPER.sub(" ", text)
    for pattern, repl in _SUBS:
        text = pattern.sub(repl, text)
    text = _NOISE.sub(" ", text)
    return _SPACE.sub(" ", text).strip().lower()[:MAX_CHARS]
