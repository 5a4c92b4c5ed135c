"""The real AWX client over real HTTP against the in-thread AWX emulator (no mocks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.errors import AwxAuthFailed, AwxNotFound, AwxPromptNotAllowed, AwxUnavailable
from core.settings import AwxSettings
from tests.integration.awx_client.support import Emulator, _patch, _until
from workers.awx import AwxClient, AwxJobStatus

pytestmark = pytest.mark.integration


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
