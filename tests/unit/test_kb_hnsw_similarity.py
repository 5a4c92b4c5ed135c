"""The similarity query and its index: the bench builds what migrations build, the query can walk the
index (also in the generic plan a prepared statement keeps) and returns the exact nearest samples."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psycopg
import pytest

from bench.kb import _generic_plan, index_ddl
from core.db import connect
from core.migrate import MIGRATIONS_DIR
from kb.analysis.embedder import DIM
from kb.store import repository as repo

_ROOT = Path(__file__).resolve().parents[2]


def _statements(path: Path) -> list[str]:
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    return [" ".join(s.split()) + ";" for s in text.split(";") if s.strip()]


def test_bench_builds_the_index_migrations_and_schema_declare() -> None:
    ddl = index_ddl()
    assert "halfvec_cosine_ops" in ddl and "m = 32" in ddl and "ef_construction = 400" in ddl
    assert ddl in _statements(MIGRATIONS_DIR / "0010_kb_hnsw_search.sql")
    schema = _statements(_ROOT / "core" / "schema.sql")
    last = max(i for i, s in enumerate(schema) if "sample_vectors_embedding_idx" in s)
    assert schema[last] == ddl, "the last definition of the index in core/schema.sql differs from the bench's"


def _unit(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    v = rng.random((n, DIM), dtype=np.float32)
    out: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


@pytest.mark.integration
def test_nearest_samples_walks_the_index_and_ranks_exactly(db_url: str) -> None:
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 60)
    with connect(db_url) as conn:
        conn.execute(
            "INSERT INTO kb.entries (id, slug, title, category, solution, updated_by, enabled) "
            "SELECT i, 'e-' || i, 't', 'other', 's', 'test', i <> 7 FROM generate_series(1, 60) AS i"
        )
        repo.replace_sample_vectors(conn, 1, "hashing", [("match", f"s{i}") for i in range(60)], vectors)
        conn.execute("UPDATE kb.sample_vectors SET entry_id = id - (SELECT min(id) FROM kb.sample_vectors) + 1")
        conn.execute("SET enable_seqscan = off")  # a 60-row table would be scanned and sorted otherwise
        conn.execute("SET enable_sort = off")
        plan = "\n".join(_generic_plan(conn))
        assert "Index Scan using sample_vectors_embedding_idx" in plan, plan
        probe = vectors[6] * 0.7 + vectors[20] * 0.3  # nearest: entry 7 (disabled), then entry 21
        probe /= np.linalg.norm(probe)
        for _ in range(7):  # past psycopg's prepare threshold: the prepared statement answers the same
            rows = repo.nearest_samples(conn, "hashing", probe, 10)
            sims = vectors @ probe
            sims[6] = -2  # the disabled entry's sample never comes back
            want = np.argsort(-sims)[:10]
            assert [r["slug"] for r in rows] == [f"e-{i + 1}" for i in want]
            assert [r["score"] for r in rows] == pytest.approx(sims[want].tolist(), abs=1e-5)
            assert rows[0]["slug"] == "e-21"
        assert conn.execute("SHOW hnsw.ef_search").fetchone() == {"hnsw.ef_search": "150"}
        conn.rollback()
        assert conn.execute("SHOW hnsw.ef_search").fetchone() == {"hnsw.ef_search": "40"}


@pytest.mark.integration
def test_a_failed_search_leaves_the_callers_transaction_usable(db_url: str) -> None:
    # One pipeline holds savepoint, settings, search and release: an error in it rolls back to the savepoint only.
    with connect(db_url) as conn:
        conn.execute(
            "INSERT INTO kb.entries (id, slug, title, category, solution, updated_by) "
            "VALUES (1, 'e-1', 't', 'other', 's', 'test')"
        )
        repo.replace_sample_vectors(conn, 1, "hashing", [("match", "s")], _unit(np.random.default_rng(5), 1))
        with pytest.raises(psycopg.errors.DataException, match="384 dimensions"):
            repo.nearest_samples(conn, "hashing", np.ones(10, dtype=np.float32), 5)
        rows = repo.nearest_samples(conn, "hashing", np.ones(DIM, dtype=np.float32), 5)
        assert [r["slug"] for r in rows] == ["e-1"]
        assert conn.execute("SELECT count(*) AS n FROM kb.entries").fetchone() == {"n": 1}  # the insert survived
        conn.rollback()
