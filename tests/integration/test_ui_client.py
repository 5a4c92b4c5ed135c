"""The UIs' typed client and the KB editor's handlers against the real API (``create_app``, in-process ASGI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from core.db import connect
from core.settings import Settings
from ui.client import ApiClient, ApiError, ApiUnavailable, Credentials, api_url, client_for
from ui.kb_handlers import KbHandlers

pytestmark = [pytest.mark.integration]
LOGS = Path(__file__).resolve().parents[2] / "evals" / "logs"
NO_SPACE = "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"
Make = Callable[[str], ApiClient]


@pytest.fixture
def api(pipeline_settings: Settings, demo_tokens: dict[str, str]) -> Iterator[Make]:
    """``make(user)``: the UI client as that demo user, over the real app (seed KB loaded)."""
    from api.app import create_app
    from kb.entries import SEED_PATH, import_file

    with connect(pipeline_settings.db.url or "") as conn:
        import_file(conn, SEED_PATH, "test")
        conn.commit()
    app = create_app(pipeline_settings, awx_ping=lambda: {"version": "test"})
    with TestClient(app, base_url="http://testserver/api/v1", raise_server_exceptions=False) as http:

        def make(user: str) -> ApiClient:
            token = demo_tokens.get(user, user)
            return ApiClient("http://testserver", Credentials(token=token), http=http)

        yield make


def test_chat_confirm_and_a_stale_token(api: Make) -> None:
    with api("operator") as client:
        reply = client.chat("s1", "patch web-stg-01 and db-prod-01")
        assert reply.pending is not None and reply.pending.risk is not None
        assert reply.pending.hosts_by_env == {"prod": ["db-prod-01"], "staging": ["web-stg-01"]}
        assert reply.pending.needs_approval and reply.pending.token not in reply.reply
        with pytest.raises(ApiError) as stale:
            client.confirm("s1", "not-the-token")
        assert stale.value.status_code == 409 and "does not match" in stale.value.detail
        history = client.history("s1")
        assert [m.role for m in history.messages] == ["user", "assistant"]
        assert history.pending is not None and history.pending.token == reply.pending.token
        with pytest.raises(ApiError) as untyped:  # high risk (prod, critical): the host count must be typed
            client.confirm("s1", reply.pending.token)
        assert untyped.value.status_code == 422
        done = client.confirm("s1", reply.pending.token, typed="2")
        assert done.job_id is not None
        job = client.get_job(done.job_id)
        assert job.status == "awaiting_approval" and [h.host for h in job.hosts] == ["db-prod-01", "web-stg-01"]
        assert client.cancel_pending("s1") is None  # nothing pending any more: 409 -> None
        with pytest.raises(ApiError) as own:
            client.approve_job(done.job_id)
        assert own.value.status_code == 403
        assert client.job_progress(done.job_id).hosts == {}
    with api("approver") as approver:
        queue = approver.approvals()
        assert [i.job.id for i in queue.items] == [done.job_id] and not queue.items[0].yours
        rejected = approver.reject_job(done.job_id, "not today")
        assert rejected.status == "canceled" and rejected.error == "rejected by approver: not today"
    with api("viewer") as viewer, pytest.raises(ApiError) as refused:
        viewer.approvals()
    assert refused.value.status_code == 403


def test_errors_carry_the_api_detail_and_a_slug_stays_one_segment(api: Make) -> None:
    with api("viewer") as client:
        with pytest.raises(ApiError) as missing:
            client.kb_entry("no-such-slug")
        assert missing.value.status_code == 404 and "no-such-slug" in missing.value.detail
        with pytest.raises(ApiError) as climbing:
            client.kb_entry("../../jobs")  # one path segment: never another route
        assert climbing.value.status_code == 404
        with pytest.raises(ApiError) as unknown:
            client.get_job(424242)
        assert unknown.value.status_code == 404 and unknown.value.detail == "job 424242 does not exist"
    with api("not-a-token") as stranger, pytest.raises(ApiError) as who:
        stranger.me()
    assert who.value.status_code == 401


def test_non_json_error_and_unreachable_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    with ApiClient("http://api.invalid", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ApiError) as err:
            client.get_job(1)
        assert err.value.detail == "the API answered 502 Bad Gateway"
    with ApiClient("http://127.0.0.1:9", timeout=2) as client, pytest.raises(ApiUnavailable) as down:
        client.get_job(1)
    assert down.value.detail == "the patchpilot API at http://127.0.0.1:9 is not answering"


def test_url_from_settings() -> None:
    assert api_url(Settings(api={"host": "::", "port": 9})) == "http://127.0.0.1:9"
    assert api_url(Settings(api={"host": "::1", "port": 9})) == "http://[::1]:9"
    assert api_url(Settings(ui={"api_url": "https://api.example.org/"})) == "https://api.example.org"
    with client_for(Settings(api={"port": 8123}), token="t") as client:
        assert client.base_url == "http://127.0.0.1:8123"


# --- the KB editor's handlers -------------------------------------------------------------------


def test_sign_in_loads_the_list_and_shows_edit_controls_only_to_editors(api: Make) -> None:
    h = KbHandlers(api)
    rows, found, who, can_edit = h.sign_in("kb-editor")
    assert rows and found == f"{len(rows)} entries" and "Signed in as **kb\\-editor**" in who and can_edit
    rows, _, who, can_edit = h.sign_in("viewer")
    assert rows and not can_edit and "Read-only" in who
    assert h.sign_in("") == ([], "", "Sign in with your API token to load the knowledge base.", False)


def test_search_covers_patterns_and_samples(api: Make) -> None:
    h = KbHandlers(api)
    with api("viewer") as client:
        entries = client.kb_entries(limit=500)
    target = next(e for e in entries if e.samples.match and e.patterns)
    # A word from a sample that is not in the slug, title or solution.
    words = set(target.samples.match[0].lower().split()) - set(
        f"{target.slug} {target.title} {target.solution}".lower().split()
    )
    word = sorted((w for w in words if w.isalpha() and len(w) > 4), key=len)[-1]
    rows, found = h.search("viewer", word, "any", "any")
    assert target.slug in [r[0] for r in rows] and f"matching '{word}'" in found
    rows, _ = h.search("viewer", "zzqx-nothing-has-this", "any", "any")
    assert rows == []


def test_paste_an_error_says_which_entry_matches_and_why(api: Make) -> None:
    h = KbHandlers(api)
    report = h.match_error("kb-editor", NO_SPACE)
    assert report.startswith("**Matches ") and "**Why:**" in report
    assert "matches `" in report and "No space left on device" in report
    assert h.match_error("kb-editor", "a line no entry could ever match 1234").startswith("**No entry matches")
    assert h.match_error("kb-editor", "  ") == "Paste an error message or a few log lines first."


def test_disable_asks_first_and_promote_needs_a_group(api: Make) -> None:
    h = KbHandlers(api)
    with api("viewer") as client:
        slug = client.kb_entries(limit=1)[0].slug
    enabled, version, message, armed = h.set_enabled("kb-editor", slug, False)
    assert (enabled, version, armed) == (None, None, slug) and "Press *Disable* again" in message
    with api("viewer") as client:
        assert client.kb_entry(slug).enabled  # nothing changed on the first press
    enabled, _, message, armed = h.set_enabled("kb-editor", slug, False, armed)
    assert enabled is False and armed == "" and "is disabled" in message
    rows, message, any_group = h.unmatched("kb-editor")
    assert (rows, any_group) == ([], False) and message.startswith("No unmatched failures")


def test_failing_samples_are_counted_in_red(api: Make) -> None:
    h = KbHandlers(api)
    report = h.test("kb-editor", "x-new", "No space left on device", NO_SPACE + "\n---\nsomething else", "")
    assert '<span class="kb-fail">**1 of 2 samples fail**</span>' in report
    assert '<span class="kb-fail">FAIL: should match, does not match' in report
    assert "- pass: should match, matches" in report


def test_switching_entries_with_unsaved_edits_is_refused_unless_discarded() -> None:
    loaded = ("a", "Title", "disk", "p", "", "fix", "", "s", "", False, True, 3)
    edited = ("a", "Title changed", "disk", "p", "", "fix", "", "s", "", False, True, 3)
    assert KbHandlers.unsaved(loaded, loaded, False) is None
    assert "Unsaved edits to a" in (KbHandlers.unsaved(edited, loaded, False) or "")
    assert KbHandlers.unsaved(edited, loaded, True) is None
    empty = ("", "", "other", "", "", "", "", "", "", False, True, None)
    assert KbHandlers.unsaved(empty, None, False) is None


def _job_with_an_unmatched_failure(settings: Settings) -> int:
    """A finished job whose stored output has one failure no seed entry matches (evals/logs/unmatched-failure.log)."""
    log = (LOGS / "unmatched-failure.log").read_text()
    with connect(settings.db.url or "") as conn:
        row = conn.execute(
            "INSERT INTO ops.jobs (action, intent, hosts, requested_by, status) "
            "VALUES ('patch', '{}', ARRAY['web-prod-02'], 'test', 'failed') RETURNING id"
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO ops.job_stdout (job_id, content, size_bytes) VALUES (%s, %s, %s)",
            (row["id"], log, len(log)),
        )
        conn.commit()
    return int(row["id"])


def test_promote_fills_the_editor_from_the_apis_suggestion(api: Make, pipeline_settings: Settings) -> None:
    h = KbHandlers(api)
    job_id = _job_with_an_unmatched_failure(pipeline_settings)
    with api("kb-editor") as client:
        failures = client.reanalyse(job_id)  # typed: the API's JobFailure (kb null when nothing matched)
    assert [f.host for f in failures if f.kb is None] == ["web-prod-02"]
    assert h.reanalyse("kb-editor", job_id).startswith(f"Job {job_id} re-analysed: ")
    rows, message, any_group = h.unmatched("kb-editor")
    assert any_group and len(rows) == 1 and message.startswith("1 groups")
    assert "Last 14 days (UTC): " in message and ": 1 failure in 1 group" in message  # the per-day trend
    with api("kb-editor") as client:
        [group] = client.kb_unmatched()
        suggestion = client.kb_suggest(group.example)
    assert group.hosts == ["web-prod-02"] and group.count == 1 and group.first_seen <= group.last_seen
    assert suggestion.matches_example and suggestion.test.pattern_matches_text is True
    *head, match_samples, _no_match, wrapper, enabled, version, message = h.promote("kb-editor", 1)
    slug, title, category, patterns = head[:4]
    assert message.startswith("New entry from group 1 (1 failures on 1 hosts).")
    assert (slug, title, patterns) == (suggestion.slug, suggestion.title, suggestion.pattern)
    assert (category, match_samples, wrapper, enabled, version) == ("other", group.example, False, True, None)
    with api("kb-editor") as client:  # the API, not the UI, says the pattern matches its sample
        assert client.kb_test(patterns, text=match_samples, limit=1).pattern_matches_text is True


def test_promote_says_why_when_the_api_refuses_or_is_unreachable(api: Make, pipeline_settings: Settings) -> None:
    job_id = _job_with_an_unmatched_failure(pipeline_settings)
    with api("kb-editor") as client:
        client.reanalyse(job_id)
    empty = ("", "", "other", "", "", "", "", "", "", False, True, None)
    # A viewer may list the groups but not ask for a suggestion (kb-editor only): 403, nothing filled in.
    *values, message = KbHandlers(api).promote("viewer", 1)
    assert tuple(values) == empty
    assert message.startswith("**No pattern suggestion for group 1:** the API refused (")
    assert "Nothing was filled in" in message
    with api("viewer") as client, pytest.raises(ApiError) as refused:
        client.kb_suggest("rpmdb open failed")
    assert refused.value.status_code == 403
    # No API at all: a clear message, never an exception or a suggestion made up in the UI.
    down = KbHandlers(lambda user: ApiClient("http://127.0.0.1:9", Credentials(token="t"), timeout=2))
    *values, message = down.promote("kb-editor", 1)
    assert tuple(values) == empty
    assert message == (
        "**The API is not reachable:** the patchpilot API at http://127\\.0\\.0\\.1:9 is not answering. "
        "Try again once it answers."
    )
    with ApiClient("http://127.0.0.1:9", timeout=2) as client, pytest.raises(ApiUnavailable):
        client.kb_suggest("rpmdb open failed")
