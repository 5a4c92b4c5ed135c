"""The AWX client against the emulator: findings of the review against the AWX source (issue 11)."""

from __future__ import annotations

import pytest

from tests.integration.awx_client.support import Emulator, _patch, _until
from workers.awx import AwxClient

pytestmark = pytest.mark.integration


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
