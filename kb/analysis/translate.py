r"""Failures printed in another language, read through the tools' own translations.

apt, dpkg, dnf, libdnf, dnf5, dnf-plugins-core, rpm, libzypp (zypper), sudo and subscription-manager print their
messages in the managed host's locale (``LANG=de_DE.UTF-8``), with the C library's error texts in them (strerror:
"No space left on device"); Ansible's own words stay English. The KB's patterns are written in English, so a failure
none of them matches is read again with each translated message it contains put back into the English original
(``msgid``) of the tool's own catalogue (``msgstr``), the values in its placeholders kept. Only the messages
the KB's samples show are kept (``kb/catalog.jsonl``, built by ``patchpilot kb catalog build`` from the tools'
``.po`` files; its header names each source and commit). Nothing is guessed: a line that is no catalogue
message stays as it is.

>>> t = Translator([Message("apt", "de", "You don't have enough free space in %s.",
...                         "Sie haben nicht genug freien Platz in %s.")])
>>> t.english("E: Sie haben nicht genug freien Platz in /var/cache/apt/archives/.")
Translation(text="E: You don't have enough free space in /var/cache/apt/archives/.", langs=('de',))
>>> t.english("all English here") is None
True

Placeholders keep their order, by position when the translation reorders them:

>>> r = Translator([Message("x", "de", "installing package %s needs %s", "%2$s braucht die Installation von %1$s")])
>>> r.english("42 MB braucht die Installation von foo").text
'installing package foo needs 42 MB'
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import re2

CATALOG = Path(__file__).resolve().parents[1] / "catalog.jsonl"
# A failure text longer than this is read only up to here for translation (its head holds the error).
MAX_TEXT = 64 * 1024
# A message whose fixed words are fewer or shorter than this is too generic to read back ("%s: %s",
# "Warning:", "signature"): a word alone could be part of any sentence.
MIN_LITERAL = 12
MIN_WORDS = 2
# How deep messages printed inside other messages' placeholders are read (dpkg nests three).
_NESTING = 3

# printf (%s, %d, %lu, %1$s, %.*s, %<PRIu64>), Python (%(name)s, {}, {0}, {name}), boost::format (%1%).
_PLACEHOLDER = re.compile(
    r"%%"
    r"|%\((?P<pyname>\w+)\)[-+ #0]*\d*(?:\.\d+)?[diouxXeEfgGcrsa]"
    r"|%(?P<pos>\d+)\$[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|j|t|q)?[diouxXeEfgGcsp]"
    r"|%(?P<boost>\d+)%"
    r"|%<PRI\w+>"
    r"|%[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|z|j|t|q)?[diouxXeEfgGcsp]"
    r"|\{(?P<fmt>\d*|[A-Za-z_]\w*)(?::[^{}]*)?\}"
)
_SPACE = re.compile(r"\s+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")
# White space in a translation: ASCII, and the no-break and ideographic spaces French and CJK catalogues use
# (RE2's \s is ASCII only).
_WS = r"[\s\x{a0}\x{202f}\x{3000}]"


class Part(NamedTuple):
    literal: str  # the fixed text before the placeholder (or the tail, with ``key`` None)
    key: str | None  # the placeholder's argument: "1", "2" (by position) or a name


def parse(fmt: str) -> list[Part]:
    """``fmt`` as fixed text and placeholders, each placeholder keyed by the argument it prints.

    >>> parse("needs %s on the %s filesystem")
    [Part(literal='needs ', key='1'), Part(literal=' on the ', key='2'), Part(literal=' filesystem', key=None)]
    >>> parse("%2$s: 100%% of {name}")
    [Part(literal='', key='2'), Part(literal=': 100% of ', key='name'), Part(literal='', key=None)]
    """
    parts: list[Part] = []
    literal, n, last = "", 0, 0
    for m in _PLACEHOLDER.finditer(fmt):
        literal += fmt[last : m.start()]
        last = m.end()
        if m.group(0) == "%%":
            literal += "%"
            continue
        if m.group("pyname"):
            key = m.group("pyname")
        elif m.group("pos") or m.group("boost"):
            key = str(int(m.group("pos") or m.group("boost")))
        elif m.group("fmt") is not None and m.group("fmt") != "":
            fmt_key = m.group("fmt")
            key = str(int(fmt_key) + 1) if fmt_key.isdigit() else fmt_key
        else:
            n += 1
            key = str(n)
        parts.append(Part(literal, key))
        literal = ""
    parts.append(Part(literal + fmt[last:], None))
    return parts


def literal_length(parts: Sequence[Part]) -> int:
    return sum(len(p.literal.strip()) for p in parts)


def specific(parts: Sequence[Part]) -> bool:
    """Whether an English message says enough to be recognised (``MIN_LITERAL``, ``MIN_WORDS``)."""
    words = sum(len(re.findall(r"[^\W\d_]{2,}", p.literal)) for p in parts)
    return literal_length(parts) >= MIN_LITERAL and words >= MIN_WORDS


# Quotation marks differ between a catalogue's releases and get straightened or curled on their way to a log
# (‘%s’ in one apt release, '%s' in another): any of them stands for any other.
_QUOTES = "'\"‘’‚‛“”„«»`´"
_QUOTE_CLASS = "[" + "".join(re2.escape(q) for q in _QUOTES) + "]"
_FOLD = str.maketrans({q: "'" for q in _QUOTES})


def fold_quotes(text: str) -> str:
    """``text`` with every quotation mark as ``'``.

    >>> fold_quotes("run ‘dpkg --configure -a’ or «this»")
    "run 'dpkg --configure -a' or 'this'"
    """
    return text.translate(_FOLD)


def _word_regex(word: str) -> str:
    return "".join(_QUOTE_CLASS if c in _QUOTES else re2.escape(c) for c in word)


def _literal_regex(text: str) -> str:
    return f"{_WS}+".join(_word_regex(w) for w in _SPACE.split(text.strip())) if text.strip() else ""


def pattern(parts: Sequence[Part]) -> str:
    """An RE2 pattern for the message: its fixed words (any run of white space for white space), each
    placeholder one group that stays on its line (the last runs to the line's end)."""
    out: list[str] = []
    for i, p in enumerate(parts):
        lit = p.literal
        if lit and not lit.strip() and out:  # white space alone between two placeholders
            out.append(f"{_WS}+")
        elif lit.strip():
            lead = f"{_WS}*" if lit[:1].isspace() and out else ""
            trail = f"{_WS}*" if lit[-1:].isspace() and p.key is not None else ""
            # A word is read whole: "ID repository" is not the end of "valid repository" (ASCII edges only;
            # RE2's \b knows no CJK word).
            stripped = lit.strip()
            start = r"\b" if not out and _ASCII_WORD.match(stripped[:1]) else ""
            end = r"\b" if p.key is None and _ASCII_WORD.match(stripped[-1:]) else ""
            out.append(lead + start + _literal_regex(lit) + end + trail)
        if p.key is not None:
            last = all(q.key is None and not q.literal.strip() for q in parts[i + 1 :])
            # A value starts with a printing character: a message that opens with its placeholder
            # ("{1} ファイルシステムに...") must not take the line's indentation into the value.
            first = "" if out else r"\S"
            out.append(f"(?P<g{i}>{first}[^\\n]*)" if last else f"(?P<g{i}>{first}[^\\n]*?)")
    return "".join(out)


@dataclass(frozen=True)
class Message:
    """One catalogue message: the English original and one language's translation of it."""

    tool: str
    lang: str
    msgid: str
    msgstr: str

    @cached_property
    def source_parts(self) -> list[Part]:
        return parse(self.msgid)

    @cached_property
    def parts(self) -> list[Part]:
        return parse(self.msgstr)

    @cached_property
    def anchor(self) -> str:
        """The longest fixed run of the translation, lower-cased: a cheap test before the regex."""
        runs = [fold_quotes(_SPACE.sub(" ", p.literal.strip().lower())) for p in self.parts]
        return max(runs, key=len)

    @cached_property
    def regex(self) -> Any:
        options = re2.Options()
        options.case_sensitive = False
        options.max_mem = 1 << 20
        return re2.compile(pattern(self.parts), options)

    def usable(self) -> bool:
        """Whether the translation can be read back: enough fixed words, and the same placeholders."""
        if not specific(self.source_parts) or len(self.anchor) < 4:
            return False
        keys = sorted(p.key for p in self.parts if p.key)
        return keys == sorted(p.key for p in self.source_parts if p.key)

    def render(self, values: dict[str, str]) -> str:
        return "".join(p.literal + (values.get(p.key, "") if p.key else "") for p in self.source_parts)


class Translation(NamedTuple):
    text: str
    langs: tuple[str, ...]


def _long_enough(value: str) -> bool:
    """Whether a placeholder's value is long enough to hold a message: ``MIN_LITERAL`` counted in UTF-8 bytes, so
    a message in a script that says more per character (apt's zh_CN "Hash 校验和不符", 10 characters) is read too.
    For ASCII text bytes and characters are the same count."""
    return len(value.encode("utf-8")) >= MIN_LITERAL


class _Reading(NamedTuple):
    start: int
    end: int
    weight: int  # the message's fixed characters
    message: Message
    values: dict[str, str]
    holes: list[tuple[int, int]]  # where its placeholders' values are in the text

    def holds(self, other: _Reading) -> bool:
        """Whether ``other`` lies inside one of this reading's placeholder values."""
        return any(s <= other.start and other.end <= e for s, e in self.holes)


class Translator:
    """Put each catalogue message found in a text back into English (the module docstring)."""

    def __init__(self, messages: Iterable[Message]) -> None:
        self.messages = [m for m in messages if m.usable()]

    @classmethod
    def load(cls, path: Path = CATALOG) -> Translator:
        return cls(read_catalog(path)[1])

    def english(self, text: str, depth: int = 0) -> Translation | None:
        """``text`` with every catalogue message in it put back into English; None when it has none.

        A placeholder's value is read too, so a message printed inside another's placeholder is put back as well
        (dpkg's "cannot copy extracted data for %s to %s: %s" around its own "failed to write (%s)" around the C
        library's "No space left on device")."""
        head = text[:MAX_TEXT]
        low = fold_quotes(_SPACE.sub(" ", head.lower()))
        found: list[_Reading] = []
        for m in self.messages:
            if m.anchor not in low:
                continue
            for hit in m.regex.finditer(head):
                if hit.end() > hit.start():
                    keyed = [(i, p.key) for i, p in enumerate(m.parts) if p.key]
                    values = {key: hit.group(f"g{i}") or "" for i, key in keyed}
                    index = m.regex.groupindex
                    holes = [hit.span(index[f"g{i}"]) for i, _ in keyed if hit.group(f"g{i}")]
                    found.append(_Reading(hit.start(), hit.end(), literal_length(m.parts), m, values, holes))
        # The message with the most fixed words first (one that contains another is read whole), then the
        # longer reading (one whose values are there beats one that only shares its words); a span is read
        # once, so a reading's English is never read again. A message whose placeholder holds readings already
        # taken replaces them: they are read again inside its value (dpkg's lock message around the C
        # library's "Resource temporarily unavailable", which has more fixed words).
        found.sort(key=lambda f: (-f.weight, f.start - f.end, f.start))
        chosen: list[_Reading] = []
        for r in found:
            hit = [c for c in chosen if r.start < c.end and c.start < r.end]
            if hit and (depth >= _NESTING or not all(r.holds(c) for c in hit)):
                continue
            chosen = [c for c in chosen if c not in hit] + [r]
        spans: list[tuple[int, int, str]] = []
        langs: list[str] = []
        for r in sorted(chosen, key=lambda c: c.start):
            if r.message.lang not in langs:
                langs.append(r.message.lang)
            values = dict(r.values)
            if depth < _NESTING:
                for key, value in values.items():
                    inner = self.english(value, depth + 1) if _long_enough(value) else None
                    if inner is not None:
                        values[key] = inner.text
                        langs += [lang for lang in inner.langs if lang not in langs]
            spans.append((r.start, r.end, r.message.render(values)))
        if not spans:
            return None
        out, last = [], 0
        for start, end, english in sorted(spans):
            out += [head[last:start], english]
            last = end
        return Translation("".join(out) + head[last:] + text[MAX_TEXT:], tuple(langs))


_SHARED: Translator | None = None
_LOCK = threading.Lock()


def shared() -> Translator:
    """The translator of ``kb/catalog.jsonl``, loaded once per process (on the first text that needs it)."""
    global _SHARED
    with _LOCK:
        if _SHARED is None:
            _SHARED = Translator.load()
        return _SHARED


@functools.lru_cache(maxsize=4096)
def english(text: str) -> Translation | None:
    """``shared().english(text)``, remembered: a fleet failing alike repeats one text many times."""
    return shared().english(text)


def read_catalog(path: Path) -> tuple[dict[str, Any], list[Message]]:
    """The catalogue file: a header line (its sources) and one message per line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        return header, [Message(**json.loads(line)) for line in fh if line.strip()]
