"""Secret redaction: applied to logs, extra_vars, chat and KB text before they are stored, shown or sent to an LLM.

``redact(text)`` replaces secret values with ``[REDACTED]`` and keeps what tells
a reader what was there (the key name, the URL without its password, the
``Bearer`` scheme, the private-key markers). ``redact_obj(obj)`` walks dicts and
lists: values under secret-looking keys are replaced, every string is passed
through ``redact``.

Every pattern runs on RE2 (linear time, no backtracking), so a hostile 10 MB
log costs seconds at most, never hours. The rules prefer redacting too much
over too little, with two exceptions that keep error messages readable: a
secret-looking key followed by prose (``passwd: Authentication token
manipulation error``) and values that carry no secret (``null``, ``{{ var }}``).

>>> redact("mysql -u root -pS3cr3t! db && echo ok")
'mysql -u root -p[REDACTED] db && echo ok'
>>> redact('{"user": "app", "password": "hunter2"}')
'{"user": "app", "password": "[REDACTED]"}'
>>> redact("postgres://app:pa55@db:5432/x")
'postgres://app:[REDACTED]@db:5432/x'
>>> redact("passwd: Authentication token manipulation error")
'passwd: Authentication token manipulation error'
>>> redact_obj({"ansible_become_pass": "x", "hosts": ["web-01"], "retries": 3})
{'ansible_become_pass': '[REDACTED]', 'hosts': ['web-01'], 'retries': 3}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2

from core.redact_prose import redact_prose

MARK = "[REDACTED]"

# --- which key names hold secrets --------------------------------------------------------------

_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
# A part that is a secret on its own, or contains one of these words.
_SECRET_PARTS = frozenset(
    {"token", "tokens", "auth", "authorization", "cookie", "cookies", "dsn", "sig", "signature", "creds", "pwd"}
)
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey", "accesskey",
                 "secretkey", "authtoken", "accesstoken", "refreshtoken", "sessionkey", "accountkey", "sshpass",
                 "sharedaccesskey", "clientsecret")  # fmt: skip
# "key" and "pass" are secrets only with a qualifier: api_key, become_pass; not sort_key, pass_count.
_KEY_QUALIFIERS = frozenset(
    {"api", "private", "secret", "access", "encryption", "signing", "master", "account", "session", "client",
     "auth", "shared", "app", "consumer", "storage", "hmac", "jwt", "license", "subscription", "x", "webhook"}
)  # fmt: skip
# A name ending with one of these describes a secret rather than holding it: token_type, password_file.
_BENIGN_LAST = frozenset(
    {"count", "type", "types", "method", "methods", "expires", "expiry", "expiration", "ttl", "url", "uri",
     "endpoint", "file", "path", "dir", "length", "len", "id", "ids", "name", "names", "prefix", "hint", "policy",
     "enabled", "required", "format", "algorithm", "alg", "scheme", "header", "kind", "status", "at", "age",
     "changed", "mode", "source", "provider", "strategy", "lifetime", "timeout", "min", "max", "rotation",
     "addr", "address", "host", "port", "server", "label", "version", "set", "exists", "missing", "used", "date",
     "user", "username", "login", "limit", "size", "lock", "reset", "min_length", "complexity", "quality"}
)  # fmt: skip
_BENIGN_FIRST = frozenset({"max", "min", "num", "total", "no", "use", "is", "has", "show", "ask", "prompt"})
_BENIGN_NAMES = frozenset(
    {
        "author",
        "authors",
        "authority",
        "authorized_keys",
        "passed",
        "keyboard",
        "pwd",
        "oldpwd",
        "bypass",
        # sudoers and sshd words that are settings, not secrets ("NOPASSWD: ALL", "Passwordless: add ...")
        "nopasswd",
        "passwd",
        "passwordless",
        "passwordauthentication",
        "permitemptypasswords",
    }
)


@lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """True when a key/variable name looks like it holds a secret.

    >>> [is_secret_key(k) for k in ("password", "ansible_become_pass", "AWS_SECRET_ACCESS_KEY", "apiKey")]
    [True, True, True, True]
    >>> [is_secret_key(k) for k in ("token_type", "password_expires", "sort_key", "author", "max_tokens")]
    [False, False, False, False, False]
    >>> [is_secret_key(k) for k in ("NOPASSWD", "Passwordless", "PasswordAuthentication")]
    [False, False, False]
    """
    if len(name) > 128 or name.lower() in _BENIGN_NAMES:
        return False
    parts = [p.lower() for p in _SPLIT.split(name) if p]
    if not parts:
        return False
    if len(parts) > 1 and (parts[-1] in _BENIGN_LAST or parts[0] in _BENIGN_FIRST):
        return False
    joined = "".join(parts)
    if any(w in joined for w in _SECRET_WORDS):
        return True
    for i, part in enumerate(parts):
        if part in _SECRET_PARTS:
            return True
        if part in ("key", "pass") and i > 0 and (part == "pass" or parts[i - 1] in _KEY_QUALIFIERS):
            return True
    return False


# --- text rules, in order ----------------------------------------------------------------------

# Replacements are functions of numbered groups: RE2's Python wrapper expands templates and
# resolves group names in Python, several times slower per match.
Rule = tuple[Any, Callable[[Any], str]]


def _c(pattern: str) -> Any:
    return re2.compile(pattern)


def _mark(m: Any) -> str:
    return MARK


def _head(m: Any) -> str:
    return f"{m.group(1)}{MARK}"


_VALUE_SKIP = re.compile(
    r"(?i:|null|none|nil|true|false|~|\*{3,}|x{3,}|<[^>]*>|%\(?\w+\)?s)|\$\{\w+\}|\$[A-Z_][A-Z0-9_]*"
)
# Documentation placeholders in URLs ("http://user:pass@proxy:port/"), not credentials.
_PLACEHOLDER = re.compile(r"(?i)pass(word)?|secret|changeme|\*+|x+|<[^>]*>|\[REDACTED\]|\$\{?\w+\}?")
# "--password to set it": a flag followed by prose, not by its value.
_PROSE = frozenset({"to", "and", "or", "the", "is", "if", "with", "for", "on", "in", "of", "option", "flag", "a", "an"})


_RULES: list[Rule] = [
    # Private key blocks, to their END marker or, when truncated, to the end of the text.
    (
        _c(
            r"(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?"
            r"(-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\z)"
        ),
        lambda m: f"{m.group(1)}{MARK}{m.group(2)}",
    ),
    (
        _c(r"(PuTTY-User-Key-File-\d+: [^\n]*\n)[\s\S]*?(Private-MAC: )[0-9a-fA-F]+"),
        lambda m: f"{m.group(1)}{MARK}\n{m.group(2)}{MARK}",
    ),
    # Credentials in URLs: scheme://user:password@host (the password may contain '@': up to the last one).
    (
        _c(r"(?i)\b([a-z][a-z0-9+.-]{1,30}://[^\s:/@'\"<>]*):([^\s/'\"<>]*)@"),
        lambda m: m.group(0) if _PLACEHOLDER.fullmatch(m.group(2)) else f"{m.group(1)}:{MARK}@",
    ),
    # Authorization headers (any scheme): keep the header name and the scheme.
    (
        _c(
            r"(?i)\b((?:proxy-)?authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?)"
            r"((?:bearer|basic|digest|token|negotiate|ntlm|apikey|sso-key|hmac|aws4-hmac-sha256)[ \t]+)?"
            r"([^\s\"'\\]+)"
        ),
        lambda m: f"{m.group(1)}{m.group(2) or ''}{MARK}",
    ),
    (_c(r"(?i)\b((?:set-)?cookie[ \t]*:[ \t]*)[^\n\"\\]+"), _head),
    (_c(r"(?i)\b(bearer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*"), _head),
    # Tokens recognisable by their shape.
    (
        _c(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"
            r"|gl(?:pat|ptt|dt|rt|soat|ft|imt|cbt|oas)-[A-Za-z0-9_-]{20,}"
            r"|xox[abposrce]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}"
            r"|sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
            r"|AIza[0-9A-Za-z_-]{35,}|ya29\.[0-9A-Za-z_-]{20,}|hv[sbr]\.[A-Za-z0-9_-]{24,}"
            r"|npm_[A-Za-z0-9]{36,}|pypi-AgE[A-Za-z0-9_-]{50,}|dckr_pat_[A-Za-z0-9_-]{20,}"
            r"|pp_[A-Za-z0-9_-]{40,}"
            # Azure: an Entra ID client secret; a storage account key (64 bytes in base64)
            r"|[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,}|[A-Za-z0-9+/]{86}=="
            r"|(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}[A-Za-z0-9]*"
            r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
        ),
        _mark,
    ),
    (_c(r"(https://hooks\.slack\.com/(?:services|workflows)/)[A-Za-z0-9/_-]+"), _head),
    (_c(r"(https://[a-z0-9.-]*webhook\.office\.com/webhookb2/)[^\s\"'<>]+"), _head),
    # Passwords on command lines: mysql -pSECRET, sshpass -p SECRET, openssl -pass pass:SECRET, --password SECRET.
    (
        _c(
            r"((?i:\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump))"
            r"\b[^\n|;&]*?[ \t]-p)([^\s'\"]+|'[^'\n]*'[^\s'\"]*|\"[^\"\n]*\"[^\s'\"]*)"
        ),
        _head,
    ),
    (_c(r"(\bsshpass\b[^\n|;&]*?[ \t]-p[ \t]*)([^\s'\"]+|'[^'\n]*'[^\s'\"]*|\"[^\"\n]*\"[^\s'\"]*)"), _head),
    (_c(r"(-pass(?:in|out)?[ \t]+pass:)(\S+)"), _head),
    (
        _c(
            r"(?i)(--?(?:password|passwd|token|secret|api-?key|client-secret|auth-token|access-token"
            r"|private-key-passphrase|become-pass(?:word)?)[ \t]+)"
            r"([^\s\-'\"][^\s'\"]*|'[^'\n]*'[^\s'\"]*|\"[^\"\n]*\"[^\s'\"]*)"
        ),
        lambda m: str(m.group(0)) if m.group(2).lower() in _PROSE else f"{m.group(1)}{MARK}",
    ),
    (
        _c(r"(\becho[ \t]+['\"]?[A-Za-z0-9._-]+:)([^\s'\":]+)(['\"]?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd)"),
        lambda m: f"{m.group(1)}{MARK}{m.group(3)}",
    ),
    # crypt(3) password hashes ($6$salt$hash): crackable offline, so not for display.
    (_c(r"\$(?:1|2[abxy]|5|6|y|gy|7)\$[./A-Za-z0-9$=,]{16,}"), _mark),
]


# key = value, key: value, "key": "value", key => 'value', \"key\": \"value\" ... Every pair matches and the
# callback keeps those whose key looks secret. Python's re, not RE2: this rule matches often (every JSON
# pair), and RE2's Python wrapper costs ~15 us a match against ~1 us here. Linear all the same: possessive
# quantifiers (3.11+) never backtrack, keys are at most 80 characters and start after a non-identifier.
_KEYVALUE = re.compile(
    r"(?P<pre>\\?[\"']?)(?<![\w.-])(?P<key>[A-Za-z0-9_.-]{1,80}+)"
    r"(?P<sep>\\?[\"']?[ \t]{0,3}+(?:=>|:=|=|:)[ \t]{0,3}+)"
    r"(?:\"(?P<dq>(?:[^\"\\\n]|\\.)*+)\"|\\\"(?P<eq>[^\"\\\n]*+)\\\"|'(?P<sq>[^'\n]*+)'"
    r"|(?P<bare>[^\s\"'\\,;&}\]\[{(<=|][^\s\"'\\,;&}\]|]*+))"
)
_KEYWORD = re.compile(r"(?i)pass|pwd|secret|token|key|credential|creds|auth|cookie|sig|dsn")
_QUOTES = {"dq": '"', "eq": '\\"', "sq": "'"}


_PROSE_VALUES = frozenset(
    {"put", "use", "set", "see", "enter", "give", "type", "add", "store", "keep", "read", "check", "the", "a", "an",
     "it", "is", "was", "not", "no", "none", "required", "missing", "incorrect", "expired", "wrong", "invalid"}
)  # fmt: skip
_HEADER_KEYS = frozenset({"authorization", "proxy-authorization"})  # the header rule keeps their scheme
_PROSE_NEXT = re.compile(r" [a-z]{2,}\b")


def _secret_pair(m: re.Match[str]) -> str | None:
    """The replacement for a pair whose value is a secret, or None when it is not one."""
    key, sep = m["key"], m["sep"]
    if not _KEYWORD.search(key) or not is_secret_key(key) or key.lower() in _HEADER_KEYS:
        return None
    for group, quote in _QUOTES.items():
        inner = m[group]
        if inner is not None:
            if _VALUE_SKIP.fullmatch(inner) or inner.startswith("{{"):
                return None
            return f"{m['pre']}{key}{sep}{quote}{MARK}{quote}"
    value = m["bare"]
    if _VALUE_SKIP.fullmatch(value) or value.startswith(("{{", "//")):
        return None
    # "passwd: Authentication token manipulation error", "With a password: put it in ...": prose
    prose = value[:1].isupper() or value.lower() in _PROSE_VALUES
    if ":" in sep and value.isalpha() and prose and _PROSE_NEXT.match(m.string, m.end()):
        return None
    return f"{m['pre']}{key}{sep}{MARK}"


def _redact_pairs(text: str) -> str:
    # Not re.sub: a pair that is not a secret must not swallow its value, which may hold more pairs
    # ({"stdout": "{\"password\": \"x\"}"}, "msg: failed: password: x"), so the scan goes on
    # right after its separator. Each character is still examined a bounded number of times.
    out: list[str] = []
    pos = 0
    while (m := _KEYVALUE.search(text, pos)) is not None:
        replacement = _secret_pair(m)
        if replacement is None:
            out.append(text[pos : m.end("sep")])
            pos = m.end("sep")
        else:
            out.append(text[pos : m.start()])
            out.append(replacement)
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with every secret value replaced by ``[REDACTED]``; idempotent, never raises on a str."""
    if not text:
        return text
    text = str(text)  # a str subclass (an enum value) is redacted as its plain text
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return redact_prose(_redact_pairs(text))


def redact_obj(obj: Any, *, _secret: bool = False) -> Any:
    """A copy of ``obj`` (dicts, lists, tuples, strings) with secrets redacted; other values as they are.

    A scalar under a secret-looking key becomes ``[REDACTED]`` (None stays None);
    a dict under one is walked with the same rules; the strings of a list under
    one are all redacted.
    """
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            secret = isinstance(k, str) and is_secret_key(k)
            out[k] = redact_obj(v, _secret=secret)
        return out
    if isinstance(obj, list | tuple):
        items = [redact_obj(v, _secret=_secret and not isinstance(v, dict)) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    if _secret and obj is not None and not isinstance(obj, bool):
        return obj if isinstance(obj, str) and _VALUE_SKIP.fullmatch(obj) else MARK
    if isinstance(obj, str):  # an event's stdout is a log line whose result JSON hides escaped secrets
        return redact_log(obj) if " => {" in obj else redact(obj)
    return obj


# A result line's JSON, possibly wrapped in ANSI colour codes (AWX events' stdout is coloured).
_RESULT = re.compile(r"^(?P<head>.*? => )(?P<json>\{.*\})(?P<tail>(?:\x1b\[[0-9;]*m)*)\s*$")


def redact_log(text: str) -> str:
    """An Ansible/AWX log with its secrets redacted, including inside the JSON of result lines.

    A result's JSON strings are decoded, redacted and encoded again, so a secret that only shows once
    decoded (``\\"password\\": ...`` nested in a module's stdout) is caught too.

    >>> line = 'fatal: [h]: FAILED! => {"msg": "{\\"password\\": \\"Pw-1\\"}"}'
    >>> "Pw-1" in redact_log(line)
    False
    >>> "Pw-1" in redact_log("\x1b[0;31m" + line + "\x1b[0m")
    False
    """
    if not text:
        return text
    out: list[str] = []
    for line in str(text).split("\n"):
        m = _RESULT.match(line) if " => {" in line else None
        if m:
            try:
                data = json.loads(m["json"])
            except ValueError:
                data = None
            if isinstance(data, dict):
                line = m["head"] + json.dumps(redact_obj(data), sort_keys=True, ensure_ascii=False) + m["tail"]
        out.append(line)
    # The text rules run over the whole log, not line by line: a private key block spans lines.
    return redact("\n".join(out))
