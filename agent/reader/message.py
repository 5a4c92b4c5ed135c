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
from agent.reader.when import find_when
from agent.reader.words import V

_I = re.IGNORECASE
_NOUN = r"(?:hosts?|servers?|machines?|nodes?|boxes|vms?|instances?|fleet|inventory)"

_JOB_NUM = re.compile(r"(?:\b(?:job|run|task|execution)s?\s*(?:#|no\.?|number|id)?\s*|#)(\d{1,12})\b", _I)
_JOB_LAST = re.compile(
    r"\b(?:my|the|our|that)?\s*(?:last|previous|latest|most recent|prior|last submitted|recent)\s+"
    r"(?:patch(?:ing)?\s+|reboot\s+|precheck\s+)?(?:job|run|one|patch|execution|attempt)s?\b",
    _I,
)

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
    replace_targets: bool = False


def _cut(text: str, m: re.Match[str]) -> str:
    return text[: m.start()] + " " + text[m.end() :]


def clean_targets(text: str) -> str:
    """Target words only: fillers, verbs and punctuation runs removed.

    >>> clean_targets("Also web-prod-02, please.")
    'web-prod-02'
    """
    t = _FILLER.sub(" ", text)
    t = re.sub(r"[?!.;]+(?=\s|$)", " ", t)
    t = re.sub(r"\s*,\s*(?=,|$)", " ", t)
    t = " ".join(t.split())
    edge = r"(?:and|but|or|,|&)"
    t = re.sub(rf"^(?:\s*{edge}\b\s*)+|(?:\s*\b{edge}\s*)+$", "", t, flags=_I)
    return re.sub(r"^[^\w*?\[]+|[\s,]+$", "", t)


def read(text: str, inv: Any = None) -> Reading:
    """Read one message; ``inv`` (the inventory) tells target words from package names."""
    place = partial(targetish, inv)
    r = Reading()
    t = " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split())
    if m := _JOB_NUM.search(t):
        r.job, r.job_given, t = int(m.group(1)), True, _cut(t, m)
    elif m := _JOB_LAST.search(t):
        r.job, r.job_given, t = "last", True, _cut(t, m)
    if found := find_when(t):
        r.options["when"] = found.phrase
        t = t[: found.start] + " " + t[found.end :]
    serial, t = read_serial(t)
    if serial is not ...:
        r.options["serial"] = serial
    security, t = read_security(t)
    excludes, t = read_excludes(t, place)
    packages, t = read_packages(t, place)
    reboot_before = t
    reboot, t = read_reboot(t)
    for name, pattern in ACTIONS:
        if pattern.search(t):
            r.action = name
            break
    if r.action == "reboot" and reboot is not None and reboot != "never":
        t = reboot_before  # "reboot them" here is the action, not an option
        reboot = None
    if r.action is None and r.job_given:
        r.action = "status"
    if security is not None:
        r.options["security_only"] = security
    if reboot is not None:
        r.options["reboot"] = reboot
    if excludes:
        r.options["exclude"] = excludes
    if packages:
        r.options["packages"] = packages
    r.targets = clean_targets(
        re.sub(r"\b(?:skip|leave out|excluding|exclude|apart from|other than)\b", "except", t, flags=_I)
    )
    first = re.escape(r.targets.split()[0]) if r.targets else None
    r.replace_targets = bool(first) and bool(
        re.search(r"\b(?:instead|rather)\b", text, _I) or re.search(rf"\b(?:only|just)\s+(?:the\s+)?{first}", text, _I)
    )
    return r
