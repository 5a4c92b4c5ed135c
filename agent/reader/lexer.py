"""Words -> typed tokens for target resolution: inventory terms, host sets, and the function words around them.

Only target words are interpreted; everything else becomes ``WORD`` (a boundary)
and is ignored unless it stands where a target would ("the qa servers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from agent.reader.chunks import tail_of, tokenize
from agent.reader.lexicon import Lexicon, Term, lexicon_of, singulars
from agent.reader.words import V
from core.errors import ValidationFailed
from core.inventory import patterns, ranges
from core.inventory.inventory import Inventory


class Kind(StrEnum):
    TERM = "term"  # a group / variable value ("web", "prod", "ubuntu", "critical")
    HOSTS = "hosts"  # explicit hosts: a name, a range, a pattern (maybe with unknown names)
    HEAD = "head"  # servers, hosts, machines ...
    QUANT = "quant"  # all, every, each, whole ...
    ALL = "all"  # everything, the fleet (a quantifier and a head in one word)
    DET = "det"  # neutral filler: the, my, of ...
    NUM = "num"
    CONJ = "conj"  # and, or, ",", plus
    PREP = "prep"  # in, on, running, that are ... (attaches a restriction)
    ONLY = "only"
    EXCL = "excl"  # except, excluding, other than, skip ...
    NOT = "not"  # not, don't (an exclusion that may skip a verb: "don't patch X")
    BUT = "but"
    NEG = "neg"  # non-
    BOTH = "both"  # both X and Y, the intersection of X and Y: the terms intersect even when they would unite
    NEGPREP = "negprep"  # that aren't, isn't (a restriction that subtracts: "prod hosts that aren't critical")
    VERB = "verb"
    ABSENT = "absent"  # an ops word the inventory has nothing for: qa, windows
    WORD = "word"  # anything else: a boundary
    STOP = "stop"  # end of sentence


@dataclass
class Tok:
    kind: Kind
    text: str
    term: Term | None = None
    hosts: frozenset[str] = frozenset()
    unknown: list[str] = field(default_factory=list)
    label: str = ""
    seed: str = ""  # for "web-prod-01, 02 and 03": the last single host named

    @property
    def low(self) -> str:
        return self.text.lower()


_MULTI: dict[tuple[str, ...], Kind] = {k: Kind(v) for k, v in V.multi.items()}
_SINGLE: dict[str, Kind] = {k: Kind(v) for k, v in V.single.items()}
HEADS = V.heads
VERBS = V.verbs
# Nouns after which a target word is an adjective of something else ("critical updates", "a test run").
NON_TARGET_NOUNS = V.non_target_nouns
PACKAGE_WORDS = V.package_words
TIME_UNITS = V.time_units
RANGE_WORDS = V.range_words

_TIME = re.compile(r"^(?:\d{1,2}:\d{2}(?::\d{2})?(?:am|pm|z)?|\d{1,2}(?:am|pm)|\d{4}-\d{2}-\d{2}(?:t[\d:.]+z?)?)$")
_NUMBER = re.compile(r"^[#-]?\d+$")  # "-02" in "redis-prod-01 & -02" is a sibling
_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_TRAILING_NUM = re.compile(r"^(.*?)(\d+)$")
_DOTTED_RANGE = re.compile(r"^(.*?)(\d+)(?:\.{2,3}|[-–—])([a-z_]*)(\d+)$")  # "web-01..03", "api-u01..u02", "p01-p03"
_PATTERN_CHARS = re.compile(r"^[A-Za-z0-9_.*?\[\]:&!~,^$()|+\\{}-]+$")
_PATTERN_MARKS = re.compile(r"[*?\[\]:&!~,]")
_PATTERN_OPS = re.compile(r"[:&!~,]")
_MAX_RANGE = 1000


def lex(inv: Inventory, text: str) -> list[Tok]:
    """Typed tokens of ``text`` (see :class:`Kind`)."""
    raw = tokenize(inv, text)
    lows = [r.lower() for r in raw]
    out: list[Tok] = []
    i = 0
    while i < len(raw):
        toks, n = _classify(inv, raw, lows, i, out)
        out.extend(toks)
        i += n
    return out


def _classify(inv: Inventory, raw: list[str], lows: list[str], i: int, out: list[Tok]) -> tuple[list[Tok], int]:
    lex_ = lexicon_of(inv)
    low = lows[i]
    nxt = lows[i + 1] if i + 1 < len(lows) else ""
    for n in (4, 3, 2):
        kind = _MULTI.get(tuple(lows[i : i + n]))
        if kind is not None and len(lows[i : i + n]) == n:
            return [Tok(kind, " ".join(raw[i : i + n]))], n
    if _TIME.match(low):
        return [Tok(Kind.WORD, raw[i])], 1
    if _NUMBER.match(low):
        return [_number(inv, raw[i], nxt, out)], 1
    if (sibling := _sibling(inv, raw[i], out)) is not None:
        return [sibling], 1
    if low in lex_.os_roots and _VERSION.match(nxt) and (i + 2 >= len(lows) or lows[i + 2] not in TIME_UNITS):
        joined = low + nxt.replace(".", "")
        hit = lex_.term([joined])
        if hit:
            return [Tok(Kind.TERM, f"{raw[i]} {raw[i + 1]}", term=hit[0])], 2
        return [Tok(Kind.HOSTS, f"{raw[i]} {raw[i + 1]}", unknown=[f"{raw[i]} {raw[i + 1]}"])], 2
    if low in inv.folded and inv.folded[low] in inv.hosts:
        return _host_or_range(inv, raw, lows, i)
    if nxt and (pair := _var_value(inv, f"{raw[i]}={raw[i + 1]}")) is not None and pair.kind is Kind.TERM:
        return [Tok(Kind.TERM, f"{raw[i]} {raw[i + 1]}", term=pair.term)], 2  # "with os ubuntu2204", "env uat"
    hit = lex_.term(lows[i : i + lex_.max_len]) or lex_.term([_unseparated(low)])
    if hit and _counts(lex_, hit[0], lows, i + hit[1]):
        return [Tok(Kind.TERM, " ".join(raw[i : i + hit[1]]), term=hit[0])], hit[1]
    if hit:
        return [Tok(Kind.WORD, " ".join(raw[i : i + hit[1]]))], hit[1]
    if (pair := _var_value(inv, raw[i])) is not None:
        return [pair], 1
    if (parts := _slashed(lex_, raw[i])) is not None:
        return parts, 1
    dotted = _DOTTED_RANGE.match(low)
    tail_ok = dotted is not None and (not dotted.group(3) or tail_of(dotted.group(1), dotted.group(3)))
    if dotted and "." not in low[len(dotted.group(1)) :] and len(dotted.group(2)) != len(dotted.group(4)):
        tail_ok = False  # "k8s-node-ams1-05" is a name, "web-p01-p03" a range
    if dotted and tail_ok and lex_.looks_like_host(dotted.group(1) + dotted.group(2)):
        return [_range_tok(inv, raw[i], dotted.group(1), dotted.group(2), dotted.group(4))], 1
    if _PATTERN_MARKS.search(low) and _PATTERN_CHARS.match(raw[i]) and re.search(r"[a-z0-9]", low):
        return [_pattern(inv, raw[i], nxt)], 1
    kind = _word_kind(low, raw[i])
    if low == "no" and (lex_.term(lows[i + 1 : i + 1 + lex_.max_len]) or lex_.absent_word(lows[i + 1 : i + 4])):
        kind = Kind.EXCL  # "prod, no critical hosts": the hosts that word names are left out
    if (
        low in ("run", "runs", "use", "uses", "of")
        and out
        and out[-1].kind in (Kind.HEAD, Kind.TERM, Kind.WORD)
        and (lex_.term([nxt]) or (nxt == "the" and lex_.term(lows[i + 2 : i + 3])))
    ):
        kind = Kind.PREP  # "which prod hosts run ubuntu", "the tomcat tier of integration": a restriction
    if (
        kind is Kind.HEAD
        and (role := _role_noun(inv, lex_, low)) is not None
        and not (out and out[-1].term is not None and not out[-1].term.hosts & role.hosts)  # "the redis nodes"
    ):
        return [Tok(Kind.TERM, raw[i], term=role)], 1  # "the qa workers" with a k8s_workers group: those hosts
    if (kind is Kind.ALL or low == "one") and out and out[-1].kind is Kind.TERM:
        kind = Kind.HEAD  # "the redis fleet", "the staging api one": a host noun after a term
    if kind is not None:
        return [Tok(kind, raw[i])], 1
    absent = lex_.absent_word(lows[i : i + lex_.max_len])
    if absent:
        return [Tok(Kind.ABSENT, " ".join(raw[i : i + absent[1]]), label=absent[0])], absent[1]
    split = _compound(inv, raw[i], lows, i)
    if split:
        return split, 1
    if nxt not in PACKAGE_WORDS and (lex_.looks_like_host(low) or lex_.looks_like_term(low)):
        return _host_or_range(inv, raw, lows, i)
    return [Tok(Kind.WORD, raw[i])], 1


_PAIR = re.compile(r"^([A-Za-z_][\w]*)\s*[=:]\s*([\w.-]+)$")


def _var_value(inv: Inventory, text: str) -> Tok | None:
    """'os=rhel9', 'env:staging', 'critical=true': hosts whose variable has that value (the key must be a host
    variable of this inventory; 'app:prod' stays an Ansible pattern)."""
    m = _PAIR.match(text)
    if m is None:
        return None
    key, value = m.group(1), m.group(2).lower()
    if not any(key in h.vars for h in inv.hosts.values()):
        return None
    hosts = frozenset(h.name for h in inv.hosts.values() if str(h.vars.get(key, "")).lower() == value)
    if not hosts:
        return Tok(Kind.HOSTS, text, unknown=[text])
    return Tok(Kind.TERM, text, term=Term(key=f"{key}={value}", label=f"{key}={value}", hosts=hosts, dim=f"var:{key}"))


def _word_kind(low: str, text: str) -> Kind | None:
    if low == "ones":
        return Kind.HEAD
    kind = _SINGLE.get(low)
    if kind is not None:
        return kind
    if any(s in HEADS for s in singulars(low)):
        return Kind.HEAD
    if low in VERBS:
        return Kind.VERB
    return None


def _unseparated(low: str) -> str:
    """'rhel-9' -> 'rhel9' (an OS and its version written apart)."""
    return re.sub(r"^([a-z]+)[-_]([0-9][0-9.]*)$", r"\1\2", low).replace(".", "")


def _role_noun(inv: Inventory, lex_: Lexicon, low: str) -> Term | None:
    """A host noun that this inventory uses in exactly one group's name ("workers" with a ``k8s_workers`` group,
    "agents" with ``jenkins_agents``) names that group's hosts, never every host ("the qa workers")."""
    forms = set(singulars(low)) | {low}
    groups = [g for g in inv.groups if g not in ("all", "ungrouped") and forms & set(re.split(r"[_-]", g.lower()))]
    if len(groups) != 1 or groups[0].lower() in forms:
        return None  # no such group, several (ask through the nouns as they are), or the noun is the group itself
    hit = lex_.term([groups[0].lower()])
    return hit[0] if hit else None


def _counts(lex_: Lexicon, term: Term, lows: list[str], j: int) -> bool:
    """Whether a term word is used as a target here (not 'critical updates', not 'the build')."""
    for w in lows[j : j + 2]:
        if w in (",", ".", "that", "which", "who"):
            break  # "nonprod that runs rhel8": a relative clause follows the target
        if any(s in NON_TARGET_NOUNS for s in singulars(w)):
            return False
        if lex_.term([w]) or _word_kind(w, w) is not None:
            break
    if not term.strict:
        return True
    last = lows[j - 1] if j else ""
    if last.endswith("s") and not last.endswith("ss") and (j >= len(lows) or _SINGLE.get(lows[j]) is Kind.PREP):
        return True  # "the frontends in staging": a plural synonym names the hosts even without a host noun
    for k in range(j, min(j + 5, len(lows))):
        w = lows[k]
        if _word_kind(w, w) is Kind.HEAD:
            return True
        if not (lex_.term([w]) or _SINGLE.get(w) is Kind.CONJ):
            return False
    return False


def _slashed(lex_: Lexicon, text: str) -> list[Tok] | None:
    """'staging/uat' -> staging, 'or', uat: inventory words joined by a slash are a list of them."""
    parts = text.split("/")
    if len(parts) < 2 or not all(parts):
        return None
    hits = [lex_.term([p.lower()]) for p in parts]
    if not all(h is not None and h[1] == 1 for h in hits):
        return None
    toks = [Tok(Kind.TERM, p, term=h[0]) for p, h in zip(parts, hits, strict=True) if h is not None]
    return [x for t in toks for x in (Tok(Kind.CONJ, "/"), t)][1:]


_SIBLING = re.compile(r"^-?([a-z]+)(\d+)$")


def _sibling(inv: Inventory, text: str, out: list[Tok]) -> Tok | None:
    """'ams1-kafka-p01, p02 and -p03': after a host and a list word, the tail of its name with another number is
    the sibling host (known or not: an unknown one is asked about)."""
    m = _SIBLING.match(text.lower())
    if m is None or len(out) < 2 or out[-1].kind not in (Kind.CONJ, Kind.EXCL, Kind.NOT):
        return None
    prev = out[-2]
    seed = _TRAILING_NUM.match(prev.seed) if prev.kind is Kind.HOSTS and prev.seed else None
    if seed is None or not tail_of(seed.group(1).lower(), m.group(1)) or len(seed.group(2)) != len(m.group(2)):
        return None
    name = seed.group(1) + m.group(2)
    real = inv.folded.get(name.lower())
    if real in inv.hosts:
        return Tok(Kind.HOSTS, text, hosts=frozenset({real}), label=f"host {real}", seed=real)
    return Tok(Kind.HOSTS, text, unknown=[name], seed=name)


def _number(inv: Inventory, text: str, nxt: str, out: list[Tok]) -> Tok:
    """A bare number; after 'web-prod-01,' it is the next host of the list ('web-prod-01, 02 and 03')."""
    digits = text.lstrip("#-")
    # after a host and a list word, or right after a host ("web-prod-01 02 03")
    host = out[-1] if out and out[-1].kind is Kind.HOSTS else out[-2] if len(out) >= 2 else None
    if (
        host is not None
        and (host is out[-1] or out[-1].kind in (Kind.CONJ, Kind.EXCL, Kind.NOT))
        and host.kind is Kind.HOSTS
        and host.seed
        and nxt not in TIME_UNITS
        and not text.startswith("#")
    ):
        m = _TRAILING_NUM.match(host.seed)
        if m and len(m.group(2)) == len(digits):
            name = m.group(1) + digits
            real = inv.folded.get(name.lower())
            if real in inv.hosts:
                return Tok(Kind.HOSTS, text, hosts=frozenset({real}), label=f"host {real}", seed=real)
            return Tok(Kind.HOSTS, text, unknown=[name], seed=name)
    return Tok(Kind.NUM, text)


def _host_or_range(inv: Inventory, raw: list[str], lows: list[str], i: int) -> tuple[list[Tok], int]:
    """A host name (known or host-shaped), or a range starting at it: 'web-prod-01 through 03'."""
    name = raw[i]
    m = _TRAILING_NUM.match(name)
    if m and i + 2 < len(raw) and lows[i + 1] in RANGE_WORDS:
        end = lows[i + 2]
        after = lows[i + 3] if i + 3 < len(lows) else ""
        prefix = m.group(1).lower()
        end_m = _TRAILING_NUM.match(end)
        # the end repeats the name, or its tail ("ams1-web-p01 through p03"), or gives the number alone
        tail = end_m.group(1) if end_m else ""
        if after not in TIME_UNITS and end_m and (end.isdigit() or tail_of(prefix, tail)):
            return [_range_tok(inv, f"{name} {raw[i + 1]} {raw[i + 2]}", m.group(1), m.group(2), end_m.group(2))], 3
        if after not in TIME_UNITS and end_m and not _TIME.match(end) and end.lower() not in inv.folded:
            text = f"{name} {raw[i + 1]} {raw[i + 2]}"  # "web-01 through x02": a range we cannot read is asked about
            return [Tok(Kind.HOSTS, text, unknown=[text])], 3
    real = inv.folded.get(name.lower())
    if real in inv.hosts:
        return [Tok(Kind.HOSTS, name, hosts=frozenset({real}), label=f"host {real}", seed=real)], 1
    return [Tok(Kind.HOSTS, name, unknown=[name], seed=name)], 1


def _range_tok(inv: Inventory, text: str, prefix: str, start: str, end: str) -> Tok:
    width = len(start)
    lo, hi = int(start), int(end)
    if lo > hi or hi - lo >= _MAX_RANGE:
        return Tok(Kind.HOSTS, text, unknown=[text])
    names = [f"{prefix}{str(n).zfill(width)}" for n in range(lo, hi + 1)]
    found = {inv.folded[n.lower()] for n in names if inv.folded.get(n.lower()) in inv.hosts}
    missing = [n for n in names if inv.folded.get(n.lower()) not in inv.hosts]
    label = f"range {names[0]}..{names[-1]}"
    return Tok(Kind.HOSTS, text, hosts=frozenset(found), unknown=missing, label=label, seed=names[-1])


def _pattern(inv: Inventory, text: str, nxt: str) -> Tok:
    """An Ansible pattern or glob ('app:&prod', 'app-prod-0*'); a glob of package names stays a word."""
    deliberate = bool(_PATTERN_OPS.search(text)) or ranges.has_range(text)
    try:
        res = patterns.evaluate(inv, text)
        terms = patterns.split(text)
    except ValidationFailed:
        return (
            Tok(Kind.HOSTS, text, unknown=[text]) if deliberate and nxt not in PACKAGE_WORDS else Tok(Kind.WORD, text)
        )
    lex_ = lexicon_of(inv)
    matched_some = bool(res.hosts) or len(res.unmatched) < len(terms)
    if deliberate and matched_some:
        return Tok(Kind.HOSTS, text, hosts=frozenset(res.hosts), unknown=res.unmatched, label=f"pattern {text}")
    if res.hosts:
        return Tok(Kind.HOSTS, text, hosts=frozenset(res.hosts), label=f"pattern {text}")
    hosty = [t for t in res.unmatched if _hosty(lex_, t)]
    if hosty and nxt not in PACKAGE_WORDS:
        return Tok(Kind.HOSTS, text, unknown=[text] if not deliberate else hosty)
    return Tok(Kind.WORD, text)


def _hosty(lex_: Lexicon, term: str) -> bool:
    literal = re.split(r"[*?\[]", term.lstrip("&!~"))[0].lower()
    return bool(literal) and (
        lex_.looks_like_host(literal) or lex_.looks_like_term(literal) or bool(lex_.term([literal.rstrip("-_.")]))
    )


def _compound(inv: Inventory, text: str, lows: list[str], i: int) -> list[Tok] | None:
    """'webservers' -> web + servers; 'non-prod' -> non + prod; 'load-balancers' -> load balancers."""
    low = text.lower()
    lex_ = lexicon_of(inv)
    for head in sorted(HEADS, key=len, reverse=True):
        for suffix in (head + "s", head + "es", head):
            if low.endswith(suffix) and len(low) > len(suffix):
                stem = low[: -len(suffix)].rstrip("-_")
                hit = lex_.term([stem])
                if hit:
                    return [Tok(Kind.TERM, stem, term=hit[0]), Tok(Kind.HEAD, suffix)]
    parts = [p for p in re.split(r"[-_]", low) if p]
    if len(parts) < 2:
        return None
    hit = lex_.term(parts)
    if hit and hit[1] == len(parts):
        return [Tok(Kind.TERM, text, term=hit[0])]
    toks: list[Tok] = []
    j = 0
    while j < len(parts):
        hit = lex_.term(parts[j:])
        if hit:
            toks.append(Tok(Kind.TERM, " ".join(parts[j : j + hit[1]]), term=hit[0]))
            j += hit[1]
            continue
        kind = _word_kind(parts[j], parts[j])
        if kind not in (Kind.HEAD, Kind.NEG, Kind.QUANT):
            return None
        toks.append(Tok(kind, parts[j]))
        j += 1
    return toks
