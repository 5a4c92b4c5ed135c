"""Text -> whitespace chunks for the lexer: surrounding punctuation stripped, commas and sentence ends kept, and
operators' sibling shorthand ('db-01/02') spelled out."""

from __future__ import annotations

import re

from core.errors import ValidationFailed
from core.inventory import patterns
from core.inventory.inventory import Inventory

_LEAD = "(\"'`“‘<"
_TRAIL = ".,;:!?)\"'`”’>"


def tokenize(inv: Inventory, text: str) -> list[str]:
    """Whitespace chunks without surrounding punctuation; ``,`` and sentence ends kept as their own tokens.

    >>> tokenize(Inventory.parse("all: {hosts: {a-1: {}}}"), "Patch a-1, then (b-2). Ready?")
    ['Patch', 'a-1', ',', 'then', 'b-2', '.', 'Ready', '.']
    """
    out: list[str] = []
    for chunk in text.replace("’", "'").replace("‘", "'").split():
        chunk = chunk.lstrip(_LEAD)
        marks: list[str] = []
        while chunk and chunk[-1] in _TRAIL:
            if chunk[-1] == "?" and _keeps_glob(inv, chunk):
                break
            marks.append(chunk[-1])
            chunk = chunk[:-1]
        if chunk.lower().endswith("'s") and len(chunk) > 2:  # possessive / contraction: "staging's", "what's"
            chunk = chunk[:-2]
        if chunk:
            out.extend(_shorthand(chunk))
        for mark in reversed(marks):
            if mark == ",":
                out.append(",")
            elif mark in ".;!?":
                out.append(".")
    return out


_SHORTHAND = re.compile(r"^(.*[A-Za-z].*?[^0-9])(\d+)((?:[/,+][A-Za-z]*\d+)+)$")


def _shorthand(chunk: str) -> list[str]:
    """Operator shorthand for sibling hosts: 'db-01/02', 'web-01,02' and 'api-u01/u02' -> 'db-01', ',', 'db-02'.

    >>> _shorthand("db-prod-01/02/3"), _shorthand("web-1"), _shorthand("api-u01/u02")
    (['db-prod-01', ',', 'db-prod-02', ',', 'db-prod-03'], ['web-1'], ['api-u01', ',', 'api-u02'])
    >>> _shorthand("api-u01/x02")
    ['api-u01/x02']
    """
    m = _SHORTHAND.match(chunk)
    if m is None:
        return [chunk]
    prefix, first = m.group(1), m.group(2)
    names = [prefix + first]
    for part in re.split(r"[/,+]", m.group(3))[1:]:
        split = re.fullmatch(r"([A-Za-z]*)(\d+)", part)
        assert split is not None  # the pattern above allows nothing else
        letters, digits = split.groups()
        if letters and not tail_of(prefix.lower(), letters.lower()):
            return [chunk]
        names.append(prefix + digits.zfill(len(first)))
    return [x for name in names for x in (",", name)][1:]


def _keeps_glob(inv: Inventory, chunk: str) -> bool:
    """'web-0?' is a glob; 'web-01?' (a question) is not."""
    body = chunk.rstrip("?")
    if not body or body.lower() in inv.folded or not re.search(r"[A-Za-z0-9]", body):
        return False
    try:
        return bool(patterns.evaluate(inv, chunk).hosts)
    except ValidationFailed:
        return False


def tail_of(prefix: str, tail: str) -> bool:
    """Whether a range's end repeats the start's name from a separator on: "p" or "web-p" of "ams1-web-p"."""
    cut = len(prefix) - len(tail)
    return bool(tail) and prefix.endswith(tail) and (cut == 0 or prefix[cut - 1] in "-_.")
