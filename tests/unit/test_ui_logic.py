"""Pure UI decisions: confirmation card, live refresh, results and KB labels, KB drafts and checks."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime
from typing import Any

import pytest

import ui.chat_logic
import ui.client
import ui.job_view
import ui.kb_logic
import ui.kb_reports
import ui.text
from core.enums import JobStatus
from ui.chat_logic import Conversation, EnvGroup, capabilities, confirmation_card, valid_message
from ui.job_view import analysing, decision, job_label, live_view, refresh_interval, result_view, settled
from ui.kb_logic import Draft, draft_from_group, entry_payload, probe_inputs
from ui.kb_reports import SampleVerdict, group_rows, probe_report, sorted_groups, summarise
from ui.models import (
    ChatResponse,
    ConfirmResponse,
    Job,
    JobProgress,
    KbSuggestion,
    PatternTestResult,
    Pending,
    Risk,
    UnmatchedGroup,
)
from ui.text import excerpt, inert_markdown

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NO_SPACE = "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"
UNMATCHED = "rpmdb open failed on host web-stg-02: error 42 at /var/lib/rpm/Packages"


@pytest.mark.parametrize("module", [ui.chat_logic, ui.client, ui.job_view, ui.kb_logic, ui.kb_reports, ui.text])
def test_doctests(module: object) -> None:
    # pytest's --doctest-modules does not cover ui/ (pyproject testpaths); run them here.
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


def _api_job(**fields: Any) -> Job:
    """A job as the API sends it (every required field), with ``fields`` over the defaults."""
    at = NOW.isoformat()
    base = {"id": 1, "status": "queued", "intent": {"action": "patch"}, "requested_by": "bob"}
    return Job.model_validate(base | {"created_at": at, "updated_at": at} | fields)


def _pending(**fields: Any) -> Pending:
    """A proposal as the API sends it, with ``fields`` over the defaults."""
    base = {"intent": {"action": "patch"}, "summary": "", "hosts_by_env": {}, "needs_approval": False}
    return Pending.model_validate(base | {"starts_at": NOW.isoformat(), "token": "t"} | fields)


def _job(status: str, hosts: list[tuple[str, str]], failures: list[dict[str, Any]] | None = None) -> Job:
    return _api_job(
        id=4,
        status=status,
        intent={"action": "patch", "hosts": [h for h, _ in hosts]},
        hosts=[{"host": h, "status": s, "counts": {}} for h, s in hosts],
        failures=failures or [],
    )


def test_card_groups_hosts_and_flags_approval_and_later_start() -> None:
    pending = Pending(
        intent={
            "action": "patch",
            "hosts": ["db-prod-01", "web-stg-02", "web-stg-01"],
            "exclude": ["kernel*"],
            "security_only": True,
            "reboot": "never",
            "packages": [],
        },
        summary="s",
        hosts_by_env={"staging": ["web-stg-02", "web-stg-01"], "prod": ["db-prod-01"]},
        needs_approval=True,
        starts_at="2026-11-27T22:00:00+00:00",
        token="t",
    )
    card = confirmation_card(pending, NOW)
    assert card.groups == [
        EnvGroup("prod", False, ["db-prod-01"], []),
        EnvGroup("staging", False, ["web-stg-01", "web-stg-02"], []),
    ]
    assert card.host_count == 3
    assert card.options == [
        ("Security updates only", "yes"),
        ("Reboot", "never"),
        ("Excluded packages", "kernel*"),
        ("Batch size (serial)", "all hosts at once"),
    ]
    assert card.schedule == "Starts at 2026-11-27 22:00 UTC (in 10 h 0 min)"
    assert card.approval_note and "second person" in card.approval_note
    assert card.risk_line is None and card.may_confirm(None)  # no risk sent: nothing to type
    relaxed = confirmation_card(pending.model_copy(update={"needs_approval": False, "starts_at": None}), NOW)
    assert relaxed.approval_note is None and relaxed.schedule.startswith("Starts now")


def test_times_are_utc_with_the_browsers_clock_beside_them_across_daylight_saving() -> None:
    from zoneinfo import ZoneInfo

    from ui.job_view import when, zone_named

    london, sydney = ZoneInfo("Europe/London"), ZoneInfo("Australia/Sydney")
    winter, summer = datetime(2026, 1, 15, 22, 0, tzinfo=UTC), datetime(2026, 7, 15, 22, 0, tzinfo=UTC)
    assert when(winter, london) == "2026-01-15 22:00 UTC"  # GMT reads as UTC: nothing added
    assert when(summer, london) == "2026-07-15 22:00 UTC (23:00 Europe/London)"
    assert when(winter, sydney) == "2026-01-15 22:00 UTC (2026-01-16 09:00 Australia/Sydney)"  # AEDT, +11
    assert when(summer, sydney) == "2026-07-15 22:00 UTC (2026-07-16 08:00 Australia/Sydney)"  # AEST, +10
    assert when(summer, None) == "2026-07-15 22:00 UTC"
    assert zone_named("") is None and zone_named(42) is None and zone_named("Europe/Nowhere") is None
    pending = Pending(
        intent={"action": "patch", "hosts": ["web-stg-01"]},
        summary="s",
        hosts_by_env={"staging": ["web-stg-01"]},
        needs_approval=False,
        starts_at="2026-11-27T22:00:00+00:00",
        token="t",
    )
    card = confirmation_card(pending, NOW, zone=ZoneInfo("America/Los_Angeles"))
    assert card.schedule == "Starts at 2026-11-27 22:00 UTC (14:00 America/Los_Angeles; in 10 h 0 min)"
    assert (
        confirmation_card(pending, NOW, zone=ZoneInfo("UTC")).schedule
        == "Starts at 2026-11-27 22:00 UTC (in 10 h 0 min)"
    )


def test_a_reboot_card_shows_only_reboot_options_and_its_risk() -> None:
    risk = Risk.model_validate(
        {
            "level": "high",
            "line": "High risk: 2 prod hosts; reboots every host",
            "badges": [
                {"host": "lb-1", "environment": "prod", "production": True, "critical": True},
                {"host": "lb-2", "environment": "prod", "production": True, "critical": False},
            ],
            "confirm_phrase": "2",
        }
    )
    pending = _pending(
        intent={
            "action": "reboot",
            "hosts": ["lb-1", "lb-2"],
            "security_only": False,
            "reboot": "if_needed",
            "exclude": ["kernel*"],
            "serial": 1,
        },
        hosts_by_env={"prod": ["lb-2", "lb-1"]},
        token="t",
        risk=risk,
    )
    card = confirmation_card(pending, NOW)
    assert card.options == [("Batch size (serial)", "1")]  # no package or reboot-policy options on a reboot
    assert card.groups == [EnvGroup("prod", True, ["lb-1", "lb-2"], ["lb-1"])]
    assert card.risk_line == "High risk: 2 prod hosts; reboots every host"
    assert not card.may_confirm("") and not card.may_confirm("3") and card.may_confirm("2")


def test_roles_decide_chat_approve_and_which_jobs_are_listed() -> None:
    viewer, operator, approver = capabilities(["viewer"]), capabilities(["operator"]), capabilities(["approver"])
    assert not viewer.chat and viewer.chat_disabled_reason and viewer.see_all_jobs and not viewer.approve
    assert operator.chat and operator.chat_disabled_reason is None and not operator.see_all_jobs
    assert approver.approve and not approver.chat


def test_refresh_stops_when_terminal() -> None:
    assert refresh_interval(JobStatus.running) == 2.0
    assert refresh_interval(JobStatus.awaiting_approval) == 5.0
    for status in (JobStatus.succeeded, JobStatus.failed, JobStatus.canceled, JobStatus.error):
        assert refresh_interval(status) is None


def test_a_finished_job_whose_failures_are_being_analysed_keeps_refreshing_and_says_so() -> None:
    # collect gives the job its final status; the analysis task stores the failures a moment later.
    base = _job("failed", [("a", "changed"), ("b", "failed")]).model_dump(mode="json")
    job = Job.model_validate(base | {"analysis": "pending"})
    assert analysing(job) and not settled(job)
    assert refresh_interval(JobStatus.failed, analysing=True) == 2.0
    (b,) = result_view(job).failures
    assert b.host == "b" and not b.details and "analysing this host's failure" in b.message
    gave_up = Job.model_validate(base | {"analysis": "failed"})
    assert settled(gave_up) and not analysing(gave_up)
    assert "(POST /api/v1/jobs/4/reanalyse)" in result_view(gave_up).failures[0].message
    done = Job.model_validate(base | {"analysis": "done"})
    assert settled(done) and result_view(done).failures[0].message == "no failure details were recorded for this host"
    assert not analysing(_api_job(status="running", analysis="pending"))  # only a finished job is "analysing"


def test_live_view_uses_awx_events_per_host() -> None:
    job = _job("running", [("b", "pending"), ("a", "pending"), ("c", "pending")])
    progress = JobProgress.model_validate(
        {
            "job_id": 4,
            "status": "running",
            "current_task": "Apply updates",
            "hosts": {"a": {"state": "changed", "task": "Apply updates"}, "c": {"state": "failed"}},
            "tasks": [{"name": "Apply updates", "ok": 1, "changed": 1, "failed": 1}],
            "log_tail": "\x1b[0;32mok: [a]\x1b[0m",
            "elapsed_s": 75,
        }
    )
    view = live_view(job, progress)
    assert [r.host for r in view.rows] == ["a", "b", "c"]
    assert view.rows[0].chip == ":green-badge[changed]" and view.rows[1].chip == ":gray-badge[waiting]"
    assert view.rows[2].chip == ":red-badge[failed]"
    assert (view.done, view.total, view.elapsed) == (1, 3, "1 min 15 s")
    assert view.tasks == [("Apply updates", "1 ok · 1 changed · 1 failed")] and view.log == "ok: [a]"
    nothing = live_view(_api_job(intent={"action": "patch", "hosts": ["x", "y"]}), None)
    assert (nothing.done, nothing.total, nothing.fraction, nothing.elapsed) == (0, 2, 0.0, "—")


def test_result_counts_each_category_and_keeps_failure_text_whole() -> None:
    job = _job(
        "failed",
        [("a", "changed"), ("e", "ok"), ("b", "failed"), ("c", "failed"), ("d", "unreachable"), ("f", "skipped")],
        [
            {
                "host": "b",
                "task": "Apply",
                "message": "Error Summary\n-------------\n" + "x" * 1000,
                "kb": {"slug": "s", "title": "T", "category": "disk", "match": "exact", "solution": "do"},
            },
            {
                "host": "c",
                "task": "Reboot",
                "message": "m",
                "kb": {
                    "slug": "r",
                    "title": "R",
                    "category": "reboot",
                    "match": "similar",
                    "score": 0.9512,
                    "via": "signals",
                    "solution": "maybe",
                },
            },
        ],
    )
    view = result_view(job)
    assert view.headline == "Job 4 finished: 3 of 6 host(s) need attention."
    assert view.counts == [
        ("patched", 1, "green"),
        ("no change", 1, "blue"),
        ("failed", 2, "red"),
        ("unreachable", 1, "orange"),
        ("not run", 1, "gray"),
    ]
    assert dict(view.hosts)["e"] == ":blue-badge[no change]" and dict(view.hosts)["f"] == ":gray-badge[not run]"
    b, c, d = view.failures
    assert b.fix and b.fix.exact and b.fix.heading == "Known fix"
    kb = {"slug": "s", "title": "T", "category": "disk", "match": "exact", "via": "translated (de)", "solution": "do"}
    german = result_view(_job("failed", [("b", "failed")], [{"host": "b", "task": "Apply", "message": "m", "kb": kb}]))
    assert german.failures[0].fix and german.failures[0].fix.heading == (
        "Known fix (read through the tool's own de translation)"
    )
    assert b.message.startswith("Error Summary\n-------------\n") and len(b.message) > 1000  # a code block, whole
    assert c.fix and not c.fix.exact and c.fix.heading.startswith("Similar known issue (score 0.95)")
    assert (d.host, d.fix) == ("d", None)
    assert view.error is None and view.note is None


def test_a_cancel_or_rejection_is_a_note_not_an_error_and_reaches_the_chat() -> None:
    rejected = _api_job(id=5, status="canceled", needs_approval=True, error="rejected by ann: freeze")
    view = result_view(rejected)
    assert view.error is None and view.note == "rejected by ann: freeze"
    assert decision(rejected) == "Job 5 was not approved: rejected by ann: freeze."
    approved = _api_job(id=6, status="queued", needs_approval=True, approved_by="ann")
    assert decision(approved) == "Job 6 was approved by ann; it is queued."
    assert decision(_api_job(id=7, status="awaiting_approval", needs_approval=True)) is None
    assert result_view(_api_job(id=8, status="error", error="AWX down")).error == "AWX down"


def test_conversation_flow() -> None:
    conv = Conversation()
    conv.said("patch a")
    pending = _pending(token="t1")
    conv.answered(ChatResponse(reply="ok?", pending=pending))
    assert conv.pending is pending and [t.role for t in conv.turns] == ["user", "assistant"]
    conv.stale("gone.")
    assert conv.pending is None and conv.notice and "gone." in conv.notice
    conv.answered(ChatResponse(reply="again?", pending=_pending(token="t2")))
    conv.confirmed(ConfirmResponse(reply="Job 9 queued", job_id=9))
    assert conv.pending is None and conv.job_id == 9


def test_input_checks_and_labels() -> None:
    assert valid_message("  hi ") == ("hi", None)
    assert valid_message("") == (None, "Type a request first.")
    assert valid_message("x" * 5000)[1] == "That message is 5000 characters; the limit is 4000."
    job = _api_job(id=3, status="succeeded", intent={"action": "patch", "hosts": ["web-stg-01"]})
    assert job_label(job) == "#3 patch web-stg-01 · succeeded · 11-27 12:00 UTC"
    conv = Conversation()
    conv.told("Job 3 was approved by ann; it is queued.")
    conv.told("Job 3 was approved by ann; it is queued.")
    assert len(conv.turns) == 1  # a decision is said once


def test_inert_markdown_neutralises_html_images_and_script_links() -> None:
    out = inert_markdown('<img src=x onerror="alert(1)"> ![t](http://e/x.png) [c](javascript:alert(1)) \x1b[31mred')
    assert "<" not in out and "![" not in out and "](javascript" not in out and "\x1b" not in out
    assert excerpt("a  b\n c") == "a b c"


def _group(**fields: Any) -> UnmatchedGroup:
    """An unmatched group as the API sends it, with ``fields`` over the defaults."""
    base = {"id": 1, "template": "t", "example": "e", "count": 1, "hosts": ["a"], "tasks": ["Apply updates"]}
    return UnmatchedGroup.model_validate(base | {"first_seen": NOW, "last_seen": NOW} | fields)


def test_draft_from_group_takes_the_apis_suggestion_and_the_example_as_its_sample() -> None:
    group = _group(count=3, example=UNMATCHED)
    suggestion = KbSuggestion.model_validate(
        {
            "pattern": r"rpmdb\s+open\s+failed",
            "title": "Rpmdb open failed",
            "slug": "rpmdb-open-failed",
            "matches_example": True,
            "test": {"text_matches": [], "text_best": None, "pattern_matches_text": True},
        }
    )
    draft = draft_from_group(group, suggestion)
    assert (draft.slug, draft.title, draft.patterns) == ("rpmdb-open-failed", "Rpmdb open failed", suggestion.pattern)
    assert draft.match_samples == UNMATCHED and draft.version is None and draft.modules == ""
    payload, problems = entry_payload(draft)
    assert payload is None and problems == ["Solution: say how to fix it (Markdown)."]
    draft.solution = "Rebuild the rpmdb."
    payload, problems = entry_payload(draft)
    assert problems == [] and payload is not None
    assert payload["samples"] == {"match": [UNMATCHED], "no_match": []}
    assert payload["slug"] == draft.slug and payload["patterns"] == [draft.patterns]


def test_entry_checks_refuse_empty_huge_and_html() -> None:
    _, problems = entry_payload(Draft())
    assert len(problems) >= 4
    big = Draft(
        slug="a",
        title="<script>x</script>",
        category="nope",
        patterns="x" * 2001,
        solution="s" * 20_001,
        match_samples="m",
    )
    _, problems = entry_payload(big)
    assert {p.split(":")[0] for p in problems} >= {"Title", "Category", "Pattern 1", "Solution"}


def test_groups_sort_by_count_then_recency() -> None:
    old = _group(template="a", count=2, last_seen=datetime(2026, 1, 1, tzinfo=UTC), example="old")
    new = _group(template="b", count=2, last_seen=datetime(2026, 2, 1, tzinfo=UTC), example="new")
    top = _group(template="c", count=9, hosts=[f"h{i}" for i in range(7)], example="top")
    ordered = sorted_groups([old, new, top])
    assert [g.example for g in ordered] == ["top", "new", "old"]
    assert group_rows(ordered)[0][2] == "h0, h1, h2, h3, h4 (+2)"


def test_tester_inputs_and_merged_report() -> None:
    assert probe_inputs("", "", "")[2] == "Type a pattern (one per line) to test it."
    pats, samples, why = probe_inputs("a\n\nb\n", "one\n---\ntwo", "three")
    assert (pats, why) == (["a", "b"], None)
    assert samples == [("match", "one"), ("match", "two"), ("no_match", "three")]
    hit = {"failure_id": 1, "job_id": 2, "host": "h", "task": "t", "current_slug": "other"}
    summary = summarise(
        [
            PatternTestResult.model_validate({"past_failures": [hit], "conflicts": [hit]}),
            PatternTestResult.model_validate({"past_failures": [hit], "conflicts": [hit]}),
        ],
        [SampleVerdict("one", "match", True), SampleVerdict("three", "no_match", True)],
    )
    assert len(summary.past) == 1 and len(summary.conflicts) == 1
    report = probe_report(summary)
    assert "- pass: should match, matches: `one`" in report
    assert '- <span class="kb-fail">FAIL: should not match, matches: `three`</span>' in report
    assert '<span class="kb-fail">**1 of 2 samples fail**</span>' in report
    assert "**Conflicts with other entries:** 1" in report
