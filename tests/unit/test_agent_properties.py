"""Invariants of the reader and its check (hypothesis), over both eval inventories, through the real agent.

- ``P except X`` never selects a host of X;
- adding "no reboot", "security only" or an exclude never loosens the intent;
- the hosts are always a subset of what the words name;
- politeness, case, host order and filler words never change the intent.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.checkpoint import memory_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.inventory import Inventory
from core.settings import Settings
from tests.unit.agent_support import NOW, PROJECT_EVALS

INVENTORIES = {p.name: Inventory.load(p) for p in (PROJECT_EVALS / "inventory.yaml", PROJECT_EVALS / "inventory2.yaml")}
SESSION = ChatSession(build_agent(OfflineRuleModel(), memory_checkpointer()))
SETTINGS = Settings()
_ids = itertools.count()
RUNNABLE = {"patch", "precheck", "reboot"}
SETTINGS_HYP = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)  # derandomized: the same examples on every run, so a failure is reproducible and CI does not flake


def intent(inv: Inventory, *turns: str) -> dict[str, Any]:
    ctx = build_context(SETTINGS, inv, user="prop", now=NOW)
    session_id = f"p{next(_ids)}"
    result = None
    for turn in turns:
        result = SESSION.send(ctx, session_id, turn)
    assert result is not None
    return result.intent


def _groups(inv: Inventory) -> list[str]:
    """Group names a person would say (not the implicit ones, not containers of a single child)."""
    return sorted(g for g in inv.groups if g not in ("all", "ungrouped") and inv.groups[g])


@st.composite
def atoms(draw: st.DrawFn, inv: Inventory) -> tuple[str, frozenset[str]]:
    """A target phrase and the hosts it names: a host, a group ('the web servers'), a host glob, or a variable
    value ('the rhel8 machines')."""
    kind = draw(st.sampled_from(["host", "group", "glob", "var"]))
    if kind == "var":
        pairs = sorted(
            {
                (k, v)
                for h in inv.hosts.values()
                for k, v in h.vars.items()
                if isinstance(v, str) and "ansible_" not in k
            }
        )
        key, value = draw(st.sampled_from(pairs))
        return f"the {value} machines", frozenset(h.name for h in inv.hosts.values() if h.vars.get(key) == value)
    if kind == "host":
        h = draw(st.sampled_from(sorted(inv.hosts)))
        return h, frozenset({h})
    if kind == "group":
        g = draw(st.sampled_from(_groups(inv)))
        noun = draw(st.sampled_from(["hosts", "servers", "machines", "boxes"]))
        return f"the {g} {noun}", inv.groups[g]
    h = draw(st.sampled_from(sorted(inv.hosts)))
    glob = h[: max(2, h.rfind("-") + 1)] + "*"
    return glob, frozenset(inv.pattern(glob))


inventories = st.sampled_from(sorted(INVENTORIES)).map(INVENTORIES.__getitem__)


@SETTINGS_HYP
@given(data=st.data(), inv=inventories)
def test_except_never_selects_an_excluded_host(data: st.DataObject, inv: Inventory) -> None:
    p, p_hosts = data.draw(atoms(inv))
    x, x_hosts = data.draw(atoms(inv))
    word = data.draw(st.sampled_from(["except", "but not", "excluding", "other than", "minus"]))
    got = intent(inv, f"patch {p} {word} {x}")
    if got["action"] in RUNNABLE:
        assert not set(got["hosts"]) & x_hosts, (p, x, got)
        assert set(got["hosts"]) <= p_hosts


@SETTINGS_HYP
@given(data=st.data(), inv=inventories)
def test_hosts_are_what_the_words_name(data: st.DataObject, inv: Inventory) -> None:
    named = data.draw(st.lists(atoms(inv), min_size=1, max_size=3))
    verb = data.draw(st.sampled_from(["patch", "update", "reboot", "run a precheck on", "list"]))
    got = intent(inv, f"{verb} " + " and ".join(p for p, _ in named))
    if "hosts" in got:
        assert set(got["hosts"]) <= frozenset().union(*(h for _, h in named)), (named, got)


RESTRICTIONS = {
    ", no reboot": lambda i: i.get("reboot") == "never",
    " and do not reboot them": lambda i: i.get("reboot") == "never",
    ", security updates only": lambda i: i.get("security_only") is True,
    ", skip the kernel": lambda i: "kernel*" in i.get("exclude", []),
    " but leave openssl alone": lambda i: "openssl" in i.get("exclude", []),
}


@SETTINGS_HYP
@given(data=st.data(), inv=inventories)
def test_a_restriction_never_loosens(data: st.DataObject, inv: Inventory) -> None:
    p, _ = data.draw(atoms(inv))
    before = intent(inv, f"patch {p}")
    phrase = data.draw(st.sampled_from(sorted(RESTRICTIONS)))
    after = intent(inv, f"patch {p}{phrase}")
    if after["action"] in RUNNABLE:
        assert RESTRICTIONS[phrase](after), (p, phrase, after)
        assert set(after["hosts"]) <= set(before.get("hosts", after["hosts"]))
    again = intent(inv, f"patch {p}", phrase.strip(" ,").capitalize())  # the same restriction as a follow-up
    if again["action"] in RUNNABLE:
        assert RESTRICTIONS[phrase](again), (p, phrase, again)


@SETTINGS_HYP
@given(data=st.data(), inv=inventories)
def test_politeness_case_order_and_fillers_do_not_change_the_intent(data: st.DataObject, inv: Inventory) -> None:
    hosts = data.draw(st.lists(st.sampled_from(sorted(inv.hosts)), min_size=1, max_size=3, unique=True))
    option = data.draw(st.sampled_from(["", ", no reboot", ", security only", " tonight", ", one at a time"]))
    base = intent(inv, f"patch {' and '.join(hosts)}{option}")
    polite = data.draw(st.sampled_from(["please ", "could you ", "hey, can you ", "go ahead and ", "kindly "]))
    thanks = data.draw(st.sampled_from(["", " please", ", thanks", ". thank you!"]))
    shuffled = list(reversed(hosts))
    variant = f"{polite}patch {', '.join(shuffled[:-1])}{' and ' if len(shuffled) > 1 else ''}{shuffled[-1]}"
    variant += option + thanks
    if data.draw(st.booleans()):
        variant = variant.upper()
    assert intent(inv, variant) == base, variant


@pytest.mark.parametrize("name", sorted(INVENTORIES))
def test_properties_see_real_requests(name: str) -> None:
    """The generators above produce requests the reader resolves (not only questions): a guard against vacuity."""
    inv = INVENTORIES[name]
    host = sorted(inv.hosts)[0]
    assert intent(inv, f"patch {host}, no reboot")["hosts"] == [host]
    group = _groups(inv)[0]
    assert intent(inv, f"patch the {group} servers")["hosts"] == sorted(inv.groups[group])


def test_inventories_are_the_eval_ones() -> None:
    assert all(Path(PROJECT_EVALS / n).is_file() for n in INVENTORIES)
