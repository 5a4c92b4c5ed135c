"""Real PostgreSQL: "refresh the inventory" in the chat re-reads a file inventory source and says what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.checkpoint import postgres_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.db import commit, connect
from core.settings import Settings
from tests.unit.agent_support import NOW, inventory
from workers.inventory.models import InventorySource

pytestmark = pytest.mark.integration


def _write(path: Path, hosts: dict[str, dict[str, str]]) -> None:
    path.write_text(yaml.safe_dump({"all": {"children": {"web": {"hosts": hosts}}}}), encoding="utf-8")


def test_chat_refresh_syncs_the_file_source_and_reports_changes(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "fleet.yaml"
    _write(source, {"web-1": {"env": "prod"}, "web-2": {"env": "dev"}})
    file_settings = settings.model_copy(
        update={"inventory": settings.inventory.model_copy(update={"source": InventorySource.file, "path": source})}
    )
    chat = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url)))
    with connect(db_url) as conn:
        ctx = build_context(file_settings, inventory(), user="alice", conn=conn, now=NOW)
        first = chat.send(ctx, "r1", "refresh the inventory")
        commit(conn)  # as the API does after every turn
        assert first.intent == {"action": "status", "job": None} and first.pending is None
        assert f"inventory synced from file {source}: 2 hosts" in first.reply
        assert "hosts added (2): web-1, web-2" in first.reply
        _write(source, {"web-1": {"env": "prod"}, "web-3": {"env": "prod"}})
        second = chat.send(ctx, "r2", "pls resync inventory asap")
        commit(conn)
        assert "hosts added (1): web-3" in second.reply and "hosts removed (1): web-2" in second.reply
        stored = conn.execute("SELECT name FROM ops.inventory_hosts ORDER BY name").fetchall()
        assert [r["name"] for r in stored] == ["web-1", "web-3"]
        assert conn.execute("SELECT count(*) AS n FROM ops.jobs").fetchone()["n"] == 0


def test_chat_refresh_of_an_unreadable_source_keeps_the_inventory_and_says_why(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.yaml"
    file_settings = settings.model_copy(
        update={"inventory": settings.inventory.model_copy(update={"source": InventorySource.file, "path": missing})}
    )
    chat = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url)))
    with connect(db_url) as conn:
        ctx = build_context(file_settings, inventory(), user="alice", conn=conn, now=NOW)
        reply = chat.send(ctx, "r3", "reload hosts from AWX").reply
        commit(conn)
        assert "inventory sync failed" in reply and "the previous inventory is kept" in reply
        assert conn.execute("SELECT count(*) AS n FROM ops.inventory_hosts").fetchone()["n"] == 0


def test_chat_refresh_without_a_database_says_it_cannot(settings: Settings) -> None:
    chat = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(settings.db.url or "")))
    ctx = build_context(settings, inventory(), user="alice", conn=None, now=NOW)
    result = chat.send(ctx, "r4", "refresh the inventory")
    assert result.intent == {"action": "status", "job": None}
    assert result.reply.startswith("I cannot refresh the inventory: no database is attached")
