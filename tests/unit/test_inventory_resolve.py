"""resolve_targets: words -> explicit hosts, over the eval set and phrasings nobody tuned against.

Expected host sets are written as Ansible patterns (``web:&prod``) and expanded by
Inventory.pattern, which test_inventory_patterns checks against ansible-core itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.reader.targets import TargetResolution, resolve_targets
from core.inventory import Inventory

ROOT = Path(__file__).resolve().parents[2]
EVAL_INVENTORY = ROOT / "evals" / "inventory.yaml"
INTENTS = ROOT / "evals" / "intents.jsonl"
TARGETED = {"patch", "precheck", "reboot", "list_hosts"}
UNKNOWN_TARGET_CASES = {"clarify-002", "clarify-003"}
NO_TARGET_CASES = {"clarify-001", "clarify-004"}


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return Inventory.load(EVAL_INVENTORY)


def hosts(inv: Inventory, pattern: str) -> list[str]:
    return sorted(inv.pattern(pattern)) if pattern else []


def _cases() -> list[dict[str, object]]:
    return [json.loads(line) for line in INTENTS.read_text().splitlines() if line.strip()]


def test_eval_intents_table(inv: Inventory) -> None:
    """Every single-utterance case: targeted actions resolve exactly; clarify cases say why."""
    failures, checked = [], 0
    for case in _cases():
        if "utterance" not in case:
            continue
        expected = case["expected"]
        assert isinstance(expected, dict)
        r = resolve_targets(inv, str(case["utterance"]))
        if expected["action"] in TARGETED:
            ok = r.hosts == expected["hosts"] and not r.unknown
        elif case["id"] in UNKNOWN_TARGET_CASES:
            ok = bool(r.unknown)
        elif case["id"] in NO_TARGET_CASES:
            ok = r.include is None and not r.unknown
        else:
            continue
        checked += 1
        if not ok:
            failures.append((case["id"], case["utterance"], r.model_dump()))
    assert checked >= 26
    assert failures == []


def test_eval_conversations_turn_by_turn(inv: Inventory) -> None:
    """Each turn of the conversation cases resolves to what the agent needs to merge."""
    cases = {c["id"]: c for c in _cases()}
    turns = [resolve_targets(inv, str(t)) for t in cases["turns-002"]["turns"]]  # type: ignore[union-attr]
    assert turns[1].include is None and turns[1].exclude == ["app-prod-03"]
    assert sorted(set(turns[0].hosts) - set(turns[1].exclude)) == cases["turns-002"]["expected"]["hosts"]  # type: ignore[index]
    first, second = (resolve_targets(inv, str(t)) for t in cases["turns-003"]["turns"])  # type: ignore[union-attr]
    assert first.include is None and second.hosts == ["web-stg-02"]


# (text, expected hosts as an Ansible pattern, expected excludes as a pattern)
CONSTRUCTS = [
    # host names, lists
    ("Patch web-prod-01.", "web-prod-01", ""),
    ("patch lb-prod-01 and lb-prod-02", "lb-prod-01:lb-prod-02", ""),
    ("web-prod-01, web-prod-02", "web-prod-01:web-prod-02", ""),
    ("patch web-prod-01 web-prod-02 and app-prod-01", "web-prod-01:web-prod-02:app-prod-01", ""),
    ("patch web-prod-01, 02 and 03", "web-prod-0[1:3]", ""),
    # groups, synonyms, plurals
    ("Patch the dev hosts and reboot them afterwards.", "dev", ""),
    ("patch the webservers", "web", ""),
    ("patch the web servers", "web", ""),
    ("patch the databases", "db", ""),
    ("patch the db servers", "db", ""),
    ("patch the database hosts", "db", ""),
    ("restart the load balancers", "lb", ""),
    ("restart the load-balancers", "lb", ""),
    ("patch lbs", "lb", ""),
    ("Patch the cache servers in 2 hours.", "cache", ""),
    ("patch the production machines", "prod", ""),
    ("patch the stg app servers", "app:&staging", ""),
    ("patch the development environment", "dev", ""),
    ("Patch the app servers", "app", ""),
    ("patch the monitoring box", "mon-01", ""),
    ("patch the jump hosts", "bastion-01", ""),
    ("patch the ops group", "ops", ""),
    ("patch the redhat servers", "rhel", ""),
    ("patch the debian family", "debian_family", ""),
    # phrase intersections and unions
    ("Patch the staging web servers tonight, security only, skip the kernel", "web:&staging", ""),
    ("Patch all prod databases, security updates only.", "db:&prod", ""),
    ("Reboot the prod cache servers.", "cache:&prod", ""),
    ("patch the prod and staging web servers", "web:!dev", ""),
    ("patch the web and db servers in prod", "web:db:&prod", ""),
    ("patch the databases and load balancers in prod", "db:lb:&prod", ""),
    ("Which hosts are in staging?", "staging", ""),
    ("patch the web servers that are in staging", "web:&staging", ""),
    ("Patch the web servers in prod and the db servers in staging", "web-prod-*:db-stg-01", ""),
    ("Patch the staging rhel9 hosts on Sunday at 03:00, one at a time.", "rhel9:&staging", ""),
    ("patch prod, but only the web servers", "web:&prod", ""),
    ("patch web-prod", "web:&prod", ""),
    # host variables
    ("Show me the ubuntu hosts.", "debian_family:!lb", ""),
    ("the ubuntu machines", "debian_family:!lb", ""),
    ("every rhel8 host", "rhel8", ""),
    ("debian hosts", "lb", ""),
    ("patch the critical hosts", "db-prod-0*:lb:bastion-01", ""),
    ("patch the rhel 9 hosts", "rhel9", ""),
    ("Patch the RHEL-9 boxes", "rhel9", ""),
    ("patch the non-critical prod hosts", "prod:!db:!lb:!bastion-01", ""),
    ("patch all non-production hosts", "all:!prod", ""),
    # ranges, globs, patterns
    ("Patch web-prod-01 through 03", "web-prod-0[1:3]", ""),
    ("Patch web-prod-01 to web-prod-03.", "web-prod-0[1:3]", ""),
    ("reboot web-prod-[01:03]", "web-prod-0[1:3]", ""),
    ("patch app-prod-01..03", "app-prod-0[1:3]", ""),
    ("Patch app-prod-0* except app-prod-02, two at a time.", "app-prod-0*", "app-prod-02"),
    ("Patch app:&prod:!app-prod-04", "app:&prod:!app-prod-04", ""),
    ("patch ~web-prod-0[12]", "web-prod-01:web-prod-02", ""),
    ("patch web-prod-0?", "web-prod-0*", ""),
    ("Patch web, db", "web:db", ""),
    # exclusions
    ("staging web servers except web-stg-02", "web:&staging", "web-stg-02"),
    ("Patch every production host except the load balancers, in batches of 25%.", "prod", "lb"),
    ("Patch all but the databases", "all", "db"),
    ("Patch everything but prod", "all", "prod"),
    ("patch all servers other than the prod ones", "all", "prod"),
    ("Patch the staging hosts but not the databases", "staging", "db"),
    ("Patch the app servers excluding app-prod-03 and app-prod-04", "app", "app-prod-03:app-prod-04"),
    ("patch prod apart from web-prod-01", "prod", "web-prod-01"),
    ("Patch staging. Skip web-stg-01.", "staging", "web-stg-01"),
    ("patch the prod web servers but don't touch web-prod-04", "web:&prod", "web-prod-04"),
    ("Run prechecks on the rhel8 hosts except app-stg-02.", "rhel8", "app-stg-02"),
    ("Patch all rhel hosts except rhel8", "rhel", "rhel8"),
    # whole fleet
    ("patch all hosts", "all", ""),
    ("patch the whole fleet", "all", ""),
    ("patch every host", "all", ""),
    ("patch everything", "all", ""),
    ("patch everything in staging", "staging", ""),
    # packages, times and jobs are not targets
    ("Patch db-stg-01 and reboot it if required, but exclude the kernel and postgresql* packages.", "db-stg-01", ""),
    ("Update only openssl and openssh on the prod web servers.", "web:&prod", ""),
    ("Exclude postgresql* and kernel* from the update on web-prod-02", "web-prod-02", ""),
    ("Patch cache-stg-01 on 2026-12-10 at 02:00 and do not reboot it.", "cache-stg-01", ""),
    ("Apply critical security updates to web-prod-01", "web-prod-01", ""),
    ("do a test run on web-prod-01", "web-prod-01", ""),
    ("update everything on web-prod-01 except the kernel", "web-prod-01", ""),
    ("patch web-prod-01, everything except the kernel", "web-prod-01", ""),
    ("What went wrong on web-prod-03 in job 311?", "web-prod-03", ""),
]


@pytest.mark.parametrize(("text", "include", "exclude"), CONSTRUCTS)
def test_constructs(inv: Inventory, text: str, include: str, exclude: str) -> None:
    r = resolve_targets(inv, text)
    assert r.unknown == [], r
    assert sorted(r.hosts) == sorted(set(hosts(inv, include)) - set(hosts(inv, exclude))), r
    assert r.exclude == hosts(inv, exclude), r
    assert r.terms, r


# 30 phrasings of my own: other orders, synonyms, capitals, punctuation, typos in non-target words.
EXTRA = [
    ("PATCH THE STAGING WEB SERVERS!!!", "web:&staging"),
    ("web servers in staging, please patch them tonight", "web:&staging"),
    ("Could you pacth the staging webservers tonigth?", "web:&staging"),
    ("tonight: patch staging's web servers", "web:&staging"),
    ("Please patch the prod cache servers, one at a time!!", "cache:&prod"),
    ("patch the prd dbs", "db:&prod"),
    ("patch the production database servers", "db:&prod"),
    ("Reboot all of the production caching servers", "cache:&prod"),
    ("Can you patch web-prod-01?", "web-prod-01"),
    ("patch Web-Prod-01", "web-prod-01"),
    ("'web-stg-02', please.", "web-stg-02"),
    ("(lb-prod-01) and (lb-prod-02)", "lb"),
    ("Patch the following hosts: web-prod-01 web-prod-02", "web-prod-01:web-prod-02"),
    ("check if db-stg-01 can be patched", "db-stg-01"),
    ("in 2 hours patch the development boxes", "dev"),
    ("Patch the devel hosts in 2 hours", "dev"),
    ("every single dev box", "dev"),
    ("Patch all the app servers except the dev ones", "app:!dev"),
    ("patch the app servers excluding the staging ones", "app:!staging"),
    ("patch prod except the critical ones", "prod:!db:!lb:!bastion-01"),
    ("Patch the cache hosts, two at a time, excluding cache-prod-02", "cache:!cache-prod-02"),
    ("patch the ci box and the monitoring server", "ci-01:mon-01"),
    ("patch the build servers", "ci-01"),
    ("Patch hosts in group web", "web"),
    ("Patch the hosts in the web group", "web"),
    ("update the kernel on the ubuntu boxes", "debian_family:!lb"),
    ("Patch the web servers on rhel9 except web-prod-04 tonight and reboot them", "web:!web-prod-04"),
    ("patch lb and db", "lb:db"),
    ("patch the critical and dev hosts", "db-prod-0*:lb:bastion-01:dev"),
    ("apply security errata prod web servers", "web:&prod"),
    ("List the prod web servers.", "web:&prod"),
    ("Do a dry run of patching ALL staging hosts", "staging"),
]


@pytest.mark.parametrize(("text", "expected"), EXTRA)
def test_extra_phrasings(inv: Inventory, text: str, expected: str) -> None:
    r = resolve_targets(inv, text)
    assert (r.hosts, r.unknown) == (hosts(inv, expected), []), r


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("Patch db-prod-03.", ["db-prod-03"]),
        ("Patch the qa servers.", ["qa"]),
        ("Patch the windows hosts", ["windows"]),
        ("Patch the centos hosts", ["centos"]),
        ("patch the test servers", ["test"]),
        ("patch web servers in qa", ["qa"]),
        ("Patch the qa and staging web servers", ["qa"]),
        ("patch web:&qa", ["qa"]),
        ("Patch web-prod-01 and db-prod-03", ["db-prod-03"]),
        ("patch all prod hosts except db-prod-03", ["db-prod-03"]),
        ("Patch web-prod-01 through 06", ["web-prod-05", "web-prod-06"]),
        ("patch the ubuntu 24.04 hosts", ["ubuntu 24.04"]),
        ("patch rhel10 machines", ["rhel10"]),
        ("patch web01", ["web01"]),
        ("Reboot web 2", ["web 2"]),
        ("Please pacth the stagin web servers", ["stagin"]),
        ("Patch physical web servers", ["physical"]),
        ("patch the remaining servers", ["remaining"]),
        ("patch db-prod-1*", ["db-prod-1*"]),
    ],
)
def test_unknown_targets_are_reported_never_guessed(inv: Inventory, text: str, unknown: list[str]) -> None:
    r = resolve_targets(inv, text)
    assert r.unknown == unknown, r
    # a phrase with an unknown word selects nothing of its own: the agent must ask
    known_only = {"Patch web-prod-01 and db-prod-03": ["web-prod-01"], "Patch web-prod-01 through 06": "web-prod-0*"}
    if text in known_only:
        want = known_only[text]
        assert r.hosts == (want if isinstance(want, list) else hosts(inv, want))
    elif "except" not in text:
        assert r.hosts == [], r


def test_suggestions_are_close_names_and_never_applied(inv: Inventory) -> None:
    r = resolve_targets(inv, "Patch db-prod-03.")
    assert r.include == [] and r.hosts == []
    assert r.suggestions == {"db-prod-03": ["db-prod-01", "db-prod-02", "app-prod-03"]} or r.suggestions["db-prod-03"][
        :2
    ] == ["db-prod-01", "db-prod-02"]
    assert resolve_targets(inv, "the stagin web servers").suggestions == {"stagin": ["staging"]}
    assert resolve_targets(inv, "patch rhel10 hosts").suggestions["rhel10"][:1] == ["rhel"]
    assert resolve_targets(inv, "Patch the qa servers.").suggestions == {"qa": []}


@pytest.mark.parametrize(
    "text",
    [
        "Please apply the latest updates.",
        "Can you sort out the thing from yesterday?",
        "Can you patch something for me?",
        "What's the status of job 42?",
        "Cancel job 57.",
        "Patch the servers",
        "patch them all",
        "Apply all updates",
        "Only the security updates, please.",
        "And don't reboot them.",
        "skip the kernel and postgresql* packages",
    ],
)
def test_no_target_at_all(inv: Inventory, text: str) -> None:
    r = resolve_targets(inv, text)
    assert (r.include, r.exclude, r.unknown) == (None, [], []), r
    assert not r.named_target


@pytest.mark.parametrize(
    ("text", "exclude"),
    [
        ("not app-prod-03", ["app-prod-03"]),
        ("On second thought, not app-prod-03.", ["app-prod-03"]),
        ("Don't patch web-prod-01", ["web-prod-01"]),
        ("leave out the load balancers", ["lb-prod-01", "lb-prod-02"]),
        ("but not the databases in prod", ["db-prod-01", "db-prod-02"]),
    ],
)
def test_correction_turns_only_exclude(inv: Inventory, text: str, exclude: list[str]) -> None:
    r = resolve_targets(inv, text)
    assert r.include is None and r.exclude == exclude and r.unknown == [], r


def test_empty_intersection_is_empty_not_none(inv: Inventory) -> None:
    r = resolve_targets(inv, "patch the dev databases")
    assert r.include == [] and r.unknown == [] and r.terms == ["group dev ∩ group db"]


def test_terms_describe_what_was_recognised(inv: Inventory) -> None:
    r = resolve_targets(inv, "Patch every production host except the load balancers")
    assert r.terms == ["group prod", "except group lb"]
    assert resolve_targets(inv, "the ubuntu machines").terms == ["os=ubuntu2204"]


def test_vocabulary_comes_from_the_inventory_not_from_this_file() -> None:
    """A different inventory with different names: synonyms map onto what *it* has."""
    other = Inventory.parse(
        """
all:
  children:
    webservers:
      hosts:
        fe-[1:3].example.com: {stage: live, os: centos7}
    databases: {hosts: {pg-1.example.com: {stage: live, os: rocky9, needs_approval: true}}}
    test: {hosts: {fe-9.example.com: {stage: test, os: centos7}}}
"""
    )
    assert resolve_targets(other, "patch the web servers").hosts == [
        "fe-1.example.com",
        "fe-2.example.com",
        "fe-3.example.com",
    ]
    assert resolve_targets(other, "patch the db hosts").hosts == ["pg-1.example.com"]
    assert resolve_targets(other, "patch the test servers").hosts == ["fe-9.example.com"]
    assert resolve_targets(other, "patch the centos machines except fe-2.example.com").hosts == [
        "fe-1.example.com",
        "fe-3.example.com",
        "fe-9.example.com",
    ]
    assert resolve_targets(other, "patch the rocky linux hosts").hosts == ["pg-1.example.com"]
    r = resolve_targets(other, "patch fe-4.example.com")
    assert r.unknown == ["fe-4.example.com"] and r.suggestions["fe-4.example.com"][0].startswith("fe-")
    assert resolve_targets(other, "patch the prod servers").unknown == ["prod"]


def test_model_contract() -> None:
    r = TargetResolution(include=["b", "a"], exclude=["a"], unknown=[], suggestions={}, terms=["x"])
    assert r.hosts == ["b"]
    assert TargetResolution(include=None, exclude=[]).hosts == []
