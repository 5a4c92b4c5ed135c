"""Wire the agent: a model (OpenAI-compatible or the offline rule model), the tools, the two gates, a checkpointer.

Same loop, tools and validation for both models.
"""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langgraph.types import Checkpointer

from agent.check import ProposalCheck
from agent.gate import ConfirmationGate, PolicyGate
from agent.offline import OfflineRuleModel, ReaderContext
from agent.prompts import SYSTEM_PROMPT
from agent.state import ChatState
from core.settings import Settings
from tools import MODEL_TOOLS
from tools.context import ToolContext


def make_model(settings: Settings) -> BaseChatModel:
    """ChatOpenAI against settings.llm when configured, else the offline rule model."""
    if not settings.llm_enabled:
        return OfflineRuleModel()
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm.base_url,
        api_key=settings.llm.api_key,
        model=settings.llm.model,
        timeout=settings.llm.timeout_s,
        temperature=0,
        max_retries=1,
    )


def build_agent(model: BaseChatModel, checkpointer: Checkpointer) -> Any:
    """The compiled agent graph; invoke with ``context=ToolContext`` and a ``thread_id``."""
    return create_agent(
        model,
        tools=MODEL_TOOLS,
        system_prompt=SYSTEM_PROMPT,
        middleware=[PolicyGate(), ReaderContext(), ProposalCheck(), ConfirmationGate()],
        state_schema=ChatState,
        context_schema=ToolContext,
        checkpointer=checkpointer,
        name="patchpilot",
    )
