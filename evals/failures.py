"""Failure-analysis eval (evals/README.md section 3 in shared): logs/ + cases.jsonl against the KB.

Runs the production path: the KB is imported into a real PostgreSQL with pgvector (a throwaway
database), each log goes through ``kb.service.analyse`` (the parser ``analyse_job`` uses) and
``kb.engine.match_failures`` (exact RE2 patterns, then similarity above the threshold).
Any log in the same formats is run; nothing here knows a particular log.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core.db import connect
from core.migrate import migrate
from core.settings import Settings
from kb.analysis.chooser import make_chooser
from kb.analysis.embedder import make_embedder
from kb.analysis.parser import read_pasted
from kb.calibrate import load_relabels, load_variants
from kb.engine import match_detail, match_failures
from kb.entries import SEED_PATH, import_file
from kb.models import Failure
from kb.service import analyse


def load_cases(cases_dir: Path) -> list[dict[str, Any]]:
    path = cases_dir / "cases.jsonl" if cases_dir.is_dir() else cases_dir
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(conn: psycopg.Connection[Any], cases_dir: Path, settings: Settings) -> dict[str, Any]:
    """The report: logs, expected, found, precision, recall, kb_top1, wrong_matches, mismatches.

    An expected failure may list ``also``: other entries its labeller accepts as a right fix (counted right, not wrong).
    """
    base = cases_dir if cases_dir.is_dir() else cases_dir.parent
    embedder = make_embedder(settings)
    expected_n = found_n = hit_n = right_n = wrong_n = 0
    mismatches: list[dict[str, Any]] = []
    cases = load_cases(cases_dir)
    for case in cases:
        log = case["log"]
        with (base / log).open("rb") as fh:
            failures = analyse(fh.read().decode("utf-8", "replace"), None).failures
        matches = match_failures(conn, embedder, failures)
        got: dict[tuple[str, str], str | None] = {}
        for f, m in zip(failures, matches, strict=True):
            got.setdefault((f.host, f.task), m.slug if m else None)
        want = {(e["host"], e["task"]): e.get("kb") for e in case["expected"]}
        # A case may name other entries an operator would also accept ("also"), as the variant sets do.
        also = {(e["host"], e["task"]): set(e.get("also") or []) for e in case["expected"]}
        expected_n += len(want)
        found_n += len(got)
        for key, slug in want.items():
            if key not in got:
                mismatches.append({"log": log, "host": key[0], "task": key[1], "expected": slug, "got": "(missed)"})
                continue
            hit_n += 1
            if got[key] == slug or (got[key] is not None and got[key] in also[key]):
                right_n += 1
            else:
                if got[key] is not None:
                    wrong_n += 1
                mismatches.append({"log": log, "host": key[0], "task": key[1], "expected": slug, "got": got[key]})
        for key in got.keys() - want.keys():
            mismatches.append({"log": log, "host": key[0], "task": key[1], "expected": "(no failure)", "got": got[key]})
    return {
        "logs": len(cases),
        "expected": expected_n,
        "found": found_n,
        "precision": round(hit_n / found_n, 4) if found_n else 1.0,
        "recall": round(hit_n / expected_n, 4) if expected_n else 1.0,
        "kb_top1": round(right_n / expected_n, 4) if expected_n else 1.0,
        "wrong_matches": wrong_n,
        "mismatches": mismatches,
    }


def evaluate_variants(conn: psycopg.Connection[Any], cases_file: Path, settings: Settings) -> dict[str, Any]:
    """Variant failure texts through the production matcher (exact patterns, then the fallback).

    A line: ``{"id", "text", "module"?, "tool"?, "expected": slug | null, "also"?: [slug], "kind": ...}``.
    ``also`` lists other entries a labeller accepts as a right answer (two entries that both fix the failure).
    ``wrong`` counts answers that are neither the expected entry nor in ``also`` (an answer for a null case included);
    ``recall_at_zero_wrong`` is the recall when ``wrong`` is 0, else null (there is no zero-wrong point).
    Labels a later KB entry made stale are taken from kb/calibration_relabels.yaml (matched by id and text);
    ``wrong_vs_original_labels`` counts against the file's own labels.
    """
    cases = load_variants(cases_file, load_relabels())
    failures = [
        Failure(
            host=str(c.get("id", i)),
            task="variant",
            module=c.get("module"),
            message=c["text"],
            match_text=read_pasted(c["text"]),
        )
        for i, c in enumerate(cases)
    ]
    results = match_detail(conn, make_embedder(settings), failures, make_chooser(settings))
    rows: list[dict[str, Any]] = []
    for c, res in zip(cases, results, strict=True):
        m = res.match
        rows.append(
            {
                "id": c.get("id"),
                "kind": c.get("kind"),
                "expected": c["expected"],
                "accepted": {c["expected"], *(c.get("also") or [])} - {None},
                **({"label_original": c["label_original"]} if "label_original" in c else {}),
                "got": m.slug if m else None,
                "how": m.kind.value if m else None,
                "score": m.score if m else None,
                "related": [(x.slug, x.score) for x in res.related],
            }
        )
    pos = [r for r in rows if r["expected"] is not None]
    right = [r for r in pos if r["got"] in r["accepted"]]
    wrong = [r for r in rows if r["got"] is not None and r["got"] not in r["accepted"]]
    recall = round(len(right) / len(pos), 4) if pos else 1.0
    original = [r for r in rows if r["got"] is not None and r["got"] != r.get("label_original", r["expected"])]
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        k = by_kind.setdefault(str(r["kind"]), {"cases": 0, "right": 0, "wrong": 0, "unanswered": 0, "related": 0})
        k["cases"] += 1
        k["right"] += r["got"] in r["accepted"] or (r["got"] is None and r["expected"] is None)
        k["wrong"] += r["got"] is not None and r["got"] not in r["accepted"]
        k["unanswered"] += r["got"] is None and r["expected"] is not None
        k["related"] += r["got"] is None and bool(r["related"])
    return {
        "cases": len(rows),
        "expected_an_entry": len(pos),
        "right": len(right),
        "right_exact": sum(r["how"] == "exact" for r in right),
        "right_similar": sum(r["how"] == "similar" for r in right),
        "recall": recall,
        "wrong": len(wrong),
        "wrong_exact": sum(r["how"] == "exact" for r in wrong),
        "wrong_similar": sum(r["how"] == "similar" for r in wrong),
        "recall_at_zero_wrong": recall if not wrong else None,
        "relabelled": sum("label_original" in r for r in rows),
        "wrong_vs_original_labels": len(original),
        "possibly_related_shown": sum(r["got"] is None and bool(r["related"]) for r in rows),
        "possibly_related_contains_expected": sum(
            r["got"] is None and r["expected"] in {s for s, _ in r["related"]} for r in pos
        ),
        "by_kind": by_kind,
        "method": "exact RE2 patterns ranked module fit, cause over wrapper, specificity, with context rules "
        "(a connection entry never answers a task that ran on the host, nor an interpreter entry a command that ran; a "
        "repository network entry needs a package manager or repository in sight: kb/analysis/matcher.py); a text no "
        "pattern matches is read again with the tools' translated messages put back into English "
        "(kb/analysis/translate.py); then nearest samples (IVFFlat index) "
        "re-ranked by word, key-term and package-manager agreement under the same rules (kb/analysis/fallback.py); "
        "the LLM picks among candidates only when configured",
        "wrong_cases": [{k: v for k, v in r.items() if k != "accepted"} for r in wrong],
    }


def run_variants(cases_file: Path, kb_file: Path | None, settings: Settings, server_url: str) -> dict[str, Any]:
    """Import the KB into a throwaway database on ``server_url`` and evaluate a variant file."""
    with throwaway_database(server_url) as url, connect(url) as conn:
        import_file(conn, kb_file or settings.kb.seed_path or SEED_PATH, by="eval")
        report = evaluate_variants(conn, cases_file, settings)
        conn.rollback()
    return report


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A migrated database of its own on ``server_url``, dropped afterwards."""
    name = f"pp_eval_{uuid.uuid4().hex[:12]}"
    params = conninfo_to_dict(server_url)
    admin = make_conninfo(**{**params, "dbname": "postgres"})  # type: ignore[arg-type]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_conninfo(**{**params, "dbname": name})  # type: ignore[arg-type]
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(cases_dir: Path, kb_file: Path | None, settings: Settings, server_url: str) -> dict[str, Any]:
    """Import the KB into a throwaway database on ``server_url`` and evaluate the cases."""
    with throwaway_database(server_url) as url, connect(url) as conn:
        import_file(conn, kb_file or settings.kb.seed_path or SEED_PATH, by="eval")
        report = evaluate(conn, cases_dir, settings)
        conn.rollback()
    return report
