"""Inventory loading: Ansible YAML (nested children, merged vars, ranges) and ansible-inventory --list JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from core.errors import ValidationFailed
from core.inventory import Host, Inventory

ROOT = Path(__file__).resolve().parents[2]
EVAL_INVENTORY = ROOT / "evals" / "inventory.yaml"

NESTED = """
all:
  vars: {ansible_user: patch, tier: base}
  children:
    linux:
      vars: {tier: linux}
      children:
        rhel:
          vars: {pkg: dnf}
          children:
            rhel9:
              hosts:
                web-[01:03]: {role: web}
        debian_family:
          hosts:
            cache-01: {role: cache, os: ubuntu2204}
    prod:
      hosts:
        web-01: {env: prod, critical: yes}
        web-02: {env: prod}
        cache-01: {env: prod, role: redis}
  hosts:
    lonely: {env: dev}
"""


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return Inventory.load(EVAL_INVENTORY)


def test_eval_inventory_hosts_and_groups(inv: Inventory) -> None:
    assert len(inv.hosts) == 25
    assert inv.groups["web"] == {f"web-prod-0{i}" for i in range(1, 5)} | {"web-stg-01", "web-stg-02"}
    assert inv.groups["all"] == frozenset(inv.hosts)
    assert inv.groups["ungrouped"] == frozenset()
    # nested children: rhel = rhel8 ∪ rhel9
    assert inv.groups["rhel"] == inv.groups["rhel8"] | inv.groups["rhel9"]
    assert len(inv.groups["rhel"]) == 16


def test_host_vars_merged_across_occurrences_and_group_vars(inv: Inventory) -> None:
    host = inv.hosts["db-prod-01"]
    assert isinstance(host, Host)
    # defined with vars under db, again with {} under prod and rhel9: nothing lost
    assert host.vars == {"ansible_user": "patch", "env": "prod", "role": "db", "os": "rhel9", "critical": True}
    assert {"db", "prod", "rhel9", "rhel", "all"} <= host.groups
    assert "web" not in host.groups


def test_nested_children_ranges_and_var_precedence() -> None:
    inv = Inventory.parse(NESTED)
    assert set(inv.hosts) == {"web-01", "web-02", "web-03", "cache-01", "lonely"}
    assert inv.groups["linux"] == {"web-01", "web-02", "web-03", "cache-01"}
    assert inv.groups["rhel"] == {"web-01", "web-02", "web-03"}
    assert inv.groups["ungrouped"] == {"lonely"}
    web1 = inv.hosts["web-01"]
    assert web1.groups == {"all", "linux", "rhel", "rhel9", "prod"}
    # deeper group vars beat shallower ones; host vars beat group vars; later host occurrences add keys
    assert web1.vars["tier"] == "linux"
    assert web1.vars["pkg"] == "dnf"
    assert web1.vars["role"] == "web" and web1.vars["env"] == "prod"
    assert inv.hosts["cache-01"].vars["role"] == "redis"  # the later occurrence wins key by key
    assert inv.hosts["cache-01"].vars["os"] == "ubuntu2204"
    assert inv.hosts["lonely"].vars == {"ansible_user": "patch", "tier": "base", "env": "dev"}


def test_critical_environment_unknown(inv: Inventory) -> None:
    assert inv.critical(["db-prod-01", "web-prod-01", "lb-prod-02", "nope"]) == ["db-prod-01", "lb-prod-02"]
    assert Inventory.parse(NESTED).critical(["web-01", "web-02"]) == ["web-01"]  # critical: yes
    assert inv.environment_of("web-stg-01") == "staging"
    assert inv.environment_of("nope") is None
    assert inv.by_environment(["web-prod-01", "ci-01", "web-stg-01", "app-dev-01"]) == {
        "dev": ["app-dev-01", "ci-01"],
        "prod": ["web-prod-01"],
        "staging": ["web-stg-01"],
    }
    assert inv.unknown(["web-prod-01", "db-prod-03", "WEB-PROD-01", "db-prod-03"]) == ["db-prod-03", "WEB-PROD-01"]


def test_environment_from_group_when_no_env_var() -> None:
    inv = Inventory.parse("all: {children: {staging: {hosts: {a: {}}}, other: {hosts: {b: {}}}}}")
    assert inv.environment_of("a") == "staging"
    assert inv.environment_of("b") is None
    assert inv.by_environment(["a", "b"]) == {"staging": ["a"], "unassigned": ["b"]}


def test_from_ansible_list_hand_written() -> None:
    data = {
        "_meta": {"hostvars": {"w1": {"env": "prod"}, "w2": {"env": "dev"}, "solo": {}}},
        "all": {"children": ["ungrouped", "web", "linux"], "vars": {"ansible_user": "patch"}},
        "linux": {"children": ["web"]},
        "web": {"hosts": ["w1", "w2"], "vars": {"role": "web"}},
        "ungrouped": {"hosts": ["solo"]},
    }
    inv = Inventory.from_ansible_list(data)
    assert inv.groups["linux"] == {"w1", "w2"}
    assert inv.groups["ungrouped"] == {"solo"}
    assert inv.hosts["w1"].vars == {"ansible_user": "patch", "role": "web", "env": "prod"}
    assert inv.hosts["w2"].groups == {"all", "linux", "web"}


def test_from_ansible_list_matches_yaml_load(tmp_path: Path) -> None:
    """The JSON ansible-inventory really prints (group vars merged or exported) reads like the YAML."""
    exe = shutil.which("ansible-inventory", path=str(ROOT / ".venv" / "bin"))
    if exe is None:
        pytest.skip("ansible-inventory is not installed")
    env = {"ANSIBLE_LOCAL_TEMP": str(tmp_path), "ANSIBLE_HOME": str(tmp_path), "PATH": str(ROOT / ".venv" / "bin")}
    yaml_inv = Inventory.load(EVAL_INVENTORY)
    for extra in ([], ["--export"]):
        out = subprocess.run(
            [exe, "-i", str(EVAL_INVENTORY), "--list", *extra], capture_output=True, text=True, check=True, env=env
        ).stdout
        listed = Inventory.from_ansible_list(json.loads(out))
        assert listed.groups == yaml_inv.groups
        assert {h: x.vars for h, x in listed.hosts.items()} == {h: x.vars for h, x in yaml_inv.hosts.items()}
        assert {h: x.groups for h, x in listed.hosts.items()} == {h: x.groups for h, x in yaml_inv.hosts.items()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("all: [a, b", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping of groups"),
        ("all: {children: {a: {children: {b: {children: {a: {}}}}}}}", "its own descendant"),
        ("all: {hostz: {a: {}}}", "only hosts, vars, children"),
        ("all:\n  hosts:\n    web-[03:01]:\n", "runs backwards"),
        ("all:\n  hosts:\n    web-[1:3]:\n", None),
        ("plugin: aws_ec2\n", "plugin configurations are not supported"),
    ],
)
def test_invalid_inventories_are_refused_clearly(text: str, message: str | None) -> None:
    if message is None:  # unpadded begin: valid, 1..3
        assert set(Inventory.parse(text).hosts) == {"web-1", "web-2", "web-3"}
        return
    with pytest.raises(ValidationFailed, match=message):
        Inventory.parse(text)


def test_load_missing_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read inventory"):
        Inventory.load(tmp_path / "nope.yaml")
