"""The approver's queue (Streamlit): jobs waiting for a second person, each with Approve / Reject.

Who asked, hosts by environment with badges, the risk line, options, schedule, age and
expiry. A job you asked for yourself is listed without Approve (the API refuses it too).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui.browser import browser_zone
from ui.client import ApiClient, ApiError
from ui.job_view import chip, duration, when
from ui.models import ApprovalItem
from ui.text import plain

ClientFactory = Callable[[], ApiClient]
_SHOWN_OPTIONS = ("security_only", "reboot", "exclude", "packages", "serial")


def _decide(make_client: ClientFactory, job_id: int, approve: bool) -> None:
    reason = (st.session_state.get(f"reason-{job_id}") or "").strip()
    if not approve and not reason:
        st.session_state[f"problem-{job_id}"] = "Write a reason before rejecting: the requester reads it."
        return
    try:
        with make_client() as client:
            job = client.approve_job(job_id) if approve else client.reject_job(job_id, reason)
    except ApiError as exc:
        st.session_state[f"problem-{job_id}"] = exc.detail
        return
    verb = "approved" if approve else "rejected"
    st.session_state.approval_done = f"Job {job_id} {verb}; it is now {job.status.value}."


def approval_queue(make_client: ClientFactory, me: str) -> None:
    st.subheader("Waiting for approval")
    done = st.session_state.pop("approval_done", None)
    if done:
        st.success(plain(done))
    try:
        with make_client() as client:
            queue = client.approvals()
    except ApiError as exc:
        st.error(plain(exc.detail))
        return
    if not queue.items:
        st.caption("Nothing is waiting for approval.")
    for item in queue.items:
        _item(item, make_client)


def _item(item: ApprovalItem, make_client: ClientFactory) -> None:
    job = item.job
    zone = browser_zone()
    intent = job.intent.model_dump(mode="json")
    with st.container(border=True, key=f"approval-{job.id}"):
        st.markdown(f"**Job {job.id}: {plain(job.intent.action)} on {len(job.intent.hosts)} host(s)**")
        st.caption(
            f"asked by {plain(job.requested_by)} · {duration(item.age_s)} ago · "
            f"expires {when(item.expires_at, zone)} (in {duration(item.expires_in_s)})"
        )
        if item.risk and item.risk.line:
            colour = {"high": "red", "elevated": "orange"}.get(item.risk.level, "green")
            st.markdown(f"{chip(item.risk.level.upper() + ' RISK', colour)} {plain(item.risk.line)}")
        critical = set(item.risk.critical) if item.risk else set()
        prod = {b.environment for b in item.risk.badges if b.production} if item.risk else set()
        for env, hosts in sorted(item.hosts_by_env.items()):
            names = ", ".join(f"{plain(h)} {chip('critical', 'red')}" if h in critical else plain(h) for h in hosts)
            st.markdown(f"{chip(env, 'red' if env in prod else 'blue')} ({len(hosts)}): {names}")
        options = [f"{k}: {intent[k]}" for k in _SHOWN_OPTIONS if intent.get(k) not in (None, [], "", False)]
        if options:
            st.markdown("Options: " + plain("; ".join(str(o) for o in options)))
        st.markdown(f"Start: {plain(when(job.not_before, zone) if job.not_before else 'as soon as approved')}")
        problem = st.session_state.pop(f"problem-{job.id}", None)
        if item.yours:
            st.info("You asked for this job: another approver must decide on it.")
            return
        st.text_input("Reason (required to reject)", key=f"reason-{job.id}", max_chars=2000)
        if problem:
            st.error(plain(problem))
        left, right = st.columns(2)
        left.button(
            "Approve", key=f"approve-{job.id}", type="primary", on_click=_decide, args=(make_client, job.id, True)
        )
        right.button("Reject", key=f"reject-{job.id}", on_click=_decide, args=(make_client, job.id, False))
