"""The deterministic check every proposal passes, whichever model made it: the words must support it.

After the offline model or an LLM proposes a job (``propose_intent`` built a pending
proposal), code re-reads the user's own words since the last reset with the reader and
checks the proposal against them:

- a request that policy refuses (any message of the conversation) never becomes a job;
- every restriction the words state is in the proposal: checks only (a precheck), no reboot,
  security only, each excluded package, "only these packages";
- every proposed host is derivable from the words: named by some message, and not excluded by one;
- a request the words make about a job (status, cancel, explain) or a host list is not turned into a job.

Otherwise the proposal is dropped and the user gets a clarifying question that says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from agent.policy import NOT_SERVICE, REFUSALS, screen
from agent.reader.conversation import BACK_REFERENCE, RUNNABLE, decide, dropped, is_reset, text_of
from agent.reader.message import read
from agent.reader.parse import parse
from agent.reader.placing import targetish
from agent.reader.targets import resolve_targets
from agent.reader.when import times_in_conflict
from agent.state import ChatState
from core.intent import PatchIntent
from tools.context import ToolContext
from tools.outcome import clarify, reject
from tools.proposal import as_proposal


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    refuse: bool = False  # a policy refusal, not a question


def _window(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The messages since the last reset; after a dropped proposal that the next words point back to ("cancel
    that" then "precheck them instead"), since the reset before it (the reader carries those targets over)."""
    start = max((i + 1 for i, m in enumerate(messages) if is_reset(m)), default=0)
    window = messages[start:]
    if (
        start
        and dropped(messages[start - 1])
        and any(isinstance(m, HumanMessage) and BACK_REFERENCE.search(text_of(m)) for m in window)
    ):
        return _window(messages[: start - 1]) + window
    return window


def _named_and_excluded(inventory: Any, texts: list[str]) -> tuple[set[str], set[str], list[str]]:
    """Hosts the words name, hosts they exclude (read both as the reader cut them and as written, so a phrase an
    option rule took cannot hide an exclusion), and the target words the inventory lacks."""
    named: set[str] = set()
    excluded: set[str] = set()
    unknown: list[str] = []
    for text in texts:
        reading = read(text, inventory)
        r = resolve_targets(inventory, reading.targets)
        raw = resolve_targets(inventory, text)
        named |= set(r.include or []) | set(raw.include or [])
        excluded |= set(r.exclude) | set(raw.exclude)
        if r.include is not None or r.unknown:  # a later message naming targets corrects an earlier unknown
            unknown = list(r.unknown)
    return named, excluded, unknown


def _unplaced(inventory: Any, texts: list[str]) -> list[str]:
    """Words standing among the targets that no rule, filler or inventory name accounts for (a word the reader
    cannot place is asked about, never dropped: dropping 'exept' or an unknown role word would widen the hosts)."""
    out: list[str] = []
    for text in texts:
        out += [w for w in parse(text, inventory).loose if w not in out]
    return out


_RESTART = re.compile(r"\b(?:restart|bounce|reload)\s+(?:the\s+)?([a-z][\w.@-]*)", re.IGNORECASE)
_NOT_A_SERVICE = re.compile(NOT_SERVICE + r"$", re.IGNORECASE)


def restarts_a_service(inventory: Any, text: str) -> str | None:
    """The service a message asks to restart ("patch lb-1 and restart haproxy"), or None: a word after
    "restart" that names no host, group, time or reboot policy of this inventory is a service.

    >>> from core.inventory import Inventory
    >>> inv = Inventory.parse("all: {children: {lb: {hosts: {lb-1: {}}}}}")
    >>> [restarts_a_service(inv, t) for t in ("patch lb-1 and restart haproxy", "patch lb, restart them", "restart lb")]
    ['haproxy', None, None]
    """
    for m in _RESTART.finditer(text):
        word = m.group(1).lower()
        hosts = re.search(r"\d", word) or (inventory is not None and targetish(inventory, word))
        if not (_NOT_A_SERVICE.match(word) or hosts):
            return word
    return None


def check_proposal(messages: list[BaseMessage], proposed: PatchIntent, inventory: Any) -> Verdict:
    """Whether the user's words (since the last reset) support the ``proposed`` intent (its carried fields: a
    precheck never reboots, a reboot installs nothing)."""
    intent = proposed.carried()
    window = _window(messages)
    texts = [text_of(m) for m in window if isinstance(m, HumanMessage)]
    for text in texts:
        if (violation := screen(text)) is not None:
            return Verdict(False, violation.message, refuse=True)
        if restarts_a_service(inventory, text) is not None:
            return Verdict(False, f"{REFUSALS['service']} Nothing was queued.", refuse=True)
        if (two := times_in_conflict(text)) is not None:
            return Verdict(False, f"You gave two start times ('{two[0]}' and '{two[1]}'); which one?")
    reading = decide([m for m in window if not isinstance(m, ToolMessage)], inventory)
    action = intent.get("action")
    if isinstance(reading, tuple) and reading[0] != "propose_intent":
        return Verdict(False, "You asked about a job or a host list, not for a change to hosts; nothing is proposed.")
    stated = reading[1] if isinstance(reading, tuple) else {}
    if stated.get("action") == "precheck" and action != "precheck":
        return Verdict(False, "You asked for checks only; I will not propose a change. Say 'precheck' to run checks.")
    if stated.get("action") == "reboot" and action == "patch":
        return Verdict(False, "You asked for a reboot, not for updates; this proposal would patch. Which do you want?")
    if stated.get("reboot") == "never" and (action == "reboot" or intent.get("reboot", "never") != "never"):
        return Verdict(False, "You said not to reboot, but this proposal would reboot. Which do you want?")
    if stated.get("security_only") and not intent.get("security_only", action == "reboot"):
        return Verdict(False, "You asked for security updates only, but this proposal applies all updates.")
    missing = set(stated.get("exclude", [])) - set(intent.get("exclude", []))
    if missing and action != "reboot":
        return Verdict(False, f"You asked to leave out {', '.join(sorted(missing))}; this proposal does not.")
    wanted = set(stated.get("packages", []))
    if wanted and action != "reboot" and not (intent.get("packages") and set(intent["packages"]) <= wanted):
        return Verdict(False, f"You asked to update only {', '.join(sorted(wanted))}; this proposal does more.")
    named, excluded, unknown = _named_and_excluded(inventory, texts)
    for glob in stated.get("exclude", []):  # a word the reader placed as a package is not a host exclusion
        excluded -= set(resolve_targets(inventory, glob).include or [])
    hosts = set(intent.get("hosts", []))
    if unknown:
        return Verdict(False, f"I could not place {', '.join(unknown)} in the inventory. Which hosts do you mean?")
    unplaced = _unplaced(inventory, texts)
    if unplaced:
        words = ", ".join(f"'{w}'" for w in unplaced)
        return Verdict(False, f"I could not place {words} among your targets. Which hosts do you mean?")
    if hosts - named:
        extra = ", ".join(sorted(hosts - named))
        return Verdict(False, f"Your words do not name {extra}. Which hosts do you mean?")
    if hosts & excluded:
        return Verdict(False, f"You excluded {', '.join(sorted(hosts & excluded))}. Which hosts do you mean?")
    return Verdict(True)


class ProposalCheck(AgentMiddleware[ChatState, ToolContext]):
    """Runs :func:`check_proposal` on every proposal a tool call produced; a failing one becomes a question."""

    state_schema = ChatState

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        result = handler(request)
        if request.tool_call["name"] != "propose_intent" or not isinstance(result, Command):
            return result
        update = result.update if isinstance(result.update, dict) else {}
        pending = as_proposal(update.get("pending"))
        if pending is None:
            return result
        intent = pending.intent
        if intent.action not in RUNNABLE:
            return result
        state = request.state if isinstance(request.state, dict) else {}
        inventory = getattr(request.runtime.context, "inventory", None)
        verdict = check_proposal(list(state.get("messages", [])), intent, inventory)
        if verdict.ok:
            return result
        call_id = request.tool_call.get("id") or ""
        return reject(call_id, verdict.reason) if verdict.refuse else clarify(call_id, verdict.reason)
