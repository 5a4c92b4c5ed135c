"""``patchpilot chat-ui`` and ``patchpilot kb-ui``: run the operator's chat and the KB editor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

CHAT_SCRIPT = Path(__file__).resolve().parent.parent / "ui" / "chat.py"


def streamlit_argv(port: int, host: str) -> list[str]:
    """The ``streamlit run`` command line: headless, no telemetry, no file watcher (nothing to reload)."""
    return [
        "streamlit",
        "run",
        str(CHAT_SCRIPT),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--global.developmentMode",
        "false",
    ]


def chat_ui_command(
    port: Annotated[int, typer.Option(help="port of the chat UI")] = 8501,
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
) -> None:
    """Run the operator's chat (Streamlit); it talks to the API at PATCHPILOT_API__HOST:PATCHPILOT_API__PORT."""
    from streamlit.web import cli as streamlit_cli

    sys.argv = streamlit_argv(port, host)
    raise typer.Exit(streamlit_cli.main())


def kb_ui_command(
    port: Annotated[int, typer.Option(help="port of the KB editor")] = 7860,
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
) -> None:
    """Run the knowledge-base editor (Gradio); it talks to the API like the chat UI does."""
    from ui.kb_editor import main

    main(port=port, host=host)


def _standalone() -> typer.Typer:
    """``python -m cli.ui chat-ui|kb-ui``: the same commands before (or without) cli.main's wiring."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    app.command("chat-ui")(chat_ui_command)
    app.command("kb-ui")(kb_ui_command)
    return app


if __name__ == "__main__":  # pragma: no cover
    _standalone()()
