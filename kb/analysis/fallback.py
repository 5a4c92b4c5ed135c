"""The similarity fallback's decision: answer with an entry only when independent signals agree.

The vector index finds candidates (the nearest samples, kb.engine), but vectors alone
cannot tell a paraphrase ("another tool words the same cause") from a near-miss ("the same
words around another cause"). Each candidate entry is scored on four signals
(kb/THRESHOLD.md, "Fallback"):

- ``char``: the best character n-gram cosine (kb.analysis.embedder.FINE, 2000-d) to one of its match samples;
- ``word``: the best IDF-weighted word cosine to one of its samples, or to its title + patterns;
- ``key``: the largest share (IDF-weighted) of one of its patterns' literal words the failure holds;
- ``explained``: the share (IDF-weighted) of the failure's words the entry's vocabulary holds.

``score`` is their mean. The fallback answers when the best candidate's score, its lead over the
runner-up and its ``key`` all reach calibrated bars, and no hard disagreement stands against it:
the failure names another package manager (dnf vs apt vs zypper, in the text or the module), shows no
package manager where every sample of the entry does, says the task's command ran where the entry is about
Ansible's connection to the host or about the Python Ansible runs modules with (kb.analysis.matcher), or a
``no_match`` sample of the entry is closer than its match samples. Everything else with a score
worth showing is "possibly related", never a diagnosis. IDF is over the KB's entries (an entry's
vocabulary is one document), so the weights follow the KB, not a corpus seen elsewhere.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidPattern
from kb.analysis.embedder import FINE, Vectors
from kb.analysis.matcher import compile_pattern
from kb.analysis.terms import (
    about_packages,
    code_demands,
    command_ran,
    compatible,
    elsewhere,
    family,
    foreign_sudo,
    module_family,
    optional_words,
    package_context,
    pattern_words,
    ran_on_host,
    reason_skeleton,
    second_factor,
    slot_skeleton,
    stem,
    strip_wrapper,
    terms,
)
from kb.models import CONNECTION_CATEGORIES, INTERPRETER_CATEGORIES, PRIVILEGE_CATEGORIES, match_samples

# Calibrated on kb/calibration_variants.jsonl and the blind calibration set, 85-entry KB (kb/THRESHOLD.md).
ANSWER_SCORE = 0.45
ANSWER_LEAD = 0.1
ANSWER_KEY = 0.62
ANSWER_CHAR = 0.5
RELATED_SCORE = 0.25
VETO_MARGIN = 0.15
PATTERN_MASS = 6.0
TEXT_MASS = 8.0
RELATED_MAX = 3
# An LLM's choice among the candidates is taken only when the entry's own words back it.
LLM_KEY = 0.34
LLM_SCORE = 0.35


@dataclass(slots=True)
class Profile:
    """What the fallback knows of one entry (derived from the entry; nothing to curate)."""

    slug: str
    title: str
    vocab: set[str]
    patterns: list[set[str]]
    samples: list[set[str]]
    no_match: list[set[str]]
    family: str | None
    modules: frozenset[str]
    # Per pattern (parallel to ``patterns``): the codes it demands, each set "one of these"
    # (kb.analysis.terms.code_demands).
    demands: list[list[frozenset[str]]] = field(default_factory=list)
    # Per pattern: its words in optional groups or alternation branches (they count only when present).
    optional: list[set[str]] = field(default_factory=list)
    # Every match sample shows a package manager or a repository: a failure showing neither is another cause.
    needs_context: bool = False
    # About Ansible's own connection to the host (kb.models.CONNECTION_CATEGORIES).
    connection: bool = False
    # About the Python Ansible runs its modules with (kb.models.INTERPRETER_CATEGORIES).
    interpreter: bool = False
    # About the patch user's privilege escalation on the host (kb.models.PRIVILEGE_CATEGORIES).
    privilege: bool = False
    match_texts: list[str] = field(default_factory=list)
    no_match_texts: list[str] = field(default_factory=list)
    # The entry's patterns, and the skeletons of those that restrict a slot to named values or name the
    # reason a step failed (kb.analysis.terms.slot_skeleton, reason_skeleton).
    pattern_texts: list[str] = field(default_factory=list)
    skeletons: list[str] = field(default_factory=list)
    _compiled: tuple[list[Any], list[Any]] | None = None
    _vectors: tuple[Vectors, Vectors] | None = None

    def vectors(self) -> tuple[Vectors, Vectors]:
        """The FINE vectors of the match and no_match samples (computed once, when first a candidate)."""
        if self._vectors is None:
            self._vectors = (
                FINE.embed([strip_wrapper(t) for t in self.match_texts]),
                FINE.embed([strip_wrapper(t) for t in self.no_match_texts]),
            )
        return self._vectors

    def outside_slot(self, text: str) -> bool:
        """True when ``text`` fits one of the entry's skeletons but none of its patterns: it fills a slot the
        entry restricts with a value the entry leaves out (``No module named 'requests'`` is not the package
        manager's bindings), or gives another reason for the step the pattern names."""
        if not self.skeletons:
            return False
        if self._compiled is None:
            self._compiled = (
                [_compile(p) for p in self.pattern_texts],
                [_compile(p) for p in self.skeletons],
            )
        patterns, skeletons = self._compiled
        if not any(s is not None and s.search(text) for s in skeletons):
            return False
        return not any(p is not None and p.search(text) for p in patterns)


def _compile(pattern: str) -> Any:
    try:
        return compile_pattern(pattern)
    except InvalidPattern:
        return None


@dataclass(frozen=True, slots=True)
class Scored:
    slug: str
    title: str
    score: float
    char: float
    word: float
    key: float
    explained: float
    conflict: str | None = None  # why this entry may not be the answer whatever its score


@dataclass(slots=True)
class Decision:
    answer: Scored | None = None
    related: list[Scored] = field(default_factory=list)
    candidates: list[Scored] = field(default_factory=list)


def _short(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def profile_of(row: Mapping[str, Any]) -> Profile:
    """A profile from an entry row (``kb.entries`` columns) or a seed-format dict."""
    samples = row.get("samples")
    match = match_samples(row)
    no_match = list(row["samples_no_match"]) if "samples_no_match" in row else list((samples or {}).get("no_match", []))
    triples = [
        ({stem(w) for w in pattern_words(p)}, code_demands(p), {stem(w) for w in optional_words(p)})
        for p in row.get("patterns") or []
    ]
    triples = [t for t in triples if t[0]]
    pats = [words for words, _, _ in triples]
    title = str(row.get("title") or "")
    sample_terms = [terms(strip_wrapper(s)) for s in match]
    signature = terms(title).union(*pats) if pats else terms(title)
    vocab = set(signature).union(*sample_terms) if sample_terms else set(signature)
    modules = frozenset(_short(m) for m in row.get("modules") or [])
    # The entry's family: what its title names, else what all its modules agree on (samples are not
    # used: an entry whose samples happen to quote only apt may still be meant for every tool).
    fams = {f for f in (family(title),) if f} or {f for f in (module_family(m) for m in modules) if f}
    return Profile(
        slug=str(row["slug"]),
        title=title,
        vocab=vocab,
        patterns=pats,
        samples=[*sample_terms, signature],
        no_match=[terms(strip_wrapper(s)) for s in no_match],
        family=fams.pop() if len(fams) == 1 else None,
        modules=modules,
        demands=[demands for _, demands, _ in triples],
        optional=[optional for _, _, optional in triples],
        needs_context=about_packages(match),
        connection=row.get("category") in CONNECTION_CATEGORIES,
        interpreter=row.get("category") in INTERPRETER_CATEGORIES,
        privilege=row.get("category") in PRIVILEGE_CATEGORIES,
        match_texts=match,
        no_match_texts=no_match,
        pattern_texts=[str(p) for p in row.get("patterns") or []],
        skeletons=[k for p in row.get("patterns") or [] for k in (slot_skeleton(str(p)), reason_skeleton(str(p))) if k],
    )


class Profiles:
    """The profiles of every enabled entry of one KB version, with the IDF of their words."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self.by_slug = {p.slug: p for p in profiles}
        df: Counter[str] = Counter()
        for p in self.by_slug.values():
            df.update(p.vocab)
        n = max(len(self.by_slug), 1)
        self._idf = {t: math.log(1 + n / (c + 1)) for t, c in df.items()}
        self._unknown = math.log(1 + n)
        self._postings: dict[str, list[str]] = {}
        for p in self.by_slug.values():
            for t in p.vocab:
                self._postings.setdefault(t, []).append(p.slug)

    @classmethod
    def build(cls, rows: Iterable[Mapping[str, Any]]) -> Profiles:
        return cls(profile_of(r) for r in rows)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unknown)

    def _wcos(self, a: set[str], b: set[str]) -> float:
        if not a or not b:
            return 0.0
        both = sum(self.idf(t) ** 2 for t in a & b)
        if not both:
            return 0.0
        return both / math.sqrt(sum(self.idf(t) ** 2 for t in a) * sum(self.idf(t) ** 2 for t in b))

    def _share(self, part: set[str], whole: set[str]) -> float:
        total = sum(self.idf(t) for t in whole)
        return sum(self.idf(t) for t in whole & part) / total if total else 0.0

    def lexical(self, words: set[str], k: int = 10) -> list[str]:
        """Entries sharing the most IDF weight with ``words`` (candidates the vectors may have missed)."""
        acc: Counter[str] = Counter()
        for t in words:
            w = self.idf(t)
            for slug in self._postings.get(t, ()):
                acc[slug] += w  # type: ignore[assignment]
        return [s for s, _ in acc.most_common(k)]

    def _mass(self, words: set[str]) -> float:
        return sum(self.idf(t) for t in words)

    def score(
        self,
        slug: str,
        words: set[str],
        vector: Vectors,
        text_family: str | None,
        context: bool = True,
        ran: bool = False,
        command: bool = False,
        text: str = "",
        away: str | None = None,
        second: bool = False,
        foreign: bool = False,
    ) -> Scored | None:
        p = self.by_slug.get(slug)
        if p is None:
            return None
        match_v, no_match_v = p.vectors()
        char = max(0.0, float((match_v @ vector).max())) if len(match_v) else 0.0
        # A no_match sample of the entry nearer than all its match samples vetoes it (as the old rule did).
        vetoed = bool(len(no_match_v)) and float((no_match_v @ vector).max()) > char
        word = max((self._wcos(words, s) for s in p.samples), default=0.0)
        # A pattern of one or two common words is easy to cover: its share counts by its weight. A pattern
        # demanding a code (404, curl 7, port 22) the failure does not show speaks for another cause.
        key = max(
            (
                self._share(words, pat - (optional - words)) * min(1.0, self._mass(pat) / PATTERN_MASS)
                for pat, demands, optional in zip(
                    p.patterns,
                    p.demands or [[]] * len(p.patterns),
                    p.optional or [set()] * len(p.patterns),
                    strict=True,
                )
                if all(d & words for d in demands)
            ),
            default=0.0,
        )
        explained = self._share(p.vocab, words)
        conflict = None
        if away:
            conflict = away
        elif text_family and p.family and not compatible(text_family, p.family):
            conflict = f"the failure is from {text_family}, the entry is about {p.family}"
        elif p.family and not text_family:
            conflict = f"the failure names no package manager, the entry is about {p.family}"
        elif p.connection and second:
            conflict = "ssh got past the key or password: the server asked for a second factor a batch run cannot give"
        elif p.connection and ran:
            conflict = "the task (its command or module) ran on the host, so Ansible's connection to it worked"
        elif p.interpreter and command:
            conflict = "the command ran and failed in its own Python, not in the interpreter Ansible runs modules with"
        elif p.privilege and foreign:
            conflict = "the command ran sudo for another user or on another host, not the patch user's become here"
        elif p.needs_context and not context:
            conflict = "the failure shows no package manager or repository, the entry is about one"
        elif vetoed or (p.no_match and max(self._wcos(words, s) for s in p.no_match) >= word + VETO_MARGIN):
            conflict = "closer to a sample the entry must not match"
        elif text and p.outside_slot(text):
            conflict = "the failure names a value the entry's own pattern leaves out"
        # A text of a few common words is "explained" by many entries: weigh by how much it says.
        explained *= min(1.0, sum(self.idf(t) for t in words) / TEXT_MASS)
        score = (char + word + key + explained) / 4
        return Scored(
            slug, p.title, round(score, 4), round(char, 4), round(word, 4), round(key, 4), round(explained, 4), conflict
        )

    def decide(
        self,
        text: str,
        module: str | None,
        neighbours: Sequence[str],
        near_duplicate: float | None = None,
    ) -> Decision:
        """``neighbours``: the entries of the nearest samples (the vector index), best first; with the
        entries sharing the most words they are the candidates.

        ``near_duplicate``: a ``char`` cosine at which the nearest match sample alone decides (a stored
        sample with another host, path or version), unless vetoed.
        """
        evidence = strip_wrapper(text)
        words = terms(evidence)
        text_family = family(text) or module_family(module)
        context = package_context(text, module)
        vector = FINE.embed_one(evidence)
        slugs = list(dict.fromkeys([*neighbours, *self.lexical(words)]))
        ran = ran_on_host(text, module)  # the same rules as the exact matcher (kb.analysis.matcher)
        command = command_ran(text)
        away = elsewhere(text)
        second = second_factor(text)
        foreign = foreign_sudo(text)
        scored = [
            s
            for s in (
                self.score(slug, words, vector, text_family, context, ran, command, text, away, second, foreign)
                for slug in slugs
            )
            if s
        ]
        scored.sort(key=lambda s: (-s.score, s.slug))
        out = Decision(candidates=scored)
        if not scored:
            return out
        best = scored[0]
        runner = scored[1].score if len(scored) > 1 else 0.0
        if (
            best.conflict is None
            and best.score >= ANSWER_SCORE
            and best.score - runner >= ANSWER_LEAD
            and best.key >= ANSWER_KEY
            and best.char >= ANSWER_CHAR
        ):
            out.answer = best
        elif near_duplicate is not None:
            # A stored sample with another host, path or version; its entry's words must still back it (a
            # pattern's code, such as port 22, is not a detail: "waiting for <ip>:8080" is not sshd).
            closest = max(scored, key=lambda s: s.char)
            if closest.char >= near_duplicate and closest.conflict is None and closest.key >= LLM_KEY:
                out.answer = closest
        out.related = [s for s in scored if s is not out.answer and s.score >= RELATED_SCORE][:RELATED_MAX]
        return out

    def verify_choice(self, decision: Decision, slug: str) -> Scored | None:
        """An LLM's pick among the candidates, if the entry's own words back it (else None)."""
        for s in decision.candidates[: RELATED_MAX + 2]:
            if s.slug == slug and s.conflict is None and s.key >= LLM_KEY and s.score >= LLM_SCORE:
                return s
        return None
