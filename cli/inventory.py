"""``patchpilot inventory``: sync the inventory from its source (the AWX inventory, or a file) and show it."""

from __future__ import annotations

import json
import os
import pwd
from typing import Annotated

import typer

from core import audit
from core.db import commit, connect
from core.settings import Settings, get_settings
from workers.inventory import service
from workers.inventory.models import SyncResult, SyncStatus
from workers.inventory.service import describe

inventory_app = typer.Typer(help="The inventory patchpilot resolves targets against.", no_args_is_help=True)
__all__ = ["describe", "inventory_app", "run_sync"]


def run_sync(settings: Settings, actor: str) -> SyncResult:
    """One sync in its own transaction, audited (also used by ``patchpilot up`` at start)."""
    with connect(settings.db.url or "") as conn:
        result = service.sync(conn, settings, now=service.db_now(conn))
        audit.record(
            conn,
            actor=actor,
            action="inventory.sync",
            object_type="inventory_sync",
            object_id=result.id,
            detail={"status": result.status.value, "hosts": result.hosts, "error": result.error},
        )
        commit(conn)
    return result


@inventory_app.command("sync")
def sync_command() -> None:
    """Re-read the inventory source now (PATCHPILOT_INVENTORY__SOURCE) and print what changed; exit 1 if it failed."""
    from cli import services

    settings = services.ensure_db(get_settings())
    result = run_sync(settings, f"cli:{pwd.getpwuid(os.getuid()).pw_name}")
    for line in describe(result):
        typer.echo(line, err=result.status is SyncStatus.failed)
    raise typer.Exit(0 if result.status is SyncStatus.succeeded else 1)


@inventory_app.command("show")
def show_command(as_json: Annotated[bool, typer.Option("--json", help="the whole snapshot as JSON")] = False) -> None:
    """The stored inventory: when and where from it was synced, and each host with its groups."""
    from cli import services

    settings = services.ensure_db(get_settings())
    with connect(settings.db.url or "") as conn:
        listing = service.listing(conn)
    if as_json:
        typer.echo(json.dumps(listing.model_dump(mode="json"), indent=2))
        return
    if listing.synced_at is None:
        typer.echo("no inventory synced yet; run 'patchpilot inventory sync'")
        raise typer.Exit(1)
    typer.echo(f"{len(listing.hosts)} hosts from {listing.ref}, synced {listing.synced_at.isoformat()}")
    for h in listing.hosts:
        typer.echo(f"  {h.name}{'' if h.enabled else ' (disabled)'}: {', '.join(h.groups) or 'ungrouped'}")
