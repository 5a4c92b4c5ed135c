"""Calibrate the similarity fallback (kb/THRESHOLD.md): ``python -m kb.calibrate [VARIANTS.jsonl ...]``.

Runs every variant of the given sets (default: kb/calibration_variants.jsonl, our own; never
evals/) through the production decision in memory: exact RE2 patterns first, then the nearest
samples by exact cosine (what the similarity index approximates) and ``kb.analysis.fallback.Profiles.decide``.
Prints the outcome at the current bars and a sweep of the bars: for each, the variants answered
right, the wrong answers and the "possibly related" counts. The bars in kb.analysis.fallback are chosen
as the most recall with zero wrong answers, preferring the widest margin.

A variant line: ``{"id", "text", "module"?, "tool"?, "expected": slug | null, "kind": "reworded" | "near_miss"}``.
Labels a later KB made stale are overridden from kb/calibration_relabels.yaml (by id and text hash; each
judged by hand); ``--original-labels`` scores against the file's own labels only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.analysis import fallback
from kb.analysis.embedder import Embedder, HashingEmbedder
from kb.analysis.fallback import Decision, Profiles
from kb.analysis.matcher import CompiledKb
from kb.analysis.parser import read_pasted
from kb.engine import NEAR_DUPLICATE, NEIGHBOURS
from kb.store.seedfile import load_file

HERE = Path(__file__).parent
VARIANTS = HERE / "calibration_variants.jsonl"
RELABELS = HERE / "calibration_relabels.yaml"


def text_sha(text: str) -> str:
    """What a relabel is keyed by besides the id: the first 16 hex digits of the text's sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_relabels(path: Path = RELABELS) -> dict[tuple[str, str], str | None]:
    """``(id, text sha) -> expected`` for cases whose label a later KB entry made stale."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {(str(r["id"]), str(r["sha256"])): r["expected"] for r in rows}


def load_variants(path: Path, relabels: Mapping[tuple[str, str], str | None] | None = None) -> list[dict[str, Any]]:
    """The variant lines of a JSONL file; a line that is not a variant is a ValueError naming it.

    With ``relabels``, a case whose id and text both match gets the new ``expected``; its own label is kept
    as ``label_original``.
    """
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if not isinstance(case, dict) or not isinstance(case.get("text"), str) or "expected" not in case:
                raise ValueError("needs 'text' (string) and 'expected' (slug or null)")
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not a variant line: {exc}") from None
        key = (str(case.get("id")), text_sha(case["text"]))
        if relabels and key in relabels:
            case["label_original"] = case["expected"]
            case["expected"] = relabels[key]
        out.append(case)
    return out


@dataclass(frozen=True, slots=True)
class Outcome:
    case: dict[str, Any]
    got: str | None
    how: str  # exact | similar | none
    related: tuple[str, ...]
    decision: Decision | None


class MemoryKb:
    """The seed KB in memory: compiled patterns, sample vectors and fallback profiles."""

    def __init__(self, seed: Path = HERE / "seed.yaml", embedder: Embedder | None = None) -> None:
        _, entries = load_file(seed)
        entries = [e for e in entries if e.get("enabled", True)]
        self.embedder = embedder or HashingEmbedder()
        self.kb = CompiledKb.from_entries(entries)
        self.profiles = Profiles.build(entries)
        self.owners: list[tuple[str, str]] = []
        texts: list[str] = []
        for e in entries:
            for kind in ("match", "no_match"):
                for t in e.get("samples", {}).get(kind, []):
                    texts.append(t)
                    self.owners.append((e["slug"], kind))
        self.vectors = self.embedder.embed(texts)

    def neighbours(self, text: str, k: int = NEIGHBOURS) -> list[str]:
        """The entries of the ``k`` nearest samples by exact cosine (what the similarity index approximates)."""
        scores = self.vectors @ self.embedder.embed([text])[0]
        top = np.argsort(-scores)[:k]
        return [self.owners[i][0] for i in top]

    def run(self, case: dict[str, Any]) -> Outcome:
        module = case.get("module")
        reading = self.kb.read(read_pasted(case["text"]), module)
        if reading.match is not None:
            return Outcome(case, reading.match.slug, "exact", (), None)
        if reading.aside is not None:  # another program failed after the entry's message: no answer
            return Outcome(case, None, "none", (reading.aside.slug,), None)
        text = reading.text
        d = self.profiles.decide(text, module, self.neighbours(text), near_duplicate=NEAR_DUPLICATE)
        got = d.answer.slug if d.answer else None
        return Outcome(case, got, "similar" if got else "none", tuple(s.slug for s in d.related), d)


def summary(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """Recall at zero wrong is ``right / reworded`` when ``wrong`` is 0 (wrong = an answer != expected)."""
    rows = list(outcomes)
    pos = [o for o in rows if o.case["expected"] is not None]
    right = [o for o in pos if o.got == o.case["expected"]]
    wrong = [o for o in rows if o.got is not None and o.got != o.case["expected"]]
    related_right = [o for o in pos if o.got is None and o.case["expected"] in o.related]
    original = [o for o in rows if o.got is not None and o.got != o.case.get("label_original", o.case["expected"])]
    return {
        "cases": len(rows),
        "expected_an_entry": len(pos),
        "expected_none": len(rows) - len(pos),
        "right": len(right),
        "right_exact": sum(o.how == "exact" for o in right),
        "right_similar": sum(o.how == "similar" for o in right),
        "recall": round(len(right) / len(pos), 4) if pos else 1.0,
        "wrong": len(wrong),
        "relabelled": sum("label_original" in o.case for o in rows),
        "wrong_vs_original_labels": len(original),
        "unanswered": sum(o.got is None for o in pos),
        "possibly_related_shown": sum(bool(o.related) for o in rows if o.got is None),
        "possibly_related_right": len(related_right),
        "wrong_cases": [
            {"id": o.case.get("id"), "expected": o.case["expected"], "got": o.got, "how": o.how} for o in wrong
        ],
    }


def sweep(kb: MemoryKb, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Right and wrong answers over a grid of the answer bars (decisions recomputed per point)."""
    names = ("ANSWER_SCORE", "ANSWER_LEAD", "ANSWER_KEY", "ANSWER_CHAR")
    saved = [getattr(fallback, n) for n in names]
    grid = itertools.product((0.4, 0.45, 0.5, 0.55), (0.0, 0.1, 0.15), (0.5, 0.55, 0.58, 0.62, 0.65), (0.0, 0.5, 0.6))
    out = []
    try:
        for point in grid:
            for name, value in zip(names, point, strict=True):
                setattr(fallback, name, value)
            s = summary(kb.run(c) for c in cases)
            out.append(
                dict(zip(("score", "lead", "key", "char"), point, strict=True))
                | {"right": s["right"], "wrong": s["wrong"]}
            )
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(fallback, name, value)
    return sorted(out, key=lambda r: (r["wrong"], -r["right"]))


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv if not a.startswith("-")] or [VARIANTS]
    relabels = None if "--original-labels" in argv else load_relabels()
    cases = [c for p in paths for c in load_variants(p, relabels)]
    kb = MemoryKb()
    result = summary(kb.run(c) for c in cases)
    if "--sweep" in argv:
        result["sweep_best"] = sweep(kb, cases)[:15]
    if "--detail" in argv:
        for c in cases:
            o = kb.run(c)
            if o.got != c["expected"] or "--all" in argv:
                cands = [
                    (s.slug, s.score, s.char, s.word, s.key, s.explained, s.conflict)
                    for s in (o.decision.candidates[:3] if o.decision else [])
                ]
                print(c["id"], c["kind"], "want", c["expected"], "got", o.got, o.how, cands, file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
