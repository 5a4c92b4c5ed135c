"""KB entries: create, update, disable, history, import/export of the seed format, pattern testing.

Saving an entry compiles its patterns (RE2's message on error: InvalidPattern) and replays its
samples: it must match every ``samples.match`` text and none of ``samples.no_match``
(SampleMismatch otherwise). Every saved version is kept in ``kb.entry_history``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re2

from core import audit
from core.errors import Conflict, InvalidPattern, NotFound, SampleMismatch
from core.redact import redact_obj
from kb.analysis.embedder import HashingEmbedder
from kb.analysis.matcher import CompiledKb, validate_pattern
from kb.analysis.parser import read_pasted
from kb.engine import compiled_kb
from kb.models import EntryIn
from kb.store import repository as repo
from kb.store.seedfile import dump_entries, load_file, read_header

SEED_PATH = Path(__file__).with_name("seed.yaml")
_HASHING = HashingEmbedder()


def entry_from_row(row: repo.Row) -> EntryIn:
    return EntryIn(
        slug=row["slug"],
        title=row["title"],
        category=row["category"],
        patterns=list(row["patterns"]),
        modules=list(row["modules"]),
        solution=row["solution"],
        references=list(row["references"]),
        samples={"match": list(row["samples_match"]), "no_match": list(row["samples_no_match"])},
        enabled=row["enabled"],
        wrapper=row["wrapper"],
    )


def entry_view(row: repo.Row) -> dict[str, Any]:
    """An entry as the API returns it."""
    return entry_from_row(row).model_dump(mode="json") | {
        "id": row["id"],
        "version": row["version"],
        "updated_by": row["updated_by"],
        "updated_at": row["updated_at"].isoformat(),
        "created_at": row["created_at"].isoformat(),
    }


def check_samples(entry: EntryIn) -> None:
    """Replay the entry's samples against its own patterns; raise SampleMismatch on the first miss."""
    own = CompiledKb.from_entries([entry.model_dump(mode="json")])
    for text in entry.samples.match:
        if not own.matching(text):
            raise SampleMismatch(f"{entry.slug}: no pattern matches the sample {text[:200]!r}", slug=entry.slug)
    for text in entry.samples.no_match:
        hits = own.matching(text)
        if hits:
            raise SampleMismatch(
                f"{entry.slug}: pattern {hits[0].text!r} matches the no_match sample {text[:200]!r}", slug=entry.slug
            )


def conflicts(conn: repo.Conn, entry: EntryIn) -> list[dict[str, str]]:
    """Other enabled entries that match this entry's match samples (the more specific one wins)."""
    kb = compiled_kb(conn)
    out = []
    for text in entry.samples.match:
        for slug in kb.slugs_matching(text):
            if slug != entry.slug:
                out.append({"slug": slug, "sample": text[:300]})
    return out


def _write_vectors(conn: repo.Conn, entry_id: int, entry: EntryIn) -> None:
    samples = [("match", s) for s in entry.samples.match] + [("no_match", s) for s in entry.samples.no_match]
    repo.replace_sample_vectors(conn, entry_id, _HASHING.name, samples, _HASHING.embed([t for _, t in samples]))


def _entry_vector(entry: EntryIn) -> Any:
    text = entry.samples.match[0] if entry.samples.match else entry.title
    return _HASHING.embed_one(text)


def save_entry(
    conn: repo.Conn,
    entry: EntryIn,
    by: str,
    *,
    create: bool | None = None,
    expected_version: int | None = None,
    source: str | None = None,
) -> tuple[repo.Row, bool]:
    """Insert or update by slug. Returns ``(row, changed)``; an identical entry is left as it is.

    ``create=True`` refuses an existing slug (Conflict); ``create=False`` refuses a missing one (NotFound).
    ``expected_version`` refuses an update when the stored entry has moved on since it was read (Conflict).
    Every saved change is audited (``kb.create|update|disable|enable``, before/after version, changed fields).
    """
    entry = _redacted(entry)
    for p in entry.patterns:
        validate_pattern(p)
    check_samples(entry)
    data = entry.model_dump(mode="json")
    current = repo.entry_by_slug(conn, entry.slug)
    before: dict[str, Any] | None = None
    if current is None:
        if create is False:
            raise NotFound(f"no KB entry {entry.slug!r}", slug=entry.slug)
        row = repo.insert_entry(conn, data, _entry_vector(entry), by)
    else:
        if create is True:
            raise Conflict(f"a KB entry {entry.slug!r} already exists", slug=entry.slug)
        if expected_version is not None and current["version"] != expected_version:
            raise Conflict(
                f"{entry.slug!r} changed since you opened it (you edited version {expected_version}, it is now "
                f"version {current['version']}); reopen it, re-apply your change and save again",
                slug=entry.slug,
            )
        before = entry_from_row(current).model_dump(mode="json")
        if before == data:
            return current, False
        row = repo.update_entry(conn, current["id"], data, _entry_vector(entry), by)
    repo.insert_history(conn, row["id"], row["slug"], row["version"], data, by)
    _write_vectors(conn, row["id"], entry)
    _audit(conn, by, before, data, current["version"] if current else None, row["version"], source)
    return row, True


def _audit(
    conn: repo.Conn,
    by: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    from_version: int | None,
    to_version: int,
    source: str | None,
) -> None:
    """One audit row per saved KB change (who, what, before/after version), in the saving transaction."""
    if before is None:
        action = "kb.create"
    elif before["enabled"] != after["enabled"]:
        action = "kb.enable" if after["enabled"] else "kb.disable"
    else:
        action = "kb.update"
    changed = sorted(k for k in after if before is None or before.get(k) != after[k])
    audit.record(
        conn,
        actor=by,
        action=action,
        object_type="kb_entry",
        object_id=after["slug"],
        source=source,
        detail={
            "slug": after["slug"],
            "before_version": from_version,
            "after_version": to_version,
            "changed": changed,
            "before": {k: before[k] for k in changed} if before else None,
            "after": {k: after[k] for k in changed},
        },
    )


def _redacted(entry: EntryIn) -> EntryIn:
    """The entry with secrets taken out of its free text (patterns are regexes and stay as written)."""
    data = entry.model_dump(mode="json")
    clean = redact_obj({k: v for k, v in data.items() if k not in ("slug", "patterns", "modules", "category")})
    return EntryIn.model_validate({**data, **clean})


def set_enabled(conn: repo.Conn, slug: str, enabled: bool, by: str) -> repo.Row:
    row = repo.entry_by_slug(conn, slug)
    if row is None:
        raise NotFound(f"no KB entry {slug!r}", slug=slug)
    entry = entry_from_row(row).model_copy(update={"enabled": enabled})
    return save_entry(conn, entry, by)[0]


def import_file(conn: repo.Conn, path: Path, by: str) -> dict[str, int]:
    """Load a seed-format file: upsert by slug; the version moves only for entries that changed. The similarity
    index is rebuilt in the same transaction when the samples have doubled or halved since it was built."""
    _, raw = load_file(path)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for item in raw:
        entry = EntryIn.model_validate(item)
        existed = repo.entry_by_slug(conn, entry.slug) is not None
        _, changed = save_entry(conn, entry, by, source="import")
        counts["unchanged" if not changed else "updated" if existed else "created"] += 1
    repo.ensure_sample_index(conn)  # an import can double the samples: the similarity index follows (0014)
    return counts


def export_text(conn: repo.Conn, header: str | None = None) -> str:
    """All entries in the seed format, in creation order, under the seed file's header."""
    if header is None:
        header = read_header(SEED_PATH.read_text(encoding="utf-8"))
    items = []
    for row in repo.all_entries(conn):
        data = entry_from_row(row).model_dump(mode="json")
        item = {k: data[k] for k in ("slug", "title", "category", "patterns", "modules", "solution", "references")}
        item["samples"] = data["samples"]
        if data["wrapper"]:
            item["wrapper"] = True
        if not row["enabled"]:
            item["enabled"] = False
        items.append(item)
    return dump_entries(items, header)


def try_pattern(
    conn: repo.Conn, pattern: str | None, text: str | None, slug: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    """What a pattern (or a text) would match: the KB entries, other entries' samples, past failures."""
    out: dict[str, Any] = {}
    kb = compiled_kb(conn)
    if text is not None:
        reading = kb.read(read_pasted(text))  # as the analyser reads it: through the tools' translations when needed
        best = reading.match
        out["text_matches"] = kb.slugs_matching(reading.text)
        out["text_best"] = best.slug if best else None
    if pattern is None:
        return out
    validate_pattern(pattern)
    try:
        rx = re2.compile(pattern, _ci())
    except re2.error as exc:  # validated above; keep the error path total
        raise InvalidPattern(str(exc), pattern=pattern) from None
    if text is not None:
        found = rx.search(text)
        out["pattern_matches_text"] = found is not None
        out["pattern_match"] = found.group(0)[:1000] if found else None
    samples: list[dict[str, str]] = []
    for row in repo.all_entries(conn):
        if row["slug"] == slug:
            continue
        for sample in row["samples_match"]:
            if rx.search(sample):
                samples.append({"slug": row["slug"], "sample": sample[:300]})
    out["other_entries_samples"] = samples
    past = []
    for row in repo.recent_failures(conn, limit):
        if rx.search(row["match_text"]):
            past.append(
                {
                    "failure_id": row["id"],
                    "job_id": row["job_id"],
                    "host": row["host"],
                    "task": row["task"],
                    "current_slug": row["kb_slug"],
                }
            )
    out["past_failures"] = past
    out["conflicts"] = [p for p in past if p["current_slug"] not in (None, slug)]
    return out


def _ci() -> re2.Options:
    o = re2.Options()
    o.case_sensitive = False
    o.log_errors = False
    return o
