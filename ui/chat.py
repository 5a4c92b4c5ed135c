"""The operator's chat (Streamlit): ``streamlit run ui/chat.py`` or ``patchpilot chat-ui``.

Talks to the REST API only, through ``ui.client``. Decisions live in ``ui.chat_logic`` and
``ui.job_view``; this script keeps state in ``st.session_state`` and draws: the conversation
on the left, the followed job (or an approver's queue) beside it on the right.
"""

from __future__ import annotations

import uuid

import streamlit as st

from core.settings import get_settings
from ui import tab_store
from ui.browser import browser_zone
from ui.chat_approvals import approval_queue
from ui.chat_job import job_panel
from ui.chat_logic import Capabilities, Conversation, capabilities, confirmation_card, valid_message
from ui.client import ApiClient, ApiError, client_for
from ui.job_view import chip, job_label
from ui.models import Me
from ui.text import plain, report_markdown

PLACEHOLDER = "Ask patchpilot, e.g. patch the staging web servers tonight, security only"
RISK_COLOURS = {"high": "red", "elevated": "orange", "low": "green"}


def _state() -> Conversation:
    if "conversation" not in st.session_state:
        st.session_state.conversation = Conversation()
        st.session_state.session_id = uuid.uuid4().hex
    conv: Conversation = st.session_state.conversation
    return conv


def _client() -> ApiClient:
    token = (st.session_state.get("token") or "").strip()
    return client_for(get_settings(), token=token or None)


def _restore_tab(conv: Conversation) -> None:
    """After a reload: the token, chat session and followed job this tab had (sessionStorage)."""
    token = (st.session_state.get("token") or "").strip()
    save = None
    if token:
        save = {"token": token, "session_id": st.session_state.session_id, "job_id": str(conv.job_id or "")}
    stored = tab_store.sync(save, clear=bool(st.session_state.pop("signed_out", False)))
    if stored is None or token or not stored.get("token"):
        return
    st.session_state.token = stored["token"]
    st.session_state.session_id = stored.get("session_id") or st.session_state.session_id
    if (stored.get("job_id") or "").isdigit():
        conv.job_id = int(stored["job_id"])
    st.session_state.restore_history = True
    st.rerun()


def _me() -> Me | None:
    if not (st.session_state.get("token") or "").strip():
        return None
    try:
        with _client() as client:
            return client.me()
    except ApiError as exc:
        st.session_state.sign_in_problem = exc.detail
        return None


# --- callbacks (run before the rerun that draws their effect) ---------------------------------


def _send(message: str) -> None:
    conv = _state()
    conv.said(message)
    try:
        with _client() as client:
            conv.answered(client.chat(st.session_state.session_id, message))
    except ApiError as exc:
        conv.notice = exc.detail


def _confirm() -> None:
    conv = _state()
    if conv.pending is None:
        return
    card = confirmation_card(conv.pending)
    if not card.may_confirm(st.session_state.get("typed_count")):
        conv.notice = f"Type {card.confirm_phrase} (the number of hosts) to confirm this high-risk proposal."
        return
    try:
        with _client() as client:
            typed = card.confirm_phrase and str(st.session_state.get("typed_count") or "").strip()
            conv.confirmed(client.confirm(st.session_state.session_id, conv.pending.token, typed or None))
    except ApiError as exc:
        if exc.status_code == 409:
            conv.stale(exc.detail)
        else:
            conv.notice = exc.detail
    st.session_state.view = "job"


def _cancel() -> None:
    conv = _state()
    if conv.pending is None:
        return
    try:
        with _client() as client:
            client.cancel_pending(st.session_state.session_id)
    except ApiError as exc:
        conv.notice = f"The server could not drop the proposal ({exc.detail}); it was not run."
    conv.cancelled()


def _follow(job_id: int) -> None:
    _state().job_id = job_id
    st.session_state.view = "job"


def _show_queue() -> None:
    st.session_state.view = "approvals"


def _sign_out() -> None:
    for key in ("token", "conversation", "session_id", "view", "_tab_store_seen"):
        st.session_state.pop(key, None)
    st.session_state.signed_out = True


# --- drawing ----------------------------------------------------------------------------------


def _sidebar(me: Me | None, can: Capabilities | None) -> None:
    with st.sidebar:
        st.text_input(
            "API token",
            key="token",
            type="password",
            max_chars=200,
            help="Your patchpilot token: 'patchpilot users token NAME', or $PATCHPILOT_HOME/demo-tokens.json locally",
        )
        if me is None or can is None:
            problem = st.session_state.pop("sign_in_problem", None)
            st.caption(plain(problem) if problem else "Sign in with your API token to chat and see jobs.")
            return
        st.caption(f"Signed in as {plain(me.name)} ({plain(', '.join(me.roles))})")
        st.button("Sign out", key="sign-out", on_click=_sign_out)
        if can.approve:
            try:
                with _client() as client:
                    waiting = sum(1 for i in client.approvals().items if not i.yours)
            except ApiError:
                waiting = 0
            label = f"Approval queue ({waiting} waiting)" if waiting else "Approval queue"
            st.button(label, key="open-approvals", on_click=_show_queue, width="stretch")
        title = "Recent jobs" if can.see_all_jobs else "Your recent jobs"
        st.subheader(title)
        try:
            with _client() as client:
                who = None if can.see_all_jobs else me.name
                jobs = client.list_jobs(requested_by=who, limit=10).items
        except ApiError as exc:
            st.caption(plain(exc.detail))
            return
        if not jobs:
            st.caption("No jobs yet.")
        for job in jobs:
            st.button(job_label(job), key=f"recent-{job.id}", on_click=_follow, args=(job.id,), width="stretch")


def _card(conv: Conversation) -> None:
    if conv.pending is None:
        return
    card = confirmation_card(conv.pending, zone=browser_zone())
    with st.container(border=True, key="confirmation"):
        st.markdown(f"**Please confirm: {plain(card.action)} on {card.host_count} host(s)**")
        if card.risk_line:
            colour = RISK_COLOURS.get(card.risk_level, "orange")
            st.markdown(f"{chip(card.risk_level.upper() + ' RISK', colour)} {plain(card.risk_line)}")
        for group in card.groups:
            env = chip(group.environment, "red" if group.production else "blue")
            crit = set(group.critical)
            names = ", ".join(f"{plain(h)} {chip('critical', 'red')}" if h in crit else plain(h) for h in group.hosts)
            st.markdown(f"{env} ({len(group.hosts)}): {names}")
        for label, value in card.options:
            st.markdown(f"- {plain(label)}: {plain(value)}")
        st.markdown(plain(card.schedule))
        if card.approval_note:
            st.warning(card.approval_note)
        if card.confirm_phrase:
            st.text_input(
                f"High risk: type {card.confirm_phrase} (the number of hosts) to confirm",
                key="typed_count",
                max_chars=10,
            )
        ready = card.may_confirm(st.session_state.get("typed_count"))
        left, right = st.columns(2)
        left.button("Confirm", key="confirm", type="primary", on_click=_confirm, width="stretch", disabled=not ready)
        right.button("Cancel", key="cancel", on_click=_cancel, width="stretch")


def _conversation(conv: Conversation, can: Capabilities | None) -> None:
    reason = None if can is None else can.chat_disabled_reason
    if can is None:
        reason = "Sign in with your API token (left) to chat."
    history = st.container()
    if reason:
        st.info(reason)
    prompt = st.chat_input(reason or PLACEHOLDER, max_chars=4000, key="prompt", disabled=reason is not None)
    if prompt is not None and reason is None:
        message, problem = valid_message(str(prompt))
        if message is None:
            conv.notice = problem
        else:
            _send(message)
    with history:
        for turn in conv.turns:
            with st.chat_message(turn.role):
                if turn.role == "user":
                    st.text(turn.text)
                else:
                    st.markdown(report_markdown(turn.text))
        if conv.notice:
            st.error(plain(conv.notice))
        _card(conv)


def main() -> None:
    st.set_page_config(page_title="patchpilot chat", page_icon="🩹", layout="wide")
    conv = _state()
    _restore_tab(conv)
    me = _me()
    can = capabilities(me.roles) if me else None
    if me is not None and can is not None and can.chat and st.session_state.pop("restore_history", False):
        try:
            with _client() as client:
                conv.restored(client.history(st.session_state.session_id))
        except ApiError as exc:
            conv.notice = f"Could not restore the conversation: {exc.detail}"
    _sidebar(me, can)
    st.title("patchpilot")
    left, right = st.columns([3, 2], gap="large")
    with left:
        _conversation(conv, can)
    with right:
        if me is not None and can is not None and can.approve and st.session_state.get("view") == "approvals":
            approval_queue(_client, me.name)
        elif me is not None and conv.job_id is not None:
            job_panel(conv.job_id, _client, conv, can_cancel=can is not None and can.chat)
        elif me is not None:
            st.caption("The job you confirm or pick from the list is shown here, live.")


main()
