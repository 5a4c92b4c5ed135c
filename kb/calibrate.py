"""Calibrate the similarity threshold (kb/THRESHOLD.md): ``python -m kb.calibrate``.

Positives: every ``samples.match`` text of every entry, held out in turn and looked up among
the remaining samples of all entries (leave-one-out), plus the eval logs' failures. Negatives:
kb/calibration_negatives.yaml, the eval failures that expect no entry, and each entry's
``no_match`` samples (negative for that entry only). Texts an exact pattern already matches
are skipped: similarity only sees what the patterns leave.

The threshold is the lowest score that accepts no wrong entry and no negative, plus a margin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.embedder import Embedder, HashingEmbedder
from kb.matcher import CompiledKb
from kb.parser import parse_stdout
from kb.seedfile import load_file

HERE = Path(__file__).parent
MARGIN = 0.01


def _eval_failures(cases_dir: Path) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for line in (cases_dir / "cases.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        want = {(e["host"], e["task"]): e.get("kb") for e in case["expected"]}
        for f in parse_stdout((cases_dir / case["log"]).read_bytes()).failures:
            if (f.host, f.task) in want:
                out.append((f.match_text, want[(f.host, f.task)]))
    return out


def calibrate(
    seed: Path = HERE / "seed.yaml",
    cases_dir: Path = HERE.parent / "evals" / "logs",
    negatives: Path = HERE / "calibration_negatives.yaml",
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    emb = embedder or HashingEmbedder()
    _, entries = load_file(seed)
    kb = CompiledKb.build((e["slug"], e["patterns"], e.get("modules", [])) for e in entries)
    texts: list[str] = []
    owners: list[str] = []
    kinds: list[str] = []
    for e in entries:
        for kind in ("match", "no_match"):
            for t in e.get("samples", {}).get(kind, []):
                texts.append(t)
                owners.append(e["slug"])
                kinds.append(kind)
    vecs = emb.embed(texts)
    is_match = np.array([k == "match" for k in kinds])

    def nearest(v: np.ndarray[Any, Any], exclude: int | None) -> tuple[str | None, float]:
        scores = vecs @ v
        if exclude is not None:
            scores[exclude] = -1.0
        vetoed: set[str] = set()
        for i in np.argsort(-scores)[:10]:
            if not is_match[i]:
                vetoed.add(owners[i])
            elif owners[i] not in vetoed:
                return owners[i], float(scores[i])
        return None, 0.0

    rows: list[dict[str, Any]] = []
    for i in range(len(texts)):
        if kinds[i] == "match":
            slug, score = nearest(vecs[i], i)
            rows.append({"kind": "variant", "want": owners[i], "got": slug, "score": score})
    for text, want in _eval_failures(cases_dir):
        if kb.match(text) is None:
            slug, score = nearest(emb.embed([text])[0], None)
            rows.append({"kind": "eval", "want": want, "got": slug, "score": score})
    skipped = 0
    for text in yaml.safe_load(negatives.read_text()):
        if kb.match(text) is not None:
            skipped += 1
            continue
        slug, score = nearest(emb.embed([text])[0], None)
        rows.append({"kind": "negative", "want": None, "got": slug, "score": score})
    for i in range(len(texts)):
        if kinds[i] == "no_match":  # held out, so only other no_match samples can veto
            slug, score = nearest(vecs[i], i)
            if slug == owners[i]:
                rows.append({"kind": "no_match", "want": f"(not {owners[i]})", "got": slug, "score": score})
    wrong = [r for r in rows if r["got"] is not None and r["got"] != r["want"]]
    worst_wrong = max((r["score"] for r in wrong), default=0.0)
    threshold = round(min(0.99, float(np.ceil((worst_wrong + MARGIN) * 100) / 100)), 2)
    right = [r for r in rows if r["kind"] == "variant" and r["got"] == r["want"]]
    variants = [r for r in rows if r["kind"] == "variant"]
    accepted = [r for r in right if r["score"] >= threshold]
    return {
        "embedder": emb.name,
        "threshold": threshold,
        "worst_wrong_score": round(worst_wrong, 4),
        "worst_wrong": sorted(wrong, key=lambda r: -r["score"])[:5],
        "variants": len(variants),
        "variants_top1_right": len(right),
        "variants_recovered_at_threshold": len(accepted),
        "negatives": sum(r["kind"] in ("negative", "eval") and r["want"] is None for r in rows),
        "negatives_skipped_exact": skipped,
        "no_match_checks": sum(r["kind"] == "no_match" for r in rows),
        "wrong_at_threshold": sum(r["score"] >= threshold for r in wrong),
    }


if __name__ == "__main__":
    print(json.dumps(calibrate(), indent=2, default=str))
