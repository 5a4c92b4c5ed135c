"""Pattern suggestion (kb.analysis.suggest): every suggestion compiles in RE2 and matches its example."""

from __future__ import annotations

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.analysis.suggest import suggest_pattern, suggestion

EXAMPLES = [
    "Transaction test error:\n  installing package kernel-core-5.14.0-611 needs 118MB more space on the / filesystem",
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)",
    "fatal: [web-01]: UNREACHABLE! => ssh: connect to host 10.0.0.5 port 22: Connection timed out",
    "  \t weird   spacing\n\n here (and [brackets]) {x} a|b ^$ ",
    "12345 67890",
]


def _matches(pattern: str, text: str) -> bool:
    o = re2.Options()
    o.case_sensitive = False
    return re2.compile(pattern, o).search(text) is not None


@pytest.mark.parametrize("example", EXAMPLES)
def test_suggestion_compiles_and_matches(example: str) -> None:
    s = suggestion(example)
    assert s["matches_example"] is True and _matches(str(s["pattern"]), example)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300).filter(str.strip))
def test_any_example_gets_a_pattern_that_matches_it(example: str) -> None:
    assert _matches(suggest_pattern(example), example)
