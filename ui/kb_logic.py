"""KB editor decisions as pure functions: the editor form (drafts, parsing, checks) and the tester's inputs.

Pattern suggestions come from the API (``POST /kb/suggest``, the KB's rules); Markdown reports are in
``ui.kb_reports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ui.models import Category, KbEntry, KbSuggestion, SavedEntry, UnmatchedGroup

# The API's categories (kb.models.Category, generated into ui.api_models; the API refuses others with 422).
CATEGORIES = tuple(c.value for c in Category)
SAMPLE_SEPARATOR = "---"
MAX_TITLE = 300
MAX_PATTERN = 2000
MAX_PATTERNS = 50
MAX_SOLUTION = 20_000
MAX_SAMPLE = 20_000
MAX_SAMPLES = 50
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-z][^>]*>", re.I)
# --- the editor form --------------------------------------------------------------------------


@dataclass
class Draft:
    """The editor's fields, as text boxes hold them."""

    slug: str = ""
    title: str = ""
    category: str = "other"
    patterns: str = ""
    modules: str = ""
    solution: str = ""
    references: str = ""
    match_samples: str = ""
    no_match_samples: str = ""
    # A wrapper names a generic message ("MODULE FAILURE", "non-zero return code", a failed scriptlet) and
    # loses to any entry that matches the same text and names the cause (kb/analysis/matcher.py, rule 1).
    wrapper: bool = False
    enabled: bool = True
    version: int | None = None
    problems: list[str] = field(default_factory=list)


# The editor widgets in the order the Blocks lists them: the form Save writes, then the enabled flag
# (Enable/Disable save it at once) and the loaded version. ``FORM_FIELDS`` are what the unsaved-edit guard compares.
FORM_FIELDS = (
    "slug",
    "title",
    "category",
    "patterns",
    "modules",
    "solution",
    "references",
    "match_samples",
    "no_match_samples",
    "wrapper",
)
EDITOR_FIELDS = (*FORM_FIELDS, "enabled", "version")


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def split_samples(text: str) -> list[str]:
    """Samples are separated by a line holding only ``---`` (a sample may span several lines).

    >>> split_samples("one\\n---\\ntwo\\nlines\\n---\\n")
    ['one', 'two\\nlines']
    """
    samples: list[str] = []
    current: list[str] = []
    for line in (text or "").splitlines():
        if line.strip() == SAMPLE_SEPARATOR:
            samples.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    samples.append("\n".join(current).strip())
    return [s for s in samples if s]


def join_samples(samples: Iterable[str]) -> str:
    return f"\n{SAMPLE_SEPARATOR}\n".join(samples)


def draft_from_entry(entry: KbEntry | SavedEntry) -> Draft:
    return Draft(
        slug=entry.slug,
        title=entry.title,
        category=entry.category,
        patterns="\n".join(entry.patterns),
        modules=", ".join(entry.modules),
        solution=entry.solution,
        references="\n".join(entry.references),
        match_samples=join_samples(entry.samples.match),
        no_match_samples=join_samples(entry.samples.no_match),
        wrapper=entry.wrapper,
        enabled=entry.enabled,
        version=entry.version,
    )


def draft_from_fields(fields: Sequence[Any]) -> Draft:
    """A draft from the editor widgets' values (``EDITOR_FIELDS`` order; extra trailing values are ignored).

    >>> draft_from_fields(["a-b", "T", "disk", "p", "", "fix", "", "s", "", True, False, "3"]).wrapper
    True
    >>> draft_from_fields(["a-b"]).version is None
    True
    """
    got = dict(zip(EDITOR_FIELDS, fields, strict=False))
    text: dict[str, Any] = {name: str(got.get(name) or "") for name in FORM_FIELDS if name != "wrapper"}
    return Draft(
        **text,
        wrapper=bool(got.get("wrapper", False)),
        enabled=bool(got.get("enabled", True)),
        version=int_or_none(got.get("version")),
    )


def int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def draft_from_group(group: UnmatchedGroup, suggestion: KbSuggestion) -> Draft:
    """A new entry prefilled from an unmatched group and the API's suggestion for it (``POST /kb/suggest``):
    title, slug and pattern from the suggestion, the group's example as the sample it must match."""
    return Draft(
        slug=suggestion.slug,
        title=suggestion.title,
        category="other",
        patterns=suggestion.pattern,
        solution="",
        match_samples=group.example or group.template,
    )


def entry_payload(draft: Draft) -> tuple[dict[str, Any] | None, list[str]]:
    """The API body for a draft, or the reasons it is refused (checked before any call)."""
    problems: list[str] = []
    slug = draft.slug.strip()
    title = " ".join(draft.title.split())
    patterns = lines(draft.patterns)
    solution = draft.solution.strip()
    match_samples = split_samples(draft.match_samples)
    no_match = split_samples(draft.no_match_samples)
    if not _SLUG.match(slug) or len(slug) > 100:
        problems.append("Slug: use lowercase letters, digits and single dashes (e.g. dnf-no-space-left).")
    if len(title) < 3 or len(title) > MAX_TITLE:
        problems.append(f"Title: 3 to {MAX_TITLE} characters.")
    if _HTML_TAG.search(title):
        problems.append("Title: plain text only (no HTML tags).")
    if draft.category not in CATEGORIES:
        problems.append(f"Category: one of {', '.join(CATEGORIES)}.")
    if not patterns:
        problems.append("Patterns: at least one, one per line.")
    if len(patterns) > MAX_PATTERNS:
        problems.append(f"Patterns: at most {MAX_PATTERNS}.")
    problems += [
        f"Pattern {i}: longer than {MAX_PATTERN} characters." for i, p in enumerate(patterns, 1) if len(p) > MAX_PATTERN
    ]
    if not solution:
        problems.append("Solution: say how to fix it (Markdown).")
    if len(solution) > MAX_SOLUTION:
        problems.append(f"Solution: at most {MAX_SOLUTION} characters (it has {len(solution)}).")
    if not match_samples:
        problems.append("Samples: give at least one failure text the entry must match.")
    for name, samples in (("Match", match_samples), ("No-match", no_match)):
        if len(samples) > MAX_SAMPLES:
            problems.append(f"{name} samples: at most {MAX_SAMPLES}.")
        if any(len(s) > MAX_SAMPLE for s in samples):
            problems.append(f"{name} samples: each at most {MAX_SAMPLE} characters.")
    if problems:
        return None, problems
    payload = {
        "slug": slug,
        "title": title,
        "category": draft.category,
        "patterns": patterns,
        "modules": [m.strip() for m in draft.modules.split(",") if m.strip()],
        "solution": solution,
        "references": lines(draft.references),
        "samples": {"match": match_samples, "no_match": no_match},
        "enabled": draft.enabled,
        "wrapper": draft.wrapper,  # always sent: an update that omits it keeps the stored flag
    }
    return payload, []


# Live testing costs one API call per pattern plus one per sample; these caps keep it under ~30 calls.
MAX_TESTED_PATTERNS = 10
MAX_TESTED_SAMPLES = 20


def probe_inputs(
    patterns: str, match_samples: str, no_match_samples: str
) -> tuple[list[str], list[tuple[str, str]], str | None]:
    """``(patterns, [(expected, sample)], None)`` for the live tester, or why it does not call the API yet."""
    pats = lines(patterns)
    if not pats:
        return [], [], "Type a pattern (one per line) to test it."
    too_long = [i for i, p in enumerate(pats, 1) if len(p) > MAX_PATTERN]
    if too_long:
        return [], [], f"Pattern {too_long[0]} is longer than {MAX_PATTERN} characters."
    samples = [("match", t) for t in split_samples(match_samples)]
    samples += [("no_match", t) for t in split_samples(no_match_samples)]
    samples = [(kind, t) for kind, t in samples if len(t) <= MAX_SAMPLE]
    return pats[:MAX_TESTED_PATTERNS], samples[:MAX_TESTED_SAMPLES], None


def any_of(patterns: list[str]) -> str | None:
    r"""One RE2 pattern matching where any of ``patterns`` does (None when too long for the API).

    >>> any_of([r"no space", r"disk \d+ full"])
    '(?:no space)|(?:disk \\d+ full)'
    """
    combined = "|".join(f"(?:{p})" for p in patterns)
    return combined if len(combined) <= MAX_PATTERN else None
