"""The inventory's typed values: a host, and what a sentence resolved to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Host(BaseModel):
    """One inventory host: its variables (group vars merged under host vars) and every group it is in."""

    model_config = ConfigDict(frozen=True)

    name: str
    vars: dict[str, Any] = Field(default_factory=dict)
    groups: frozenset[str] = frozenset()  # all groups, ancestors included ('all' too)
    enabled: bool = True  # AWX's host 'enabled': a disabled host is known but never targeted


class TargetResolution(BaseModel):
    """What a sentence names as targets, resolved to explicit host names (never guessed).

    >>> TargetResolution(include=["b", "a", "c"], exclude=["c"]).hosts
    ['a', 'b']
    >>> TargetResolution(include=None, exclude=["a"]).hosts
    []
    """

    model_config = ConfigDict(frozen=True)

    include: list[str] | None = None  # None: the text names no positive target at all
    exclude: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)  # target-looking words the inventory does not have
    suggestions: dict[str, list[str]] = Field(default_factory=dict)  # unknown -> close inventory names
    terms: list[str] = Field(default_factory=list)  # what was recognised, for the confirmation text

    @property
    def hosts(self) -> list[str]:
        return sorted(set(self.include or []) - set(self.exclude))

    @property
    def named_target(self) -> bool:
        """Whether the text names any positive target (known or not)."""
        return self.include is not None or bool(self.unknown)
