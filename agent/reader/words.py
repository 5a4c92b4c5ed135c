"""The reader's vocabulary, loaded once from vocabulary.yaml (data, not code).

>>> V.kind_of("except"), V.kind_of(("other", "than")), "server" in V.heads
('excl', 'excl', True)
>>> V.action_of("please abort job 203")
'cancel'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PATH = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Vocabulary:
    synonyms: tuple[tuple[str, ...], ...]
    aliases: tuple[tuple[str, ...], ...]  # like synonyms, never "absent" (a package when the inventory lacks them)
    single: dict[str, str]  # one word -> its word class (lexer.Kind value)
    multi: dict[tuple[str, ...], str]  # several words -> their word class
    heads: frozenset[str]
    verbs: frozenset[str]
    non_target_nouns: frozenset[str]
    package_words: frozenset[str]
    time_units: frozenset[str]
    range_words: frozenset[str]
    stopwords: frozenset[str]
    never_packages: frozenset[str]
    typo_words: tuple[str, ...]
    actions: tuple[tuple[str, re.Pattern[str]], ...]
    fillers: re.Pattern[str]
    shorthand: dict[str, str]

    def kind_of(self, words: str | tuple[str, ...]) -> str | None:
        return self.single.get(words) if isinstance(words, str) else self.multi.get(words)

    def known(self, word: str) -> bool:
        """Whether ``word`` is in any word list here (never read as a typo of another word)."""
        return (
            word in self.single
            or word in self.heads
            or word in self.verbs
            or word in self.stopwords
            or word in self.never_packages
            or word in self.time_units
            or word in self.non_target_nouns
        )

    @property
    def every_word(self) -> frozenset[str]:
        """Every single word this vocabulary names, in any list (a word here is never a typo of another)."""
        parts = [
            *self.single,
            *(w for words in self.multi for w in words),
            *self.heads,
            *self.verbs,
            *self.stopwords,
            *self.never_packages,
            *self.time_units,
            *self.non_target_nouns,
            *self.range_words,
            *self.package_words,
            *self.typo_words,
            *self.shorthand,
            *(w for c in (*self.synonyms, *self.aliases) for m in c for w in m.lstrip("~").split()),
        ]
        return frozenset(w.lower() for w in parts)

    def action_of(self, text: str) -> str | None:
        return next((name for name, pattern in self.actions if pattern.search(text)), None)


def _alternation(items: list[str]) -> str:
    return "|".join(f"(?:{i})" for i in items)


@cache
def load(path: Path = PATH) -> Vocabulary:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    single: dict[str, str] = {}
    multi: dict[tuple[str, ...], str] = {}
    for kind, words in data["word_classes"].items():
        for w in words:
            parts = tuple(str(w).split())
            if len(parts) == 1:
                single[parts[0]] = kind
            else:
                multi[parts] = kind
    return Vocabulary(
        synonyms=tuple(tuple(str(w) for w in c) for c in data["synonyms"]),
        aliases=tuple(tuple(str(w) for w in c) for c in data.get("aliases") or []),
        single=single,
        multi=multi,
        heads=frozenset(data["heads"]),
        verbs=frozenset(data["verbs"]),
        non_target_nouns=frozenset(data["non_target_nouns"]),
        package_words=frozenset(data["package_words"]),
        time_units=frozenset(data["time_units"]),
        range_words=frozenset(data["range_words"]),
        stopwords=frozenset(data["stopwords"]),
        never_packages=frozenset(data["never_packages"]),
        typo_words=tuple(data["typo_words"]),
        actions=tuple((a["action"], re.compile(_alternation(a["patterns"]), re.IGNORECASE)) for a in data["actions"]),
        shorthand={str(k).lower(): str(v) for k, v in (data.get("shorthand") or {}).items()},
        fillers=re.compile(r"\b(?:" + "|".join(data["fillers"]) + r")\b", re.IGNORECASE),
    )


V = load()
