"""The similarity query and its index: migrations and the declared schema build the same IVFFlat index, the
rebuild follows the table's size, the query scans the index (also in the generic plan a prepared statement
keeps) and returns the exact nearest samples."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psycopg
import pytest

from bench.kb import _generic_plan
from core.db import connect
from core.migrate import MIGRATIONS_DIR
from kb.analysis.embedder import DIM
from kb.store import repository as repo

_ROOT = Path(__file__).resolve().parents[2]


def _statements(path: Path) -> list[str]:
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    return [" ".join(s.split()) + ";" for s in text.split(";") if s.strip()]


def test_migrations_and_schema_declare_the_ivfflat_index_the_rebuild_builds() -> None:
    ddl = (
        "CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors USING ivfflat "
        "((embedding::halfvec(384)) halfvec_cosine_ops) WITH (lists = 1);"
    )
    assert ddl in _statements(MIGRATIONS_DIR / "0014_kb_ivfflat.sql")
    schema = _statements(_ROOT / "core" / "schema.sql")
    last = max(i for i, s in enumerate(schema) if "sample_vectors_embedding_idx" in s)
    assert schema[last] == ddl, "the last definition of the index in core/schema.sql differs from 0014's"
    rebuild = " ".join(re.sub(r"--[^\n]*", "", repo.Q.create_next_sample_index).split())
    assert (
        ddl.replace("sample_vectors_embedding_idx", "sample_vectors_embedding_next").replace(
            "(lists = 1);", "(lists = {lists});"
        )
        in rebuild
    )


def test_lists_follow_the_table_and_a_rebuild_waits_for_it_to_double_or_halve() -> None:
    assert [repo.sample_index_lists(n) for n in (0, 49, 50, 1_000, 100_000, 10**8)] == [1, 1, 1, 20, 2000, 2000]
    built = {"lists": 20, "rows_at_build": 1_000}
    assert not repo.sample_index_stale(built, 1_999) and not repo.sample_index_stale(built, 501)
    assert repo.sample_index_stale(built, 2_001) and repo.sample_index_stale(built, 499)
    # Doubling a tiny table changes nothing: one list either way.
    assert not repo.sample_index_stale({"lists": 1, "rows_at_build": 10}, 45)
    assert repo.sample_index_stale(None, 0)


def _unit(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    v = rng.random((n, DIM), dtype=np.float32)
    out: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def _one_entry_per_vector(conn: repo.Conn, vectors: npt.NDArray[np.float32], disabled: int = 0) -> None:
    """Entries e-1 .. e-n, the i-th holding sample vector i (entry ``disabled``, if any, disabled)."""
    conn.execute(
        "INSERT INTO kb.entries (id, slug, title, category, solution, updated_by, enabled) "
        "SELECT i, 'e-' || i, 't', 'other', 's', 'test', i <> %(disabled)s FROM generate_series(1, %(n)s) AS i",
        {"n": len(vectors), "disabled": disabled},
    )
    repo.replace_sample_vectors(conn, 1, "hashing", [("match", f"s{i}") for i in range(len(vectors))], vectors)
    conn.execute("UPDATE kb.sample_vectors SET entry_id = id - (SELECT min(id) FROM kb.sample_vectors) + 1")


@pytest.mark.integration
def test_nearest_samples_walks_the_index_and_ranks_exactly(db_url: str) -> None:
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 60)
    with connect(db_url) as conn:
        _one_entry_per_vector(conn, vectors, disabled=7)
        assert repo.ensure_sample_index(conn) is None  # 60 vectors: still one list, as migration 0014 built it
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
        assert conn.execute("SHOW ivfflat.probes").fetchone() == {"ivfflat.probes": "30"}
        conn.rollback()
        assert conn.execute("SHOW ivfflat.probes").fetchone() == {"ivfflat.probes": "1"}


@pytest.mark.integration
def test_the_index_is_rebuilt_for_the_table_it_serves_and_searches_stay_exact(db_url: str) -> None:
    """3,000 vectors in 60 families: the rebuild gives 60 lists (one per 50 vectors); 30 probes of them, with the
    iterative scan, still return the exact nearest sample of probes near a family; the build is recorded."""
    rng = np.random.default_rng(11)
    centres = _unit(rng, 60)
    vectors = centres.repeat(50, axis=0) + rng.normal(0, 0.02, (3000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with connect(db_url) as conn:
        _one_entry_per_vector(conn, vectors)
        conn.commit()
        assert repo.sample_index(conn)["lists"] == 1
        conn.commit()
        built = repo.ensure_sample_index(conn)
        assert built is not None and (built["lists"], built["rows_at_build"]) == (60, 3000)
        assert repo.sample_index(conn)["lists"] == 60
        (definition,) = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'kb' AND tablename = 'sample_vectors' "
            "AND indexdef LIKE '%ivfflat%'"
        ).fetchall()
        assert "lists='60'" in definition["indexdef"] and "sample_vectors_embedding_idx" in definition["indexdef"]
        assert repo.ensure_sample_index(conn) is None  # current: kept
        conn.commit()
        conn.execute("SET enable_seqscan = off")  # 3,000 rows would be scanned and sorted otherwise: the index is
        conn.execute("SET enable_sort = off")  # what is tested (the bench prints the plan at 100,000)
        assert "Index Scan using sample_vectors_embedding_idx" in "\n".join(_generic_plan(conn))
        probes = vectors[rng.choice(3000, 40, replace=False)] + rng.normal(0, 0.02, (40, DIM)).astype(np.float32)
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        for probe in probes:
            rows = repo.nearest_samples(conn, "hashing", probe, 1)
            assert rows[0]["score"] == pytest.approx(float((vectors @ probe).max()), abs=1e-5)
        conn.rollback()


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


@pytest.mark.integration
def test_cli_import_rebuilds_the_index_and_reindex_reports_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cli.kb import kb_app
    from core.settings import get_settings

    monkeypatch.setenv("PATCHPILOT_DB__URL", db_url)
    monkeypatch.setenv("PATCHPILOT_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(kb_app, ["import"])
        assert r.exit_code == 0, r.output
        with connect(db_url) as conn:
            rows = repo.count_sample_vectors(conn)
            state = repo.sample_index(conn)
        assert rows > 100 and state is not None  # the seed's samples doubled the empty table: rebuilt
        assert (state["lists"], state["rows_at_build"]) == (repo.sample_index_lists(rows), rows)
        assert f"similarity index: {state['lists']} lists for {rows} sample vectors" in r.output
        r = runner.invoke(kb_app, ["reindex", "--only-if-stale"])
        assert r.exit_code == 0 and "is current, kept" in r.output, r.output
        r = runner.invoke(kb_app, ["reindex"])
        assert r.exit_code == 0 and f"{state['lists']} lists for {rows} sample vectors, built" in r.output, r.output
        with connect(db_url) as conn:
            again = repo.sample_index(conn)
        assert again is not None and again["built_at"] >= state["built_at"]
    finally:
        get_settings.cache_clear()


@pytest.mark.integration
def test_the_periodic_task_rebuilds_only_a_stale_index(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings
    from kb.tasks import sample_index

    with connect(db_url) as conn:
        _one_entry_per_vector(conn, _unit(np.random.default_rng(2), 200))
        conn.commit()
    monkeypatch.setenv("PATCHPILOT_DB__URL", db_url)
    get_settings.cache_clear()
    try:
        assert sample_index() == 4  # 200 vectors since a build for none: 4 lists
        assert sample_index() is None  # current
    finally:
        get_settings.cache_clear()
