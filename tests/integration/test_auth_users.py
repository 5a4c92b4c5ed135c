"""Users and API tokens against PostgreSQL: issue, authenticate, expire, revoke, disable; CLI; demo users."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from core.auth import repository as repo
from core.auth import service
from core.auth.demo import DEMO_USERS, ensure_demo_users
from core.auth.errors import AuthFailed, FailReason, UserExists
from core.auth.models import AuthMethod, Role
from core.auth.tokens import token_hash
from core.db import connect
from core.errors import Conflict, NotFound, ValidationFailed
from tests.integration.test_auth_common import audit_rows

pytestmark = pytest.mark.integration


@pytest.fixture
def conn(db_url: str):
    with connect(db_url) as c:
        yield c
        c.rollback()


def test_create_issue_authenticate(conn, db_url: str) -> None:
    user = service.create_user(conn, "ann", [Role.operator, Role.operator], by="root", source="10.0.0.1")
    assert user.roles == [Role.operator] and user.enabled
    issued = service.issue_token(conn, "ann", expires_days=30, by="root", label="laptop")
    conn.commit()
    assert issued.token.startswith("pp_") and issued.info.prefix == issued.token[:11]
    stored = conn.execute("SELECT * FROM ops.api_tokens").fetchall()
    assert len(stored) == 1 and stored[0]["sha256"] == token_hash(issued.token)
    assert issued.token not in json.dumps(stored, default=str)  # only the hash is kept
    principal = service.authenticate_token(conn, issued.token)
    assert (principal.name, principal.roles, principal.via) == ("ann", {Role.operator}, AuthMethod.token)
    conn.commit()
    assert conn.execute("SELECT last_used_at FROM ops.api_tokens").fetchone()["last_used_at"] is not None
    actions = [(r["actor"], r["action"], r["object_id"]) for r in audit_rows(db_url)]
    assert actions == [("root", "user.create", "ann"), ("root", "token.issue", str(issued.info.id))]
    assert issued.token not in json.dumps([r["detail"] for r in audit_rows(db_url)])


def test_user_names_and_roles_are_checked(conn) -> None:
    service.create_user(conn, "bob@example.com", [Role.viewer], by="root")
    with pytest.raises(UserExists):
        service.create_user(conn, "bob@example.com", [Role.admin], by="root")
    for bad in ("", "-bob", "bob smith", "a" * 65, "bob/../x"):
        with pytest.raises(ValidationFailed):
            service.create_user(conn, bad, [Role.viewer], by="root")
    with pytest.raises(psycopg.errors.CheckViolation):  # the database refuses unknown roles too
        conn.execute("INSERT INTO ops.users (name, roles) VALUES ('x', ARRAY['root'])")


@pytest.mark.parametrize(
    ("token", "reason"),
    [("pp_" + "A" * 43, FailReason.unknown_token), ("pp_short", FailReason.malformed), ("nope", FailReason.malformed)],
)
def test_unknown_and_malformed_tokens(conn, token: str, reason: FailReason) -> None:
    oidc = None
    with pytest.raises(AuthFailed) as err:
        service.authenticate_bearer(conn, token, oidc)
    assert err.value.reason is reason and err.value.actor == "anonymous"


def test_expired_revoked_and_disabled(conn) -> None:
    service.create_user(conn, "cy", [Role.approver], by="root")
    expired = service.issue_token(conn, "cy", expires_days=1, by="root")
    revoked = service.issue_token(conn, "cy", expires_days=None, by="root")
    good = service.issue_token(conn, "cy", expires_days=None, by="root")
    conn.execute("UPDATE ops.api_tokens SET expires_at = now() - interval '1 second' WHERE id = %s", (expired.info.id,))
    service.revoke_token(conn, str(revoked.info.id), by="root")
    for token, reason in ((expired.token, FailReason.expired), (revoked.token, FailReason.revoked)):
        with pytest.raises(AuthFailed) as err:
            service.authenticate_token(conn, token)
        assert err.value.reason is reason and err.value.actor == "cy"  # the hash matched: the owner is known
        assert token not in (err.value.note or "") and "token " in (err.value.note or "")
    assert service.authenticate_token(conn, good.token).name == "cy"
    service.update_user(conn, "cy", enabled=False, by="root")
    with pytest.raises(AuthFailed) as err:
        service.authenticate_token(conn, good.token)
    assert err.value.reason is FailReason.user_disabled
    with pytest.raises(ValidationFailed, match="disabled"):
        service.issue_token(conn, "cy", expires_days=None, by="root")
    service.update_user(conn, "cy", enabled=True, by="root")
    assert service.authenticate_token(conn, good.token).roles == {Role.approver}


def test_role_change_applies_to_existing_tokens(conn) -> None:
    service.create_user(conn, "dee", [Role.viewer], by="root")
    issued = service.issue_token(conn, "dee", expires_days=None, by="root")
    service.update_user(conn, "dee", roles=[Role.kb_editor, Role.operator], by="root")
    assert service.authenticate_token(conn, issued.token).roles == {Role.kb_editor, Role.operator}
    with pytest.raises(NotFound):
        service.update_user(conn, "nobody", enabled=False, by="root")


def test_revoke_by_prefix_id_and_ambiguity(conn) -> None:
    service.create_user(conn, "eve", [Role.viewer], by="root")
    a = service.issue_token(conn, "eve", expires_days=None, by="root")
    b = service.issue_token(conn, "eve", expires_days=None, by="root")
    info = service.revoke_token(conn, a.info.prefix, by="root")
    assert info.id == a.info.id and info.revoked_at is not None
    again = service.revoke_token(conn, str(a.info.id), by="root")  # idempotent
    assert again.revoked_at == info.revoked_at
    user_id = repo.get_user(conn, "eve")["id"]
    for i, prefix in enumerate(("pp_abcdef1", "pp_abcdef2", "pp-abcdefX")):
        repo.insert_token(conn, user_id=user_id, sha256=f"{i:064x}", prefix=prefix, label=None, expires_at=None)
    with pytest.raises(Conflict, match="several tokens"):
        service.revoke_token(conn, "pp_abcdef", by="root")
    with pytest.raises(NotFound):  # "_" and "%" are not wildcards
        service.revoke_token(conn, "pp%abcdef", by="root")
    assert service.revoke_token(conn, "pp-abcdef", by="root").prefix == "pp-abcdefX"
    with pytest.raises(NotFound):
        service.revoke_token(conn, "pp_nothere", by="root")
    with pytest.raises(NotFound):  # the per-user route cannot revoke someone else's token
        service.revoke_token(conn, str(b.info.id), user="someone-else", by="root")
    assert service.authenticate_token(conn, b.token).name == "eve"


def test_short_prefixes_do_not_match(conn) -> None:
    service.create_user(conn, "fay", [Role.viewer], by="root")
    service.issue_token(conn, "fay", expires_days=None, by="root")
    with pytest.raises(NotFound):
        service.revoke_token(conn, "pp_a", by="root")  # under 6 characters: too vague to act on


def test_list_users_shows_prefixes_never_tokens(conn) -> None:
    service.create_user(conn, "gus", [Role.admin], by="root")
    issued = service.issue_token(conn, "gus", expires_days=7, by="root", label="ci")
    users = service.list_users(conn)
    assert [u.name for u in users] == ["gus"]
    dumped = users[0].model_dump_json()
    assert issued.token not in dumped and token_hash(issued.token) not in dumped
    assert users[0].tokens[0].prefix == issued.info.prefix and users[0].tokens[0].label == "ci"


def test_expiry_bounds(conn) -> None:
    service.create_user(conn, "hal", [Role.viewer], by="root")
    for days in (0, -1, 3651):
        with pytest.raises(ValidationFailed):
            service.issue_token(conn, "hal", expires_days=days, by="root")
    with pytest.raises(NotFound):
        service.issue_token(conn, "nobody", expires_days=None, by="root")


def test_demo_users_idempotent_and_private(conn, tmp_path: Path) -> None:
    first = ensure_demo_users(conn, tmp_path)
    conn.commit()
    path = tmp_path / "demo-tokens.json"
    assert set(first) == set(DEMO_USERS) == {"admin", "operator", "operator2", "approver", "viewer", "kb-editor"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == first
    for name, token in first.items():
        assert service.authenticate_token(conn, token).roles == set(DEMO_USERS[name])
    service.update_user(conn, "viewer", roles=[Role.viewer, Role.approver], by="root")
    path.chmod(0o644)
    second = ensure_demo_users(conn, tmp_path)
    conn.commit()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(repo.list_users(conn)) == 6  # no duplicates
    assert service.authenticate_token(conn, second["viewer"]).roles == {Role.viewer, Role.approver}  # kept
    assert second == first  # still-valid demo tokens survive a restart: a token pasted into a UI keeps working

    # A revoked token, another user's token in a slot, a token not in the file: those users get new ones.
    service.revoke_token(conn, _token_id(conn, "operator"), by="root")
    path.write_text(json.dumps({**first, "approver": first["admin"], "kb-editor": "pp_not-a-real-token"}))
    third = ensure_demo_users(conn, tmp_path)
    conn.commit()
    changed = {n for n in third if third[n] != first[n]}
    assert changed == {"operator", "approver", "kb-editor"}
    assert json.loads(path.read_text()) == third
    for name, token in third.items():
        assert service.authenticate_token(conn, token).name == name
    with pytest.raises(AuthFailed) as err:  # the replaced demo token of approver no longer works
        service.authenticate_token(conn, first["approver"])
    assert err.value.reason is FailReason.revoked

    path.unlink()  # the file is gone: nobody knows the old tokens, so they are all replaced
    fourth = ensure_demo_users(conn, tmp_path)
    conn.commit()
    assert not set(fourth.values()) & set(third.values())
    with pytest.raises(AuthFailed):
        service.authenticate_token(conn, third["viewer"])


def _token_id(conn, user: str) -> str:
    (row,) = [t for t in repo.list_tokens(conn, user) if t["revoked_at"] is None]
    return str(row["id"])


def test_cli_users(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cli.users import users_app
    from core.settings import get_settings

    monkeypatch.setenv("PATCHPILOT_DB__URL", db_url)
    monkeypatch.setenv("PATCHPILOT_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(users_app, ["add", "ivy", "--role", "operator", "--role", "kb-editor"])
        assert r.exit_code == 0, r.output
        assert "created ivy (kb-editor, operator)" in r.output
        r = runner.invoke(users_app, ["add", "ivy", "--role", "viewer"])
        assert r.exit_code == 1 and "already exists" in r.output
        r = runner.invoke(users_app, ["add", "x", "--role", "root"])
        assert r.exit_code == 2  # typer refuses a role that does not exist
        r = runner.invoke(users_app, ["token", "ivy", "--expires-days", "5", "--label", "laptop"])
        assert r.exit_code == 0, r.output
        token = r.stdout.splitlines()[0]
        with connect(db_url) as conn:
            assert service.authenticate_token(conn, token).name == "ivy"
            conn.commit()
        r = runner.invoke(users_app, ["list"])
        assert r.exit_code == 0 and "ivy  roles: kb-editor, operator" in r.output and token[:11] in r.output
        assert token not in r.output and "(laptop)" in r.output
        r = runner.invoke(users_app, ["revoke", token[:11]])
        assert r.exit_code == 0 and "revoked token" in r.output
        with connect(db_url) as conn, pytest.raises(AuthFailed):
            service.authenticate_token(conn, token)
        r = runner.invoke(users_app, ["update", "ivy", "--disable"])
        assert r.exit_code == 0 and "(disabled)" in r.output
        r = runner.invoke(users_app, ["demo"])
        assert r.exit_code == 0 and (tmp_path / "demo-tokens.json").exists()
        actors = {row["actor"] for row in audit_rows(db_url)}
        assert any(a.startswith("cli:") for a in actors)
    finally:
        get_settings.cache_clear()
