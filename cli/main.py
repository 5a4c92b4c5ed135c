"""The ``patchpilot`` command: the composition root that wires the packages together."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Annotated

import typer

from cli import services
from core.settings import get_settings

app = typer.Typer(
    help="patchpilot: patch Linux fleets by chat, safely.", no_args_is_help=True, pretty_exceptions_enable=False
)
eval_app = typer.Typer(help="Offline evaluation of the agent and the analyser.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@app.callback()
def _root(ctx: typer.Context) -> None:
    # What a command starts, it stops: an embedded PostgreSQL this command started is stopped when it ends,
    # however it ends (an 'up' stack already running under PATCHPILOT_HOME is attached to and left alone).
    ctx.call_on_close(services.stop_started)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def migrate() -> None:
    """Apply pending database migrations (starts the embedded PostgreSQL when PATCHPILOT_DB__URL is unset)."""
    from core.migrate import migrate as run

    settings = services.ensure_db(get_settings(), run_migrations=False)
    applied = run(settings.db.url or "")
    typer.echo(f"applied: {', '.join(applied) if applied else 'nothing (up to date)'}")


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Run the REST API (uvicorn)."""
    import uvicorn

    from api.app import create_app

    _logging()
    settings = services.ensure_db(get_settings())
    uvicorn.run(
        create_app(settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
        proxy_headers=True,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="worker slots")] = 4,
    pool: Annotated[str, typer.Option(help="prefork | threads | solo")] = "prefork",
    beat: Annotated[bool, typer.Option(help="also run beat in this process (tests, tiny setups)")] = False,
) -> None:
    """Run a Celery worker for the job lifecycle."""
    from workers.celery_app import app as celery_app

    settings = get_settings()
    if not settings.db.url or not settings.redis.url:
        raise typer.BadParameter("set PATCHPILOT_DB__URL and PATCHPILOT_REDIS__URL (or use 'patchpilot up')")
    argv = [
        "worker",
        "-Q",
        settings.jobs.queue,
        "-c",
        str(concurrency),
        "-P",
        pool,
        "--loglevel=INFO",
        "-n",
        f"patchpilot@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        argv += ["-B", "-s", str(settings.home / "celerybeat-schedule")]
    celery_app.worker_main(argv=argv)


@app.command()
def beat() -> None:
    """Run Celery beat: dispatches scheduled jobs from PostgreSQL when due and re-sends lost messages."""
    from workers.celery_app import app as celery_app

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    celery_app.Beat(schedule=str(settings.home / "celerybeat-schedule"), loglevel="INFO").run()


@app.command("worker-health")
def worker_health() -> None:
    """Exit 0 when this host's worker answers a ping (OpenShift exec probe)."""
    from workers.celery_app import app as celery_app

    replies = celery_app.control.ping(destination=[f"patchpilot@{socket.gethostname()}"], timeout=5)
    if not replies:
        typer.echo("worker did not answer", err=True)
        raise typer.Exit(1)
    typer.echo("ok")


@app.command("beat-health")
def beat_health(max_age_s: Annotated[float, typer.Option()] = 60.0) -> None:
    """Exit 0 when beat's sweeper ran recently (OpenShift exec probe)."""
    from workers.jobs.heartbeat import last_sweep_age

    age = last_sweep_age()
    if age is None or age > max_age_s:
        typer.echo(f"no sweep in the last {max_age_s:.0f} s", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok ({age:.0f} s ago)")


@app.command()
def up(
    emulator: Annotated[bool, typer.Option(help="start the AWX emulator with the demo scenario")] = True,
    uis: Annotated[bool, typer.Option(help="start the chat and KB editor UIs")] = True,
    api_port: Annotated[int | None, typer.Option(help="API port (default: PATCHPILOT_API__PORT, 8000)")] = None,
    chat_port: Annotated[int, typer.Option(help="chat UI port")] = 8501,
    kb_port: Annotated[int, typer.Option(help="KB editor port")] = 7860,
    awx_port: Annotated[int, typer.Option(help="AWX emulator port")] = 8052,
    scenario: Annotated[Path | None, typer.Option(help="emulator scenario YAML (default: the demo)")] = None,
) -> None:
    """Start the whole local stack with demo data and print the URLs; Ctrl-C stops everything."""
    from cli.stack import Ports, run_stack

    _logging()
    settings = get_settings()
    if api_port is not None:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update={"port": api_port})})
    ports = Ports(chat=chat_port, kb=kb_port, awx=awx_port)
    raise typer.Exit(run_stack(settings, emulator=emulator, uis=uis, ports=ports, scenario=scenario))


@app.command()
def status(json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False) -> None:
    """The stack 'patchpilot up' runs under PATCHPILOT_HOME: components, pids, restarts, health."""
    import json as jsonlib

    from cli.stackctl import format_status
    from cli.stackctl import status as read_status

    report = read_status(get_settings().home)
    typer.echo(jsonlib.dumps(report, indent=2) if json else format_status(report))
    raise typer.Exit(0 if report["running"] else 1)


@app.command()
def down() -> None:
    """Stop a stack left running under PATCHPILOT_HOME (or the embedded PostgreSQL a command left there)."""
    from cli.stackctl import down as stop

    done = stop(get_settings().home)
    typer.echo("\n".join(done) if done else "nothing was running")


@eval_app.command("intents")
def eval_intents(
    cases: Annotated[Path, typer.Option(help="intents.jsonl")] = Path("evals/intents.jsonl"),
    inventory: Annotated[
        list[str] | None,
        typer.Option(
            help="Ansible YAML inventory for cases without an 'inventory' key (PATH), or for cases naming one "
            "(NAME=PATH); repeatable. Names not given are found beside the cases: demo -> inventory.yaml, "
            "inv2 -> inventory2.yaml."
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Run the agent (offline model, nothing queued) over chat cases; accuracy and unsafe counts overall, per
    class and per action; exit 1 if any intent is unsafe."""
    from core.errors import ValidationFailed
    from evals.intents import eval_intents_command

    try:
        report = eval_intents_command(cases, inventory, json)
    except ValidationFailed as exc:  # a missing or unreadable cases/inventory file: say which, no traceback
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(0 if report.unsafe == 0 else 1)


@app.command("bench")
def bench(
    only: Annotated[list[str] | None, typer.Option(help="jobs|analyser|agent|api|redact (default: all)")] = None,
    jobs: Annotated[int, typer.Option(help="jobs in the pipeline run")] = 1000,
) -> None:
    """Benchmarks with figures and ratios: job pipeline, analyser/matching/similarity, agent latency."""
    from cli.bench import run_benchmarks

    run_benchmarks(get_settings(), only=set(only or []), jobs=jobs)


@app.command("gen-ui-models")
def gen_ui_models() -> None:
    """Regenerate ui/api_models.py (the UI's models of the API's answers) from the API's OpenAPI document."""
    from cli.ui_models import write

    typer.echo(f"wrote {write()}")


def _register() -> None:
    from cli import awx as awx_cli
    from cli import chat as chat_cli
    from cli import inventory as inventory_cli
    from cli import kb as kb_cli
    from cli import ui as ui_cli
    from cli import users as users_cli

    app.command("awx-emulator")(awx_cli.emulator_command)
    app.add_typer(awx_cli.awx_app, name="awx")
    app.command("chat")(chat_cli.chat_command)
    app.add_typer(kb_cli.kb_app, name="kb")
    app.command("analyze")(kb_cli.analyze_command)
    eval_app.command("failures")(kb_cli.eval_failures_command)
    eval_app.command("variants")(kb_cli.eval_variants_command)
    app.add_typer(users_cli.users_app, name="users")
    app.add_typer(inventory_cli.inventory_app, name="inventory")
    app.command("chat-ui")(ui_cli.chat_ui_command)
    app.command("kb-ui")(ui_cli.kb_ui_command)


_register()


if __name__ == "__main__":  # pragma: no cover
    app()
