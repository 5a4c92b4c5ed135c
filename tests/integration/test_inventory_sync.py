"""The AWX inventory is the source of truth: synced over real HTTP from the emulator into PostgreSQL, resolved against.

Every test drives the real reader (workers.awx.inventory over AwxHttp) against the emulator in a thread and the
real PostgreSQL of the test; the emulator is changed only through AWX's own API (PATCH hosts/N/, groups/N/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.db import DictConn, commit, connect, rollback
from core.errors import ValidationFailed
from core.inventory import Inventory
from core.settings import Settings
from tests import services
from tests.integration.conftest import INVENTORY, settings_env
from workers.inventory import service
from workers.inventory.models import InventorySource, Snapshot, SourceGroup, SourceHost, SyncStatus

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer emulator-token"}


@pytest.fixture
def awx(settings: Settings, emulator: Any) -> Settings:
    """Settings whose inventory source is the AWX emulator (no retries: a refused request fails at once)."""
    return settings.model_copy(
        update={
            "awx": settings.awx.model_copy(update={"url": emulator.url, "retries": 0}),
            "inventory": settings.inventory.model_copy(update={"source": InventorySource.awx}),
        }
    )


@pytest.fixture
def conn(settings: Settings) -> Iterator[DictConn]:
    with connect(settings.db.url or "") as c:
        yield c


def _sync(conn: DictConn, settings: Settings, **kw: Any) -> Any:
    result = service.sync(conn, settings, now=service.db_now(conn), **kw)
    commit(conn)
    return result


def _awx(emulator: Any, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, f"{emulator.url}/api/v2/{path}", headers=AUTH, timeout=10, **kw)
    assert r.status_code < 300, r.text
    return r.json()


def _host_id(emulator: Any, name: str) -> int:
    return int(_awx(emulator, "GET", f"inventories/1/hosts/?name={name}")["results"][0]["id"])


def test_sync_loads_the_demo_inventory_as_the_file_has_it(conn: DictConn, awx: Settings) -> None:
    result = _sync(conn, awx)
    assert result.status is SyncStatus.succeeded, result.error
    assert result.ref.startswith("AWX inventory 1 'patchpilot-demo'") and "patchpilot-patch" in result.ref
    stored = service.current(conn, awx)
    demo = Inventory.load(INVENTORY)
    assert sorted(stored.hosts) == sorted(demo.hosts) and len(stored.hosts) == 25
    for name, host in demo.hosts.items():  # merged variables (inventory vars under host vars) and every group
        assert stored.hosts[name].vars == host.vars, name
        assert stored.hosts[name].groups == host.groups, name
        assert stored.hosts[name].enabled
    assert stored.groups["rhel"] == demo.groups["rhel"]  # through its children rhel8 and rhel9
    assert stored.hosts["db-prod-01"].vars["ansible_user"] == "patch"  # the inventory's own variables
    assert stored.critical(["db-prod-01", "web-prod-01"]) == ["db-prod-01"]
    assert sorted(stored.pattern("web:&prod")) == ["web-prod-01", "web-prod-02", "web-prod-03", "web-prod-04"]
    assert sorted(result.changes.hosts_added) == sorted(demo.hosts)
    again = _sync(conn, awx)
    assert again.status is SyncStatus.succeeded and again.changes.empty


@pytest.mark.parametrize("base_path", ["/api/v2/", "/api/controller/v2/"])  # AAP 2.5+ gateway prefix too
def test_paging_smaller_than_the_host_count(conn: DictConn, awx: Settings, emulator: Any, base_path: str) -> None:
    small = awx.model_copy(
        update={
            "inventory": awx.inventory.model_copy(update={"page_size": 4}),
            "awx": awx.awx.model_copy(update={"base_path": base_path}),
        }
    )
    before = httpx.get(f"{emulator.url}/_emulator/stats/", timeout=5).json()["requests"]
    result = _sync(conn, small)
    requests = httpx.get(f"{emulator.url}/_emulator/stats/", timeout=5).json()["requests"] - before
    assert result.status is SyncStatus.succeeded and result.hosts == 25 and result.groups == 13
    assert requests >= 7 + 4  # 25 hosts take 7 pages of 4, 13 groups 4 pages, before any group's members
    listing = service.listing(conn)
    assert len({h.name for h in listing.hosts}) == 25
    prod = next(g for g in listing.groups if g.name == "prod")
    assert len(prod.hosts) == 16  # a group's hosts also come in pages of 4


def test_yaml_and_json_variables(conn: DictConn, awx: Settings, emulator: Any) -> None:
    assert _sync(conn, awx).status is SyncStatus.succeeded
    hid = _host_id(emulator, "web-stg-01")
    _awx(
        emulator,
        "PATCH",
        f"hosts/{hid}/",
        json={"variables": "---\nenv: staging\nrole: web\nos: rhel9\nports: [80, 443]\nansible_become_pass: hunter2\n"},
    )
    prod = _awx(emulator, "GET", "inventories/1/groups/?name=prod")["results"][0]
    _awx(emulator, "PATCH", f"groups/{prod['id']}/", json={"variables": json.dumps({"tier": "gold", "critical": True})})
    rhel = _awx(emulator, "GET", "inventories/1/groups/?name=rhel")["results"][0]
    _awx(emulator, "PATCH", f"groups/{rhel['id']}/", json={"variables": "---\npkg_mgr: dnf\n"})
    host = _awx(emulator, "GET", f"hosts/{hid}/")
    assert host["variables"].startswith("---") and isinstance(host["enabled"], bool)

    result = _sync(conn, awx)
    assert result.status is SyncStatus.succeeded, result.error
    listing = service.listing(conn)
    stg = next(h for h in listing.hosts if h.name == "web-stg-01")
    assert stg.variables == {
        "env": "staging", "role": "web", "os": "rhel9", "ports": [80, 443], "ansible_become_pass": "[REDACTED]"
    }  # fmt: skip  # a secret never reaches the database
    assert next(g for g in listing.groups if g.name == "prod").variables == {"tier": "gold", "critical": True}
    inv = service.current(conn, awx)
    assert inv.hosts["web-prod-01"].vars["tier"] == "gold"  # group variables reach the members
    assert inv.critical(["web-prod-01"]) == ["web-prod-01"]
    assert inv.hosts["web-stg-02"].vars["pkg_mgr"] == "dnf"  # through rhel -> rhel9
    assert sorted(result.changes.groups_changed) == ["prod", "rhel"]
    assert result.changes.hosts_changed == ["web-stg-01"] and result.changes.hosts_added == []


def test_disabled_host_is_refused_before_launch(conn: DictConn, awx: Settings, emulator: Any) -> None:
    from core.intent import PatchIntent
    from workers.jobs import service as jobs

    _awx(emulator, "PATCH", f"hosts/{_host_id(emulator, 'web-stg-02')}/", json={"enabled": False})
    result = _sync(conn, awx)
    assert result.changes.hosts_disabled == ["web-stg-02"]
    inv = service.current(conn, awx)
    assert "web-stg-02" in inv.hosts and not inv.hosts["web-stg-02"].enabled  # known, not targetable
    intent = PatchIntent.model_validate({"action": "patch", "hosts": ["web-stg-01", "web-stg-02"]})
    with pytest.raises(ValidationFailed) as refused:
        jobs.submit(conn, intent, requested_by="op", settings=awx, inventory=inv)
    assert "disabled in the AWX inventory" in refused.value.message and "web-stg-02" in refused.value.message
    assert "web-stg-01" not in refused.value.message
    rollback(conn)
    assert conn.execute("SELECT count(*) AS n FROM ops.jobs").fetchone() == {"n": 0}
    assert httpx.get(f"{emulator.url}/_emulator/launches/", timeout=5).json() == {}

    _awx(emulator, "PATCH", f"hosts/{_host_id(emulator, 'web-stg-02')}/", json={"enabled": True})
    assert _sync(conn, awx).changes.hosts_enabled == ["web-stg-02"]
    job = jobs.submit(conn, intent, requested_by="op", settings=awx, inventory=service.current(conn, awx))
    assert sorted(h.host for h in job.hosts) == ["web-stg-01", "web-stg-02"]
    rollback(conn)


def test_failed_sync_keeps_the_previous_snapshot(conn: DictConn, awx: Settings, emulator: Any) -> None:
    assert _sync(conn, awx).status is SyncStatus.succeeded
    before = service.listing(conn)
    emulator.faults(fail_next=3)  # AWX answers 503
    failed = _sync(conn, awx)
    assert failed.status is SyncStatus.failed and "503" in (failed.error or "")
    after = service.listing(conn)
    assert after.hosts == before.hosts and after.groups == before.groups and after.synced_at == before.synced_at
    assert after.last_attempt is not None and after.last_attempt.status is SyncStatus.failed

    # A snapshot that breaks a database rule half-way through the replacement (a host with an empty name,
    # after the old rows were deleted) is rolled back whole.
    broken = Snapshot(
        source=InventorySource.awx,
        ref="broken",
        hosts=[SourceHost(name="new-01"), SourceHost(name="")],
        groups=[SourceGroup(name="g", hosts=["new-01"])],
    )
    failed = _sync(conn, awx, read=lambda: broken)
    assert failed.status is SyncStatus.failed and "could not be stored" in (failed.error or "")
    assert service.listing(conn).hosts == before.hosts

    dangling = broken.model_copy(
        update={"hosts": [SourceHost(name="new-01")], "groups": [SourceGroup(name="g", hosts=["nope"])]}
    )
    failed = _sync(conn, awx, read=lambda: dangling)
    assert failed.status is SyncStatus.failed and "unknown hosts nope" in (failed.error or "")
    assert sorted(service.current(conn, awx).hosts) == sorted(h.name for h in before.hosts)


def test_awx_source_is_unavailable_until_synced(conn: DictConn, awx: Settings) -> None:
    from core.errors import ServiceUnavailable

    with pytest.raises(ServiceUnavailable, match="patchpilot inventory sync"):
        service.current(conn, awx)
    # the file source answers from its file before any sync (development and tests)
    assert len(service.current(conn, awx.model_copy(update={"inventory": awx.inventory.model_copy(
        update={"source": InventorySource.file})})).hosts) == 25  # fmt: skip


def test_cli_inventory_sync(awx: Settings, tmp_path: Path) -> None:
    env = {**settings_env(awx), "PATCHPILOT_INVENTORY__SOURCE": "awx", "PATCHPILOT_AWX__RETRIES": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "inventory", "sync"], env=env, cwd=services.ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "inventory synced from AWX inventory 1 'patchpilot-demo'" in run.stdout
    assert "25 hosts, 13 groups" in run.stdout and "hosts added (25):" in run.stdout
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "inventory", "sync"], env=env, cwd=services.ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert again.returncode == 0 and "no change" in again.stdout
    down = subprocess.run(
        [sys.executable, "-m", "cli.main", "inventory", "sync"],
        env={**env, "PATCHPILOT_AWX__URL": "http://127.0.0.1:9"}, cwd=services.ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert (
        down.returncode == 1 and "inventory sync failed" in down.stderr and "previous inventory is kept" in down.stderr
    )
    with connect(awx.db.url or "") as conn:
        audited = conn.execute("SELECT count(*) AS n FROM ops.audit WHERE action = 'inventory.sync'").fetchone()
    assert audited == {"n": 3}


def test_cache_is_keyed_on_the_sync_and_untargetable_hosts_are_named(
    conn: DictConn, awx: Settings, emulator: Any
) -> None:
    _sync(conn, awx)
    cache = service.InventoryCache()
    first = cache.current(conn, awx)
    assert cache.current(conn, awx) is first  # no new sync: the same object, not re-read
    assert service.untargetable(conn, awx, ["web-stg-01"]) is None
    _awx(emulator, "PATCH", f"hosts/{_host_id(emulator, 'web-stg-02')}/", json={"enabled": False})
    _sync(conn, awx)
    second = cache.current(conn, awx)
    assert second is not first and not second.hosts["web-stg-02"].enabled
    reason = service.untargetable(conn, awx, ["web-stg-01", "web-stg-02", "gone-01"])
    assert reason == "no longer in the inventory: gone-01; disabled in the AWX inventory: web-stg-02"


@pytest.mark.slow
def test_beat_syncs_on_its_schedule(awx_settings: Settings, tmp_path: Path) -> None:
    from tests.integration.conftest import WorkerProcess, wait_for

    settings = awx_settings.model_copy(
        update={
            "inventory": awx_settings.inventory.model_copy(
                update={"source": InventorySource.awx, "sync_interval_s": 1.0}
            )
        }
    )
    worker = WorkerProcess(settings, tmp_path / "worker.log", concurrency=1)
    worker.start()
    try:
        with connect(settings.db.url or "") as c:

            def synced() -> Any:
                row = c.execute("SELECT count(*) AS n FROM ops.inventory_syncs WHERE status = 'succeeded'").fetchone()
                c.rollback()
                return row is not None and row["n"] >= 2  # at least twice: a schedule, not a one-off

            wait_for(synced, timeout=60)
            assert len(service.listing(c).hosts) == 25
    finally:
        worker.stop()


def test_file_source_sync_reports_removals_and_moves(conn: DictConn, settings: Settings, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "all:\n  children:\n    web: {hosts: {w-1: {env: prod}, w-2: {env: prod}}}\n    db: {hosts: {d-1: {}}}\n"
    )
    local = settings.model_copy(
        update={"inventory": settings.inventory.model_copy(update={"source": InventorySource.file, "path": fleet})}
    )
    first = _sync(conn, local)
    assert (
        first.status is SyncStatus.succeeded and first.ref == f"file {fleet}" and (first.hosts, first.groups) == (3, 2)
    )
    fleet.write_text("all:\n  children:\n    web: {hosts: {w-1: {env: prod}}}\n    db: {hosts: {d-1: {}, w-9: {}}}\n")
    second = _sync(conn, local)
    assert second.changes.hosts_removed == ["w-2"] and second.changes.hosts_added == ["w-9"]
    assert sorted(second.changes.groups_changed) == ["db", "web"]
    assert sorted(service.current(conn, local).groups["db"]) == ["d-1", "w-9"]
    fleet.write_text("all: [not, a, mapping")
    broken = _sync(conn, local)
    assert broken.status is SyncStatus.failed and "not valid YAML" in (broken.error or "")
    assert sorted(service.current(conn, local).hosts) == ["d-1", "w-1", "w-9"]
