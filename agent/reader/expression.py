"""The target expression a phrase names (union, intersection, difference), built from the target reader's
phrases; it selects exactly what :func:`agent.reader.targets.resolve_targets` resolves."""

from __future__ import annotations

from agent.reader.expr import Atom, Difference, Expr, Intersect, Union
from agent.reader.grammar import Reader
from agent.reader.lexer import lex
from agent.reader.phrase import Phrase
from core.inventory import Inventory


def _phrase_expr(phrase: Phrase, universe: set[str]) -> Expr | None:
    if phrase.tainted:
        return Atom("(unknown)", frozenset())
    if phrase.slots or phrase.negs:
        base: Expr = (
            Intersect(tuple(Atom(s.label(), frozenset(s.hosts)) for s in phrase.slots))
            if phrase.slots
            else Atom("all hosts", frozenset(universe))
        )
        if phrase.negs:
            base = Difference(base, Union(tuple(Atom(s.label(), frozenset(s.hosts)) for s in phrase.negs)))
        return base
    if phrase.quant and (phrase.head or phrase.all_but):
        return Atom("all hosts", frozenset(universe))
    return None


def expression(inv: Inventory, text: str) -> tuple[Expr | None, list[str]]:
    """The target expression ``text`` names (None when it names no target) and the words the inventory lacks.

    It selects exactly what :func:`resolve_targets` resolves.
    """
    reader = Reader(lex(inv, text))
    reader.read()
    universe = set(inv.hosts)
    named = [(p, e) for p in reader.phrases if (e := _phrase_expr(p, universe)) is not None]
    if any(p.include and not p.everything for p, _ in named):
        named = [(p, e) for p, e in named if not (p.include and p.everything and not p.slots)]
    include = [e for p, e in named if p.include]
    exclude = [e for p, e in named if not p.include]
    unknown = list(dict.fromkeys(reader.unknown))
    if not include:
        return (
            Atom("(unknown)", frozenset()) if any(p.include and p.tainted for p in reader.phrases) else None
        ), unknown
    expr: Expr = Union(tuple(include))
    if exclude:
        expr = Difference(expr, Union(tuple(exclude)))
    return expr, unknown
