"""OIDC bearer tokens verified against a JWKS served over real HTTP by a local server in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from core.auth import oidc, service
from core.auth.errors import AuthFailed, FailReason
from core.auth.models import Role
from core.auth.oidc import JwksCache, OidcVerifier
from core.db import connect
from core.errors import ServiceUnavailable
from tests.integration.test_auth_common import audit_rows, tiny_app, with_auth

pytestmark = pytest.mark.integration

AUDIENCE = "patchpilot"


class IdP:
    """A JWKS (and OpenID configuration) over HTTP; counts the JWKS fetches; can be switched off."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.keys: list[dict[str, Any]] = [self.jwk(self.rsa, "rsa-1"), self.jwk(self.ec, "ec-1")]
        self.fetches = 0
        self.down = False
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if idp.down:
                    self.send_error(503)
                    return
                if self.path == "/jwks":
                    idp.fetches += 1
                    body = {"keys": idp.keys}
                elif self.path == "/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer, "jwks_uri": f"{idp.issuer}/jwks"}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def jwk(private_key: Any, kid: str, alg: str | None = None) -> dict[str, Any]:
        algo = RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else ECAlgorithm
        data: dict[str, Any] = algo.to_jwk(private_key.public_key(), as_dict=True)  # type: ignore[attr-defined]
        data.update(kid=kid, use="sig")
        if alg:
            data["alg"] = alg
        return data

    def token(self, key: Any = None, *, kid: str = "rsa-1", alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": AUDIENCE, "sub": "u-123", "preferred_username": "olga",
                   "groups": ["operator", "staff"], "iat": now, "exp": now + 300} | claims  # fmt: skip
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key if key is not None else self.rsa, algorithm=alg, headers={"kid": kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp() -> Iterator[IdP]:
    server = IdP()
    yield server
    server.stop()


def verifier(idp: IdP, **kw: Any) -> OidcVerifier:
    cache = kw.pop("cache", None) or JwksCache(jwks_url=f"{idp.issuer}/jwks", issuer=idp.issuer)
    return OidcVerifier(cache, issuer=idp.issuer, audience=AUDIENCE, **kw)


def reason(v: OidcVerifier, token: str) -> AuthFailed:
    with pytest.raises(AuthFailed) as err:
        v.verify(token)
    return err.value


def test_valid_rs256_and_es256_tokens(idp: IdP) -> None:
    v = verifier(idp)
    assert v.verify(idp.token()).model_dump() == {"name": "olga", "roles": {Role.operator}}
    es = v.verify(idp.token(idp.ec, kid="ec-1", alg="ES256", groups=["viewer", "admin"]))
    assert es.roles == {Role.viewer, Role.admin}
    no_name = v.verify(idp.token(preferred_username=None))
    assert no_name.name == "u-123"  # falls back to sub
    assert v.verify(idp.token(preferred_username="has space")).name == "u-123"
    err = reason(v, idp.token(preferred_username=None, sub="not a name!"))
    assert err.reason is FailReason.no_username


def test_roles_from_a_mapped_nested_claim(idp: IdP) -> None:
    v = verifier(idp, roles_claim="realm_access.roles", role_map={"pp-admins": "admin", "pp-approvers": "approver"})
    identity = v.verify(idp.token(realm_access={"roles": ["pp-approvers", "offline_access", "operator"]}))
    assert identity.roles == {Role.approver}  # only mapped values count once a map is set
    assert verifier(idp, roles_claim="scope").verify(idp.token(scope="openid viewer")).roles == {Role.viewer}
    with pytest.raises(ValueError):
        verifier(idp, role_map={"x": "root"})


@pytest.mark.parametrize(
    ("claims", "expected", "actor"),
    [
        ({"exp": int(time.time()) - 3600}, FailReason.expired, "olga"),
        ({"aud": "another-app"}, FailReason.bad_claims, "olga"),
        ({"iss": "https://evil.example"}, FailReason.bad_claims, "olga"),
        ({"exp": None}, FailReason.bad_claims, "olga"),
        ({"nbf": int(time.time()) + 3600}, FailReason.bad_claims, "olga"),
    ],
)
def test_claims_are_checked(idp: IdP, claims: dict[str, Any], expected: FailReason, actor: str) -> None:
    err = reason(verifier(idp), idp.token(**claims))
    assert (err.reason, err.actor) == (expected, actor)


def test_forged_tokens_are_refused(idp: IdP) -> None:
    v = verifier(idp)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = reason(v, idp.token(other, preferred_username="root", groups=["admin"]))
    assert forged.reason is FailReason.bad_signature and forged.actor == "anonymous"
    assert "root" in (forged.note or "")  # the claim is kept as a note, not trusted as the actor
    unsigned = jwt.encode({"preferred_username": "root", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert reason(v, unsigned).reason is FailReason.bad_signature
    # The classic confusion: HS256 "signed" with the public key.
    from cryptography.hazmat.primitives import serialization

    pem = idp.rsa.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hs = jwt.encode({"preferred_username": "root"}, pem.decode()[:40], algorithm="HS256", headers={"kid": "rsa-1"})
    assert reason(v, hs).reason is FailReason.bad_signature
    # A token whose alg is not the key's type (ES256 header on the RSA key id).
    mismatched = idp.token(idp.ec, kid="rsa-1", alg="ES256")
    assert reason(v, mismatched).reason is FailReason.bad_signature
    assert reason(v, "eyJub3QiOiJqc29u.eyJ4Ijp9.x").reason is FailReason.malformed
    with pytest.raises(ValueError, match="asymmetric"):
        verifier(idp, algorithms=["HS256"])


def test_jwks_is_cached_and_unknown_kids_cannot_hammer_the_provider(idp: IdP) -> None:
    v = verifier(idp)
    for _ in range(20):
        v.verify(idp.token())
    assert idp.fetches == 1
    err = reason(v, idp.token(kid="unknown-1"))
    assert err.reason is FailReason.unknown_key
    reason(v, idp.token(kid="unknown-2"))
    assert idp.fetches == 1  # fetched under 30 s ago: no refresh for unknown kids


def test_key_rotation_is_picked_up(idp: IdP) -> None:
    cache = JwksCache(jwks_url=f"{idp.issuer}/jwks", issuer=idp.issuer, min_refresh_s=0.0)
    v = verifier(idp, cache=cache)
    v.verify(idp.token())
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.keys = [idp.jwk(new_key, "rsa-2", alg="RS256")]
    time.sleep(0.01)
    assert v.verify(idp.token(new_key, kid="rsa-2")).name == "olga"
    assert idp.fetches == 2


def test_discovery_and_outage(idp: IdP, monkeypatch: pytest.MonkeyPatch) -> None:
    v = OidcVerifier(JwksCache(jwks_url=None, issuer=idp.issuer), issuer=idp.issuer, audience=AUDIENCE)
    assert v.verify(idp.token()).name == "olga"
    cold = verifier(idp)
    idp.down = True
    with pytest.raises(ServiceUnavailable):
        cold.verify(idp.token())
    with pytest.raises(ServiceUnavailable):  # at once: no second fetch (and timeout) right after a failure
        cold.verify(idp.token())
    assert cold.jwks.fetches == 1
    assert v.verify(idp.token()).name == "olga"  # a warm cache keeps working through an outage
    idp.down = False
    monkeypatch.setattr(oidc, "_COLD_RETRY_S", 0.0)
    assert cold.verify(idp.token()).name == "olga"  # and a cold one recovers once the provider is back


def test_failed_refresh_keeps_serving_the_last_keys(idp: IdP) -> None:
    cache = JwksCache(jwks_url=f"{idp.issuer}/jwks", issuer=idp.issuer, ttl_s=0.05)
    v = verifier(idp, cache=cache)
    assert v.verify(idp.token()).name == "olga"
    time.sleep(0.1)  # the cached key set is now older than its lifespan: the next use refetches
    idp.down = True
    assert v.verify(idp.token(idp.ec, kid="ec-1", alg="ES256")).name == "olga"
    assert cache.fetches == 2  # it tried, failed, and used the keys it had
    assert reason(v, idp.token(kid="rsa-9")).reason is FailReason.unknown_key  # not a 503: keys are known


def test_from_settings(idp: IdP, settings) -> None:
    assert OidcVerifier.from_settings(with_auth(settings).auth) is None
    s = with_auth(settings, oidc_issuer=idp.issuer, oidc_audience=AUDIENCE, oidc_roles_claim="roles")
    v = OidcVerifier.from_settings(s.auth)
    assert v is not None and v.audience == AUDIENCE
    assert v.verify(idp.token(roles=["approver"])).roles == {Role.approver}


def test_api_accepts_oidc_tokens_and_audits_failures(idp: IdP, settings, db_url: str) -> None:
    from api.routes import users as users_routes

    app = tiny_app(with_auth(settings), [users_routes.router], oidc=verifier(idp))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {idp.token()}"})
        assert r.json() == {"name": "olga", "roles": ["operator"], "via": "oidc"}
        r = client.get("/api/v1/users", headers={"Authorization": f"Bearer {idp.token()}"})
        assert r.status_code == 403
        expired = idp.token(exp=int(time.time()) - 3600)
        r = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {expired}"})
        assert r.status_code == 401 and r.json()["reason"] == "expired"
        with connect(db_url) as conn:  # an admin disables the SSO user: their valid JWT stops working
            service.create_user(conn, "olga", [Role.viewer], by="root")
            service.update_user(conn, "olga", enabled=False, by="root")
            conn.commit()
        r = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {idp.token()}"})
        assert r.status_code == 401 and r.json()["reason"] == "user_disabled"
        idp.down = True
        cold = tiny_app(with_auth(settings), [users_routes.router], oidc=verifier(idp))
        with TestClient(cold, raise_server_exceptions=False) as c2:
            r = c2.get("/api/v1/users/me", headers={"Authorization": f"Bearer {idp.token()}"})
            assert r.status_code == 503 and r.json()["error"] == "unavailable"
        cold.state.pool.close()
    app.state.pool.close()
    failures = [(r["actor"], r["detail"]["reason"]) for r in audit_rows(db_url, "auth.failed")]
    assert failures == [("olga", "expired"), ("olga", "user_disabled")]
    assert expired not in json.dumps(audit_rows(db_url), default=str)
