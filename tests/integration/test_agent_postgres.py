"""Real PostgreSQL: conversations survive an agent restart; a confirmed proposal becomes a job in ops.jobs."""

from __future__ import annotations

import pytest

from agent.checkpoint import postgres_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.db import connect
from core.errors import Conflict
from tests.unit.agent_support import NOW, inventory

pytestmark = pytest.mark.integration


def test_chat_survives_restart_and_confirm_submits_a_job(db_url: str, settings) -> None:
    inv = inventory()
    saver = postgres_checkpointer(db_url)
    with connect(db_url) as conn:
        ctx = build_context(settings, inv, user="alice", conn=conn, now=NOW)
        first = ChatSession(build_agent(OfflineRuleModel(), saver))
        pending = first.send(ctx, "s1", "Patch the staging web servers tonight.").pending
        assert conn.execute("SELECT count(*) AS n FROM ops.jobs").fetchone()["n"] == 0
        # a new agent on a new saver (an API restart) sees the same conversation and proposal
        second = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url)))
        amended = second.send(ctx, "s1", "And don't reboot them.").pending
        assert amended["intent"]["reboot"] == "never" and amended["intent"]["hosts"] == ["web-stg-01", "web-stg-02"]
        with pytest.raises(Conflict):
            second.confirm(ctx, "s1", pending["token"])
        done = second.confirm(ctx, "s1", amended["token"])
        row = conn.execute("SELECT id, hosts, status, intent FROM ops.jobs").fetchone()
        assert done.job_id == row["id"] and row["hosts"] == ["web-stg-01", "web-stg-02"]
        assert row["intent"]["reboot"] == "never" and row["status"] == "scheduled"
        conn.rollback()


def test_refused_confirmation_leaves_no_job_row_audit_or_launch(db_url: str, settings) -> None:
    """A confirmation refused because another job holds the host ("Not queued") writes nothing, even after commit."""
    from core.db import commit
    from core.intent import PatchIntent
    from workers.jobs import service

    inv = inventory()
    with connect(db_url) as conn:
        held = service.submit(
            conn,
            PatchIntent.model_validate({"action": "patch", "hosts": ["web-stg-01"], "not_before": "2099-01-01T00:00Z"}),
            requested_by="bob",
            settings=settings,
            inventory=inv,
            now=NOW,
        )
        commit(conn)
        ctx = build_context(settings, inv, user="alice", conn=conn, now=NOW)
        chat = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url)))
        pending = chat.send(ctx, "s2", "patch web-stg-01 now").pending
        assert pending["intent"]["hosts"] == ["web-stg-01"]
        done = chat.confirm(ctx, "s2", pending["token"])
        commit(conn)  # as the API does after every turn
        assert done.job_id is None and "Not queued" in done.reply
        assert f"job {held.id}" in done.reply
        jobs = conn.execute("SELECT id FROM ops.jobs ORDER BY id").fetchall()
        assert [r["id"] for r in jobs] == [held.id]
        audits = conn.execute("SELECT object_id FROM ops.audit WHERE action = 'job.submit'").fetchall()
        assert [int(r["object_id"]) for r in audits] == [held.id]
        assert conn.execute("SELECT count(*) AS n FROM ops.job_hosts").fetchone()["n"] == 1
