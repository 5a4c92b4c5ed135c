"""``patchpilot chat``: a terminal conversation, against the API (``--api URL``) or in-process."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer


def _post(client: Any, path: str, body: dict[str, Any] | None, method: str = "POST") -> dict[str, Any]:
    r = client.request(method, path, json=body)
    data: dict[str, Any] = r.json()
    if r.status_code >= 400:
        raise RuntimeError(data.get("detail", r.text))
    return data


def chat_command(
    api: Annotated[str | None, typer.Option(help="API base URL, e.g. http://127.0.0.1:8000/api/v1")] = None,
    user: Annotated[str, typer.Option(help="who you are (X-Patchpilot-User)")] = "operator",
) -> None:
    """Chat with patchpilot. Type 'confirm' to queue the proposal shown, 'drop' to forget it, 'quit' to leave."""
    session_id = uuid.uuid4().hex[:12]
    if api:
        import httpx

        client = httpx.Client(base_url=api.rstrip("/"), headers={"X-Patchpilot-User": user}, timeout=60)

        def send(text: str) -> dict[str, Any]:
            return _post(client, "/chat", {"session_id": session_id, "message": text})

        def confirm(token: str) -> dict[str, Any]:
            return _post(client, f"/chat/{session_id}/confirm", {"token": token})

        def drop() -> dict[str, Any]:
            return _post(client, f"/chat/{session_id}/pending", None, method="DELETE")
    else:
        from langgraph.checkpoint.memory import InMemorySaver

        from agent.context import build_context
        from agent.graph import build_agent, make_model
        from agent.session import ChatSession
        from core.inventory import Inventory
        from core.settings import get_settings

        settings = get_settings()
        if settings.jobs.inventory_path is None:
            raise typer.BadParameter("set PATCHPILOT_JOBS__INVENTORY_PATH, or use --api")
        chat = ChatSession(build_agent(make_model(settings), InMemorySaver()))
        ctx = build_context(settings, Inventory.load(settings.jobs.inventory_path), user=user)  # no DB: nothing queued

        def send(text: str) -> dict[str, Any]:
            return vars(chat.send(ctx, session_id, text))

        def confirm(token: str) -> dict[str, Any]:
            return vars(chat.confirm(ctx, session_id, token))

        def drop() -> dict[str, Any]:
            return vars(chat.drop(ctx, session_id))

    pending: dict[str, Any] | None = None
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if text.lower() in ("quit", "exit"):
            break
        if not text:
            continue
        try:
            if text.lower() in ("confirm", "yes", "y") and pending:
                out = confirm(pending["token"])
            elif text.lower() == "drop" and pending:
                out = drop()
            else:
                out = send(text)
        except Exception as exc:  # show the API's or service's message and keep the conversation going
            typer.echo(f"patchpilot> {exc}")
            continue
        pending = out.get("pending")
        typer.echo(f"patchpilot> {out.get('reply', '')}")
        if pending:
            typer.echo("            (type 'confirm' to queue it, 'drop' to forget it)")
