"""``patchpilot kb import|export``, ``patchpilot analyze FILE`` and ``patchpilot eval failures``."""

from __future__ import annotations

import contextlib
import json as jsonlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from core.db import connect
from core.embedded import start_postgres
from core.migrate import migrate
from core.settings import Settings, get_settings
from kb.analysis.catalogs import build, kb_corpus, write_catalog
from kb.analysis.matcher import CompiledKb
from kb.analysis.translate import CATALOG
from kb.entries import SEED_PATH, export_text, import_file
from kb.errors import NotAnAnsibleLog
from kb.service import analyse_input
from kb.store import repository as kb_repo
from kb.store.seedfile import load_file

kb_app = typer.Typer(help="Knowledge base: import and export the seed format.", no_args_is_help=True)
console = Console()


def server_url(settings: Settings) -> str:
    """settings.db.url, or the embedded PostgreSQL under settings.home (started if needed)."""
    return settings.db.url or start_postgres(settings.home / "pg")


@contextlib.contextmanager
def db(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A migrated database connection; committed on success, rolled back on error."""
    url = server_url(settings)
    migrate(url)
    with connect(url) as conn:
        yield conn


def _seed(settings: Settings) -> Path:
    return settings.kb.seed_path or SEED_PATH


@kb_app.command("import")
def import_command(
    file: Annotated[Path | None, typer.Argument(help="seed-format YAML; default: the packaged kb/seed.yaml")] = None,
    by: Annotated[str, typer.Option(help="who is recorded in the entry history")] = "cli",
) -> None:
    """Load KB entries (upsert by slug; the version moves only for entries that changed)."""
    settings = get_settings()
    with db(settings) as conn:
        counts = import_file(conn, file or _seed(settings), by)
        index = kb_repo.sample_index(conn)
    console.print(
        f"KB import: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
    )
    if index is not None:
        console.print(_index_line(index))


def _index_line(index: dict[str, Any]) -> str:
    return (
        f"similarity index: {index['lists']} lists for {index['rows_at_build']} sample vectors, built "
        f"{index['built_at']:%Y-%m-%d %H:%M:%S %Z} in {index['build_ms'] / 1000:.1f} s"
    )


@kb_app.command("reindex")
def reindex_command(
    only_if_stale: Annotated[
        bool, typer.Option("--only-if-stale", help="rebuild only when the samples doubled or halved since the build")
    ] = False,
) -> None:
    """Rebuild the similarity index (IVFFlat) for the sample vectors the KB holds now: one list per 50 vectors.
    Imports and the workers' periodic kb-index task do this when the samples double or halve; searches go on
    during the build, KB writes wait for it."""
    with db(get_settings()) as conn:
        before = kb_repo.sample_index(conn)
        conn.commit()
        after = kb_repo.ensure_sample_index(conn) if only_if_stale else kb_repo.rebuild_sample_index(conn)
        conn.commit()
    if after is None:
        console.print("similarity index is current, kept: " + (_index_line(before) if before else "no record"))
        return
    console.print(_index_line(after))


@kb_app.command("export")
def export_command(
    file: Annotated[Path | None, typer.Argument(help="where to write; default: standard output")] = None,
) -> None:
    """Write every KB entry in the seed format (import then export of kb/seed.yaml is byte-identical)."""
    with db(get_settings()) as conn:
        text = export_text(conn)
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"wrote {file}")


@kb_app.command("catalog")
def catalog_command(
    po: Annotated[
        list[str],
        typer.Option(
            help="TOOL=DIR[@WHERE]: a directory of the tool's .po files (from a source checkout) and where they come "
            "from (repository, tag, commit); repeat per tool, release and po directory"
        ),
    ],
    out: Annotated[Path, typer.Option(help="the catalogue to write")] = CATALOG,
    seed: Annotated[Path, typer.Option(help="the KB whose samples and patterns choose the messages")] = SEED_PATH,
) -> None:
    """Build the translation catalogue (kb/catalog.jsonl) from the tools' .po files: the messages the KB's samples
    show or its patterns know, in the languages fleets run in. Nothing is downloaded."""
    sources: dict[str, list[Path]] = {}
    origins: dict[str, list[str]] = {}
    for item in po:
        tool, sep, rest = item.partition("=")
        where, _, commit = rest.partition("@")
        folder = Path(where)
        if not sep or not tool or not folder.is_dir():
            raise typer.BadParameter(f"{item!r}: give TOOL=DIR with DIR a directory of .po files", param_hint="--po")
        files = sorted(folder.glob("*.po"))
        if not files:
            raise typer.BadParameter(f"{item!r}: {folder} has no .po files", param_hint="--po")
        sources.setdefault(tool, []).extend(files)
        origins.setdefault(tool, [])
        if commit and commit not in origins[tool]:
            origins[tool].append(commit)
    _, entries = load_file(seed)
    messages = build(sources, kb_corpus(entries), CompiledKb.from_entries(entries))
    header = {
        "what": "tool messages the KB's samples show or its patterns know, with their translations "
        "(kb/analysis/translate.py); rebuild with 'patchpilot kb catalog'",
        "sources": {tool: origins[tool] or ["unknown"] for tool in sorted(sources)},
    }
    n = write_catalog(out, header, messages)
    console.print(f"wrote {out}: {n} translations of {len({m.msgid for m in messages})} messages")


def analyze_command(
    file: Annotated[Path, typer.Argument(help="AWX job stdout (txt or ansi)", exists=True, dir_okay=False)],
    json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Analyse an AWX job stdout file: each failed host, task, cause and known fix. Stores nothing."""
    settings = get_settings()
    with db(settings) as conn:
        if not conn.execute("SELECT 1 FROM kb.entries LIMIT 1").fetchone():
            import_file(conn, _seed(settings), "cli")
        try:
            report = analyse_input(conn, file.read_bytes(), settings)
        except NotAnAnsibleLog as exc:
            Console(stderr=True).print(f"[red]{file}: {exc.message}[/red]")
            raise typer.Exit(2) from None
        finally:
            conn.rollback()
    if json:
        sys.stdout.write(jsonlib.dumps(report, indent=2, default=str) + "\n")
        return
    for note in report["input"]["notes"]:
        console.print(f"[yellow]{file}: {note}[/yellow]")
    failures = report["failures"]
    if not failures:
        console.print("[green]No failed hosts in this log.[/green]")
        return
    table = Table(title=f"{len(failures)} failure(s)", show_lines=True)
    for col in ("host", "task", "cause", "fix"):
        table.add_column(col, overflow="fold")
    for f in failures:
        kb = f["kb"]
        if kb is None:
            cause, fix = f["message"][:400], "[yellow]no known fix (unmatched)[/yellow]"
            if f["related"]:
                fix += "\npossibly related (not a diagnosis): " + ", ".join(
                    f"{r['slug']} ({r['score']})" for r in f["related"]
                )
        else:
            label = "exact" if kb["match"] == "exact" else f"similar, score {kb['score']}"
            cause = f"{kb['title']} [dim]({kb['slug']}, {label})[/dim]\n{f['message'][:200]}"
            fix = kb["solution"]
        table.add_row(f["host"] + (" (unreachable)" if f["unreachable"] else ""), f["task"], cause, fix)
    console.print(table)


def eval_failures_command(
    cases: Annotated[Path, typer.Option("--cases", help="directory with cases.jsonl and the logs")] = Path(
        "evals/logs"
    ),
    kb: Annotated[Path | None, typer.Option("--kb", help="KB file; default: the packaged seed")] = None,
    json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run the failure-analysis eval (evals/README.md section 3) against a throwaway database."""
    from evals.failures import run

    settings = get_settings()
    report = run(cases, kb, settings, server_url(settings))
    if json:
        sys.stdout.write(jsonlib.dumps(report, indent=2) + "\n")
        return
    console.print(
        f"logs {report['logs']}  expected {report['expected']}  found {report['found']}  "
        f"precision {report['precision']}  recall {report['recall']}  kb_top1 {report['kb_top1']}  "
        f"wrong_matches {report['wrong_matches']}"
    )
    for m in report["mismatches"]:
        console.print(f"  {m['log']}: {m['host']} / {m['task']}: expected {m['expected']}, got {m['got']}")
    if report["wrong_matches"] or report["precision"] < 1 or report["recall"] < 1:
        raise typer.Exit(1)


def eval_variants_command(
    cases: Annotated[Path, typer.Option("--cases", help="variants JSONL: id, text, module?, expected, kind")],
    kb: Annotated[Path | None, typer.Option("--kb", help="KB file; default: the packaged seed")] = None,
    json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run re-worded and near-miss failure texts through the matcher: recall at zero wrong fixes, wrong fixes,
    "possibly related" counts. Exits 1 when any answer is a wrong fix."""
    from evals.failures import run_variants

    settings = get_settings()
    report = run_variants(cases, kb, settings, server_url(settings))
    if json:
        sys.stdout.write(jsonlib.dumps(report, indent=2) + "\n")
    else:
        console.print(
            f"cases {report['cases']}  expected an entry {report['expected_an_entry']}  right {report['right']} "
            f"(exact {report['right_exact']}, similar {report['right_similar']})  recall {report['recall']}  "
            f"wrong {report['wrong']} (exact patterns {report['wrong_exact']}, similarity {report['wrong_similar']})  "
            f"recall at zero wrong {report['recall_at_zero_wrong']}  "
            f"possibly related shown {report['possibly_related_shown']} "
            f"(holding the expected entry: {report['possibly_related_contains_expected']})"
        )
        for kind, k in report["by_kind"].items():
            console.print(f"  {kind}: {k}")
        for w in report["wrong_cases"]:
            console.print(f"  WRONG {w['id']}: expected {w['expected']}, got {w['got']} ({w['how']}, {w['score']})")
    if report["wrong"]:
        raise typer.Exit(1)
