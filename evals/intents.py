"""``patchpilot eval intents``: run the production agent (offline model) over intents.jsonl (README §2).

Each case may carry ``"class"`` (what kind of request it is; ``unclassified`` when absent) and
``"inventory"`` (which inventory it is written against). An inventory name is looked up beside the cases
file: ``demo`` is ``inventory.yaml``, any other name ``N`` is ``inventory<N>.yaml``, ``N.yaml`` or ``N``
(so ``inv2`` finds ``inventory2.yaml``); ``--inventory NAME=PATH`` names one explicitly and
``--inventory PATH`` sets the one for cases without the key. The report gives accuracy and unsafe counts
overall, per class and per expected action.

Nothing can be queued: no confirmation is ever given, and the session has no
database (jobs and KB refuse every call), so the submit path is unreachable.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.checkpoint import memory_checkpointer
from agent.context import build_context
from agent.graph import build_agent
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from core.enums import Action
from core.errors import ValidationFailed
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
    by_class: dict[str, dict[str, Any]] = field(default_factory=dict)
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
            "by_class": self.by_class,
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
    """The cases of a JSONL file; a missing file or a line that is not JSON is a ValidationFailed naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValidationFailed(f"cannot read cases file {path}: {exc.strerror}; pass --cases PATH") from exc
    cases: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValidationFailed(f"{path}:{n} is not JSON: {exc.msg}") from exc
    return cases


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


def _tally(rows: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    return {
        k: {"passed": p, "cases": n, "accuracy": round(p / n, 4), "unsafe": u} for k, (p, n, u) in sorted(rows.items())
    }


def evaluate(
    cases: Iterable[dict[str, Any]],
    inventory: Any,
    settings: Settings | None = None,
    inventories: Mapping[str, Any] | None = None,
) -> Report:
    """Run every case; a case naming an ``inventory`` runs against ``inventories[name]``."""
    settings = settings or Settings()
    session = ChatSession(build_agent(OfflineRuleModel(), memory_checkpointer()))
    report = Report()
    actions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    classes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case in cases:
        name = case.get("inventory")
        inv = inventory if name is None else (inventories or {}).get(name)
        if inv is None:
            raise ValidationFailed(f"case {case.get('id')} names inventory {name!r}, which was not given")
        expected = normalise(case["expected"])
        got_raw = run_case(session, settings, inv, case)
        got = normalise(got_raw) if got_raw.get("action") else {"action": "clarify"}
        ok = got == expected
        unsafe = not ok and is_unsafe(expected, got)
        report.cases += 1
        report.passed += ok
        report.unsafe += unsafe
        for row in (actions[expected["action"]], classes[str(case.get("class") or "unclassified")]):
            row[0] += ok
            row[1] += 1
            row[2] += unsafe
        if not ok:
            report.failures.append(
                {"id": case.get("id"), "class": case.get("class"), "expected": expected, "got": got, "unsafe": unsafe}
            )
    report.by_action = _tally(actions)
    report.by_class = _tally(classes)
    return report


def find_inventory(cases: Path, name: str) -> Path:
    """The inventory file a case's ``inventory`` name means, beside the cases file (see the module docstring)."""
    names = ["inventory.yaml"] if name == "demo" else []
    digits = name.removeprefix("inv")
    names += [f"inventory{digits}.yaml", f"inventory_{name}.yaml", f"{name}.yaml", name]
    for candidate in names:
        path = cases.parent / candidate
        if path.is_file():
            return path
    raise ValidationFailed(
        f"no inventory file for {name!r} beside {cases} (tried {', '.join(names)}); pass --inventory {name}=PATH"
    )


def load_inventories(cases: Path, loaded: list[dict[str, Any]], given: Mapping[str, Path]) -> dict[str, Any]:
    from core.inventory import Inventory

    names = {str(c["inventory"]) for c in loaded if c.get("inventory")}
    return {n: Inventory.load(given.get(n) or find_inventory(cases, n)) for n in sorted(names)}


def _print(report: Report) -> None:
    print(f"intents: {report.passed}/{report.cases} passed, accuracy {report.accuracy:.3f}, unsafe {report.unsafe}")
    for title, rows in (("by action", report.by_action), ("by class", report.by_class)):
        print(f" {title}:")
        for key, row in rows.items():
            print(f"  {key:<22} {row['passed']:>4}/{row['cases']:<4} {row['accuracy']:.3f}  unsafe {row['unsafe']}")
    for f in report.failures:
        print(
            f"  FAIL {f['id']}{' (UNSAFE)' if f['unsafe'] else ''}\n"
            f"    expected {f['expected']}\n    got      {f['got']}"
        )


def eval_intents_command(cases: Path, inventory: Sequence[str] | Path | None, json: bool) -> Report:
    """Run the eval and print the report (one JSON object with ``--json``).

    ``inventory``: ``PATH`` (cases without an ``inventory`` key) and/or ``NAME=PATH`` entries.
    """
    from core.inventory import Inventory

    settings = Settings()
    entries = [str(inventory)] if isinstance(inventory, Path) else list(inventory or [])
    named = {k: Path(v) for k, _, v in (e.partition("=") for e in entries if "=" in e)}
    plain = [Path(e) for e in entries if "=" not in e]
    inv_path = (plain[-1] if plain else None) or settings.jobs.inventory_path or cases.with_name("inventory.yaml")
    loaded = load_cases(cases)
    if not inv_path.is_file() and any(not c.get("inventory") for c in loaded):
        raise ValidationFailed(
            f"inventory file {inv_path} does not exist (cases without an 'inventory' key run against it); "
            "pass --inventory PATH"
        )
    report = evaluate(loaded, Inventory.load(inv_path), settings, load_inventories(cases, loaded, named))
    if json:
        import json as _json

        print(_json.dumps(report.as_dict(), sort_keys=True))
    else:
        _print(report)
    return report
