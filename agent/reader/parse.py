"""The typed parse of one message: action, target expression, options, time, job, and every word's place.

``parse`` runs the reader (agent.reader.message.read) and the target reader over the
words it left, and accounts for each word of the message: the rule that consumed it
(job, time, serial, security_only, exclude, packages, reboot, a swap), a filler or
verb, a target word (a host, group, variable value, pattern, host noun or the grammar
between them), or *unplaced*. An unplaced word that stands where a target would is
reported by the target reader (``unknown``), and the agent asks about it by name.

>>> from core.inventory import Inventory
>>> inv = Inventory.parse("all: {children: {web: {hosts: {web-1: {env: prod}, web-2: {env: dev}}}}}")
>>> p = parse("please patch the prod web servers except web-2 tonight, skip the kernel", inv)
>>> p.action, sorted(p.target.hosts()), p.options, p.when
('patch', ['web-1'], {'exclude': ['kernel*']}, 'tonight')
>>> str(p.target)
'((env=prod ∩ group web) − host web-2)'
>>> [w for w, role in p.words if role == "unplaced"], parse("patch the qa web servers", inv).unknown
([], ['qa'])
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agent.policy import screen
from agent.reader.expr import Expr
from agent.reader.expression import expression
from agent.reader.lexer import Kind, lex
from agent.reader.message import read
from agent.reader.words import V

_WORD = re.compile(r"[^\s,;!?.]+(?:\.[^\s,;!?.]+)*")
GRAMMAR = {Kind.DET, Kind.PREP, Kind.CONJ, Kind.ONLY, Kind.EXCL, Kind.NOT, Kind.BUT, Kind.NEG, Kind.NEGPREP}
TARGET = {Kind.TERM, Kind.HOSTS, Kind.HEAD, Kind.QUANT, Kind.ALL, Kind.NUM}


@dataclass
class Parse:
    action: str | None
    target: Expr | None
    options: dict[str, Any]
    when: str | None
    job: int | str | None
    words: list[tuple[str, str]] = field(default_factory=list)  # (word, what placed it)
    unknown: list[str] = field(default_factory=list)  # target words the inventory lacks (the agent asks)
    loose: list[str] = field(default_factory=list)  # unplaced words inside a target phrase (the agent asks)

    @property
    def unplaced(self) -> list[str]:
        return [w for w, role in self.words if role == "unplaced"]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def parse(text: str, inv: Any) -> Parse:
    """One message -> its typed parse over ``inv`` (see the module docstring)."""
    r = read(text, inv)
    options = {k: v for k, v in r.options.items() if k != "when"}
    roles: list[tuple[str, str]] = []
    before = Counter(_words(r.stages[0][1]))
    for role, left in r.stages[1:]:
        after = Counter(_words(left))
        for word, n in (before - after).items():
            roles += [(word, "filler" if role in ("filler", "back_reference", "list") else role)] * n
        before = after
    unknown: list[str] = []
    target: Expr | None = None
    toks = lex(inv, r.targets) if r.targets else []
    if r.targets:
        target, unknown = expression(inv, r.targets)
        for tok in toks:
            kind = tok.kind
            role = (
                "target" if kind in TARGET else "grammar" if kind in GRAMMAR else "action" if kind is Kind.VERB else ""
            )
            if not role:
                role = "unknown target" if tok.text in unknown else "unplaced"
            roles += [(w, role) for w in _words(tok.text)]
    said = {w for _, pattern in V.actions for m in pattern.finditer(text) for w in _words(m.group(0))}
    refused = set(_words(v.matched)) if (v := screen(text)) is not None else set()
    for i, (word, role) in enumerate(roles):
        if role == "unplaced":
            if word in said:
                roles[i] = (word, "action")
            elif word in refused:
                roles[i] = (word, "refused")
            elif len(word) == 1 or V.known(word):
                roles[i] = (word, "filler")
    unplaced = {w for w, role in roles if role == "unplaced"}
    return Parse(r.action, target, options, r.options.get("when"), r.job, roles, unknown, _loose(toks, unplaced))


_SCOPE = {Kind.EXCL, Kind.BUT, Kind.NOT, Kind.NEG, Kind.NEGPREP}


def _loose(toks: list[Any], left: set[str]) -> list[str]:
    """Unplaced words that stand inside a target phrase: after an exclusion word (up to the next comma), right
    after a group or variable word, or right before a host noun. Dropping one would change which hosts are
    meant ("all but the <word> ones", "the qa <word> relay"), so the agent asks instead."""
    out: list[str] = []
    scoped = False
    for i, tok in enumerate(toks):
        if tok.kind in _SCOPE:
            scoped = True
        elif tok.text == ",":
            scoped = False
        words = [w for w in _words(tok.text) if w in left]
        if tok.kind not in TARGET | GRAMMAR and words:
            before = toks[i - 1].kind if i else None
            after = toks[i + 1].kind if i + 1 < len(toks) else None
            if scoped or before is Kind.TERM or after is Kind.HEAD or _plural_object(toks, i, left):
                out += [w for w in words if w not in out]
    return out


def _plural_object(toks: list[Any], i: int, left: set[str]) -> bool:
    """A plural noun after "the" (or after an unplaced word that follows "the") names hosts we cannot place:
    "and the squid proxies too"; the word before it goes with it."""

    def plural(j: int) -> bool:
        low = toks[j].text.lower()
        return low in left and len(low) >= 4 and low.endswith("s") and not low.endswith("ss") and low.isalpha()

    def det(j: int) -> bool:
        return j >= 0 and toks[j].kind is Kind.DET and toks[j].text.lower() in ("the", "these", "those", "all")

    nxt_plural = i + 1 < len(toks) and plural(i + 1) and det(i - 1)
    return (plural(i) and (det(i - 1) or (i > 0 and toks[i - 1].text.lower() in left and det(i - 2)))) or nxt_plural
