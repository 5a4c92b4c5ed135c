"""The LLM prompt and the tool descriptions quote no case from evals/ (the eval measures the model, not a crib)."""

from __future__ import annotations

import json
import re

from agent.prompts import SYSTEM_PROMPT
from core.inventory import Inventory
from tests.unit.agent_support import PROJECT_EVALS
from tools import MODEL_TOOLS


def _model_facing_text() -> str:
    parts = [SYSTEM_PROMPT]
    for tool in MODEL_TOOLS:
        parts += [tool.name, tool.description, json.dumps(tool.args)]
    return " ".join(parts).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9*%:#-]+", text.lower())


def test_no_eval_request_is_quoted() -> None:
    text = " ".join(_words(_model_facing_text()))
    for path in sorted(PROJECT_EVALS.glob("intents*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            for turn in case.get("turns") or [case["utterance"]]:
                words = _words(turn)
                for i in range(len(words) - 3):
                    four = " ".join(words[i : i + 4])
                    assert four not in text, (path.name, case["id"], four)


def test_no_inventory_name_is_quoted() -> None:
    text = _model_facing_text()
    for path in sorted(PROJECT_EVALS.glob("inventory*.yaml")):
        inv = Inventory.load(path)
        for host in inv.hosts:
            assert host.lower() not in text, (path.name, host)
