r"""Server and user text made safe to show: inert Markdown, excerpts.

Streamlit and Gradio render Markdown; text from hosts, the model or a curator must not
become live HTML, load a remote image, or carry a ``javascript:`` link.

>>> inert_markdown("<script>alert(1)</script> **bold**")
'&lt;script&gt;alert(1)&lt;/script&gt; **bold**'
>>> inert_markdown("run `du 2>/dev/null` then <b>x</b>")
'run `du 2>/dev/null` then &lt;b&gt;x&lt;/b&gt;'
>>> inert_markdown("see ![pixel](http://evil.example/p.png) and [x](javascript:alert(1))")
'see image: pixel (http://evil.example/p.png) and x (javascript:alert(1))'
>>> excerpt("a" * 10, 5)
'aaaa…'
"""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_UNSAFE_LINK = re.compile(r"\[([^\]]*)\]\(\s*((?:javascript|data|vbscript):[^)]*\)?)\)", re.I)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
# Code fences and inline code spans: Markdown shows their content literally (entities would show as "&lt;").
_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.S)
# ANSI sequences first: their ESC is also a control character, and would leave "[0;32m" behind.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    r"""Drop ANSI colour codes and control characters (keeps newlines and tabs).

    >>> clean("\x1b[0;32mok: [web-1]\x1b[0m\tdone\x07")
    'ok: [web-1]\tdone'
    """
    return _CONTROL.sub("", text)


def inert_markdown(text: str) -> str:
    """Markdown whose HTML is shown as text, with images and script links turned into plain text."""
    parts = _CODE.split(clean(text))
    for i in range(0, len(parts), 2):  # even parts are prose, odd parts are code
        prose = _AUTOLINK.sub(r"\1", parts[i])
        prose = prose.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        prose = _IMAGE.sub(r"image: \1 (\2)", prose)
        parts[i] = _UNSAFE_LINK.sub(r"\1 (\2)", prose)
    return "".join(parts)


def with_breaks(markdown: str) -> str:
    r"""Keep the line breaks of a chat reply (Markdown joins single newlines into one paragraph).

    >>> with_breaks("Patch 2 hosts\nStarts: now")
    'Patch 2 hosts  \nStarts: now'
    """
    return re.sub(r"(?<!\n)\n(?!\n)", "  \n", markdown)


_SETEXT = re.compile(r"^(\s*)([-=])(\2{2,}\s*)$", re.M)


def report_markdown(text: str) -> str:
    r"""Server prose for ``st.markdown``: inert, line breaks kept, and a ``----``/``====`` underline
    (dnf's ``Error Summary``) kept as text instead of turning the line above into a heading.

    >>> report_markdown("Error Summary\n-------------\nDisk: 1")
    'Error Summary  \n\\-------------  \nDisk: 1'
    """
    return with_breaks(_SETEXT.sub(r"\1\\\2\3", inert_markdown(text)))


def plain(text: str) -> str:
    r"""Text shown as Markdown but meant literally: every Markdown control character escaped.

    >>> plain("*not bold* <b>")
    '\\*not bold\\* &lt;b&gt;'
    """
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", text)


def excerpt(text: str, limit: int = 300) -> str:
    """At most ``limit`` characters of ``text`` (whitespace runs collapsed), marked when cut."""
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
