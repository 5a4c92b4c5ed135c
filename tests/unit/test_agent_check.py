"""The deterministic check on every proposal: the user's words must support it, whichever model proposed it."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agent.check import check_proposal
from core.intent import PatchIntent
from tests.unit.agent_support import inventory

WEB_STG = ["web-stg-01", "web-stg-02"]


def _patch(hosts: list[str], **options: object) -> PatchIntent:
    return PatchIntent.model_validate({"action": "patch", "hosts": hosts, **options})


def _other(action: str, hosts: list[str]) -> PatchIntent:
    return PatchIntent.model_validate({"action": action, "hosts": hosts})


@pytest.mark.parametrize(
    ("words", "proposal", "why"),
    [
        (["patch everything but the cache boxes"], _patch(["cache-prod-01"]), "excluded"),
        (["patch web-stg-02 only, reboot never"], _patch(["web-stg-02"], reboot="always"), "not to reboot"),
        (["patch web-stg-02, no reboot"], _other("reboot", ["web-stg-02"]), "not to reboot"),
        (["verify only, change nothing, on web-prod-01"], _patch(["web-prod-01"]), "checks only"),
        (["patch web-prod-01"], _patch(["web-prod-01", "db-prod-01"]), "do not name db-prod-01"),
        (["patch the staging web servers, security only"], _patch(WEB_STG), "security updates only"),
        (["patch db-stg-01 but skip the kernel"], _patch(["db-stg-01"]), "leave out kernel*"),
        (["only update openssl on web-stg-01"], _patch(["web-stg-01"]), "only openssl"),
        (["what's the status of job 4?"], _patch(["web-stg-01"]), "about a job"),
        (["patch web-prod-01 and web-prod-09"], _patch(["web-prod-01"]), "web-prod-09"),
        (["patch the staging web servers", "and don't reboot them"], _patch(WEB_STG), "not to reboot"),
        (["reboot lb-prod-01 but don't patch it"], _patch(["lb-prod-01"]), "not for updates"),
    ],
)
def test_unsupported_proposals_are_questions(words: list[str], proposal: PatchIntent, why: str) -> None:
    verdict = check_proposal([HumanMessage(w) for w in words], proposal, inventory())
    assert not verdict.ok and not verdict.refuse
    assert why in verdict.reason


def test_a_refused_request_never_becomes_a_job_even_in_an_earlier_message() -> None:
    words = [HumanMessage("patch web-stg-01 and disable selinux"), AIMessage("?"), HumanMessage("go on then")]
    verdict = check_proposal(words, _patch(["web-stg-01"]), inventory())
    assert not verdict.ok and verdict.refuse


@pytest.mark.parametrize(
    ("words", "proposal"),
    [
        (["patch the staging web servers, security only"], _patch(WEB_STG, security_only=True)),
        (["patch db-stg-01 but skip the kernel"], _patch(["db-stg-01"], exclude=["kernel*"])),
        (["patch the prod web servers", "actually skip web-prod-04"], _patch(["web-prod-01", "web-prod-02"])),
        (["patch the qa servers", "sorry, I meant staging web"], _patch(WEB_STG)),
        (["reboot web-stg-01"], _other("reboot", ["web-stg-01"])),
        (["dry run on web-stg-01, no reboot"], _other("precheck", ["web-stg-01"])),
    ],
)
def test_supported_proposals_pass(words: list[str], proposal: PatchIntent) -> None:
    verdict = check_proposal([HumanMessage(w) for w in words], proposal, inventory())
    assert verdict.ok, verdict.reason


def test_a_proposal_spanning_environments_nobody_named_asks_which() -> None:
    from tests.unit.agent_support import RecordingJobs, session_and_context

    session, ctx = session_and_context(RecordingJobs())
    spans = session.send(ctx, "a", "patch the db servers")
    assert spans.pending is not None and "span prod and staging" in spans.reply and "say which" in spans.reply
    named = session.send(ctx, "b", "patch the db servers in prod and staging")
    assert named.pending is not None and "span" not in named.reply
    hosts = session.send(ctx, "c", "patch db-prod-01 and db-stg-01")
    assert hosts.pending is not None and "span" not in hosts.reply
