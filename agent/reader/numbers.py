"""Number words the reader understands ("two at a time", "in three hours")."""

from __future__ import annotations

WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}

NUMBER = r"(?:\d+|" + "|".join(sorted((w for w in WORDS if len(w) > 2), key=len, reverse=True)) + r")"


def to_int(word: str) -> int:
    """``"two"`` -> 2, ``"12"`` -> 12.

    >>> to_int("two"), to_int("12"), to_int("An")
    (2, 12, 1)
    """
    w = word.strip().lower()
    return int(w) if w.isdigit() else WORDS[w]
