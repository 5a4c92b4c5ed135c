"""One chat message -> a Reading: the action asked for, the options it sets, the job it names, the target words.

Only what the message says is set; a correction ("And don't reboot them.")
carries no action and only the options it mentions. Target words are left for
code to resolve against the inventory (agent.reader.targets_targets).

>>> r = read("Patch the staging web servers tonight, skip the kernel")
>>> r.action, r.targets, r.options
('patch', 'the staging web servers', {'when': 'tonight', 'exclude': ['kernel*']})
>>> read("Has job 1187 finished yet?").job
1187
>>> read("On second thought, not app-prod-03.").targets
'not app-prod-03'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agent.reader.options import read_excludes, read_packages, read_reboot, read_security, read_serial
from agent.reader.placing import targetish
from agent.reader.slips import expand_braces, fix_typos, unbullet
from agent.reader.targets import resolve_targets
from agent.reader.when import find_when
from agent.reader.words import V

_I = re.IGNORECASE
_NOUN = r"(?:hosts?|servers?|machines?|nodes?|boxes|vms?|instances?|fleet|inventory)"

_JOB_NUM = re.compile(
    r"(?:\b(?:job|run|task|execution)s?\s*(?:#|no\.?|nr\.?|number|id)?\s*|#|"
    r"\b(?:cancel|abort|kill|stop|halt|terminate|call off|scrap|nix|pull the plug on|explain|diagnose|debug|"
    r"status of|progress (?:of|on)|check on|how(?:'s| is))\s+)"
    r"(\d{1,12})\b(?!\s*(?:%|hours?|mins?|minutes?|:))",
    _I,
)
_JOB_LAST = re.compile(
    r"\b(?:my|the|our|that)?\s*(?:last|previous|latest|most recent|prior|last submitted|recent)\s+"
    r"(?:patch(?:ing)?\s+|reboot\s+|precheck\s+)?(?:job|run|one|patch|patching|execution|attempt)s?\b|"
    r"\b(?:my|the|our|that)?\s*(?:last|previous|prior)\s+(?:failure|failed (?:job|run|patch\w*))\b|"
    r"\b(?:the|that|my) (?:job|run|one) (?:i|we) (?:just |have just |just now )?"
    r"(?:started|ran|launched|submitted|kicked off|queued|asked for|created)\b",
    _I,
)
# "did 3301 finish? (the job)": one bare number in a message that speaks of a job is that job's number.
_JOB_WORD = re.compile(r"\bjobs?\b", _I)
_JOB_LOOSE = re.compile(
    r"(?<![\w:./-])#?(\d{3,12})(?![\w:%./-])(?!\s*(?:%|percent|hours?|hrs?|mins?|minutes?|[ap]\.?m\b|at a time|by))", _I
)
# Words before a number that make it a time or an amount, not a job: the second set is for a message already known
# to ask about a job ("the state of 3021", "the root cause for 5009").
_TIME_PREP = re.compile(r"\b(?:at|by|until|till|in|for|from|to|of)\s*$|@\s*$", _I)
_CLOCK_PREP = re.compile(r"\b(?:at|by|until|till|in|from|to)\s*$|@\s*$", _I)


def _loose_job(text: str, before: re.Pattern[str]) -> re.Match[str] | None:
    """The one bare number of ``text`` that can be a job number, or None."""
    found = list(_JOB_LOOSE.finditer(text))
    return found[0] if len(found) == 1 and not before.search(text[: found[0].start()]) else None


# A job named earlier in the conversation: "why did it fail?", "cancel it", "how is that one doing?"
JOB_PRONOUN = re.compile(r"\b(?:it|that|this|that one|this one|the job|that job|this job|the same job)\b", _I)

ACTIONS = V.actions
# Words that carry no target, cut before resolution (the resolver ignores them too; this keeps its input short).
_FILLER = V.fillers


@dataclass
class Reading:
    """What one message says. ``options`` holds only the options it mentions."""

    action: str | None = None
    targets: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    job: int | str | None = None
    job_given: bool = False
    action_implied: bool = False  # no action word: a job number alone reads as a status question
    replace_targets: bool = False
    back_reference: bool = False  # "all of them except X": the hosts named before, then the rest of the words
    # The text after each rule took its words, in order: (rule, text left). agent.reader.parse accounts every
    # word from these (which rule consumed it, or a filler, a target word, or nothing).
    stages: list[tuple[str, str]] = field(default_factory=list)


_NOT_VERB = re.compile(
    r"\b(?:don'?t|do not|never|no|without|not)\s+(?:\w+\s+)?(?:patch\w*|updat\w*|upgrad\w*|install\w*|apply\w*)\b", _I
)


_CHECK = re.compile(r"\b(?:check|verify|inspect|look|see|tell me what|what would)\b", _I)
_REFUSE_ALL = re.compile(
    r"\b(?:don'?t|do not|never|not to|no need to)\s+(?:actually\s+)?(?:patch|updat\w*|upgrad\w*|install\w*|apply\w*|"
    r"chang\w*|touch\w*)(?:\s+(?:anything|any\s+\w+|it|them|nothing))?\b(?!\s+(?!(?:on|in)\b)[\w*-])",
    _I,
)
_REFUSED_OBJECT = re.compile(
    _NOT_VERB.pattern
    + r"(?:\s+(?:anything|it|them|those|these|this|that|nothing|any of (?:it|them|those)))?(?!\s*[\w*-])",
    _I,
)


def _cut(text: str, m: re.Match[str]) -> str:
    return text[: m.start()] + " " + text[m.end() :]


_SHORTHAND = re.compile(
    r"(?<![\w/-])(?:" + "|".join(re.escape(k) for k in sorted(V.shorthand, key=len, reverse=True)) + r")(?![\w/-])", _I
)


def expand_shorthand(text: str, inv: Any = None) -> str:
    """Chat shorthand (vocabulary.yaml ``shorthand``) -> the words it stands for; a name the inventory has
    (a group called ``bc``) stays as written.

    >>> expand_shorthand("patch web-1 w/o kernel tmrw pls")
    'patch web-1 without kernel tomorrow please'
    """
    folded = inv.folded if inv is not None else {}

    def expand(m: re.Match[str]) -> str:
        low = m.group(0).lower()
        return m.group(0) if low in folded else V.shorthand[low]

    return _SHORTHAND.sub(expand, text)


def clean_targets(text: str) -> str:
    """Target words only: fillers, verbs and punctuation runs removed.

    >>> clean_targets("Also web-prod-02, please.")
    'web-prod-02'
    """
    t = _FILLER.sub(" ", text)
    t = re.sub(r"[!.;]+(?=\s|$)|(?<![\w*\]-])\?+|(?<=[A-Za-z])\?+(?=\s|$)", " ", t)  # "web-0?" stays a glob
    t = re.sub(r"\s*,\s*(?=,|$)", " ", t)
    t = " ".join(t.split())
    edge = r"(?:and|but|or|,|&)"
    t = re.sub(rf"^(?:\s*{edge}\b\s*)+|(?:\s*\b{edge}\s*)+$", "", t, flags=_I)
    return re.sub(r"^[^\w*?\[]+|[\s,]+$", "", t)


def read(text: str, inv: Any = None) -> Reading:
    """Read one message; ``inv`` (the inventory) tells target words from package names."""
    place = partial(targetish, inv)
    r = Reading()
    r.stages.append(("list", " ".join(text.split())))
    t = " ".join(expand_braces(unbullet(text)).replace("’", "'").replace("“", '"').replace("”", '"').split())
    t = expand_shorthand(fix_typos(t, inv), inv)
    r.stages.append(("message", t))
    if m := _JOB_NUM.search(t):
        r.job, r.job_given = int(m.group(1)), True
        verb = m.group(0)[:1].isalpha() and not re.match(r"(?:job|run|task|execution)", m.group(0), _I)
        t = t[: m.start(1)] + " " + t[m.end(1) :] if verb else _cut(t, m)  # "cancel 4411" keeps its verb
    elif m := _JOB_LAST.search(t):
        r.job, r.job_given, t = "last", True, _cut(t, m)
    elif _JOB_WORD.search(t) and (m := _loose_job(t, _TIME_PREP)) is not None:
        r.job, r.job_given, t = int(m.group(1)), True, _cut(t, m)  # "did 3301 finish? (the job)"
    r.stages.append(("job", t))
    if found := find_when(t):
        r.options["when"] = found.phrase
        t = t[: found.start] + " " + t[found.end :]
    r.stages.append(("time", t))
    serial, t = read_serial(t)
    if serial is not ...:
        r.options["serial"] = serial
    r.stages.append(("serial", t))
    security, t = read_security(t)
    r.stages.append(("security_only", t))
    excludes, t = read_excludes(t, place)
    r.stages.append(("exclude", t))
    packages, t = read_packages(t, place)
    if not packages:
        packages, t = _bumped_on_named_host(t, inv)
    r.stages.append(("packages", t))
    reboot_before = t
    reboot, t = read_reboot(t)
    asked = _NOT_VERB.sub(" ", t)  # "reboot it but don't patch it": a refused verb names no action
    for name, pattern in ACTIONS:
        if pattern.search(asked):
            r.action = name
            break
    if _CHECK.search(asked) and (
        (_NOT_VERB.search(t) and r.action in (None, "status")) or (_REFUSE_ALL.search(t) and r.action == "patch")
    ):
        r.action = "precheck"  # "just check web-1, do not patch anything": a check with the change refused
    t = _REFUSED_OBJECT.sub(" ", t)  # "don't patch anything/it": the refused verb and its pronoun are no target
    if r.action in ("status", "cancel", "explain") and not r.job_given and (m := _loose_job(t, _CLOCK_PREP)):
        r.job, r.job_given, t = int(m.group(1)), True, _cut(t, m)  # "why did 4410 blow up", "state of 3021"
    if r.action == "reboot" and reboot is not None and reboot != "never":
        t = reboot_before  # "reboot them" here is the action, not an option
        reboot = None
    if r.job_given and r.action in ("patch", "precheck", "reboot"):
        r.action = "status"  # "an update on job 14": a message naming a job asks about it (jobs are not re-run)
    if r.action is None and r.job_given:
        r.action, r.action_implied = "status", True
    if security is not None:
        r.options["security_only"] = security
    if reboot is not None:
        r.options["reboot"] = reboot
    if excludes:
        r.options["exclude"] = excludes
    if packages:
        r.options["packages"] = packages
    r.stages.append(("reboot", t))
    t, how = _swap(t)
    swapped, r.replace_targets = how == "swap", how == "replace"  # "swap it for web-3": web-3 instead
    swap_in = not swapped and bool(_SWAP_IN.search(t))  # "swap in web-3" alone: these hosts instead
    t = _SWAP_IN.sub(" ", t) if swap_in else t
    r.stages.append(("swap", t))
    # "prod, no critical hosts": "no" before a word that names hosts leaves them out (a filler otherwise)
    t = re.sub(r"\bno\s+(?=([\w-]+))", lambda m: "except " if _hostword(place, m.group(1)) else m.group(0), t, flags=_I)
    r.targets = clean_targets(
        re.sub(r"\b(?:skip|leave out|excluding|exclude|apart from|other than)\b", "except", t, flags=_I)
    )
    r.stages.append(("filler", r.targets))
    if inv is not None and r.targets:
        _packages_not_hosts(r, inv)
    if _BACK_REFERENCE.fullmatch(r.targets):
        r.targets = ""  # "patch those": the hosts named before (the conversation reader knows them)
        r.back_reference = True
        r.stages.append(("back_reference", r.targets))
    elif m := _BACK_PREFIX.match(r.targets):
        r.targets, r.back_reference = r.targets[m.end() :], True  # "all of them except the bastion"
        r.targets = re.sub(r"^but\b(?!\s+not\b)", "except", r.targets, flags=_I)  # "each of them but X"
        r.stages.append(("back_reference", r.targets))
    elif re.match(r"(?:except|but not|minus|without)\b", r.targets, _I) and _THEM.search(text):
        r.back_reference = True  # "patch them except web-3"
    if re.search(r"\bones?\b", r.targets, _I) and re.search(r"\b(?:sorry|i meant|i mean|instead|rather)\b", text, _I):
        r.targets += " instead"  # a correction of what "ones" refers to (agent.reader.resolve re-scopes it)
    elif re.search(r"\bones?\b", r.targets, _I) and _ADDS.search(text):
        r.targets = "also " + r.targets  # "and the staging api one too": adds hosts (agent.reader.resolve)
    first = re.escape(r.targets.split()[0]) if r.targets else None
    r.replace_targets = (
        r.replace_targets
        or (
            bool(first)
            and not swapped
            and not re.search(r"\bones?\b", r.targets, _I)  # "sorry, the staging ones" narrows (resolve_phrases)
            and bool(
                re.search(r"\b(?:instead|rather|i meant|i mean|make (?:it|that)|sorry)\b", text, _I)
                or re.search(rf"\b(?:only|just)\s+(?:the\s+)?{first}", text, _I)
                or re.search(rf"{first}\S*\s+only\W*$", text, _I)  # "wait, lb-2 only"
            )
        )
        or (bool(first) and swap_in)
        or r.replace_targets
    )
    return r


def _hostword(place: Any, word: str) -> bool:
    """A word that names hosts (not a grammar word like "the")."""
    return bool(place(word)) and V.kind_of(word.lower()) is None


_EXCEPT_TAIL = re.compile(
    r"\b(?:except|but not|minus|without|leave|keep|hold back|hold|pin|freeze)\s+(?:the\s+)?"
    r"(?P<list>[a-z][\w.+*-]*(?:\s*(?:,|and)\s*[a-z][\w.+*-]*)*)"
    r"(?:\s+(?:alone|as is|as-is|untouched|unchanged|where (?:it is|they are)|out))?\s*$",
    _I,
)


def _packages_not_hosts(r: Reading, inv: Any) -> None:
    """'patch pg-prod-01 but skip postgres' where postgres is also a group: an exclusion that would leave no host
    at all means packages (nobody asks to patch X except X)."""
    m = _EXCEPT_TAIL.search(r.targets)
    if m is None:
        return
    resolved = resolve_targets(inv, r.targets)
    if not resolved.include or resolved.hosts or not resolved.exclude:
        return
    items = [i for i in re.split(r"\s*(?:,|\band\b)\s*", m.group("list")) if i]
    if any(re.search(r"[\d*?\[-]", i) for i in items):
        return  # host names or host globs: the exclusion is what the user said
    rest = r.targets[: m.start()].strip(" ,")
    if resolve_targets(inv, rest).hosts:
        r.targets = rest
        r.options["exclude"] = sorted({*r.options.get("exclude", []), *(i.lower() for i in items)})
        r.stages.append(("exclude", rest))


_SWAPS = (
    # (pattern, which group comes in, which goes out)
    (re.compile(r"\bswap(?:ping)?\s+in\s+(?P<a>.+?)\s+for\s+(?P<b>.+)", _I), "a", "b"),
    (re.compile(r"\bswap(?:ping)?\s+out\s+(?P<a>.+?)\s+for\s+(?P<b>.+)", _I), "b", "a"),
    (re.compile(r"\b(?:swap|switch|exchange)\s+(?P<a>.+?)\s+(?:for|with)\s+(?P<b>.+)", _I), "b", "a"),
    (re.compile(r"\breplace\s+(?P<a>.+?)\s+(?:with|by)\s+(?P<b>.+)", _I), "b", "a"),
    (re.compile(r"(?P<a>\S+(?:\s+\S+)?)\s+instead of\s+(?P<b>.+)", _I), "a", "b"),
)
_BACK_REFERENCE = re.compile(
    r"(?:\b(?:them|those|these|they|it|the same|same ones|those ones|these ones|that list|all of them|them all)\b\s*)+",
    _I,
)


_BUMP = re.compile(
    r"\b(?:only|just|solely)\s+(?:bump|update|upgrade|install)\s+(?:the\s+)?(?P<pkg>[a-z][\w.+*-]*)(?=\s*(?:[.,;!]|$))",
    _I,
)


def _bumped_on_named_host(text: str, inv: Any) -> tuple[list[str], str]:
    """'web-1: just bump redis' where redis is also a group: with a host named outright, the object of 'just
    bump/update' is the package (the host was already given); without a named host it stays a target."""
    m = _BUMP.search(text)
    if m is None or inv is None:
        return [], text
    rest = text[: m.start()] + " " + text[m.end() :]
    if not any(inv.folded.get(w.lower()) in inv.hosts for w in re.findall(r"[\w.-]+", rest)):
        return [], text
    return [m.group("pkg").lower()], text[: m.start()] + " update " + text[m.end() :]


_ADDS = re.compile(r"^\W*(?:and|also|plus)\b|\b(?:too|as well|also)\W*$", _I)
_BACK_PREFIX = re.compile(
    r"^(?:all of (?:them|those|these)|(?:them|those|these)(?: all)?|each of (?:them|those)|both of (?:them|those)|"
    r"the same (?:hosts|ones|boxes|servers|machines))\b\s*(?=\S)|"
    r"^(?:all|each|both) of\s+(?=(?:except|but|minus|without|apart|other than|excluding)\b)",  # "them" was a filler
    _I,
)
_THEM = re.compile(r"\b(?:them|those|these|they)\b", _I)
_PRONOUN = re.compile(r"^(?:it|them|that|those|these|this|that one|this one|the lot|all of them)$", _I)
_SWAP_IN = re.compile(r"\b(?:swap|switch)(?:ping)?\s+(?:it\s+|that\s+)?(?:in|to)\b", _I)


def _swap(text: str) -> tuple[str, str | None]:
    """'swap in A for B', 'replace B with A', 'A instead of B' -> 'A except B' (A comes in, B goes out); with
    a pronoun going out ('swap it for A'), A replaces everything named so far. The second value: "swap",
    "replace" or None.

    >>> _swap("swap in web-3 for web-1"), _swap("swap it for web-3")
    (('web-3 except web-1', 'swap'), ('web-3', 'replace'))
    """
    for pattern, comes, goes in _SWAPS:
        m = pattern.search(text)
        if m and _PRONOUN.match(m.group(goes).strip(" ,.")):
            return f"{text[: m.start()]} {m.group(comes)}".strip(), "replace"
        if m:
            return f"{text[: m.start()]} {m.group(comes)} except {m.group(goes)}".strip(), "swap"
    return text, None
