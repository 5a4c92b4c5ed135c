"""The KB editor's Markdown reports (inert): tester verdicts, saves, history, tables, re-analysis, matches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ui.models import (
    JobFailure,
    KbEntry,
    KbRevision,
    PastFailureHit,
    PatternTestResult,
    SampleHit,
    SavedEntry,
    UnmatchedDay,
    UnmatchedGroup,
)
from ui.text import excerpt, plain

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
    past: list[PastFailureHit] = field(default_factory=list)
    other_samples: list[SampleHit] = field(default_factory=list)
    conflicts: list[PastFailureHit] = field(default_factory=list)


def summarise(probes: list[PatternTestResult], samples: list[SampleVerdict]) -> ProbeSummary:
    """Merge the per-pattern answers of ``POST /kb/test``: a failure hit by two patterns counts once."""

    def unique_past(hits: Iterable[PastFailureHit]) -> list[PastFailureHit]:
        seen: dict[tuple[Any, ...], PastFailureHit] = {}
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
    """The tester's verdict as inert Markdown; failing samples in red (class ``kb-fail``) with their count."""
    failing = [s for s in summary.samples if not s.ok]
    out = ["**Patterns compile (RE2).**", ""]
    if failing:
        out.append(f'<span class="kb-fail">**{len(failing)} of {len(summary.samples)} samples fail**</span>')
    elif summary.samples:
        out.append(f"**All {len(summary.samples)} samples pass.**")
    out += ["", "**Samples**"]
    if not summary.samples:
        out.append("- no samples yet: add at least one the entry must match")
    for s in summary.samples:
        want = "should match" if s.expected == "match" else "should not match"
        got = "matches" if s.matched else "does not match"
        line = f"{want}, {got}: `{_code(excerpt(s.text, 120))}`"
        out.append(f"- pass: {line}" if s.ok else f'- <span class="kb-fail">FAIL: {line}</span>')
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
    if entry.wrapper:
        out[0] += " It is a wrapper: an entry naming the cause wins when both match."
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
    """What one version changed, from the entry content before and after. The enabled and wrapper flags are
    named on their own (a version saved before the wrapper flag existed has no ``wrapper``: not a wrapper).

    >>> describe_change(None, {"title": "a"})
    'created'
    >>> describe_change({"title": "a", "enabled": True}, {"title": "a", "enabled": False})
    'disabled'
    >>> describe_change({"title": "a", "patterns": ["x"]}, {"title": "b", "patterns": ["y"]})
    'edited: patterns, title'
    >>> describe_change({"title": "a"}, {"title": "a", "wrapper": True})
    'marked a wrapper (loses to a matching cause)'
    >>> describe_change({"title": "a", "wrapper": True}, {"title": "b", "wrapper": False})
    'no longer a wrapper; edited: title'
    """
    if previous is None:
        return "created as a wrapper" if current.get("wrapper") else "created"
    parts = []
    if previous.get("enabled", True) != current.get("enabled", True):
        parts.append("enabled" if current.get("enabled", True) else "disabled")
    if bool(previous.get("wrapper")) != bool(current.get("wrapper")):
        parts.append(
            "marked a wrapper (loses to a matching cause)" if current.get("wrapper") else "no longer a wrapper"
        )
    flags = {"enabled", "wrapper"}
    changed = sorted(k for k in (set(previous) | set(current)) - flags if previous.get(k) != current.get(k))
    if changed:
        parts.append(f"edited: {', '.join(changed)}")
    return "; ".join(parts) or "saved unchanged"


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
    """Table rows; hits and last seen when the API reports them (entry effectiveness)."""
    rows = []
    for e in entries:
        eff = e.effectiveness
        hits = eff.hits if eff is not None else ""
        seen = f"{eff.last_seen:%Y-%m-%d %H:%M} UTC" if eff is not None and eff.last_seen else ""
        enabled = "yes" if e.enabled else "no"
        rows.append(
            [e.slug, e.title, e.category, enabled, WRAPPER_MARK if e.wrapper else "", e.version or "", hits, seen]
        )
    return rows


WRAPPER_MARK = "wrapper"  # the entries table's wrapper column: a generic message that loses to a matching cause
ENTRY_HEADERS = ["slug", "title", "category", "enabled", "wrapper", "version", "hits", "last seen"]
GROUP_HEADERS = ["#", "count", "hosts", "first seen", "last seen", "example"]


@dataclass(frozen=True)
class PatternWhy:
    pattern: str
    matched: bool
    span: str  # the part of the text it matched ("" when it does not)


def match_report(text: str, best: KbEntry | None, others: list[str], why: list[PatternWhy]) -> str:
    """'Paste an error': which entry matches, by which pattern and on which words, and which others also do."""
    if best is None:
        return (
            "**No entry matches this text.** Promote it from *Unmatched failures* once it has been seen in a "
            "job, or write a new entry with a pattern taken from it."
        )
    out = [f"**Matches {plain(best.slug)}**: {plain(best.title)}", "", "**Why:**"]
    hits = [w for w in why if w.matched]
    for w in hits:
        out.append(f"- pattern `{_code(w.pattern)}` matches `{_code(excerpt(w.span, 160))}`")
    if not hits:
        out.append("- none of its patterns matches on its own (the KB matched it as a whole)")
    rest = [slug for slug in others if slug != best.slug]
    if rest:
        out += [
            "",
            "Also matching (a cause beats a wrapper, then the more specific pattern wins): "
            + ", ".join(plain(x) for x in rest),
        ]
    if not best.enabled:
        out += ["", "This entry is disabled: jobs do not get its fix until it is enabled."]
    if best.wrapper:
        out += ["", "This entry is a wrapper (a generic message): no entry naming the cause matches this text."]
    out += ["", f"**Fix:** {excerpt(plain(best.solution), 300)}"]
    return "\n".join(out)


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


def trend_line(days: list[UnmatchedDay], window: int) -> str:
    """One line of unmatched failures per day, newest first, so a curator sees whether they grow.

    >>> from datetime import date
    >>> trend_line([UnmatchedDay(day=date(2026, 3, 2), failures=5, groups=2),
    ...             UnmatchedDay(day=date(2026, 3, 1), failures=1, groups=1)], 14)
    'Last 14 days (UTC): 03-02: 5 failures in 2 groups · 03-01: 1 failure in 1 group'
    >>> trend_line([], 14)
    'Last 14 days (UTC): no unmatched failures.'
    """
    if not days:
        return f"Last {window} days (UTC): no unmatched failures."

    def one(d: UnmatchedDay) -> str:
        failures = f"{d.failures} failure{'s' if d.failures != 1 else ''}"
        return f"{d.day:%m-%d}: {failures} in {d.groups} group{'s' if d.groups != 1 else ''}"

    return f"Last {window} days (UTC): " + " · ".join(one(d) for d in days)


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
