"""The only place the kb package runs SQL (named blocks in kb/store/queries.sql)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import psycopg
from pgvector import Vector
from psycopg import sql
from psycopg.types.json import Jsonb

from core.sql import Queries

Q = Queries(__file__)
Conn = psycopg.Connection[Any]
Row = dict[str, Any]


def _vec(v: np.ndarray[Any, Any] | None) -> Vector | None:
    return None if v is None else Vector(np.asarray(v, dtype=np.float32))


def kb_version(conn: Conn) -> tuple[str, int]:
    row = conn.execute(Q.kb_version).fetchone()
    assert row is not None, "kb.meta has no row: run the migrations"
    return str(row["instance"]), int(row["version"])


def enabled_patterns(conn: Conn) -> list[Row]:
    return conn.execute(Q.enabled_patterns).fetchall()


def enabled_profiles(conn: Conn) -> list[Row]:
    return conn.execute(Q.enabled_profiles).fetchall()


def entry_by_slug(conn: Conn, slug: str) -> Row | None:
    return conn.execute(Q.entry_by_slug, {"slug": slug}).fetchone()


def entries_by_slugs(conn: Conn, slugs: list[str]) -> dict[str, Row]:
    return {r["slug"]: r for r in conn.execute(Q.entries_by_slugs, {"slugs": slugs}).fetchall()}


def all_entries(conn: Conn) -> list[Row]:
    return conn.execute(Q.all_entries).fetchall()


def search_entries(
    conn: Conn,
    q: str | None,
    category: str | None,
    enabled: bool | None,
    limit: int,
    offset: int,
    wrapper: bool | None = None,
) -> list[Row]:
    params = {"q": q, "category": category, "enabled": enabled, "wrapper": wrapper, "limit": limit, "offset": offset}
    return conn.execute(Q.search_entries, params).fetchall()


def _entry_params(data: Row, embedding: np.ndarray[Any, Any] | None, by: str) -> Row:
    return {
        "slug": data["slug"],
        "title": data["title"],
        "category": data["category"],
        "patterns": data["patterns"],
        "modules": data["modules"],
        "solution": data["solution"],
        "references": data["references"],
        "samples_match": data["samples"]["match"],
        "samples_no_match": data["samples"]["no_match"],
        "embedding": _vec(embedding),
        "enabled": data["enabled"],
        "wrapper": data.get("wrapper", False),
        "updated_by": by,
    }


def insert_entry(conn: Conn, data: Row, embedding: np.ndarray[Any, Any] | None, by: str) -> Row:
    row: Row | None = conn.execute(Q.insert_entry, _entry_params(data, embedding, by)).fetchone()
    assert row is not None
    return row


def update_entry(conn: Conn, entry_id: int, data: Row, embedding: np.ndarray[Any, Any] | None, by: str) -> Row:
    params = _entry_params(data, embedding, by) | {"id": entry_id}
    row: Row | None = conn.execute(Q.update_entry, params).fetchone()
    assert row is not None
    return row


def insert_history(conn: Conn, entry_id: int, slug: str, version: int, data: Row, by: str) -> None:
    conn.execute(
        Q.insert_history,
        {"entry_id": entry_id, "slug": slug, "version": version, "data": Jsonb(data), "changed_by": by},
    )


def entry_history(conn: Conn, slug: str) -> list[Row]:
    return conn.execute(Q.entry_history, {"slug": slug}).fetchall()


def replace_sample_vectors(
    conn: Conn, entry_id: int, embedder: str, samples: list[tuple[str, str]], vectors: np.ndarray[Any, Any]
) -> None:
    """``samples``: ``(kind, text)`` pairs, ``vectors`` one row each."""
    conn.execute(Q.delete_sample_vectors, {"entry_id": entry_id, "embedder": embedder})
    if not samples:
        return
    with conn.cursor() as cur:
        cur.executemany(
            Q.insert_sample_vector,
            [
                {"entry_id": entry_id, "embedder": embedder, "kind": k, "sample": t, "embedding": _vec(v)}
                for (k, t), v in zip(samples, vectors, strict=True)
            ],
        )


def entries_without_vectors(conn: Conn, embedder: str) -> list[Row]:
    return conn.execute(Q.entries_without_vectors, {"embedder": embedder}).fetchall()


def nearest_samples(conn: Conn, embedder: str, vector: np.ndarray[Any, Any], k: int = 10) -> list[Row]:
    """The ``k`` (at most 40) nearest samples by exact cosine, found through the similarity index (IVFFlat, 0014).

    The search settings are ``set_config(..., true)``: a transaction (or a savepoint inside the
    caller's) holds them; they last until the caller's transaction ends and touch only IVFFlat scans.
    The four statements (begin or savepoint, settings, search, commit or release) go in one pipeline:
    one round trip to the server instead of four, each of which waits for a time slice on a busy host.
    """
    params = {"embedder": embedder, "vector": _vec(vector), "k": k}
    with conn.pipeline(), conn.transaction():
        conn.execute(Q.similarity_settings)
        cur = conn.execute(Q.nearest_samples, params)
    return cur.fetchall()


# The similarity index (migration 0014): IVFFlat with one list per 50 sample vectors (kb/THRESHOLD.md, "IVFFlat"),
# rebuilt when the table has doubled or halved since the build (its centroids describe the rows of that time).
ROWS_PER_LIST = 50
# The build's k-means keeps a bound per sample and list (50 samples per list): ~4 bytes x 50 x lists^2, 800 MB at
# 2,000 lists (within the 1 GB the build may use, kb/store/queries.sql). Beyond 100,000 vectors the lists grow
# longer instead: searches slow down in proportion, recall holds; a larger KB needs its own bench and memory.
MAX_LISTS = 2000
DRIFT = 2.0


def sample_index_lists(rows: int) -> int:
    """The number of lists for ``rows`` sample vectors: rows / 50, at least 1, at most MAX_LISTS.

    >>> sample_index_lists(0), sample_index_lists(999), sample_index_lists(100_000), sample_index_lists(10**7)
    (1, 19, 2000, 2000)
    """
    return max(1, min(MAX_LISTS, rows // ROWS_PER_LIST))


def sample_index(conn: Conn) -> Row | None:
    """What the present similarity index was built for (lists, rows_at_build, built_at, build_ms), or None."""
    return conn.execute(Q.sample_index).fetchone()


def count_sample_vectors(conn: Conn) -> int:
    row = conn.execute(Q.count_sample_vectors).fetchone()
    assert row is not None
    return int(row["n"])


def sample_index_stale(state: Row | None, rows: int) -> bool:
    """Whether the index should be rebuilt for ``rows`` vectors: unknown, or built for a table half or twice as
    large, when that changes the number of lists.

    >>> sample_index_stale(None, 10), sample_index_stale({"lists": 1, "rows_at_build": 0}, 40)
    (True, False)
    >>> built = {"lists": 20, "rows_at_build": 1000}
    >>> sample_index_stale(built, 2100), sample_index_stale(built, 1900)
    (True, False)
    """
    if state is None:
        return True
    built = int(state["rows_at_build"])
    drifted = rows > built * DRIFT or rows < built / DRIFT
    return drifted and sample_index_lists(rows) != int(state["lists"])


def rebuild_sample_index(conn: Conn) -> Row:
    """Build the similarity index for the table as it is now and swap it in, in one transaction (a savepoint
    when the caller is in one): the new index is built beside the old one, searches keep using the old one
    until the swap commits, writes to kb.sample_vectors wait for the build. Returns the kb.sample_index row.
    """
    with conn.transaction():
        conn.execute(Q.lock_sample_index)
        rows = count_sample_vectors(conn)
        lists = sample_index_lists(rows)
        started = time.perf_counter()
        conn.execute(Q.drop_next_sample_index)
        conn.execute(sql.SQL(Q.create_next_sample_index).format(lists=sql.Literal(lists)))
        conn.execute(Q.swap_sample_index)
        build_ms = int((time.perf_counter() - started) * 1000)
        out: Row | None = conn.execute(
            Q.record_sample_index, {"lists": lists, "rows": rows, "build_ms": build_ms}
        ).fetchone()
    assert out is not None
    return out


def ensure_sample_index(conn: Conn) -> Row | None:
    """Rebuild the similarity index when it is stale (``sample_index_stale``); the new state, or None (kept)."""
    with conn.transaction():
        conn.execute(Q.lock_sample_index)
        stale = sample_index_stale(sample_index(conn), count_sample_vectors(conn))
        return rebuild_sample_index(conn) if stale else None


def delete_job_failures(conn: Conn, job_id: int) -> None:
    conn.execute(Q.delete_job_failures, {"job_id": job_id})


def set_analysis(conn: Conn, job_id: int, state: str) -> None:
    conn.execute(Q.set_analysis, {"job_id": job_id, "state": state})


def insert_failure(conn: Conn, row: Row) -> int:
    out = conn.execute(Q.insert_failure, row | {"related": Jsonb(row.get("related") or [])}).fetchone()
    assert out is not None
    return int(out["id"])


def job_failures(conn: Conn, job_id: int) -> list[Row]:
    return conn.execute(Q.job_failures, {"job_id": job_id}).fetchall()


def job_stdout(conn: Conn, job_id: int) -> str | None:
    row = conn.execute(Q.job_stdout, {"job_id": job_id}).fetchone()
    return None if row is None else str(row["content"])


def job_exists(conn: Conn, job_id: int) -> bool:
    return conn.execute(Q.job_exists, {"job_id": job_id}).fetchone() is not None


def recent_failures(conn: Conn, limit: int) -> list[Row]:
    return conn.execute(Q.recent_failures, {"limit": limit}).fetchall()


def delete_job_unmatched(conn: Conn, job_id: int) -> None:
    conn.execute(Q.delete_job_unmatched, {"job_id": job_id})


def add_unmatched(
    conn: Conn, template_hash: str, template: str, example: str, job_id: int, host: str, task: str
) -> None:
    row = conn.execute(
        Q.upsert_unmatched_group,
        {"template_hash": template_hash, "template": template, "example": example, "job_id": job_id},
    ).fetchone()
    assert row is not None
    conn.execute(Q.insert_unmatched_member, {"group_id": row["id"], "job_id": job_id, "host": host, "task": task})


def unmatched_groups(conn: Conn, limit: int, offset: int) -> list[Row]:
    return conn.execute(Q.unmatched_groups, {"limit": limit, "offset": offset}).fetchall()


def entry_stats(conn: Conn, slugs: list[str]) -> dict[str, Row]:
    return {r["slug"]: r for r in conn.execute(Q.entry_stats, {"slugs": slugs}).fetchall()}


def top_entry_stats(conn: Conn, limit: int) -> list[Row]:
    return conn.execute(Q.top_entry_stats, {"limit": limit}).fetchall()


def unmatched_over_time(conn: Conn, days: int) -> list[Row]:
    return conn.execute(Q.unmatched_over_time, {"days": days}).fetchall()
