"""Turn a stream of playbook facts (play, task, host result, '...ignoring', recap) into counted failures.

Both readers feed it: the stdout parser (kb.analysis.parser) and the job-event reader (kb.analysis.events).
It decides which failed results made a host fail (evals/README.md section 3):

- a result followed by ``...ignoring`` is ignored (ignore_errors / ignore_unreachable);
- a result after which the same host still runs a later task of the same play was handled by a
  ``rescue`` section. When the PLAY RECAP is present it is the authority: a host whose recap has
  ``failed=0 unreachable=0`` did not fail, and at most ``rescued=N`` of its followed failures are
  taken as rescued (a failure followed only by an ``always`` section still counts), and a host never counts more
  failures than its recap's ``failed=`` (the surplus of followed failures was rescued). A failure
  inside the rescue section itself is not followed by anything, so it counts. Without a recap (a log cut
  off), the task a host ran right after a failure inside a rescue (a failure in the first task it ran after an
  earlier failure) is an ``always`` section: a failure followed by that task did not turn out rescued either;
- the failed items of one loop task of one host are one failure (items joined).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.analysis.matchtext import build_match_text, cap, module_of, operator_message, rc_of
from kb.models import Analysis, Failure, IgnoreReason

_EXCERPT = 2000
# Bound on failures kept for one log (a 10,000-host run that fails everywhere stays well below).
MAX_FAILURES = 100_000


@dataclass(slots=True)
class _Open:
    failure: Failure
    play_seq: int
    task_seq: int
    followed: bool = False
    items: list[str] = field(default_factory=list)
    # The first later task the host ran in the same play (the rescue's first task, or an always section's).
    next_task: int | None = None


def split_host(label: str) -> tuple[str, str | None]:
    """``'web-01 -> localhost'`` -> ``('web-01', 'localhost')``.

    >>> split_host("web-prod-01 -> localhost")
    ('web-prod-01', 'localhost')
    >>> split_host("db01")
    ('db01', None)
    """
    host, sep, delegate = label.partition(" -> ")
    return host.strip(), (delegate.strip() or None) if sep else None


class Tracker:
    def __init__(self) -> None:
        self.play: str | None = None
        self.task: str = ""
        self.role: str | None = None
        self.module: str | None = None
        self.play_seq = 0
        self.task_seq = 0
        self.line = 0
        self._all: list[_Open] = []
        self._by_key: dict[tuple[int, str], _Open] = {}
        self._open_by_host: dict[str, list[_Open]] = {}
        self._last: _Open | None = None
        self._n_open = 0
        self.open_added = 0  # failures ever added to open_hosts (kb.analysis.scan refreshes its lookup on change)
        self.recap: dict[str, dict[str, int]] = {}
        self.truncated = False

    # --- structure -------------------------------------------------------
    def play_start(self, name: str | None) -> None:
        self.play = name
        self.play_seq += 1
        self._open_by_host.clear()
        self._n_open = 0
        self._last = None

    def task_start(self, name: str, role: str | None = None, module: str | None = None) -> None:
        self.task = name
        self.role = role
        self.module = module
        self.task_seq += 1
        self._last = None

    @property
    def open_hosts(self) -> dict[str, list[_Open]]:
        """Hosts with a failure a later result of theirs would show as rescued (same dict, kept current)."""
        return self._open_by_host

    @property
    def has_open(self) -> bool:
        """Some failure of the current play could still turn out rescued."""
        return self._n_open > 0

    def activity(self, host: str) -> None:
        """The host produced a result for the current task (any status)."""
        opened = self._open_by_host.get(host)
        if not opened:
            return
        keep = []
        for o in opened:
            if o.play_seq == self.play_seq and o.task_seq < self.task_seq:
                o.followed = True
                o.next_task = self.task_seq
            else:
                keep.append(o)
        if keep:
            self._open_by_host[host] = keep
        else:
            del self._open_by_host[host]
        self._n_open -= len(opened) - len(keep)

    # --- results ----------------------------------------------------------
    def failed(
        self,
        label: str,
        result: dict[str, Any],
        *,
        unreachable: bool = False,
        item: str | None = None,
        final: bool = False,
        ignored: bool = False,
    ) -> None:
        """A failed/unreachable result. ``final`` = the host's task result that supersedes its items."""
        host, delegate = split_host(label)
        self.activity(host)
        key = (self.task_seq, host)
        existing = self._by_key.get(key)
        text = build_match_text(result)
        if existing is not None:
            f = existing.failure
            if final:
                f.match_text = text or f.match_text
                f.message = operator_message(result) or f.message
            elif item is not None and text and text not in f.match_text:
                f.match_text = cap(f"{f.match_text}\n{text}" if f.match_text else text)
            if item is not None and item not in existing.items:
                existing.items.append(item)
                f.item = ", ".join(existing.items)[:1000]
            if ignored:
                f.ignored = IgnoreReason.ignored
            self._last = existing
            return
        if len(self._all) >= MAX_FAILURES:
            self.truncated = True
            return
        msg = result.get("msg")
        f = Failure(
            host=host,
            task=self.task,
            play=self.play,
            role=self.role,
            module=module_of(result) or self.module,
            rc=rc_of(result),
            msg=msg if isinstance(msg, str) else "",
            message=operator_message(result),
            match_text=text,
            stderr_excerpt=_tail(result.get("stderr") or result.get("module_stderr")),
            stdout_excerpt=_tail(result.get("stdout") or result.get("module_stdout")),
            item=item,
            unreachable=unreachable or result.get("unreachable") is True,
            ignored=IgnoreReason.ignored if ignored else None,
            delegated_to=delegate,
            line=self.line,
        )
        o = _Open(f, self.play_seq, self.task_seq, items=[item] if item is not None else [])
        self._all.append(o)
        self._by_key[key] = o
        self._open_by_host.setdefault(host, []).append(o)
        self._n_open += 1
        self.open_added += 1
        self._last = o

    def ignoring(self) -> None:
        """``...ignoring``: the most recent failure of the current task did not count."""
        if self._last is not None and self._last.task_seq == self.task_seq:
            self._last.failure.ignored = IgnoreReason.ignored

    def recap_line(self, host: str, counts: dict[str, int]) -> None:
        self.recap[host] = counts

    # --- verdict ------------------------------------------------------------
    def followed_matters(self) -> bool:
        """Whether a verdict could depend on a later plain result of a failed host (see ``result``).

        It cannot when every host with a counted failure has a recap line with failures, no rescue and no fewer
        failures than it would count: the recap then decides alone. kb.analysis.parser skips such lines on its
        first pass and reads the log again, every line, only when this is True (a cut-off log, a rescue, a
        failure the recap forgives).
        """
        counts: dict[str, int] = {}
        for o in self._all:
            f = o.failure
            if f.ignored is not None:
                continue
            rec = self.recap.get(f.host)
            if rec is None or rec.get("rescued", 0) > 0 or rec.get("failed", 0) + rec.get("unreachable", 0) == 0:
                return True
            if not f.unreachable:
                counts[f.host] = counts.get(f.host, 0) + 1
                if counts[f.host] > rec.get("failed", 0):  # more failures than the recap counts (_settle_with_recap)
                    return True
        return False

    def _always_tasks(self) -> set[int]:
        """Tasks that followed a failure inside a rescue: the failure was in the first task its host ran after an
        earlier failure of the same play (that task was the rescue), and a host goes on from a failed rescue
        only into an ``always`` section."""
        rescues = {(o.failure.host, o.play_seq, o.next_task) for o in self._all if o.next_task is not None}
        return {
            o.next_task
            for o in self._all
            if o.next_task is not None and (o.failure.host, o.play_seq, o.task_seq) in rescues
        }

    def result(self, *, lines: int = 0) -> Analysis:
        budget = {h: c.get("rescued", 0) for h, c in self.recap.items()}
        always = self._always_tasks()
        out = Analysis(recap=self.recap, plays=self.play_seq, tasks=self.task_seq, lines=lines)
        out.truncated = self.truncated
        for o in self._all:
            f = o.failure
            if f.ignored is None:
                rec = self.recap.get(f.host)
                if rec is not None and rec.get("failed", 0) + rec.get("unreachable", 0) == 0:
                    f.ignored = IgnoreReason.rescued if (o.followed or budget.get(f.host)) else IgnoreReason.ignored
                elif o.followed and rec is None and o.next_task in always:
                    pass  # followed only by an always section: it counts
                elif o.followed and (rec is None or budget.get(f.host, 0) > 0):
                    f.ignored = IgnoreReason.rescued
                    if rec is not None:
                        budget[f.host] -= 1
        self._settle_with_recap()
        for o in self._all:
            (out.failures if o.failure.ignored is None else out.ignored).append(o.failure)
        return out

    def _settle_with_recap(self) -> None:
        """A host's recap ``failed=N`` counts its failures that were neither ignored nor rescued (Ansible's strategy
        increments ``rescued`` instead of ``failures`` for a failure a rescue section handles). When more of its
        failures would count than that, the surplus among those a later task of the host followed was rescued,
        earliest first, though the recap's ``rescued=`` did not say so."""
        counted: dict[str, list[_Open]] = {}
        for o in self._all:
            f = o.failure
            if f.ignored is None and not f.unreachable and f.host in self.recap:
                counted.setdefault(f.host, []).append(o)
        for host, opens in counted.items():
            surplus = len(opens) - self.recap[host].get("failed", 0)
            for o in opens:
                if surplus <= 0:
                    break
                if o.followed:
                    o.failure.ignored = IgnoreReason.rescued
                    surplus -= 1


def _tail(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n")[-_EXCERPT:]
