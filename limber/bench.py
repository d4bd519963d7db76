"""What every benchmark script measures the same way: percentiles, the machine, memory, load."""

from __future__ import annotations

import math
import os
import platform
import statistics
from pathlib import Path

__all__ = ["ONE_MESSAGE_QUESTIONS", "load_average", "machine", "percentiles", "rss_mb", "seed_index"]

ROOT = Path(__file__).resolve().parent.parent

# Questions whose every reply fits one Telegram message, so a bot killed mid-reply cannot
# leave half an answer (the kill campaign and the restart tests send these).
ONE_MESSAGE_QUESTIONS = [
    "How do I stretch tight hip flexors?",
    "What stretches help sciatica?",
    "/help",
    "Why does my SI joint hurt?",
    "hello",
    "How can I loosen tight hamstrings?",
]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank), mean and count of latencies in milliseconds (NaN if none)."""
    ordered = sorted(samples_ms)
    if not ordered:
        return {"p50_ms": math.nan, "p95_ms": math.nan, "p99_ms": math.nan, "mean_ms": math.nan, "count": 0}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": statistics.fmean(ordered),
        "count": len(ordered),
    }


def machine() -> dict[str, object]:
    """The facts a result is read against: Python, CPU architecture and count, the system."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "system": platform.platform(),
    }


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (this one by default) in MiB; NaN where /proc cannot tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return math.nan
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: a benchmark on a busy machine says so."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def seed_index(given: Path | None, scratch: Path) -> Path:
    """The index a script serves: ``given``, or the seed corpus built into ``scratch``
    (with the project's embedding cache, so a warm machine embeds nothing)."""
    if given is not None:
        return given
    from index.build import build_index

    index = scratch / "index"
    build_index(ROOT / "corpus", index, cache_dir=ROOT / "var" / "cache", show_progress=False)
    return index
