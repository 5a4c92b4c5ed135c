"""The AWX client's real calls against a real AWX or AAP 2.5 controller (opt-in: ``pytest -m awx_live``).

Needs PATCHPILOT_AWX__URL and PATCHPILOT_AWX__TOKEN (and PATCHPILOT_AWX__BASE_PATH=/api/controller/v2/
behind an AAP 2.5 gateway), and the templates of ``patchpilot awx bootstrap``. Jobs run the
read-only precheck template only: nothing is patched. Stand-up steps: docs/deploy.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from core.errors import AwxNotFound, AwxPromptNotAllowed, ValidationFailed
from workers.awx import AwxClient
from workers.awx.models import AwxJob

pytestmark = [pytest.mark.awx_live, pytest.mark.slow]
TERMINAL = {"successful", "failed", "error", "canceled"}


def _until(check: Callable[[], Any], timeout: float = 600, every: float = 3) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "AWX did not get there in time"
        time.sleep(every)
    return value


def _raw(awx: AwxClient) -> httpx.Client:
    s = awx.settings
    return httpx.Client(
        base_url=awx._http.origin,
        headers={"Authorization": f"Bearer {s.token.get_secret_value()}"},
        verify=s.verify_tls,
        timeout=s.timeout_s,
    )


@pytest.fixture(scope="module")
def template(awx: AwxClient) -> int:
    return awx.find_job_template(awx.settings.template_precheck, awx.settings.organization).id


@pytest.fixture(scope="module")
def hosts(awx: AwxClient, template: int) -> list[str]:
    inventory = awx.job_template(template).inventory
    rows = awx._http.get(awx._http.path(f"inventories/{inventory}/hosts"), {"enabled": "true", "page_size": 2})
    names = [r["name"] for r in rows["results"]]
    assert names, "the precheck template's inventory has no enabled host"
    return names


@pytest.fixture(scope="module")
def finished(awx: AwxClient, template: int, hosts: list[str]) -> AwxJob:
    job = awx.launch(template, limit=hosts, extra_vars={"patchpilot_job_id": 0})
    _until(lambda: awx.job(job.id).terminal)
    return awx.wait_event_processing(job.id, timeout_s=120)


def test_ping_me_and_base_path(awx: AwxClient) -> None:
    assert awx.ping()["version"]
    assert awx.me()["username"]


def test_the_other_api_prefix(awx: AwxClient) -> None:
    """AAP 2.5+ serves the controller under /api/controller/v2/; plain AWX only under /api/v2/."""
    other = "/api/v2/" if awx.settings.base_path.strip("/") == "api/controller/v2" else "/api/controller/v2/"
    with AwxClient(awx.settings.model_copy(update={"base_path": other})) as client:
        try:
            client.me()
        except AwxNotFound:
            pytest.skip(f"not run: this controller does not serve {other} (plain AWX or no gateway)")


def test_launch_with_prompts_runs_on_exactly_the_limit(awx: AwxClient, finished: AwxJob, hosts: list[str]) -> None:
    assert finished.status.value in TERMINAL and finished.event_processing_finished
    assert sorted(finished.limit.split(",")) == sorted(hosts)
    assert {s.host_name for s in awx.host_summaries(finished.id)} == set(hosts)


def test_launch_without_prompts_is_refused(awx: AwxClient, template: int, hosts: list[str]) -> None:
    jt = awx.job_template(template)
    raw = _raw(awx)
    created = raw.post(
        awx._http.path("job_templates"),
        json={"name": f"patchpilot-live-noprompt-{int(time.time())}", "inventory": jt.inventory,
              "project": jt.project, "playbook": jt.playbook, "ask_limit_on_launch": False},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    try:
        with pytest.raises(AwxPromptNotAllowed):
            awx.launch(created.json()["id"], limit=hosts, extra_vars={})
        with pytest.raises(ValidationFailed):
            awx.launch(template, limit=[], extra_vars={})
    finally:
        raw.delete(awx._http.path(f"job_templates/{created.json()['id']}"))
        raw.close()


def test_stdout_txt_and_txt_download(awx: AwxClient, finished: AwxJob) -> None:
    text = awx.stdout(finished.id).text
    assert "PLAY RECAP" in text
    tail, total = awx._http.stream_tail(awx._http.path(f"jobs/{finished.id}/stdout"), {"format": "txt_download"}, 4096)
    assert total >= len(tail) > 0 and b"PLAY RECAP" in tail
    with _raw(awx) as raw:
        refused = raw.get(
            awx._http.path(f"jobs/{finished.id}/stdout"),
            params={"format": "txt"},
            headers={"Accept": "application/json"},
        )
    assert refused.status_code == 406


def test_events_paging(awx: AwxClient, finished: AwxJob) -> None:
    every = [e.counter for e in awx.events(finished.id)]
    paged = [e.counter for e in awx.events(finished.id, page_size=3)]
    assert every == paged == sorted(every) and len(every) > 3


def test_cancel_in_each_state(awx: AwxClient, template: int, hosts: list[str], finished: AwxJob) -> None:
    assert awx.cancel(finished.id) is False  # 405: already finished
    early = awx.launch(template, limit=hosts, extra_vars={})
    assert awx.cancel(early.id) is True  # pending or waiting
    assert _until(lambda: awx.job(early.id).status.value in TERMINAL)
    late = awx.launch(template, limit=hosts, extra_vars={})
    _until(lambda: awx.job(late.id).status.value in {"running", *TERMINAL}, every=1)
    if awx.job(late.id).status.value == "running":
        assert awx.cancel(late.id) is True
        assert _until(lambda: awx.job(late.id).status.value == "canceled")


def test_relaunch_failed_hosts(awx: AwxClient, template: int, hosts: list[str]) -> None:
    """A pre-check that cannot pass (free space) fails the hosts; relaunch runs on exactly those."""
    job = awx.launch(template, limit=hosts, extra_vars={"patchpilot_min_free_mb": 10**12})
    done = _until(lambda: (j := awx.job(job.id)).terminal and j)
    assert done.status.value == "failed"
    awx.wait_event_processing(job.id, timeout_s=120)
    again = awx.relaunch_failed(job.id)
    assert sorted(again.limit.split(",")) == sorted(hosts)
    awx.cancel(again.id)


def test_a_disabled_host_never_runs(awx: AwxClient, template: int) -> None:
    inventory = awx.job_template(template).inventory
    rows = awx._http.get(awx._http.path(f"inventories/{inventory}/hosts"), {"enabled": "false", "page_size": 1})
    if not rows["results"]:
        pytest.skip("not run: the precheck template's inventory has no disabled host; disable one to run this")
    name = rows["results"][0]["name"]
    job = awx.launch(template, limit=[name], extra_vars={})
    _until(lambda: awx.job(job.id).terminal)
    awx.wait_event_processing(job.id, timeout_s=120)
    assert name not in {s.host_name for s in awx.host_summaries(job.id)}
