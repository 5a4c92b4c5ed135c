"""Ansible host patterns: our evaluator against expectations and against ansible-core itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from core.inventory import Inventory

ROOT = Path(__file__).resolve().parents[2]
EVAL_INVENTORY = ROOT / "evals" / "inventory.yaml"

WEB_PROD = {f"web-prod-0{i}" for i in range(1, 5)}
APP_PROD = {f"app-prod-0{i}" for i in range(1, 5)}


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return Inventory.load(EVAL_INVENTORY)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("web-prod-01", {"web-prod-01"}),
        ("web-prod-01,web-prod-02", {"web-prod-01", "web-prod-02"}),
        ("web-prod-01, web-prod-02", {"web-prod-01", "web-prod-02"}),
        ("web-prod-01:web-prod-02", {"web-prod-01", "web-prod-02"}),
        ("prod:&web", WEB_PROD),
        ("app:&prod:!app-prod-04", APP_PROD - {"app-prod-04"}),
        ("app:!app-prod-04:&prod", APP_PROD - {"app-prod-04"}),  # order of & and ! does not matter
        ("!prod:&web", {"web-stg-01", "web-stg-02"}),  # no plain term: base is all
        ("app-prod-0*", APP_PROD),
        ("web-prod-0?", WEB_PROD),
        ("web-prod-0[12]", {"web-prod-01", "web-prod-02"}),
        ("web-prod-[01:03]", WEB_PROD - {"web-prod-04"}),
        ("web-prod-[1:3]", set()),  # no zero padding -> web-prod-1..3, which do not exist
        ("~web-prod-0[12]", {"web-prod-01", "web-prod-02"}),
        ("~(db|lb)-prod", {"db-prod-01", "db-prod-02", "lb-prod-01", "lb-prod-02"}),
        (
            "rhel",
            {h for h in APP_PROD | WEB_PROD}
            | {"app-stg-01", "app-stg-02", "web-stg-01", "web-stg-02"}
            | {"db-prod-01", "db-prod-02", "db-stg-01", "bastion-01"},
        ),
        ("web[0]", {"web-prod-01"}),  # subscript on a group
        ("web[-1]", {"web-stg-02"}),
        ("web[1:2]", {"web-prod-02", "web-prod-03"}),
        ("WEB-PROD-01", {"web-prod-01"}),  # case-insensitive (a documented difference)
        ("all:!prod:!staging", {"app-dev-01", "app-dev-02", "ci-01"}),
        ("*", None),
        ("all", None),
        ("nosuch", set()),
        ("web:&dev", set()),
    ],
)
def test_patterns(inv: Inventory, pattern: str, expected: set[str] | None) -> None:
    assert inv.pattern(pattern) == (set(inv.hosts) if expected is None else expected)


def test_unmatched_terms_are_reported(inv: Inventory) -> None:
    assert inv.pattern_unmatched("web:qa:!db-prod-03") == ["qa", "db-prod-03"]
    assert inv.pattern_unmatched("web:&prod") == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty host pattern"),
        ("   ", "empty host pattern"),
        ("web[0", "unbalanced"),
        ("web]", "unbalanced"),
        ("~(web", "bad regular expression"),
        ("~", "followed by a regular expression"),
        ("web:&", "must be followed by a name"),
        ("web:!", "must be followed by a name"),
        ("web;rm -rf", "holds ';'"),
        ("@limit.txt", "limit files"),
        ("web-[03:01]", "runs backwards"),
        ("web[9]", "out of range"),
    ],
)
def test_syntax_errors_raise_validation_failed(inv: Inventory, pattern: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        inv.pattern(pattern)


ANSIBLE_COMPATIBLE = [
    "app:&prod:!app-prod-04",
    "web,db",
    "web:db:!web-stg-*",
    "~web-prod-0[12]",
    "*-stg-*",
    "rhel:!rhel9",
    "web[0:1]",
    "web[2]",
    "all:!prod",
    "&prod:!web",
    "!prod",
    "ungrouped",
    "web-prod-0?",
    "debian_family:&prod",
    "ops:cache:&dev",
    "db*",
    "nosuch:web-prod-01",
]


def test_same_hosts_as_ansible_core(inv: Inventory) -> None:
    """ansible-core's InventoryManager is the reference for every pattern both understand."""
    reference = InventoryManager(loader=DataLoader(), sources=[str(EVAL_INVENTORY)])
    for pattern in ANSIBLE_COMPATIBLE:
        expected = {h.name for h in reference.get_hosts(pattern)}
        assert inv.pattern(pattern) == expected, pattern


def _reference(path: Path) -> tuple[Inventory, InventoryManager]:
    return Inventory.load(path), InventoryManager(loader=DataLoader(), sources=[str(path)])


REFERENCES = {p.name: _reference(p) for p in (EVAL_INVENTORY, EVAL_INVENTORY.with_name("inventory2.yaml"))}


@st.composite
def patterns(draw: st.DrawFn, name: str) -> str:
    """A random ansible pattern over one inventory's names: hosts, groups, globs, & and ! terms, unknown names."""
    ours, _ = REFERENCES[name]
    names = sorted(ours.hosts) + sorted(g for g in ours.groups if g != "ungrouped")
    atom = st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(lambda n: n[: max(1, len(n) // 2)] + "*"),
        st.sampled_from(sorted(ours.hosts)).map(lambda n: n[:-1] + "?"),
        st.just("nosuch-host-99"),
    )
    terms = draw(st.lists(st.tuples(st.sampled_from(["", "", "&", "!"]), atom), min_size=1, max_size=4))
    return draw(st.sampled_from([":", ","])).join(op + term for op, term in terms)


@pytest.mark.parametrize("name", sorted(REFERENCES))
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_patterns_match_ansible_core(name: str, data: st.DataObject) -> None:
    """Property: for any pattern built from the inventory's own names, we select exactly what ansible-core does."""
    ours, reference = REFERENCES[name]
    pattern = data.draw(patterns(name))
    assert ours.pattern(pattern) == {h.name for h in reference.get_hosts(pattern)}, pattern
