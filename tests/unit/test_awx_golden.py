"""The emulator against golden fixtures written from the AWX source (tests/golden/awx/, see its README).

Each fixture names an endpoint the client calls, the request, and what AWX answers: status,
content type (the renderer) and the response shape (every key and its JSON type). The test
drives the emulator through the same requests and diffs; the diff must be empty.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from workers.emulator import Scenario, create_app

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "awx"
AUTH = {"Authorization": "Bearer emulator-token"}
JSON_TYPES: dict[str, Any] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _fixtures() -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) | {"name": p.stem} for p in sorted(GOLDEN.glob("*.json"))]
    # requests that change state (cancels) go last, so the others see the objects as they were
    return sorted(found, key=lambda f: (f["method"] == "POST" and "cancel" in f["name"], f["name"]))


def diff_shape(value: Any, spec: Any, where: str, *, extra_keys: bool = False) -> list[str]:
    """Differences between a JSON value and a golden shape ("int|null", {"list_of": ...} or {key: shape})."""
    if isinstance(spec, str):
        ok = any(JSON_TYPES[t](value) for t in spec.split("|"))
        return [] if ok else [f"{where}: {type(value).__name__} {value!r:.60} is not {spec}"]
    if isinstance(spec, dict) and set(spec) == {"list_of"}:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [d for i, item in enumerate(value) for d in diff_shape(item, spec["list_of"], f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    out = [f"{where}: missing key {k!r}" for k in spec if k not in value]
    if not extra_keys:
        out += [f"{where}: key {k!r} is not in AWX's response" for k in value if k not in spec]
    return out + [d for k in spec if k in value for d in diff_shape(value[k], spec[k], f"{where}.{k}")]


@pytest.fixture(scope="module")
def world() -> tuple[TestClient, dict[str, Any]]:
    scenario = Scenario.model_validate(
        {
            "duration_s": 0.4,
            "event_lag_s": 0.05,
            "hosts": {"web-stg-02": {"outcome": "failed", "family": "dnf-no-space-left"}, "db-stg-01": "hang"},
            "templates": [
                {"name": "patchpilot-patch", "playbook": "playbooks/patch.yml", "allow_simultaneous": True},
                {
                    "name": "golden-sliced",
                    "playbook": "playbooks/patch.yml",
                    "job_slice_count": 2,
                    "allow_simultaneous": True,
                },
            ],
        }
    )
    api = TestClient(create_app(scenario), base_url="http://awx.test")
    tpl = {t["name"]: t["id"] for t in api.get("/api/v2/job_templates/", headers=AUTH).json()["results"]}

    def launch(template: int, limit: str) -> dict[str, Any]:
        r = api.post(f"/api/v2/job_templates/{template}/launch/", json={"limit": limit}, headers=AUTH)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    job = launch(tpl["patchpilot-patch"], "web-stg-01,web-stg-02")["job"]
    running = launch(tpl["patchpilot-patch"], "db-stg-01")["job"]
    flow = launch(tpl["golden-sliced"], "db-stg-01,web-stg-01")["workflow_job"]
    deadline = time.monotonic() + 10
    while not api.get(f"/api/v2/jobs/{job}/", headers=AUTH).json()["event_processing_finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    values = {
        "template": tpl["patchpilot-patch"], "sliced_template": tpl["golden-sliced"], "job": job, "failed_job": job,
        "running_job": running, "workflow_job": flow, "inventory": 1, "project": 1, "credential": 1,
        "organization_name": "Default", "inventory_name": scenario.inventory_name, "project_name": scenario.project,
        "template_name": "patchpilot-patch",
    }  # fmt: skip
    return api, values


def _fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            return values[value[1:-1]]
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def test_golden_fixtures_cite_the_awx_commit() -> None:
    fixtures = _fixtures()
    assert len(fixtures) >= 30
    assert {f["awx_commit"] for f in fixtures} == {"e21dd0a0933fd544d1fe2513c54fe41203775eb5"}
    assert all(f["source"] for f in fixtures)


def test_emulator_matches_the_golden_fixtures(world: tuple[TestClient, dict[str, Any]]) -> None:
    api, values = world
    diffs: list[str] = []
    for fx in _fixtures():
        headers = dict(AUTH) if fx.get("auth", True) else {}
        headers["Accept"] = fx.get("accept", "application/json")
        path = "/api/v2/" + _fill(fx["path"], values)
        body = _fill(fx["body"], values) if "body" in fx else None
        r = api.request(fx["method"], path, headers=headers, json=body)
        name = fx["name"]
        if r.status_code != fx["status"]:
            diffs.append(f"{name}: status {r.status_code}, AWX answers {fx['status']} ({r.text[:200]})")
            continue
        ctype = r.headers.get("content-type", "").split(";")[0]
        if fx["content_type"] is None:
            if r.content:
                diffs.append(f"{name}: AWX sends no body, the emulator sent {r.text[:80]!r}")
        elif ctype != fx["content_type"]:
            diffs.append(f"{name}: content type {ctype!r}, AWX renders {fx['content_type']!r}")
        for key, want in (fx.get("headers") or {}).items():
            if r.headers.get(key) != _fill(want, values):
                diffs.append(f"{name}: header {key} is {r.headers.get(key)!r}, AWX sends {_fill(want, values)!r}")
        if isinstance(fx["shape"], (dict, str)) and fx["shape"] != "text":
            diffs += diff_shape(r.json(), fx["shape"], name, extra_keys=fx.get("extra_keys", False))
    assert diffs == []


def test_the_diff_sees_a_missing_key_a_new_key_and_a_wrong_type() -> None:
    spec = {"id": "int", "results": {"list_of": {"name": "str", "ok": "bool|null"}}}
    value = {"id": "7", "extra": 1, "results": [{"name": "a", "ok": None}, {"ok": 1}]}
    assert diff_shape(value, spec, "x") == [
        "x: key 'extra' is not in AWX's response",
        "x.id: str '7' is not int",
        "x.results[1]: missing key 'name'",
        "x.results[1].ok: int 1 is not bool|null",
    ]
