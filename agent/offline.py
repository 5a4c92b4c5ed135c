"""The offline rule model: a chat model that emits the same tool calls an LLM would, from a deterministic reading.

It runs in the same agent loop, with the same tools and validation, as a real
model; it only replaces the language understanding.

>>> from langchain_core.messages import HumanMessage
>>> m = OfflineRuleModel().bind_tools([{"type": "function", "function": {"name": "job_status"}}])
>>> m.invoke([HumanMessage("What's the status of job 42?")]).tool_calls[0]["args"]
{'job': 42}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from agent.reader.conversation import CLARIFY, decide
from agent.state import ChatState
from tools.context import ToolContext

_ids = itertools.count(1)


def _tool_name(tool: Any) -> str:
    if isinstance(tool, BaseTool):
        return tool.name
    if isinstance(tool, dict):
        return str(tool.get("function", tool).get("name", ""))
    return str(getattr(tool, "__name__", ""))


class OfflineRuleModel(BaseChatModel):
    """Deterministic stand-in for an LLM; calls only the tools it was bound to."""

    tool_names: frozenset[str] = frozenset()
    inventory: Any = None  # the turn's inventory, set by ReaderContext

    @property
    def _llm_type(self) -> str:
        return "patchpilot-offline-rules"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.model_copy(update={"tool_names": frozenset(_tool_name(t) for t in tools)})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        decision = decide(messages, self.inventory)
        if isinstance(decision, str):
            message = AIMessage(decision)
        elif decision[0] not in self.tool_names:
            message = AIMessage(CLARIFY)
        else:
            name, args = decision
            message = AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"offline_{next(_ids)}"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


class ReaderContext(AgentMiddleware[ChatState, ToolContext]):
    """Gives the offline model the turn's inventory (an LLM gets it through the tools instead)."""

    def wrap_model_call(
        self,
        request: ModelRequest[ToolContext],
        handler: Callable[[ModelRequest[ToolContext]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        model = request.model
        if isinstance(model, OfflineRuleModel) and request.runtime is not None:
            request = request.override(model=model.model_copy(update={"inventory": request.runtime.context.inventory}))
        return handler(request)
