"""Read and write the KB seed file format (kb/seed.yaml) with a fixed, reviewable layout.

The writer emits the same layout the seed file is written in (two-space indents, patterns
and references single-quoted, ``modules`` in flow style, the solution as a ``|`` block,
one blank line between entries), so ``import`` then ``export`` of kb/seed.yaml gives the
file back byte for byte (tests/unit/test_kb_seedfile.py). Any file that YAML reads the
same way is accepted on import.

>>> e = {"slug": "x-y", "title": "A title", "category": "other", "patterns": ["a'b"],
...      "solution": "1. Do it.\\n", "samples": {"match": ["line 1\\nline 2"], "no_match": []}}
>>> print(dump_entries([e], header=""), end="")
- slug: x-y
  title: A title
  category: other
  patterns:
    - 'a''b'
  solution: |
    1. Do it.
  samples:
    match:
      - |-
        line 1
        line 2
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from core.errors import KbError

KEY_ORDER = ("slug", "title", "category", "wrapper", "patterns", "modules", "solution", "references", "samples")
_PLAIN_SAFE = re.compile(r'^[A-Za-z0-9(/][^\n#"]*$')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_ESCAPE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\"\\\\]")


def read_header(text: str) -> str:
    """The leading comment block (and blank lines) of a seed file."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "".join(lines)


def load_file(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """``(header, entries)`` of a seed file; raises KbError when it is not a list of entries."""
    text = path.read_text(encoding="utf-8")
    return read_header(text), load_text(text)


def load_text(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KbError(f"the KB file is not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise KbError("the KB file must be a YAML list of entries")
    return data


def _double(text: str) -> str:
    """A YAML double-quoted scalar: escapes for quotes, backslashes and control characters only."""

    def esc(m: re.Match[str]) -> str:
        c = m.group(0)
        named = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
        return named.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return '"' + _ESCAPE.sub(esc, text) + '"'


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scalar(text: str) -> str:
    """A one-line value: plain when YAML reads it back unchanged, else single- or double-quoted."""
    if "\n" in text or _CONTROL.search(text):
        return _double(text)
    if _PLAIN_SAFE.match(text) and not text.endswith((" ", ":")) and ": " not in text:
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    return _single(text)


def _quoted(text: str) -> str:
    if "\n" in text or _CONTROL.search(text):
        return _double(text)
    return _single(text)


def _block_ok(text: str) -> bool:
    lines = text.split("\n")
    return (
        bool(text.strip())
        and not _CONTROL.search(text.replace("\n", ""))
        and "\r" not in text
        and not lines[0].startswith((" ", "\t"))
        and all(line == line.rstrip(" \t") for line in lines)
        and not text.endswith("\n\n")
    )


def _block(text: str, indent: str) -> list[str]:
    """``|`` / ``|-`` literal block lines for ``text`` at ``indent`` (caller checked _block_ok)."""
    chomp = "" if text.endswith("\n") else "-"
    body = text[:-1] if text.endswith("\n") else text
    return [f"|{chomp}"] + [f"{indent}{line}" if line else "" for line in body.split("\n")]


def _sample(text: str, indent: str) -> list[str]:
    if "\n" in text and _block_ok(text):
        return _block(text, indent + "  ")
    return [_quoted(text)]


def _list(key: str, items: list[str], indent: str, quote: bool = True) -> list[str]:
    out = [f"{indent}{key}:"]
    for item in items:
        out.append(f"{indent}  - {_quoted(item) if quote else _scalar(item)}")
    return out


def dump_entry(entry: dict[str, Any]) -> str:
    out: list[str] = []
    for key in KEY_ORDER:
        if key not in entry:
            continue
        value = entry[key]
        prefix = "- " if not out else "  "
        if key in ("slug", "title", "category"):
            out.append(f"{prefix}{key}: {_scalar(str(value))}")
        elif key == "wrapper":
            if value:
                out.append("  wrapper: true")
        elif key in ("patterns", "references"):
            if value:
                out.extend(_list(key, list(value), "  "))
            elif key == "patterns":
                out.append("  patterns: []")
        elif key == "modules":
            if value:
                out.append(f"  modules: [{', '.join(_scalar(m) for m in value)}]")
        elif key == "solution":
            text = str(value)
            if _block_ok(text):
                lines = _block(text, "    ")
                out.append(f"  solution: {lines[0]}")
                out.extend(lines[1:])
            else:
                out.append(f"  solution: {_quoted(text)}")
        elif key == "samples":
            match = list(value.get("match", []))
            no_match = list(value.get("no_match", []))
            if not (match or no_match):
                continue
            out.append("  samples:")
            for name, items in (("match", match), ("no_match", no_match)):
                if not items:
                    continue
                out.append(f"    {name}:")
                for item in items:
                    lines = _sample(item, "      ")
                    out.append(f"      - {lines[0]}")
                    out.extend(lines[1:])
    if entry.get("enabled") is False:
        out.append("  enabled: false")
    return "\n".join(out) + "\n"


def dump_entries(entries: list[dict[str, Any]], header: str) -> str:
    """The seed file text: header, then entries separated by one blank line."""
    body = "\n".join(dump_entry(e) for e in entries)
    return header + body
