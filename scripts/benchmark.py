"""Benchmark Limber against a plain baseline, in one run, on this machine.

    python scripts/benchmark.py [--index DIR] [--questions 400] [--json] [--skip-telegram] [--skip-build]

Measures, each in a fresh process so that numbers do not leak into each other:
  * cold start (process start to first answer) and index load time;
  * per-question latency p50/p95/p99 of the full pipeline (triage, encode, search,
    compose), and of repeated questions (LRU cache hits);
  * the same for the baseline: sentence-transformers (torch) encode plus a FAISS
    flat search of the same passage vectors, and the ratio between the two;
  * resident memory after load and after the run;
  * Telegram end to end: 1,000 messages from 100 chats through the real PTB
    application and a local fake Bot API server (answers/s, p95 update -> reply);
  * index build time of the seed corpus from nothing (model export included) and
    from the embedding cache.
Speed is reported here, never asserted by tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from limber.bench import machine, percentiles, rss_mb

ROOT = Path(__file__).resolve().parent.parent


def _questions(count: int) -> list[str]:
    """Distinct users' questions: the evaluation set, then reworded copies of it."""
    cases = (ROOT / "tests" / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    base = [json.loads(line)["question"] for line in cases if line.strip()]
    prefixes = ["", "please tell me: ", "quick question, ", "hey, ", "can you help: "]
    questions = [p + q for p in prefixes for q in base]
    return questions[:count]


# -- children: each measures itself in a clean process ----------------------------------------


def child_limber(index: Path, count: int, started: float) -> dict[str, object]:
    """Cold start, load time, latency and memory of Limber's own query path."""
    from bot.config import Settings
    from bot.service import open_pipeline

    load_started = time.time()
    pipeline = open_pipeline(Settings.from_env(index_dir=index))
    load_seconds = time.time() - load_started
    pipeline.answer("how do I stretch my hip flexors?")
    cold_start = time.time() - started
    rss_loaded = rss_mb()
    questions = _questions(count)
    latencies = []
    for question in questions:
        begin = time.perf_counter()
        pipeline.answer(question)
        latencies.append((time.perf_counter() - begin) * 1000)
    # Triage's own cost beyond the shared encode: rules plus the classifier on a ready vector,
    # and the sentence reading (one more model run) for the messages that get it.
    from bot.triage import assess

    vectors = [pipeline.retriever.encode(q) for q in questions]
    encode_spans = pipeline.retriever.index.encoder.encode_spans
    triage_ms = []
    for question, vector in zip(questions, vectors, strict=True):
        begin = time.perf_counter()
        assess(question, vector, encode_spans=encode_spans)
        triage_ms.append((time.perf_counter() - begin) * 1000)
    cached = []
    for question in questions[:100]:
        begin = time.perf_counter()
        pipeline.answer(question)
        cached.append((time.perf_counter() - begin) * 1000)
    return {
        "cold_start_s": cold_start,
        "index_load_s": load_seconds,
        "latency": percentiles(latencies),
        "latency_cached": percentiles(cached),
        "triage_beyond_encode": percentiles(triage_ms),
        "rss_after_load_mb": rss_loaded,
        "rss_after_run_mb": rss_mb(),
        "torch_imported": "torch" in sys.modules,
    }


def child_baseline(index: Path, count: int, started: float) -> dict[str, object]:
    """Plain sentence-transformers encode plus FAISS flat search of the same vectors."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import faiss
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from index.embed import packaged_model_path

    load_started = time.time()
    model = SentenceTransformer(str(packaged_model_path()), device="cpu")
    vectors = np.load(index / "vectors.npy")
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    load_seconds = time.time() - load_started
    model.encode(["warm up"], normalize_embeddings=True)
    cold_start = time.time() - started
    rss_loaded = rss_mb()
    latencies = []
    for question in _questions(count):
        begin = time.perf_counter()
        query = model.encode([question], normalize_embeddings=True)
        flat.search(np.asarray(query, dtype=np.float32), 10)
        latencies.append((time.perf_counter() - begin) * 1000)
    return {
        "cold_start_s": cold_start,
        "index_load_s": load_seconds,
        "latency": percentiles(latencies),
        "rss_after_load_mb": rss_loaded,
        "rss_after_run_mb": rss_mb(),
    }


# Telegram's own limits (the defaults), and limits raised as a self-hosted Bot API server allows:
# the first shows the bot spends the budget on answers, the second what the bot itself can do.
TELEGRAM_LIMITS = {
    "telegram_limits": {},
    "raised_limits": {"overall_max_rate": 10_000.0, "per_chat_max_rate": 1_000.0},
}


def child_telegram(index: Path, messages: int, chats: int) -> dict[str, object]:
    """Messages answered per second through the real PTB application and a fake Bot API."""
    import asyncio

    from bot.config import Settings
    from bot.service import open_pipeline
    from limber.fake_bot_api import drive_load

    pipeline = open_pipeline(Settings.from_env(index_dir=index))
    questions = _questions(400)
    results: dict[str, object] = {}
    for name, limits in TELEGRAM_LIMITS.items():
        report = asyncio.run(
            drive_load(pipeline, questions=questions, messages=messages, chats=chats, settings=limits)
        )
        results[name] = {
            "messages": report.messages,
            "chats": report.chats,
            "replies": report.replies,
            "seconds": report.seconds,
            "answers_per_second": report.answers_per_second,
            "p50_update_to_reply_ms": report.percentile_ms(0.50),
            "p95_update_to_reply_ms": report.percentile_ms(0.95),
            "requests": report.requests,
        }
    return results


def _run_child(kind: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, *args, "--started", repr(time.time())]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} benchmark failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _build_times() -> dict[str, float]:
    """Seed build from nothing (model export included), then again from the cache."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable,
            str(ROOT / "scripts" / "build_index.py"),
            "--quiet",
            "--corpus",
            str(ROOT / "corpus"),
            "--out",
            f"{scratch}/index",
            "--cache",
            f"{scratch}/cache",
        ]
        timings = {}
        for label in ("seed_build_cold_s", "seed_build_cached_s"):
            begin = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=1800)
            timings[label] = time.perf_counter() - begin
        return timings


# -- report -------------------------------------------------------------------------------------


def _print_table(result: dict[str, Any]) -> None:
    limber, baseline = result["limber"], result["baseline"]
    print(f"machine: {result['machine']}")
    print(f"{'':34}{'Limber':>12}{'baseline':>12}")
    rows = [
        ("cold start (s)", limber["cold_start_s"], baseline["cold_start_s"]),
        ("index load (s)", limber["index_load_s"], baseline["index_load_s"]),
        ("latency p50 (ms)", limber["latency"]["p50_ms"], baseline["latency"]["p50_ms"]),
        ("latency p95 (ms)", limber["latency"]["p95_ms"], baseline["latency"]["p95_ms"]),
        ("latency p99 (ms)", limber["latency"]["p99_ms"], baseline["latency"]["p99_ms"]),
        ("RSS after load (MB)", limber["rss_after_load_mb"], baseline["rss_after_load_mb"]),
        ("RSS after run (MB)", limber["rss_after_run_mb"], baseline["rss_after_run_mb"]),
    ]
    for name, ours, theirs in rows:
        print(f"{name:34}{ours:>12.2f}{theirs:>12.2f}")
    print(f"{'p50 ratio Limber / baseline':34}{result['p50_ratio']:>12.2f}")
    print(f"{'cached question p50 (ms)':34}{limber['latency_cached']['p50_ms']:>12.3f}")
    triage = limber["triage_beyond_encode"]
    print(f"{'triage beyond the encode p50/p99':34}{triage['p50_ms']:>8.3f} / {triage['p99_ms']:.3f} ms")
    print(f"questions: {limber['latency']['count']} (full pipeline: triage, encode, search, compose)")
    if "telegram" in result:
        for name, report in result["telegram"].items():
            print(f"telegram end to end, {name.replace('_', ' ')}:")
            for key, value in report.items():
                shown = f"{value:.2f}" if isinstance(value, float) else value
                print(f"  {key:32}{shown}")
    if "build" in result:
        for key, value in result["build"].items():
            print(f"{key:34}{value:>12.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("LIMBER_INDEX_DIR", "var/index")))
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-telegram", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--child", choices=["limber", "baseline", "telegram"], help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    index = args.index.resolve()
    if args.child:
        runners = {
            "limber": lambda: child_limber(index, args.questions, args.started),
            "baseline": lambda: child_baseline(index, args.questions, args.started),
            "telegram": lambda: child_telegram(index, args.messages, args.chats),
        }
        print(json.dumps(runners[args.child]()))
        return 0
    if not (index / "manifest.json").is_file():
        print(f"error: no index at {index}; build it with: python scripts/build_index.py", file=sys.stderr)
        return 2
    common = ["--index", str(index), "--questions", str(args.questions)]
    # Any: each child's JSON report (nested dicts of numbers), printed or dumped as it is.
    result: dict[str, Any] = {"machine": machine()}
    result["limber"] = _run_child("limber", *common)
    result["baseline"] = _run_child("baseline", *common)
    result["p50_ratio"] = result["limber"]["latency"]["p50_ms"] / result["baseline"]["latency"]["p50_ms"]
    if not args.skip_telegram:
        result["telegram"] = _run_child(
            "telegram", "--index", str(index), "--messages", str(args.messages), "--chats", str(args.chats)
        )
    if not args.skip_build:
        result["build"] = _build_times()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
