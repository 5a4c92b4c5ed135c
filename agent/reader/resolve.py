"""Target words of a conversation -> hosts: the first phrase names the targets, later ones amend them."""

from __future__ import annotations

import re
from typing import Any

from agent.reader.targets import resolve_targets
from tools.ports import Resolved

_ONLY = re.compile(r"^\W*(?:only|just|solely)\b", re.IGNORECASE)
_ONES = re.compile(r"\bones?\b", re.IGNORECASE)  # "the staging ones": the hosts named before, in staging


def resolve_phrases(inventory: Any, phrases: list[str]) -> Resolved:
    """Resolve target phrases in order: the first names the targets, later ones add hosts they name and remove
    hosts they exclude (a correction like 'not <host>' or 'also <host>'); a later 'only/just ...' narrows
    what is named when it overlaps it."""
    current: set[str] | None = None
    res = Resolved(hosts=[])
    for phrase in phrases:
        if not phrase or not phrase.strip():
            continue
        r = resolve_targets(inventory, phrase)
        res.unknown += [u for u in r.unknown if u not in res.unknown]
        res.suggestions.update(r.suggestions)
        res.terms += [t for t in r.terms if t not in res.terms]
        if r.include is not None and current is not None and _ONES.search(phrase):
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
