"""Read the AWX inventory of a job template: hosts (``enabled``, variables), groups, children, group variables.

Read-only, over the AWX HTTP layer (:class:`workers.awx.http.AwxHttp`: auth, retries, relative ``next`` links).
The shapes are AWX's own, read in ansible/awx at commit e21dd0a0933fd544d1fe2513c54fe41203775eb5 (2024-10-23):

- ``GET job_templates/?name=`` -> ``inventory`` (an id, or null when the template prompts for one)
  [``awx/api/serializers.py`` JobTemplateSerializer, JobTemplateMixin];
- ``GET inventories/{id}/`` -> ``name``, ``kind`` (``''``, ``smart``, ``constructed``), ``variables``
  [InventorySerializer: ``fields = ('*', 'organization', 'kind', 'host_filter', 'variables', ...)``];
- ``GET inventories/{id}/hosts/`` -> hosts with ``name``, ``enabled``, ``variables``
  [HostSerializer: ``fields = ('*', 'inventory', 'enabled', 'instance_id', 'variables', ...)``;
  ``awx/api/urls/inventory.py`` ``inventory_hosts_list``; the view is InventoryHostsList];
- ``GET inventories/{id}/groups/`` -> groups with ``name``, ``variables`` [GroupSerializer:
  ``fields = ('*', 'inventory', 'variables')``; ``awx/api/urls/inventory.py`` ``inventory_groups_list``];
- ``GET groups/{id}/hosts/`` (hosts directly in the group, GroupHostsList) and ``GET groups/{id}/children/``
  (direct child groups, GroupChildrenList) [``awx/api/urls/group.py``].

``variables`` is a text field holding JSON or YAML (``awx/main/models/inventory.py``: ``accepts_json(
models.TextField(blank=True, default='', help_text='Host variables in JSON or YAML format.'))``). Lists are
paginated (``count/next/previous/results``, ``page_size`` at most 200, ``next`` relative: contract section 2).
AWX has no group ``all`` (GroupSerializer.validate_name refuses it): the inventory's own variables play its part.
Disabled hosts are listed by these endpoints (only ``script/`` drops them), so ``enabled`` is read here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml

from core.errors import AwxError, AwxNotFound, ValidationFailed
from core.settings import AwxSettings
from workers.awx.http import AwxHttp
from workers.inventory.models import InventorySource, Snapshot, SourceGroup, SourceHost


def parse_variables(text: Any, owner: str) -> dict[str, Any]:
    """AWX ``variables``: JSON or YAML text (or already an object) that must be a mapping.

    >>> parse_variables('{"env": "prod"}', "host a"), parse_variables("---\\nenv: prod\\ncritical: yes", "host a")
    ({'env': 'prod'}, {'env': 'prod', 'critical': True})
    >>> parse_variables("", "host a"), parse_variables(None, "host a")
    ({}, {})
    >>> parse_variables("- a\\n- b", "host a")
    Traceback (most recent call last):
    ...
    core.errors.ValidationFailed: the variables of host a are not a mapping of names to values (found list)
    """
    if isinstance(text, dict):
        return {str(k): v for k, v in text.items()}
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}
    if not isinstance(text, str):
        raise ValidationFailed(f"the variables of {owner} are {type(text).__name__}, not JSON or YAML text")
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationFailed(f"the variables of {owner} are neither JSON nor YAML: {exc}") from exc
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise ValidationFailed(
            f"the variables of {owner} are not a mapping of names to values (found {type(parsed).__name__})"
        )
    return {str(k): v for k, v in parsed.items()}


class AwxInventoryReader:
    """Reads one AWX inventory through ``http`` (which the caller owns and closes)."""

    def __init__(self, http: AwxHttp, *, page_size: int = 200) -> None:
        self.http = http
        self.page_size = page_size

    def _list(self, relative: str, **params: Any) -> Iterator[dict[str, Any]]:
        # AWX orders hosts and groups by name (Host/Group Meta.ordering), unique per inventory: pages are stable.
        query = {"page_size": self.page_size, **params}
        yield from self.http.iter_list(self.http.path(relative), query)

    def template_inventory(self, template: str, organization: str | None = None) -> int:
        """The inventory id of the job template named ``template`` (names are unique per organization only)."""
        params: dict[str, Any] = {"name": template}
        if organization:
            params["organization__name"] = organization
        rows = list(self._list("job_templates", **params))
        if not rows:
            raise AwxNotFound(
                f"AWX has no job template named {template!r}; set PATCHPILOT_INVENTORY__TEMPLATE or "
                "PATCHPILOT_AWX__TEMPLATE_PATCH to the template patchpilot launches"
            )
        if len(rows) > 1:
            raise AwxError(
                f"{len(rows)} AWX job templates are named {template!r}; set PATCHPILOT_AWX__ORGANIZATION to pick one"
            )
        inventory = rows[0].get("inventory")
        if not isinstance(inventory, int):
            raise AwxError(
                f"the AWX job template {template!r} has no inventory (it prompts for one at launch); give it the "
                "inventory of the hosts patchpilot patches"
            )
        return inventory

    def read(self, inventory_id: int, *, ref: str | None = None) -> Snapshot:
        """Every host, group, membership and variable of the inventory, as one :class:`Snapshot`."""
        inv = self.http.get(self.http.path(f"inventories/{inventory_id}"))
        name = str(inv.get("name", inventory_id))
        hosts = [
            SourceHost(
                name=str(h["name"]),
                enabled=bool(h.get("enabled", True)),
                variables=parse_variables(h.get("variables"), f"AWX host {h['name']!r}"),
                awx_id=int(h["id"]),
            )
            for h in self._list(f"inventories/{inventory_id}/hosts")
        ]
        groups: list[SourceGroup] = []
        if inv.get("kind") != "smart":  # a smart inventory has no groups of its own (InventorySerializer.get_related)
            for g in self._list(f"inventories/{inventory_id}/groups"):
                gid = int(g["id"])
                groups.append(
                    SourceGroup(
                        name=str(g["name"]),
                        variables=parse_variables(g.get("variables"), f"AWX group {g['name']!r}"),
                        hosts=[str(h["name"]) for h in self._list(f"groups/{gid}/hosts")],
                        children=[str(c["name"]) for c in self._list(f"groups/{gid}/children")],
                        awx_id=gid,
                    )
                )
        return Snapshot(
            source=InventorySource.awx,
            ref=ref or f"AWX inventory {inventory_id} {name!r}",
            variables=parse_variables(inv.get("variables"), f"AWX inventory {name!r}"),
            hosts=hosts,
            groups=groups,
        )


def read_template_inventory(settings: AwxSettings, template: str, *, page_size: int = 200) -> Snapshot:
    """Read the inventory of the AWX job template ``template`` (one HTTP client, closed on every path)."""
    http = AwxHttp(settings)
    try:
        reader = AwxInventoryReader(http, page_size=page_size)
        inventory_id = reader.template_inventory(template, settings.organization)
        snapshot = reader.read(inventory_id)
        return snapshot.model_copy(update={"ref": f"{snapshot.ref} of job template {template!r}"})
    finally:
        http.close()
