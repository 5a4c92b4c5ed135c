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
