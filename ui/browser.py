"""What the operator's browser tells the Streamlit app about itself."""

from __future__ import annotations

from datetime import tzinfo

import streamlit as st

from ui.job_view import zone_named


def browser_zone() -> tzinfo | None:
    """The browser's own time zone, shown beside the UTC times (None, outside a browser session too: UTC only)."""
    return zone_named(st.context.timezone)
