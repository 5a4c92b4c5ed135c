"""propose_intent: the model's proposal, validated and resolved by code into a confirmation the human must accept."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import tool
from langgraph.types import Command
from pydantic import ValidationError

from core.enums import RebootPolicy
from core.errors import PatchpilotError
from core.intent import PatchIntent
from core.windows import next_window_start
from tools.context import ToolContext
from tools.outcome import clarify, outcome, reject
from tools.proposal import Proposal
from tools.targets import hosts_by_env, resolve_phrases


def _options(intent: PatchIntent) -> list[str]:
    out = []
    if intent.action.value != "reboot":
        out.append("security updates only" if intent.security_only else "all updates")
        if intent.packages:
            out.append(f"only packages: {', '.join(intent.packages)}")
        if intent.exclude:
            out.append(f"excluding: {', '.join(intent.exclude)}")
    if intent.action.value == "patch":
        out.append(f"reboot: {intent.reboot.value}")
    if intent.action.value != "precheck":
        out.append(f"batch: {intent.serial}" if intent.serial is not None else "batch: all at once")
    return out


def starts_at(ctx: ToolContext, intent: PatchIntent, now: datetime) -> datetime:
    """When the job will actually start: what the user asked, moved into the patch window (same rule as the
    jobs service)."""
    wanted = max(intent.not_before or now, now)
    envs = {ctx.inventory.environment_of(h) for h in intent.hosts}
    return next_window_start(ctx.settings.jobs.windows, envs, wanted) or wanted


def summary(ctx: ToolContext, intent: PatchIntent, start: datetime, now: datetime, critical: list[str]) -> str:
    verb = {"patch": "Patch", "precheck": "Precheck (dry run, no changes)", "reboot": "Reboot"}[intent.action.value]
    lines = [f"{verb} {len(intent.hosts)} host{'s' if len(intent.hosts) != 1 else ''}:"]
    lines += [f"  {env}: {', '.join(hs)}" for env, hs in hosts_by_env(ctx.inventory, intent.hosts).items()]
    lines.append("Options: " + "; ".join(_options(intent)))
    when = "now" if start <= now else start.strftime("%Y-%m-%d %H:%M UTC")
    asked = intent.not_before.strftime("%Y-%m-%d %H:%M UTC") if intent.not_before else "now"
    note = (
        ""
        if asked == when or (asked == "now" and start <= now)
        else f" (you asked {asked}; moved into the patch window)"
    )
    lines.append(f"Starts: {when}{note}")
    if critical:
        lines.append(
            f"Approval: {', '.join(critical)} {'is' if len(critical) == 1 else 'are'} critical; a second "
            "person must approve before the job runs."
        )
    return "\n".join(lines)


def unnamed_environments(ctx: ToolContext, hosts: list[str], terms: list[str]) -> str | None:
    """A question when the hosts span environments the user's words never named ("patch the db servers" covers
    prod and staging); hosts named one by one, a range or a pattern count as named."""
    envs = sorted({ctx.inventory.environment_of(h) or "unassigned" for h in hosts})
    if len(envs) < 2 or any(t.split()[0] in ("host", "range", "pattern") for t in terms if t.strip()):
        return None
    said = {w.lower() for t in terms for w in re.findall(r"[\w-]+", t)}
    if said & set(envs):
        return None
    return (
        f"These hosts span {', '.join(envs[:-1])} and {envs[-1]}, and you named no environment: confirm to "
        f"include all of them, or say which (e.g. 'only {envs[-1]}')."
    )


@tool("propose_intent", return_direct=True)
def propose_intent(
    action: Annotated[
        Literal["patch", "precheck", "reboot"], "patch; precheck = the patch as checks only (no change); reboot"
    ],
    targets: Annotated[
        list[str],
        "the user's target words as written, one entry per message that named or changed "
        "targets, in order: ['<the words naming hosts or groups>', 'not <host>']",
    ],
    runtime: ToolRuntime[ToolContext],
    security_only: bool = False,
    reboot: Literal["never", "if_needed", "always"] = "if_needed",
    exclude: Annotated[list[str] | None, "package globs to leave alone, as written; the kernel -> 'kernel*'"] = None,
    packages: Annotated[list[str] | None, "update only these packages; empty = everything"] = None,
    when: Annotated[
        str | None,
        "the user's time words as written (a clock time, a weekday, 'in N hours') "
        "or an ISO-8601 UTC timestamp; omit for now",
    ] = None,
    serial: Annotated[
        int | str | None, "batch size: a number of hosts or a percentage string 'N%'; omit for all at once"
    ] = None,
) -> Command[Any]:
    """Propose a patch, precheck or reboot job. Code resolves the targets, checks policy and returns the
    confirmation text the user must accept; nothing is queued by this tool. Call it again with every field to
    change a proposal after a correction."""
    ctx, call_id = runtime.context, runtime.tool_call_id or ""
    resolved = resolve_phrases(ctx, targets)
    if problem := resolved.problem():
        return clarify(call_id, problem)
    now = ctx.now()
    try:
        not_before = ctx.read_when(when, now) if when else None
    except ValueError as exc:
        return clarify(call_id, str(exc))
    try:
        intent = PatchIntent(
            action=action,
            hosts=resolved.hosts,
            security_only=security_only,
            reboot=RebootPolicy(reboot),
            exclude=exclude or [],
            packages=packages or [],
            not_before=not_before,
            serial=serial,
        )
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        return clarify(call_id, f"I can't build that job: {problems}.")
    if len(intent.hosts) > ctx.settings.jobs.max_hosts:
        return reject(
            call_id,
            f"{len(intent.hosts)} hosts is more than the {ctx.settings.jobs.max_hosts} allowed in "
            "one job; narrow the targets or split it into several jobs. Nothing was queued.",
        )
    try:
        start = starts_at(ctx, intent, now)
    except PatchpilotError as exc:
        return reject(call_id, f"{exc.message}. Nothing was queued.")
    critical = list(ctx.inventory.critical(intent.hosts))
    token = secrets.token_urlsafe(9)
    text = summary(ctx, intent, start, now, critical)
    if question := unnamed_environments(ctx, intent.hosts, resolved.terms):
        text += "\n" + question
    pending = Proposal(
        intent=intent,
        summary=text,
        hosts_by_env=hosts_by_env(ctx.inventory, intent.hosts),
        needs_approval=bool(critical),
        critical=critical,
        starts_at=start,
        token=token,
    )
    reply = f"{text}\nConfirm to queue it (token {token}); nothing runs until you do."
    return outcome(call_id, reply, intent=intent, kind="proposed", pending=pending)


@tool("decline_request", return_direct=True)
def decline_request(
    reason: Annotated[str, "one sentence for the user"], runtime: ToolRuntime[ToolContext]
) -> Command[Any]:
    """Refuse a request outside what patchpilot may do (shell commands, security controls, ports, passwords,
    users, keys, deleting or copying data, skipping confirmation or approval). Nothing is queued."""
    return reject(runtime.tool_call_id or "", f"I can't do that: {reason} Nothing was queued.")
