"""Where a word belongs: does it name hosts of this inventory (a target), or can it be a package name?

The answer comes from the inventory (host and group names, variable values, host-name shapes) and the
vocabulary data, never from a list of packages or roles in code.

>>> from core.inventory import Inventory
>>> inv = Inventory.parse("all: {children: {redis: {hosts: {redis-1: {role: cache}}}}}")
>>> [targetish(inv, w) for w in ("redis", "caches", "redis-2", "redis-*", "nginx", "them", "servers", "openssl*")]
[True, True, True, True, False, True, True, False]
>>> inv = Inventory.parse("all: {children: {lb: {hosts: {lb-1: {}}}}}")
>>> targetish(inv, "load balancers"), targetish(inv, "load")
(True, False)
"""

from __future__ import annotations

import re
from typing import Any

from agent.reader.lexicon import lexicon_of, singulars
from agent.reader.words import V
from core.errors import ValidationFailed

_GLOB = re.compile(r"[*?\[]")


def targetish(inv: Any, word: str) -> bool:
    """Whether ``word`` refers to hosts (a name, group, variable value, host-shaped name or a host glob) or to
    the request itself ("them", "the rest"), so it cannot be a package name."""
    w = word.strip().lower().strip(".,;:!?\"'")
    if not w or w.isdigit():
        return True  # a bare number is a host's sibling ("except 03"), never a package
    if w.startswith("non-") or w.startswith("non "):
        w = w[4:]
    forms = singulars(w)
    if (" " not in w and any(f in V.never_packages or f in V.heads for f in forms)) or V.kind_of(w) is not None:
        return True
    if inv is None:
        return bool(re.search(r"-\d", w))
    lex = lexicon_of(inv)
    if w in inv.folded or lex.absent_word([w]) is not None or w.lstrip("-") in lex.instance_parts:
        return True
    words = w.split()
    hit = lex.term(words)
    if hit is not None and hit[1] == len(words) and (not hit[0].strict or (w.endswith("s") and not w.endswith("ss"))):
        return True  # a plain-English synonym counts in the plural ("the frontends"), not as itself ("http")
    if len(words) > 1:
        return False
    if _GLOB.search(w):
        # A host glob reads like a host name ("web-prod-0*", "*-stg-*"); "kafka*" or "java-*" is a package glob
        # even where it would also match host names.
        literal = _GLOB.sub("", w)
        if not re.search(r"[a-z0-9]-|-[a-z0-9]|[0-9]", literal):
            return False
        try:
            return bool(inv.pattern(w))
        except ValidationFailed:
            return False
    return lex.looks_like_host(w) or lex.looks_like_term(w)
