"""Keep the sign-in and the chat session for the browser tab's life: ``sessionStorage``, never the URL.

A reload starts a new Streamlit session with empty state; this small component
(Streamlit custom components v2: inline JS in the page, no iframe) hands the stored
token and chat session id back to Python, and stores them when they change. Closing
the tab forgets them; the token never appears in the address bar or a link.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

KEY = "patchpilot"
_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  const key = (data && data.key) || "patchpilot";
  if (data && data.clear) {
    window.sessionStorage.removeItem(key);
  } else if (data && data.save) {
    window.sessionStorage.setItem(key, JSON.stringify(data.save));
  }
  const raw = window.sessionStorage.getItem(key);
  const stored = raw ? raw : "";
  if (!data || data.seen !== stored) {
    setStateValue("stored", stored);
  }
}
"""

_component: Any = None


def _renderer() -> Any:
    global _component
    if _component is None:
        _component = st.components.v2.component("patchpilot_tab_store", html="<span></span>", js=_JS)
    return _component


def sync(save: dict[str, str] | None, *, clear: bool = False) -> dict[str, str] | None:
    """Store ``save`` (or forget everything with ``clear``) and return what the tab had stored.

    Returns None until the browser has answered (the first run after a reload), then the
    stored values (``{}`` when nothing is stored).
    """
    seen = st.session_state.get("_tab_store_seen")
    result = _renderer()(
        key="tab-store",
        data={"key": KEY, "save": save, "clear": clear, "seen": seen},
        default={"stored": None},
        on_stored_change=lambda: None,
        height=0,
    )
    raw = getattr(result, "stored", None)
    if raw is None:
        return None
    st.session_state["_tab_store_seen"] = raw
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
