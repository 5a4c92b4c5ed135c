"""AWX list semantics for the emulator: filters, ordering, page/page_size pagination with relative links.

Contract section 2: exact match and ``__<lookup>`` filters (``not__``/``or__``
prefixes), ``order_by``, ``page``/``page_size`` (default 25, silently capped at
200, the cap written back into the links), relative ``next``/``previous`` with the
full query string, ``count_disabled``, and ``limit`` on event lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
LOOKUPS = frozenset(
    [
        "exact",
        "iexact",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "regex",
        "iregex",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "isnull",
    ]
)
RESERVED = frozenset(
    [
        "page",
        "page_size",
        "format",
        "order",
        "order_by",
        "search",
        "type",
        "host_filter",
        "count_disabled",
        "no_truncate",
        "validate",
        "limit",
        "hostvars",
        "all",
        "towervars",
    ]
)

Row = tuple[dict[str, Any], Any]  # (filterable values, the object)


class ListError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _bool(raw: str) -> bool:
    low = raw.lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    raise ValueError(f"{raw!r} is not a boolean")


def _coerce(sample: Any, raw: str) -> Any:
    if isinstance(sample, bool):
        return _bool(raw)
    if isinstance(sample, int):
        return int(raw)
    if isinstance(sample, float):
        return float(raw)
    if isinstance(sample, datetime):
        return datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    return raw


def _test(value: Any, lookup: str, raw: str) -> bool:
    if isinstance(value, list):
        return any(_test(v, lookup, raw) for v in value)
    if lookup == "isnull":
        return (value is None) == _bool(raw)
    if value is None:
        return lookup in ("exact", "iexact") and raw in ("None", "null")
    if lookup == "in":
        return any(_test(value, "exact", part) for part in raw.split(","))
    if lookup in ("exact", "gt", "gte", "lt", "lte"):
        want = _coerce(value, raw)
        return bool(
            {
                "exact": value == want,
                "gt": value > want,
                "gte": value >= want,
                "lt": value < want,
                "lte": value <= want,
            }[lookup]
        )
    text, low = str(value), raw.lower()
    if lookup == "iexact":
        return text.lower() == low
    if lookup == "contains":
        return raw in text
    if lookup == "icontains":
        return low in text.lower()
    if lookup == "startswith":
        return text.startswith(raw)
    if lookup == "istartswith":
        return text.lower().startswith(low)
    if lookup == "endswith":
        return text.endswith(raw)
    if lookup == "iendswith":
        return text.lower().endswith(low)
    if lookup == "regex":
        return re.search(raw, text) is not None
    return re.search(raw, text, re.IGNORECASE) is not None  # iregex


def _split(key: str) -> tuple[str, str]:
    parts = key.split("__")
    if len(parts) > 1 and parts[-1] in LOOKUPS:
        return "__".join(parts[:-1]), parts[-1]
    return key, "exact"


def filter_rows(
    rows: Sequence[Row],
    params: Sequence[tuple[str, str]],
    search_fields: Sequence[str] = (),
    fields: Collection[str] | None = None,
) -> list[Row]:
    """Apply AWX filters (ANDed; ``or__`` ones ORed as a group); unknown fields or bad values -> 400.

    ``fields`` names what may be filtered on, so an unknown field is refused even on an
    empty list (as AWX does: the check is against the model, not the rows).
    """
    plain: list[tuple[str, str, str, bool]] = []
    ors: list[tuple[str, str, str, bool]] = []
    search = ""
    known = set(fields) if fields is not None else set(rows[0][0]) if rows else set()
    for key, raw in params:
        if key == "search":
            search = raw.lower()
            continue
        if key in RESERVED:
            continue
        target, negate, name = plain, False, key
        for prefix in ("chain__", "or__", "not__"):
            if name.startswith(prefix):
                name = name[len(prefix) :]
                negate = negate or prefix == "not__"
                target = ors if prefix == "or__" else target
        field, lookup = _split(name)
        if (rows or fields is not None) and field not in known:
            raise ListError(400, f"No related model for field {field}.")
        target.append((field, lookup, raw, negate))

    def keep(values: dict[str, Any]) -> bool:
        try:
            ok = all(_test(values[f], lk, raw) != neg for f, lk, raw, neg in plain)
            if ok and ors:
                ok = any(_test(values[f], lk, raw) != neg for f, lk, raw, neg in ors)
        except (ValueError, TypeError, re.error) as exc:
            raise ListError(400, str(exc)) from exc
        if ok and search:
            ok = any(search in str(values.get(f, "")).lower() for f in search_fields)
        return ok

    return [row for row in rows if keep(row[0])]


def order_rows(rows: list[Row], order_by: str | None, default: str = "id") -> list[Row]:
    keys = [k.strip() for k in (order_by or default).split(",") if k.strip()]
    for key in reversed(keys):
        desc, field = key.startswith("-"), key.lstrip("-")
        if rows and field not in rows[0][0]:
            raise ListError(400, f"invalid order_by field {field!r}")
        rows = sorted(rows, key=lambda r: (r[0][field] is not None, r[0][field]), reverse=desc)
    return rows


def _link(path: str, params: Sequence[tuple[str, str]], **changes: int | None) -> str:
    query = {k: v for k, v in params}
    for k, v in changes.items():
        if v is None:
            query.pop(k, None)
        else:
            query[k] = str(v)
    return f"{path}?{urlencode(sorted(query.items()))}" if query else path


def paginate(
    rows: list[Row],
    params: Sequence[tuple[str, str]],
    path: str,
    serialize: Callable[[Any], dict[str, Any]],
    *,
    allow_limit: bool = False,
) -> dict[str, Any]:
    """One page of rows in AWX's envelope (``count/next/previous/results``)."""
    query = dict(params)
    if allow_limit and "limit" in query:
        try:
            limit = max(0, int(query["limit"]))
        except ValueError as exc:
            raise ListError(400, "limit must be an integer") from exc
        return {"results": [serialize(obj) for _, obj in rows[:limit]]}
    try:
        size = int(query.get("page_size", DEFAULT_PAGE_SIZE))
        page = int(query.get("page", 1))
    except ValueError as exc:
        raise ListError(404, "Invalid page.") from exc
    size = min(max(size, 1), MAX_PAGE_SIZE)
    pages = max(1, -(-len(rows) // size))
    if page < 1 or page > pages:
        raise ListError(404, "Invalid page.")
    chunk = rows[(page - 1) * size : page * size]
    results = [serialize(obj) for _, obj in chunk]
    if query.get("count_disabled"):
        return {"results": results}
    cap = {"page_size": size} if "page_size" in query else {}
    nxt = _link(path, params, page=page + 1, **cap) if page < pages else None
    prev = None
    if page > 1:
        prev = _link(path, params, page=page - 1 if page > 2 else None, **cap)
    return {"count": len(rows), "next": nxt, "previous": prev, "results": results}
