"""Demo users for the local stack (``patchpilot up``): one per role; their tokens survive restarts while valid."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.auth import repository as repo
from core.auth import service
from core.auth.models import Role
from core.auth.tokens import looks_like_api_token, token_hash

DEMO_USERS: dict[str, list[Role]] = {
    "admin": [Role.admin],
    "operator": [Role.operator],
    "operator2": [Role.operator],
    "approver": [Role.approver],
    "viewer": [Role.viewer],
    "kb-editor": [Role.kb_editor],
}
DEMO_LABEL = "demo"
DEMO_TOKEN_DAYS = 30
TOKENS_FILE = "demo-tokens.json"


def ensure_demo_users(conn: repo.Conn, home: Path) -> dict[str, str]:
    """Create the demo users if missing, make sure each has a working demo token, write ``home/demo-tokens.json``
    (0600).

    A token already in that file is kept while it is valid (not revoked, not expiring within a day, the demo
    token of that user), so a token pasted into a UI keeps working across restarts; otherwise the user's demo
    tokens are revoked and a new one is issued. Idempotent: existing users keep their roles (a demo user an
    admin disabled gets none). Call it, then commit: the file is written before the commit, so a rolled-back
    call leaves a file of tokens that do not work.
    """
    known = _read_tokens(home / TOKENS_FILE)
    tokens: dict[str, str] = {}
    for name, roles in DEMO_USERS.items():
        user = repo.get_user(conn, name)
        if user is None:
            service.create_user(conn, name, roles, by="patchpilot-up")
            user = repo.get_user(conn, name)
            assert user is not None
        if not user["enabled"]:  # an admin switched this demo user off: leave it off
            repo.revoke_labelled(conn, user["id"], DEMO_LABEL)
            continue
        if _still_valid(conn, name, known.get(name)):
            tokens[name] = known[name]
            continue
        repo.revoke_labelled(conn, user["id"], DEMO_LABEL)
        issued = service.issue_token(conn, name, expires_days=DEMO_TOKEN_DAYS, by="patchpilot-up", label=DEMO_LABEL)
        tokens[name] = issued.token
    write_private(home / TOKENS_FILE, json.dumps(tokens, indent=2) + "\n")
    return tokens


def _read_tokens(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}
    )


def _still_valid(conn: repo.Conn, name: str, token: str | None) -> bool:
    if not token or not looks_like_api_token(token):
        return False
    row = repo.token_by_hash(conn, token_hash(token))
    return (
        row is not None
        and row["user"] == name
        and row["label"] == DEMO_LABEL
        and row["revoked_at"] is None
        and not row["expired"]
        and not row["expires_soon"]
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only the owner can read, never readable by others even for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode on O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
