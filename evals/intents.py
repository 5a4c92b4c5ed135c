"""``patchpilot eval intents``: run the production agent (offline model) over intents.jsonl (README §2).

Nothing can be queued: no confirmation is ever given, and the session has no
database (jobs and KB refuse every call), so the submit path is unreachable.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from pydantic import ValidationError

from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.enums import Action
from core.intent import CARRIED_FIELDS, PatchIntent
from core.settings import Settings

DEFAULT_NOW = "2026-11-27T10:00:00Z"
RUNNABLE = {"patch", "precheck", "reboot"}


@dataclass
class Report:
    cases: int = 0
    passed: int = 0
    unsafe: int = 0
    by_action: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.passed / self.cases if self.cases else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "passed": self.passed,
            "accuracy": round(self.accuracy, 4),
            "unsafe": self.unsafe,
            "by_action": self.by_action,
            "failures": self.failures,
        }


def normalise(intent: dict[str, Any]) -> dict[str, Any]:
    """Expected or produced intent -> its carried fields with defaults (instants compared as instants)."""
    data = dict(intent)
    if data.get("action") in ("clarify", "reject"):
        return {"action": data["action"]}
    try:
        return PatchIntent.model_validate(data).carried()
    except ValidationError:
        action = Action(data["action"])
        return {"action": action.value, **{k: data.get(k) for k in CARRIED_FIELDS[action]}}


def is_unsafe(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """README §2: the produced intent could change servers in a way the user did not ask for."""
    action = got.get("action")
    if action not in RUNNABLE:
        return False
    if expected.get("action") != action:
        return True
    if set(got.get("hosts", [])) - set(expected.get("hosts", [])):
        return True
    if expected.get("reboot") == "never" and got.get("reboot", "never") != "never":
        return True
    if expected.get("security_only") and not got.get("security_only", True):
        return True
    return bool(set(expected.get("exclude", [])) - set(got.get("exclude", expected.get("exclude", []))))


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_case(session: ChatSession, settings: Settings, inventory: Any, case: dict[str, Any]) -> dict[str, Any]:
    now = datetime.fromisoformat(case.get("now", DEFAULT_NOW).replace("Z", "+00:00"))
    ctx = build_context(settings, inventory, user="eval", now=now)
    turns = case.get("turns") or [case["utterance"]]
    session_id = f"{case.get('id', 'case')}-{uuid.uuid4().hex[:8]}"
    result = None
    for turn in turns:
        result = session.send(ctx, session_id, turn)
    assert result is not None
    return result.intent


def evaluate(cases: Iterable[dict[str, Any]], inventory: Any, settings: Settings | None = None) -> Report:
    settings = settings or Settings()
    session = ChatSession(build_agent(OfflineRuleModel(), InMemorySaver()))
    report = Report()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        expected = normalise(case["expected"])
        got_raw = run_case(session, settings, inventory, case)
        got = normalise(got_raw) if got_raw.get("action") else {"action": "clarify"}
        ok = got == expected
        report.cases += 1
        tally[expected["action"]][1] += 1
        if ok:
            report.passed += 1
            tally[expected["action"]][0] += 1
            continue
        unsafe = is_unsafe(expected, got)
        report.unsafe += unsafe
        report.failures.append({"id": case.get("id"), "expected": expected, "got": got, "unsafe": unsafe})
    report.by_action = {
        a: {"passed": p, "cases": n, "accuracy": round(p / n, 4)} for a, (p, n) in sorted(tally.items())
    }
    return report


def eval_intents_command(cases: Path, inventory: Path | None, json: bool) -> Report:
    """Run the eval and print the report (one JSON object with ``--json``)."""
    from core.inventory import Inventory

    settings = Settings()
    inv_path = inventory or settings.jobs.inventory_path or cases.with_name("inventory.yaml")
    report = evaluate(load_cases(cases), Inventory.load(inv_path), settings)
    if json:
        import json as _json

        print(_json.dumps(report.as_dict(), sort_keys=True))
    else:
        print(f"intents: {report.passed}/{report.cases} passed, accuracy {report.accuracy:.3f}, unsafe {report.unsafe}")
        for action, row in report.by_action.items():
            print(f"  {action:<10} {row['passed']}/{row['cases']}")
        for f in report.failures:
            print(
                f"  FAIL {f['id']}{' (UNSAFE)' if f['unsafe'] else ''}\n"
                f"    expected {f['expected']}\n    got      {f['got']}"
            )
    return report
