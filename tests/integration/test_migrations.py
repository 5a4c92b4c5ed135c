"""Migrations applied to an empty database produce exactly the declared schema (core/schema.sql)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.migrate import migrate
from tests import services

pytestmark = pytest.mark.integration

_CATALOG = {
    "columns": """
        SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema IN ('ops', 'kb') ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname IN ('ops', 'kb') ORDER BY 1, 2, 3""",
    "indexes": "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname IN ('ops', 'kb') ORDER BY 1, 2, 3",
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname IN ('ops', 'kb') ORDER BY 1, 2, 3""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('ops', 'kb') ORDER BY 1, 2, 3""",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
}


def _snapshot(url: str) -> dict[str, list[Any]]:
    with psycopg.connect(url) as conn:
        return {k: conn.execute(q).fetchall() for k, q in _CATALOG.items()}  # type: ignore[arg-type]


def test_migrations_match_declared_schema(pg_server_url: str) -> None:
    migrated = services.create_test_db(pg_server_url, "template0")
    declared = services.create_test_db(pg_server_url, "template0")
    try:
        applied = migrate(migrated)
        assert applied, "no migration was applied to an empty database"
        assert migrate(migrated) == [], "a second migrate must apply nothing"
        schema = (Path(__file__).resolve().parents[2] / "core" / "schema.sql").read_text()
        with psycopg.connect(declared, autocommit=True) as conn:
            conn.execute(schema)  # type: ignore[arg-type]
        a, b = _snapshot(migrated), _snapshot(declared)
        for key in _CATALOG:
            assert a[key] == b[key], f"{key} differ between migrations and core/schema.sql"
        assert any(row[1] == "jobs" for row in a["columns"])
    finally:
        services.drop_test_db(pg_server_url, migrated)
        services.drop_test_db(pg_server_url, declared)


def test_audit_is_append_only(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO ops.audit (actor, action, object_type) VALUES ('alice', 'test', 'job')")
        for stmt in ("UPDATE ops.audit SET actor = 'mallory'", "DELETE FROM ops.audit", "TRUNCATE ops.audit"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(stmt)  # type: ignore[arg-type]
        assert conn.execute("SELECT actor FROM ops.audit").fetchall() == [("alice",)]
