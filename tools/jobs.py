"""Job tools: status, cancel, explain (from stored failures and KB matches only) and the confirmed submit.

``submit_job`` is deliberately not offered to the model: only the confirmation
gate (agent/gate.py) calls it, after the human confirmed the proposal naming
the hosts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import tool
from langgraph.types import Command

from core.auth.policy import REANALYSE
from core.enums import Action, AnalysisState
from core.errors import PatchpilotError
from core.intent import PatchIntent
from tools.context import ToolContext
from tools.outcome import outcome
from tools.proposal import Proposal

JobRef = Annotated[int | Literal["last"] | None, "a job number, 'last' for the user's last job, or null if none given"]


def submit_job(ctx: ToolContext, pending: Proposal) -> Any:
    """Queue the confirmed proposal (the jobs service applies approval, windows and host locks).

    The submission uses the turn's clock (``ctx.now()``), the same one the proposal's start was computed with.
    """
    return ctx.jobs.submit(
        ctx.conn,
        pending.intent,
        requested_by=ctx.user,
        settings=ctx.settings,
        inventory=ctx.inventory,
        now=ctx.now(),
        source=ctx.source,
    )


def _job_id(ctx: ToolContext, job: int | str | None) -> int | None:
    if job == "last":
        last = ctx.jobs.last_job(ctx.conn, ctx.user)
        return None if last is None else int(last.id)
    return None if job is None else int(job)


def describe(job: Any) -> str:
    hosts = getattr(job, "hosts", []) or []
    counts: dict[str, int] = {}
    for h in hosts:
        counts[str(h.status)] = counts.get(str(h.status), 0) + 1
    per = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no host results yet"
    extra = f"; {job.error}" if getattr(job, "error", None) else ""
    return f"Job {job.id} ({job.intent.action.value}) is {job.status.value}: {per}{extra}."


@tool("job_status", return_direct=True)
def job_status(job: JobRef, runtime: ToolRuntime[ToolContext]) -> Command[Any]:
    """Report a job's status. With no job given, list the user's running and queued jobs."""
    ctx, call_id = runtime.context, runtime.tool_call_id or ""
    intent = PatchIntent(action=Action.status, job=job)
    try:
        if job is None:
            jobs = ctx.jobs.active_jobs(ctx.conn, ctx.user)
            text = "\n".join(describe(j) for j in jobs) or "Nothing of yours is running or queued."
        else:
            job_id = _job_id(ctx, job)
            text = "You have no jobs yet." if job_id is None else describe(ctx.jobs.get_job(ctx.conn, job_id))
    except PatchpilotError as exc:
        text = exc.message
    return outcome(call_id, text, intent=intent, kind="answered")


@tool("cancel_job", return_direct=True)
def cancel_job(job: JobRef, runtime: ToolRuntime[ToolContext]) -> Command[Any]:
    """Cancel a job. With no job given, drop the proposal awaiting confirmation (if any)."""
    ctx, call_id = runtime.context, runtime.tool_call_id or ""
    intent = PatchIntent(action=Action.cancel, job=job)
    if job is None:
        if runtime.state.get("pending"):
            return outcome(
                call_id, "Dropped the proposal; nothing was queued.", intent=intent, kind="dropped", pending=None
            )
        return outcome(call_id, "Which job? Give its number or say 'my last job'.", intent=intent, kind="answered")
    try:
        job_id = _job_id(ctx, job)
        if job_id is None:
            text = "You have no jobs to cancel."
        else:
            done = ctx.jobs.request_cancel(ctx.conn, job_id, by=ctx.user, source=ctx.source)
            text = f"Cancel requested for job {done.id}; it is now {done.status.value}."
    except PatchpilotError as exc:
        text = exc.message
    return outcome(call_id, text, intent=intent, kind="answered")


def _no_failures(job: Any) -> str:
    """Why a job has no failure rows: not finished, still being analysed, an analysis that gave up, or none."""
    status = job.status.value
    if not job.status.terminal:
        return f"Job {job.id} is {status}; its failures can be explained once it has finished."
    if job.analysis is AnalysisState.pending:
        return (
            f"Job {job.id} has finished ({status}); its failures are still being matched against the knowledge "
            "base. Ask again in a moment."
        )
    if job.analysis is AnalysisState.failed:
        return (
            f"Job {job.id} has finished ({status}), but its failure analysis did not finish; an admin can run it again "
            f"(POST {REANALYSE.format(job_id=job.id)}). The job's log has the details."
        )
    return f"Job {job.id} has no recorded failures."


def _failure_line(ctx: ToolContext, f: dict[str, Any]) -> str:
    head = f"- {f['host']}, task '{f['task']}': {f['message']}"
    kb = f.get("kb")
    if kb:
        how = "known issue" if kb.get("match") == "exact" else f"similar known issue (score {kb.get('score', 0):.2f})"
        return f"{head}\n  {how} [{kb['slug']}] {kb['title']}: {kb['solution']}"
    related = f.get("related") or []
    if related:  # below the answer bar: named with scores, never given as the cause or the fix
        head += "\n  Possibly related (not a diagnosis): " + ", ".join(
            f"[{r['slug']}] {r['title']} (score {r['score']:.2f})" for r in related
        )
    if ctx.suggest is not None:
        return (
            f"{head}\n  No KB entry matches. Unverified suggestion (model-generated, not from the KB): "
            + ctx.suggest(f"{f['task']}: {f['message']}")
        )
    return f"{head}\n  No KB entry matches this failure."


@tool("explain_job", return_direct=True)
def explain_job(job: JobRef, runtime: ToolRuntime[ToolContext]) -> Command[Any]:
    """Explain why a job failed: each failed host and task with the known fix from the knowledge base. Answers
    only from stored failures; never guess."""
    ctx, call_id = runtime.context, runtime.tool_call_id or ""
    intent = PatchIntent(action=Action.explain, job=job)
    try:
        job_id = _job_id(ctx, job if job is not None else "last")
        if job_id is None:
            text = "You have no jobs yet."
        else:
            failures = ctx.kb.job_failures(ctx.conn, job_id)
            text = (
                f"Job {job_id}: {len(failures)} failure(s).\n" + "\n".join(_failure_line(ctx, f) for f in failures)
                if failures
                else _no_failures(ctx.jobs.get_job(ctx.conn, job_id))
            )
    except PatchpilotError as exc:
        text = exc.message
    return outcome(call_id, text, intent=intent, kind="answered")
