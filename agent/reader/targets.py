"""Turn an operator's words into explicit host names: ``resolve_targets``.

Deterministic, no model. The text is lexed (``lexer.py``) into target tokens
and boundaries, then read left to right (``grammar.py``):

- a *phrase* is a run of target words; its terms intersect ("the staging web
  servers" = staging ∩ web), except terms of the same kind joined by and/or/","
  which unite ("web and db servers" = (web ∪ db)); a host noun ends a phrase;
  "in/on/running/that are ..." after a phrase restricts it ("the web servers in prod");
- explicit hosts, ranges and Ansible patterns stand alone and unite;
- "except/excluding/other than/not/but not/skip/all but ..." switch to
  exclusion until the next non-target word;
- "but" + a target excludes it ("everything in fra2 but the bastions");
- a restriction after a comma applies to everything named before it ("the lbs and the
  pg boxes, production only" = (lb ∪ pg) ∩ production); a host or a glob before
  "in/on <group>" is restricted by it, never joined with it;
- words standing where a target would ("the **qa** servers", "db-prod-03") that
  the inventory does not have are reported as unknown, never guessed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.reader.grammar import Reader
from agent.reader.lexer import lex
from agent.reader.lexicon import lexicon_of
from agent.reader.phrase import Phrase
from core.inventory.inventory import Inventory


class TargetResolution(BaseModel):
    """What a sentence names as targets, resolved to explicit host names (never guessed).

    >>> TargetResolution(include=["b", "a", "c"], exclude=["c"]).hosts
    ['a', 'b']
    >>> TargetResolution(include=None, exclude=["a"]).hosts
    []
    """

    model_config = ConfigDict(frozen=True)

    include: list[str] | None = None  # None: the text names no positive target at all
    exclude: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)  # target-looking words the inventory does not have
    suggestions: dict[str, list[str]] = Field(default_factory=dict)  # unknown -> close inventory names
    terms: list[str] = Field(default_factory=list)  # what was recognised, for the confirmation text

    @property
    def hosts(self) -> list[str]:
        return sorted(set(self.include or []) - set(self.exclude))

    @property
    def named_target(self) -> bool:
        """Whether the text names any positive target (known or not)."""
        return self.include is not None or bool(self.unknown)


def resolve_targets(inv: Inventory, text: str) -> TargetResolution:
    """The hosts ``text`` names, the hosts it excludes, and the names the inventory lacks.

    >>> inv = Inventory.parse('''
    ... all:
    ...   children:
    ...     web: {hosts: {web-prod-01: {env: prod}, web-prod-02: {env: prod}, web-stg-01: {env: staging}}}
    ...     db: {hosts: {db-prod-01: {env: prod, critical: true}}}
    ... ''')
    >>> resolve_targets(inv, "Patch the prod web servers tonight, skip the kernel").hosts
    ['web-prod-01', 'web-prod-02']
    >>> r = resolve_targets(inv, "every prod host except web-prod-02")
    >>> r.hosts, r.terms
    (['db-prod-01', 'web-prod-01'], ['env=prod', 'except host web-prod-02'])
    >>> r = resolve_targets(inv, "reboot db-prod-03")
    >>> r.include, r.unknown, r.suggestions
    ([], ['db-prod-03'], {'db-prod-03': ['db-prod-01']})
    >>> resolve_targets(inv, "not web-prod-01").include is None
    True
    >>> resolve_targets(inv, "the staging databases").include
    []
    """
    toks = lex(inv, text)
    reader = Reader(toks)
    reader.read()
    universe = set(inv.hosts)
    named: list[tuple[Phrase, set[str]]] = []
    for phrase in reader.phrases:
        value = phrase.value(universe)
        if value is not None:
            named.append((phrase, value))
    if any(p.include and not p.everything for p, _ in named):
        named = [(p, v) for p, v in named if not (p.include and p.everything and not p.slots)]
    positive = [(p, v) for p, v in named if p.include]
    include = sorted(set().union(*(v for _, v in positive))) if positive else None
    if include is None and any(p.include and p.tainted for p in reader.phrases):
        include = []
    exclude = sorted(set().union(*(v for p, v in named if not p.include)))
    unknown = list(dict.fromkeys(reader.unknown))
    return TargetResolution(
        include=include,
        exclude=exclude,
        unknown=unknown,
        suggestions={u: lexicon_of(inv).suggest(u) for u in unknown},
        terms=[p.label() for p, _ in named if not p.tainted and p.label().strip()],
    )
