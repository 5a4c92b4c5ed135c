"""Slips of the keyboard and list layout, undone before the reader reads a message (data: vocabulary.yaml)."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz.distance import OSA

from agent.reader.words import V

_BULLET = re.compile(r"(?m)^[ \t]*(?:[-*•·▪‣◦–—]|\d{1,3}[.)])[ \t]+")


def unbullet(text: str) -> str:
    """A bulleted or numbered list, one item per line, is a comma list: the dash of "- web-2" is a bullet,
    never a range ("web-1 - web-3").

    >>> unbullet("patch these:\\n- web-2\\n- web-4\\n1. db-1")
    'patch these:\\n, web-2\\n, web-4\\n, db-1'
    """
    return _BULLET.sub(", ", text)


_BRACE = re.compile(r"(?<![\w{])([A-Za-z0-9_.-]*)\{([^{}\s]+)\}([A-Za-z0-9_.-]*)")
_BRACE_RANGE = re.compile(r"^(\d{1,4})\.\.(\d{1,4})$")


def expand_braces(text: str) -> str:
    """Shell brace shorthand for host names: ``web-{01..03}`` and ``db-{1,3}`` are lists of names (at most
    100 names; anything else stays as written and is asked about).

    >>> expand_braces("patch web-{01..03} and db-{1,3}-a")
    'patch web-01, web-02, web-03 and db-1-a, db-3-a'
    """

    def expand(m: re.Match[str]) -> str:
        head, body, tail = m.groups()
        if r := _BRACE_RANGE.match(body):
            a, b = int(r.group(1)), int(r.group(2))
            width = len(r.group(1)) if r.group(1).startswith("0") else 0
            items = [str(n).zfill(width) for n in range(min(a, b), max(a, b) + 1)]
        else:
            items = body.split(",")
        if (not head and not tail) or len(items) > 100 or not all(items):
            return m.group(0)
        return ", ".join(f"{head}{i}{tail}" for i in items)

    return _BRACE.sub(expand, text)


def fix_typos(text: str, inv: Any = None) -> str:
    """One slip of the keyboard in a vocabulary word is read as the word ("pacth" -> patch, "cancle" -> cancel,
    "machiens" -> machines, "tiem" -> time); inventory names and known words are never changed, and a slip
    that could be either of two words is left as written (the reader then asks about it).

    >>> fix_typos("can u pacth web-1 and cancle job 2 about now")
    'can u patch web-1 and cancel job 2 about now'
    >>> fix_typos("two at a tiem, no rebot, evrything on mondya, everyting")
    'two at a time, no reboot, everything on monday, everything'
    >>> fix_typos("stagin servers")  # a misspelt inventory word is not read as one
    'stagin servers'
    """
    folded = inv.folded if inv is not None else {}

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if len(low) < 4 or low in folded or low in _KNOWN:
            return word
        if any(low.startswith(w) and low[len(w) :] in _ENDINGS for w in TYPO_TARGETS if len(w) >= 4):
            return word  # an inflection ("updated", "cancels"), not a slip
        found = {w for w in TYPO_TARGETS if w[0] == low[0] and abs(len(w) - len(low)) <= 1 and _slip(low, w)}
        return found.pop() if len(found) == 1 else word

    return re.sub(r"[A-Za-z]+", fix, text)


def _slip(low: str, word: str) -> bool:
    """``low`` is ``word`` mistyped once; four letters only as a swap or a missing letter (too many real words
    are one letter away from another)."""
    if OSA.distance(low, word) != 1:
        return False
    return len(low) >= 5 or len(word) == len(low) + 1 or sorted(low) == sorted(word)


_KNOWN = V.every_word
_ENDINGS = frozenset({"s", "es", "d", "ed", "ing", "er", "ers", "ly", "y", "n", "en", "able"})
TYPO_TARGETS = frozenset(
    w
    for w in (
        *V.typo_words,
        *V.heads,
        *(h + ("es" if h.endswith(("x", "s")) else "s") for h in V.heads),
        *V.verbs,
        *V.time_units,
    )
    if w.isalpha()
)
