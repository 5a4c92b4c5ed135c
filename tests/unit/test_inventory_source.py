"""The inventory source: settings (production needs one, never the demo file), the emulator's AWX inventory
endpoints (shapes from ansible/awx serializers), and AWX variables as JSON or YAML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from core.errors import ValidationFailed
from core.settings import DEMO_INVENTORY, Settings
from workers.awx.inventory import parse_variables
from workers.emulator import Scenario, create_app
from workers.inventory.models import InventorySource

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": "Bearer emulator-token"}
PROD = {"env": "production", "auth": {"secret_key": "3f9c0e1d2b4a5968778695a4b3c2d1e0"}, "awx": {"token": "Rk9PQkFS"}}
# ansible/awx e21dd0a awx/api/serializers.py: BaseSerializer's '*' plus each serializer's Meta.fields.
ENVELOPE = {"id", "type", "url", "related", "summary_fields", "created", "modified", "name", "description"}
HOST_FIELDS = ENVELOPE | {"inventory", "enabled", "instance_id", "variables", "has_active_failures",
                          "has_inventory_sources", "last_job", "last_job_host_summary", "ansible_facts_modified"}  # fmt: skip
GROUP_FIELDS = ENVELOPE | {"inventory", "variables"}
INVENTORY_FIELDS = ENVELOPE | {"organization", "kind", "host_filter", "variables", "has_active_failures",
                               "total_hosts", "hosts_with_active_failures", "total_groups", "has_inventory_sources",
                               "total_inventory_sources", "inventory_sources_with_failures", "pending_deletion",
                               "prevent_instance_group_fallback"}  # fmt: skip


# --- settings ------------------------------------------------------------------


def test_production_refuses_to_start_without_an_inventory_source() -> None:
    with pytest.raises(ValidationError, match="no inventory source: set PATCHPILOT_INVENTORY__SOURCE"):
        Settings.model_validate(PROD)
    with pytest.raises(ValidationError, match="PATCHPILOT_INVENTORY__PATH"):
        Settings.model_validate({**PROD, "inventory": {"source": "file"}})
    with pytest.raises(ValidationError, match="is the demo inventory"):
        Settings.model_validate({**PROD, "inventory": {"source": "file", "path": str(DEMO_INVENTORY)}})
    with pytest.raises(ValidationError, match="is the demo inventory"):  # the old setting's name too
        Settings.model_validate(
            {**PROD, "inventory": {"source": "file"}, "jobs": {"inventory_path": "evals/inventory.yaml"}}
        )
    copy = Path(__file__).parent / "no-such-dir" / "x.yaml"
    assert not copy.exists()  # a path that does not exist yet is not refused here (the sync says it is missing)
    Settings.model_validate({**PROD, "inventory": {"source": "file", "path": str(copy)}})
    awx = Settings.model_validate({**PROD, "inventory": {"source": "awx"}})
    assert awx.inventory_source is InventorySource.awx and awx.inventory_path is None


def test_a_copy_of_the_demo_fleet_is_refused_in_production(tmp_path: Path) -> None:
    copy = tmp_path / "fleet.yaml"
    copy.write_bytes(DEMO_INVENTORY.read_bytes())
    with pytest.raises(ValidationError, match="is the demo inventory"):
        Settings.model_validate({**PROD, "inventory": {"source": "file", "path": str(copy)}})
    copy.write_text("all: {hosts: {real-01: {}}}\n")
    assert Settings.model_validate({**PROD, "inventory": {"source": "file", "path": str(copy)}}).inventory_path == copy


def test_development_defaults_to_the_demo_file_and_honours_a_given_one(tmp_path: Path) -> None:
    dev = Settings()
    assert dev.inventory_source is InventorySource.file and dev.inventory_path == DEMO_INVENTORY
    fleet = tmp_path / "fleet.yaml"
    assert Settings.model_validate({"jobs": {"inventory_path": str(fleet)}}).inventory_path == fleet
    mine = Settings.model_validate({**PROD, "inventory": {"source": "file", "path": str(fleet)}})
    assert mine.inventory_path == fleet


def test_no_process_starts_in_production_without_a_source(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PATCHPILOT_ENV": "production", "PATCHPILOT_HOME": str(tmp_path),
           "PATCHPILOT_AUTH__SECRET_KEY": PROD["auth"]["secret_key"], "PATCHPILOT_AWX__TOKEN": "Rk9PQkFS",  # type: ignore[index]
           "PATCHPILOT_DB__URL": "postgresql://nobody@127.0.0.1:9/none"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "api"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert run.returncode != 0 and "no inventory source: set PATCHPILOT_INVENTORY__SOURCE" in run.stderr


# --- AWX variables ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"env": "prod", "ports": [80]}', {"env": "prod", "ports": [80]}),
        ("---\nenv: prod\nports:\n  - 80\n", {"env": "prod", "ports": [80]}),
        ("env: prod\ncritical: yes", {"env": "prod", "critical": True}),
        ("", {}),
        ("---\n", {}),
        ({"already": "parsed"}, {"already": "parsed"}),
    ],
)
def test_variables_json_or_yaml(text: object, expected: dict[str, object]) -> None:
    assert parse_variables(text, "host a") == expected


@pytest.mark.parametrize(("text", "reason"), [("[1, 2]", "not a mapping"), ("a: [b", "neither JSON nor YAML"),
                                              ("42", "not a mapping")])  # fmt: skip
def test_variables_that_are_not_a_mapping_are_refused_naming_the_owner(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed, match=f"the variables of AWX host 'web-01' are {reason}"):
        parse_variables(text, "AWX host 'web-01'")


# --- the emulator's inventory endpoints --------------------------------------------


@pytest.fixture
def api() -> TestClient:
    return TestClient(create_app(Scenario()), base_url="http://awx.test")


def _get(api: TestClient, path: str) -> dict[str, object]:
    r = api.get(f"/api/v2/{path}", headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_inventory_host_and_group_shapes(api: TestClient) -> None:
    inv = _get(api, "inventories/1/")
    assert set(inv) == INVENTORY_FIELDS and inv["variables"] == '{"ansible_user": "patch"}'
    hosts = _get(api, "inventories/1/hosts/?page_size=200")
    assert hosts["count"] == 25 and set(hosts) == {"count", "next", "previous", "results"}
    first = hosts["results"][0]  # type: ignore[index]
    assert set(first) == HOST_FIELDS and first["enabled"] is True and isinstance(first["variables"], str)
    names = [h["name"] for h in hosts["results"]]  # type: ignore[attr-defined]
    assert names == sorted(names)  # Host Meta.ordering = ('name',)
    groups = _get(api, "inventories/1/groups/")
    assert {"all", "ungrouped"}.isdisjoint(g["name"] for g in groups["results"])  # type: ignore[attr-defined]
    rhel = next(g for g in groups["results"] if g["name"] == "rhel")  # type: ignore[attr-defined]
    assert set(rhel) == GROUP_FIELDS and rhel["related"]["children"] == f"/api/v2/groups/{rhel['id']}/children/"
    children = _get(api, f"groups/{rhel['id']}/children/")
    assert [c["name"] for c in children["results"]] == ["rhel8", "rhel9"]  # type: ignore[attr-defined]
    assert _get(api, f"groups/{rhel['id']}/hosts/")["count"] == 0  # direct hosts only
    assert _get(api, f"groups/{rhel['id']}/all_hosts/")["count"] == 16  # through the children
    assert api.get("/api/v2/inventories/7/hosts/", headers=AUTH).status_code == 404
    assert api.get("/api/v2/groups/999/children/", headers=AUTH).status_code == 404


def test_group_hosts_page_with_relative_next_links(api: TestClient) -> None:
    prod = next(g for g in _get(api, "inventories/1/groups/?name=prod")["results"])  # type: ignore[attr-defined]
    page = _get(api, f"groups/{prod['id']}/hosts/?page_size=5")
    seen = [h["name"] for h in page["results"]]  # type: ignore[attr-defined]
    while page["next"]:
        assert str(page["next"]).startswith(f"/api/v2/groups/{prod['id']}/hosts/?")
        page = api.get(str(page["next"]), headers=AUTH).json()
        seen += [h["name"] for h in page["results"]]  # type: ignore[attr-defined]
    assert len(seen) == len(set(seen)) == 16


def test_patch_enabled_and_variables_as_an_awx_admin(api: TestClient) -> None:
    host = _get(api, "inventories/1/hosts/?name=web-stg-02")["results"][0]  # type: ignore[index]
    url = f"/api/v2/hosts/{host['id']}/"
    r = api.patch(url, json={"enabled": False, "variables": "---\nenv: staging\n"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["variables"] == "---\nenv: staging\n"
    assert _get(api, "inventories/1/hosts/?enabled=false")["count"] == 1
    assert api.patch(url, json={"enabled": "maybe"}, headers=AUTH).status_code == 400
    bad = api.patch(url, json={"variables": "[1, 2]"}, headers=AUTH)
    assert bad.status_code == 400 and "variables" in bad.json()
    assert _get(api, f"hosts/{host['id']}/")["variables"] == "---\nenv: staging\n"  # the refused change left nothing
    api.post("/_emulator/reset/")
    assert _get(api, f"hosts/{host['id']}/")["enabled"] is True  # a reset reloads the scenario's inventory


def test_describe_says_what_a_sync_changed_or_why_it_failed() -> None:
    from datetime import UTC, datetime

    from workers.inventory.models import Changes, SyncResult, SyncStatus
    from workers.inventory.service import describe

    at = datetime(2000, 1, 1, tzinfo=UTC)  # any instant: describe never reads a clock
    changed = SyncResult(id=2, source=InventorySource.awx, ref="AWX inventory 3 'Prod'", status=SyncStatus.succeeded,
                         at=at, hosts=2, groups=1, changes=Changes(hosts_added=["a"], hosts_disabled=["b"]))  # fmt: skip
    assert describe(changed) == [
        "inventory synced from AWX inventory 3 'Prod': 2 hosts, 1 groups",
        "  hosts added (1): a",
        "  hosts disabled (1): b",
    ]
    same = changed.model_copy(update={"changes": Changes()})
    assert describe(same)[-1] == "  no change"
    failed = changed.model_copy(update={"status": SyncStatus.failed, "error": "AWX answered 503"})
    assert describe(failed) == [
        "inventory sync failed (AWX inventory 3 'Prod'): AWX answered 503",
        "the previous inventory is kept",
    ]
