"""The words an inventory answers to: its group names and variable values, plus common ops synonyms.

Nothing here is specific to one inventory. A small table of ops words
(``SYNONYMS``) is matched against what the inventory actually has: the first member
of a class that the inventory knows gives the meaning of every other member
("databases" -> group ``db``; "production" -> group ``prod``). Class members the
inventory does not know at all ("qa", "windows") are remembered as *absent*, so
"the qa servers" is reported as an unknown target instead of being ignored.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from agent.reader.words import V
from core.inventory.inventory import Inventory

# Equivalence classes of ops words (vocabulary.yaml).
SYNONYMS = V.synonyms

_WORDLIKE = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_VERSIONED = re.compile(r"^([a-z]+)[-_]?([0-9]+(?:[._][0-9]+)*)$")
_FAMILY = re.compile(r"^([a-z]+)[-_]?(?:family|servers|hosts|nodes|group|s)$")
_ADVISORY = re.compile(r"^(?:cve|rhsa|rhba|rhea|usn|dsa|dla|alas|elsa|ghsa|msrc)-", re.IGNORECASE)
_BOOL_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_SKIP_VAR = re.compile(r"^(?:ansible_|inventory_|group_names$|groups$)")


def shape(word: str) -> str:
    """A name's shape: letter runs -> ``a``, digit runs -> ``9``.

    >>> shape("web-prod-01"), shape("db07.example.com")
    ('a-a-9', 'a9.a.a')
    """
    return re.sub(r"[0-9]+", "9", re.sub(r"[a-z]+", "a", word.lower()))


def singulars(word: str) -> list[str]:
    """The word and its likely singulars (``databases`` -> ``databas``, ``database``).

    >>> singulars("boxes"), singulars("lbs"), singulars("web")
    (['boxes', 'box', 'boxe'], ['lbs', 'lb'], ['web'])
    """
    out = [word]
    if len(word) > 3 and word.endswith("ies"):
        out.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("es"):
        out.append(word[:-2])
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    return out


def _singular(word: str) -> str | None:
    """The singular of a plural name ("proxies" -> "proxy", "boxes" -> "box", "brokers" -> "broker"), else None.

    >>> [_singular(w) for w in ("proxies", "boxes", "k8s_nodes", "redis", "glass", "ams1")]
    ['proxy', 'box', 'k8s_node', None, None, None]
    """
    if re.search(r"[^aeiou]ies$", word):
        return word[:-3] + "y"
    if re.search(r"(?:x|ch|sh|ss)es$", word):
        return word[:-2]
    if re.search(r"[a-z]{2}[^su'_-]s$", word) and not re.search(r"(?:is|us|ss)$", word):
        return word[:-1]
    return None


@dataclass(frozen=True)
class Term:
    """A word that selects hosts: a group, a variable value, or a union of them."""

    key: str
    label: str  # for the confirmation text: "group web", "os=ubuntu2204", "critical=true"
    hosts: frozenset[str]
    dim: str = ""  # the variable this set is a slice of ("var:env"), to tell "web and db" from "prod web"
    strict: bool = False  # plain-English synonym: only counts right before a host noun


def _keys(name: str) -> set[tuple[str, ...]]:
    low = name.lower()
    parts = tuple(p for p in re.split(r"[-_\s]+", low) if p)
    return {(low,), (low.replace("_", "-"),), (low.replace("-", "_"),), parts}


class Lexicon:
    """Phrase -> Term for one inventory (built once, cached on the Inventory)."""

    def __init__(self, inv: Inventory) -> None:
        self._inv = inv
        terms: dict[tuple[str, ...], Term] = {}
        for g in sorted(inv.groups):
            if g in ("all", "ungrouped"):
                continue
            term = Term(key=g.lower(), label=f"group {g}", hosts=inv.groups[g])
            for key in _keys(g):
                terms.setdefault(key, term)
        for g in sorted(inv.groups):  # a plural group name said in the singular: "the proxy one" for proxies
            one = _singular(g.lower())
            if one is not None and g not in ("all", "ungrouped"):
                for key in _keys(one):
                    terms.setdefault(key, terms[(g.lower(),)])
        for key_text, hosts, label in _value_terms(inv):
            term = Term(key=key_text, label=label, hosts=hosts)
            for key in _keys(key_text):
                terms.setdefault(key, term)
        self.version_roots: set[str] = set()
        families: dict[str, list[Term]] = {}
        for key, term in list(terms.items()):
            m = _VERSIONED.match(key[0]) if len(key) == 1 else None
            if m:
                families.setdefault(m.group(1), []).append(term)
        for root, members in families.items():
            self.version_roots.add(root)
            unique = list({t.label: t for t in members}.values())
            hosts = frozenset().union(*(t.hosts for t in unique))
            terms.setdefault((root,), Term(key=root, label=" or ".join(sorted(t.label for t in unique)), hosts=hosts))
        for g in sorted(inv.groups):
            m = _FAMILY.match(g.lower())
            if m and (m.group(1),) not in terms:
                terms[(m.group(1),)] = terms[(g.lower(),)]
        short = _shortened(terms, inv)  # from the inventory's own names only, before the synonyms join
        self.absent: dict[tuple[str, ...], str] = {}
        for cls in (*SYNONYMS, *V.aliases):
            alias = cls in V.aliases
            words = [(w.lstrip("~"), w.startswith("~")) for w in cls]
            named = next((terms[tuple(w.split())] for w, _ in words if tuple(w.split()) in terms), None)
            # without a group or value for the class, the inventory's own short names ("mx" for mx hosts) answer
            found = named or next((short[tuple(w.split())] for w, _ in words if tuple(w.split()) in short), None)
            for word, strict in words:
                key = tuple(word.split())
                if found is None:
                    if not alias:
                        self.absent[key] = cls[0]
                elif named is None and key in short and key not in terms:
                    terms[key] = short[key]  # the inventory's own name: not only before a host noun
                elif key not in terms:
                    terms[key] = Term(found.key, found.label, found.hosts, strict=strict)
        for key, term in short.items():
            if key not in self.absent:
                terms.setdefault(key, term)
        self.terms = {
            k: Term(t.key, t.label, t.hosts, _dimension(inv, t.hosts, t.label), t.strict) for k, t in terms.items()
        }
        self.max_len = max((len(k) for k in [*self.terms, *self.absent]), default=1)
        self.host_shapes = {shape(h) for h in inv.hosts} - {"a"}
        # instance parts of host names ("p02" of ams1-web-p02): a sibling written short, never a package
        self.instance_parts = {
            p for h in inv.hosts for p in re.split(r"[-_.]", h.lower()) if re.fullmatch(r"[a-z]{0,3}[0-9]+", p)
        }
        self.os_roots = self.version_roots | {k[0] for k in self.absent if len(k) == 1}
        self.roots = self.version_roots | {k[0] for k in self.terms if len(k) == 1} | {k[0] for k in self.absent}

    # --- lookups -------------------------------------------------------------

    def term(self, words: Sequence[str]) -> tuple[Term, int] | None:
        """The longest term at the start of ``words`` (lower-case) and how many words it takes; words written apart
        that the inventory writes as one name count too ("mail relays" for a group ``mailrelay``)."""
        hit = _longest(self.terms, words, self.max_len)
        for n in (3, 2):
            if len(words) >= n and (hit is None or hit[1] < n) and all(w.isalpha() for w in words[:n]):
                for last in singulars(words[n - 1]):
                    joined = self.terms.get(("".join(words[: n - 1]) + last,))
                    if joined is not None and len(last) >= 3:
                        return joined, n
        return hit

    def absent_word(self, words: Sequence[str]) -> tuple[str, int] | None:
        """An ops word the inventory has nothing for ("qa", "windows"), if ``words`` starts with one."""
        return _longest(self.absent, words, self.max_len)

    def looks_like_host(self, word: str) -> bool:
        """Whether an unknown word is shaped like this inventory's host names (``db-prod-03``)."""
        w = word.lower()
        if not (re.search(r"[a-z]", w) and re.search(r"[0-9]", w)) or _ADVISORY.match(w):
            return False
        if shape(w) in self.host_shapes:
            return True
        if re.search(r"[-_.]", w) and self._inv.hosts:
            best = process.extractOne(w, list(self._inv.folded), scorer=fuzz.ratio)
            return best is not None and best[1] >= 80
        return False

    def looks_like_term(self, word: str) -> bool:
        """Whether ``word`` is a known root plus a number the inventory lacks (``rhel10``, ``web05``)."""
        m = _VERSIONED.match(word.lower())
        return bool(m) and m is not None and m.group(1) in self.roots

    def suggest(self, word: str, limit: int = 3) -> list[str]:
        """Close inventory names for an unknown word (shown to the user, never applied)."""
        w = word.lower().replace(" ", "")
        if re.search(r"[0-9]", w) and re.search(r"[-_.]", w):
            choices = list(self._inv.hosts)
        else:
            choices = sorted({t.key for t in self.terms.values()} | {g for g in self._inv.groups if g != "ungrouped"})
        found = process.extract(w, choices, scorer=fuzz.ratio, score_cutoff=70, limit=limit, processor=str.lower)
        # Only the nearest: db-prod-03 -> db-prod-01/02 (90), not web-prod-01 (76).
        return [name for name, score, _i in found if score >= found[0][1] - 8]


def _shortened(terms: dict[tuple[str, ...], Term], inv: Inventory) -> dict[tuple[str, ...], Term]:
    """Shorter names people use: the tail of a multi-part name ('control plane' for k8s_control_plane,
    'workers' for k8s_workers) and the first part of host names ('zk' for zk-prod-01..03). A short name two
    different host sets would share is left out (ambiguous)."""
    found: dict[tuple[str, ...], Term | None] = {}

    def offer(key: tuple[str, ...], term: Term) -> None:
        if key in terms:
            return
        old = found.get(key, term)
        found[key] = term if old is not None and old.hosts == term.hosts else None

    for key, term in list(terms.items()):
        if len(key) < 2 or term.strict:
            continue
        for i in range(1, len(key)):
            tail = key[i:]
            if any(w in V.heads or w in V.never_packages or V.kind_of(w) for t in tail for w in singulars(t)):
                continue
            if len(tail) >= 2 or (len(tail[0]) >= 4 and not tail[0].isdigit()):
                offer(tail, Term(term.key, term.label, term.hosts))
    prefixes: dict[str, set[str]] = {}
    for host in inv.hosts:
        parts = re.split(r"[-_]", host.lower().split(".")[0])
        for i, part in enumerate(parts if len(parts) > 1 else []):
            skip = part in V.heads or part in V.never_packages or V.kind_of(part) or V.known(part)
            index = i > 0 and re.fullmatch(r"[a-z]{1,2}[0-9]+", part)  # "p02" of ams1-web-p02: an instance number
            if re.fullmatch(r"[a-z][a-z0-9]+", part) and (i == 0 or not (skip or index)):
                prefixes.setdefault(part, set()).add(host)
    for head, hosts in prefixes.items():
        label = f"hosts {head}-*" if all(h.lower().startswith(head) for h in hosts) else f"hosts *-{head}-*"
        offer((head,), Term(head, label, frozenset(hosts)))
    return {k: t for k, t in found.items() if t is not None}


def _longest(table: dict[tuple[str, ...], Any], words: Sequence[str], max_len: int) -> tuple[Any, int] | None:
    for n in range(min(max_len, len(words)), 0, -1):
        head, last = tuple(words[: n - 1]), words[n - 1]
        for variant in singulars(last):
            hit = table.get((*head, variant))
            if hit is not None:
                return hit, n
    return None


def _value_terms(inv: Inventory) -> list[tuple[str, frozenset[str], str]]:
    """(word, hosts, label) for string variable values and true booleans (``critical: true``)."""
    values: dict[str, dict[str, set[str]]] = {}
    flags: dict[str, set[str]] = {}
    for host in inv.hosts.values():
        for k, v in host.vars.items():
            if _SKIP_VAR.match(k):
                continue
            if isinstance(v, str) and v.lower() in _BOOL_WORDS:
                v = _BOOL_WORDS[v.lower()]
            if isinstance(v, bool):
                if v and _WORDLIKE.match(k.lower()):
                    flags.setdefault(k, set()).add(host.name)
            elif isinstance(v, str) and _WORDLIKE.match(v.lower()):
                values.setdefault(v.lower(), {}).setdefault(k, set()).add(host.name)
    out = [
        (v, frozenset().union(*per_key.values()), " or ".join(f"{k}={v}" for k in sorted(per_key)))
        for v, per_key in sorted(values.items())
    ]
    out += [(k.lower(), frozenset(hs), f"{k}=true") for k, hs in sorted(flags.items())]
    return out


def _dimension(inv: Inventory, hosts: frozenset[str], label: str) -> str:
    """The variable whose values carve out exactly ``hosts``, else the label itself.

    "web" = role in {web} -> "var:role"; "rhel" = os in {rhel8, rhel9} -> "var:os". When several
    variables fit (lb = role lb = os debian12), one whose value is the term's own word wins, then fewest values.
    """
    word = label.split()[-1].split("=")[-1].lower()
    best: tuple[int, int, str] | None = None
    keys = sorted({k for h in hosts for k in inv.hosts[h].vars if not _SKIP_VAR.match(k)})
    for k in keys:
        vals = {_hashable(inv.hosts[h].vars.get(k)) for h in hosts}
        if None in vals:
            continue
        if all(h in hosts for h, host in inv.hosts.items() if _hashable(host.vars.get(k)) in vals):
            rank = (0 if word in {str(v).lower() for v in vals} else 1, len(vals), k)
            best = min(best or rank, rank)
    return f"var:{best[2]}" if best else f"set:{label}"


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else None


_CACHE: weakref.WeakKeyDictionary[Inventory, Lexicon] = weakref.WeakKeyDictionary()


def lexicon_of(inv: Inventory) -> Lexicon:
    """The words ``inv`` answers to, built once per inventory object."""
    lex = _CACHE.get(inv)
    if lex is None:
        lex = _CACHE[inv] = Lexicon(inv)
    return lex
