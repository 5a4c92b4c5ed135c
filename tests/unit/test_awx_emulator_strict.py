"""The emulator is strict where AWX is: content negotiation, filters, launch validation, persistence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from workers.emulator import Scenario, create_app
from workers.emulator.scenario import TemplateSpec

AUTH = {"Authorization": "Bearer emulator-token"}


def _api(state_dir: Path | None = None, **scenario: object) -> TestClient:
    data = {"duration_s": 0.3, "event_lag_s": 0.05, **scenario}
    return TestClient(create_app(Scenario.model_validate(data), state_dir=state_dir), base_url="http://awx.test")


def _tid(api: TestClient, name: str = "patchpilot-patch") -> int:
    return int(api.get(f"/api/v2/job_templates/?name={name}", headers=AUTH).json()["results"][0]["id"])


def _done(api: TestClient, job_id: int) -> dict:
    deadline = time.monotonic() + 5
    while not (job := api.get(f"/api/v2/jobs/{job_id}/", headers=AUTH).json())["event_processing_finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return job


# --- content negotiation (DRF DefaultContentNegotiation over each view's renderers) ---------------


@pytest.mark.parametrize(
    ("fmt", "accept", "status", "ctype"),
    [
        ("txt", "application/json", 406, "text/html"),  # the first client's call: only text/plain renders txt
        ("txt_download", "application/json", 406, "text/html"),
        ("txt", "text/plain", 200, "text/plain"),
        ("txt", "*/*", 200, "text/plain"),
        ("txt", None, 200, "text/plain"),
        ("json", "application/json", 200, "application/json"),
        ("json", "text/plain", 406, "text/html"),
        ("nonsense", "*/*", 404, "text/html"),
        (None, "application/json", 200, "application/json"),
        (None, "*/*", 200, "text/html"),  # the browsable API comes first
        (None, "text/plain", 200, "text/plain"),
    ],
)
def test_stdout_negotiation(fmt: str | None, accept: str | None, status: int, ctype: str) -> None:
    api = _api()
    job = api.post(f"/api/v2/job_templates/{_tid(api)}/launch/", json={"limit": "web-stg-01"}, headers=AUTH).json()
    _done(api, job["job"])
    headers = {**AUTH, **({"Accept": accept} if accept else {})}
    params = {"format": fmt} if fmt else {}
    r = api.get(f"/api/v2/jobs/{job['job']}/stdout/", params=params, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(ctype)
    if status == 406:
        assert "Could not satisfy the request Accept header." in r.text


def test_json_views_negotiate_too() -> None:
    api = _api()
    assert api.get("/api/v2/me/", headers={**AUTH, "Accept": "text/plain"}).status_code == 406
    page = api.get("/api/v2/me/", headers={**AUTH, "Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html") and "admin" in page.text
    assert api.get("/api/v2/me/?format=txt", headers=AUTH).status_code == 404
    # negotiation comes before authentication, as in DRF
    assert api.get("/api/v2/me/", headers={"Accept": "text/plain"}).status_code == 406


# --- lists ---------------------------------------------------------------------------------------


def test_unknown_filter_field_is_400_even_on_an_empty_list() -> None:
    api = _api()
    assert api.get("/api/v2/jobs/", headers=AUTH).json()["count"] == 0
    r = api.get("/api/v2/jobs/?no_such_field=1", headers=AUTH)
    assert r.status_code == 400 and "no_such_field" in r.json()["detail"]
    assert api.get("/api/v2/jobs/?status=running", headers=AUTH).status_code == 200


# --- launching -----------------------------------------------------------------------------------


def test_survey_required_variable_is_400_and_listed_in_prompts() -> None:
    survey = [{"variable": "ticket", "required": True}, {"variable": "why", "required": True, "default": "patch"}]
    api = _api(templates=[TemplateSpec(name="patchpilot-patch", playbook="playbooks/patch.yml", survey=survey)])
    tid = _tid(api)
    prompts = api.get(f"/api/v2/job_templates/{tid}/launch/", headers=AUTH).json()
    assert prompts["survey_enabled"] is True and prompts["variables_needed_to_start"] == ["ticket"]
    spec = api.get(f"/api/v2/job_templates/{tid}/survey_spec/", headers=AUTH).json()
    assert [q["variable"] for q in spec["spec"]] == ["ticket", "why"]
    r = api.post(f"/api/v2/job_templates/{tid}/launch/", json={"limit": "web-stg-01"}, headers=AUTH)
    assert r.status_code == 400 and r.json() == {"variables_needed_to_start": ["'ticket' value missing"]}
    ok = api.post(
        f"/api/v2/job_templates/{tid}/launch/",
        json={"limit": "web-stg-01", "extra_vars": {"ticket": "T"}},
        headers=AUTH,
    )
    assert ok.status_code == 201


def test_job_error_and_timeout_endings_carry_explanations() -> None:
    api = _api(job_error="Previous Task Failed: project update")
    job = api.post(f"/api/v2/job_templates/{_tid(api)}/launch/", json={"limit": "web-stg-01"}, headers=AUTH).json()
    done = _done(api, job["job"])
    assert (done["status"], done["job_explanation"], done["started"]) == (
        "error",
        "Previous Task Failed: project update",
        None,
    )
    timeout = [{"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "timeout": 1}]
    api = _api(hosts={"db-stg-01": "hang"}, templates=timeout)
    job = api.post(f"/api/v2/job_templates/{_tid(api)}/launch/", json={"limit": "db-stg-01"}, headers=AUTH).json()
    done = _done(api, job["job"])
    assert (done["status"], done["job_explanation"]) == ("failed", "Job terminated due to timeout")


def test_disabled_hosts_are_shown_disabled_and_left_out_of_the_script() -> None:
    api = _api(disabled_hosts=["web-stg-02"])
    hosts = api.get("/api/v2/hosts/?name=web-stg-02", headers=AUTH).json()["results"]
    assert [h["enabled"] for h in hosts] == [False]
    script = api.get("/api/v2/inventories/1/script/?hostvars=1", headers=AUTH).json()
    assert "web-stg-02" not in script["_meta"]["hostvars"] and "web-stg-01" in script["_meta"]["hostvars"]
    every = api.get("/api/v2/inventories/1/script/?hostvars=1&all=1", headers=AUTH).json()
    assert "web-stg-02" in every["_meta"]["hostvars"]


def _host_id(api: TestClient, name: str) -> int:
    return int(api.get(f"/api/v2/inventories/1/hosts/?name={name}", headers=AUTH).json()["results"][0]["id"])


def _enabled_everywhere(api: TestClient, name: str) -> list[bool]:
    """``enabled`` of one host as every listing shows it: inventory hosts, global hosts, host detail, script."""
    hid = _host_id(api, name)
    script = api.get("/api/v2/inventories/1/script/?hostvars=1", headers=AUTH).json()
    return [
        api.get(f"/api/v2/inventories/1/hosts/?name={name}", headers=AUTH).json()["results"][0]["enabled"],
        api.get(f"/api/v2/hosts/?name={name}", headers=AUTH).json()["results"][0]["enabled"],
        api.get(f"/api/v2/hosts/{hid}/", headers=AUTH).json()["enabled"],
        name in script["_meta"]["hostvars"],
    ]


def _ran_on(api: TestClient, limit: str) -> list[str]:
    launched = api.post(f"/api/v2/job_templates/{_tid(api)}/launch/", json={"limit": limit}, headers=AUTH).json()
    _done(api, launched["job"])
    summaries = api.get(f"/api/v2/jobs/{launched['job']}/job_host_summaries/", headers=AUTH).json()
    return sorted(s["host_name"] for s in summaries["results"])


def test_one_notion_of_a_disabled_host_for_listings_and_runs(tmp_path: Path) -> None:
    """Disabled by the scenario or by ``PATCH hosts/N/``: every listing says so and no run reaches the host."""
    api = _api(tmp_path, disabled_hosts=["web-stg-02"])
    assert _enabled_everywhere(api, "web-stg-02") == [False] * 4  # the scenario's, seen by the inventory API too
    assert _ran_on(api, "web-stg-01,web-stg-02,app-stg-01") == ["app-stg-01", "web-stg-01"]

    r = api.patch(f"/api/v2/hosts/{_host_id(api, 'app-stg-01')}/", json={"enabled": False}, headers=AUTH)
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert _enabled_everywhere(api, "app-stg-01") == [False] * 4
    assert _ran_on(api, "web-stg-01,web-stg-02,app-stg-01") == ["web-stg-01"]

    api.patch(f"/api/v2/hosts/{_host_id(api, 'web-stg-02')}/", json={"enabled": True}, headers=AUTH)
    assert _enabled_everywhere(api, "web-stg-02") == [True] * 4
    assert _ran_on(api, "web-stg-01,web-stg-02,app-stg-01") == ["web-stg-01", "web-stg-02"]
    bad = api.patch(f"/api/v2/hosts/{_host_id(api, 'web-stg-01')}/", json={"enabled": "no"}, headers=AUTH)
    assert bad.status_code == 400 and bad.json() == {"enabled": ["Must be a valid boolean."]}
    api.close()
    # what an administrator changed survives a restart of the emulator, as AWX's database does
    assert _enabled_everywhere(_api(tmp_path, disabled_hosts=["web-stg-02"]), "app-stg-01") == [False] * 4


def test_global_lists_and_the_script_serve_the_same_inventory_as_its_own_lists() -> None:
    """Variables an administrator saves on a host are what ``hosts/``, the script and the inventory's list show."""
    api = _api()
    hid = _host_id(api, "ci-01")
    r = api.patch(f"/api/v2/hosts/{hid}/", json={"variables": "---\nrole: ci\nowner: qa\n"}, headers=AUTH)
    assert r.status_code == 200, r.text
    listed = api.get("/api/v2/hosts/?name=ci-01", headers=AUTH).json()["results"][0]
    own = api.get("/api/v2/inventories/1/hosts/?name=ci-01", headers=AUTH).json()["results"][0]
    assert listed["variables"] == own["variables"] == "---\nrole: ci\nowner: qa\n"
    script = api.get("/api/v2/inventories/1/script/?hostvars=1", headers=AUTH).json()
    assert script["_meta"]["hostvars"]["ci-01"] == {"role": "ci", "owner": "qa"}
    groups = {g["name"] for g in api.get("/api/v2/groups/?page_size=200", headers=AUTH).json()["results"]}
    assert groups == {
        g["name"] for g in api.get("/api/v2/inventories/1/groups/?page_size=200", headers=AUTH).json()["results"]
    }
    assert set(script["all"]["children"]) <= groups and "ungrouped" not in script


# --- persistence (issue 15) ----------------------------------------------------------------------


def test_a_restarted_emulator_finishes_the_jobs_it_was_running(tmp_path: Path) -> None:
    """Jobs and templates survive a restart: the running job finishes as planned, never forgotten."""
    first = _api(tmp_path, duration_s=1.0)
    tid = _tid(first)
    first.patch(f"/api/v2/job_templates/{tid}/", json={"description": "edited"}, headers=AUTH)
    launched = first.post(
        f"/api/v2/job_templates/{tid}/launch/",
        json={"limit": "web-stg-01", "extra_vars": {"patchpilot_job_id": 41}},
        headers=AUTH,
    ).json()
    assert launched["status"] in ("pending", "waiting", "running")
    first.close()

    second = _api(tmp_path, duration_s=1.0)  # a new process would read the same state directory
    job = second.get(f"/api/v2/jobs/{launched['job']}/", headers=AUTH)
    assert job.status_code == 200, job.text
    done = _done(second, launched["job"])
    assert done["status"] == "successful" and done["job_explanation"] == ""
    summaries = second.get(f"/api/v2/jobs/{launched['job']}/job_host_summaries/", headers=AUTH).json()
    assert [s["host_name"] for s in summaries["results"]] == ["web-stg-01"]
    assert second.get("/_emulator/launches/").json() == {"41": 1}
    assert second.get(f"/api/v2/job_templates/{tid}/", headers=AUTH).json()["description"] == "edited"
    # a new launch gets the next id, never one already given
    again = second.post(f"/api/v2/job_templates/{tid}/launch/", json={"limit": "web-stg-01"}, headers=AUTH).json()
    assert again["job"] == launched["job"] + 1
