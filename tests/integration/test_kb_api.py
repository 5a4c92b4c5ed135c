"""KB and analyse routes over HTTP (the real app, a real database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.db import connect
from kb import entries

pytestmark = pytest.mark.integration
LOGS = Path(__file__).resolve().parents[2] / "evals" / "logs"
NEW = {
    "slug": "change-freeze",
    "title": "Host is in a change freeze",
    "category": "other",
    "patterns": [r"is in change freeze \S+ until"],
    "solution": "1. Wait for the freeze to end.\n",
    "samples": {"match": ["web-01 is in change freeze CHG1 until tomorrow"], "no_match": ["freeze"]},
}


@pytest.fixture
def client(settings):
    from api.app import create_app

    with connect(settings.db.url) as conn:
        entries.import_file(conn, entries.SEED_PATH, "test")
        conn.commit()
    from core.auth.demo import ensure_demo_users

    with connect(settings.db.url) as conn:
        tokens = ensure_demo_users(conn, settings.home)
        conn.commit()
    app = create_app(settings, awx_ping=lambda: {"version": "test"})
    headers = {"Authorization": f"Bearer {tokens['kb-editor']}"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


def test_analyze_json_and_text(client):
    log = (LOGS / "apt-lock-multi.log").read_text()
    for kwargs in ({"json": {"log": log}}, {"content": log, "headers": {"Content-Type": "text/plain"}}):
        r = client.post("/api/v1/analyze", **kwargs)
        assert r.status_code == 200, r.text
        got = {(f["host"], f["kb"]["slug"]) for f in r.json()["failures"]}
        assert got == {
            ("mon-01", "apt-gpg-key-missing-or-expired"),
            ("app-dev-02", "dpkg-interrupted"),
            ("app-dev-01", "apt-dpkg-lock-held"),
        }


def test_analyze_reads_utf16_and_says_what_it_did(client):
    log = (LOGS / "apt-lock-multi.log").read_text()
    expected = {f["host"] for f in client.post("/api/v1/analyze", json={"log": log}).json()["failures"]}
    for raw, encoding in ((log.encode("utf-16"), "utf-16"), (log.encode("utf-16-le"), "utf-16-le")):
        r = client.post("/api/v1/analyze", content=raw, headers={"Content-Type": "text/plain"})
        assert r.status_code == 200, r.text
        assert {f["host"] for f in r.json()["failures"]} == expected
        assert r.json()["input"]["encoding"] == encoding
    # A UTF-16 section inside an 8-bit log is decoded and reported, not skipped.
    head, sep, tail = log.partition("fatal: ")
    mixed = head.encode() + (sep + tail).encode("utf-16-le")
    r = client.post("/api/v1/analyze", content=mixed, headers={"Content-Type": "text/plain"})
    assert {f["host"] for f in r.json()["failures"]} == expected
    assert any("utf-16-le section" in n for n in r.json()["input"]["notes"])
    latin = log.replace("TASK [", "TASK [Mise à jour ", 1).encode("latin-1")
    r = client.post("/api/v1/analyze", content=latin, headers={"Content-Type": "text/plain"})
    assert r.json()["input"]["encoding"] == "latin-1" and any("latin-1" in n for n in r.json()["input"]["notes"])


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"", "empty"), (bytes(range(256)) * 8, "binary"), (b"Dear operator,\nall is well.\n", "not an AWX/Ansible")],
)
def test_analyze_says_when_the_input_is_not_a_log(client, body, words):
    r = client.post("/api/v1/analyze", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 422 and r.json()["error"] == "not_an_ansible_log", r.text
    assert words in r.json()["detail"]


def test_entries_carry_effectiveness_and_metrics_export_it(client):
    r = client.get("/api/v1/kb/entries", params={"q": "reboot"})
    assert r.status_code == 200 and r.json()
    eff = r.json()[0]["effectiveness"]
    assert set(eff) >= {"hits", "last_seen", "fixed_hosts", "fixed_host_count"} and eff["hits"] == 0
    assert client.get("/api/v1/kb/entries/reboot-timeout").json()["effectiveness"]["hits"] == 0
    assert client.get("/api/v1/kb/unmatched/trend").json() == []
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "patchpilot_kb_unmatched_failures_latest_day 0.0" in metrics.text


def test_suggest_gives_a_pattern_that_matches_its_example(client):
    example = "Transaction test error:\n  installing package foo-1.2.3 needs 12MB on the /srv filesystem"
    r = client.post("/api/v1/kb/suggest", json={"example": example})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["matches_example"] is True and body["test"]["pattern_matches_text"] is True
    assert "installing" in body["pattern"] and body["slug"] and body["title"]
    assert client.post("/api/v1/kb/suggest", json={"example": ""}).status_code == 422


def test_analyze_refuses_extra_fields_and_huge_logs(client, settings):
    assert client.post("/api/v1/analyze", json={"log": "x", "extra": 1}).status_code == 422
    big = "x" * (settings.api.max_body_bytes + 10)
    r = client.post("/api/v1/analyze", content=big, headers={"Content-Type": "text/plain"})
    assert r.status_code == 413


def test_entry_lifecycle(client):
    r = client.post("/api/v1/kb/entries", json=NEW, headers={"X-Patchpilot-User": "erin"})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["conflicts"] == []
    assert client.post("/api/v1/kb/entries", json=NEW).status_code == 409
    body = {k: v for k, v in NEW.items() if k != "slug"} | {"title": "Change freeze in force"}
    r = client.put("/api/v1/kb/entries/change-freeze", json=body)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert [h["version"] for h in client.get("/api/v1/kb/entries/change-freeze/history").json()] == [2, 1]
    assert client.post("/api/v1/kb/entries/change-freeze/disable").json()["enabled"] is False
    assert client.get("/api/v1/kb/entries", params={"q": "freeze"}).json()[0]["slug"] == "change-freeze"
    assert client.get("/api/v1/kb/entries/nope").status_code == 404


def test_bad_pattern_is_a_clear_422(client):
    r = client.post("/api/v1/kb/entries", json=NEW | {"patterns": ["(a"]})
    assert r.status_code == 422 and r.json()["error"] == "invalid_pattern" and "missing" in r.json()["detail"]
    r = client.post("/api/v1/kb/entries", json=NEW | {"patterns": ["nothing like it"]})
    assert r.status_code == 422 and r.json()["error"] == "sample_mismatch"


def test_pattern_test_reports_kb_hits_and_conflicts(client):
    r = client.post("/api/v1/kb/test", json={"pattern": "(a+)+$", "text": "Missing sudo password"})
    assert r.status_code == 200
    assert r.json()["text_best"] == "become-password-missing" and r.json()["pattern_matches_text"] is False
    r = client.post("/api/v1/kb/test", json={"pattern": "sudo password"})
    slugs = {s["slug"] for s in r.json()["other_entries_samples"]}
    assert {"become-password-missing", "become-password-incorrect"} <= slugs


def test_unmatched_and_reanalyse_unknown_job(client):
    assert client.get("/api/v1/kb/unmatched").json() == []
    assert client.post("/api/v1/jobs/999999/reanalyse").status_code == 404


def test_a_stale_edit_is_refused_not_silently_overwritten(client):
    entry = {
        "slug": "stale-edit",
        "title": "Frobnicator crashed",
        "category": "other",
        "patterns": ["frobnicator crashed"],
        "solution": "Restart it.",
        "samples": {"match": ["frobnicator crashed (core dumped)"], "no_match": []},
    }
    created = client.post("/api/v1/kb/entries", json=entry).json()
    body = {k: v for k, v in entry.items() if k != "slug"}
    first = client.put(
        "/api/v1/kb/entries/stale-edit",
        params={"version": created["version"]},
        json={**body, "solution": "Restart it with `systemctl restart frobnicator`."},
    )
    assert first.status_code == 200 and first.json()["version"] == created["version"] + 1
    second = client.put(
        "/api/v1/kb/entries/stale-edit",
        params={"version": created["version"]},
        json={**body, "solution": "Reboot the host."},
    )
    assert second.status_code == 409 and "changed since you opened it" in second.json()["detail"]
    assert "systemctl restart" in client.get("/api/v1/kb/entries/stale-edit").json()["solution"]


def test_the_kb_answers_are_typed_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]

    def answer(path: str, method: str) -> dict:
        return paths[f"/api/v1{path}"][method]["responses"]["200"]["content"]["application/json"]["schema"]

    assert answer("/kb/test", "post") == {"$ref": "#/components/schemas/PatternTestResult"}
    assert answer("/kb/suggest", "post") == {"$ref": "#/components/schemas/KbSuggestion"}
    assert answer("/kb/unmatched", "get")["items"] == {"$ref": "#/components/schemas/UnmatchedGroup"}
    assert answer("/kb/unmatched/trend", "get")["items"] == {"$ref": "#/components/schemas/UnmatchedDay"}
    assert answer("/jobs/{job_id}/reanalyse", "post")["items"] == {"$ref": "#/components/schemas/JobFailure"}
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Job"]["properties"]["failures"]["items"] == {"$ref": "#/components/schemas/JobFailure"}


def test_a_pattern_test_answers_only_what_was_asked(client):
    text_only = client.post("/api/v1/kb/test", json={"text": "Missing sudo password"}).json()
    assert text_only == {"text_matches": text_only["text_matches"], "text_best": "become-password-missing"}
    pattern_only = client.post("/api/v1/kb/test", json={"pattern": "sudo password"}).json()
    assert set(pattern_only) == {"other_entries_samples", "past_failures", "conflicts"}
    both = client.post("/api/v1/kb/test", json={"pattern": "nope", "text": "Missing sudo password"}).json()
    assert set(both) == set(text_only) | set(pattern_only) | {"pattern_matches_text", "pattern_match"}
    assert both["pattern_matches_text"] is False and both["pattern_match"] is None
    text = "fatal: Missing SUDO password for web-01"
    found = client.post("/api/v1/kb/test", json={"pattern": r"sudo\s+password", "text": text}).json()
    assert found["pattern_matches_text"] is True and found["pattern_match"] == "SUDO password"  # case-insensitive


def test_unmatched_groups_trend_and_reanalysis_of_a_stored_job(client, settings):
    log = (LOGS / "unmatched-failure.log").read_text()
    with connect(settings.db.url) as conn:
        job_id = conn.execute(
            "INSERT INTO ops.jobs (action, intent, hosts, requested_by, status) "
            "VALUES ('patch', '{}', ARRAY['web-prod-02'], 'test', 'failed') RETURNING id"
        ).fetchone()["id"]
        conn.execute(
            "INSERT INTO ops.job_stdout (job_id, content, size_bytes) VALUES (%s, %s, %s)", (job_id, log, len(log))
        )
        conn.commit()
    r = client.post(f"/api/v1/jobs/{job_id}/reanalyse")
    assert r.status_code == 200, r.text
    unmatched = [f for f in r.json() if f["kb"] is None]
    assert [f["host"] for f in unmatched] == ["web-prod-02"]
    assert set(unmatched[0]) == {"host", "task", "message", "kb", "related"}
    [group] = client.get("/api/v1/kb/unmatched").json()
    assert set(group) == {
        "id", "template", "example", "example_job_id", "first_seen", "last_seen", "count", "hosts", "tasks"
    }  # fmt: skip
    assert (group["count"], group["hosts"], group["example_job_id"]) == (1, ["web-prod-02"], job_id)
    [day] = client.get("/api/v1/kb/unmatched/trend").json()
    assert (day["failures"], day["groups"]) == (1, 1) and len(day["day"]) == len("2026-01-01")
    assert day["day"] == group["last_seen"][:10]


def test_search_finds_every_word_in_patterns_and_samples_too(client):
    assert client.post("/api/v1/kb/entries", json=NEW).status_code == 201

    def found(q: str) -> list[str]:
        r = client.get("/api/v1/kb/entries", params={"q": q, "limit": 500})
        assert r.status_code == 200, r.text
        return [e["slug"] for e in r.json()]

    assert "change-freeze" in found("CHG1 TOMORROW")  # two words of a match sample, any case, any order
    assert "change-freeze" in found(r"\S+ until")  # a pattern's text
    assert "change-freeze" in found("freeze wait")  # the title and the solution
    assert "change-freeze" not in found("freeze kernel")  # every word must be there
    assert found("zzqx-nothing-has-this") == []
    assert len(found("   ")) == len(found("")) > 1  # no words: every entry


def test_an_update_that_omits_the_wrapper_flag_keeps_it(client):
    """The editor does not show the flag: its save must not clear it; an explicit value sets it."""
    r = client.post("/api/v1/kb/entries", json=NEW | {"wrapper": True})
    assert r.status_code == 201 and r.json()["wrapper"] is True, r.text
    body = {k: v for k, v in NEW.items() if k != "slug"} | {"title": "Change freeze in force"}
    r = client.put("/api/v1/kb/entries/change-freeze", json=body)
    assert r.status_code == 200 and r.json()["wrapper"] is True and r.json()["version"] == 2
    r = client.put("/api/v1/kb/entries/change-freeze", json=body | {"wrapper": False})
    assert r.status_code == 200 and r.json()["wrapper"] is False
    assert client.put("/api/v1/kb/entries/change-freeze", json=body | {"wrapper": "often"}).status_code == 422


def test_the_list_filters_wrapper_entries_on_the_server(client):
    def slugs(**params) -> tuple[int, list[dict]]:
        r = client.get("/api/v1/kb/entries", params={"limit": 500, **params})
        return r.status_code, r.json()

    _, every = slugs()
    status, wrappers = slugs(wrapper="true")
    assert status == 200 and wrappers and all(e["wrapper"] for e in wrappers)
    _, causes = slugs(wrapper="false")
    assert causes and not any(e["wrapper"] for e in causes)
    assert sorted(e["slug"] for e in wrappers + causes) == sorted(e["slug"] for e in every)
    _, dnf_wrappers = slugs(wrapper="true", q="dnf")
    assert {e["slug"] for e in dnf_wrappers} < {e["slug"] for e in wrappers}
    status, body = slugs(wrapper="often")
    assert status == 422 and "wrapper" in str(body)
