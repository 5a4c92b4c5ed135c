"""``patchpilot awx-emulator`` and ``patchpilot awx bootstrap``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.errors import PatchpilotError
from core.settings import get_settings

awx_app = typer.Typer(help="AWX/AAP helpers.", no_args_is_help=True)


@awx_app.callback()
def _group() -> None:
    """AWX/AAP helpers."""


def emulator_command(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (AWX's usual local port is 8052)")] = 8052,
    scenario: Annotated[
        Path | None, typer.Option(help="scenario YAML (default: workers/emulator/scenarios/demo.yaml)")
    ] = None,
) -> None:
    """Run the AWX emulator (an AWX-compatible API under /api/v2/ and /api/controller/v2/)."""
    from workers.emulator.scenario import demo_scenario, load_scenario
    from workers.emulator.server import serve

    chosen = load_scenario(scenario) if scenario else demo_scenario()
    typer.echo(f"AWX emulator on http://{host}:{port}/api/v2/ (token: {chosen.tokens[0]})")
    serve(chosen, host=host, port=port)


def _ref(value: str) -> str | int:
    return int(value) if value.isdigit() else value


@awx_app.command("bootstrap")
def bootstrap(
    organization: Annotated[str, typer.Option(help="organization id or name")] = "Default",
    inventory: Annotated[str, typer.Option(help="inventory id or name")] = "patchpilot-demo",
    project: Annotated[str, typer.Option(help="project id or name (this repository: playbooks/*.yml)")] = (
        "patchpilot"
    ),
    credential: Annotated[
        str | None, typer.Option(help="machine credential id or name (default: PATCHPILOT_AWX__CREDENTIAL)")
    ] = None,
) -> None:
    """Create or update the patch/precheck/reboot job templates: prompts for limit and variables,
    allow_simultaneous, and the machine credential attached."""
    from workers.awx.bootstrap import bootstrap_templates
    from workers.awx.client import AwxClient

    settings = get_settings().awx
    try:
        with AwxClient(settings) as client:
            results = bootstrap_templates(
                client,
                settings,
                organization=_ref(organization),
                inventory=_ref(inventory),
                project=_ref(project),
                credential=_ref(credential or settings.credential),
            )
    except PatchpilotError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    for r in results:
        typer.echo(f"{'created' if r.created else 'updated'} job template {r.name!r} (id {r.template_id})")
