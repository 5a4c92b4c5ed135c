"""What blind writers of eval data may read about the KB: every entry's slug, title, category, modules, solution.

Patterns, samples and references are left out on purpose: a writer who sees them writes the KB's own wording
back. Regenerate the writers' copy whenever a solution changes (a stale copy makes them label against old fixes):

    python -m evals.writer_entries > /work/blind/entries.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from kb.entries import SEED_PATH


def render(entries: list[dict[str, Any]]) -> str:
    out = [
        f"# The knowledge base's {len(entries)} entries (slug, title, category, modules, solution)",
        "Patterns, samples and references are deliberately not shown.",
    ]
    for n, e in enumerate(entries, 1):
        out += [
            "",
            f"## {n}. `{e['slug']}`",
            "",
            f"- title: {e['title']}",
            f"- category: {e['category']}",
            f"- modules: {', '.join(e.get('modules') or [])}",
            "",
            "Solution:",
            "",
            e["solution"].rstrip(),
        ]
    return "\n".join(out) + "\n"


def main(seed: Path = SEED_PATH) -> None:
    sys.stdout.write(render(yaml.safe_load(seed.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
