"""OIDC bearer tokens: JWTs signed by the SSO provider, verified against its JWKS.

The JWKS is fetched, parsed and cached by PyJWT's ``PyJWKClient`` (from
``oidc_jwks_url``, or discovered from ``<issuer>/.well-known/openid-configuration``)
for ``jwks_cache_s``. A token signed with a key id the cache does not know
triggers one early refresh (key rotation), at most every ``min_refresh_s``
(the client's cooldown), so random key ids cannot make us hammer the provider.
Only asymmetric algorithms are accepted: an ``HS256`` or ``none`` token is
refused whatever the JWKS says.
"""

from __future__ import annotations

import logging
import re
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from pydantic import BaseModel, ConfigDict

from core.auth.errors import AuthFailed, FailReason
from core.auth.models import USER_NAME_PATTERN, Role
from core.errors import ServiceUnavailable
from core.settings import AuthSettings

log = logging.getLogger(__name__)

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
_NAME = re.compile(USER_NAME_PATTERN)


class OidcIdentity(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class SigningKey:
    kid: str | None
    kty: str  # RSA, EC, OKP
    key: Any  # a cryptography public key
    alg: str | None  # the algorithm the JWK declares, if it does

    def accepts(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` can have been signed by this key."""
        if self.alg is not None:
            return alg == self.alg
        return alg.startswith(_FAMILIES.get(self.kty, ()))


_COLD_RETRY_S = 5.0
_FAMILIES = {"RSA": ("RS", "PS"), "EC": ("ES",), "OKP": ("EdDSA",)}


class _Client(jwt.PyJWKClient):
    """PyJWT's JWKS client (fetch, parse, cache for ``lifespan``, refresh on an unknown ``kid`` at most every
    ``cooldown_duration``), counting its fetches and remembering each key's declared ``alg``."""

    def __init__(self, owner: JwksCache, uri: str, **kw: Any) -> None:
        super().__init__(uri, **kw)
        self.owner = owner

    def fetch_data(self) -> Any:
        self.owner.fetches += 1
        data = super().fetch_data()
        keys = data.get("keys") if isinstance(data, dict) else None
        self.owner.declared = {
            k.get("kid"): str(k["alg"]) for k in keys or [] if isinstance(k, dict) and isinstance(k.get("alg"), str)
        }
        return data


class JwksCache:
    """The provider's signing keys: PyJWT's ``PyJWKClient`` with what it lacks around it (discovery, a fast
    answer while the provider is down and nothing is cached, the last keys kept when a refresh fails)."""

    def __init__(
        self,
        *,
        jwks_url: str | None,
        issuer: str | None,
        ttl_s: float = 300.0,
        min_refresh_s: float = 30.0,
        timeout_s: float = 5.0,
        verify_tls: bool = True,
    ) -> None:
        if not jwks_url and not issuer:
            raise ValueError("set oidc_jwks_url or oidc_issuer")
        self.jwks_url, self.issuer = jwks_url, issuer
        self.ttl_s, self.min_refresh_s, self.timeout_s, self.verify_tls = ttl_s, min_refresh_s, timeout_s, verify_tls
        self._client: _Client | None = None  # built on first use: the URL may need discovery
        self._last: jwt.PyJWKSet | None = None  # the last key set fetched
        self._failed_at = float("-inf")  # last failed fetch while no key was cached
        self._lock = threading.Lock()
        self.declared: dict[str | None, str] = {}
        self.fetches = 0  # for tests and the readiness page

    def key_for(self, kid: str | None) -> SigningKey:
        """The key with id ``kid`` (or the only key, for a token without ``kid``)."""
        if self._last is None and time.monotonic() - self._failed_at < _COLD_RETRY_S:
            # The provider just failed us with nothing cached: answer at once instead of making every
            # request wait for another timeout (and hammering a provider that is down).
            raise ServiceUnavailable("the SSO provider's signing keys cannot be fetched; try again")
        try:
            jwk = self._lookup(kid)
        except _FETCH_ERRORS as exc:
            if self._last is None or self._client is None or self._client.jwk_set_cache is None:
                log.warning("OIDC JWKS unavailable: %s", exc)
                self._failed_at = time.monotonic()
                raise ServiceUnavailable("the SSO provider's signing keys cannot be fetched; try again") from exc
            # Keep serving the keys we have (cached again for a lifespan) rather than failing every request.
            log.warning("OIDC JWKS refresh failed, keeping %d cached keys: %s", len(self._last.keys), exc)
            self._client.jwk_set_cache.put(self._last)
            jwk = _find(self._last, kid)
        if jwk is None:
            raise AuthFailed(FailReason.unknown_key, note=f"kid {str(kid)[:64]!r} not in the JWKS")
        return SigningKey(jwk.key_id, str(jwk.key_type), jwk.key, self.declared.get(jwk.key_id))

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        client = self._client or self._make_client()
        self._last = client.get_jwk_set()  # cached for ttl_s; fetched when older
        jwk = _find(self._last, kid)
        if jwk is None and kid is not None:
            # Key rotation: PyJWKClient refetches for an unknown kid, at most every min_refresh_s.
            try:
                client.get_signing_key(kid)
            except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError):
                raise
            except jwt.PyJWKClientError:
                return None
            self._last = client.get_jwk_set()
            jwk = _find(self._last, kid)
        return jwk

    def _make_client(self) -> _Client:
        with self._lock:
            if self._client is None:
                with httpx.Client(timeout=self.timeout_s, verify=self.verify_tls, follow_redirects=False) as http:
                    url = self.jwks_url or _discover(http, self.issuer or "")
                self._client = _Client(
                    self,
                    url,
                    lifespan=self.ttl_s,
                    timeout=self.timeout_s,
                    cooldown_duration=self.min_refresh_s,
                    ssl_context=None if self.verify_tls else _insecure_context(),
                    headers={"Accept": "application/json"},
                )
            return self._client


_FETCH_ERRORS = (httpx.HTTPError, ValueError, jwt.PyJWKClientError, jwt.PyJWKSetError)


def _find(keys: jwt.PyJWKSet, kid: str | None) -> jwt.PyJWK | None:
    """The signing key ``kid`` in ``keys`` (for no kid: the only one); never a symmetric or encryption key."""
    usable = [k for k in keys.keys if k.key_type != "oct" and k.public_key_use in (None, "sig")]
    if kid is None:
        return usable[0] if len(usable) == 1 else None
    return next((k for k in usable if k.key_id == kid), None)


def _insecure_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _discover(http: httpx.Client, issuer: str) -> str:
    response = http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
    response.raise_for_status()
    uri = response.json().get("jwks_uri")
    if not isinstance(uri, str) or not uri:
        raise ValueError("the OpenID configuration has no jwks_uri")
    return uri


class OidcVerifier:
    """Verify a JWT and map it to a patchpilot identity (user name and roles)."""

    def __init__(
        self,
        jwks: JwksCache,
        *,
        issuer: str | None,
        audience: str | None,
        username_claim: str = "preferred_username",
        roles_claim: str = "groups",
        role_map: Mapping[str, str] | None = None,
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway_s: float = 30.0,
    ) -> None:
        bad = set(algorithms) - ASYMMETRIC
        if bad or not algorithms:
            raise ValueError(f"OIDC algorithms must be asymmetric ({', '.join(sorted(ASYMMETRIC))}); got {sorted(bad)}")
        self.jwks, self.issuer, self.audience = jwks, issuer, audience
        self.username_claim, self.roles_claim = username_claim, roles_claim
        self.role_map = {k: Role(v) for k, v in (role_map or {}).items()}
        self.algorithms, self.leeway_s = list(algorithms), leeway_s
        if audience is None:
            log.warning("OIDC audience is not set: tokens issued to any client of %s are accepted", issuer)

    @classmethod
    def from_settings(cls, auth: AuthSettings, *, verify_tls: bool = True) -> OidcVerifier | None:
        """The verifier the settings describe, or None when OIDC is not configured."""
        if not auth.oidc_issuer and not auth.oidc_jwks_url:
            return None
        jwks = JwksCache(
            jwks_url=auth.oidc_jwks_url, issuer=auth.oidc_issuer, ttl_s=auth.oidc_jwks_cache_s, verify_tls=verify_tls
        )
        return cls(
            jwks,
            issuer=auth.oidc_issuer,
            audience=auth.oidc_audience,
            username_claim=auth.oidc_username_claim,
            roles_claim=auth.oidc_roles_claim,
            role_map=auth.oidc_role_map,
            algorithms=auth.oidc_algorithms,
            leeway_s=auth.oidc_leeway_s,
        )

    def verify(self, token: str) -> OidcIdentity:
        """The identity in a valid token; ``AuthFailed`` says why a token is not valid."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthFailed(FailReason.malformed) from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise AuthFailed(FailReason.bad_signature, note=f"algorithm {str(alg)[:16]!r} is not accepted")
        kid = header.get("kid")
        key = self.jwks.key_for(kid if isinstance(kid, str) else None)
        if not key.accepts(alg):
            raise AuthFailed(FailReason.bad_signature, note=f"token alg {alg} does not fit key {key.kid!r}")
        claims = self._decode(token, key, alg)
        return OidcIdentity(name=self._name(claims), roles=self._roles(claims))

    def _decode(self, token: str, key: SigningKey, alg: str) -> dict[str, Any]:
        required = ["exp", "iat"] + (["iss"] if self.issuer else []) + (["aud"] if self.audience else [])
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            # The signature was checked before the expiry, so the name in it can be trusted.
            raise AuthFailed(FailReason.expired, actor=_claimed(token, self.username_claim)) from None
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError, jwt.InvalidAlgorithmError, TypeError, ValueError):
            # TypeError/ValueError: PyJWT's answer to a key that does not fit the algorithm (e.g. the curve).
            claimed = _claimed(token, self.username_claim)
            raise AuthFailed(FailReason.bad_signature, note=f"claimed user {claimed!r}") from None
        except (
            jwt.InvalidAudienceError,
            jwt.InvalidIssuerError,
            jwt.ImmatureSignatureError,
            jwt.InvalidIssuedAtError,
            jwt.MissingRequiredClaimError,
        ) as exc:
            actor = _claimed(token, self.username_claim)
            raise AuthFailed(FailReason.bad_claims, actor=actor, note=str(exc)[:200]) from None
        except jwt.PyJWTError:
            raise AuthFailed(FailReason.malformed) from None

    def _name(self, claims: Mapping[str, Any]) -> str:
        for claim in (self.username_claim, "sub"):
            value = claims.get(claim)
            if isinstance(value, str) and _NAME.fullmatch(value):
                return value
        raise AuthFailed(FailReason.no_username, note=f"no usable {self.username_claim!r} or 'sub' claim")

    def _roles(self, claims: Mapping[str, Any]) -> frozenset[Role]:
        values = claim_values(claims, self.roles_claim)
        if self.role_map:
            return frozenset(self.role_map[v] for v in values if v in self.role_map)
        known = {r.value for r in Role}
        return frozenset(Role(v) for v in values if v in known)


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The strings at a dotted claim path (a list, or a space/comma separated string).

    >>> claim_values({"realm_access": {"roles": ["admin", "x"]}}, "realm_access.roles")
    ['admin', 'x']
    >>> claim_values({"scope": "openid operator"}, "scope"), claim_values({}, "groups")
    (['openid', 'operator'], [])
    """
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _claimed(token: str, username_claim: str) -> str:
    """The user name a token claims (unverified: for the audit trail only)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "anonymous"
    for claim in (username_claim, "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and _NAME.fullmatch(value):
            return value
    return "anonymous"
