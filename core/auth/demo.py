"""Demo users for the local stack (``patchpilot up``): one per role, fresh tokens each run."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.auth import repository as repo
from core.auth import service
from core.auth.models import Role

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
    """Create the demo users if missing, replace their demo tokens, write ``home/demo-tokens.json`` (0600).

    Idempotent: existing users keep their roles; only tokens labelled "demo" are
    revoked and re-issued (a demo user an admin disabled gets none). Call it, then
    commit: the file is written before the commit, so a rolled-back call leaves a
    file of tokens that do not work.
    """
    tokens: dict[str, str] = {}
    for name, roles in DEMO_USERS.items():
        user = repo.get_user(conn, name)
        if user is None:
            service.create_user(conn, name, roles, by="patchpilot-up")
            user = repo.get_user(conn, name)
            assert user is not None
        repo.revoke_labelled(conn, user["id"], DEMO_LABEL)
        if not user["enabled"]:  # an admin switched this demo user off: leave it off
            continue
        issued = service.issue_token(conn, name, expires_days=DEMO_TOKEN_DAYS, by="patchpilot-up", label=DEMO_LABEL)
        tokens[name] = issued.token
    write_private(home / TOKENS_FILE, json.dumps(tokens, indent=2) + "\n")
    return tokens


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only the owner can read, never readable by others even for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode on O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
