"""Secret safety (issue #6): secrets planted in AWX output, extra_vars echoed by modules, chat messages and KB
text appear in no database row, no API response and no request to the (fake) LLM server."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from bench.fake_openai import FakeOpenAI
from core.db import commit, connect
from core.enums import AnalysisState
from core.intent import PatchIntent
from tests.integration.conftest import bearer, wait_for
from tests.unit.test_redact import SECRET_VALUES, SECRETS
from workers.jobs import service

pytestmark = pytest.mark.integration

AWX = [k for k in SECRETS if k.startswith(("awx_", "xv_"))]
CHAT = [k for k in SECRETS if k.startswith("chat_")]
KB = [k for k in SECRETS if k.startswith("kb_")]


def _values(keys: list[str]) -> list[str]:
    return [v for k in keys for v in SECRET_VALUES.get(k, [])]


def _database_text(url: str) -> str:
    """Every row of every table in the database (every schema but PostgreSQL's own: ops, kb, chat, langgraph's
    checkpoint tables wherever they live), bytea included, as one text."""
    parts: list[str] = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(value if isinstance(value, str) else json.dumps(value, default=str))
    return "\n".join(parts)


def _leaks(haystack: str, values: list[str]) -> list[str]:
    return [v for v in values if v in haystack]


@pytest.fixture
def api(pipeline_settings, demo_tokens):
    from api.app import create_app

    app = create_app(pipeline_settings, awx_ping=lambda: {})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_awx_output_secrets_are_redacted_before_storage_and_display(
    awx_settings, inventory, worker, emulator, demo_tokens
):
    import httpx

    planted = "\n".join(SECRETS[k] for k in AWX)
    scenario = {
        "duration_s": 0.6,
        "event_lag_s": 0.2,
        "default_outcome": "changed",
        "hosts": {"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left", "message": planted}},
    }
    httpx.post(f"{emulator.url}/_emulator/scenario/", json=scenario, timeout=10).raise_for_status()
    with connect(awx_settings.db.url) as conn:
        job = service.submit(
            conn,
            PatchIntent(action="patch", hosts=["web-stg-01", "web-stg-02"]),
            requested_by="operator",
            settings=awx_settings,
            inventory=inventory,
        )
        commit(conn)

    def done():  # the final status commits first, the analysed failures in a later commit (analysis 'done')
        with connect(awx_settings.db.url) as conn:
            got = service.get_job(conn, job.id)
            return got.status.terminal and got.analysis is AnalysisState.done

    wait_for(done, timeout=60)
    values = _values(AWX)
    assert len(values) >= 25
    raw = httpx.get(
        f"{emulator.url}/api/v2/jobs/{1}/stdout/?format=txt",
        headers={"Authorization": "Bearer emulator-token"},
        timeout=10,
    ).text
    assert len(_leaks(raw, values)) >= 20, "the AWX log really carries the planted secrets"

    from api.app import create_app

    with TestClient(create_app(awx_settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
        auth = bearer(demo_tokens["operator"])
        job_json = client.get(f"/api/v1/jobs/{job.id}", headers=auth)
        stdout = client.get(f"/api/v1/jobs/{job.id}/stdout", headers=auth)
        analysed = client.post("/api/v1/analyze", json={"log": raw}, headers=auth)
    assert job_json.status_code == stdout.status_code == analysed.status_code == 200
    assert any(f["host"] == "web-stg-02" for f in job_json.json()["failures"])
    assert _leaks(job_json.text, values) == []
    assert _leaks(stdout.text, values) == []
    assert _leaks(analysed.text, values) == []
    assert _leaks(_database_text(awx_settings.db.url), values) == []


def test_chat_secrets_never_reach_the_llm_or_the_database(pipeline_settings, demo_tokens):
    from api.app import create_app

    fake = FakeOpenAI()
    with fake.running():
        settings = pipeline_settings.model_copy(
            update={
                "llm": pipeline_settings.llm.model_copy(
                    update={"base_url": fake.base_url, "api_key": "sk-test", "model": "fake"}
                ),
                "api": pipeline_settings.api.model_copy(update={"chat_rate_limit": 0}),
            }
        )
        assert settings.llm_enabled
        with TestClient(create_app(settings, awx_ping=lambda: {}), raise_server_exceptions=False) as client:
            for i, key in enumerate(CHAT):
                r = client.post(
                    "/api/v1/chat",
                    headers=bearer(demo_tokens["operator"]),
                    json={"session_id": "secrets", "message": f"patch web-stg-0{1 + i % 2}. {SECRETS[key]}"},
                )
                assert r.status_code == 200, r.text
                assert _leaks(r.text, _values([key])) == []
    values = _values(CHAT)
    assert fake.requests, "the LLM was asked"
    assert _leaks(json.dumps(fake.requests), values) == []
    assert _leaks(_database_text(pipeline_settings.db.url), values) == []


def test_kb_text_secrets_are_redacted_on_save(api, pipeline_settings, demo_tokens):
    entry: dict[str, Any] = {
        "slug": "secret-laden-entry",
        "title": "Service refuses the login",
        "category": "other",
        "patterns": ["rejected by server"],
        "solution": "Check the config.\n" + "\n".join(SECRETS[k] for k in KB),
        "samples": {"match": [SECRETS["kb_sample"] + "\nrejected by server"], "no_match": []},
    }
    r = api.post("/api/v1/kb/entries", json=entry, headers=bearer(demo_tokens["kb-editor"]))
    assert r.status_code == 201, r.text
    # A second version, so the history holds two copies of the text.
    entry["solution"] += "\nAlso: " + SECRETS["kb_root_prose"]
    update = {k: v for k, v in entry.items() if k != "slug"}
    r2 = api.put("/api/v1/kb/entries/secret-laden-entry", json=update, headers=bearer(demo_tokens["kb-editor"]))
    assert r2.status_code == 200, r2.text
    values = _values(KB)
    got = api.get("/api/v1/kb/entries/secret-laden-entry", headers=bearer(demo_tokens["viewer"]))
    history = api.get("/api/v1/kb/entries/secret-laden-entry/history", headers=bearer(demo_tokens["viewer"]))
    assert history.status_code == 200 and len(history.json()) >= 2
    assert "[REDACTED]" in got.text
    assert _leaks(r.text + r2.text + got.text + history.text, values) == []
    assert _leaks(_database_text(pipeline_settings.db.url), values) == []


def test_at_least_fifty_planted_secrets_in_prose_and_token_forms():
    assert len(_values(AWX + CHAT + KB)) >= 50
    prose = [k for k in SECRETS if "prose" in k or k.endswith(("_pw_colon", "_passphrase", "_secret_eq", "_quoted"))]
    assert len(prose) >= 8
