"""Target resolution for the model: its words in, explicit inventory host names out (code resolves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from langchain.tools import ToolRuntime
from langchain_core.tools import tool
from langgraph.types import Command

from core.enums import Action
from tools.context import ToolContext
from tools.outcome import clarify, outcome


@dataclass
class Resolved:
    hosts: list[str]
    unknown: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    named: bool = False  # some phrase named a positive target

    def problem(self) -> str | None:
        """Why these targets cannot be used, as a question for the user; None when they can."""
        if self.unknown:
            hints = [
                f"{u} (did you mean {', '.join(self.suggestions[u][:3])}?)" if self.suggestions.get(u) else u
                for u in self.unknown
            ]
            return f"These are not in the inventory: {'; '.join(hints)}. Which hosts do you mean?"
        if not self.named:
            return "Which hosts? Name hosts or groups from the inventory (e.g. 'the staging web servers')."
        if not self.hosts:
            return "Those targets leave no host at all. Which hosts do you mean?"
        return None


def resolve_phrases(inventory: Any, phrases: list[str]) -> Resolved:
    """Resolve target phrases in order: the first names the targets, later ones add hosts they name and remove
    hosts they exclude (a correction like 'not app-prod-03' or 'also web-prod-02')."""
    from core.inventory import resolve_targets

    current: set[str] | None = None
    res = Resolved(hosts=[])
    for phrase in phrases:
        if not phrase or not phrase.strip():
            continue
        r = resolve_targets(inventory, phrase)
        res.unknown += [u for u in r.unknown if u not in res.unknown]
        res.suggestions.update(r.suggestions)
        if r.include is not None:
            res.named = True
            current = (current or set()) | set(r.include)
        if current is not None:
            current -= set(r.exclude)
    res.hosts = sorted(current or ())
    return res


def hosts_by_env(inventory: Any, hosts: list[str]) -> dict[str, list[str]]:
    return {str(k): sorted(v) for k, v in inventory.by_environment(hosts).items()}


@tool("resolve_targets")
def resolve_targets_tool(targets: str, runtime: ToolRuntime[ToolContext]) -> str:
    """Look up which inventory hosts the user's target words mean (host names, groups, 'the staging web servers',
    ranges, globs, 'except ...'). Read-only; use it to answer questions about targets."""
    r = resolve_phrases(runtime.context.inventory, [targets])
    problem = r.problem()
    return problem or f"{len(r.hosts)} hosts: {', '.join(r.hosts)}"


@tool("list_hosts", return_direct=True)
def list_hosts(
    targets: Annotated[list[str], "the user's target words, e.g. ['the prod web servers']"],
    runtime: ToolRuntime[ToolContext],
) -> Command[Any]:
    """List the inventory hosts matching the user's words, grouped by environment. Use for 'which hosts are in
    staging?', 'show me the ubuntu hosts'."""
    r = resolve_phrases(runtime.context.inventory, targets)
    problem = r.problem()
    call_id = runtime.tool_call_id or ""
    if problem:
        return clarify(call_id, problem)
    lines = [f"  {env}: {', '.join(hs)}" for env, hs in hosts_by_env(runtime.context.inventory, r.hosts).items()]
    text = f"{len(r.hosts)} hosts:\n" + "\n".join(lines)
    return outcome(call_id, text, intent={"action": Action.list_hosts.value, "hosts": r.hosts}, kind="answered")
