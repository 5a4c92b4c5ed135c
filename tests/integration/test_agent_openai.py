"""The OpenAI path: the real langchain-openai client against a local OpenAI-compatible HTTP server.

Same validation, confirmation and refusal as the offline model.
"""

from __future__ import annotations

import pytest

from agent.checkpoint import memory_checkpointer
from agent.context import build_context
from agent.graph import build_agent, make_model
from agent.session import ChatSession
from bench.fake_openai import FakeOpenAI
from core.settings import Settings
from tests.unit.agent_support import NOW, RecordingJobs, inventory

pytestmark = pytest.mark.integration


@pytest.fixture
def fake():
    server = FakeOpenAI(inventory())
    with server.running():
        yield server


def _session(fake: FakeOpenAI, jobs: RecordingJobs, max_hosts: int = 200):
    settings = Settings.model_validate(
        {"llm": {"base_url": fake.base_url, "api_key": "test-key", "model": "fake"}, "jobs": {"max_hosts": max_hosts}}
    )
    assert settings.llm_enabled
    graph = build_agent(make_model(settings), memory_checkpointer())
    return ChatSession(graph), build_context(settings, inventory(), user="alice", conn=object(), now=NOW, jobs=jobs)


def test_good_tool_call_is_validated_and_needs_confirmation(fake: FakeOpenAI) -> None:
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs)
    fake.script = [
        {
            "tool": "propose_intent",
            "arguments": {
                "action": "patch",
                "targets": ["the staging web servers"],
                "security_only": True,
                "when": "tonight",
            },
        }
    ]
    r = session.send(ctx, "s", "patch staging web tonight, security only")
    assert len(fake.requests) == 1  # one model call for a simple request
    assert fake.requests[0]["tools"] and "alice" not in str(fake.requests[0])  # identity never reaches the model
    assert r.pending["intent"]["hosts"] == ["web-stg-01", "web-stg-02"]
    assert r.pending["intent"]["not_before"] == "2026-11-27T22:00:00Z"
    assert jobs.submitted == []
    session.confirm(ctx, "s", r.pending["token"])
    assert [i.hosts for i in jobs.submitted] == [["web-stg-01", "web-stg-02"]]


def test_malformed_tool_call_queues_nothing(fake: FakeOpenAI) -> None:
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs)
    fake.script = [
        {"tool": "propose_intent", "arguments": '{"action": "patch", "targets": ['},
        {"text": "Which hosts?"},
    ]
    r = session.send(ctx, "s", "patch web-prod-01")
    assert r.pending is None and r.intent["action"] in ("clarify",)
    fake.script = [
        {
            "tool": "propose_intent",
            "arguments": {"action": "patch", "targets": ["web-prod-01"], "serial": 0, "exclude": ["; rm -rf /"]},
        }
    ]
    r = session.send(ctx, "s2", "patch web-prod-01")
    assert r.pending is None and r.intent == {"action": "clarify"} and "can't build" in r.reply
    assert jobs.submitted == []


def test_host_outside_the_inventory_is_a_question(fake: FakeOpenAI) -> None:
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs)
    fake.script = [{"tool": "propose_intent", "arguments": {"action": "reboot", "targets": ["db-prod-03"]}}]
    r = session.send(ctx, "s", "reboot db-prod-03")
    assert r.intent == {"action": "clarify"} and r.pending is None and "db-prod-03" in r.reply


def test_out_of_policy_is_refused_before_and_after_the_model(fake: FakeOpenAI) -> None:
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs, max_hosts=3)
    r = session.send(ctx, "s", "Disable SELinux on all the app servers.")
    assert r.intent == {"action": "reject"} and fake.requests == []  # code refused; the model never saw it
    fake.script = [{"tool": "propose_intent", "arguments": {"action": "patch", "targets": ["all staging hosts"]}}]
    r = session.send(ctx, "s2", "patch all staging hosts")
    assert r.intent == {"action": "reject"} and r.pending is None and "3 allowed" in r.reply
    assert jobs.submitted == []


def test_unscripted_fake_matches_the_offline_model(fake: FakeOpenAI) -> None:
    from evals.intents import load_cases, normalise, run_case
    from tests.unit.agent_support import INTENTS

    settings = Settings.model_validate({"llm": {"base_url": fake.base_url, "api_key": "k", "model": "fake"}})
    session = ChatSession(build_agent(make_model(settings), memory_checkpointer()))
    cases = load_cases(INTENTS)
    ok = sum(normalise(run_case(session, settings, inventory(), c)) == normalise(c["expected"]) for c in cases)
    assert ok / len(cases) >= 0.95


@pytest.mark.parametrize(
    ("words", "proposal", "why"),
    [
        ("patch everything but the cache boxes", {"targets": ["the cache boxes"]}, "excluded"),
        ("patch web-stg-02 only, reboot never", {"targets": ["web-stg-02"], "reboot": "always"}, "not to reboot"),
        ("verify only, change nothing, on web-prod-01", {"targets": ["web-prod-01"]}, "checks only"),
        ("patch web-stg-01, security only", {"targets": ["web-stg-01"]}, "security updates only"),
        ("patch web-stg-01 but leave openssl alone", {"targets": ["web-stg-01"]}, "leave out openssl"),
        ("patch web-stg-01", {"targets": ["web-stg-01", "db-prod-01"]}, "do not name db-prod-01"),
    ],
)
def test_a_model_proposal_the_words_do_not_support_is_a_question(
    fake: FakeOpenAI, words: str, proposal: dict[str, object], why: str
) -> None:
    """Whatever the model proposes, code checks it against the user's words before anything can be confirmed."""
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs)
    fake.script = [{"tool": "propose_intent", "arguments": {"action": "patch", **proposal}}]
    r = session.send(ctx, "s", words)
    assert r.pending is None and r.intent == {"action": "clarify"} and why in r.reply
    assert jobs.submitted == []


def test_a_model_that_keeps_the_restrictions_gets_its_proposal(fake: FakeOpenAI) -> None:
    jobs = RecordingJobs()
    session, ctx = _session(fake, jobs)
    fake.script = [
        {
            "tool": "propose_intent",
            "arguments": {"action": "patch", "targets": ["web-stg-02"], "reboot": "never", "security_only": True},
        }
    ]
    r = session.send(ctx, "s", "patch web-stg-02 only, security only, reboot never")
    assert r.pending is not None and r.pending["intent"]["reboot"] == "never"
