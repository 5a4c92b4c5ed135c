"""Load named SQL blocks from ``.sql`` files, once.

A file holds blocks introduced by ``-- name: <name>``; the text up to the next
header is the query. (procrastinate's ``sql/queries.sql`` layout.)

>>> parse_blocks("-- name: one\\nSELECT 1;\\n-- name: two\\nSELECT 2;\\n")
{'one': 'SELECT 1;', 'two': 'SELECT 2;'}
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_HEADER = re.compile(r"^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", re.MULTILINE)


def parse_blocks(text: str) -> dict[str, str]:
    parts = _HEADER.split(text)
    blocks: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"duplicate SQL block {name!r}")
        blocks[name] = body.strip()
    return blocks


@cache
def load_queries(path: str | Path) -> dict[str, str]:
    """The named blocks of one ``.sql`` file (cached per path)."""
    return parse_blocks(Path(path).read_text(encoding="utf-8"))


class Queries:
    """Attribute access to a file's blocks: ``Q = Queries(__file__)``; ``Q.get_job``."""

    def __init__(self, module_file: str, name: str = "queries.sql") -> None:
        self._blocks = load_queries(Path(module_file).with_name(name))

    def __getattr__(self, item: str) -> str:
        try:
            return self._blocks[item]
        except KeyError:
            raise AttributeError(f"no SQL block named {item!r}") from None
