"""A big KB is matched in one RE2 pass per failure, with the same answers as pattern-by-pattern search."""

from __future__ import annotations

import random

import re2

from bench.kb import _synthetic_kb
from kb.analysis.matcher import CompiledKb, _options


def test_ten_thousand_entries_are_one_set_with_the_same_answers():
    entries = _synthetic_kb(10_000, random.Random(3))
    kb = CompiledKb.build(entries)
    assert len(kb._sets) == 1  # one pass per text, whatever the KB size
    first, second = entries[5000][1]  # r"<a> <b> failure code E05000\b", r"unit-5000\.service: <a> refused"
    texts = [
        "x " + first.replace("\\b", "") + " y",
        second.replace("\\.", ".").upper(),  # case-insensitive
        "Depsolve Error occurred: \n Problem: conflicting requests",
        "nothing to see",
    ]
    compiled = {p.text: re2.compile(p.text, _options(8 << 20)) for p in kb.patterns}
    for text in texts:
        expected = sorted({p.slug for p in kb.patterns if compiled[p.text].search(text)})
        assert kb.slugs_matching(text) == expected
    assert any(kb.slugs_matching(t) for t in texts[:3])
