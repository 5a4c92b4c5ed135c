"""Match failures against the KB stored in PostgreSQL: exact RE2 patterns first, then similarity.

The compiled pattern set is cached per database and KB version (``kb.meta``, bumped by a
trigger on every change to ``kb.entries``), so a process recompiles only after an edit.
The similarity fallback (kb.analysis.fallback) answers only when its independent signals agree and is
labelled ``similar`` with its score; below its bars, candidates are returned as "possibly
related" with their scores, never as the answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from core.enums import MatchKind
from kb.analysis.embedder import Embedder
from kb.analysis.fallback import Decision, Profiles, Scored
from kb.analysis.matcher import CompiledKb
from kb.models import Failure, KbMatch, MatchResult, Related
from kb.store import repository as repo

_CACHE: OrderedDict[tuple[str, int], CompiledKb] = OrderedDict()
_LOCK = threading.Lock()
_PROFILES: OrderedDict[tuple[str, int], Profiles] = OrderedDict()
_CACHE_SIZE = 8
NEIGHBOURS = 20
# The char cosine (kb.analysis.embedder.FINE) at which a stored sample's near-duplicate answers alone; it was
# the whole fallback's threshold before (kb/THRESHOLD.md, "Near-duplicate threshold").
NEAR_DUPLICATE = 0.97
# At most this many model calls per analysis (distinct failure texts; the rest keep "possibly related").
MAX_LLM_CALLS = 20


def compiled_kb(conn: repo.Conn) -> CompiledKb:
    """The compiled enabled patterns of this database's current KB version (cached)."""
    key = repo.kb_version(conn)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    rows = repo.enabled_patterns(conn)
    compiled = CompiledKb.from_entries(rows)
    with _LOCK:
        _CACHE[key] = compiled
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return compiled


def ensure_vectors(conn: repo.Conn, embedder: Embedder) -> None:
    """Embed the samples of entries that have no vectors for this embedder yet (e.g. a new embedder)."""
    for row in repo.entries_without_vectors(conn, embedder.name):
        samples = [("match", s) for s in row["samples_match"]] + [("no_match", s) for s in row["samples_no_match"]]
        if samples:
            repo.replace_sample_vectors(
                conn, row["id"], embedder.name, samples, embedder.embed([t for _, t in samples])
            )


def profiles(conn: repo.Conn) -> Profiles:
    """The fallback profiles of this database's current KB version (cached like the patterns)."""
    key = repo.kb_version(conn)
    with _LOCK:
        hit = _PROFILES.get(key)
        if hit is not None:
            _PROFILES.move_to_end(key)
            return hit
    built = Profiles.build(repo.enabled_profiles(conn))
    with _LOCK:
        _PROFILES[key] = built
        while len(_PROFILES) > _CACHE_SIZE:
            _PROFILES.popitem(last=False)
    return built


Chooser = Callable[[str, list[Scored]], str | None]


def _related(d: Decision) -> tuple[Related, ...]:
    return tuple(Related(s.slug, s.title, s.score) for s in d.related)


def decide_many(
    conn: repo.Conn,
    embedder: Embedder,
    items: list[tuple[str, str | None]],
    chooser: Chooser | None = None,
) -> list[MatchResult]:
    """The fallback for ``(text, module)`` pairs no pattern matched (kb.analysis.fallback; kb/THRESHOLD.md).

    The nearest samples give candidates; ``Profiles.decide`` answers only when its signals agree.
    With a ``chooser`` (an LLM), a failure the signals leave open may still be answered by the
    chooser's pick among the candidates, if the entry's own words back it (``verify_choice``).
    """
    if not items:
        return []
    prof = profiles(conn)
    distinct = list(dict.fromkeys(items))  # a fleet failing alike repeats one text many times
    vectors = embedder.embed([t for t, _ in distinct])
    llm_calls = 0
    done: dict[tuple[str, str | None], MatchResult] = {}
    for (text, module), vector in zip(distinct, vectors, strict=True):
        rows = repo.nearest_samples(conn, embedder.name, vector, NEIGHBOURS)
        d = prof.decide(text, module, [r["slug"] for r in rows], near_duplicate=NEAR_DUPLICATE)
        answer, via = d.answer, "signals"
        if answer is None and chooser is not None and d.related and llm_calls < MAX_LLM_CALLS:
            llm_calls += 1
            pick = chooser(text, d.candidates[:5])
            answer = prof.verify_choice(d, pick) if pick else None
            via = "llm"
        if answer is None:
            done[(text, module)] = MatchResult(None, _related(d))
            continue
        match = KbMatch(slug=answer.slug, kind=MatchKind.similar, score=answer.score, via=via)
        done[(text, module)] = MatchResult(match, tuple(r for r in _related(d) if r.slug != answer.slug))
    return [done[item] for item in items]


def similar(conn: repo.Conn, embedder: Embedder, text: str, module: str | None = None) -> KbMatch | None:
    """The fallback's answer for one text no pattern matched, or None."""
    return decide_many(conn, embedder, [(text, module)])[0].match


def match_detail(
    conn: repo.Conn, embedder: Embedder | None, failures: list[Failure], chooser: Chooser | None = None
) -> list[MatchResult]:
    """Per failure: exact first; the fallback for the rest when an embedder is given; related entries."""
    kb = compiled_kb(conn)
    readings = [kb.read(f.match_text or f.message, f.module) for f in failures]
    results = [MatchResult(r.match) for r in readings]
    if any(r.aside for r in readings):  # a pattern's answer set aside: possibly related, never the fix
        by_slug = profiles(conn).by_slug
        for i, reading in enumerate(readings):
            aside = reading.aside
            if aside is not None and aside.slug in by_slug:
                results[i] = MatchResult(None, (Related(aside.slug, by_slug[aside.slug].title, 1.0),))
    if embedder is None:
        return results
    todo = [i for i, r in enumerate(results) if r.match is None and readings[i].text]
    if todo:
        ensure_vectors(conn, embedder)
        # A failure in another language is read by the fallback in English too (its reading's text).
        found = decide_many(conn, embedder, [(readings[i].text, failures[i].module) for i in todo], chooser)
        for i, r in zip(todo, found, strict=True):
            results[i] = r
    return results


def match_failures(conn: repo.Conn, embedder: Embedder | None, failures: list[Failure]) -> list[KbMatch | None]:
    """One match (or None) per failure: exact first; the similarity fallback for the rest when an embedder is given."""
    return [r.match for r in match_detail(conn, embedder, failures)]
