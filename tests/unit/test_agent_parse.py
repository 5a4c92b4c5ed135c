"""The typed parse: every word of a request is placed, the target expression selects what the resolver does,
and a word the reader cannot place where a target stands is asked about by name."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent.reader.message import read
from agent.reader.parse import _words, parse
from agent.reader.targets import resolve_targets
from core.inventory import Inventory
from evals.intents import find_inventory
from tests.unit.agent_support import PROJECT_EVALS
from tests.unit.test_agent_properties import intent

INVENTORIES = {
    n: Inventory.load(find_inventory(PROJECT_EVALS / "intents.jsonl", n))
    for n in ("demo", "inv2", "inv3", "inv4", "inv5", "inv6")
}


# The second and third blind dev sets (other writers, other inventories) are read by the reader but are not yet as
# well covered as the sets the reader was built on: their share of unplaced words is bounded separately below.
NEWER = ("intents_dev2.jsonl", "intents_dev3.jsonl", "intents_dev4.jsonl", "intents_dev5.jsonl")


def _utterances(names: tuple[str, ...] | None = None) -> list[tuple[str, Inventory]]:
    out = []
    for path in sorted(PROJECT_EVALS.glob("intents*.jsonl")):
        if (path.name in NEWER) != (names is not None) or (names is not None and path.name not in names):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            inv = INVENTORIES[case.get("inventory", "demo")]
            out += [(t, inv) for t in case.get("turns") or [case["utterance"]]]
    return out


UTTERANCES = _utterances()


def test_every_word_is_placed() -> None:
    """Each word is consumed by a rule, a filler, the target grammar, or reported; few are left over."""
    total, unplaced = 0, Counter[str]()
    for text, inv in UTTERANCES:
        p = parse(text, inv)
        placed = Counter(w for w, _ in p.words)
        total += sum(placed.values())
        unplaced.update(p.unplaced)
        assert all(role for _, role in p.words)
        assert sum(placed.values()) >= len(_words(text)) - 2, (text, p.words)  # shorthand may split a word
    assert len(UTTERANCES) >= 300
    assert sum(unplaced.values()) <= 0.02 * total, unplaced.most_common(20)


def test_words_of_the_newer_blind_set_are_mostly_placed() -> None:
    total, unplaced = 0, Counter[str]()
    for text, inv in _utterances(NEWER):
        p = parse(text, inv)
        total += len(p.words)
        unplaced.update(p.unplaced)
        assert all(role for _, role in p.words)
    assert total > 1000
    assert sum(unplaced.values()) <= 0.05 * total, unplaced.most_common(20)


def test_the_expression_selects_what_the_resolver_resolves() -> None:
    for text, inv in UTTERANCES:
        targets = read(text, inv).targets
        if not targets:
            continue
        expr, resolved = parse(text, inv).target, resolve_targets(inv, targets)
        assert (expr is None) == (resolved.include is None), text
        if expr is not None:
            assert sorted(expr.hosts()) == resolved.hosts, (text, str(expr))


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("patch the frobozz servers", "frobozz"),
        ("patch all prod hosts except the frobozz boxes", "frobozz"),
        ("reboot web-prod-01 and the zorkmid machines", "zorkmid"),
        ("patch web-prod-01 and web-prod-77", "web-prod-77"),
    ],
)
def test_an_unplaceable_target_word_is_asked_about_by_name(text: str, word: str) -> None:
    inv = INVENTORIES["demo"]
    assert word in parse(text, inv).unknown
    assert intent(inv, text) == {"action": "clarify"}
