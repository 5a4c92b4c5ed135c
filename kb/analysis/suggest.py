r"""Suggest a KB entry from an example failure: an RE2 pattern, a title and a slug (the editor's "new from
this failure"; moved here from the UI, which now asks ``POST /api/v1/kb/suggest``).

The pattern is the example's longest stable run of text (between hosts, paths, versions, numbers
and ids), escaped for RE2, whitespace made flexible when the example has more than single
spaces. It is checked: it compiles and it matches the example, or the suggestion says so.

>>> suggest_pattern("Transaction test error:\n  installing package foo-1.2.3 needs 12MB")
'Transaction\\s+test\\s+error:\\s+installing\\s+package'
>>> suggest_title("fatal: Failed to download metadata for repo 'appstream'")
"Failed to download metadata for repo 'appstream"
>>> slugify("Failed to download metadata for repo")
'failed-to-download-metadata-for-repo'
"""

from __future__ import annotations

import re

import re2

from kb.analysis.matcher import validate_pattern

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
MAX_PATTERN_CHARS = 200
_RE2_SPACE = re.compile(r"[ \t\n\r\f\v]+")  # what RE2's \s matches (Python's str.split splits on more)


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


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat[:limit]


def _flexible(pattern: str, example: str) -> str:
    return pattern if " ".join(example.split()) == example.strip() else pattern.replace(" ", r"\s+")


def _matches(pattern: str, example: str) -> bool:
    o = re2.Options()
    o.case_sensitive = False
    o.log_errors = False
    try:
        return re2.compile(pattern, o).search(example) is not None
    except re2.error:
        return False


def suggest_pattern(example: str) -> str:
    """An RE2 pattern (at most 200 characters of text) that compiles and matches ``example``.

    The longest stable run that matches wins; if none does (unusual whitespace), the example's
    head, escaped, with flexible whitespace.
    """
    for run in stable_runs(example)[:5]:
        pattern = _flexible(escape_re2(run[:MAX_PATTERN_CHARS]), example)
        if _matches(pattern, example):
            return pattern
    words = [w for w in _RE2_SPACE.split(example) if w][:20]
    pattern = r"\s+".join(escape_re2(w) for w in words)
    return pattern if pattern and _matches(pattern, example) else escape_re2(example[:120])


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
    sentence = _excerpt(sentence.rstrip(".!? "), 80).rstrip() or "Unclassified failure"
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


def suggestion(example: str) -> dict[str, object]:
    """``{pattern, title, slug, matches_example}`` for an example failure text (pattern validated by RE2)."""
    pattern = suggest_pattern(example)
    validate_pattern(pattern)
    title = suggest_title(example)
    return {"pattern": pattern, "title": title, "slug": slugify(title), "matches_example": _matches(pattern, example)}
