"""How dangerous a proposal is, from inventory facts only: shown before anyone confirms.

Pure: a proposal's action, hosts, reboot policy and batch size, plus what the inventory
says of each host (environment, ``critical``, role from a variable or a group). Nothing
here names a host or group of a particular inventory; roles are recognised by the
generic words operators use for them (``lb``, ``haproxy``, ``db``, ``postgres``...).

>>> from core.inventory import Inventory
>>> inv = Inventory.parse('''
... all:
...   children:
...     lb: {hosts: {edge-a: {env: prod, critical: true}, edge-b: {env: prod, critical: true}}}
...     web: {hosts: {w-1: {env: staging}}}
... ''')
>>> r = assess(inv, action="reboot", hosts=["edge-a", "edge-b"])
>>> r.level.value, r.confirm_phrase
('high', '2')
>>> for reason in r.reasons: print(reason)
2 prod hosts
critical: edge-a, edge-b
the load-balancer pair in prod (edge-a, edge-b) in one batch
reboots every host
>>> assess(inv, action="patch", hosts=["w-1"]).level.value
'low'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

PRODUCTION = frozenset({"prod", "production", "prd", "live"})
ROLE_VARS = ("role", "roles", "service", "function")
# Generic words for redundant tiers whose members must not all go down together.
LOAD_BALANCER = frozenset(
    {"lb", "lbs", "loadbalancer", "loadbalancers", "load_balancer", "load-balancer", "haproxy", "balancer", "f5"}
)
DATABASE = frozenset(
    {
        "db",
        "dbs",
        "database",
        "databases",
        "postgres",
        "postgresql",
        "pg",
        "mysql",
        "mariadb",
        "oracle",
        "mongodb",
        "mongo",
        "mssql",
    }
)
TIERS: tuple[tuple[str, frozenset[str]], ...] = (("load-balancer", LOAD_BALANCER), ("database", DATABASE))


class RiskLevel(StrEnum):
    low = "low"
    elevated = "elevated"
    high = "high"


class InventoryFacts(Protocol):
    """What risk needs of an inventory (``core.inventory.Inventory`` provides it)."""

    @property
    def hosts(self) -> Mapping[str, Any]: ...

    def environment_of(self, host: str) -> str | None: ...

    def critical(self, hosts: Iterable[str]) -> list[str]: ...


class HostBadges(BaseModel):
    host: str
    environment: str
    production: bool
    critical: bool


class RiskAssessment(BaseModel):
    """The risk line of a proposal and what it is made of."""

    level: RiskLevel
    line: str
    reasons: list[str] = Field(default_factory=list)
    environments: dict[str, int] = Field(default_factory=dict)
    critical: list[str] = Field(default_factory=list)
    reboots: bool = False
    badges: list[HostBadges] = Field(default_factory=list)
    # High risk: the operator types this (the host count) to confirm.
    confirm_phrase: str | None = None


def is_production(environment: str | None) -> bool:
    return (environment or "").strip().lower() in PRODUCTION


def batch_size(serial: int | str | None, total: int) -> int:
    """Hosts per batch as Ansible computes it (a percentage rounds down, at least 1).

    >>> batch_size(None, 16), batch_size(1, 16), batch_size("25%", 16), batch_size("1%", 16)
    (16, 1, 4, 1)
    """
    if total <= 0:
        return 0
    if serial is None:
        return total
    if isinstance(serial, int):
        return max(1, min(serial, total))
    text = str(serial).strip()
    if text.endswith("%"):
        try:
            return max(1, min(total, total * int(text[:-1]) // 100))
        except ValueError:
            return total
    try:
        return max(1, min(total, int(text)))
    except ValueError:
        return total


def _words(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.strip().lower()}
    if isinstance(value, list | tuple | set | frozenset):
        return {str(v).strip().lower() for v in value}
    return set()


def tier_of(host: Any) -> str | None:
    """``load-balancer`` / ``database`` when the host's role variable or one of its groups says so."""
    words: set[str] = set()
    host_vars = getattr(host, "vars", {}) or {}
    for key in ROLE_VARS:
        words |= _words(host_vars.get(key))
    words |= {g.lower() for g in getattr(host, "groups", frozenset())}
    for name, vocabulary in TIERS:
        if words & vocabulary:
            return name
    return None


def reboots(action: str, reboot: str | None) -> bool:
    return action == "reboot" or (action == "patch" and reboot == "always")


def _pairs(inventory: InventoryFacts, hosts: Sequence[str], batch: int) -> list[str]:
    """Redundant tiers (>= 2 members in one environment) of which >= 2 members may be down in one batch."""
    if batch < 2:
        return []
    chosen = set(hosts)
    tiers: dict[tuple[str, str], list[str]] = {}
    for name, host in inventory.hosts.items():
        tier = tier_of(host)
        if tier is not None:
            env = inventory.environment_of(name) or "unassigned"
            tiers.setdefault((tier, env), []).append(name)
    out = []
    for (tier, env), members in sorted(tiers.items()):
        hit = sorted(h for h in members if h in chosen)
        if len(members) >= 2 and len(hit) >= 2:
            whole = "pair" if len(members) == 2 else "tier"
            every = "" if len(hit) == len(members) else f" {len(hit)} of {len(members)}"
            out.append(f"the {tier} {whole} in {env}{every} ({', '.join(hit)}) in one batch")
    return out


def _short(names: list[str], limit: int = 6) -> str:
    return ", ".join(names) if len(names) <= limit else f"{', '.join(names[:limit])} and {len(names) - limit} more"


def assess(
    inventory: InventoryFacts,
    *,
    action: str,
    hosts: Sequence[str],
    reboot: str | None = None,
    serial: int | str | None = None,
) -> RiskAssessment:
    """The risk of running ``action`` on ``hosts``: high, elevated or low, with the reasons in one line."""
    names = sorted(set(hosts))
    envs: dict[str, int] = {}
    badges = []
    critical = set(inventory.critical(names))
    for h in names:
        env = inventory.environment_of(h) or "unassigned"
        envs[env] = envs.get(env, 0) + 1
        badges.append(HostBadges(host=h, environment=env, production=is_production(env), critical=h in critical))
    prod = sum(n for env, n in envs.items() if is_production(env))
    boots = reboots(action, reboot)
    pairs = _pairs(inventory, names, batch_size(serial, len(names)))
    reasons: list[str] = []
    if prod:
        reasons.append(f"{prod} prod host{'s' if prod != 1 else ''}")
    if len(envs) > 1:
        reasons.append(f"spans {len(envs)} environments ({', '.join(sorted(envs))})")
    if critical:
        reasons.append(f"critical: {_short(sorted(critical))}")
    reasons += pairs
    if boots:
        reasons.append("reboots every host")
    elif action == "patch" and reboot == "if_needed":
        reasons.append("may reboot hosts that need it")
    dangerous = bool(critical or pairs or boots)
    if (prod and dangerous) or (pairs and boots):
        level = RiskLevel.high
    elif prod or dangerous or len(envs) > 1:
        level = RiskLevel.elevated
    else:
        level = RiskLevel.low
    line = f"{level.value.capitalize()} risk: " + ("; ".join(reasons) if reasons else "nothing beyond the usual")
    return RiskAssessment(
        level=level,
        line=line,
        reasons=reasons,
        environments=dict(sorted(envs.items())),
        critical=sorted(critical),
        reboots=boots,
        badges=badges,
        confirm_phrase=str(len(names)) if level is RiskLevel.high else None,
    )


def assess_intent(inventory: InventoryFacts, intent: Mapping[str, Any]) -> RiskAssessment | None:
    """:func:`assess` for a JSON intent (as the chat's proposal carries it); None when it runs nothing."""
    hosts = intent.get("hosts") or []
    action = str(intent.get("action", ""))
    if not hosts or action not in ("patch", "precheck", "reboot"):
        return None
    return assess(
        inventory,
        action=action,
        hosts=[str(h) for h in hosts],
        reboot=str(intent["reboot"]) if intent.get("reboot") is not None else None,
        serial=intent.get("serial"),
    )
