"""An LLM's guess for a failure the knowledge base does not know, labelled as unverified by the caller.

Only with an OpenAI-compatible model configured; the failure text is redacted
before it is sent, and a failing model call yields no suggestion, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from core.redact import redact

log = logging.getLogger(__name__)
MAX_INPUT = 4000
MAX_OUTPUT = 600
PROMPT = (
    "You help Linux operators. A patch run failed with the message below and no known fix exists. "
    "In at most three short sentences, say the most likely cause and the first command to check it. "
    "Do not invent facts about the host; never suggest disabling security controls."
)


def make_suggester(model: BaseChatModel) -> Callable[[str], str]:
    def suggest(failure: str) -> str:
        try:
            reply = model.invoke([SystemMessage(PROMPT), HumanMessage(redact(failure)[:MAX_INPUT])])
        except Exception:  # the explanation must not fail because the model did
            log.warning("no LLM suggestion: the model call failed", exc_info=True)
            return "(no suggestion: the model did not answer)"
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        return redact(" ".join(text.split()))[:MAX_OUTPUT] or "(no suggestion)"

    return suggest
