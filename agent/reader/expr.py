"""Target expressions: union, intersection and difference over inventory host sets, each leaf labelled.

>>> web = Atom("group web", frozenset({"w1", "w2"}))
>>> prod = Atom("env=prod", frozenset({"w1", "d1"}))
>>> e = Difference(Intersect((web, prod)), Atom("host w2", frozenset({"w2"})))
>>> str(e), sorted(e.hosts())
('((group web ∩ env=prod) − host w2)', ['w1'])
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Atom:
    """A group, a variable value, host names, a range or a pattern: the hosts it names."""

    label: str
    names: frozenset[str]

    def hosts(self) -> set[str]:
        return set(self.names)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Union:
    parts: tuple[Expr, ...]

    def hosts(self) -> set[str]:
        return set().union(*(p.hosts() for p in self.parts))

    def __str__(self) -> str:
        return str(self.parts[0]) if len(self.parts) == 1 else "(" + " ∪ ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Intersect:
    parts: tuple[Expr, ...]

    def hosts(self) -> set[str]:
        out = self.parts[0].hosts()
        for p in self.parts[1:]:
            out &= p.hosts()
        return out

    def __str__(self) -> str:
        return str(self.parts[0]) if len(self.parts) == 1 else "(" + " ∩ ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Difference:
    left: Expr
    right: Expr

    def hosts(self) -> set[str]:
        return self.left.hosts() - self.right.hosts()

    def __str__(self) -> str:
        return f"({self.left} − {self.right})"


Expr = Atom | Union | Intersect | Difference
