"""``patchpilot chat``: a terminal conversation, against the API (``--api URL``) or in-process (proposals only).

Against the API it signs in with ``--token`` (or ``PATCHPILOT_TOKEN``) and does what the web chat
does: propose, confirm (typing the host count for a high-risk proposal), follow a job live, explain
its result. In-process (no ``--api``) it reads the default inventory and only shows proposals.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Annotated

import typer

from ui.chat_logic import confirmation_card
from ui.client import ApiClient, ApiError, Credentials
from ui.job_view import analysing, job_label, live_view, result_view, settled, status_label, when
from ui.models import ChatResponse, Job, Pending

HELP = (
    "commands: 'confirm' (queue the proposal), 'drop' (forget it), 'follow [JOB]' (watch a job live), "
    "'explain [JOB]' (its result and fixes), 'jobs' (your recent jobs), 'quit'"
)
_CHIP = re.compile(r":[a-z]+-badge\[([^\]]*)\]")
_TOKEN = re.compile(r"\s*\(token [A-Za-z0-9_-]+\)")  # the confirmation token is the client's, not the reader's
FOLLOW_EVERY_S = 2.0

Say = Callable[[str], None]
Ask = Callable[[str], str]


def text_of(markdown: str) -> str:
    """Chips and escapes of the web chat's Markdown as terminal text.

    >>> text_of(r":red-badge[failed] web\\-stg\\-02")
    '[failed] web-stg-02'
    """
    return _CHIP.sub(r"[\1]", markdown).replace("\\", "")


def card_lines(pending: Pending) -> list[str]:
    card = confirmation_card(pending)
    out = [f"Please confirm: {card.action} on {card.host_count} host(s)"]
    if card.risk_line:
        out.append(f"  [{card.risk_level.upper()} RISK] {card.risk_line}")
    for g in card.groups:
        crit = f" (critical: {', '.join(g.critical)})" if g.critical else ""
        out.append(f"  {g.environment}{' [prod]' if g.production else ''}: {', '.join(g.hosts)}{crit}")
    out += [f"  {label}: {value}" for label, value in card.options]
    out.append(f"  {card.schedule}")
    if card.approval_note:
        out.append(f"  {card.approval_note}")
    return out


def report_lines(job: Job) -> list[str]:
    view = result_view(job)
    out = [view.headline]
    if view.counts:
        out.append("  " + " · ".join(f"{n} {label}" for label, n, _ in view.counts))
    out += [f"  {host} {text_of(chip)}" for host, chip in view.hosts]
    if view.error:
        out.append(f"  error: {view.error}")
    if view.note:
        out.append(f"  note: {view.note}")
    for f in view.failures:
        out.append(f"  {f.host}{' · task: ' + f.task if f.task else ''}")
        out += [f"    | {line}" for line in f.message.splitlines()[:20]]
        if f.fix is None:
            if f.details:  # a host without details says why in its message
                out.append("    no known fix in the knowledge base yet")
        else:
            out.append(f"    {f.fix.heading}: {f.fix.title}")
            out += [f"    {line}" for line in f.fix.solution.splitlines()]
    return out


class ApiChat:
    """The conversation against the API, as the signed-in user."""

    def __init__(self, client: ApiClient, say: Say, ask: Ask) -> None:
        self.client, self.say, self.ask = client, say, ask
        self.session = uuid.uuid4().hex[:12]
        self.pending: Pending | None = None
        self.job_id: int | None = None

    def _answer(self, out: ChatResponse) -> None:
        self.pending = out.pending
        self.job_id = out.job_id or self.job_id
        self.say(f"patchpilot> {out.reply}")
        if self.pending is not None:
            for line in card_lines(self.pending):
                self.say(line)
            self.say("            (type 'confirm' to queue it, 'drop' to forget it)")

    def _job(self, arg: str) -> int | None:
        if arg.strip().lstrip("#").isdigit():
            return int(arg.strip().lstrip("#"))
        if self.job_id is None:
            self.say("patchpilot> which job? e.g. 'follow 12'")
        return self.job_id

    def confirm(self) -> None:
        if self.pending is None:
            self.say("patchpilot> nothing to confirm: ask for a job first")
            return
        card = confirmation_card(self.pending)
        typed = None
        if card.confirm_phrase is not None:
            typed = self.ask(f"high risk: type {card.confirm_phrase} (the number of hosts) to confirm> ").strip()
            if not card.may_confirm(typed):
                self.say("patchpilot> not confirmed: the count did not match; nothing was queued")
                return
        try:
            done = self.client.confirm(self.session, self.pending.token, typed)
        except ApiError as exc:
            self.pending = None if exc.status_code == 409 else self.pending
            self.say(f"patchpilot> {exc.detail}")
            return
        self.pending = None
        self.job_id = done.job_id or self.job_id
        self.say(f"patchpilot> {done.reply}")
        if done.job_id is not None:
            self.say(f"            (type 'follow' to watch job {done.job_id})")

    def follow(self, arg: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        job_id = self._job(arg)
        if job_id is None:
            return
        last: list[str] = []
        try:
            while True:
                job = self.client.get_job(job_id)
                progress = self.client.job_progress(job_id) if not job.status.terminal else None
                view = live_view(job, progress)
                lines = [f"Job {job.id}: {status_label(job)} · elapsed {view.elapsed}"]
                lines += [f"  {r.host} {text_of(r.chip)}{' · ' + r.task if r.task else ''}" for r in view.rows]
                if analysing(job):  # the report waits for its fixes
                    lines.append("  matching the failures against the knowledge base…")
                if lines != last:
                    for line in lines:
                        self.say(line)
                    last = lines
                if settled(job):
                    for line in report_lines(job):
                        self.say(line)
                    return
                sleep(FOLLOW_EVERY_S)
        except KeyboardInterrupt:
            self.say("patchpilot> stopped following; the job goes on")

    def explain(self, arg: str) -> None:
        job_id = self._job(arg)
        if job_id is None:
            return
        job = self.client.get_job(job_id)
        self.say(f"Job {job.id}: {status_label(job)} · asked by {job.requested_by} · created {when(job.created_at)}")
        for line in report_lines(job) if job.status.terminal else ["  not finished yet: 'follow' it"]:
            self.say(line)

    def handle(self, text: str) -> None:
        word, _, rest = text.partition(" ")
        command = word.lower()
        try:
            if command in ("confirm", "yes", "y") and not rest:
                self.confirm()
            elif command == "drop" and not rest:
                self._answer(self.client.cancel_pending(self.session) or ChatResponse(reply="nothing to drop"))
            elif command == "follow":
                self.follow(rest)
            elif command == "explain" and (not rest or rest.strip().lstrip("#").isdigit()):
                self.explain(rest)
            elif command == "jobs" and not rest:
                me = self.client.me()
                for job in self.client.list_jobs(requested_by=me.name, limit=10).items:
                    self.say(f"  {job_label(job)}")
            elif command == "help":
                self.say(HELP)
            else:
                self._answer(self.client.chat(self.session, text))
        except ApiError as exc:  # the API's message, and the conversation goes on
            self.say(f"patchpilot> {exc.detail}")


def _in_process(say: Say, user: str) -> Callable[[str], None]:
    """Proposals only, from the default inventory (the API's); nothing can be queued without the API."""
    from agent.checkpoint import memory_checkpointer
    from agent.context import build_context
    from agent.graph import build_agent, make_model
    from agent.session import ChatSession
    from core.settings import get_settings
    from workers.inventory.service import without_database

    settings = get_settings()
    chat = ChatSession(build_agent(make_model(settings), memory_checkpointer()))
    ctx = build_context(settings, without_database(settings), user=user)  # no DB: nothing queued
    session = uuid.uuid4().hex[:12]

    def handle(text: str) -> None:
        if text.lower() in ("confirm", "yes", "y", "follow", "explain", "jobs"):
            say("patchpilot> in-process mode shows proposals only; run with --api URL --token T to queue jobs")
            return
        try:
            out = chat.send(ctx, session, text)
        except Exception as exc:  # show the service's message and keep the conversation going
            say(f"patchpilot> {exc}")
            return
        say("patchpilot> " + _TOKEN.sub("", out.reply))
        if out.pending:
            for line in card_lines(Pending.model_validate(out.pending)):
                say(line)

    return handle


def chat_command(
    api: Annotated[
        str | None, typer.Option(help="API URL, e.g. http://127.0.0.1:8000 (with or without /api/v1)")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="PATCHPILOT_TOKEN", help="your API token (or $PATCHPILOT_TOKEN)")
    ] = None,
    user: Annotated[str, typer.Option(help="who you are in in-process mode (no --api)")] = "operator",
) -> None:
    """Chat with patchpilot: 'confirm', 'drop', 'follow [JOB]', 'explain [JOB]', 'jobs', 'quit'."""
    if api:
        if not token:
            raise typer.BadParameter("give your API token with --token or $PATCHPILOT_TOKEN", param_hint="--token")
        base = re.sub(r"/api/v1/?$", "", api.rstrip("/"))
        client = ApiClient(base, Credentials(token=token), timeout=60)
        try:
            me = client.me()
        except ApiError as exc:
            client.close()
            raise typer.BadParameter(f"cannot sign in at {base}: {exc.detail}", param_hint="--token") from None
        typer.echo(f"signed in as {me.name} ({', '.join(me.roles)}). {HELP}")
        session = ApiChat(client, typer.echo, input)
        handle: Callable[[str], None] = session.handle
    else:
        client = None
        handle = _in_process(typer.echo, user)
    try:
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if text.lower() in ("quit", "exit"):
                break
            if text:
                handle(text)
    finally:
        if client is not None:
            client.close()
