"""Risk of a proposal from inventory facts: prod, critical hosts, redundant pairs in one batch, reboots."""

from __future__ import annotations

import pytest

from core.inventory import Inventory
from core.risk import RiskLevel, assess, assess_intent
from tests.unit.agent_support import inventory as demo_inventory

# Names unlike the demo inventory's: roles come from variables in one tier and from groups in another.
FLEET = Inventory.parse("""
all:
  children:
    edge:
      vars: {role: haproxy}
      hosts: {fe-ams-1: {environment: production}, fe-ams-2: {environment: production}}
    postgres:
      hosts: {pg-a: {environment: production, critical: yes}, pg-b: {environment: production, critical: yes},
              pg-c: {environment: qa}}
    apps:
      hosts: {svc-1: {environment: qa}, svc-2: {environment: qa}}
""")


def test_a_qa_patch_is_low_risk_and_needs_no_typing() -> None:
    risk = assess(FLEET, action="patch", hosts=["svc-1", "svc-2"], reboot="never")
    assert risk.level is RiskLevel.low
    assert risk.confirm_phrase is None
    assert risk.environments == {"qa": 2}
    assert not any(b.production or b.critical for b in risk.badges)


def test_a_load_balancer_pair_in_one_batch_is_named_from_a_role_variable() -> None:
    risk = assess(FLEET, action="patch", hosts=["fe-ams-1", "fe-ams-2"], reboot="never")
    assert risk.level is RiskLevel.high  # production and the whole pair at once
    assert "the load-balancer pair in production (fe-ams-1, fe-ams-2) in one batch" in risk.line
    assert risk.confirm_phrase == "2"


def test_one_host_per_batch_takes_the_pair_out_of_the_line() -> None:
    risk = assess(FLEET, action="patch", hosts=["fe-ams-1", "fe-ams-2"], reboot="never", serial=1)
    assert "one batch" not in risk.line
    assert risk.level is RiskLevel.elevated  # still production


def test_a_database_tier_from_a_group_name_and_critical_hosts() -> None:
    risk = assess(FLEET, action="patch", hosts=["pg-a", "pg-b", "pg-c"], reboot="never", serial="100%")
    assert risk.critical == ["pg-a", "pg-b"]
    assert "the database pair in production (pg-a, pg-b) in one batch" in risk.reasons
    assert "spans 2 environments (production, qa)" in risk.reasons
    assert {b.host for b in risk.badges if b.critical} == {"pg-a", "pg-b"}


@pytest.mark.parametrize(
    ("action", "reboot", "boots"),
    [("reboot", None, True), ("patch", "always", True), ("patch", "never", False), ("precheck", None, False)],
)
def test_reboots_are_stated(action: str, reboot: str | None, boots: bool) -> None:
    risk = assess(FLEET, action=action, hosts=["svc-1"], reboot=reboot)
    assert risk.reboots is boots
    assert ("reboots every host" in risk.line) is boots
    assert risk.level is (RiskLevel.elevated if boots else RiskLevel.low)


def test_reboot_all_prod_of_the_demo_inventory_is_high_risk_with_every_reason() -> None:
    inv = demo_inventory()
    prod = sorted(inv.groups["prod"])
    risk = assess_intent(inv, {"action": "reboot", "hosts": prod})
    assert risk is not None
    assert risk.level is RiskLevel.high
    assert risk.confirm_phrase == str(len(prod))
    assert f"{len(prod)} prod hosts" in risk.line
    assert any(r.startswith("the load-balancer pair in prod") for r in risk.reasons)
    assert any(r.startswith("the database pair in prod") for r in risk.reasons)
    assert risk.critical == inv.critical(prod)


def test_nothing_to_assess_for_a_question() -> None:
    assert assess_intent(FLEET, {"action": "status", "job": 3}) is None
