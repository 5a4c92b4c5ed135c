"""A conversation -> the one tool call (or question) an LLM would make next, deterministically.

Messages since the last reset (a queued/dropped/refused proposal) are read in
order: a message with a patch/precheck/reboot verb starts a new draft; a message
without a verb amends the draft (options it mentions; target words it adds, or
replaces when the last proposal needed clarifying or it says "instead"/"only").
The last message decides what is called.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.reader.message import JOB_PRONOUN, Reading, read
from agent.reader.resolve import resolve_phrases
from agent.reader.targets import resolve_targets
from agent.reader.when import times_in_conflict

RUNNABLE = ("patch", "precheck", "reboot")
JOB_TOOLS = {"status": "job_status", "cancel": "cancel_job", "explain": "explain_job"}
_YES = re.compile(
    r"^\W*(?:yes|yep|yeah|y|ok(?:ay)?|sure|confirm(?:ed)?|go(?: ahead)?|do it|proceed|approved?|lgtm)\W*$", re.I
)
CLARIFY = (
    "I'm not sure what you want me to do. I can patch, precheck (dry run) or reboot hosts, list hosts, and show, "
    "cancel or explain jobs. Which hosts, and what should I do?"
)

Decision = tuple[str, dict[str, Any]] | str
_PATCH_OPTIONS = {"exclude", "packages", "security_only", "reboot", "serial"}
_HOST_NOUN = re.compile(r"\b(?:hosts|servers|machines|nodes|boxes|inventory|fleet)\b", re.I)
_SAME_TIME = re.compile(r"\bsame (?:time|hour|clock)\b", re.I)
_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?=\s*$)|\b\d{1,2}:\d{2}\b", re.I)
_THAT = re.compile(r"\b(?:that|those|them|these|it)\b", re.I)
BACK_REFERENCE = re.compile(r"\b(?:them|those|these|they|it|same hosts|the same|that list|those hosts)\b", re.I)


_QUESTION = re.compile(r"^\W*(?:which|what|who)\b|\?\s*$", re.I)
_NUMBER_REF = re.compile(
    r"\b(?P<w>drop|remove|not|without|except|excluding|minus|skip|exclude|no|leave out|take out|pull)\s+(?:#\s*)?"
    r"(?P<n>\d{1,4})\b"
    r"(?!\s*(?:%|:|\.\d|[ap]\.?m\b|o'?clock|at a time|per\b|hours?\b|hrs?\b|minutes?\b|mins?\b|days?\b|batch))",
    re.I,
)
_TRAILING = re.compile(r"(\d+)$")
_POSITION = re.compile(
    r"\b(?:the|that)\s+(?:first|second|third|fourth|fifth|middle|last|other)\s+(?:one|host|server|box|machine|node|vm)\b",
    re.I,
)
_SOME_OF = re.compile(
    r"\b(?:\d+|one|two|three|four|five|a few|a couple|some|half|a third|a quarter)\s+of\s+"
    r"(?:the|those|these|them|our|my)\b"
    r"(?![^.;]*\b(?:at a time|at once|per batch|in parallel|simultaneously)\b)",
    re.I,
)


def number_siblings(hosts: list[str], text: str) -> tuple[str, str | None]:
    """A bare number in a correction names the proposed host with that number: "drop 3" after
    "db-1..3" is "drop db-3". A number that names no single proposed host is returned as the second value
    (the caller asks which host it means; it is never ignored).

    >>> number_siblings(["db-1", "db-2", "db-3"], "oops, drop 3")
    ('oops, drop db-3', None)
    >>> number_siblings(["db-1", "web-1"], "not 1")
    ('not 1', '1')
    """
    unplaced: list[str] = []

    def sub(m: re.Match[str]) -> str:
        n = int(m.group("n"))
        hits = [h for h in hosts if (t := _TRAILING.search(h)) and int(t.group(1)) == n]
        if len(hits) == 1:
            return f"{m.group('w')} {hits[0]}"
        unplaced.append(m.group("n"))
        return m.group(0)

    return _NUMBER_REF.sub(sub, text), (unplaced[0] if unplaced else None)


def text_of(message: BaseMessage) -> str:
    c = message.content
    if isinstance(c, str):
        return c
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in c)


def is_reset(message: BaseMessage) -> bool:
    if isinstance(message, AIMessage):
        return bool(message.additional_kwargs.get("patchpilot_reset"))
    if isinstance(message, ToolMessage):
        return isinstance(message.artifact, dict) and message.artifact.get("outcome") in ("dropped", "reject")
    return False


def _outcome(message: BaseMessage) -> str | None:
    if isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
        return str(message.artifact.get("outcome"))
    return None


def _amend(draft: dict[str, Any], r: Reading, replace: bool, text: str) -> None:
    for key, value in r.options.items():
        if key == "exclude":
            draft["options"]["exclude"] = sorted(set(draft["options"].get("exclude", [])) | set(value))
        elif key == "when" and _SAME_TIME.search(text) and (clock := _CLOCK.search(draft["options"].get("when", ""))):
            draft["options"]["when"] = f"{value} at {clock.group(0)}"  # "make it sunday instead, same time"
        else:
            draft["options"][key] = value
    if r.targets:
        draft["targets"] = [r.targets] if (replace or r.replace_targets) else [*draft["targets"], r.targets]


def _ask_first(r: Reading, text: str, *, amending: bool) -> str | None:
    """A question for words no proposal can honour: two start times, a host named by its place in a list,
    "some of" the hosts (each would otherwise be dropped and the proposal would do more than asked)."""
    runnable = r.action in RUNNABLE
    if runnable and (two := times_in_conflict(text)) is not None:
        return (
            f"You gave two start times ('{two[0]}' and '{two[1]}'); one job has one start time. "
            "Ask for each set of hosts separately."
        )
    if (runnable or (r.action is None and amending)) and _POSITION.search(text):
        return "Which host is that? Name it rather than its place in the list (e.g. 'not web-prod-02')."
    if runnable and _SOME_OF.search(text):
        return "I can't pick some of the hosts for you: name the hosts you want (or say which ones to leave out)."
    return None


def dropped(message: BaseMessage) -> bool:
    """Whether ``message`` reports a proposal the user dropped (not one refused or failed)."""
    return _outcome(message) == "dropped" or (
        isinstance(message, AIMessage) and is_reset(message) and text_of(message).startswith("Dropped the proposal")
    )


def _dropped_targets(before: list[BaseMessage], inventory: Any) -> list[str]:
    """The targets of the proposal the user dropped just before (never of a refused request)."""
    if not before or not dropped(before[-1]):
        return []
    humans = [i for i, m in enumerate(before) if isinstance(m, HumanMessage)]  # the last one said "cancel that"
    if len(humans) < 2:
        return []
    earlier = decide(before[: humans[-2] + 1], inventory)
    return list(earlier[1].get("targets", [])) if isinstance(earlier, tuple) and earlier[0] == "propose_intent" else []


def _propose(draft: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    args: dict[str, Any] = {"action": draft["action"], "targets": list(draft["targets"])}
    for key, value in draft["options"].items():
        if draft["action"] == "reboot" and key not in ("when", "serial"):
            continue
        args[key] = value
    return "propose_intent", args


def decide(messages: list[BaseMessage], inventory: Any = None) -> Decision:
    """The next step for this conversation: (tool name, args) or a text reply. The inventory tells target
    words from package names ("except redis" where redis is a group)."""
    start = max((i + 1 for i, m in enumerate(messages) if is_reset(m)), default=0)
    window = messages[start:]
    if window and isinstance(window[-1], ToolMessage):
        return text_of(window[-1])  # an informational tool answered; relay it
    draft: dict[str, Any] | None = None
    needs_targets = False  # the last proposal asked which hosts: the next target words replace
    last: Reading | None = None
    last_text = ""
    job_named: int | str | None = None  # the last job a message named ("cancel it" refers to it)
    job_action: str | None = None  # the last thing asked about a job
    # the last target words any message gave ("list X", then "patch those"); after a dropped proposal, its own
    # ("cancel that" then "precheck them instead")
    named_targets: list[str] = _dropped_targets(messages[:start], inventory) if start else []
    for m in window:
        if isinstance(m, ToolMessage):
            kind = _outcome(m)
            if kind in ("clarify", "proposed"):
                needs_targets = kind == "clarify"
            continue
        if not isinstance(m, HumanMessage):
            continue
        last_text = text_of(m)
        if inventory is not None and _NUMBER_REF.search(last_text):
            # "drop 3" after "db-1..3", "prod web except 03": the named host with that number, or a question
            bare = read(_NUMBER_REF.sub(" ", last_text), inventory)
            said = set(resolve_targets(inventory, bare.targets).hosts) if bare.targets else set()
            if draft is not None and bare.action is None:
                said |= set(resolve_phrases(inventory, list(draft["targets"])).hosts)
            last_text, unplaced = number_siblings(sorted(said), last_text)
            if unplaced is not None and (bare.action in RUNNABLE or (bare.action is None and draft is not None)):
                return (
                    f"Which host do you mean by '{unplaced}'? None, or more than one, of the hosts named "
                    f"({', '.join(sorted(said)) or 'none'}) ends in that number; name it in full."
                )
        r = last = read(last_text, inventory)
        if (question := _ask_first(r, last_text, amending=draft is not None)) is not None:
            return question
        if r.action_implied and job_action is not None:
            r.action = job_action  # "explain job 7" then "and job 8?"
        if r.action in JOB_TOOLS:
            job_action = r.action
        if r.job_given:
            job_named = r.job
        elif r.action in JOB_TOOLS and job_named is not None and JOB_PRONOUN.search(last_text):
            r.job = job_named
        if r.targets and inventory is not None:
            named = resolve_targets(inventory, r.targets)
            if named.include is None and not named.unknown and not named.exclude:
                r.targets = ""  # "precheck it first", "patch them for real": no target words at all
        if r.action is None and draft is None and r.targets and _PATCH_OPTIONS & set(r.options):
            # "<hosts>, security only" / "hold back openssl on <host>": patch options on hosts are a patch;
            # "<hosts>, reboot them" alone is a reboot
            only_reboot = (
                set(r.options) & (_PATCH_OPTIONS - {"serial"}) == {"reboot"} and r.options["reboot"] != "never"
            )
            r.action = "reboot" if only_reboot else "patch"
            if only_reboot:
                del r.options["reboot"]
        if r.action is None and draft is None and r.targets and not r.options and _QUESTION.search(last_text):
            r.action = "list_hosts"  # "debian hosts?", "which transcoders are still on rhel8": a question about hosts
        if r.action in RUNNABLE and not r.targets and draft is not None:
            # "actually make it a dry run": the same request with another action
            draft["action"] = r.action
            _amend(draft, r, replace=False, text=last_text)
            needs_targets = False
        elif r.action in RUNNABLE:
            targets = [r.targets] if r.targets else []
            if not targets and named_targets and BACK_REFERENCE.search(last_text):
                targets = list(named_targets)  # "list the rhel8 hosts" then "patch those"
            elif targets and r.back_reference:
                # "all of them except the bastion": the hosts named before, then these words; with nothing named
                # before, "them" names nothing and the proposal asks
                targets = [*named_targets, *targets] if named_targets else ["them", *targets]
            draft = {"action": r.action, "targets": targets, "options": dict(r.options)}
            needs_targets = False
        elif r.action is None and draft is not None and not _YES.match(last_text):
            _amend(draft, r, replace=needs_targets, text=last_text)
        if r.targets and r.action in (*RUNNABLE, "list_hosts"):
            named_targets = [r.targets]
        elif draft is not None:
            named_targets = list(draft["targets"])
    if last is None:
        return CLARIFY
    if last.action in JOB_TOOLS:
        return JOB_TOOLS[last.action], {"job": last.job}
    if last.action == "refresh_inventory":
        return "refresh_inventory", {}
    if last.action == "list_hosts":
        if not last.targets and named_targets and _THAT.search(last_text):
            return "list_hosts", {"targets": list(named_targets)}  # "which hosts is that?"
        if not last.targets and _HOST_NOUN.search(last_text) and not last.job_given:
            return "list_hosts", {"targets": ["all hosts"]}  # "list hosts": the host noun alone names every host
        return "list_hosts", {"targets": [last.targets] if last.targets else []}
    # A "yes" typed in the chat is not the confirmation (that names the proposal's token): the proposal is shown
    # again, still waiting for it.
    if draft is not None and (last.action in RUNNABLE or last.action is None):
        return _propose(draft)
    return CLARIFY
