"""Benchmarks of the analyser and the KB (``make bench`` wires them; each returns a dict of figures).

- ``bench_analyse``: analyse a generated ~100 MB stdout (10,000 hosts) vs ``grep -c 'FAILED!'``
  on the same file: time ratio (target <= 40x) and the analyser's peak RSS (target <= 300 MB).
- ``bench_matching``: 10,000 failures against KBs of 100 and 10,000 entries (ratio target <= 3).
- ``bench_similarity``: nearest-neighbour latency p50/p95 over N vectors in pgvector, HNSW vs exact
  scan, and HNSW recall@1 (target >= 0.99).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from pgvector import Vector

from core.db import connect
from core.sql import Queries
from kb.embedder import HashingEmbedder
from kb.matcher import CompiledKb
from kb.seedfile import load_file

Q = Queries(__file__, "bench.sql")
SEED = Path(__file__).with_name("seed.yaml")
_STARS = "*" * 60
_FAIL = (
    'fatal: [{h}]: FAILED! => {{"changed": false, "failures": [], "msg": "Depsolve Error occurred: \\n Problem: '
    'cannot install the best update candidate for package openssl-1:3.0.7-24.el9.x86_64", "rc": 1, "results": []}}\n'
)


def generate_log(path: Path, size_mb: int = 100, hosts: int = 10_000, fail_every: int = 97) -> int:
    """Write a default-callback stdout of ``hosts`` hosts until ``size_mb``; return the failures written."""
    names = [f"host-{i:05d}.corp.example.com" for i in range(hosts)]
    failures = 0
    failed: set[int] = set()
    with path.open("w") as fh:
        fh.write(f"\nPLAY [Patch everything] {_STARS}\n")
        task = 0
        while fh.tell() < size_mb * 1024 * 1024:
            task += 1
            fh.write(f"\nTASK [Task number {task}] {_STARS}\n")
            for i, name in enumerate(names):
                if i in failed:
                    continue  # a failed host leaves the play, as in a real run
                if (i * 7919 + task) % (fail_every * 50) == 0:
                    fh.write(_FAIL.format(h=name))
                    failed.add(i)
                    failures += 1
                else:
                    fh.write(f"changed: [{name}]\n" if i % 3 else f"ok: [{name}]\n")
        fh.write(f"\nPLAY RECAP {_STARS}\n")
    return failures


def bench_analyse(size_mb: int = 100, hosts: int = 10_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stdout.txt"
        generate_log(path, size_mb, hosts)
        start = time.perf_counter()
        grep = subprocess.run(["grep", "-c", "FAILED!", str(path)], capture_output=True, text=True, check=False)
        grep_s = time.perf_counter() - start
        code = (
            "import json, resource, sys, time\n"
            "from kb.parser import parse_stdout\n"
            "t = time.perf_counter()\n"
            "with open(sys.argv[1], 'rb') as fh: a = parse_stdout(fh)\n"
            "print(json.dumps({'s': time.perf_counter() - t, 'failures': len(a.failures),"
            " 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
        )
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
        child = json.loads(out.stdout)
        return {
            "size_mb": round(path.stat().st_size / 2**20, 1),
            "hosts": hosts,
            "grep_s": round(grep_s, 3),
            "grep_count": int(grep.stdout.strip() or 0),
            "analyse_s": round(child["s"], 3),
            "failures": child["failures"],
            "ratio": round(child["s"] / grep_s, 1),
            "peak_rss_mb": round(child["rss_mb"], 1),
            "target": "ratio <= 40, peak_rss_mb <= 300",
        }


def _synthetic_kb(n: int, rng: random.Random) -> list[tuple[str, list[str], list[str]]]:
    _, seed = load_file(SEED)
    out = [(e["slug"], e["patterns"], e.get("modules", [])) for e in seed]
    words = ["daemon", "socket", "quota", "cgroup", "kernel", "driver", "vault", "token", "mirror", "agent"]
    while len(out) < n:
        i = len(out)
        a, b = rng.sample(words, 2)
        out.append((f"synthetic-{i}", [rf"{a} {b} failure code E{i:05d}\b", rf"unit-{i}\.service: {a} refused"], []))
    return out[:n]


def bench_matching(failures: int = 10_000, sizes: tuple[int, ...] = (100, 10_000)) -> dict[str, Any]:
    rng = random.Random(7)  # noqa: S311 - reproducible benchmark data, not security
    _, seed = load_file(SEED)
    texts = [s for e in seed for s in e["samples"]["match"]] + ["Timeout (12s) waiting for privilege escalation"]
    corpus = [rng.choice(texts) + f"\nhost-{i}" for i in range(failures)]
    out: dict[str, Any] = {"failures": failures}
    for size in sizes:
        start = time.perf_counter()
        kb = CompiledKb.build(_synthetic_kb(size, rng))
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        matched = sum(kb.match(t) is not None for t in corpus)
        out[f"kb_{size}"] = {
            "build_s": round(build_s, 3),
            "match_s": round(time.perf_counter() - start, 3),
            "matched": matched,
        }
    small, big = out[f"kb_{sizes[0]}"]["match_s"], out[f"kb_{sizes[-1]}"]["match_s"]
    out["ratio"] = round(big / small, 2) if small else None
    out["target"] = "ratio <= 3"
    return out


def bench_similarity(url: str, n: int = 100_000, queries: int = 200) -> dict[str, Any]:
    """Over a server URL: builds a throwaway database, ``n`` vectors, HNSW vs exact nearest neighbour."""
    from evals.failures import throwaway_database

    rng = np.random.default_rng(7)
    emb = HashingEmbedder()
    _, seed = load_file(SEED)
    base = emb.embed([s for e in seed for s in e["samples"]["match"]])

    def vector(k: int) -> np.ndarray[Any, Any]:
        # Sample-like vectors: a KB sample plus noise, so neighbours are realistic rather than uniform.
        noise = np.asarray(rng.normal(0, 0.02, base.shape[1]), dtype=np.float32)
        v: np.ndarray[Any, Any] = base[k % len(base)] + noise
        return v / float(np.linalg.norm(v))

    with throwaway_database(url) as db, connect(db) as conn:
        conn.execute(Q.create_table)
        start = time.perf_counter()
        with conn.cursor() as cur:
            for lo in range(0, n, 1000):
                cur.executemany(
                    Q.insert_vector, [{"id": i, "embedding": Vector(vector(i))} for i in range(lo, min(n, lo + 1000))]
                )
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute(Q.create_index)
        index_s = time.perf_counter() - start
        conn.commit()
        probes = [Vector(vector(int(rng.integers(0, n)))) for _ in range(queries)]
        timings: dict[str, list[float]] = {"hnsw": [], "exact": []}
        answers: dict[str, list[int]] = {"hnsw": [], "exact": []}
        for kind in ("hnsw", "exact"):
            for p in probes:
                with conn.transaction():
                    if kind == "exact":
                        conn.execute(Q.exact_scan)
                    t = time.perf_counter()
                    row = conn.execute(Q.nearest, {"vector": p}).fetchone()
                    timings[kind].append((time.perf_counter() - t) * 1000)
                    answers[kind].append(int(row["id"]) if row else -1)
        recall = sum(a == b for a, b in zip(answers["hnsw"], answers["exact"], strict=True)) / queries

    def pct(xs: list[float], q: float) -> float:
        return round(float(np.percentile(xs, q)), 2)

    return {
        "vectors": n,
        "load_s": round(load_s, 1),
        "index_build_s": round(index_s, 1),
        "hnsw_ms": {"p50": pct(timings["hnsw"], 50), "p95": pct(timings["hnsw"], 95)},
        "exact_ms": {"p50": pct(timings["exact"], 50), "p95": pct(timings["exact"], 95)},
        "hnsw_recall_at_1": round(recall, 4),
        "mean_speedup": round(statistics.mean(timings["exact"]) / statistics.mean(timings["hnsw"]), 1),
        "target": "hnsw_recall_at_1 >= 0.99",
    }


def run_all(url: str | None = None, similarity_n: int = 100_000) -> dict[str, Any]:
    out: dict[str, Any] = {"analyse": bench_analyse(), "matching": bench_matching()}
    if url:
        out["similarity"] = bench_similarity(url, similarity_n)
    print(json.dumps(out, indent=2))
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
