"""What the chat screen shows, decided by small pure functions (the Streamlit script only draws).

Views are plain dataclasses built from API models, so every decision is unit-tested
without a browser: the confirmation card, live progress, the result and its KB fixes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.enums import HostStatus, JobStatus, MatchKind
from ui.models import ChatResponse, ConfirmResponse, Job, JobFailure, Pending
from ui.text import excerpt

# Live refresh period while a job runs; a 20 s demo job shows ~10 updates.
REFRESH_S = 2.0
MESSAGE_EXCERPT = 400

HOST_LABELS: dict[HostStatus, str] = {
    HostStatus.pending: "⏳ pending",
    HostStatus.ok: "✅ ok",
    HostStatus.changed: "✅ patched",
    HostStatus.failed: "❌ failed",
    HostStatus.unreachable: "⚠️ unreachable",
    HostStatus.skipped: "➖ skipped",
}
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
_OPTION_NAMES = {
    "security_only": "Security updates only",
    "reboot": "Reboot",
    "exclude": "Excluded packages",
    "packages": "Only these packages",
    "serial": "Batch size (serial)",
}


# --- conversation state -----------------------------------------------------------------------


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    text: str


@dataclass
class Conversation:
    """The chat's state between reruns: turns, the pending proposal, the job being followed."""

    turns: list[Turn] = field(default_factory=list)
    pending: Pending | None = None
    job_id: int | None = None
    notice: str | None = None

    def said(self, message: str) -> None:
        self.turns.append(Turn("user", message))
        self.notice = None

    def answered(self, response: ChatResponse) -> None:
        if response.reply:
            self.turns.append(Turn("assistant", response.reply))
        self.pending = response.pending
        if response.job_id is not None:
            self.job_id = response.job_id

    def confirmed(self, response: ConfirmResponse) -> None:
        self.pending = None
        if response.reply:
            self.turns.append(Turn("assistant", response.reply))
        if response.job_id is not None:
            self.job_id = response.job_id

    def stale(self, detail: str) -> None:
        """The server refused the confirmation (409): the proposal is gone; say why."""
        self.pending = None
        self.notice = f"That proposal can no longer be confirmed: {detail} Ask again to get a fresh one."

    def cancelled(self) -> None:
        self.pending = None
        self.turns.append(Turn("assistant", "Cancelled. Nothing was run."))


# --- confirmation card ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmationCard:
    action: str
    summary: str
    host_count: int
    groups: list[tuple[str, list[str]]]
    options: list[tuple[str, str]]
    schedule: str
    approval_note: str | None


def _option_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def schedule_line(starts_at: str | None, now: datetime) -> str:
    """When the job will start; the API always sends ``starts_at`` (now, or the window/not_before).

    >>> now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    >>> schedule_line("2026-11-27T12:00:05+00:00", now)
    'Starts now, as soon as you confirm'
    >>> schedule_line("2026-11-27T22:00:00Z", now)
    'Starts at 2026-11-27 22:00 UTC (in 10 h 0 min)'
    """
    when = parse_iso(starts_at)
    if when is None or when.tzinfo is None or when - now < timedelta(minutes=1):
        return "Starts now, as soon as you confirm"
    minutes = int((when - now).total_seconds() // 60)
    return f"Starts at {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC (in {minutes // 60} h {minutes % 60} min)"


def confirmation_card(pending: Pending, now: datetime | None = None) -> ConfirmationCard:
    """The card the operator confirms: hosts grouped by environment, options, schedule, approval."""
    intent = pending.intent
    groups = sorted((env or "unknown", sorted(hosts)) for env, hosts in pending.hosts_by_env.items())
    if not groups and intent.get("hosts"):
        groups = [("unknown", sorted(str(h) for h in intent["hosts"]))]
    options = [
        (label, _option_value(intent[name]))
        for name, label in _OPTION_NAMES.items()
        if name in intent and intent[name] not in (None, [], "")
    ]
    schedule = schedule_line(pending.starts_at or intent.get("not_before"), now or datetime.now(UTC))
    note = None
    if pending.needs_approval:
        note = (
            "These hosts are critical: after you confirm, a second person must approve the job "
            "before it runs (POST /jobs/{id}/approve or the Approve button)."
        )
    return ConfirmationCard(
        action=str(intent.get("action", "patch")),
        summary=pending.summary,
        host_count=sum(len(h) for _, h in groups),
        groups=groups,
        options=options,
        schedule=schedule,
        approval_note=note,
    )


# --- live progress ----------------------------------------------------------------------------


def refresh_interval(status: JobStatus | None) -> float | None:
    """Seconds between live refreshes: none once the job is terminal (or unknown)."""
    if status is None or status.terminal:
        return None
    return REFRESH_S


@dataclass(frozen=True)
class Progress:
    status_label: str
    done: int
    total: int
    rows: list[tuple[str, str]]

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def text(self) -> str:
        return f"{self.done} of {self.total} hosts done"


def progress(job: Job) -> Progress:
    """Per-host status as it changes (a host is done once it has a verdict)."""
    rows = [(h.host, HOST_LABELS.get(h.status, h.status.value)) for h in sorted(job.hosts, key=lambda h: h.host)]
    if not rows:
        rows = [(str(h), HOST_LABELS[HostStatus.pending]) for h in sorted(job.intent.get("hosts", []))]
    done = sum(1 for h in job.hosts if h.status is not HostStatus.pending)
    if job.status.terminal:
        done = len(rows)
    label = JOB_LABELS.get(job.status, job.status.value)
    if job.status is JobStatus.scheduled and job.not_before:
        label = f"scheduled for {job.not_before:%Y-%m-%d %H:%M} UTC"
    return Progress(status_label=label, done=min(done, len(rows)), total=len(rows), rows=rows)


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
    message: str
    fix: FixView | None


@dataclass(frozen=True)
class ResultView:
    headline: str
    counts: list[tuple[str, int]]
    failures: list[FailureView]
    error: str | None


def fix_view(failure: JobFailure) -> FixView | None:
    """The KB fix, labelled: exact matches are 'Known fix'; similar ones say so, with their score."""
    kb = failure.kb
    if kb is None:
        return None
    if kb.match is MatchKind.similar:
        score = f" (score {kb.score:.2f})" if kb.score is not None else ""
        heading = f"Similar known issue{score}: check it applies before you act"
        return FixView(heading=heading, title=kb.title or kb.slug, solution=kb.solution, exact=False)
    return FixView(heading="Known fix", title=kb.title or kb.slug, solution=kb.solution, exact=True)


def result_view(job: Job) -> ResultView:
    counts = Counter(h.status for h in job.hosts)
    shown = [
        ("patched", counts[HostStatus.changed] + counts[HostStatus.ok]),
        ("failed", counts[HostStatus.failed]),
        ("unreachable", counts[HostStatus.unreachable]),
        ("skipped", counts[HostStatus.skipped]),
    ]
    failures = [
        FailureView(host=f.host, task=f.task, message=excerpt(f.message, MESSAGE_EXCERPT), fix=fix_view(f))
        for f in sorted(job.failures, key=lambda f: (f.host, f.task))
    ]
    # A host can fail without a recorded failure (e.g. the analyser found no task); list it anyway.
    seen = {f.host for f in failures}
    failures += [
        FailureView(host=h.host, task="", message="no failure details were recorded for this host", fix=None)
        for h in sorted(job.hosts, key=lambda h: h.host)
        if h.status in (HostStatus.failed, HostStatus.unreachable) and h.host not in seen
    ]
    bad = counts[HostStatus.failed] + counts[HostStatus.unreachable]
    if job.status is JobStatus.succeeded:
        headline = f"Job {job.id} succeeded: {len(job.hosts)} host(s) done."
    elif job.status is JobStatus.failed:
        headline = f"Job {job.id} finished: {bad} of {len(job.hosts)} host(s) need attention."
    else:
        headline = f"Job {job.id} {JOB_LABELS.get(job.status, job.status.value)}."
    return ResultView(headline=headline, counts=[c for c in shown if c[1]], failures=failures, error=job.error)


# --- sidebar ----------------------------------------------------------------------------------


def job_label(job: Job) -> str:
    """One line per job in the recent-jobs list.

    >>> j = Job(id=7, status="failed", intent={"action": "patch", "hosts": ["a", "b", "c"]},
    ...         created_at=datetime(2026, 11, 27, 21, 5, tzinfo=UTC))
    >>> job_label(j)
    '#7 patch 3 hosts · failed · 11-27 21:05'
    """
    hosts = job.intent.get("hosts", []) or [h.host for h in job.hosts]
    target = hosts[0] if len(hosts) == 1 else f"{len(hosts)} hosts"
    when = f" · {job.created_at:%m-%d %H:%M}" if job.created_at else ""
    return f"#{job.id} {job.intent.get('action', 'job')} {target} · {job.status.value}{when}"


def valid_message(raw: str | None, limit: int = 4000) -> tuple[str | None, str | None]:
    """``(message, None)`` to send, or ``(None, why)`` when the input is refused."""
    text = (raw or "").strip()
    if not text:
        return None, "Type a request first."
    if len(text) > limit:
        return None, f"That message is {len(text)} characters; the limit is {limit}."
    return text, None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
