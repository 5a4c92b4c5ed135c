"""What the chat screen shows, decided by small pure functions (the Streamlit script only draws).

Views are plain dataclasses built from API models, so every decision is unit-tested
without a browser: the conversation, the confirmation card with its risk, what a role may do.
(The job panel's views are in ``ui.job_view``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from core.enums import Action
from core.intent import CARRIED_FIELDS
from ui.job_view import local_clock
from ui.models import ChatHistory, ChatResponse, ConfirmResponse, Pending, Risk

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

    def restored(self, history: ChatHistory) -> None:
        """The server's copy of this session (a reloaded page): its turns, proposal and job."""
        self.turns = [Turn("user" if m.role == "user" else "assistant", m.text) for m in history.messages]
        self.pending = history.pending
        if history.job_id is not None:
            self.job_id = history.job_id

    def told(self, text: str) -> None:
        """A line from patchpilot itself (an approval decision), once."""
        if not self.turns or self.turns[-1].text != text:
            self.turns.append(Turn("assistant", text))


# --- confirmation card ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvGroup:
    environment: str
    production: bool
    hosts: list[str]
    critical: list[str]


@dataclass(frozen=True)
class ConfirmationCard:
    action: str
    summary: str
    host_count: int
    groups: list[EnvGroup]
    options: list[tuple[str, str]]
    schedule: str
    approval_note: str | None
    risk_level: str
    risk_line: str | None
    confirm_phrase: str | None  # typed to confirm a high-risk proposal

    def may_confirm(self, typed: str | None) -> bool:
        """A high-risk proposal is confirmed only with its phrase (the host count) typed.

        >>> card = ConfirmationCard("reboot", "", 16, [], [], "", None, "high", "High risk", "16")
        >>> card.may_confirm(""), card.may_confirm(" 16 "), card.may_confirm("15")
        (False, True, False)
        """
        return self.confirm_phrase is None or (typed or "").strip() == self.confirm_phrase


def _option_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def schedule_line(starts_at: str | None, now: datetime, zone: tzinfo | None = None) -> str:
    """When the job will start; the API always sends ``starts_at`` (now, or the window/not_before). Times are
    UTC, as the chat reads them; the browser's ``zone`` adds the operator's own clock.

    >>> now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    >>> schedule_line("2026-11-27T12:00:05+00:00", now)
    'Starts now, as soon as you confirm'
    >>> schedule_line("2026-11-27T22:00:00Z", now)
    'Starts at 2026-11-27 22:00 UTC (in 10 h 0 min)'
    >>> from zoneinfo import ZoneInfo
    >>> schedule_line("2026-11-27T22:00:00Z", now, ZoneInfo("America/New_York"))
    'Starts at 2026-11-27 22:00 UTC (17:00 America/New_York; in 10 h 0 min)'
    """
    when = parse_iso(starts_at)
    if when is None or when.tzinfo is None or when - now < timedelta(minutes=1):
        return "Starts now, as soon as you confirm"
    minutes = int((when - now).total_seconds() // 60)
    utc = when.astimezone(UTC)
    local = local_clock(utc, zone).strip(" ()")
    ahead = f"in {minutes // 60} h {minutes % 60} min"
    return f"Starts at {utc:%Y-%m-%d %H:%M} UTC ({local + '; ' if local else ''}{ahead})"


def _groups(pending: Pending, risk: Risk | None) -> list[EnvGroup]:
    intent = pending.intent
    by_env = {env or "unassigned": sorted(hosts) for env, hosts in pending.hosts_by_env.items()}
    if not by_env and intent.get("hosts"):
        by_env = {"unassigned": sorted(str(h) for h in intent["hosts"])}
    badges = {b.host: b for b in risk.badges} if risk else {}
    return [
        EnvGroup(
            environment=env,
            production=any(badges[h].production for h in hosts if h in badges),
            hosts=hosts,
            critical=[h for h in hosts if h in badges and badges[h].critical],
        )
        for env, hosts in sorted(by_env.items())
    ]


def confirmation_card(pending: Pending, now: datetime | None = None, zone: tzinfo | None = None) -> ConfirmationCard:
    """The card the operator confirms: hosts by environment with badges, the risk line, the options that
    apply to this action (a reboot card shows no package options), schedule, approval."""
    intent = pending.intent
    try:
        carried = set(CARRIED_FIELDS[Action(str(intent.get("action", "patch")))])
    except ValueError:
        carried = set(_OPTION_NAMES)
    options = [
        (label, _option_value(intent[name]))
        for name, label in _OPTION_NAMES.items()
        if name in carried and name in intent and intent[name] not in (None, [], "")
    ]
    if "serial" in carried and intent.get("serial") in (None, ""):
        options.append((_OPTION_NAMES["serial"], "all hosts at once"))
    schedule = schedule_line(pending.starts_at or intent.get("not_before"), now or datetime.now(UTC), zone)
    note = None
    if pending.needs_approval:
        note = (
            "These hosts are critical: after you confirm, a second person (an approver) must approve the job "
            "before it runs. You will see their decision here."
        )
    risk = pending.risk
    groups = _groups(pending, risk)
    return ConfirmationCard(
        action=str(intent.get("action", "patch")),
        summary=pending.summary,
        host_count=sum(len(g.hosts) for g in groups),
        groups=groups,
        options=options,
        schedule=schedule,
        approval_note=note,
        risk_level=risk.level if risk else "low",
        risk_line=risk.line if risk and risk.level != "low" else None,
        confirm_phrase=risk.confirm_phrase if risk else None,
    )


# --- roles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What the signed-in user may do here; the API enforces the same rules."""

    chat: bool
    approve: bool
    see_all_jobs: bool
    chat_disabled_reason: str | None


def capabilities(roles: Sequence[str]) -> Capabilities:
    """From the roles the API reports (``/users/me``).

    >>> capabilities(["viewer"]).chat_disabled_reason
    'Read-only: your role (viewer) can follow jobs but not ask for them. Ask an admin for the operator role.'
    >>> capabilities(["operator"]).chat, capabilities(["approver"]).approve, capabilities(["admin"]).chat
    (True, True, True)
    """
    have = set(roles)
    admin = "admin" in have
    chat = admin or "operator" in have
    approve = admin or "approver" in have
    reason = None
    if not chat:
        shown = ", ".join(sorted(have)) or "no role"
        reason = (
            f"Read-only: your role ({shown}) can follow jobs but not ask for them. Ask an admin for the operator role."
        )
    return Capabilities(chat=chat, approve=approve, see_all_jobs=not chat or admin, chat_disabled_reason=reason)


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
