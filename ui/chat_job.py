"""Streamlit drawing of one job: live per-host progress while it runs, then the report with KB fixes.

Drawing only; what to show is decided in ``ui.job_view``. Server text goes through
``st.code``/``st.text`` or ``inert_markdown``/``plain``, never ``unsafe_allow_html``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.enums import JobStatus
from ui.browser import browser_zone
from ui.chat_logic import Conversation
from ui.client import ApiClient, ApiError
from ui.job_view import (
    LOG_LINES,
    FailureView,
    analysing,
    decision,
    live_view,
    refresh_interval,
    result_view,
    status_label,
    when,
)
from ui.models import Job, JobProgress
from ui.text import clean, plain, report_markdown

ClientFactory = Callable[[], ApiClient]


def job_panel(job_id: int, make_client: ClientFactory, conv: Conversation, *, can_cancel: bool = True) -> None:
    """The followed job, refreshed by a fragment until it is terminal and its failures are analysed."""
    status_key, analysing_key = f"job-status-{job_id}", f"job-analysing-{job_id}"
    last: JobStatus | None = st.session_state.get(status_key)
    was_analysing = bool(st.session_state.get(analysing_key))
    interval = refresh_interval(last if last is not None else JobStatus.queued, analysing=was_analysing)

    @st.fragment(run_every=interval)
    def live() -> None:
        try:
            with make_client() as client:
                job = client.get_job(job_id)
                progress = client.job_progress(job_id) if job.status in _LIVE else None
                # The log goes through the signed-in client: a plain link would carry no token.
                log = client.job_stdout(job_id) if job.status.terminal and job.awx_job_id is not None else None
        except ApiError as exc:
            st.error(f"Job {job_id}: {plain(exc.detail)}")
            return
        before: JobStatus | None = st.session_state.get(status_key)
        st.session_state[status_key] = job.status
        st.session_state[analysing_key] = analysing(job)
        said = decision(job)
        decided = said is not None and before is JobStatus.awaiting_approval
        if decided and said is not None:
            conv.told(said)  # the requester sees the approver's decision in the conversation
        draw_job(job, progress, log, make_client if can_cancel else None)
        changed = before is not None and before is not job.status
        if decided or changed or interval != refresh_interval(job.status, analysing=analysing(job)):
            # A new status: rerun the app so the sidebar's job list says it too, and the fragment is
            # rebuilt with the new period (none once terminal).
            st.rerun()

    live()


_LIVE = (JobStatus.launching, JobStatus.running, JobStatus.collecting)


def draw_job(job: Job, progress: JobProgress | None, log: str | None, make_client: ClientFactory | None) -> None:
    """One job; ``make_client`` None draws it read-only (a viewer: no Cancel)."""
    zone = browser_zone()
    with st.container(border=True, key=f"job-{job.id}"):
        st.subheader(f"Job {job.id}: {status_label(job, zone)}")
        st.caption(
            f"asked by {plain(job.requested_by)} · created {when(job.created_at, zone)}"
            + (f" · started {when(job.started_at, zone)}" if job.started_at else "")
            + (f" · finished {when(job.finished_at, zone)}" if job.finished_at else "")
        )
        if job.status is JobStatus.awaiting_approval:
            st.info("Waiting for a second person (an approver) to approve or reject it.")
        if job.approved_by:
            st.caption(f"approved by {plain(job.approved_by)}")
        if not job.status.terminal:
            _live(job, progress)
            if make_client is not None:
                _actions(job, make_client)
        else:
            _result(job)
        if log is not None:
            tail = "\n".join(clean(log).rstrip().splitlines()[-LOG_LINES:])
            st.caption(f"Log tail (last {LOG_LINES} lines)")
            st.code(tail, language=None, wrap_lines=True)
            st.download_button(
                "Download the full log",
                log,
                file_name=f"patchpilot-job-{job.id}.txt",
                mime="text/plain",
                key=f"log-{job.id}",
                help="The complete AWX output (text)",
            )


def _live(job: Job, progress: JobProgress | None) -> None:
    view = live_view(job, progress)
    if job.status in _LIVE:
        st.progress(view.fraction, text=f"{view.text} · elapsed {view.elapsed}")
    if view.current_task:
        st.markdown(f"Now: **{plain(view.current_task)}**")
    for row in view.rows:
        task = f" · {plain(row.task)}" if row.task else ""
        st.markdown(f"{plain(row.host)} {row.chip}{task}")
    if view.tasks:
        with st.expander(f"Tasks ({len(view.tasks)})", expanded=False):
            for name, counts in view.tasks:
                st.markdown(f"- {plain(name)}: {plain(counts)}")
    if view.log:
        st.caption("Log tail (follows the job)")
        st.code(view.log, language=None, wrap_lines=True)


def _actions(job: Job, make_client: ClientFactory) -> None:
    if st.button("Cancel job", key=f"cancel-job-{job.id}"):
        _call(make_client, lambda c: c.cancel_job(job.id), f"Cancel requested for job {job.id}.")


def _call(make_client: ClientFactory, action: Callable[[ApiClient], object], done: str) -> None:
    try:
        with make_client() as client:
            action(client)
        st.toast(done)
    except ApiError as exc:
        st.error(plain(exc.detail))


def _result(job: Job) -> None:
    view = result_view(job)
    st.markdown(f"**{plain(view.headline)}**")
    if view.counts:
        st.markdown("  ".join(f":{colour}-badge[{count} {label}]" for label, count, colour in view.counts))
    for host, badge in view.hosts:
        st.markdown(f"{plain(host)} {badge}")
    if view.error:
        st.error(f"Error: {plain(view.error)}")
    if view.note:
        st.info(plain(view.note))
    if analysing(job):
        st.caption("Matching the failures against the knowledge base…")
    for failure in view.failures:
        _failure(failure)


def _failure(failure: FailureView) -> None:
    with st.container(border=True):
        task = f" · task: {plain(failure.task)}" if failure.task else ""
        st.markdown(f":red-badge[failed] **{plain(failure.host)}**{task}")
        st.code(failure.message, language=None, wrap_lines=True)
        fix = failure.fix
        if fix is None and not failure.details:
            return
        if fix is None:
            st.info("No known fix in the knowledge base yet: it is listed for curation in the KB editor.")
            return
        if fix.exact:
            st.success(f"{fix.heading}: {plain(fix.title)}")
        else:
            st.warning(f"{fix.heading}: {plain(fix.title)}")
        st.markdown(report_markdown(fix.solution))
