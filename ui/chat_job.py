"""Streamlit drawing of one job: live progress while it runs, then the result with KB fixes.

Drawing only; what to show is decided in ``ui.chat_logic``. Server text goes through
``st.code``/``st.text`` or ``inert_markdown``/``plain``, never ``unsafe_allow_html``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.enums import JobStatus
from ui.chat_logic import FailureView, progress, refresh_interval, result_view
from ui.client import ApiClient, ApiError
from ui.models import Job
from ui.text import inert_markdown, plain

ClientFactory = Callable[[], ApiClient]


def job_panel(job_id: int, make_client: ClientFactory) -> None:
    """The followed job, refreshed every ~2 s by a fragment until it is terminal."""
    status_key = f"job-status-{job_id}"
    last: JobStatus | None = st.session_state.get(status_key)
    interval = refresh_interval(last) if last is not None else refresh_interval(JobStatus.queued)

    @st.fragment(run_every=interval)
    def live() -> None:
        try:
            with make_client() as client:
                job = client.get_job(job_id)
                # The log goes through the signed-in client: a plain link would carry no token.
                log = client.job_stdout(job_id) if job.status.terminal and job.awx_job_id is not None else None
        except ApiError as exc:
            st.error(f"Job {job_id}: {plain(exc.detail)}")
            return
        st.session_state[status_key] = job.status
        draw_job(job, log, make_client)
        if job.status.terminal and interval is not None:
            # Rerun the app once so the fragment is rebuilt without run_every: refreshing stops.
            st.rerun()

    live()


def draw_job(job: Job, log: str | None, make_client: ClientFactory) -> None:
    view = progress(job)
    with st.container(border=True, key=f"job-{job.id}"):
        st.subheader(f"Job {job.id}: {view.status_label}")
        if not job.status.terminal:
            st.progress(view.fraction, text=view.text)
        st.table({"host": [h for h, _ in view.rows], "status": [s for _, s in view.rows]})
        if job.status is JobStatus.awaiting_approval:
            st.warning("This job waits for a second person's approval before it runs.")
        _actions(job, make_client)
        if job.status.terminal:
            _result(job)
        if log is not None:
            st.download_button(
                "Download the full log",
                log,
                file_name=f"patchpilot-job-{job.id}.txt",
                mime="text/plain",
                key=f"log-{job.id}",
                help="The complete AWX output (text)",
            )


def _actions(job: Job, make_client: ClientFactory) -> None:
    if job.status.terminal:
        return
    cols = st.columns(2)
    if job.status is JobStatus.awaiting_approval and cols[0].button("Approve", key=f"approve-{job.id}"):
        _call(make_client, lambda c: c.approve_job(job.id), f"Job {job.id} approved.")
    if cols[1].button("Cancel job", key=f"cancel-job-{job.id}"):
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
        cols = st.columns(len(view.counts))
        for col, (label, count) in zip(cols, view.counts, strict=True):
            col.metric(label, count)
    if view.error:
        st.error(f"Error: {plain(view.error)}")
    for failure in view.failures:
        _failure(failure)


def _failure(failure: FailureView) -> None:
    with st.container(border=True):
        task = f" · task: {plain(failure.task)}" if failure.task else ""
        st.markdown(f"❌ **{plain(failure.host)}**{task}")
        st.code(failure.message, language=None, wrap_lines=True)
        fix = failure.fix
        if fix is None:
            st.info("No known fix in the knowledge base yet: it is listed for curation in the KB editor.")
            return
        if fix.exact:
            st.success(f"{fix.heading}: {plain(fix.title)}")
        else:
            st.warning(f"{fix.heading}: {plain(fix.title)}")
        st.markdown(inert_markdown(fix.solution))
