r"""Exact matching: every enabled pattern of the KB in one RE2 set, case-insensitive, over match_text.

RE2 runs in time linear in the text whatever the pattern (``(a+)+$`` included), so a
curator's pattern cannot hang the analyser.

When several entries match one failure the most specific wins, by this rule (tested in
tests/unit/test_kb_matcher.py):

1. an entry meant for the failing task's module (its ``modules`` name it, or it names none) beats one meant
   for other modules: a service that will not start inside an apt upgrade's postinst is fixed by the
   maintainer-script entry (fix the service, then finish dpkg), not by the entry written for a service task;
   every entry fits a task that runs a command line (``RUNNERS``: command, shell, raw, script), since it can run
   any tool, except that in a command line whose text shows a package manager's run (one family,
   kb.analysis.terms.family) an entry for a service failing (``service``: kb.models.SERVICE_CATEGORIES) is not
   meant for it: the service failed in a package's maintainer script or scriptlet, as in the apt task above;
2. then an entry that is not a ``wrapper`` (kb/models.py: a generic step that failed, such as an rpm
   scriptlet or a dpkg maintainer script, whose cause may be named in the same text) beats a wrapper, and so does
   any pattern beat one that ends where Ansible's message quotes the command's own error (``hands_over``); a service
   that failed to start is the wrapper of a cause its journal names (a read-only or full disk, memory), not of
   another unit's state, so beside service entries only it is not demoted;
3. then the matching pattern with the most literal characters (``literal_weight``) wins;
4. then an entry whose ``modules`` list names the failure's module;
5. then the smaller slug (alphabetical), so the choice is stable.

Two kinds of entry answer only in their context:

- an entry about Ansible's own connection to the host (``connection``: kb.models.CONNECTION_CATEGORIES) never
  answers a failure whose command ran there: "non-zero return code" then "Permission denied (publickey)" is
  the task's own git or rsync refused by another server, not Ansible's ssh login; likewise a module that does not
  connect (git, get_url, uri) whose text lacks Ansible's own connection words (kb.analysis.terms.ran_on_host);
- an entry for a generic network cause (DNS, timeout, proxy, TLS: any client prints these words) that is about
  repositories (``repository``: every match sample shows a package manager or a repository,
  kb.analysis.terms.about_packages) answers only a failure that shows one too (text or module): a git clone's
  "SSL certificate problem" or pip's "407 Proxy Authentication Required" is not a repository's;
- an entry about the Python Ansible runs its modules with (``interpreter``: kb.models.INTERPRETER_CATEGORIES) never
  answers a command that ran and exited non-zero: "No module named 'dnf'" under /usr/bin/dnf's traceback is the
  dnf command's own Python, not the interpreter Ansible was told to use;
- an entry about the patch user's privilege escalation (``privilege``: kb.models.PRIVILEGE_CATEGORIES) never answers
  a command that ran and shows sudo run for another user or on another host (kb.analysis.terms.foreign_sudo):
  "su - appsvc -c 'sudo -n ...'" then "sudo: a password is required" is appsvc's sudo, not Ansible's become.

No entry answers a failure that happened elsewhere (kb.analysis.terms.elsewhere): a step of a container image build
(docker, BuildKit, buildah, kaniko) ran in the image being built, so the entries' fixes for the host do not apply; nor
do they for an exception Ansible's own code raised on the controller ("Unexpected failure during module execution:
[Errno 12] Cannot allocate memory" is the controller's fork, not the host's memory).

Nor does an entry answer when the task went on past its message and another program failed after it
(``CompiledKb.went_on``, kb.analysis.terms.later_failure): "Reboot is required ..." then "/usr/local/sbin/notify-cmdb:
curl: (7) Failed to connect" ended on the notifier's failure. The entry is then only possibly related.

And an entry matched only on apt's warning or note lines ("W:", "N:": apt got past them, only "E:" fails it) does
not answer when another entry matches elsewhere in the text: "W: ... NO_PUBKEY" beside "E: ... does not have a
Release file" failed on the Release file.

>>> m = CompiledKb.build([
...     ("dnf-depsolve-error", ["Depsolve Error occurred"], []),
...     ("dnf-protected-packages", ["would result in removing the following protected packages"], []),
... ])
>>> m.match("Depsolve Error occurred: \n Problem: The operation would result in removing the following "
...         "protected packages: systemd").slug
'dnf-protected-packages'
>>> w = CompiledKb.build([
...     ("dpkg-maintainer-script-failed", ["installed \\S+ package post-installation script subprocess"], []),
...     ("dkms-build-failed", ["Bad return status for module build"], []),
... ], wrappers={"dpkg-maintainer-script-failed"})
>>> w.match("Error! Bad return status for module build on kernel: 6.8.0\n installed nvidia-dkms "
...         "package post-installation script subprocess returned error exit status 10").slug
'dkms-build-failed'
>>> m.match("all fine") is None
True
>>> c = CompiledKb.build([("ssh-auth-publickey", [r"Permission denied \(publickey"], [])],
...                      connection={"ssh-auth-publickey"})
>>> c.match("Failed to connect to the host via ssh: patch@web-01: Permission denied (publickey).").slug
'ssh-auth-publickey'
>>> c.match("non-zero return code\ngit@git.example.com: Permission denied (publickey).") is None
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import re2

from core.enums import MatchKind
from core.errors import InvalidPattern
from kb.analysis import translate
from kb.analysis.terms import (
    APT_NOTICE,
    SCRIPT_ERROR,
    SCRIPT_INFO,
    about_packages,
    class_end,
    command_ran,
    elsewhere,
    failing_part,
    family,
    foreign_sudo,
    later_failure,
    package_context,
    ran_on_host,
)
from kb.models import (
    CONNECTION_CATEGORIES,
    GENERIC_NETWORK_CATEGORIES,
    INTERPRETER_CATEGORIES,
    PRIVILEGE_CATEGORIES,
    SERVICE_CATEGORIES,
    KbMatch,
    match_samples,
)

# Big KBs (10,000 entries x a few patterns) need more than RE2's 8 MiB default for the set's DFA.
_SET_MAX_MEM = 512 << 20
_PATTERN_MAX_MEM = 8 << 20
# One set holds at most this many patterns; more are split into several sets. Every set is one
# more pass over each text, so a split makes matching cost grow with the KB (2,000 per set made
# 10,000 entries (20,029 patterns, 11 sets) ~4x slower than 100 entries; one set: ~1x). A set is
# matched with RE2's many-match DFA, which never gives up for being slow; it could fail only if
# one DFA state outgrew the budget, far above this count (20,029 patterns: 0.3 s to build, +40 MB).
_SHARD = 50_000
# Text longer than this is matched on its head and tail (a match_text is capped per field anyway).
MAX_TEXT = 512 * 1024


class Reading(NamedTuple):
    """A failure text as the exact matcher read it: its match, and the text read (English, when the tools'
    translated messages were put back into English: ``langs`` names their languages)."""

    match: KbMatch | None
    text: str
    langs: tuple[str, ...]
    # A pattern's answer set aside because another program failed after its message (``CompiledKb.went_on``):
    # shown as possibly related, never as the fix; the fallback does not read such a text either.
    aside: KbMatch | None = None


def _options(max_mem: int) -> re2.Options:
    o = re2.Options()
    o.case_sensitive = False
    o.log_errors = False
    o.max_mem = max_mem
    return o


def validate_pattern(pattern: str) -> None:
    r"""Raise InvalidPattern with RE2's own message when ``pattern`` does not compile.

    >>> validate_pattern(r"needs \d+MB")
    >>> validate_pattern("(a")
    Traceback (most recent call last):
    ...
    core.errors.InvalidPattern: invalid pattern '(a': missing ): (a
    """
    if not pattern or not pattern.strip():
        raise InvalidPattern("a pattern may not be empty", pattern=pattern)
    try:
        re2.compile(pattern, _options(_PATTERN_MAX_MEM))
    except re2.error as exc:
        detail = exc.args[0] if exc.args else str(exc)
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise InvalidPattern(f"invalid pattern {pattern!r}: {detail}", pattern=pattern) from None


def compile_pattern(pattern: str) -> Any:
    """One KB pattern compiled as the matcher reads it (case-insensitive); InvalidPattern if it does not compile."""
    validate_pattern(pattern)
    return re2.compile(pattern, _options(_PATTERN_MAX_MEM))


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    return compile_pattern(pattern)


_META = set("^$.|?*+()[]{}")


def literal_weight(pattern: str) -> int:
    r"""How many literal characters the pattern demands (escapes of punctuation count, classes do not).

    >>> literal_weight(r"needs \d+[KM]B on the /boot filesystem")
    31
    >>> literal_weight(r"Curl error \(6\): Couldn't")
    24
    """
    n = 0
    i = 0
    size = len(pattern)
    while i < size:
        c = pattern[i]
        if c == "\\" and i + 1 < size:
            n += 0 if pattern[i + 1].isalnum() else 1
            i += 2
            continue
        if c == "[":
            i = class_end(pattern, i)
            continue
        if c == "{":
            j = pattern.find("}", i)
            i = (j + 1) if j != -1 else i + 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            j = i + 2
            while j < size and pattern[j] not in ":)":
                j += 1
            i = j + 1
            continue
        if c not in _META:
            n += 1
        i += 1
    return n


def _only_on_notices(pattern: str, text: str, notice: re.Pattern[str] = APT_NOTICE) -> bool:
    r"""Whether every match of ``pattern`` in ``text`` lies on apt's warning or note lines (or ``notice``'s).

    >>> _only_on_notices("NO_PUBKEY", "W: GPG error: x NO_PUBKEY A1\nE: x does not have a Release file.")
    True
    >>> _only_on_notices("Release file", "W: GPG error: x NO_PUBKEY A1\nE: x does not have a Release file.")
    False
    >>> _only_on_notices("Reboot is required", "INFO: Reboot is required\nERROR: upload failed", SCRIPT_INFO)
    True
    """
    found = False
    for m in compile_pattern(pattern).finditer(text):
        found = True
        start = text.rfind("\n", 0, m.start() + (text[m.start() : m.start() + 1] == "\n")) + 1
        lines = text[start : max(m.end(), start + 1)].split("\n")
        if not all(notice.match(line) for line in lines if line.strip()):
            return False
    return found


# Ansible's message handing over to the command's own error ("Reboot command failed. Error was: %s").
_HANDS_OVER = re.compile(r"Error was\s*$")


def hands_over(pattern: str) -> bool:
    r"""Whether ``pattern`` ends where Ansible's message quotes the command's own error: it names the step that
    failed, and an entry matching the quoted error names the cause (a wrapper pattern, rule 2).

    >>> hands_over(r"Reboot command failed\. Error was"), hands_over(r"Failed to talk to init daemon")
    (True, False)
    """
    return _HANDS_OVER.search(pattern) is not None


# Modules that run a command line: the failure's words are whatever tool the command ran.
RUNNERS = frozenset({"command", "shell", "raw", "script"})


@dataclass(frozen=True, slots=True)
class _Pattern:
    slug: str
    text: str
    weight: int
    modules: frozenset[str]
    wrapper: bool = False
    connection: bool = False
    repository: bool = False
    interpreter: bool = False
    service: bool = False
    privilege: bool = False

    def fits(self, module: str | None) -> bool:
        """Whether the entry is meant for ``module`` (no module list, or an unknown module: yes). A task that
        runs a command (``command``, ``shell``, ``raw``, ``script``) can run any tool, so every entry fits it."""
        return not module or not self.modules or module in self.modules or module.rsplit(".", 1)[-1] in RUNNERS


def _answer(p: _Pattern, via: str | None = None) -> KbMatch:
    return KbMatch(slug=p.slug, kind=MatchKind.exact, score=1.0, pattern=p.text, via=via)


class CompiledKb:
    """The enabled patterns of one KB version, compiled once."""

    def __init__(self, patterns: list[_Pattern], sets: list[tuple[int, re2.Set]]) -> None:
        self.patterns = patterns
        self._sets = sets
        self._texts_of: dict[str, list[str]] = {}  # an entry's patterns, for went_on (a KB may hold 20,000)
        for p in patterns:
            self._texts_of.setdefault(p.slug, []).append(p.text)

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, Sequence[str], Sequence[str]]],
        wrappers: Collection[str] = frozenset(),
        connection: Collection[str] = frozenset(),
        repository: Collection[str] = frozenset(),
        interpreter: Collection[str] = frozenset(),
        service: Collection[str] = frozenset(),
        privilege: Collection[str] = frozenset(),
    ) -> CompiledKb:
        """``entries``: ``(slug, patterns, modules)`` of enabled entries; ``wrappers``: the slugs of wrapper
        entries (rule 2 of the module docstring); ``connection``, ``repository`` and ``interpreter``: the slugs
        of entries that answer only in their context; ``service``: the slugs of entries for a service failing
        (rule 1). Invalid patterns raise InvalidPattern."""
        patterns: list[_Pattern] = []
        for slug, pats, modules in entries:
            mods = frozenset(modules)
            for p in pats:
                validate_pattern(p)
                patterns.append(
                    _Pattern(
                        slug,
                        p,
                        literal_weight(p),
                        mods,
                        slug in wrappers or hands_over(p),
                        slug in connection,
                        slug in repository,
                        slug in interpreter,
                        slug in service,
                        slug in privilege,
                    )
                )
        sets: list[tuple[int, re2.Set]] = []
        for start in range(0, len(patterns), _SHARD):
            s = re2.Set.SearchSet(_options(_SET_MAX_MEM))
            for pat in patterns[start : start + _SHARD]:
                s.Add(pat.text)
            s.Compile()
            sets.append((start, s))
        return cls(patterns, sets)

    @classmethod
    def from_entries(cls, rows: Iterable[Mapping[str, Any]]) -> CompiledKb:
        """From entry rows (``kb.entries`` columns or seed-format dicts): each row's slug, patterns, modules,
        wrapper, category and match samples decide its rules (the module docstring)."""
        rows = list(rows)
        return cls.build(
            ((r["slug"], r["patterns"], r.get("modules") or []) for r in rows),
            wrappers={r["slug"] for r in rows if r.get("wrapper")},
            connection={r["slug"] for r in rows if r.get("category") in CONNECTION_CATEGORIES},
            repository={
                r["slug"]
                for r in rows
                if r.get("category") in GENERIC_NETWORK_CATEGORIES and about_packages(match_samples(r))
            },
            interpreter={r["slug"] for r in rows if r.get("category") in INTERPRETER_CATEGORIES},
            service={r["slug"] for r in rows if r.get("category") in SERVICE_CATEGORIES},
            privilege={r["slug"] for r in rows if r.get("category") in PRIVILEGE_CATEGORIES},
        )

    def matching(self, text: str, module: str | None = None) -> list[_Pattern]:
        """Every pattern that matches ``text`` and may answer it (the context rules of the module docstring)."""
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT // 4] + "\n" + text[-(MAX_TEXT * 3 // 4) :]
        if elsewhere(text):
            return []
        data = text.encode("utf-8", "surrogatepass")
        hits: list[_Pattern] = []
        for start, s in self._sets:
            hits.extend(self.patterns[start + i] for i in (s.Match(data) or ()))
        if any(p.connection for p in hits) and ran_on_host(text, module):
            hits = [p for p in hits if not p.connection]
        if any(p.repository for p in hits) and not package_context(text, module):
            hits = [p for p in hits if not p.repository]
        if any(p.interpreter for p in hits) and command_ran(text):
            hits = [p for p in hits if not p.interpreter]
        if any(p.privilege for p in hits) and foreign_sudo(text):
            hits = [p for p in hits if not p.privilege]
        if len({p.slug for p in hits}) > 1 and APT_NOTICE.search(text):
            past = [p for p in hits if _only_on_notices(p.text, text)]
            if past and len(past) < len(hits):
                hits = [p for p in hits if p not in past]
        if hits and SCRIPT_ERROR.search(text) and SCRIPT_INFO.search(text):
            hits = [p for p in hits if not _only_on_notices(p.text, text, SCRIPT_INFO)]
        return hits

    def _best(self, text: str, module: str | None) -> tuple[int, _Pattern] | None:
        """The most specific pattern matching ``text`` (rule in the module docstring) with its rank (rules 1 and 2:
        0 fits and is no wrapper, 1 a wrapper that fits, 2 and 3 the same not fitting), or None."""
        hits = self.matching(text, module)
        if not hits:
            return None
        # A command line that ran a package manager: a service failing in its run failed in a package's script.
        in_run = module is not None and module.rsplit(".", 1)[-1] in RUNNERS and family(text) is not None

        # A service that failed to start is a wrapper of the cause its journal names (a read-only or full disk,
        # memory), not of another unit's state (masked, missing): beside service entries only, it is not demoted.
        services_only = all(q.service for q in hits if not q.wrapper)

        def rank(p: _Pattern) -> int:  # rules 1 and 2
            demoted = p.wrapper and not (p.service and services_only)
            return (0 if p.fits(module) and not (in_run and p.service) else 2) + int(demoted)

        best = min(hits, key=lambda p: (rank(p), -p.weight, module is None or module not in p.modules, p.slug))
        return rank(best), best

    def match(self, text: str, module: str | None = None) -> KbMatch | None:
        """The most specific entry matching ``text`` (rule in the module docstring), or None."""
        found = self._best(text, module)
        return None if found is None else _answer(found[1])

    def read(self, text: str, module: str | None = None) -> Reading:
        """``match``; then, when no pattern matched or only one that does not fit the task or is a wrapper, the
        same on the text with the tools' translated messages in it put back into English (kb.analysis.translate),
        whose answer is kept when it ranks better (a German dpkg postinst failure under systemd's English "Job for
        ... failed"); ``text`` is what the fallback should read. Only the part that failed is read
        (kb.analysis.terms.failing_part: what ran after a package manager's finished run). An answer whose message
        another program's failure follows (``went_on``) is set aside: ``aside``, with no match and no text."""
        text = failing_part(text)
        found = self._best(text, module)
        english = translate.english(text) if found is None or found[0] > 0 else None
        if english is not None:
            translated = self._best(english.text, module)
            if translated is not None and (found is None or translated[0] < found[0]):
                via = f"translated ({', '.join(english.langs)})"
                return self._unless_went_on(
                    _answer(translated[1], via), translated[1], english.text, module, english.langs
                )
            if found is None:
                return Reading(None, english.text, english.langs)
        if found is None:
            return Reading(None, text, ())
        return self._unless_went_on(_answer(found[1]), found[1], text, module, ())

    def _unless_went_on(
        self, answer: KbMatch, p: _Pattern, text: str, module: str | None, langs: tuple[str, ...]
    ) -> Reading:
        if self.went_on(p, text, module):
            return Reading(None, "", langs, aside=answer)
        return Reading(answer, text, langs)

    def went_on(self, p: _Pattern, text: str, module: str | None = None) -> bool:
        r"""Whether the task went on past ``p``'s message and another program's failure ended it: after the last
        match of any of its entry's patterns in ``text``, a line shows a program other than the package tools
        failing (kb.analysis.terms.later_failure) and no KB pattern matches what follows. After a wrapper's message
        (a scriptlet, a maintainer script) a bare curl line may be the step's own, so it counts there only when the
        script traced the command.

        >>> kb = CompiledKb.build([("reboot-required-exit-code", ["Reboot is required to"], [])])
        >>> kb.read("Reboot is required to fully utilize these updates.").match.slug
        'reboot-required-exit-code'
        >>> r = kb.read("Reboot is required to fully utilize these updates.\n"
        ...             "/usr/local/sbin/notify-cmdb: curl: (7) Failed to connect to cmdb port 443")
        >>> r.match, r.aside.slug
        (None, 'reboot-required-exit-code')
        """
        ends = [m.end() for t in self._texts_of[p.slug] for m in _compiled(t).finditer(text)]
        if not ends:
            return False
        rest = text[max(ends) :]
        return later_failure(rest, network=p.repository, step=p.wrapper) is not None and not self.matching(rest, module)

    def slugs_matching(self, text: str, module: str | None = None) -> list[str]:
        return sorted({p.slug for p in self.matching(text, module)})
