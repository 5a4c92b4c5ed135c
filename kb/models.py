"""Types of the knowledge base: parsed failures, KB entries, matches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.enums import MatchKind


class Category(StrEnum):
    disk = "disk"
    repo = "repo"
    network = "network"
    gpg = "gpg"
    lock = "lock"
    dependency = "dependency"
    subscription = "subscription"
    ssh = "ssh"
    privilege = "privilege"
    interpreter = "interpreter"
    reboot = "reboot"
    service = "service"
    filesystem = "filesystem"
    other = "other"


# Categories whose cause is Ansible's own connection to the managed host (not a task's own ssh, git or
# rsync): such an entry never answers a failure whose command ran there (kb.analysis.terms.command_ran).
CONNECTION_CATEGORIES = frozenset({Category.ssh})


# Categories whose cause is the Python that Ansible runs its modules with: such an entry never answers a
# command that ran and exited non-zero (kb.analysis.terms.command_ran): a traceback in its output is the
# command's own Python (a broken /usr/bin/dnf, an apt hook script), which Ansible's interpreter settings do not fix.
INTERPRETER_CATEGORIES = frozenset({Category.interpreter})


# Categories whose cause is the patch user's own privilege escalation on the host (become, sudo): such an entry never
# answers a command that ran and shows sudo run for another user or on another host (kb.analysis.terms.foreign_sudo):
# "su - appsvc -c 'sudo -n ...'" refused for appsvc, which the patch user's become settings do not fix.
PRIVILEGE_CATEGORIES = frozenset({Category.privilege})


# Categories of a service failing to start: in a command line that ran a package manager, such a failure happened
# in a package's maintainer script or scriptlet, whose entry's fix (fix the service, then finish the run) answers.
SERVICE_CATEGORIES = frozenset({Category.service})


# Categories of generic network causes (DNS, timeouts, proxies, TLS): any client prints these words, so an
# entry of them that is about repositories answers only a failure showing a package manager or a repository.
GENERIC_NETWORK_CATEGORIES = frozenset({Category.network})


def match_samples(row: Mapping[str, Any]) -> list[str]:
    """An entry's match samples, from a ``kb.entries`` row or a seed-format dict."""
    if "samples_match" in row:
        return list(row["samples_match"] or [])
    return list((row.get("samples") or {}).get("match", []))


class IgnoreReason(StrEnum):
    ignored = "ignored"  # followed by '...ignoring' (ignore_errors / ignore_unreachable)
    rescued = "rescued"  # handled by a block's rescue section


@dataclass(slots=True)
class Failure:
    """One failed (or unreachable) task result of one host, as the analyser extracts it.

    ``match_text`` is what KB patterns run against (evals/README.md section 3).
    ``ignored`` is set for results that did not make the host fail.
    """

    host: str
    task: str
    play: str | None = None
    role: str | None = None
    module: str | None = None
    rc: int | None = None
    msg: str = ""
    message: str = ""
    match_text: str = ""
    stderr_excerpt: str = ""
    stdout_excerpt: str = ""
    item: str | None = None
    unreachable: bool = False
    ignored: IgnoreReason | None = None
    delegated_to: str | None = None
    line: int = 0

    @property
    def counts(self) -> bool:
        """True when this failure made the host fail."""
        return self.ignored is None


@dataclass(slots=True)
class Analysis:
    """Everything the parser found in one log."""

    failures: list[Failure] = field(default_factory=list)
    ignored: list[Failure] = field(default_factory=list)
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    plays: int = 0
    tasks: int = 0
    lines: int = 0
    truncated: bool = False


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]


class Samples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: list[str] = Field(default_factory=list)
    no_match: list[str] = Field(default_factory=list)


class EntryIn(BaseModel):
    """A KB entry as written in seed.yaml and accepted by the API."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=3, max_length=300)]
    category: Category
    patterns: list[Annotated[str, StringConstraints(min_length=1, max_length=2000)]] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    solution: Annotated[str, StringConstraints(min_length=1)]
    references: list[str] = Field(default_factory=list)
    samples: Samples = Field(default_factory=Samples)
    enabled: bool = True
    # A wrapper describes a generic step that failed (an rpm scriptlet, a dpkg maintainer script, a kernel
    # hook, a depsolve summary, a module's "failed to lock" preface) whose cause is often named elsewhere
    # in the same text: when a non-wrapper entry matches too, it wins (kb/analysis/matcher.py, rule 2).
    wrapper: bool = False


class Entry(EntryIn):
    """A stored KB entry."""

    id: int
    version: int
    updated_by: str
    updated_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Related:
    """An entry that may be related to a failure, below the answer bar: shown with its score, never as the fix."""

    slug: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class KbMatch:
    """The KB entry assigned to a failure: exact (a pattern matched) or similar (score >= threshold)."""

    slug: str
    kind: MatchKind
    score: float | None = None
    pattern: str | None = None
    via: str | None = None  # similar: "signals" or "llm"; exact read through translations: "translated (de)"


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer for one failure (or None) and the entries it is possibly related to."""

    match: KbMatch | None
    related: tuple[Related, ...] = ()
