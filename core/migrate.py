"""Forward-only schema migrations: ``core/migrations/NNNN_name.sql`` applied in order, once each.

Each file runs in its own transaction together with its bookkeeping row, so a
failed migration leaves nothing half-applied. An advisory lock serialises
concurrent ``migrate`` runs (several pods starting at once).
"""

from __future__ import annotations

from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x7061_7463  # "patc"


def migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def applied(conn: psycopg.Connection) -> set[str]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS public.patchpilot_migrations "
        "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = conn.execute("SELECT version FROM public.patchpilot_migrations").fetchall()
    return {r["version"] if isinstance(r, dict) else r[0] for r in rows}


def migrate(url: str) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    done: list[str] = []
    with psycopg.connect(url, autocommit=True) as lock_conn:
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            with psycopg.connect(url) as conn:
                have = applied(conn)
                conn.commit()
                for path in migration_files():
                    version = path.stem
                    if version in have:
                        continue
                    with conn.transaction():
                        conn.execute(path.read_text(encoding="utf-8"))
                        conn.execute("INSERT INTO public.patchpilot_migrations (version) VALUES (%s)", (version,))
                    done.append(version)
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return done
