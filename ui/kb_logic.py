r"""KB editor decisions as pure functions: drafts from unmatched groups, form parsing and checks, reports.

A pattern suggestion keeps the example's longest *stable* run (no numbers, paths, hosts,
versions, addresses) and escapes it for RE2, so it matches the same failure on other hosts:

>>> suggest_pattern("Error: [Errno 28] No space left on device: '/var/cache/dnf/x.rpm'")
'No space left on device'
>>> suggest_pattern("Cannot find a valid baseurl for repo: epel (1.2.3.4)")
'Cannot find a valid baseurl for repo: epel'
>>> suggest_title("fatal: error: rpmdb open failed. more text here")
'Rpmdb open failed. more text here'
>>> slugify("Error: rpmdb open failed!")
'error-rpmdb-open-failed'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ui.models import JobFailure, KbEntry, KbRevision, PastHit, PatternProbe, SampleHit, SavedEntry, UnmatchedGroup
from ui.text import excerpt, plain

# The categories of kb.models.Category (the UI may not import kb; the API refuses others with 422).
CATEGORIES = (
    "disk",
    "repo",
    "network",
    "gpg",
    "lock",
    "dependency",
    "subscription",
    "ssh",
    "privilege",
    "interpreter",
    "reboot",
    "service",
    "filesystem",
    "other",
)
SAMPLE_SEPARATOR = "---"
MAX_TITLE = 300
MAX_PATTERN = 2000
MAX_PATTERNS = 50
MAX_SOLUTION = 20_000
MAX_SAMPLE = 20_000
MAX_SAMPLES = 50
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-z][^>]*>", re.I)
_RE2_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")
# Tokens that vary between hosts/runs: addresses, paths, versions, package NEVRAs, hex ids, numbers.
_VARIABLE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ][\d:.]+\S*"
    r"|[a-z][a-z0-9+.-]*://\S+"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"
    r"|(?:~|\.{0,2})/[\w.@+~/-]*"
    r"|\b[\w+.-]*\d[\w+.:~-]*\b"
    r"|\b[0-9a-f]{8,}\b",
    re.I,
)
_TRIM = " \t'\"`:;,.()[]{}<>=-_/\\|"
_LEADING_NOISE = re.compile(r"^(?:fatal|error|failed|msg|non-zero return code)\s*[:!]\s*", re.I)


def escape_re2(text: str) -> str:
    r"""Escape ``text`` so RE2 matches it literally (spaces stay readable).

    >>> escape_re2("needs 27MB (on /boot)?")
    'needs 27MB \\(on /boot\\)\\?'
    """
    return _RE2_SPECIAL.sub(r"\\\1", text)


def stable_runs(example: str) -> list[str]:
    """The example's text between variable tokens, trimmed, longest first."""
    first = " ".join(example.split())[:1000]
    runs = [part.strip(_TRIM) for part in _VARIABLE.split(first)]
    return sorted({r for r in runs if len(r) >= 4}, key=lambda r: (-len(r), first.find(r)))


def suggest_pattern(example: str) -> str:
    r"""An RE2 pattern from the example's longest stable run (at most 200 characters).

    When the example's whitespace is more than single spaces (newlines, indents), spaces become ``\s+``:
    runs are found on the collapsed text, and the pattern must still match the original.

    >>> suggest_pattern("Transaction test error:\n  installing package foo-1.2.3 needs 12MB")
    'Transaction\\s+test\\s+error:\\s+installing\\s+package'
    """
    runs = stable_runs(example)
    best = runs[0][:200] if runs else excerpt(example, 120).rstrip("…")
    pattern = escape_re2(best)
    return pattern if " ".join(example.split()) == example.strip() else pattern.replace(" ", r"\s+")


def suggest_title(example: str) -> str:
    """A readable title: the example's stable part (or first sentence) without 'fatal:' noise, capitalised."""
    text = " ".join(example.split())
    while True:
        stripped = _LEADING_NOISE.sub("", text)
        if stripped == text:
            break
        text = stripped
    runs = stable_runs(text)
    sentence = runs[0] if runs and len(runs[0]) >= 10 else re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    sentence = excerpt(sentence.rstrip(".!? "), 80).rstrip("…").rstrip() or "Unclassified failure"
    if len(sentence) < 3:
        sentence = f"Failure: {sentence}"
    return sentence[0].upper() + sentence[1:]


def slugify(text: str, limit: int = 60) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "new-entry"


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
    enabled: bool = True
    version: int | None = None
    problems: list[str] = field(default_factory=list)


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


def draft_from_entry(entry: KbEntry) -> Draft:
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
        enabled=entry.enabled,
        version=entry.version,
    )


def draft_from_group(group: UnmatchedGroup) -> Draft:
    """A new entry prefilled from an unmatched group: title, slug, escaped pattern, the example as sample."""
    title = suggest_title(group.example or group.template)
    return Draft(
        slug=slugify(title),
        title=title,
        category="other",
        patterns=suggest_pattern(group.example or group.template),
        modules=group.module or "",
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


# --- reports (Markdown, inert) ----------------------------------------------------------------


@dataclass(frozen=True)
class SampleVerdict:
    text: str
    expected: str  # "match" | "no_match"
    matched: bool

    @property
    def ok(self) -> bool:
        return self.matched == (self.expected == "match")


@dataclass
class ProbeSummary:
    """The live tester's verdict over all of an entry's patterns."""

    samples: list[SampleVerdict] = field(default_factory=list)
    past: list[PastHit] = field(default_factory=list)
    other_samples: list[SampleHit] = field(default_factory=list)
    conflicts: list[PastHit] = field(default_factory=list)


def summarise(probes: list[PatternProbe], samples: list[SampleVerdict]) -> ProbeSummary:
    """Merge the per-pattern answers of ``POST /kb/test``: a failure hit by two patterns counts once."""

    def unique_past(hits: Iterable[PastHit]) -> list[PastHit]:
        seen: dict[tuple[Any, ...], PastHit] = {}
        for h in hits:
            seen.setdefault((h.failure_id, h.job_id, h.host, h.task), h)
        return list(seen.values())

    others: dict[tuple[str, str], SampleHit] = {}
    for probe in probes:
        for hit in probe.other_entries_samples:
            others.setdefault((hit.slug, hit.sample), hit)
    return ProbeSummary(
        samples=samples,
        past=unique_past(h for p in probes for h in p.past_failures),
        other_samples=list(others.values()),
        conflicts=unique_past(h for p in probes for h in p.conflicts),
    )


def probe_report(summary: ProbeSummary) -> str:
    """The tester's verdict as inert Markdown."""
    out = ["**Patterns compile (RE2).**", "", "**Samples**"]
    if not summary.samples:
        out.append("- no samples yet: add at least one the entry must match")
    for s in summary.samples:
        verdict = "✅" if s.ok else "❌"
        want = "should match" if s.expected == "match" else "should not match"
        got = "matches" if s.matched else "does not match"
        out.append(f"- {verdict} {want}, {got}: `{_code(excerpt(s.text, 120))}`")
    out += ["", f"**Past failures matched:** {len(summary.past)}"]
    for p in summary.past[:10]:
        now = f" (now: {plain(p.current_slug)})" if p.current_slug else " (unmatched)"
        out.append(f"- job {p.job_id}, {plain(p.host)}, {plain(p.task)}{now}")
    out += ["", f"**Conflicts with other entries:** {len(summary.conflicts) + len(summary.other_samples) or 'none'}"]
    out += [
        f"- a past failure on {plain(c.host)} (job {c.job_id}) is matched today by {plain(c.current_slug or '')}"
        for c in summary.conflicts[:10]
    ]
    out += [
        f"- matches a sample of {plain(h.slug)}: `{_code(excerpt(h.sample, 120))}`" for h in summary.other_samples[:10]
    ]
    return "\n".join(out)


def saved_report(entry: SavedEntry) -> str:
    out = [f"Saved **{plain(entry.slug)}**, version {entry.version}."]
    if entry.conflicts:
        out.append("")
        out.append("Other entries also match its samples (the more specific pattern wins):")
        out += [f"- {plain(c.slug)}: `{_code(excerpt(c.sample, 120))}`" for c in entry.conflicts[:10]]
    return "\n".join(out)


def _code(text: str) -> str:
    # Inline code cannot hold a backtick; HTML stays literal inside it.
    return text.replace("`", "'")


def api_problems(detail: str, errors: list[dict[str, str]]) -> str:
    """A 4xx answer as a readable, inert message."""
    if not errors:
        return f"**Refused:** {plain(detail)}"
    items = "\n".join(f"- {plain(e.get('field', ''))}: {plain(e.get('problem', ''))}" for e in errors[:10])
    return f"**Refused:** {plain(detail)}\n\n{items}"


def describe_change(previous: dict[str, Any] | None, current: dict[str, Any]) -> str:
    """What one version changed, from the entry content before and after.

    >>> describe_change(None, {"title": "a"})
    'created'
    >>> describe_change({"title": "a", "enabled": True}, {"title": "a", "enabled": False})
    'disabled'
    >>> describe_change({"title": "a", "patterns": ["x"]}, {"title": "b", "patterns": ["y"]})
    'edited: patterns, title'
    """
    if previous is None:
        return "created"
    if previous.get("enabled", True) != current.get("enabled", True):
        return "enabled" if current.get("enabled", True) else "disabled"
    changed = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
    return f"edited: {', '.join(changed)}" if changed else "saved unchanged"


def history_report(revisions: list[KbRevision]) -> str:
    if not revisions:
        return "No history yet."
    ordered = sorted(revisions, key=lambda r: r.version)
    rows = []
    for i, r in enumerate(ordered):
        change = describe_change(ordered[i - 1].data if i else None, r.data)
        when = f"{r.changed_at:%Y-%m-%d %H:%M}" if r.changed_at else ""
        rows.append(f"| {r.version} | {when} | {_cell(r.changed_by)} | {_cell(change)} |")
    return "\n".join(["| version | when | by | change |", "|---|---|---|---|", *reversed(rows)])


def _cell(text: str) -> str:
    return plain(text).replace("\\|", "&#124;")


def entries_rows(entries: list[KbEntry]) -> list[list[Any]]:
    return [[e.slug, e.title, e.category, "yes" if e.enabled else "no", e.version or ""] for e in entries]


ENTRY_HEADERS = ["slug", "title", "category", "enabled", "version"]
GROUP_HEADERS = ["#", "count", "hosts", "first seen", "last seen", "example"]


def sorted_groups(groups: list[UnmatchedGroup]) -> list[UnmatchedGroup]:
    """Most frequent first (then most recent), the order curators work in."""
    return sorted(groups, key=lambda g: (-g.count, -(g.last_seen.timestamp() if g.last_seen else 0), g.template))


def group_rows(groups: list[UnmatchedGroup]) -> list[list[Any]]:
    return [
        [
            i,
            g.count,
            ", ".join(g.hosts[:5]) + (f" (+{len(g.hosts) - 5})" if len(g.hosts) > 5 else ""),
            f"{g.first_seen:%Y-%m-%d %H:%M}" if g.first_seen else "",
            f"{g.last_seen:%Y-%m-%d %H:%M}" if g.last_seen else "",
            excerpt(g.example or g.template, 160),
        ]
        for i, g in enumerate(groups, 1)
    ]


def reanalyse_report(job_id: int, failures: list[JobFailure]) -> str:
    """After a re-analysis: how many failures now have a KB match, and which."""
    matched = [f for f in failures if f.kb is not None]
    out = [f"Job {job_id} re-analysed: {len(matched)} of {len(failures)} failure(s) have a KB match."]
    for f in failures:
        if f.kb is None:
            fix = "no match"
        elif f.kb.match == "similar":
            fix = f"similar to {plain(f.kb.slug)} (score {f.kb.score or 0:.2f})"
        else:
            fix = f"{plain(f.kb.slug)} (exact)"
        out.append(f"- {plain(f.host)}, {plain(f.task)}: {fix}")
    return "\n".join(out)
