"""The operator's console in headless Chromium against the whole stack (``patchpilot up``), one journey each.

Each journey leaves screenshots under ``test-artifacts/``. The stack runs the AWX emulator
with 40-s jobs so live progress has time to move. Journeys use distinct hosts and free what
they hold, so they do not depend on each other's order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.journeys_support import Stack, api, awx_launches, chat, sign_in, stack_fixture  # noqa: F401 - the fixture
from tests.e2e.ui_browser import browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
WIDE = {"width": 1400, "height": 1600}


def _jobs(stack: Stack) -> list[dict[str, Any]]:
    return list(api(stack, "admin").get("/jobs", params={"limit": 200}).json()["items"])


def test_a_refused_confirmation_leaves_no_job(stack: Stack, artifacts_dir: Path) -> None:
    operator = api(stack, "operator")
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    held = operator.post("/jobs", json={"action": "patch", "hosts": ["web-stg-01"], "not_before": later}).json()
    assert held["status"] == "scheduled", held
    before = {j["id"] for j in _jobs(stack)}
    launched = awx_launches(stack)
    try:
        with browser_page(**WIDE) as page_:
            page: Any = page_
            sign_in(page, stack.chat, stack.tokens["operator"], "operator")
            chat(page, "patch web-stg-01 now")
            page.get_by_role("button", name="Confirm").click()
            page.get_by_text(re.compile(r"Not queued: hosts are held by another active job: job \d+")).wait_for()
            page.screenshot(path=str(artifacts_dir / "refused.png"), full_page=True)
            assert page.get_by_text(re.compile(r"^Job \d+: ")).count() == 0  # no job panel for a phantom job
        after = {j["id"] for j in _jobs(stack)}
        assert after == before, f"a refused confirmation created jobs {sorted(after - before)}"
        trail = api(stack, "admin").get("/audit", params={"action": "job.submit", "limit": 1000}).json()["items"]
        assert {int(a["object_id"]) for a in trail} >= after  # every job has its submit record
        assert awx_launches(stack) == launched  # and nothing reached AWX
    finally:
        operator.post(f"/jobs/{held['id']}/cancel")


def test_an_approver_approves_from_the_queue_and_the_requester_sees_it(stack: Stack, artifacts_dir: Path) -> None:
    with browser_page(**WIDE) as page_:
        asker: Any = page_
        sign_in(asker, stack.chat, stack.tokens["operator"], "operator")
        chat(asker, "patch db-prod-01, security only")
        asker.get_by_text("a second person (an approver) must approve", exact=False).wait_for()
        typed = asker.get_by_label("High risk: type 1 (the number of hosts) to confirm")  # prod and critical
        typed.fill("1")
        typed.press("Enter")
        asker.get_by_role("button", name="Confirm").click()
        heading = asker.get_by_text(re.compile(r"^Job \d+: waiting for a second person")).first
        heading.wait_for()
        job_id = int(re.search(r"Job (\d+):", heading.inner_text()).group(1))  # type: ignore[union-attr]
        assert asker.get_by_role("button", name="Approve").count() == 0  # the requester never sees Approve
        assert asker.get_by_role("button", name=re.compile("^Approval queue")).count() == 0
        try:
            approver: Any = asker.context.browser.new_page(viewport=WIDE)  # another window: its own sign-in
            sign_in(approver, stack.chat, stack.tokens["approver"], "approver")
            approver.get_by_role("button", name=re.compile(r"^Approval queue \(\d+ waiting\)")).click()
            card = approver.locator(f".st-key-approval-{job_id}")
            card.get_by_text("asked by operator", exact=False).wait_for()
            card.get_by_text("critical", exact=True).first.wait_for()
            card.get_by_text("security_only: True", exact=False).wait_for()
            card.get_by_text(re.compile(r"expires .* UTC")).wait_for()
            approver.screenshot(path=str(artifacts_dir / "1-queue.png"), full_page=True)
            card.get_by_role("button", name="Approve").click()
            approver.get_by_text(f"Job {job_id} approved", exact=False).wait_for()
            approver.screenshot(path=str(artifacts_dir / "2-approved.png"), full_page=True)
            asker.bring_to_front()
            asker.get_by_text(f"Job {job_id} was approved by approver", exact=False).wait_for(timeout=30_000)
            asker.screenshot(path=str(artifacts_dir / "3-requester-sees-it.png"), full_page=True)
            trail = api(stack, "admin").get("/audit", params={"action": "job.approve", "actor": "approver"})
            assert str(job_id) in {a["object_id"] for a in trail.json()["items"]}
        finally:
            api(stack, "operator").post(f"/jobs/{job_id}/cancel")


def test_a_prod_reboot_proposal_shows_its_risk_and_wants_the_host_count(stack: Stack, artifacts_dir: Path) -> None:
    before = {j["id"] for j in _jobs(stack)}
    with browser_page(**WIDE) as page_:
        page: Any = page_
        sign_in(page, stack.chat, stack.tokens["operator"], "operator")
        chat(page, "reboot all prod now")
        card = page.locator(".st-key-confirmation")
        card.get_by_text("HIGH RISK", exact=True).wait_for()
        line = card.get_by_text(re.compile(r"High risk: \d+ prod hosts")).inner_text()
        count = int(re.search(r"(\d+) prod hosts", line).group(1))  # type: ignore[union-attr]
        assert "load-balancer pair in prod" in line and "database pair in prod" in line and "reboots" in line
        assert card.get_by_text("critical", exact=True).count() >= 2
        assert card.get_by_text("Security updates only", exact=False).count() == 0  # reboot options only
        confirm = card.get_by_role("button", name="Confirm")
        assert confirm.is_disabled()
        typed = card.get_by_label(re.compile(r"High risk: type \d+"))
        typed.fill(str(count - 1))
        typed.press("Enter")
        page.wait_for_timeout(500)  # let the rerun land; the button must stay disabled
        assert confirm.is_disabled()
        typed.fill(str(count))
        typed.press("Enter")
        page.wait_for_function(
            "() => ![...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Confirm').disabled"
        )
        page.screenshot(path=str(artifacts_dir / "risk.png"), full_page=True)
        card.get_by_role("button", name="Cancel").click()
        page.get_by_text("Cancelled. Nothing was run.").wait_for()
    assert {j["id"] for j in _jobs(stack)} == before


def test_times_show_in_utc_with_the_browsers_own_clock_beside_them(stack: Stack, artifacts_dir: Path) -> None:
    operator = api(stack, "operator")
    before = {j["id"] for j in _jobs(stack)}
    with browser_page(**WIDE, timezone_id="Asia/Tokyo") as page_:  # UTC+9 all year
        page: Any = page_
        sign_in(page, stack.chat, stack.tokens["operator"], "operator")
        chat(page, "patch db-stg-01 tomorrow at 01:00")
        card = page.locator(".st-key-confirmation")
        card.get_by_text(
            re.compile(r"Starts at \d{4}-\d\d-\d\d 01:00 UTC \(10:00 Asia/Tokyo; in \d+ h \d+ min\)")
        ).wait_for()
        card.get_by_role("button", name="Confirm").click()
        heading = page.get_by_text(re.compile(r"Job \d+: scheduled for \d{4}-\d\d-\d\d 01:00 UTC \(10:00 Asia/Tokyo\)"))
        heading.wait_for()
        page.screenshot(path=str(artifacts_dir / "browser-clock.png"), full_page=True)
    new = [j for j in _jobs(stack) if j["id"] not in before]
    assert [j["intent"]["hosts"] for j in new] == [["db-stg-01"]]
    assert new[0]["intent"]["not_before"].endswith(("01:00:00Z", "01:00:00+00:00"))  # the job itself stays in UTC
    operator.post(f"/jobs/{new[0]['id']}/cancel")


def test_live_per_host_progress_changes_while_the_job_runs(stack: Stack, artifacts_dir: Path) -> None:
    hosts = ["app-stg-01", "app-stg-02", "cache-stg-01"]
    with browser_page(**WIDE) as page_:
        page: Any = page_
        sign_in(page, stack.chat, stack.tokens["operator"], "operator")
        chat(page, "patch " + ", ".join(hosts) + ", never reboot")
        page.get_by_role("button", name="Confirm").click()
        heading = page.get_by_text(re.compile(r"^Job \d+: ")).first
        heading.wait_for()
        job_id = int(re.search(r"Job (\d+):", heading.inner_text()).group(1))  # type: ignore[union-attr]
        panel = page.locator(f".st-key-job-{job_id}")
        page.get_by_text(f"Job {job_id}: running").wait_for(timeout=60_000)
        seen: list[str] = []
        elapsed: set[str] = set()
        while panel.get_by_text(f"Job {job_id}: running").count():
            rows = " | ".join(panel.get_by_text(re.compile(r"^(app|cache)-stg-\d+ ")).all_inner_texts())
            elapsed |= set(re.findall(r"elapsed [^|\n]+ s\b", panel.inner_text()))
            if rows and (not seen or seen[-1] != rows):
                seen.append(rows)
                page.screenshot(path=str(artifacts_dir / f"running-{len(seen)}.png"), full_page=True)
            page.wait_for_timeout(1000)
        assert len(seen) >= 2, f"the per-host rows never changed while the job ran: {seen}"
        assert len(elapsed) >= 2, f"the elapsed time did not move: {elapsed}"
        page.get_by_text(re.compile(rf"Job {job_id} (succeeded|finished)")).wait_for(timeout=90_000)
        page.get_by_text(re.compile(r"\d+ patched")).first.wait_for()
        page.screenshot(path=str(artifacts_dir / "done.png"), full_page=True)


def test_a_viewer_reads_jobs_and_keeps_the_session_over_a_reload(stack: Stack, artifacts_dir: Path) -> None:
    job = api(stack, "operator").post("/jobs", json={"action": "precheck", "hosts": ["ci-01"]}).json()
    with browser_page(**WIDE) as page_:
        page: Any = page_
        sign_in(page, stack.chat, stack.tokens["viewer"], "viewer")
        page.get_by_text("Read-only: your role (viewer) can follow jobs", exact=False).first.wait_for()
        assert page.get_by_test_id("stChatInputTextArea").is_disabled()
        page.get_by_role("button", name=re.compile(rf"^#{job['id']} precheck ci-01")).click()
        page.get_by_text(re.compile(rf"^Job {job['id']}: ")).wait_for()
        page.get_by_text(re.compile(r"created \d{4}-\d\d-\d\d \d\d:\d\d UTC")).first.wait_for()
        assert page.get_by_role("button", name="Cancel job").count() == 0
        page.screenshot(path=str(artifacts_dir / "1-viewer-job.png"), full_page=True)
        page.reload()
        page.get_by_text("Signed in as viewer").wait_for()
        page.get_by_text("Read-only: your role (viewer) can follow jobs", exact=False).first.wait_for()
        page.get_by_text(re.compile(rf"^Job {job['id']}: ")).wait_for()  # the followed job too
        assert stack.tokens["viewer"] not in page.url
        assert page.get_by_test_id("stChatInputTextArea").is_disabled()
        page.screenshot(path=str(artifacts_dir / "2-after-reload.png"), full_page=True)
    api(stack, "operator").post(f"/jobs/{job['id']}/cancel")


def test_the_api_refuses_what_the_viewer_is_not_shown(stack: Stack) -> None:
    viewer = api(stack, "viewer")
    assert viewer.get("/jobs").status_code == 200
    assert viewer.post("/chat", json={"session_id": "v", "message": "patch ci-01"}).status_code == 403
    assert viewer.get("/jobs/approvals").status_code == 403


NO_SPACE = (
    'fatal: [web-stg-02]: FAILED! => {"msg": "Error: [Errno 28] No space left on device: '
    "'/var/cache/dnf/kernel-core-5.14.0.rpm'\"}"
)


def test_the_kb_editor_says_which_entry_matches_a_pasted_error_and_why(stack: Stack, artifacts_dir: Path) -> None:
    with browser_page(**WIDE) as page_:
        page: Any = page_
        page.goto(stack.kb)
        token = page.locator("#kb-token").locator("input, textarea").first
        token.fill(stack.tokens["kb-editor"])
        token.press("Enter")
        page.get_by_text("Signed in as", exact=False).first.wait_for()
        page.locator("#kb-search-msg").get_by_text(re.compile(r"\d+ entries")).wait_for()  # loaded on sign-in
        page.screenshot(path=str(artifacts_dir / "1-signed-in.png"), full_page=True)
        page.get_by_role("tab", name="Match an error").click()
        page.locator("#kb-paste").locator("textarea").fill(NO_SPACE)
        page.get_by_role("button", name="Which entry matches?").click()
        out = page.locator("#kb-match-out")
        out.get_by_text(re.compile(r"^Matches ")).wait_for()
        out.get_by_text("Why:", exact=False).wait_for()
        assert "No space left on device" in out.inner_text()
        page.screenshot(path=str(artifacts_dir / "2-match.png"), full_page=True)
