"""Target resolution for the model: its words in, explicit inventory host names out (code resolves)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain.tools import ToolRuntime
from langchain_core.tools import tool
from langgraph.types import Command

from core.enums import Action
from core.intent import PatchIntent
from tools.context import ToolContext
from tools.outcome import clarify, outcome
from tools.ports import Resolved


def resolve_phrases(ctx: ToolContext, phrases: list[str]) -> Resolved:
    """The user's target words -> hosts, by the agent's reader (injected: tools never read language)."""
    return ctx.read_targets(ctx.inventory, phrases)


def hosts_by_env(inventory: Any, hosts: list[str]) -> dict[str, list[str]]:
    return {str(k): sorted(v) for k, v in inventory.by_environment(hosts).items()}


@tool("resolve_targets")
def resolve_targets_tool(targets: str, runtime: ToolRuntime[ToolContext]) -> str:
    """Look up which inventory hosts the user's target words mean (host names, groups, group phrases, host
    variables, ranges, globs, 'except ...'). Read-only; use it to answer questions about targets."""
    r = resolve_phrases(runtime.context, [targets])
    problem = r.problem()
    return problem or f"{len(r.hosts)} hosts: {', '.join(r.hosts)}"


@tool("list_hosts", return_direct=True)
def list_hosts(
    targets: Annotated[list[str], "the user's target words as written, e.g. ['<the group or hosts they named>']"],
    runtime: ToolRuntime[ToolContext],
) -> Command[Any]:
    """List the inventory hosts matching the user's words, grouped by environment. Use when the user asks which
    hosts a group, environment, variable or pattern covers."""
    r = resolve_phrases(runtime.context, targets)
    problem = r.problem()
    call_id = runtime.tool_call_id or ""
    if problem:
        return clarify(call_id, problem)
    lines = [f"  {env}: {', '.join(hs)}" for env, hs in hosts_by_env(runtime.context.inventory, r.hosts).items()]
    text = f"{len(r.hosts)} hosts:\n" + "\n".join(lines)
    return outcome(call_id, text, intent=PatchIntent(action=Action.list_hosts, hosts=r.hosts), kind="answered")
