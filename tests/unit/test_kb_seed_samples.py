"""The seed KB's breadth: every entry is exercised by samples in several wordings, every pattern is live.

tests/unit/test_kb_matcher.py replays each sample against the whole KB (it must match its own
entry and no other); this file checks what makes that replay meaningful.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.redact import redact_obj
from kb.analysis.matcher import CompiledKb, validate_pattern
from kb.analysis.normalise import normalise
from kb.store.seedfile import load_file

SEED = Path(__file__).resolve().parents[2] / "kb" / "seed.yaml"
_, ENTRIES = load_file(SEED)
MIN_WORDINGS = 3
MIN_ENTRIES = 80


def test_slugs_are_unique_and_the_kb_is_broad():
    counts = Counter(e["slug"] for e in ENTRIES)
    assert [s for s, n in counts.items() if n > 1] == []
    assert len(ENTRIES) >= MIN_ENTRIES


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["slug"])
def test_entry_has_samples_in_several_wordings_and_cites_sources(entry):
    match = entry["samples"]["match"]
    # Distinct after normalisation: the same message with another host, version or path is one wording.
    templates = {normalise(t) for t in match}
    assert len(templates) >= MIN_WORDINGS, f"{entry['slug']}: {len(templates)} distinct wordings"
    assert entry["samples"].get("no_match"), f"{entry['slug']}: no near-miss sample"
    assert entry.get("references"), f"{entry['slug']}: no source cited"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["slug"])
def test_every_pattern_is_valid_re2_and_matched_by_a_sample_of_its_entry(entry):
    for pattern in entry["patterns"]:
        validate_pattern(pattern)
        one = CompiledKb.build([(entry["slug"], [pattern], [])])
        assert any(one.matching(t) for t in entry["samples"]["match"]), f"{entry['slug']}: dead pattern {pattern!r}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["slug"])
def test_entry_survives_redaction_unchanged(entry):
    """Entries are redacted when stored (kb/entries.py), and failure texts before matching: a sample or
    solution that redaction would rewrite is not what the analyser sees and would not round-trip."""
    free_text = {k: v for k, v in entry.items() if k not in ("slug", "patterns", "modules", "category")}
    assert redact_obj(free_text) == free_text
