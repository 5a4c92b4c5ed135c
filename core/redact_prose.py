"""Secrets written as prose: "the sudo password is X", "pw: X", "passphrase X", "token X", "secret X".

``core.redact.redact`` runs this after its key/value rules, so ``password: X`` is already
``password: [REDACTED]`` here; what is left is a secret word followed by its value in words.
Two strengths of evidence:

- a connector (``is``, ``was``, ``set to``, ``:``, ``=``), optionally after ``for NAME`` /
  ``of NAME``: the value is redacted unless it is plainly prose (``password is required``,
  ``password: Authentication failure``, ``token expired``);
- the word alone (``passphrase X``, ``token X``): the value is redacted only when it looks like
  a secret (letters with digits or symbols, or mixed case), so ``password authentication`` and
  ``token manipulation error`` stay readable.

>>> redact_prose("the sudo password is Tr0ub4dor&3, thanks")
'the sudo password is [REDACTED], thanks'
>>> redact_prose("The password for root is hunter2.")
'The password for root is [REDACTED].'
>>> redact_prose("pw: s3cr3t-pw and passphrase correct-horse-battery")
'pw: [REDACTED] and passphrase [REDACTED]'
>>> redact_prose("sudo: a password is required; Token manipulation error; password expired")
'sudo: a password is required; Token manipulation error; password expired'
>>> redact_prose("check the machine credential (privilege escalation) and passphrase (Xy7-kq9z)")
'check the machine credential (privilege escalation) and passphrase [REDACTED])'
"""

from __future__ import annotations

import re

MARK = "[REDACTED]"

_WORD = r"pass(?:word|wd|phrase)|pass[ \t]phrase|pw|pin[ \t]?code|token|secret(?:[ \t_-]?key)?|api[ \t_-]?key" \
        r"|access[ \t_-]?key|private[ \t_-]?key|credentials?"  # fmt: skip
_STRONG = r"[ \t]*(?:==|:=|=>|=|:)[ \t]*|[ \t]+(?:is|was|were|are|is[ \t]+now|was[ \t]+set[ \t]+to|set[ \t]+to|reads)" \
          r"(?:[ \t]*:)?[ \t]+|[ \t]+-[ \t]+"  # fmt: skip
_VALUE = r"\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|`[^`\n]{1,200}`|[^\s\"'`]{1,200}"
# Bounded quantifiers and no nested repetition: linear on any input.
_PROSE_SECRET = re.compile(
    rf"(?i)(?<![\w-])(?P<word>{_WORD})(?![\w-])"
    rf"(?:(?P<strong>(?:[ \t]+(?:for|of)[ \t]+[\w@.-]{{1,64}})?(?:{_STRONG}))|(?P<weak>[ \t]+))"
    rf"(?P<value>{_VALUE})"
)
_TRAIL = re.compile(r"[.,;:!?)\]]+$")
# Words that follow "password is" / "token:" in messages rather than secrets.
_PROSE = frozenset(
    """a an the to for of and or in on at by with from as it its this that not no none null nil empty blank set
    reset changed updated required needed missing wrong incorrect invalid valid expired expiring expires correct
    accepted rejected refused denied locked unlocked disabled enabled stored saved hidden masked unknown unset
    provided given used weak strong short long too ok okay being been also still now here there same different
    protected encrypted generated rotated revoked present absent defined undefined configured please prompt
    authentication failure failed error manipulation change changes file path length policy must should will
    can cannot may might has have had do does did put use see enter give type add keep read check run go get make
    take try ask send copy paste""".split()  # noqa: SIM905 (a word list reads better as text)
)
_SKIP = re.compile(r"(?i)\[REDACTED\]|\*{3,}|x{3,}|<[^>]*>|\{\{.*|\$\{\w+\}|\$[A-Z_][A-Z0-9_]*|%\(?\w+\)?s")
_PROSE_NEXT = re.compile(r"[ \t]+[a-z]{2,}\b")


def _looks_secret(value: str) -> bool:
    """A bare word that reads like a credential: letters mixed with digits or symbols, or inner capitals.

    Brackets around it are prose, not symbols (``credential (privilege escalation)``).
    """
    value = value.strip("()[]{}")
    if len(value) < 6 or value.startswith(("/", "~", "./", "http")) or "://" in value:
        return False
    letters = any(c.isalpha() for c in value)
    digits = any(c.isdigit() for c in value)
    symbols = any(not c.isalnum() for c in value)
    inner_caps = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return letters and (digits or symbols or inner_caps)


def _prose_word(value: str, text: str, end: int) -> bool:
    """``value`` is a word of a sentence, not a secret: a known word, an English ending, or a capital + prose."""
    if not value.isalpha():
        return False
    low = value.lower()
    if low in _PROSE or low.endswith(("ed", "ing", "ly", "tion", "ment", "ness")):
        return True
    return value[:1].isupper() and value[1:].islower() and _PROSE_NEXT.match(text, end) is not None


def _replace(m: re.Match[str]) -> str:
    raw = m["value"]
    quoted = raw[:1] in "\"'`"
    inner = raw[1:-1] if quoted else raw
    tail = ""
    if not quoted:
        t = _TRAIL.search(inner)
        if t and t.start() > 0:
            inner, tail = inner[: t.start()], inner[t.start() :]
    if not inner or _SKIP.fullmatch(inner) or MARK in raw:
        return m[0]
    if m["strong"] is not None:
        if not quoted and _prose_word(inner, m.string, m.end()):
            return m[0]
    elif quoted:
        if inner.startswith(("/", "~")):
            return m[0]
    elif not _looks_secret(inner):
        return m[0]
    head = m[0][: m.start("value") - m.start()]
    return f"{head}{raw[0]}{MARK}{raw[-1]}" if quoted else f"{head}{MARK}{tail}"


def redact_prose(text: str) -> str:
    """``text`` with secrets stated in words replaced by ``[REDACTED]`` (idempotent)."""
    return _PROSE_SECRET.sub(_replace, text)
