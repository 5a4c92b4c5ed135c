"""The only place the kb package runs SQL (named blocks in kb/store/queries.sql)."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
from pgvector import Vector
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
    """The ``k`` (at most 40) nearest samples by exact cosine, found through the HNSW index.

    The search settings are ``set_config(..., true)``: a transaction (or a savepoint inside the
    caller's) holds them; they last until the caller's transaction ends and touch only HNSW scans.
    The four statements (begin or savepoint, settings, search, commit or release) go in one pipeline:
    one round trip to the server instead of four, each of which waits for a time slice on a busy host.
    """
    params = {"embedder": embedder, "vector": _vec(vector), "k": k}
    with conn.pipeline(), conn.transaction():
        conn.execute(Q.similarity_settings)
        cur = conn.execute(Q.nearest_samples, params)
    return cur.fetchall()


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
