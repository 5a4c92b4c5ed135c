"""Target words of a conversation -> hosts: the first phrase names the targets, later ones amend them."""

from __future__ import annotations

import re
from typing import Any

from agent.reader.lexer import Kind, lex
from agent.reader.targets import resolve_targets
from tools.ports import Resolved

_ONLY = re.compile(r"^\W*(?:only|just|solely)\b", re.IGNORECASE)
_WHERE = re.compile(r"^\W*(?:in|on|within|inside|at|across)\b", re.IGNORECASE)  # "patch everything" then "in fra2"
_ONES = re.compile(r"\bones?\b", re.IGNORECASE)  # "the staging ones": the hosts named before, in staging
_INSTEAD = re.compile(r"\binstead\b", re.IGNORECASE)
_ALSO = re.compile(r"^also\b", re.IGNORECASE)  # "and the staging one too" (agent.reader.message): adds hosts


def _rescope(inventory: Any, previous: str, phrase: str) -> str:
    """'the prod web servers' then 'sorry, the staging ones instead' -> 'staging the web servers': the new words
    replace the earlier words of the same kind (environment for environment)."""
    new = [t for t in lex(inventory, phrase) if t.kind is Kind.TERM and t.term is not None]
    dims = {t.term.dim for t in new if t.term is not None}
    kept = [t.text for t in lex(inventory, previous) if not (t.term is not None and t.term.dim in dims)]
    return " ".join([*(t.text for t in new), *kept])


def resolve_phrases(inventory: Any, phrases: list[str]) -> Resolved:
    """Resolve target phrases in order: the first names the targets, later ones add hosts they name and remove
    hosts they exclude (a correction like 'not <host>' or 'also <host>'); a later 'only/just ...' narrows
    what is named when it overlaps it."""
    current: set[str] | None = None
    res = Resolved(hosts=[])
    previous = ""
    for phrase in phrases:
        if not phrase or not phrase.strip():
            continue
        if previous and _ONES.search(phrase) and _INSTEAD.search(phrase):
            current = None  # a correction: the earlier words, with the new ones in place of their kind
            phrase = _rescope(inventory, previous, phrase)
        elif previous and _ONES.search(phrase) and _ALSO.match(phrase):
            phrase = "also " + _rescope(inventory, previous, phrase)  # "plus the uat one": the uat kafka, added
        r = resolve_targets(inventory, phrase)
        if r.include is not None:
            previous = phrase
        res.unknown += [u for u in r.unknown if u not in res.unknown]
        res.suggestions.update(r.suggestions)
        res.terms += [t for t in r.terms if t not in res.terms]
        if r.include is not None and current is not None and _WHERE.match(phrase):
            current &= set(r.include)  # a restriction alone narrows what is named (to nothing, if nothing fits)
        elif r.include is not None and current is not None and _ONES.search(phrase) and not _ALSO.match(phrase):
            current &= set(r.include)  # "the staging ones" narrows what is named (to nothing, if nothing fits)
        elif r.include is not None and current is not None and _ONLY.match(phrase):
            # "just the staging web servers" narrows what is named; "only <another host>" replaces it
            current = (current & set(r.include)) or set(r.include)
        elif r.include is not None:
            res.named = True
            current = (current or set()) | set(r.include)
        if current is not None:
            current -= set(r.exclude)
    res.hosts = sorted(current or ())
    return res
