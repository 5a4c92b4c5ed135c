"""API token format: ``pp_`` + 32 random bytes (urlsafe base64, 43 chars); stored as SHA-256 only.

The tokens carry 256 bits of entropy, so a fast hash is enough: nobody can
guess a preimage, and a slow KDF would only cost CPU on every request.

>>> t = new_token()
>>> t.startswith("pp_") and len(t) == 46 and looks_like_api_token(t)
True
>>> len(token_hash(t)), display_prefix(t) == t[:11]
(64, True)
>>> looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"), looks_like_jwt("pp_abc")
(True, False)
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PREFIX = "pp_"  # noqa: S105 - the format, not a secret
_TOKEN_BYTES = 32
_DISPLAY_CHARS = 11  # "pp_" + 8: enough to tell tokens apart in a listing, useless to an attacker
_API_TOKEN = re.compile(r"pp_[A-Za-z0-9_-]{43}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[:_DISPLAY_CHARS]


def looks_like_api_token(value: str) -> bool:
    return _API_TOKEN.fullmatch(value) is not None


def looks_like_jwt(value: str) -> bool:
    return len(value) < 16384 and _JWT.fullmatch(value) is not None
