"""API token format and hashing; roles and what they imply."""

from __future__ import annotations

import hashlib

import pytest

from core.auth.models import AuthMethod, Principal, Role, effective_roles, parse_roles
from core.auth.tokens import display_prefix, looks_like_api_token, looks_like_jwt, new_token, token_hash


def test_tokens_are_random_prefixed_and_stored_as_sha256() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for t in tokens:
        assert t.startswith("pp_") and len(t) == 46 and looks_like_api_token(t)
        assert token_hash(t) == hashlib.sha256(t.encode()).hexdigest()
        assert display_prefix(t) == t[:11] and t[11:] not in display_prefix(t)
    assert len({display_prefix(t) for t in tokens}) > 190  # 8 random chars: collisions are rare


@pytest.mark.parametrize("value", ["", "pp_", "pp_short", "xx_" + "a" * 43, "pp_" + "a" * 42, "pp_" + "a" * 42 + "!"])
def test_malformed_tokens_are_recognised(value: str) -> None:
    assert not looks_like_api_token(value)


def test_jwt_shape() -> None:
    assert looks_like_jwt("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.sig")
    assert looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.")
    assert not looks_like_jwt("pp_" + "a" * 43)
    assert not looks_like_jwt("eyJ" + "a" * 20000 + ".eyJ.x")  # absurdly long: refused before parsing


def test_role_implications() -> None:
    assert effective_roles({Role.admin}) == frozenset(Role)
    for role in (Role.operator, Role.approver, Role.kb_editor):
        assert effective_roles({role}) == {role, Role.viewer}
    assert effective_roles({Role.viewer}) == {Role.viewer}
    assert effective_roles(set()) == frozenset()


def test_principal_allows() -> None:
    op = Principal(name="ann", roles=frozenset({Role.operator}), via=AuthMethod.token)
    assert op.allows({Role.viewer}) and op.allows({Role.operator, Role.admin})
    assert not op.allows({Role.approver}) and not op.allows({Role.admin}) and not op.allows(set())
    admin = Principal(name="root", roles=frozenset({Role.admin}), via=AuthMethod.oidc)
    assert all(admin.allows({r}) for r in Role) and admin.is_admin and not op.is_admin
    nobody = Principal(name="x", roles=frozenset(), via=AuthMethod.token)
    assert not nobody.allows({Role.viewer})


def test_parse_roles() -> None:
    assert parse_roles(["viewer", "kb-editor"]) == {Role.viewer, Role.kb_editor}
    with pytest.raises(ValueError, match="unknown role 'root'"):
        parse_roles(["root"])
