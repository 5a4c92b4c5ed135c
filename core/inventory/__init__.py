"""Inventory and target resolution: words -> explicit host names, by code, never by the model.

``Inventory`` loads an Ansible inventory (YAML or ``ansible-inventory --list`` JSON)
and answers host patterns; ``resolve_targets`` turns an operator's sentence into
the hosts it names, the hosts it excludes, and the names the inventory lacks.
"""

from core.inventory.inventory import Inventory
from core.inventory.models import Host, TargetResolution
from core.inventory.resolve import resolve_targets

__all__ = ["Host", "Inventory", "TargetResolution", "resolve_targets"]
