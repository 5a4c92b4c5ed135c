"""The chat state holds one typed PatchIntent: the proposal is a model in the checkpoint, read back as one."""

from __future__ import annotations

import logging

import pytest

from agent.checkpoint import postgres_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.db import connect
from core.enums import Action, RebootPolicy
from core.intent import PatchIntent
from tests.unit.agent_support import NOW, RecordingJobs, inventory, session_and_context
from tools.proposal import Confirmed, Proposal

pytestmark = pytest.mark.integration


def test_the_checkpointed_proposal_is_a_typed_intent_after_a_restart(db_url, settings, caplog) -> None:
    inv = inventory()
    with connect(db_url) as conn, caplog.at_level(logging.WARNING):
        ctx = build_context(settings, inv, user="alice", conn=conn, now=NOW)
        ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url))).send(
            ctx, "t1", "patch the staging web servers tonight, no reboot"
        )
        # a new saver reads the conversation back from PostgreSQL (an API restart)
        again = ChatSession(build_agent(OfflineRuleModel(), postgres_checkpointer(db_url)))
        values = again.graph.get_state(ChatSession.config(ctx, "t1")).values
        pending, intent = values["pending"], values["intent"]
        assert isinstance(pending, Proposal) and isinstance(pending.intent, PatchIntent)
        assert pending.intent.action is Action.patch and pending.intent.reboot is RebootPolicy.never
        assert pending.intent.hosts == ["web-stg-01", "web-stg-02"] and pending.starts_at.hour == 22
        assert intent == pending.intent
        again.confirm(ctx, "t1", pending.token)
        confirmed = again.graph.get_state(ChatSession.config(ctx, "t1")).values["confirmed"]
        assert isinstance(confirmed, Confirmed) and confirmed.token == pending.token
        conn.rollback()
    # no "unregistered type" warning from the serializer: the state's types are allow-listed
    assert not [r for r in caplog.records if "msgpack" in r.getMessage().lower()], caplog.text


def test_a_proposal_checkpointed_as_a_dict_by_an_older_version_still_confirms() -> None:
    jobs = RecordingJobs()
    session, ctx = session_and_context(jobs)
    first = session.send(ctx, "old", "patch web-stg-01")
    assert first.pending is not None
    config = ChatSession.config(ctx, "old")
    values = session.graph.get_state(config).values
    legacy = values["pending"].model_dump(mode="json")  # the shape older versions stored
    session.graph.update_state(config, {"pending": legacy})
    assert isinstance(session.graph.get_state(config).values["pending"], dict)
    assert session.pending(ctx, "old") == values["pending"]
    session.send(ctx, "old", "which hosts are in staging?")  # the gate asks again, from the dict
    done = session.confirm(ctx, "old", first.pending["token"])
    assert done.job_id is not None and [i.hosts for i in jobs.submitted] == [["web-stg-01"]]
