r"""A first pattern, title and slug for a new KB entry, from one example failure (pure).

A pattern suggestion keeps the example's longest *stable* run (no numbers, paths, hosts,
versions, addresses) and escapes it for RE2, so it matches the same failure on other hosts.
The kbengine adds a KB API endpoint for this; until the API offers it, the editor uses these.

>>> suggest_pattern("Error: [Errno 28] No space left on device: '/var/cache/dnf/x.rpm'")
'No space left on device'
>>> suggest_pattern("Cannot find a valid baseurl for repo: epel (1.2.3.4)")
'Cannot find a valid baseurl for repo: epel'
>>> suggest_title("fatal: error: rpmdb open failed. more text here")
'Rpmdb open failed. more text here'
>>> slugify("Error: rpmdb open failed!")
'error-rpmdb-open-failed'
"""

from __future__ import annotations

import re

from ui.text import excerpt

_RE2_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")
# Tokens that vary between hosts/runs: addresses, paths, versions, package NEVRAs, hex ids, numbers.
_VARIABLE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ][\d:.]+\S*"
    r"|[a-z][a-z0-9+.-]*://\S+"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"
    r"|(?:~|\.{0,2})/[\w.@+~/-]*"
    r"|\b[\w+.-]*\d[\w+.:~-]*\b"
    r"|\b[0-9a-f]{8,}\b",
    re.I,
)
_TRIM = " \t'\"`:;,.()[]{}<>=-_/\\|"
_LEADING_NOISE = re.compile(r"^(?:fatal|error|failed|msg|non-zero return code)\s*[:!]\s*", re.I)


def escape_re2(text: str) -> str:
    r"""Escape ``text`` so RE2 matches it literally (spaces stay readable).

    >>> escape_re2("needs 27MB (on /boot)?")
    'needs 27MB \\(on /boot\\)\\?'
    """
    return _RE2_SPECIAL.sub(r"\\\1", text)


def stable_runs(example: str) -> list[str]:
    """The example's text between variable tokens, trimmed, longest first."""
    first = " ".join(example.split())[:1000]
    runs = [part.strip(_TRIM) for part in _VARIABLE.split(first)]
    return sorted({r for r in runs if len(r) >= 4}, key=lambda r: (-len(r), first.find(r)))


def suggest_pattern(example: str) -> str:
    r"""An RE2 pattern from the example's longest stable run (at most 200 characters).

    When the example's whitespace is more than single spaces (newlines, indents), spaces become ``\s+``:
    runs are found on the collapsed text, and the pattern must still match the original.

    >>> suggest_pattern("Transaction test error:\n  installing package foo-1.2.3 needs 12MB")
    'Transaction\\s+test\\s+error:\\s+installing\\s+package'
    """
    runs = stable_runs(example)
    best = runs[0][:200] if runs else excerpt(example, 120).rstrip("…")
    pattern = escape_re2(best)
    return pattern if " ".join(example.split()) == example.strip() else pattern.replace(" ", r"\s+")


def suggest_title(example: str) -> str:
    """A readable title: the example's stable part (or first sentence) without 'fatal:' noise, capitalised."""
    text = " ".join(example.split())
    while True:
        stripped = _LEADING_NOISE.sub("", text)
        if stripped == text:
            break
        text = stripped
    runs = stable_runs(text)
    sentence = runs[0] if runs and len(runs[0]) >= 10 else re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    sentence = excerpt(sentence.rstrip(".!? "), 80).rstrip("…").rstrip() or "Unclassified failure"
    if len(sentence) < 3:
        sentence = f"Failure: {sentence}"
    return sentence[0].upper() + sentence[1:]


def slugify(text: str, limit: int = 60) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "new-entry"
