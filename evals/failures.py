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
from kb.embedder import make_embedder
from kb.engine import match_failures
from kb.entries import SEED_PATH, import_file
from kb.service import analyse


def load_cases(cases_dir: Path) -> list[dict[str, Any]]:
    path = cases_dir / "cases.jsonl" if cases_dir.is_dir() else cases_dir
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(conn: psycopg.Connection[Any], cases_dir: Path, settings: Settings) -> dict[str, Any]:
    """The report: logs, expected, found, precision, recall, kb_top1, wrong_matches, mismatches."""
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
        expected_n += len(want)
        found_n += len(got)
        for key, slug in want.items():
            if key not in got:
                mismatches.append({"log": log, "host": key[0], "task": key[1], "expected": slug, "got": "(missed)"})
                continue
            hit_n += 1
            if got[key] == slug:
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
