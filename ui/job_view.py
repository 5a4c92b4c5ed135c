"""What the job panel shows, decided by pure functions: live progress, the result report, times, chips.

Colour chips are Streamlit's ``:color-badge[label]`` Markdown with a word in them, so a
state reads the same without colour (no emoji carries meaning).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.auth.policy import REANALYSE
from core.enums import AnalysisState, HostStatus, JobStatus, MatchKind
from ui.models import Job, JobFailure, JobProgress
from ui.text import clean

REFRESH_S = 2.0  # live refresh while a job runs; a 20 s demo job shows ~10 updates
WAITING_REFRESH_S = 5.0  # scheduled / awaiting approval: nothing moves fast
LOG_LINES = 40

JOB_LABELS: dict[JobStatus, str] = {
    JobStatus.queued: "queued",
    JobStatus.scheduled: "scheduled",
    JobStatus.awaiting_approval: "waiting for a second person's approval",
    JobStatus.launching: "launching",
    JobStatus.running: "running",
    JobStatus.collecting: "collecting results",
    JobStatus.succeeded: "succeeded",
    JobStatus.failed: "finished with failures",
    JobStatus.canceled: "canceled",
    JobStatus.error: "error",
}

# Result categories, in report order: (key, label, colour).
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("patched", "patched", "green"),
    ("no_change", "no change", "blue"),
    ("failed", "failed", "red"),
    ("unreachable", "unreachable", "orange"),
    ("not_run", "not run", "gray"),
)
_CATEGORY_OF: dict[HostStatus, str] = {
    HostStatus.changed: "patched",
    HostStatus.ok: "no_change",
    HostStatus.failed: "failed",
    HostStatus.unreachable: "unreachable",
    HostStatus.skipped: "not_run",
    HostStatus.pending: "not_run",
}
LIVE_CHIPS: dict[str, tuple[str, str]] = {
    "pending": ("waiting", "gray"),
    "running": ("running", "violet"),
    "ok": ("no change so far", "blue"),
    "changed": ("changed", "green"),
    "failed": ("failed", "red"),
    "unreachable": ("unreachable", "orange"),
    "skipped": ("skipped", "gray"),
}


def chip(label: str, colour: str) -> str:
    """A coloured badge with its label in words (Markdown for ``st.markdown``).

    >>> chip("failed", "red")
    ':red-badge[failed]'
    """
    safe = label.replace("[", "(").replace("]", ")")
    return f":{colour}-badge[{safe}]"


def when(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """A time in UTC, the clock the API and the chat's times use; with the browser's ``zone`` (when it is not
    UTC at that moment), the same moment on the operator's own clock beside it.

    >>> from zoneinfo import ZoneInfo
    >>> when(datetime(2026, 11, 27, 21, 5, tzinfo=UTC))
    '2026-11-27 21:05 UTC'
    >>> when(datetime(2026, 11, 27, 21, 5, tzinfo=UTC), ZoneInfo("Europe/Berlin"))
    '2026-11-27 21:05 UTC (22:05 Europe/Berlin)'
    >>> when(datetime(2026, 11, 27, 21, 5, tzinfo=UTC), ZoneInfo("Asia/Tokyo"))
    '2026-11-27 21:05 UTC (2026-11-28 06:05 Asia/Tokyo)'
    >>> when(None)
    '—'
    """
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%d %H:%M} UTC{local_clock(utc, zone)}"


def zone_named(name: object) -> tzinfo | None:
    """The IANA time zone the browser reports (``st.context.timezone``), or None when it sent none or one this
    machine's zone database does not know: then times show in UTC only.

    >>> zone_named("Europe/Berlin"), zone_named(None), zone_named("Mars/Olympus"), zone_named("../etc")
    (zoneinfo.ZoneInfo(key='Europe/Berlin'), None, None, None)
    """
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_clock(moment: datetime, zone: tzinfo | None) -> str:
    """`` (HH:MM Zone)`` for an aware UTC ``moment`` on the browser's clock, with the date when it differs;
    empty when there is no zone or it reads as UTC then."""
    if zone is None:
        return ""
    local = moment.astimezone(zone)
    if local.utcoffset() == moment.utcoffset():
        return ""
    name = str(getattr(zone, "key", None) or local.tzname() or "local")
    stamp = f"{local:%H:%M}" if local.date() == moment.date() else f"{local:%Y-%m-%d %H:%M}"
    return f" ({stamp} {name})"


def duration(seconds: int | float | None) -> str:
    """A length of time in words.

    >>> duration(65), duration(3700), duration(None)
    ('1 min 05 s', '1 h 01 min', '—')
    """
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600} h {(s % 3600) // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def analysing(job: Job) -> bool:
    """A finished job whose failures are still being matched against the KB (its report is not complete)."""
    return job.status.terminal and job.analysis is AnalysisState.pending


def settled(job: Job) -> bool:
    """Nothing more will change on its own: finished, and its analysis (if any) is over."""
    return job.status.terminal and not analysing(job)


def refresh_interval(status: JobStatus | None, *, analysing: bool = False) -> float | None:
    """Seconds between live refreshes: none once the job is terminal (or unknown) and its analysis is over."""
    if status is not None and status.terminal and analysing:
        return REFRESH_S
    if status is None or status.terminal:
        return None
    if status in (JobStatus.scheduled, JobStatus.awaiting_approval):
        return WAITING_REFRESH_S
    return REFRESH_S


def status_label(job: Job, zone: tzinfo | None = None) -> str:
    label = JOB_LABELS.get(job.status, job.status.value)
    if job.status is JobStatus.scheduled and job.not_before:
        label = f"scheduled for {when(job.not_before, zone)}"
    return label


# --- live progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveRow:
    host: str
    chip: str
    task: str


@dataclass(frozen=True)
class LiveView:
    done: int
    total: int
    rows: list[LiveRow]
    current_task: str | None
    tasks: list[tuple[str, str]]  # (task, "3 ok · 1 changed · 1 failed")
    elapsed: str
    log: str

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def text(self) -> str:
        return f"{self.done} of {self.total} hosts done"


def _task_counts(ok: int, changed: int, failed: int, unreachable: int, skipped: int) -> str:
    parts = [(ok, "ok"), (changed, "changed"), (failed, "failed"), (unreachable, "unreachable"), (skipped, "skipped")]
    return " · ".join(f"{n} {word}" for n, word in parts if n) or "started"


def live_view(job: Job, progress: JobProgress | None) -> LiveView:
    """Per-host state while the job runs: AWX's events when there are some, else the stored verdicts."""
    names = sorted({h.host for h in job.hosts} | set(job.intent.hosts))
    live = progress.hosts if progress else {}
    rows = []
    done = 0
    for name in names:
        hp = live.get(name)
        state = hp.state if hp else "pending"
        label, colour = LIVE_CHIPS.get(state, (state, "gray"))
        rows.append(LiveRow(host=name, chip=chip(label, colour), task=hp.task if hp else ""))
        done += state in ("failed", "unreachable") or (progress is not None and progress.finished)
    tasks = [
        (t.name, _task_counts(t.ok, t.changed, t.failed, t.unreachable, t.skipped))
        for t in (progress.tasks if progress else [])
    ]
    log = "\n".join(clean(progress.log_tail).splitlines()[-LOG_LINES:]) if progress else ""
    return LiveView(
        done=min(done, len(names)),
        total=len(names),
        rows=rows,
        current_task=progress.current_task if progress else None,
        tasks=tasks,
        elapsed=duration(progress.elapsed_s) if progress else "—",
        log=log,
    )


# --- result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixView:
    heading: str
    title: str
    solution: str
    exact: bool


@dataclass(frozen=True)
class FailureView:
    host: str
    task: str
    message: str  # shown as a code block, line breaks kept
    fix: FixView | None
    details: bool = True  # False: a failed host with no failure recorded (yet); ``message`` says why


@dataclass(frozen=True)
class ResultView:
    headline: str
    counts: list[tuple[str, int, str]]  # (label, count, colour)
    hosts: list[tuple[str, str]]  # (host, chip)
    failures: list[FailureView]
    error: str | None  # shown red: the job failed or errored
    note: str | None  # shown neutral: a cancel, a rejection, a host that never ran


def fix_view(failure: JobFailure) -> FixView | None:
    """The KB fix, labelled: exact matches are 'Known fix'; similar ones say so, with their score."""
    kb = failure.kb
    if kb is None:
        return None
    if kb.match is MatchKind.similar:
        score = f" (score {kb.score:.2f})" if kb.score is not None else ""
        heading = f"Similar known issue{score}: check it applies before you act"
        return FixView(heading=heading, title=kb.title or kb.slug, solution=kb.solution, exact=False)
    # An exact match read through the tool's own translation says so: "translated (de)".
    heading = "Known fix"
    if kb.via and kb.via.startswith("translated ("):
        heading += f" (read through the tool's own {kb.via.removeprefix('translated (').rstrip(')')} translation)"
    return FixView(heading=heading, title=kb.title or kb.slug, solution=kb.solution, exact=True)


_NO_DETAILS = {
    AnalysisState.pending: "analysing this host's failure: its details and fix appear here in a moment",
    AnalysisState.failed: "the failure analysis did not finish: an admin can run it again (POST "
    + REANALYSE
    + "); the log has the details",
    None: "no failure details were recorded for this host",
}


def result_view(job: Job) -> ResultView:
    """The report of a finished job: each category counted on its own, failures with their fixes."""
    cats = Counter(_CATEGORY_OF.get(h.status, "not_run") for h in job.hosts)
    counts = [(label, cats[key], colour) for key, label, colour in CATEGORIES if cats[key]]
    colours = {key: (label, colour) for key, label, colour in CATEGORIES}
    hosts = [
        (h.host, chip(*colours[_CATEGORY_OF.get(h.status, "not_run")])) for h in sorted(job.hosts, key=lambda h: h.host)
    ]
    failures = [
        FailureView(host=f.host, task=f.task, message=clean(f.message).strip(), fix=fix_view(f))
        for f in sorted(job.failures, key=lambda f: (f.host, f.task))
    ]
    seen = {f.host for f in failures}
    missing = _NO_DETAILS.get(job.analysis, _NO_DETAILS[None]).format(job_id=job.id)
    failures += [
        FailureView(host=h.host, task="", message=missing, fix=None, details=False)
        for h in sorted(job.hosts, key=lambda h: h.host)
        if h.status in (HostStatus.failed, HostStatus.unreachable) and h.host not in seen
    ]
    bad = cats["failed"] + cats["unreachable"]
    total = len(job.hosts)
    if job.status is JobStatus.succeeded:
        headline = f"Job {job.id} succeeded: {total} host(s) done."
    elif job.status is JobStatus.failed:
        headline = f"Job {job.id} finished: {bad} of {total} host(s) need attention."
    else:
        headline = f"Job {job.id} {JOB_LABELS.get(job.status, job.status.value)}."
    error = note = None
    if job.status in (JobStatus.error, JobStatus.failed):
        error = job.error
    else:
        note = job.error  # a cancel or a rejection is a decision, not an error
    return ResultView(headline=headline, counts=counts, hosts=hosts, failures=failures, error=error, note=note)


def decision(job: Job) -> str | None:
    """What happened to a job that waited for approval, for the requester's chat (None if undecided)."""
    if not job.needs_approval or job.status is JobStatus.awaiting_approval:
        return None
    if job.approved_by:
        return f"Job {job.id} was approved by {job.approved_by}; it is {JOB_LABELS.get(job.status, job.status.value)}."
    if job.status is JobStatus.canceled and job.error:
        return f"Job {job.id} was not approved: {job.error}."
    return None


def job_label(job: Job) -> str:
    """One line per job in a jobs list.

    >>> at = datetime(2026, 11, 27, 21, 5, tzinfo=UTC)
    >>> j = Job(id=7, status="failed", intent={"action": "patch", "hosts": ["a", "b", "c"]},
    ...         requested_by="ann", created_at=at, updated_at=at)
    >>> job_label(j)
    '#7 patch 3 hosts · failed · 11-27 21:05 UTC'
    """
    hosts = job.intent.hosts or [h.host for h in job.hosts]
    target = hosts[0] if len(hosts) == 1 else f"{len(hosts)} hosts"
    stamp = f" · {job.created_at.astimezone(UTC):%m-%d %H:%M} UTC" if job.created_at else ""
    return f"#{job.id} {job.intent.action} {target} · {job.status.value}{stamp}"
