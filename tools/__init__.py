"""Thin LangChain tools: typed arguments, a docstring written for the model, one service call.

The user's identity, DB connection, inventory and settings come from the
runtime context (tools.context.ToolContext), never from the model.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.intent import decline_request, propose_intent
from tools.inventory import refresh_inventory
from tools.jobs import cancel_job, explain_job, job_status
from tools.targets import list_hosts, resolve_targets_tool

MODEL_TOOLS: list[BaseTool] = [
    propose_intent,
    job_status,
    cancel_job,
    explain_job,
    list_hosts,
    refresh_inventory,
    resolve_targets_tool,
    decline_request,
]
