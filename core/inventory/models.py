"""The inventory's typed values."""

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
