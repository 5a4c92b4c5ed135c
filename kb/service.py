"""Failure analysis for jobs: parse, match, store in ops.failures, group what nothing matched.

kb is the only writer of ``ops.failures``. Functions take a psycopg connection and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.diagnosis import JobFailure
from core.enums import AnalysisState
from core.errors import NotFound
from core.redact import redact, redact_log, redact_obj
from core.settings import Settings
from kb.analysis.chooser import make_chooser
from kb.analysis.embedder import make_embedder
from kb.analysis.events import parse_events
from kb.analysis.intake import classify, decode_log
from kb.analysis.normalise import normalise
from kb.analysis.parser import parse_stdout
from kb.engine import match_detail
from kb.errors import NotAnAnsibleLog
from kb.models import Analysis, Failure, KbMatch, MatchResult, Related
from kb.store import repository as repo


@dataclass(frozen=True, slots=True)
class StoredFailure:
    id: int
    failure: Failure
    match: KbMatch | None
    related: tuple[Related, ...] = ()


def related_view(related: Sequence[Related] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Entries below the answer bar, labelled so no one reads them as the diagnosis."""
    out = []
    for r in related:
        slug, title, score = (
            (r.slug, r.title, r.score) if isinstance(r, Related) else (r["slug"], r["title"], r["score"])
        )
        out.append({"slug": slug, "title": title, "score": score, "label": "possibly related"})
    return out


def analyse(stdout: str | None, events: Sequence[Mapping[str, Any]] | None) -> Analysis:
    """Failures from the stdout and/or the job events, merged.

    The stdout decides which results counted (it carries ``...ignoring``, rescues and the recap);
    events add the module name and fill in failures the stdout lacks (a stdout cut at its head).
    """
    text = parse_stdout(stdout) if stdout else None
    ev = parse_events(events) if events else None
    if text is None:
        return ev or Analysis()
    if ev is None:
        return text
    by_key = {(f.host, f.task): f for f in ev.failures + ev.ignored}
    known = {(f.host, f.task) for f in text.failures + text.ignored}
    for f in text.failures:
        e = by_key.get((f.host, f.task))
        if e is not None:
            f.module = f.module or e.module
            f.role = f.role or e.role
    for f in ev.failures:
        if (f.host, f.task) not in known and not _recap_says_ok(text, f.host):
            text.failures.append(f)
    return text


def _recap_says_ok(a: Analysis, host: str) -> bool:
    rec = a.recap.get(host)
    return rec is not None and rec.get("failed", 0) + rec.get("unreachable", 0) == 0


def template_of(f: Failure) -> tuple[str, str]:
    """``(hash, template)`` of an unmatched failure's normalised text."""
    template = normalise(f.match_text or f.message) or "(empty message)"
    return hashlib.sha256(template.encode()).hexdigest()[:32], template


def store_failures(
    conn: repo.Conn, job_id: int, failures: list[Failure], results: list[MatchResult]
) -> list[StoredFailure]:
    repo.delete_job_failures(conn, job_id)
    repo.delete_job_unmatched(conn, job_id)
    stored = []
    for f, res in zip(failures, results, strict=True):
        m = res.match
        row = {
            "job_id": job_id,
            "host": f.host,
            "task": f.task,
            "play": f.play,
            "module": f.module,
            "rc": f.rc,
            "message": f.message or f.msg or "(no message)",
            "match_text": f.match_text,
            "item": f.item,
            "unreachable": f.unreachable,
            "kb_slug": m.slug if m else None,
            "match_kind": m.kind.value if m else None,
            "score": m.score if m else None,
            "match_via": m.via if m else None,
            "related": related_view(res.related),
        }
        stored.append(StoredFailure(repo.insert_failure(conn, row), f, m, res.related))
        if m is None:
            digest, template = template_of(f)
            repo.add_unmatched(conn, digest, template, (f.match_text or f.message)[:4000], job_id, f.host, f.task)
    repo.set_analysis(conn, job_id, AnalysisState.done.value)  # in the same commit as the rows
    return stored


def analyse_job(
    conn: repo.Conn, job_id: int, stdout: str, events: list[dict[str, Any]] | None, settings: Settings
) -> list[StoredFailure]:
    """Parse the job's output, match each failure, and replace the job's rows in ops.failures.

    Idempotent: re-running it for a job replaces that job's failures and unmatched-group members.
    Does not commit.
    """
    # Redacted again here (idempotent): this is the one writer of ops.failures, whoever calls it.
    failures = [_redacted(f) for f in analyse(redact_log(stdout), redact_obj(events) if events else events).failures]
    results = match_detail(conn, make_embedder(settings), failures, make_chooser(settings))
    return store_failures(conn, job_id, failures, results)


def reanalyse_job(conn: repo.Conn, job_id: int, settings: Settings) -> list[StoredFailure]:
    """Match the job again with the current KB: from its stored stdout, else from its stored failures."""
    if not repo.job_exists(conn, job_id):
        raise NotFound(f"job {job_id} does not exist", job_id=job_id)
    stdout = repo.job_stdout(conn, job_id)
    if stdout:
        return analyse_job(conn, job_id, stdout, None, settings)
    failures = [
        Failure(
            host=r["host"],
            task=r["task"],
            play=r["play"],
            module=r["module"],
            rc=r["rc"],
            message=r["message"],
            match_text=r["match_text"],
            item=r["item"],
            unreachable=r["unreachable"],
        )
        for r in repo.job_failures(conn, job_id)
    ]
    results = match_detail(conn, make_embedder(settings), failures, make_chooser(settings))
    return store_failures(conn, job_id, failures, results)


def kb_view(
    slug: str | None, kind: str | None, score: float | None, entry: Mapping[str, Any] | None, via: str | None = None
) -> dict[str, Any] | None:
    if slug is None or entry is None:
        return None
    return {
        "slug": slug,
        "title": entry["title"],
        "category": entry["category"],
        "match": kind,
        "score": score,
        "via": via,
        "solution": entry["solution"],
    }


def job_failures(conn: repo.Conn, job_id: int) -> list[JobFailure]:
    """The job's failures for the API: host, task, message, ``kb`` (None when nothing matched) and ``related``
    (entries below the answer bar, "possibly related", with their scores)."""
    return [failure_view(r) for r in repo.job_failures(conn, job_id)]


def failure_view(r: Mapping[str, Any]) -> JobFailure:
    """One row of ``job_failures`` as the API shows it."""
    return JobFailure.model_validate(
        {
            "host": r["host"],
            "task": r["task"],
            "message": r["message"],
            "kb": kb_view(
                r["kb_slug"], r["match_kind"], r["score"], r if r["title"] is not None else None, r["match_via"]
            ),
            "related": related_view(r["related"] or []),
        }
    )


def _redacted(f: Failure) -> Failure:
    """A failure's texts redacted once more after JSON decoding (decoding can reveal a secret's usual form)."""
    for name in ("msg", "message", "match_text", "stderr_excerpt", "stdout_excerpt"):
        setattr(f, name, redact(getattr(f, name)))
    if f.item:
        f.item = redact(f.item)
    return f


def analyse_input(conn: repo.Conn, raw: bytes | str, settings: Settings) -> dict[str, Any]:
    """Analyse a log as given (bytes in any encoding kb.analysis.intake detects, or text); stores nothing.

    Raises NotAnAnsibleLog (422) for an empty file, binary data or text without Ansible output, so
    such input is never reported as "no failed hosts". The answer's ``input`` names the encoding
    used and every decoding step taken (nothing is skipped silently).
    """
    decoded = decode_log(raw) if isinstance(raw, bytes) else classify(raw)
    if decoded.problem:
        raise NotAnAnsibleLog(decoded.problem, kind=decoded.kind.value, encoding=decoded.encoding)
    result = analyse_text(conn, decoded.text, settings)
    result["input"] = {"encoding": decoded.encoding, "kind": decoded.kind.value, "notes": decoded.notes}
    return result


def analyse_text(conn: repo.Conn, log: str, settings: Settings) -> dict[str, Any]:
    """Analyse a log without storing anything: failures, ignored results and their KB matches."""
    analysis = parse_stdout(log)
    results = match_detail(conn, make_embedder(settings), analysis.failures, make_chooser(settings))
    entries = repo.entries_by_slugs(conn, sorted({r.match.slug for r in results if r.match}))
    result = {
        "failures": [
            {
                "host": f.host,
                "task": f.task,
                "play": f.play,
                "module": f.module,
                "rc": f.rc,
                "item": f.item,
                "unreachable": f.unreachable,
                "message": f.message,
                "kb": kb_view(m.slug, m.kind.value, m.score, entries.get(m.slug), m.via) if m else None,
                "related": related_view(r.related),
            }
            for f, r in zip(analysis.failures, results, strict=True)
            for m in (r.match,)
        ],
        "ignored": [{"host": f.host, "task": f.task, "reason": f.ignored} for f in analysis.ignored],
        "hosts": analysis.recap,
        "truncated": analysis.truncated,
    }
    # Matching saw the log as given (nothing is stored); what goes back out is redacted.
    redacted: dict[str, Any] = redact_obj(result)
    return redacted
