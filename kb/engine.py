"""Match failures against the KB stored in PostgreSQL: exact RE2 patterns first, then similarity.

The compiled pattern set is cached per database and KB version (``kb.meta``, bumped by a
trigger on every change to ``kb.entries``), so a process recompiles only after an edit.
Similarity answers only at or above the embedder's threshold (kb/THRESHOLD.md) and is
labelled ``similar`` with its score; a closer ``no_match`` sample of the same entry vetoes it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from core.enums import MatchKind
from kb import repository as repo
from kb.embedder import Embedder
from kb.matcher import CompiledKb
from kb.models import Failure, KbMatch

_CACHE: OrderedDict[tuple[str, int], CompiledKb] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 8
NEIGHBOURS = 10


def compiled_kb(conn: repo.Conn) -> CompiledKb:
    """The compiled enabled patterns of this database's current KB version (cached)."""
    key = repo.kb_version(conn)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    compiled = CompiledKb.build((r["slug"], r["patterns"], r["modules"]) for r in repo.enabled_patterns(conn))
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


def similar(conn: repo.Conn, embedder: Embedder, text: str) -> KbMatch | None:
    """The nearest entry by its samples, if its cosine score reaches the embedder's threshold."""
    return similar_many(conn, embedder, [text])[0]


def similar_many(conn: repo.Conn, embedder: Embedder, texts: list[str]) -> list[KbMatch | None]:
    if not texts:
        return []
    vectors = embedder.embed(texts)
    out: list[KbMatch | None] = []
    for vector in vectors:
        vetoed: set[str] = set()
        found: KbMatch | None = None
        for row in repo.nearest_samples(conn, embedder.name, vector, NEIGHBOURS):
            score = float(row["score"])
            if score < embedder.threshold:
                break
            if row["kind"] == "no_match":
                vetoed.add(row["slug"])
            elif row["slug"] not in vetoed:
                found = KbMatch(slug=row["slug"], kind=MatchKind.similar, score=round(score, 4))
                break
        out.append(found)
    return out


def match_failures(conn: repo.Conn, embedder: Embedder | None, failures: list[Failure]) -> list[KbMatch | None]:
    """One match (or None) per failure: exact first; similarity for the rest when an embedder is given."""
    kb = compiled_kb(conn)
    matches: list[KbMatch | None] = [kb.match(f.match_text or f.message, f.module) for f in failures]
    if embedder is None:
        return matches
    todo = [i for i, m in enumerate(matches) if m is None and (failures[i].match_text or failures[i].message)]
    if todo:
        ensure_vectors(conn, embedder)
        found = similar_many(conn, embedder, [failures[i].match_text or failures[i].message for i in todo])
        for i, m in zip(todo, found, strict=True):
            matches[i] = m
    return matches
