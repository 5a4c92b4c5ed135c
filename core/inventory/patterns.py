"""Ansible host patterns evaluated against an inventory, as ansible-core does (InventoryManager).

Grammar: terms separated by ``,`` (or, when there is no comma, by ``:`` / spaces
outside brackets); a term is a group or host name, a glob (``*``, ``?``,
``[abc]``), a regex (``~web-0[12]``), ``all``/``*``, optionally ``&`` (intersection)
or ``!`` (exclusion) first. Plain terms are unioned in order, then ``&`` terms
intersect, then ``!`` terms subtract; with no plain term the base is ``all``.

Two deliberate differences from ansible-core: names and globs compare
case-insensitively (the result is explicit host names, shown before anything runs);
and ``name[x:y]`` is a subscript only when ``name`` matches a group or host; otherwise it
is an inventory-style range, so ``web-prod-[01:03]`` means web-prod-01..03.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.errors import ValidationFailed
from core.inventory import ranges

if TYPE_CHECKING:
    from core.inventory.inventory import Inventory

_SPLIT = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+):([0-9]*))\]$")
_TERM_CHARS = re.compile(r"^[A-Za-z0-9_.*?\[\]:!^-]+$")
_GLOB = re.compile(r"[*?\[]")


@dataclass
class PatternResult:
    hosts: set[str] = field(default_factory=set)
    unmatched: list[str] = field(default_factory=list)


def split(pattern: str) -> list[str]:
    """The terms of a pattern, as ansible-core splits them.

    >>> split("app:&prod:!app-prod-04"), split("web-prod-[01:03], db")
    (['app', '&prod', '!app-prod-04'], ['web-prod-[01:03]', 'db'])
    >>> split("web[0")
    Traceback (most recent call last):
    ...
    core.errors.ValidationFailed: invalid host pattern 'web[0': unbalanced '[' or ']'
    """
    text = pattern.strip()
    if not text:
        raise ValidationFailed("empty host pattern: name hosts or groups, e.g. 'web:&prod'")
    depth = 0
    for ch in text:
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth not in (0, 1):
            break
    if depth != 0:
        raise ValidationFailed(f"invalid host pattern {pattern!r}: unbalanced '[' or ']'")
    terms = [t.strip() for t in text.split(",")] if "," in text else _SPLIT.findall(text)
    return [t for t in terms if t]


def evaluate(inv: Inventory, pattern: str) -> PatternResult:
    """Hosts selected by ``pattern`` and the terms that matched nothing.

    >>> from core.inventory.inventory import Inventory
    >>> inv = Inventory.parse("all: {children: {web: {hosts: {w1: {}, w2: {}}}, db: {hosts: {d1: {}}}}}")
    >>> r = evaluate(inv, "web:db:!w2:nosuch")
    >>> sorted(r.hosts), r.unmatched
    (['d1', 'w1'], ['nosuch'])
    >>> sorted(evaluate(inv, "!web").hosts), sorted(evaluate(inv, "web[1]").hosts)
    (['d1'], ['w2'])
    >>> evaluate(inv, "~(web")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.ValidationFailed: invalid host pattern '~(web': bad regular expression: missing ), ...
    """
    terms = split(pattern)
    regular = [t for t in terms if t[0] not in "&!"]
    inter = [t[1:] for t in terms if t[0] == "&"]
    excl = [t[1:] for t in terms if t[0] == "!"]
    result = PatternResult()
    selected: set[str] = set() if regular else set(inv.hosts)
    for term in regular:
        selected |= _term(inv, term, pattern, result)
    for term in inter:
        selected &= _term(inv, term, pattern, result)
    for term in excl:
        selected -= _term(inv, term, pattern, result)
    result.hosts = selected
    return result


def _term(inv: Inventory, term: str, pattern: str, result: PatternResult) -> set[str]:
    if not term:
        raise ValidationFailed(f"invalid host pattern {pattern!r}: '&' or '!' must be followed by a name")
    found = _enumerate(inv, term, pattern)
    if not found:
        result.unmatched.append(term)
    return set(found)


def _enumerate(inv: Inventory, term: str, pattern: str) -> list[str]:
    if term.startswith("~"):
        return _regex(inv, term[1:], pattern)
    if term.startswith("@"):
        raise ValidationFailed(f"invalid host pattern {pattern!r}: limit files (@file) are not supported")
    if not _TERM_CHARS.match(term):
        bad = sorted({c for c in term if not re.match(r"[A-Za-z0-9_.*?\[\]:!^-]", c)})
        raise ValidationFailed(f"invalid host pattern {pattern!r}: {term!r} holds {' '.join(map(repr, bad))}")
    m = _SUBSCRIPT.match(term)
    if m:
        base = _names(inv, m.group(1))
        if base:
            return _subscript(base, m, pattern)
    if ranges.has_range(term):
        out: list[str] = []
        for name in ranges.expand(term):
            out.extend(h for h in _names(inv, name) if h not in out)
        return out
    return _names(inv, term)


def _names(inv: Inventory, term: str) -> list[str]:
    """ansible-core's _enumerate_matches: groups first; hosts when no group matched or the term is a glob."""
    matcher = _glob(term)
    groups = [g for g in inv.groups if matcher(g)]
    hosts: list[str] = []
    for g in groups:
        hosts.extend(h for h in inv.ordered[g] if h not in hosts)
    if not groups or _GLOB.search(term) or "." in term:
        hosts.extend(h for h in inv.order if matcher(h) and h not in hosts)
    return hosts


def _glob(term: str) -> Callable[[str], bool]:
    if _GLOB.search(term):
        rx = re.compile(fnmatch.translate(term), re.IGNORECASE)
        return lambda name: rx.match(name) is not None
    folded = term.lower()
    return lambda name: name.lower() == folded


def _regex(inv: Inventory, expr: str, pattern: str) -> list[str]:
    if not expr:
        raise ValidationFailed(f"invalid host pattern {pattern!r}: '~' must be followed by a regular expression")
    try:
        rx = re.compile(expr)
    except re.error as exc:
        raise ValidationFailed(f"invalid host pattern {pattern!r}: bad regular expression: {exc}") from exc
    hosts: list[str] = []
    for g in inv.groups:
        if rx.match(g):
            hosts.extend(h for h in inv.ordered[g] if h not in hosts)
    hosts.extend(h for h in inv.order if rx.match(h) and h not in hosts)
    return hosts


def _subscript(hosts: list[str], m: re.Match[str], pattern: str) -> list[str]:
    index, start, end = m.group(2), m.group(3), m.group(4)
    try:
        if index is not None:
            return [hosts[int(index)]]
    except IndexError:
        raise ValidationFailed(f"invalid host pattern {pattern!r}: index {index} is out of range") from None
    last = int(end) if end else len(hosts) - 1
    return hosts[int(start) : last + 1]
