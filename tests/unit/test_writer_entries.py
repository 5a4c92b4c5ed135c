"""The blind writers' view of the KB: every entry and its solution, never a sample (a solution may quote the error words)."""

from __future__ import annotations

import yaml

from evals.writer_entries import render
from kb.entries import SEED_PATH


def test_every_entry_and_solution_is_shown_and_no_pattern_or_sample() -> None:
    entries = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
    text = render(entries)
    assert text.startswith(f"# The knowledge base's {len(entries)} entries")
    for n, e in enumerate(entries, 1):
        assert f"## {n}. `{e['slug']}`" in text
        assert e["solution"].strip() in text
        samples = e["samples"]["match"] + e["samples"].get("no_match", [])
        assert samples
        for sample in samples:
            if len(sample) > 30:
                assert sample not in text, (e["slug"], sample[:60])
