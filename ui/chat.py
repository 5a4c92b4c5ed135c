"""The operator's chat (Streamlit): ``streamlit run ui/chat.py`` or ``patchpilot chat-ui``.

Talks to the REST API only, through ``ui.client``. Decisions live in ``ui.chat_logic``;
this script keeps state in ``st.session_state`` and draws.
"""

from __future__ import annotations

import uuid

import streamlit as st

from core.settings import get_settings
from ui.chat_job import job_panel
from ui.chat_logic import Conversation, confirmation_card, job_label, valid_message
from ui.client import ApiClient, ApiError, client_for
from ui.text import inert_markdown, plain, with_breaks

PLACEHOLDER = "Ask patchpilot, e.g. patch the staging web servers tonight, security only"


def _state() -> Conversation:
    if "conversation" not in st.session_state:
        st.session_state.conversation = Conversation()
        st.session_state.session_id = uuid.uuid4().hex
    conv: Conversation = st.session_state.conversation
    return conv


def _client() -> ApiClient:
    token = (st.session_state.get("token") or "").strip()
    return client_for(get_settings(), token=token or None)


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
    try:
        with _client() as client:
            conv.confirmed(client.confirm(st.session_state.session_id, conv.pending.token))
    except ApiError as exc:
        if exc.status_code == 409:
            conv.stale(exc.detail)
        else:
            conv.notice = exc.detail


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


# --- drawing ----------------------------------------------------------------------------------


def _sidebar() -> None:
    with st.sidebar:
        st.text_input(
            "API token",
            key="token",
            type="password",
            max_chars=200,
            help="Your patchpilot token: 'patchpilot users token NAME', or $PATCHPILOT_HOME/demo-tokens.json locally",
        )
        if not (st.session_state.get("token") or "").strip():
            st.caption("Sign in with your API token to chat and see your jobs.")
            return
        try:
            with _client() as client:
                me = client.me()
                st.caption(f"Signed in as {plain(me.name)} ({plain(', '.join(me.roles))})")
                st.subheader("Your recent jobs")
                jobs = client.list_jobs(requested_by=me.name, limit=10).items
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
    card = confirmation_card(conv.pending)
    with st.container(border=True, key="confirmation"):
        st.markdown(f"**Please confirm: {plain(card.action)} on {card.host_count} host(s)**")
        if card.summary:
            st.markdown(with_breaks(inert_markdown(card.summary)))
        for env, hosts in card.groups:
            st.markdown(f"**{plain(env)}** ({len(hosts)}): {plain(', '.join(hosts))}")
        for label, value in card.options:
            st.markdown(f"- {plain(label)}: {plain(value)}")
        st.markdown(f"🕒 {plain(card.schedule)}")
        if card.approval_note:
            st.warning(card.approval_note)
        left, right = st.columns(2)
        left.button("Confirm", key="confirm", type="primary", on_click=_confirm, width="stretch")
        right.button("Cancel", key="cancel", on_click=_cancel, width="stretch")


def main() -> None:
    st.set_page_config(page_title="patchpilot chat", page_icon="🩹", layout="centered")
    conv = _state()
    _sidebar()
    st.title("patchpilot")
    prompt = st.chat_input(PLACEHOLDER, max_chars=4000, key="prompt")
    if prompt is not None:
        message, problem = valid_message(str(prompt))
        if message is None:
            conv.notice = problem
        else:
            _send(message)
    for turn in conv.turns:
        with st.chat_message(turn.role):
            if turn.role == "user":
                st.text(turn.text)
            else:
                st.markdown(with_breaks(inert_markdown(turn.text)))
    if conv.notice:
        st.error(plain(conv.notice))
    _card(conv)
    if conv.job_id is not None:
        job_panel(conv.job_id, _client)


main()
