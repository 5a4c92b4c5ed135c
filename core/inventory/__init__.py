"""The inventory model: hosts, groups, variables, and Ansible host-pattern semantics.

``Inventory`` loads an Ansible inventory (YAML or ``ansible-inventory --list`` JSON)
and answers host patterns. Reading an operator's words into targets is the
agent's job (agent.reader), not the model's.
"""

from core.inventory.inventory import Inventory
from core.inventory.models import Host

__all__ = ["Host", "Inventory"]
