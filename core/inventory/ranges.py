"""Ansible host ranges: ``web-[01:03]``, ``db-[a:c]``, ``app-[1:9:2]``.

Used by the inventory loader (ranges in host names) and by host patterns,
where ``web-prod-[01:03]`` is taken as the same range (ansible-core would read a
trailing ``[x:y]`` as a subscript; see ``patterns.py`` for how both coexist).
"""

from __future__ import annotations

import re
import string

from core.errors import ValidationFailed

# [beg:end] or [beg:end:step]; beg/end are digits or single letters.
RANGE = re.compile(r"\[([0-9]+|[A-Za-z]):([0-9]+|[A-Za-z])(?::([0-9]+))?\]")

# Expanding "[0:99999999]" would eat the machine; no real fleet writes more in one range.
MAX_EXPANSION = 10_000


def has_range(name: str) -> bool:
    """Whether ``name`` holds an Ansible range.

    >>> has_range("web-prod-[01:03]"), has_range("web-prod-0[1-3]")
    (True, False)
    """
    return RANGE.search(name) is not None


def expand(name: str) -> list[str]:
    """Every name an Ansible range stands for, in order (zero padding kept).

    >>> expand("web-prod-[01:03]")
    ['web-prod-01', 'web-prod-02', 'web-prod-03']
    >>> expand("db-[a:c]-[1:2]")
    ['db-a-1', 'db-a-2', 'db-b-1', 'db-b-2', 'db-c-1', 'db-c-2']
    >>> expand("app-[1:9:4]")
    ['app-1', 'app-5', 'app-9']
    >>> expand("web-[03:01]")
    Traceback (most recent call last):
    ...
    core.errors.ValidationFailed: host range [03:01] in 'web-[03:01]' runs backwards
    """
    m = RANGE.search(name)
    if m is None:
        return [name]
    beg, end, step_text = m.group(1), m.group(2), m.group(3)
    step = int(step_text) if step_text else 1
    head, tail = name[: m.start()], name[m.end() :]
    where = f"host range {m.group(0)} in {name!r}"
    if step < 1:
        raise ValidationFailed(f"{where} has a step below 1")
    if beg.isdigit() != end.isdigit():
        raise ValidationFailed(f"{where} mixes a number and a letter")
    if beg.isdigit():
        width = len(beg) if beg.startswith("0") and len(beg) > 1 else 0
        if width and len(end) != width:
            raise ValidationFailed(f"{where} must write begin and end with the same number of digits")
        lo, hi = int(beg), int(end)
        if lo > hi:
            raise ValidationFailed(f"{where} runs backwards")
        if (hi - lo) // step + 1 > MAX_EXPANSION:
            raise ValidationFailed(f"{where} expands to more than {MAX_EXPANSION} names")
        items = [str(i).zfill(width) for i in range(lo, hi + 1, step)]
    else:
        letters = string.ascii_letters
        lo, hi = letters.index(beg), letters.index(end)
        if lo > hi:
            raise ValidationFailed(f"{where} runs backwards")
        items = list(letters[lo : hi + 1 : step])
    return [f"{head}{item}{rest}" for item in items for rest in expand(tail)]
