"""Agent benchmarks: offline turn latency over the public cases, model calls per turn on the OpenAI path."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.checkpoint import memory_checkpointer
from agent.context import build_context
from agent.graph import build_agent, make_model
from agent.offline import OfflineRuleModel
from agent.session import ChatSession
from bench.fake_openai import FakeOpenAI
from core.settings import Settings

SIMPLE = ["Patch web-prod-01.", "What's the status of job 42?", "Reboot the prod cache servers."]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_turn_latency(cases: Path | None = None, inventory_path: Path | None = None) -> dict[str, Any]:
    """p50/p95 offline turn latency (ms) over the cases, and model calls per simple turn on the OpenAI path."""
    from core.inventory import Inventory
    from evals.intents import load_cases

    root = Path(__file__).resolve().parents[1] / "evals"
    cases = cases or root / "intents.jsonl"
    inventory = Inventory.load(inventory_path or cases.with_name("inventory.yaml"))
    settings = Settings()
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    session = ChatSession(build_agent(OfflineRuleModel(), memory_checkpointer()))
    ctx = build_context(settings, inventory, user="bench", now=now)
    timings: list[float] = []
    for n, case in enumerate(load_cases(cases)):
        for turn in case.get("turns") or [case["utterance"]]:
            t0 = time.perf_counter()
            session.send(ctx, f"b{n}", turn)
            timings.append((time.perf_counter() - t0) * 1000)
    fake = FakeOpenAI(inventory)
    with fake.running():
        llm = Settings.model_validate({"llm": {"base_url": fake.base_url, "api_key": "bench", "model": "fake"}})
        openai = ChatSession(build_agent(make_model(llm), memory_checkpointer()))
        calls: list[int] = []
        for n, text in enumerate(SIMPLE):
            before = len(fake.requests)
            openai.send(build_context(llm, inventory, user="bench", now=now), f"o{n}", text)
            calls.append(len(fake.requests) - before)
    return {
        "turns": len(timings),
        "offline_p50_ms": round(statistics.median(timings), 2),
        "offline_p95_ms": round(_pct(timings, 0.95), 2),
        "openai_model_calls_per_simple_turn": max(calls),
    }
