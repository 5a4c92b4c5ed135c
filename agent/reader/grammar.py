"""The target grammar: typed tokens (``lexer``) -> phrases of slots (intersections), negated slots and exclusions.

Read left to right (see :mod:`agent.reader.targets` for the rules); ``targets.resolve_targets`` and
``expression.expression`` turn the phrases into hosts and into a target expression.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from agent.reader.lexer import NON_TARGET_NOUNS, TIME_UNITS, VERBS, Kind, Tok
from agent.reader.lexicon import singulars
from agent.reader.phrase import Phrase, Slot
from agent.reader.words import V

# Words that may precede a host noun without being a (possibly unknown) group name.
STOPWORDS = VERBS | V.stopwords


_TIMEISH = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*$|^\d|^(?:tonight|tomorrow|today|"
    r"morning|evening|night|afternoon|noon|midnight|batch\w*|parallel|series|once|time|times|hours?|minutes?|mins?)$"
)


_WHERE = {"in", "on", "within", "inside", "across", "running", "under"}  # "web-01 in staging" restricts web-01


def _timeish(low: str) -> bool:
    """Words of a time or batch phrase ('in 2 hours', 'on Sunday', 'in batches'): never a target."""
    return low in TIME_UNITS or bool(_TIMEISH.match(low))


class Reader:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.phrases: list[Phrase] = []
        self.owner: dict[int, Phrase] = {}
        self.unknown: list[str] = []
        self.cur: Phrase | None = None
        self.include = True
        self.conj = self.attach = self.neg = self.verb_skip = self.after_excl = self.restricting = self.both = False
        self.neg_last = False
        self.scope_next = False  # ", only ...": the next phrase restricts the ones before it
        self.i = 0

    def read(self) -> None:
        for i, tok in enumerate(self.toks):
            self.i = i
            self.step(i, tok)
        self.scope()

    def scope(self) -> None:
        """A restriction after a comma applies to everything named before it: "the lbs and the pg boxes,
        production only" = (lb ∪ pg) ∩ production, never lb ∪ pg ∪ production."""
        out: list[Phrase] = []
        for p in self.phrases:
            earlier = [q for q in out if q.include and not q.tainted]
            if p.scope_all and p.include and not p.tainted and earlier and (p.slots or p.negs):
                for q in earlier:
                    q.slots += [Slot(s.dim, set(s.hosts), list(s.labels)) for s in p.slots]
                    q.negs += [Slot(s.dim, set(s.hosts), list(s.labels)) for s in p.negs]
                continue
            out.append(p)
        self.phrases = out

    def _prev(self, i: int) -> Tok | None:
        j = i - 1
        while j >= 0 and self.toks[j].kind is Kind.DET:
            j -= 1
        return self.toks[j] if j >= 0 else None

    def _next(self, i: int) -> Tok | None:
        j = i + 1
        while j < len(self.toks) and self.toks[j].kind is Kind.DET:
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    def new(self) -> Phrase:
        self.cur = Phrase(include=self.include)
        prev = self._prev(self.i)
        self.cur.after_comma = prev is not None and prev.text == ","
        self.cur.scope_all, self.scope_next = self.scope_next, False
        self.phrases.append(self.cur)
        self.restricting = False
        return self.cur

    def boundary(self) -> None:
        self.cur = None
        self.include = True
        self.conj = self.attach = self.neg = self.verb_skip = self.after_excl = self.restricting = self.both = False
        self.neg_last = False
        self.scope_next = False

    def step(self, i: int, tok: Tok) -> None:
        k = tok.kind
        if k is Kind.VERB and self.verb_skip:
            return
        if k is Kind.NUM and i > 0 and self.toks[i - 1].kind is Kind.TERM and not self.time_follows(i):
            # "web 2", "prod web 1 to 3": a number glued to a group is not something we can resolve.
            self.unknown.append(f"{self.toks[i - 1].text} {tok.text}")
            if self.cur is not None:
                self.cur.tainted = True
            return
        if k in (Kind.DET, Kind.NUM):
            return
        self.verb_skip = False
        if k in (Kind.EXCL, Kind.NOT):
            self.exclusion(verb_skip=k is Kind.NOT)
        elif k is Kind.BUT:
            nxt = self.toks[i + 1].kind if i + 1 < len(self.toks) else Kind.STOP
            if nxt in (Kind.EXCL, Kind.NOT, Kind.ONLY):
                return
            named = (self.cur is not None and self.cur.include) or any(p.include for p in self.phrases)
            target = self._next(i)
            if named and self._only_ahead(i):
                self.boundary()  # "the lbs, but prod only": a restriction of what is named, not an exclusion
                self.scope_next = True
            elif self.cur is not None and self.cur.quant and self.cur.include and not self.cur.slots:
                self.exclusion(verb_skip=False)
            elif named and target is not None and target.kind in (Kind.TERM, Kind.HOSTS, Kind.ABSENT):
                # "everything in fra2 but the bastions", "the web servers but web-3": "but" + a target excludes it
                self.exclusion(verb_skip=False)
            else:
                self.boundary()
        elif k is Kind.TERM:
            self.term(i, tok)
        elif k is Kind.HOSTS:
            self.hosts(i, tok)
        elif k is Kind.HEAD:
            cur = self.cur
            if cur is None or (cur.head and not self.attach and self.toks[i - 1].kind is not Kind.HEAD):
                cur = self.new()  # "the east dc hosts": two host nouns in a row are one phrase
            cur.head = True
            self.owner[i] = cur
            self.modifiers(i, cur)
            self.conj = self.attach = self.after_excl = False
        elif k in (Kind.QUANT, Kind.ALL):
            cur = self.cur
            if cur is None or cur.slots or cur.head or (cur.quant and k is Kind.QUANT):
                cur = self.new()
            cur.quant = True
            if k is Kind.ALL:
                cur.head = True
                cur.everything = tok.low == "everything"
            self.conj = self.attach = self.after_excl = False
        elif k is Kind.CONJ:
            self.conj, self.attach = True, False
        elif k is Kind.ONLY and (prev := self._prev(i)) is not None and prev.text in (",", "but"):
            self.boundary()  # ", only the prod ones", "leave out X, just the uat one": a new restriction
            self.scope_next = True
        elif k is Kind.ONLY and self.cur is not None and self._postfix_only(i):
            self.cur.scope_all = True  # ", production only"
        elif k is Kind.PREP and tok.low in _WHERE and i and self.toks[i - 1].kind is Kind.HOSTS and self.cur is None:
            self.cur, self.attach, self.conj = self.phrases[-1], True, False  # "web-01 in staging": restricts it
        elif k is Kind.PREP and tok.low not in _WHERE and i and self.toks[i - 1].text == ",":
            self.boundary()  # "..., (which) are covered by another change": a new clause, not a restriction
        elif k in (Kind.PREP, Kind.ONLY):
            if self.cur is not None:
                self.attach, self.conj = True, False
        elif k is Kind.BOTH:
            self.both = True
        elif k is Kind.NEGPREP:
            if self.cur is not None:
                self.attach, self.conj, self.neg = True, False, True
        elif k is Kind.NEG:
            self.neg = True
        elif k is Kind.ABSENT and self.target_position(i):
            self.unknown.append(tok.text)
            cur = self.cur if self.cur is not None else self.new()
            cur.tainted = True
            self.owner[i] = cur
        elif k is Kind.WORD and self.attach and self.cur is not None and tok.low in V.stopwords:
            return  # "the api servers that are still on rhel8": a filler inside a restriction keeps it open
        elif (
            k is Kind.WORD and self.attach and self.cur is not None and not self._stopword(i) and not _timeish(tok.low)
        ):
            # "all hosts in the eu region": a restriction the inventory cannot place; never drop it
            self.unknown.append(tok.text)
            self.cur.tainted = True
            self.boundary()
        elif k is Kind.WORD and self.unknown_noun(i):
            # "the postgres primaries": a plural noun after a term names hosts we cannot place; never drop it
            self.unknown.append(tok.text)
            self.owner[i - 1].tainted = True
            self.boundary()
        elif k is Kind.WORD and (self.qualifier_of_head(i) or self.object_before_restriction(i)):
            # "the zookeepers in prod", "the origin servers": the verb's object, or a word qualifying the host
            # noun, stands where a target would; never drop it
            self.unknown.append(tok.text)
            if i and self.toks[i - 1].kind is Kind.TERM and (i - 1) in self.owner:
                self.owner[i - 1].tainted = True
            self.boundary()
            phrase = self.new()
            phrase.tainted = True
            self.owner[i] = phrase
        elif k is Kind.STOP or k is Kind.ABSENT or k in (Kind.WORD, Kind.VERB):
            self.boundary()

    def _only_ahead(self, i: int) -> bool:
        """Whether 'only' closes the clause after token ``i`` ("but prod only")."""
        for tok in self.toks[i + 1 :]:
            if tok.kind is Kind.STOP or tok.text == ",":
                return False
            if tok.kind is Kind.ONLY:
                return True
        return False

    def _postfix_only(self, i: int) -> bool:
        """'..., production only', 'the lbs and the pg boxes production only': a phrase of terms after another
        phrase, closed by 'only' at the end of the clause, restricts what was named before it."""
        cur = self.cur
        nxt = self.toks[i + 1] if i + 1 < len(self.toks) else None
        return (
            cur is not None
            and (cur.after_comma or any(p is not cur and p.include for p in self.phrases))
            and bool(cur.slots or cur.negs)
            and not (cur.head or cur.quant)
            and all(not s.dim.startswith("hosts:") for s in cur.slots)
            and (nxt is None or nxt.kind is Kind.STOP or nxt.text == ",")
        )

    def unplaceable(self, i: int) -> bool:
        """A word in a restriction ('in the eu region') that is no filler and no time word."""
        return not self._stopword(i) and not _timeish(self.toks[i].low)

    def unknown_noun(self, i: int) -> bool:
        """A plural word right after a term, where a host noun would stand ("the redis replicas")."""
        low = self.toks[i].low
        return (
            i > 0
            and self.toks[i - 1].kind is Kind.TERM
            and (i - 1) in self.owner
            and len(low) >= 4
            and low.endswith("s")
            and not low.endswith("ss")
            and low.isalpha()
            and not self._stopword(i)
        )

    def object_before_restriction(self, i: int) -> bool:
        """A word after "the"/a verb and before "in/on ...": "the zookeepers in prod"."""
        prev = self.toks[i - 1].kind if i else Kind.STOP
        nxt = self.toks[i + 1] if i + 1 < len(self.toks) else None
        low = self.toks[i].low
        return (
            prev in (Kind.DET, Kind.VERB)
            and nxt is not None
            and (nxt.low in _WHERE or nxt.kind is Kind.NEGPREP or (nxt.low == "of" and nxt.kind is Kind.PREP))
            and low not in V.never_packages
            and len(low) > 2
            and low.isalpha()
            and not self._stopword(i)
            and not _timeish(low)
        )

    def time_follows(self, i: int) -> bool:
        return i + 1 < len(self.toks) and self.toks[i + 1].low in TIME_UNITS

    def exclusion(self, *, verb_skip: bool) -> None:
        if self.cur is not None and self.cur.quant and self.cur.include:
            self.cur.all_but = True
        self.cur = None
        self.include = False
        self.conj = self.attach = self.neg = False
        self.verb_skip, self.after_excl = verb_skip, True

    def target_position(self, i: int) -> bool:
        """Whether a word stands where a target would: after except/in/and beside a target, or before a noun."""
        nxt = self.toks[i + 1].kind if i + 1 < len(self.toks) else Kind.STOP
        prev = self.toks[i - 1].kind if i else Kind.STOP
        return (
            self.after_excl
            or (self.cur is not None and (self.attach or self.conj or (self.cur.quant and not self.cur.slots)))
            or nxt in (Kind.HEAD, Kind.TERM)
            # "patch the dbs in staging": the object of the verb, restricted as a target would be
            or (prev in (Kind.DET, Kind.VERB, Kind.QUANT) and nxt in (Kind.PREP, Kind.NEGPREP, Kind.STOP, Kind.CONJ))
        )

    def qualifier_of_head(self, i: int) -> bool:
        """A word right before a host noun qualifies the hosts ("the origin servers", "the prd ingest boxes"):
        one the inventory cannot place must be asked about, never dropped."""
        nxt = self.toks[i + 1].kind if i + 1 < len(self.toks) else Kind.STOP
        prev = self.toks[i - 1].kind if i else Kind.STOP
        low = self.toks[i].low
        return (
            nxt is Kind.HEAD
            and prev in (Kind.DET, Kind.VERB, Kind.QUANT, Kind.CONJ, Kind.TERM, Kind.PREP)
            and low not in V.never_packages
            and len(low) > 2
            and low.isalpha()
            and not self._stopword(i)
            and not _timeish(low)
        )

    def term(self, i: int, tok: Tok) -> None:
        assert tok.term is not None
        t = tok.term
        cur = self.cur
        if cur is None:
            cur = self.new()
        elif self.attach:
            self.restricting = True
        elif self.conj:
            last = cur.slots[-1] if cur.slots else None
            # "web and db": same kind (or no overlap) -> one slot, united; "prod web and staging db" -> two phrases;
            # "the web servers in prod and staging": the restriction after "in" unites too.
            same = last is not None and (last.dim == t.dim or not (last.hosts & t.hosts))
            if cur.negs and self.neg_last and cur.negs[-1].dim == t.dim:
                cur.negs[-1].hosts |= t.hosts  # "outside of staging and dev": both are subtracted
                cur.negs[-1].labels.append(t.label)
                self.owner[i] = cur
                self.conj = False
                return
            if self.both and last is not None and last.dim != t.dim and not self.neg:
                cur.slots.append(Slot(t.dim, set(t.hosts), [t.label]))  # "both web and prod" (unlike kinds): ∩
                self.owner[i] = cur
                self.conj = False
                return
            if last is not None and same and (not cur.head or self.restricting) and not self.neg:
                last.hosts |= t.hosts
                last.labels.append(t.label)
                self.owner[i] = cur
                self.conj = False
                return
            cur = self.new()
        elif cur.head and (prev := self._prev(i)) is not None and prev.kind is Kind.HEAD:
            self.restricting = True  # "prod hosts ubuntu", "the tomcat tier of integration": restricts, never unites
        elif cur.head:
            cur = self.new()
        slot = Slot(t.dim, set(t.hosts), [t.label])
        (cur.negs if self.neg else cur.slots).append(slot)
        self.neg_last = self.neg
        self.owner[i] = cur
        self.modifiers(i, cur)
        self.restricting = self.restricting and cur.head
        self.conj = self.attach = self.neg = self.after_excl = False

    def hosts(self, i: int, tok: Tok) -> None:
        self.unknown.extend(tok.unknown)
        slot = Slot(f"hosts:{tok.text}", set(tok.hosts), [tok.label or tok.text])
        nxt = self._next(i)
        if tok.label.startswith("pattern") and nxt is not None and nxt.kind is Kind.HEAD and not self.attach:
            # "all the *-web-* hosts in fra2": a glob before a host noun is a group; what follows restricts it
            cur = self.cur
            if cur is None or cur.slots or cur.head or not cur.quant:
                cur = self.new()
            cur.slots.append(slot)
            cur.tainted = cur.tainted or (not tok.hosts and bool(tok.unknown))
            self.owner[i] = cur
        elif self.cur is not None and self.attach:
            self.cur.slots.append(slot)
            self.owner[i] = self.cur
        else:
            phrase = Phrase(include=self.include, slots=[slot], tainted=not tok.hosts and bool(tok.unknown))
            phrase.scope_all, self.scope_next = self.scope_next, False
            self.phrases.append(phrase)
            self.owner[i] = phrase
            self.cur = None
        self.conj = self.attach = self.after_excl = False

    def modifiers(self, i: int, cur: Phrase) -> None:
        """Unknown words right before a host noun or a term ("the qa servers", "the stagin web servers")
        taint the phrase they modify: a misspelt target must not widen the selection."""
        j = i - 1
        while j >= 0:
            tok = self.toks[j]
            if tok.kind in (Kind.TERM, Kind.CONJ, Kind.NEG):
                if j in self.owner:
                    touched = self.owner[j]
                    if any(tok2.kind in (Kind.WORD, Kind.ABSENT) for tok2 in self.toks[j:i]):
                        touched.tainted = touched.tainted or self._has_modifier(j, i)
                j -= 1
                continue
            if tok.kind is Kind.ABSENT or (tok.kind is Kind.WORD and not self._stopword(j)):
                if tok.text not in self.unknown:
                    self.unknown.append(tok.text)
                cur.tainted = True
                j -= 1
                continue
            break

    def _has_modifier(self, start: int, end: int) -> bool:
        return any(
            t.kind is Kind.ABSENT or (t.kind is Kind.WORD and not self._stopword(start + n))
            for n, t in enumerate(self.toks[start:end])
        )

    def _stopword(self, j: int) -> bool:
        tok = self.toks[j]
        low = tok.low
        if low in STOPWORDS or j == 0 or self.toks[j - 1].kind is Kind.STOP:
            return True
        if any(s in NON_TARGET_NOUNS for s in singulars(low)):
            return True
        best = process.extractOne(low, VERBS, scorer=fuzz.ratio)
        return best is not None and best[1] >= 80
