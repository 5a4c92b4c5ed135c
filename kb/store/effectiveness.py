"""How well the KB works: per entry hits, last seen, hosts fixed by a retry; unmatched failures over time.

Read from ``ops.failures`` (every analysed failure and its entry) and ``ops.job_hosts`` (per-host
results): a host counts as fixed by an entry when a later job (higher id) ended ``ok``/``changed``
on it. Also rendered for Prometheus with bounded labels: at most ``TOP_ENTRIES`` slugs.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kb.store import repository as repo

TOP_ENTRIES = 50  # label cardinality bound for /metrics: the most-hit entries; the rest summed as "(other)"


def empty_stats() -> dict[str, Any]:
    return {"hits": 0, "similar_hits": 0, "last_seen": None, "hosts": 0, "fixed_hosts": [], "fixed_host_count": 0}


def stats_for(conn: repo.Conn, slugs: list[str]) -> dict[str, dict[str, Any]]:
    """``slug -> {hits, similar_hits, last_seen, hosts, fixed_hosts (first 50), fixed_host_count}``."""
    rows = repo.entry_stats(conn, slugs) if slugs else {}
    out = {}
    for slug in slugs:
        r = rows.get(slug)
        if r is None:
            out[slug] = empty_stats()
            continue
        out[slug] = {
            "hits": int(r["hits"]),
            "similar_hits": int(r["similar_hits"]),
            "last_seen": r["last_seen"].isoformat() if r["last_seen"] else None,
            "hosts": int(r["hosts"]),
            "fixed_hosts": list(r["fixed_hosts"]),
            "fixed_host_count": len(r["fixed_hosts"]),
        }
    return out


def unmatched_trend(conn: repo.Conn, days: int = 30) -> list[dict[str, Any]]:
    """Unmatched failures and distinct groups per day, newest first."""
    return [
        {"day": r["day"].date().isoformat(), "failures": int(r["failures"]), "groups": int(r["groups"])}
        for r in repo.unmatched_over_time(conn, days)
    ]


class _Snapshot(Collector):
    def __init__(self, top: list[repo.Row], unmatched_today: int) -> None:
        self.top = top
        self.unmatched_today = unmatched_today

    def collect(self) -> Any:
        hits = GaugeMetricFamily("patchpilot_kb_entry_hits", "Failures answered by a KB entry", labels=["slug"])
        fixed = GaugeMetricFamily(
            "patchpilot_kb_entry_fixed_hosts",
            "Hosts where a later job succeeded after the entry's fix",
            labels=["slug"],
        )
        other_hits = other_fixed = 0
        for i, r in enumerate(self.top):
            if i < TOP_ENTRIES:
                hits.add_metric([r["slug"]], float(r["hits"]))
                fixed.add_metric([r["slug"]], float(r["fixed_hosts"]))
            else:
                other_hits += int(r["hits"])
                other_fixed += int(r["fixed_hosts"])
        if len(self.top) > TOP_ENTRIES:
            hits.add_metric(["(other)"], float(other_hits))
            fixed.add_metric(["(other)"], float(other_fixed))
        yield hits
        yield fixed
        yield GaugeMetricFamily(
            "patchpilot_kb_unmatched_failures_latest_day",
            "Unmatched failures on the latest day with any",
            value=float(self.unmatched_today),
        )


def prometheus_text(conn: repo.Conn) -> bytes:
    """KB effectiveness in the Prometheus text format (appended to the API's /metrics)."""
    top = repo.top_entry_stats(conn, 10_000)
    trend = repo.unmatched_over_time(conn, 1)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(top, int(trend[0]["failures"]) if trend else 0))
    return generate_latest(registry)
