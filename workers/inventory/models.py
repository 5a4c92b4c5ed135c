"""Inventory snapshot types: what a source yields, what a sync changed, and what is stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.settings import InventorySource as InventorySource  # re-exported: settings and domain share it


class SyncStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"


class SourceHost(BaseModel):
    """A host as its source has it: its own variables (not merged with its groups'), and ``enabled``."""

    model_config = ConfigDict(frozen=True)

    name: str
    enabled: bool = True
    variables: dict[str, Any] = Field(default_factory=dict)
    awx_id: int | None = None


class SourceGroup(BaseModel):
    """A group: its variables, its direct hosts and its direct child groups (by name)."""

    model_config = ConfigDict(frozen=True)

    name: str
    variables: dict[str, Any] = Field(default_factory=dict)
    hosts: list[str] = Field(default_factory=list)
    children: list[str] = Field(default_factory=list)
    awx_id: int | None = None


class Snapshot(BaseModel):
    """One complete read of a source; ``variables`` are the inventory's own (Ansible's group ``all``)."""

    source: InventorySource
    ref: str = Field(description="what was read, e.g. \"AWX inventory 3 'Prod' of template patchpilot-patch\"")
    variables: dict[str, Any] = Field(default_factory=dict)
    hosts: list[SourceHost] = Field(default_factory=list)
    groups: list[SourceGroup] = Field(default_factory=list)


class Changes(BaseModel):
    """What a sync changed, by host and group name."""

    hosts_added: list[str] = Field(default_factory=list)
    hosts_removed: list[str] = Field(default_factory=list)
    hosts_changed: list[str] = Field(default_factory=list)  # variables or group membership
    hosts_enabled: list[str] = Field(default_factory=list)
    hosts_disabled: list[str] = Field(default_factory=list)
    groups_added: list[str] = Field(default_factory=list)
    groups_removed: list[str] = Field(default_factory=list)
    groups_changed: list[str] = Field(default_factory=list)  # variables, hosts or children
    variables_changed: bool = False

    @property
    def empty(self) -> bool:
        return not any(v for v in self.model_dump().values())


class SyncResult(BaseModel):
    """One sync attempt as recorded in ``ops.inventory_syncs``."""

    id: int
    source: InventorySource
    ref: str
    status: SyncStatus
    at: datetime
    hosts: int = 0
    groups: int = 0
    changes: Changes = Field(default_factory=Changes)
    error: str | None = None


class StoredHost(BaseModel):
    """A host of the stored snapshot as the API lists it."""

    name: str
    enabled: bool
    variables: dict[str, Any]  # the host's own
    groups: list[str]  # direct groups
    awx_id: int | None = None


class StoredGroup(BaseModel):
    name: str
    variables: dict[str, Any]
    hosts: list[str]
    children: list[str]
    awx_id: int | None = None


class InventoryListing(BaseModel):
    """``GET /api/v1/inventory``: the stored snapshot, when and where from it was synced, and the last attempt."""

    source: InventorySource | None = None
    ref: str | None = None
    synced_at: datetime | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    hosts: list[StoredHost] = Field(default_factory=list)
    groups: list[StoredGroup] = Field(default_factory=list)
    last_attempt: SyncResult | None = None
