"""The AWX emulator's HTTP surface and rendering, in-process (Starlette TestClient)."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from starlette.testclient import TestClient

from workers.emulator import Scenario, create_app
from workers.emulator.display import strip_ansi

AUTH = {"Authorization": "Bearer emulator-token"}
RECAP = re.compile(
    r"^(?P<host>\S+) +: ok=\d+ +changed=\d+ +unreachable=\d+ +failed=\d+ +skipped=\d+ +rescued=\d+ +ignored=\d+ +$"
)


@pytest.fixture
def api() -> TestClient:
    scenario = Scenario(
        duration_s=0.3,
        event_lag_s=0.05,
        hosts={
            "web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"},
            "app-dev-02": "unreachable",
            "db-stg-01": {"outcome": "failed", "message": "E" * 3000},
        },
    )
    return TestClient(create_app(scenario), base_url="http://awx.test")


def _finished_job(api: TestClient, limit: str) -> int:
    tid = api.get("/api/v2/job_templates/?name=patchpilot-patch", headers=AUTH).json()["results"][0]["id"]
    r = api.post(f"/api/v2/job_templates/{tid}/launch/", json={"limit": limit}, headers=AUTH)
    assert r.status_code == 201, r.text
    job_id = r.json()["job"]
    deadline = time.monotonic() + 5
    while not api.get(f"/api/v2/jobs/{job_id}/", headers=AUTH).json()["event_processing_finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return int(job_id)


def _all_events(api: TestClient, job_id: int) -> list[dict]:
    r = api.get(f"/api/v2/jobs/{job_id}/job_events/?order_by=counter&no_truncate=1&page_size=200", headers=AUTH)
    body = r.json()
    assert body["next"] is None
    return body["results"]


def test_rendering_banners_recap_and_lines(api: TestClient) -> None:
    job_id = _finished_job(api, "staging,app-dev-02")
    txt = api.get(f"/api/v2/jobs/{job_id}/stdout/?format=txt", headers=AUTH).text
    banners = [line for line in txt.splitlines() if line.startswith(("PLAY ", "TASK "))]
    assert len(banners) == 3 + 9 + 1  # 3 plays, 9 tasks, the recap
    assert all(len(line) == 80 and line.endswith("***") for line in banners)
    recap = txt.split("PLAY RECAP ")[1].splitlines()[1:]
    assert [RECAP.match(line)["host"] for line in recap] == sorted(
        ["app-dev-02", "app-stg-01", "app-stg-02", "cache-stg-01", "db-stg-01", "web-stg-01", "web-stg-02"]
    )
    assert all(line.endswith("   ") and len(line) == 117 for line in recap)
    assert "fatal: [web-stg-02]: FAILED! =>" in txt and "fatal: [app-dev-02]: UNREACHABLE! =>" in txt
    assert "skipping: [cache-stg-01]" in txt  # apt host on the dnf task

    events = _all_events(api, job_id)
    for before, after in itertools.pairwise(events):
        assert after["counter"] == before["counter"] + 1
        assert after["start_line"] == before["end_line"]
    joined = "".join(strip_ansi(e["stdout"]).replace("\r\n", "\n") + "\n" for e in events if e["stdout"])
    assert txt == joined
    assert txt.startswith("\nPLAY [Pre-checks] ")
    task_start = next(e for e in events if e["event"] == "playbook_on_task_start")
    assert task_start["stdout"].startswith("\r\nTASK [Gathering Facts] ")
    assert task_start["end_line"] - task_start["start_line"] == 2


def test_ansi_kept_in_events_and_ansi_format_only(api: TestClient) -> None:
    job_id = _finished_job(api, "web-stg-01")
    ansi = api.get(f"/api/v2/jobs/{job_id}/stdout/?format=ansi", headers=AUTH).text
    txt = api.get(f"/api/v2/jobs/{job_id}/stdout/?format=txt", headers=AUTH).text
    assert "\x1b[0;33mchanged: [web-stg-01]\x1b[0m" in ansi
    assert "\x1b[" not in txt and strip_ansi(ansi) == txt
    ok = next(e for e in _all_events(api, job_id) if e["event"] == "runner_on_ok")
    assert ok["stdout"] == "\x1b[0;32mok: [web-stg-01]\x1b[0m"
    js = api.get(f"/api/v2/jobs/{job_id}/stdout/?format=json&start_line=-3", headers=AUTH).json()
    assert js["range"]["end"] == js["range"]["absolute_end"] and js["content"].count("\n") == 2
    dl = api.get(f"/api/v2/jobs/{job_id}/stdout/?format=txt_download", headers=AUTH)
    assert dl.text == txt and dl.headers["content-disposition"] == f'attachment; filename="job_{job_id}.txt"'


def test_event_stdout_truncated_in_lists_unless_no_truncate(api: TestClient) -> None:
    job_id = _finished_job(api, "db-stg-01")
    url = f"/api/v2/jobs/{job_id}/job_events/?event=runner_on_failed"
    short = api.get(url, headers=AUTH).json()["results"][0]["stdout"]
    full = api.get(url + "&no_truncate=1", headers=AUTH).json()["results"][0]
    assert len(strip_ansi(short)) <= 1024 and short.endswith("…\x1b[0m")
    assert "E" * 3000 in full["stdout"]
    detail = api.get(f"/api/v2/job_events/{full['id']}/", headers=AUTH).json()
    assert detail["stdout"] == full["stdout"]
    limited = api.get(f"/api/v2/jobs/{job_id}/job_events/?limit=3", headers=AUTH)
    assert list(limited.json()) == ["results"] and len(limited.json()["results"]) == 3
    assert limited.headers["x-ui-max-events"] == "4000"


def test_trailing_slash_redirects(api: TestClient) -> None:
    r = api.get("/api/v2/job_templates?name=x", headers=AUTH, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/api/v2/job_templates/?name=x"
    r = api.post("/api/v2/job_templates/1/launch", json={}, headers=AUTH, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/api/v2/job_templates/1/launch/"


def test_auth(api: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWRtaW46bm9wZQ=="}):
        r = api.get("/api/v2/me/", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="api"'
        assert r.json()["detail"].startswith("Authentication credentials were not provided.")
        assert "x-api-product-version" not in r.headers
    assert api.get("/api/v2/ping/").json()["version"] == "24.6.1"
    me = api.get("/api/v2/me/", auth=("admin", "password"))
    assert me.status_code == 200 and me.json()["count"] == 1 and me.json()["results"][0]["username"] == "admin"
    assert me.headers["x-api-product-name"] == "AWX" and me.headers["x-api-product-version"] == "24.6.1"
    assert me.headers["x-api-time"].endswith("s")


def test_error_bodies(api: TestClient) -> None:
    assert api.get("/api/v2/jobs/999/", headers=AUTH).status_code == 404
    assert api.get("/api/v2/nothing-here/", headers=AUTH).status_code == 404
    r = api.post("/api/v2/jobs/", json={}, headers=AUTH)
    assert r.status_code == 405 and r.json() == {"detail": 'Method "POST" not allowed.'}
    r = api.post("/api/v2/job_templates/1/launch/", content=b"limit=x", headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 415 and "Content-Type must be application/json" in r.json()["detail"]
    r = api.post(
        "/api/v2/job_templates/1/launch/", content=b"[1]", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json() == {"detail": "JSON parse error - not a JSON object"}
    r = api.post("/api/v2/job_templates/1/launch/", json={"extra_vars": "a: [b"}, headers=AUTH)
    assert r.status_code == 400 and r.json()["extra_vars"][0].startswith("Cannot parse as JSON")


def test_pagination_links_and_cap(api: TestClient) -> None:
    first = api.get("/api/v2/inventories/1/hosts/?page_size=10&order_by=name", headers=AUTH).json()
    assert first["count"] == 25 and len(first["results"]) == 10 and first["previous"] is None
    assert first["next"] == "/api/v2/inventories/1/hosts/?order_by=name&page=2&page_size=10"
    names = [h["name"] for h in first["results"]]
    page = first
    while page["next"]:
        page = api.get(page["next"], headers=AUTH).json()
        names += [h["name"] for h in page["results"]]
    assert names == sorted(names) and len(set(names)) == 25
    assert page["previous"] == "/api/v2/inventories/1/hosts/?order_by=name&page=2&page_size=10"
    capped = api.get("/api/v2/hosts/?page_size=500&page=1", headers=AUTH).json()
    assert len(capped["results"]) == 25 and capped["next"] is None
    assert api.get("/api/v2/hosts/?page=9", headers=AUTH).json() == {"detail": "Invalid page."}
    assert list(api.get("/api/v2/hosts/?count_disabled=1", headers=AUTH).json()) == ["results"]
    host = first["results"][0]
    assert isinstance(host["variables"], str) and host["url"].startswith("/api/v2/hosts/")


def test_page_size_cap_written_into_next_link(api: TestClient) -> None:
    api.post("/_emulator/scenario/", json={"duration_s": 0.3})
    tid = 1
    for _ in range(3):
        api.post(f"/api/v2/job_templates/{tid}/launch/", json={"limit": "nope"}, headers=AUTH)
    body = api.get("/api/v2/jobs/?page_size=2", headers=AUTH).json()
    assert body["count"] == 3 and body["next"] == "/api/v2/jobs/?page=2&page_size=2"
    big = api.get("/api/v2/hosts/?page_size=500", headers=AUTH)
    assert big.status_code == 200


def test_filters(api: TestClient) -> None:
    def names(query: str) -> list[str]:
        r = api.get(f"/api/v2/hosts/?page_size=200&{query}", headers=AUTH)
        assert r.status_code == 200, r.text
        return [h["name"] for h in r.json()["results"]]

    assert names("name__icontains=STG&order_by=-name")[:2] == ["web-stg-02", "web-stg-01"]
    assert names("name__in=web-prod-01,db-prod-02") == ["web-prod-01", "db-prod-02"]
    assert names("groups__name=lb") == ["lb-prod-01", "lb-prod-02"]
    assert "lb-prod-01" not in names("not__groups__name=lb")
    assert names("id__lte=2") == ["web-prod-01", "web-prod-02"]
    assert names("host_filter=groups__name=lb or name=ci-01") == ["lb-prod-01", "lb-prod-02", "ci-01"]
    inv_hosts = api.get("/api/v2/inventories/1/hosts/?host_filter=name=ci-01", headers=AUTH).json()
    assert inv_hosts["count"] == 25  # host_filter is ignored on /inventories/{id}/hosts/
    r = api.get("/api/v2/hosts/?colour=blue", headers=AUTH)
    assert r.status_code == 400 and "detail" in r.json()
    jts = api.get("/api/v2/job_templates/?organization__name=Default&name__icontains=patchpilot", headers=AUTH)
    assert jts.json()["count"] == 3


def test_launch_of_unprompted_limit_is_ignored_not_refused(api: TestClient) -> None:
    legacy = api.get("/api/v2/job_templates/?name=legacy-no-prompt", headers=AUTH).json()["results"][0]
    prompts = api.get(f"/api/v2/job_templates/{legacy['id']}/launch/", headers=AUTH).json()
    assert prompts["ask_limit_on_launch"] is False and prompts["ask_variables_on_launch"] is True
    r = api.post(
        f"/api/v2/job_templates/{legacy['id']}/launch/",
        json={"limit": "web-stg-01", "extra_vars": {"patchpilot_job_id": "j1"}},
        headers=AUTH,
    )
    assert r.status_code == 201
    body = r.json()
    assert body["ignored_fields"] == {"limit": "web-stg-01"} and body["limit"] == ""
    assert r.headers["location"] == f"/api/v2/jobs/{body['job']}/" and body["status"] == "pending"
    assert "host_status_counts" not in body and "event_processing_finished" in body
    assert api.get("/_emulator/launches/").json() == {"j1": 1}


def test_controller_prefix_serves_same_tree(api: TestClient) -> None:
    body = api.get("/api/controller/v2/job_templates/?page_size=1", headers=AUTH).json()
    assert body["results"][0]["url"].startswith("/api/controller/v2/job_templates/")
    assert body["next"].startswith("/api/controller/v2/job_templates/?")
