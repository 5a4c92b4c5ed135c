"""The seed format writer: kb/seed.yaml read then written gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.store.seedfile import dump_entries, load_file

SEED = Path(__file__).resolve().parents[2] / "kb" / "seed.yaml"


def test_seed_round_trips_byte_for_byte():
    header, entries = load_file(SEED)
    assert dump_entries(entries, header) == SEED.read_text()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=4), st.text(min_size=3, max_size=60))
def test_any_text_survives_the_writer(samples, title):
    entry = {
        "slug": "x-y",
        "title": title,
        "category": "other",
        "patterns": samples,
        "solution": "1. Fix it.\n",
        "references": samples,
        "samples": {"match": samples, "no_match": samples},
    }
    expected = dict(entry)
    if not samples:  # empty optional lists are left out of the file
        del expected["references"], expected["samples"]
    assert yaml.safe_load(dump_entries([entry], "# h\n\n")) == [expected]
