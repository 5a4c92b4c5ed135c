"""Build ``kb/catalog.jsonl`` (kb.analysis.translate) from the tools' own ``.po`` translation catalogues.

Run by hand when the KB gains wordings or a tool gains translations (``patchpilot kb catalog build``), from
source checkouts of the tools; nothing is downloaded. A message is kept when its English original, with any
value in its placeholders, appears in the KB's samples (so only messages the KB knows are read back), and
for each language whose translation is complete (not fuzzy) and keeps the original's placeholders.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import re2

from kb.analysis.matcher import CompiledKb
from kb.analysis.translate import Message, parse, pattern, specific

# The languages the catalogue keeps: the locales fleets most often run in.
LANGS = ("de", "fr", "es", "it", "pt", "pt_BR", "ja", "zh_CN", "zh_TW", "ru", "pl", "nl", "cs", "ko", "tr", "sv")
_LANG_OF = re.compile(r"(?:^|[_/])(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?)\.po$")


def lang_of(path: Path) -> str | None:
    m = _LANG_OF.search(path.name)
    return m.group("lang") if m else None


def _unquote(s: str) -> str:
    return str(ast.literal_eval(s.strip())) if s.strip().startswith('"') else ""


def parse_po(text: str) -> list[tuple[str, str]]:
    """``(msgid, msgstr)`` pairs of a .po file: translated, not fuzzy, not obsolete; a plural's singular and
    plural forms each with their first and second translation.

    >>> parse_po('#, fuzzy\\nmsgid "a"\\nmsgstr "b"\\n\\nmsgid "x %s"\\nmsgstr ""\\n"y %s"\\n')
    [('x %s', 'y %s')]
    """
    pairs: list[tuple[str, str]] = []
    entry: dict[str, str] = {}
    flags = ""
    key: str | None = None

    def flush() -> None:
        if entry and "fuzzy" not in flags and entry.get("msgid"):
            if entry.get("msgstr"):
                pairs.append((entry["msgid"], entry["msgstr"]))
            if entry.get("msgstr[0]"):
                pairs.append((entry["msgid"], entry["msgstr[0]"]))
            if entry.get("msgid_plural") and entry.get("msgstr[1]"):
                pairs.append((entry["msgid_plural"], entry["msgstr[1]"]))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            entry, flags, key = {}, "", None
            continue
        if line.startswith("#~"):
            key = None
            continue
        if line.startswith("#,"):
            flags += line
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if key is not None:
                entry[key] += _unquote(line)
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgid", "msgid_plural", "msgstr", "msgctxt") or word.startswith("msgstr["):
            if word == "msgid" and "msgid" in entry:
                flush()
                entry, flags = {}, ""
            key = word
            entry[key] = _unquote(rest)
    flush()
    return pairs


# A run of a message's fixed words this long, seen in the KB's samples, makes the message one the KB knows.
LONG_RUN = 24
# Values put in a message's placeholders to ask whether a KB pattern knows it.
FILLERS = ("1", "/var", "pkg-1.0-1.el9.x86_64", "118MB more space", "repo-id", "host.example.com")


def relevant(msgid: str, corpus: str, kb: CompiledKb | None = None) -> bool:
    """Whether the English message, with any values in its placeholders, appears in ``corpus``, or (with
    ``kb``) a KB pattern matches it with sample values in its placeholders."""
    parts = parse(msgid)
    if not specific(parts):
        return False
    if kb is not None:
        for value in FILLERS:
            english = "".join(p.literal + (value if p.key else "") for p in parts)
            if kb.matching(english):
                return True
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 1 << 20
    try:
        if re2.compile(pattern(parts), options).search(corpus) is not None:
            return True
    except re2.error:
        return False
    # Or a long run of its fixed words does (the KB shows the message with other words around its values).
    flat = " ".join(corpus.lower().split())
    runs = (" ".join(p.literal.lower().split()) for p in parts)
    return any(len(run) >= LONG_RUN and len(run.split()) >= 4 and run in flat for run in runs)


# The C library's catalogue (glibc's libc.po) is read for its error texts only: strerror's and gai_strerror's
# ("No space left on device", "Temporary failure in name resolution"), which every tool prints after its own
# message in the host's locale ("fallo al escribir (No queda espacio en el dispositivo)"). Its other
# messages are its own programs' (ldd, iconv, localedef) and too generic to read back ("syntax error").
LIBC_TOOLS = frozenset({"glibc"})
_ERROR_TEXT = re.compile(r"[A-Z][a-z]+(?:-[a-z]+)?(?: [a-z]+)+")
_NOT_AN_ERROR = frozenset({"Unknown error", "Success"})


def error_text(msgid: str) -> bool:
    """Whether a C library message is an error text (``LIBC_TOOLS``): a plain sentence, no placeholder.

    >>> [error_text(m) for m in ("Read-only file system", "No route to host", "%s: syntax error", "Unknown error")]
    [True, True, False, False]
    """
    return _ERROR_TEXT.fullmatch(msgid) is not None and msgid not in _NOT_AN_ERROR


def build(
    sources: Mapping[str, Iterable[Path]], corpus: str, kb: CompiledKb | None = None, langs: Iterable[str] = LANGS
) -> list[Message]:
    """The catalogue's messages from ``sources`` (tool name -> its .po files) that the ``corpus`` shows or the
    ``kb``'s patterns know (``relevant``); of a C library (``LIBC_TOOLS``), its error texts only."""
    wanted = set(langs)
    seen: dict[str, bool] = {}
    out: dict[tuple[str, str, str, str], Message] = {}
    for tool, files in sources.items():
        for path in sorted(files):
            lang = lang_of(path)
            if lang not in wanted:
                continue
            for msgid, msgstr in parse_po(path.read_text(encoding="utf-8", errors="replace")):
                msgid, msgstr = msgid.strip(), msgstr.strip()
                if tool in LIBC_TOOLS and not error_text(msgid):
                    continue
                if msgid not in seen:
                    seen[msgid] = relevant(msgid, corpus, kb)
                if not seen[msgid] or msgstr == msgid:
                    continue
                m = Message(tool, lang, msgid, msgstr)
                if m.usable():
                    out.setdefault((tool, lang, msgid, msgstr), m)
    return list(out.values())


def kb_corpus(entries: Iterable[Mapping[str, Any]]) -> str:
    """Every sample text of the KB entries, one after the other."""
    texts: list[str] = []
    for e in entries:
        samples = e.get("samples") or {}
        texts += list(samples.get("match") or []) + list(samples.get("no_match") or [])
    return "\n\n".join(texts)


def write_catalog(path: Path, header: Mapping[str, Any], messages: Iterable[Message]) -> int:
    rows = sorted(messages, key=lambda m: (m.tool, m.msgid, m.lang, m.msgstr))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(header), ensure_ascii=False, sort_keys=True) + "\n")
        for m in rows:
            line = {"tool": m.tool, "lang": m.lang, "msgid": m.msgid, "msgstr": m.msgstr}
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(rows)
