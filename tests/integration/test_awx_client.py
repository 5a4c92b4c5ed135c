"""The real AWX client over real HTTP against the in-thread AWX emulator (no mocks)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.errors import AwxAuthFailed, AwxNotFound, AwxPromptNotAllowed, AwxUnavailable
from core.settings import AwxSettings
from workers.awx import AwxClient, AwxJobStatus
from workers.emulator import Scenario, run_emulator_in_thread

pytestmark = pytest.mark.integration

FAST = {
    "duration_s": 0.5,
    "event_lag_s": 0.15,
    "cancel_delay_s": 0.2,
    "hosts": {
        "web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"},
        "app-dev-02": {"outcome": "unreachable", "family": "ssh-connect-failed"},
        "db-stg-01": "hang",
    },
}


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def load(self, **changes: Any) -> None:
        r = self.http.post("/_emulator/scenario/", json={**FAST, **changes})
        assert r.status_code == 200, r.text

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.http.post("/_emulator/faults/", json=changes).json()

    def launches(self) -> dict[str, int]:
        return self.http.get("/_emulator/launches/").json()

    def client(self, **settings: Any) -> AwxClient:
        return AwxClient(AwxSettings.model_validate({"url": self.url, "retries": 2, **settings}))


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    url, stop = run_emulator_in_thread(Scenario.model_validate(FAST))
    yield url
    stop()


@pytest.fixture
def emu(emulator_url: str) -> Iterator[Emulator]:
    e = Emulator(emulator_url)
    e.load()
    yield e
    e.http.close()


@pytest.fixture
def client(emu: Emulator) -> Iterator[AwxClient]:
    with emu.client() as c:
        yield c


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _patch(client: AwxClient) -> int:
    return client.find_job_template("patchpilot-patch").id


def test_ping_and_me(client: AwxClient, emu: Emulator) -> None:
    assert client.ping()["version"] == "24.6.1"
    assert client.me()["username"] == "admin"
    with emu.client(token="wrong-token") as bad:
        assert bad.ping()["active_node"] == "awx-emulator"  # /ping/ needs no credentials
        with pytest.raises(AwxAuthFailed, match="401"):
            bad.me()


def test_find_job_template(client: AwxClient) -> None:
    jt = client.find_job_template("patchpilot-patch", organization="Default")
    assert jt.playbook == "playbooks/patch.yml" and jt.ask_limit_on_launch and jt.ask_variables_on_launch
    with pytest.raises(AwxNotFound):
        client.find_job_template("patchpilot-patch", organization="Elsewhere")
    with pytest.raises(AwxNotFound):
        client.find_job_template("no-such-template")


def test_launch_with_limit_runs_only_those_hosts(client: AwxClient, emu: Emulator) -> None:
    job = client.launch(_patch(client), limit="web-stg-01,app-stg-01", extra_vars={"patchpilot_job_id": "J-1"})
    assert job.status is AwxJobStatus.pending and job.limit == "web-stg-01,app-stg-01"
    assert job.extra_vars == {"patchpilot_job_id": "J-1"}
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert done.status is AwxJobStatus.successful and done.terminal and not done.failed
    assert done.host_status_counts == {"changed": 2}
    assert [s.host_name for s in client.host_summaries(job.id)] == ["app-stg-01", "web-stg-01"]
    assert emu.launches() == {"J-1": 1}


def test_status_progression_and_timestamps(client: AwxClient, emu: Emulator) -> None:
    emu.load(duration_s=2.0)  # 0.2 s each for pending and waiting: room to see them under load
    job = client.launch(_patch(client), limit="web-stg-01", extra_vars={})
    seen: list[AwxJobStatus] = []
    while True:
        current = client.job(job.id)
        if not seen or seen[-1] != current.status:
            seen.append(current.status)
        if current.terminal:
            break
        time.sleep(0.01)
    assert seen == ["pending", "waiting", "running", "successful"]
    assert current.started is not None and current.finished is not None and current.finished > current.started
    assert 1.2 < current.elapsed < 2.5


def test_failed_job_is_a_status_with_failed_events(client: AwxClient) -> None:
    job = client.launch(_patch(client), limit="web-stg-01,web-stg-02,app-dev-02", extra_vars={})
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert done.status is AwxJobStatus.failed and done.failed
    assert done.host_status_counts == {"changed": 1, "failures": 1, "dark": 1}
    summaries = {s.host_name: s for s in client.host_summaries(job.id)}
    assert summaries["web-stg-02"].failures == 1 and summaries["web-stg-02"].failed
    assert summaries["app-dev-02"].dark == 1 and not summaries["web-stg-01"].failed
    events = list(client.failed_events(job.id))
    assert [(e.event, e.host_name, e.task) for e in events] == [
        ("runner_on_unreachable", "app-dev-02", "Gathering Facts"),
        ("runner_on_failed", "web-stg-02", "Apply updates (dnf)"),
    ]
    assert "more space needed on the / filesystem" in events[1].event_data["res"]["msg"]
    assert events[0].event_data["res"]["unreachable"] is True


def test_event_processing_lags_terminal_status(client: AwxClient, emu: Emulator) -> None:
    emu.load(event_lag_s=0.6)
    job = client.launch(_patch(client), limit="web-stg-01", extra_vars={})
    _until(lambda: client.job(job.id).terminal)
    early = client.job(job.id)
    assert not early.event_processing_finished and early.host_status_counts is None
    assert client.host_summaries(job.id) == []
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert done.event_processing_finished and done.host_status_counts == {"changed": 1}
    assert len(client.host_summaries(job.id)) == 1
    # bounded: a job still running when the wait runs out comes back as it is (running), not waited for
    hang = client.launch(_patch(client), limit="db-stg-01", extra_vars={})
    assert client.wait_event_processing(hang.id, timeout_s=0.5).status is AwxJobStatus.running


def test_failed_events_across_pages(client: AwxClient, emu: Emulator, tmp_path: Path) -> None:
    inventory = tmp_path / "big.yaml"
    lines = ["all:", "  children:", "    fleet:", "      hosts:"]
    lines += [f"        node-{i:03d}: {{os: rhel9}}" for i in range(230)]
    inventory.write_text("\n".join(lines) + "\n")
    emu.load(inventory=str(inventory), hosts={"node-*": {"outcome": "failed", "family": "dnf-gpg-check-failed"}})
    job = client.launch(_patch(client), limit="fleet", extra_vars={})
    client.wait_event_processing(job.id, timeout_s=5)
    events = list(client.failed_events(job.id))
    assert len(events) == 230 > 200
    assert [e.counter for e in events] == sorted(e.counter for e in events)
    assert len({e.id for e in events}) == 230
    assert all("GPG signature" in e.event_data["res"]["msg"] for e in events)


def test_stdout_txt_and_too_large_fallback(client: AwxClient, emu: Emulator) -> None:
    job = client.launch(_patch(client), limit="web-stg-01,app-dev-01", extra_vars={})
    client.wait_event_processing(job.id, timeout_s=5)
    out = client.stdout(job.id)
    assert not out.truncated and out.size_bytes == len(out.text.encode())
    assert out.text.startswith("\nPLAY [Pre-checks] ") and "\x1b[" not in out.text
    full = out.text

    emu.load(stdout_max_bytes=500)
    job = client.launch(_patch(client), limit="web-stg-01,app-dev-01", extra_vars={})
    client.wait_event_processing(job.id, timeout_s=5)
    raw = emu.http.get(f"/api/v2/jobs/{job.id}/stdout/?format=txt", headers={"Authorization": "Bearer emulator-token"})
    assert raw.text.startswith("Standard Output too large to display (")
    big = client.stdout(job.id)
    assert big.text == full and not big.truncated and big.size_bytes == len(full.encode())
    tail = client.stdout(job.id, keep_bytes=300)
    assert tail.truncated and tail.size_bytes == len(full.encode()) and full.endswith(tail.text)
    assert len(tail.text.encode()) <= 300 and "ignored=0" in tail.text


def test_cancel_hang_job_then_405_after_finish(client: AwxClient, emu: Emulator) -> None:
    emu.load(cancel_delay_s=0.6)
    job = client.launch(_patch(client), limit="db-stg-01", extra_vars={})
    _until(lambda: client.job(job.id).status is AwxJobStatus.running)
    time.sleep(0.3)
    assert client.job(job.id).status is AwxJobStatus.running  # hangs: stays running
    assert client.cancel(job.id) is True
    assert client.job(job.id).status is AwxJobStatus.running  # asynchronous
    _until(lambda: client.job(job.id).status is AwxJobStatus.canceled)
    final = client.job(job.id)
    assert final.failed and final.finished is not None and client.host_summaries(job.id) == []
    assert client.cancel(job.id) is False

    done = client.launch(_patch(client), limit="web-stg-01", extra_vars={})
    client.wait_event_processing(done.id, timeout_s=5)
    assert client.cancel(done.id) is False


def test_relaunch_failed_hosts(client: AwxClient) -> None:
    job = client.launch(_patch(client), limit="web-stg-01,web-stg-02,app-dev-02", extra_vars={"patchpilot_job_id": 9})
    client.wait_event_processing(job.id, timeout_s=5)
    again = client.relaunch_failed(job.id)
    assert again.id != job.id and again.launch_type == "relaunch"
    assert sorted(again.limit.split(",")) == ["app-dev-02", "web-stg-02"]
    assert again.extra_vars == {"patchpilot_job_id": 9}


def test_unavailable_for_a_while_then_recovers(client: AwxClient, emu: Emulator) -> None:
    emu.faults(fail_next=2)
    assert client.me()["username"] == "admin"  # 503, 503, then 200 within retries=2
    assert emu.faults()["fail_next"] == 0


def test_retries_exhausted(emu: Emulator) -> None:
    emu.faults(fail_next=10)
    with emu.client(retries=2) as c, pytest.raises(AwxUnavailable, match="503"):
        c.job(1)
    assert emu.faults()["fail_next"] == 7  # exactly 1 + 2 attempts


def test_dropped_connection_is_unavailable(emu: Emulator) -> None:
    emu.faults(drop_rate=1.0)
    with emu.client(retries=1) as c, pytest.raises(AwxUnavailable, match="connection"):
        c.me()
    emu.faults(drop_rate=0.0)


def test_legacy_template_refused_before_launch(client: AwxClient, emu: Emulator) -> None:
    legacy = client.find_job_template("legacy-no-prompt")
    with pytest.raises(AwxPromptNotAllowed, match="ask_limit_on_launch"):
        client.launch(legacy.id, limit="web-stg-01", extra_vars={"patchpilot_job_id": "L-1"})
    assert emu.launches() == {}
    assert emu.http.get("/api/v2/jobs/", headers={"Authorization": "Bearer emulator-token"}).json()["count"] == 0


class _Hook(httpx.HTTPTransport):
    """A real transport that runs ``before`` just ahead of the launch POST (to race the client)."""

    def __init__(self, before: Callable[[], None]) -> None:
        super().__init__()
        self.before = before

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/launch/"):
            self.before()
        return super().handle_request(request)


def test_ignored_fields_cancel_the_job(emu: Emulator) -> None:
    settings = AwxSettings(url=emu.url, retries=0)
    with AwxClient(settings) as plain:
        tid = _patch(plain)

    def flip() -> None:  # someone turns the prompt off between our GET /launch/ and our POST
        r = emu.http.patch(
            f"/api/v2/job_templates/{tid}/",
            json={"ask_limit_on_launch": False},
            headers={"Authorization": "Bearer emulator-token"},
        )
        assert r.status_code == 200

    with AwxClient(settings, transport=_Hook(flip)) as c:
        with pytest.raises(AwxPromptNotAllowed, match="ignored") as err:
            c.launch(tid, limit="web-stg-01", extra_vars={"patchpilot_job_id": "I-1"})
        job_id = err.value.context["job_id"]
        assert err.value.context["ignored_fields"] == {"limit": "web-stg-01"}
        _until(lambda: c.job(job_id).status is AwxJobStatus.canceled)
    assert emu.launches() == {"I-1": 1}


def test_launch_post_is_not_retried(emu: Emulator) -> None:
    settings = AwxSettings(url=emu.url, retries=3)
    with AwxClient(settings, transport=_Hook(lambda: emu.faults(fail_next=1))) as c:
        tid = c.find_job_template("patchpilot-patch").id
        with pytest.raises(AwxUnavailable):
            c.launch(tid, limit="web-stg-01", extra_vars={"patchpilot_job_id": "P-1"})
    assert emu.launches() == {}
    assert emu.faults()["fail_next"] == 0


def test_find_launched_job(client: AwxClient) -> None:
    since = datetime.now(UTC) - timedelta(seconds=2)
    tid = _patch(client)
    first = client.launch(tid, limit="web-stg-01", extra_vars={"patchpilot_job_id": 41})
    second = client.launch(tid, limit="web-stg-01", extra_vars={"patchpilot_job_id": 42})
    found = client.find_launched_job(tid, var="patchpilot_job_id", value=42, since=since)
    assert found is not None and found.id == second.id
    assert client.find_launched_job(tid, var="patchpilot_job_id", value="41", since=since).id == first.id
    assert client.find_launched_job(tid, var="patchpilot_job_id", value=43, since=since) is None
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert client.find_launched_job(tid, var="patchpilot_job_id", value=42, since=later) is None


def test_aap_controller_base_path(emu: Emulator) -> None:
    with emu.client(base_path="/api/controller/v2/") as c:
        assert c.me()["url"] == "/api/controller/v2/users/1/"
        job = c.launch(c.find_job_template("patchpilot-patch").id, limit="web-stg-01", extra_vars={})
        assert c.wait_event_processing(job.id, timeout_s=5).status is AwxJobStatus.successful
        assert len(list(c.events(job.id))) > 10


def test_zero_host_runs(client: AwxClient, emu: Emulator) -> None:
    job = client.launch(_patch(client), limit="web99.example.com", extra_vars={})
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert done.status is AwxJobStatus.failed and done.host_status_counts is None
    assert client.host_summaries(job.id) == []
    text = client.stdout(job.id).text
    assert text == (
        "[WARNING]: Could not match supplied host pattern, ignoring: web99.example.com\n"
        "ERROR! Specified inventory, host pattern and/or --limit leaves us with no hosts to target.\n"
    )
    emu.load(templates=[{"name": "rhel-only", "playbook": "patch.yml", "play_hosts": "rhel"}])
    tid = client.find_job_template("rhel-only").id
    job = client.launch(tid, limit="app-dev-01", extra_vars={})
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert done.status is AwxJobStatus.successful and done.host_status_counts == {}
    assert client.host_summaries(job.id) == []
    assert "skipping: no hosts matched" in client.stdout(job.id).text


def test_inventory_hosts(client: AwxClient) -> None:
    hosts = {h["name"]: h for h in client.inventory_hosts(1)}
    assert len(hosts) == 25
    assert hosts["web-prod-01"]["variables"] == {"env": "prod", "role": "web", "os": "rhel9"}
    assert {"web", "prod", "rhel", "rhel9"} <= set(hosts["web-prod-01"]["groups"])
    assert hosts["db-prod-01"]["variables"]["critical"] is True


# --- findings of the review against the AWX source (issue 11) ---------------------------------------


def test_stdout_txt_refuses_a_json_accept_with_406(client: AwxClient, emu: Emulator) -> None:
    """Finding 1: txt/txt_download have only text/plain renderers; the client now asks for text/plain."""
    job = client.wait_event_processing(client.launch(_patch(client), limit="web-stg-01", extra_vars={}).id, 5)
    auth = {"Authorization": "Bearer emulator-token"}
    for fmt in ("txt", "txt_download"):
        refused = emu.http.get(
            f"/api/v2/jobs/{job.id}/stdout/", params={"format": fmt}, headers={**auth, "Accept": "application/json"}
        )
        assert refused.status_code == 406, fmt
        assert "Could not satisfy the request Accept header." in refused.text
        ok = emu.http.get(f"/api/v2/jobs/{job.id}/stdout/", params={"format": fmt}, headers=auth)
        assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
    assert "PLAY RECAP" in client.stdout(job.id).text


def test_failed_events_include_async_and_error_events() -> None:
    """Finding 8: every AWX host-failure event type is asked for."""
    from workers.awx.client import FAILED_EVENTS

    assert set(FAILED_EVENTS.split(",")) == {
        "runner_on_failed",
        "runner_on_unreachable",
        "runner_item_on_failed",
        "runner_on_async_failed",
        "runner_on_error",
    }


def test_launch_refuses_no_hosts(client: AwxClient, emu: Emulator) -> None:
    """Finding 8: an empty limit would run the template on its whole inventory."""
    from core.errors import ValidationFailed

    for empty in ("", "  ", []):
        with pytest.raises(ValidationFailed, match="no hosts"):
            client.launch(_patch(client), limit=empty, extra_vars={})
    assert emu.launches() == {}


def test_survey_and_required_variables_are_checked_before_launch(client: AwxClient, emu: Emulator) -> None:
    """Finding 8: AWX answers 400 for a missing required survey answer; the client says so before launching."""
    from core.errors import AwxBadRequest

    survey = [{"variable": "change_ticket", "required": True}, {"variable": "note", "required": False}]
    emu.load(templates=[{"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "survey": survey}])
    tid = _patch(client)
    with pytest.raises(AwxBadRequest, match="change_ticket"):
        client.launch(tid, limit="web-stg-01", extra_vars={"patchpilot_job_id": "S-1"})
    assert emu.launches() == {}
    raw = emu.http.post(
        f"/api/v2/job_templates/{tid}/launch/",
        json={"limit": "web-stg-01", "extra_vars": {}},
        headers={"Authorization": "Bearer emulator-token"},
    )
    assert raw.status_code == 400 and raw.json() == {"variables_needed_to_start": ["'change_ticket' value missing"]}
    job = client.launch(tid, limit="web-stg-01", extra_vars={"change_ticket": "CHG-1"})
    assert client.wait_event_processing(job.id, 5).status == "successful"


def test_sliced_template_launches_a_workflow_job(client: AwxClient, emu: Emulator) -> None:
    """Finding 3: the launch answers workflow_job; it is followed and canceled under /workflow_jobs/."""
    emu.load(
        hosts={"db-stg-01": "hang"},
        templates=[{"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "job_slice_count": 2}],
    )
    job = client.launch(_patch(client), limit="db-stg-01,web-stg-01", extra_vars={})
    assert job.type == "workflow_job"
    slices = client.slice_jobs(job.id)
    assert len(slices) == 2
    _until(lambda: client.job(job.id, "workflow_job").status.value == "running")
    assert client.cancel(job.id, "workflow_job") is True
    _until(lambda: client.job(job.id, "workflow_job").status.value == "canceled")
    assert {client.job(i).status.value for i in slices} <= {"canceled", "successful"}


def test_a_second_job_waits_pending_with_an_explanation(client: AwxClient, emu: Emulator) -> None:
    """Finding 4: allow_simultaneous false (AWX's default) holds the next job pending and says why."""
    emu.load(
        hosts={"db-stg-01": "hang"},
        templates=[{"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "allow_simultaneous": False}],
    )
    tid = _patch(client)
    first = client.launch(tid, limit="db-stg-01", extra_vars={})
    second = client.launch(tid, limit="web-stg-01", extra_vars={})
    _until(lambda: client.job(first.id).status.value == "running")
    held = client.job(second.id)
    assert held.status.value == "pending"
    assert held.job_explanation == f"waiting for job-{first.id} to finish"
    client.cancel(first.id)
    done = client.wait_event_processing(second.id, timeout_s=5)
    assert done.status.value == "successful" and done.job_explanation == ""


def test_disabled_host_gets_no_summary(client: AwxClient, emu: Emulator) -> None:
    """Finding 5: AWX does not run a disabled host (no host summary), and says nothing matched it."""
    emu.load(disabled_hosts=["web-stg-02"])
    job = client.launch(_patch(client), limit="web-stg-01,web-stg-02", extra_vars={})
    done = client.wait_event_processing(job.id, timeout_s=5)
    assert [s.host_name for s in client.host_summaries(done.id)] == ["web-stg-01"]
    assert "Could not match supplied host pattern, ignoring: web-stg-02" in client.stdout(done.id).text
