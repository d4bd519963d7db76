"""Synthetic FAISS scale benchmark: when should Limber move from exact to approximate search?

Not a test. For each size (``--sizes``, default 10k,100k,1M) it stores random
unit vectors of dimension 384 (all-MiniLM-L6-v2's size) and measures, per index
type:

* ``flat``  IndexFlatIP, exact inner product (= cosine on unit vectors);
* ``hnsw``  IndexHNSWFlat, inner product, M=32, efConstruction as shipped (index/store.py), efSearch 64/128;
* ``ivf``   IndexIVFFlat, inner product, nlist = 4*sqrt(n), nprobe 8/16/32.

Reported: build seconds (all cores), bytes per passage (length of
``faiss.serialize_index``, and the RSS growth while building), single-query
latency p50/p95 in ms (one query per ``search`` call, FAISS limited to ONE
thread with ``faiss.omp_set_num_threads(1)``, as a bot answering one question
would see), recall@10 against exact search, and src@10: how often the stored
vector a query was made from is in the top 10.

Queries are perturbed copies of stored vectors (vector + Gaussian noise of norm
``--noise``, renormalised; 0.5 gives cosine ~0.9 to the source), because with
purely random queries every neighbour is equally far and ANN recall means
nothing. Uniform random vectors have no cluster structure, which is the hardest
case for HNSW and IVF: real sentence embeddings are clustered and usually get
higher recall at the same settings, so read the recall here as a lower bound.
``--data clustered`` adds crude topic structure (clusters of ~100 vectors).
``--vectors FILE.npy`` runs the same measurements on real embeddings (e.g. a
corpus embedded with the bot's model), with ``--query-vectors`` as real queries.

HNSW builds slowly: before building at a size, the build time is extrapolated
from the previous size (n log n); if it exceeds ``--hnsw-budget`` seconds the
build is retried at M/2 if that fits, else skipped, and the output says why.

    python scripts/scale_faiss.py --sizes 10k,100k,1M --json /tmp/scale_faiss.json
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import faiss
import numpy as np

from index.store import HNSW_EF_CONSTRUCTION
from limber.bench import rss_mb

DIM = 384
K = 10
CLUSTER_SIZE = 100  # --data clustered: mean vectors per cluster
CLUSTER_NOISE = 1.0  # --data clustered: noise norm around a unit centre
# HNSW build time at M=16 over M=32 (measured at efC=40, d=384, 2 cores), measured at 20k vectors: ~0.65.
HNSW_HALF_M_COST = 0.65


@dataclass
class Row:
    n: int
    index: str
    params: str
    build_s: float
    bytes_per_passage: float  # serialized index size / n
    rss_per_passage: float  # RSS growth while building / n (allocator-dependent, indicative)
    p50_ms: float
    p95_ms: float
    recall_at_10: float
    src_at_10: float


@dataclass
class Report:
    data: str
    dim: int
    queries: int
    noise: float
    build_threads: int
    search_threads: int
    faiss_version: str
    machine: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- data


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def random_corpus(n: int, dim: int, rng: np.random.Generator, clustered: bool) -> np.ndarray:
    """n random unit vectors, float32, generated in chunks to keep peak memory low.

    Uniform by default. ``clustered``: n/CLUSTER_SIZE random centres, each vector a
    centre plus Gaussian noise of norm CLUSTER_NOISE (cosine ~0.7 to its centre,
    ~0.5 to its cluster mates, ~0 to the rest), a crude stand-in for topics.
    """
    centres = unit_rows(rng.standard_normal((max(1, n // CLUSTER_SIZE), dim), dtype=np.float32))
    sigma = CLUSTER_NOISE / math.sqrt(dim)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        chunk = rng.standard_normal((stop - start, dim), dtype=np.float32)
        if clustered:
            chunk = centres[rng.integers(len(centres), size=stop - start)] + chunk * sigma
        out[start:stop] = unit_rows(chunk)
    return out


def perturbed_queries(
    corpus: np.ndarray, count: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` stored vectors plus noise of norm ~``noise``, renormalised; and their rows."""
    sources = rng.choice(len(corpus), size=count, replace=False)
    sigma = noise / math.sqrt(corpus.shape[1])
    jitter = rng.standard_normal((count, corpus.shape[1]), dtype=np.float32) * sigma
    return unit_rows(corpus[sources] + jitter), sources


def exact_top_k(corpus: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    _, ids = faiss.knn(queries, corpus, k, metric=faiss.METRIC_INNER_PRODUCT)
    return ids


# ---------------------------------------------------------------- measuring


def release_free_memory() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS growth measures the index."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_bytes() -> int:
    return int(rss_mb() * 2**20)


def timed_build(
    make: Callable[[], faiss.Index], corpus: np.ndarray, threads: int
) -> tuple[faiss.Index, float, int]:
    """Build with ``threads`` threads; returns (index, seconds, RSS growth in bytes)."""
    faiss.omp_set_num_threads(threads)
    release_free_memory()
    before = rss_bytes()
    started = time.perf_counter()
    index = make()
    if not index.is_trained:
        index.train(training_sample(corpus, index))
    index.add(corpus)
    return index, time.perf_counter() - started, rss_bytes() - before


def training_sample(corpus: np.ndarray, index: faiss.Index) -> np.ndarray:
    """At most 64 points per IVF list: enough for k-means, and it keeps 1M training short."""
    nlist = faiss.extract_index_ivf(index).nlist
    size = min(len(corpus), 64 * nlist)
    return corpus[:size]  # the corpus is random, so its head is a random sample


def serialized_size(index: faiss.Index) -> int:
    return int(faiss.serialize_index(index).nbytes)


def single_query_search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query per call on one thread; returns (ids, per-query seconds)."""
    faiss.omp_set_num_threads(1)
    for query in queries[:5]:  # warm caches and lazily built structures
        index.search(query[None, :], k)
    ids = np.empty((len(queries), k), dtype=np.int64)
    seconds = np.empty(len(queries))
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, ids[i] = index.search(query[None, :], k)
        seconds[i] = time.perf_counter() - started
    return ids, seconds


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def source_at_k(found: np.ndarray, sources: np.ndarray) -> float:
    return float(np.mean([s in f for f, s in zip(found, sources, strict=True)]))


# ---------------------------------------------------------------- index types


@dataclass
class Case:
    """One index to build, and the search-time settings to sweep on it."""

    name: str
    build_params: str
    make: Callable[[], faiss.Index]
    sweep: list[tuple[str, Callable[[faiss.Index], None]]]


def flat_case(dim: int) -> Case:
    return Case("flat", "exact", lambda: faiss.IndexFlatIP(dim), [("", lambda _: None)])


def hnsw_case(dim: int, m: int, ef_search: list[int]) -> Case:
    def make() -> faiss.Index:
        index: faiss.IndexHNSWFlat = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return index

    def setter(ef: int) -> Callable[[faiss.Index], None]:
        def set_ef(index: faiss.Index) -> None:
            hnsw = cast(faiss.IndexHNSWFlat, faiss.downcast_index(index))  # what make() built
            hnsw.hnsw.efSearch = ef

        return set_ef

    sweep = [(f"efSearch={ef}", setter(ef)) for ef in ef_search]
    return Case("hnsw", f"M={m} efC={HNSW_EF_CONSTRUCTION}", make, sweep)


def ivf_nlist(n: int) -> int:
    return max(1, round(4 * math.sqrt(n)))


def ivf_case(n: int, dim: int, nprobe: list[int]) -> Case:
    nlist = ivf_nlist(n)

    def make() -> faiss.Index:
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.max_points_per_centroid = 64  # faiss's Python wrapper keeps quantizer alive
        return index

    def setter(probes: int) -> Callable[[faiss.Index], None]:
        return lambda index: setattr(index, "nprobe", probes)

    sweep = [(f"nprobe={p}", setter(p)) for p in nprobe]
    return Case("ivf", f"nlist={nlist}", make, sweep)


def predicted_hnsw_seconds(history: dict[int, float], n: int) -> float | None:
    """Extrapolate HNSW build time from the largest size built so far, as n log n."""
    if not history:
        return None
    known = max(history)
    return history[known] * (n * math.log(n)) / (known * math.log(known))


def plan_hnsw(
    n: int, dim: int, args: argparse.Namespace, history: dict[int, float], notes: list[str]
) -> Case | None:
    """The HNSW case to run at size n, or None (with a note saying why) if it would be too slow."""
    predicted = predicted_hnsw_seconds(history, n)
    if predicted is None or predicted <= args.hnsw_budget:
        return hnsw_case(dim, args.hnsw_m, args.ef_search)
    half = max(4, args.hnsw_m // 2)
    if predicted * HNSW_HALF_M_COST <= args.hnsw_budget:
        notes.append(
            f"n={n:,}: HNSW M={args.hnsw_m} build predicted {predicted:.1f}s > budget "
            f"{args.hnsw_budget:.0f}s (n log n from n={max(history):,}); built with M={half}."
        )
        return hnsw_case(dim, half, args.ef_search)
    notes.append(
        f"n={n:,}: HNSW skipped: build predicted {predicted:.1f}s at M={args.hnsw_m} "
        f"(~{predicted * HNSW_HALF_M_COST:.1f}s at M={half}) > budget {args.hnsw_budget:.1f}s."
    )
    return None


# ---------------------------------------------------------------- running


def run_case(
    case: Case,
    corpus: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    sources: np.ndarray,
    build_threads: int,
) -> Iterator[Row]:
    index, build_s, rss_growth = timed_build(case.make, corpus, build_threads)
    size = serialized_size(index)
    n = len(corpus)
    for label, apply in case.sweep:
        apply(index)
        found, seconds = single_query_search(index, queries, K)
        yield Row(
            n=n,
            index=case.name,
            params=" ".join(p for p in (case.build_params, label) if p),
            build_s=round(build_s, 2),
            bytes_per_passage=round(size / n, 1),
            rss_per_passage=round(rss_growth / n, 1),
            p50_ms=round(float(np.percentile(seconds, 50)) * 1e3, 3),
            p95_ms=round(float(np.percentile(seconds, 95)) * 1e3, 3),
            recall_at_10=round(recall_at_k(found, truth), 4),
            src_at_10=round(source_at_k(found, sources), 4),
        )
    del index
    gc.collect()


def load_unit_vectors(path: Path) -> np.ndarray:
    vectors = np.load(path).astype(np.float32, copy=True)
    if vectors.ndim != 2 or len(vectors) < 1_000:
        raise SystemExit(f"error: {path}: need a 2-D array of at least 1,000 vectors")
    return unit_rows(vectors)


def benchmark_data(
    n: int, args: argparse.Namespace, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(corpus, queries, sources): random at size n, or the --vectors file."""
    if args.vectors is None:
        corpus = random_corpus(n, args.dim, rng, clustered=args.data == "clustered")
        return corpus, *perturbed_queries(corpus, args.queries, args.noise, rng)
    corpus = load_unit_vectors(args.vectors)
    if args.query_vectors is None:
        return corpus, *perturbed_queries(corpus, args.queries, args.noise, rng)
    questions = load_unit_vectors(args.query_vectors)
    if questions.shape != corpus.shape:
        raise SystemExit("error: --query-vectors must have one row per --vectors row")
    sources = rng.choice(len(corpus), size=min(args.queries, len(corpus)), replace=False)
    return corpus, questions[sources], sources


def run_size(n: int, args: argparse.Namespace, report: Report, hnsw_history: dict[int, float]) -> None:
    rng = np.random.default_rng(args.seed + n)
    started = time.perf_counter()
    corpus, queries, sources = benchmark_data(n, args, rng)
    n, dim = corpus.shape
    report.dim = dim
    faiss.omp_set_num_threads(report.build_threads)
    truth = exact_top_k(corpus, queries, K)
    log(f"n={n:,}: data and ground truth in {time.perf_counter() - started:.1f}s")
    cases: list[Case] = []
    for kind in args.types:
        if kind == "flat":
            cases.append(flat_case(dim))
        elif kind == "ivf":
            cases.append(ivf_case(n, dim, args.nprobe))
        elif (case := plan_hnsw(n, dim, args, hnsw_history, report.notes)) is not None:
            cases.append(case)
        else:
            log(report.notes[-1])
    for case in cases:
        for row in run_case(case, corpus, queries, truth, sources, report.build_threads):
            report.rows.append(row)
            log(f"  {row.index:5} {row.params:28} build {row.build_s:7.1f}s  p50 {row.p50_ms}ms")
            if case.name == "hnsw" and case.build_params.startswith(f"M={args.hnsw_m} "):
                hnsw_history[n] = row.build_s


# ---------------------------------------------------------------- output


COLUMNS = [
    ("n", "{:>9,}"),
    ("index", "{:<5}"),
    ("params", "{:<28}"),
    ("build_s", "{:>8.2f}"),
    ("bytes_per_passage", "{:>8.0f}"),
    ("rss_per_passage", "{:>8.0f}"),
    ("p50_ms", "{:>8.3f}"),
    ("p95_ms", "{:>8.3f}"),
    ("recall_at_10", "{:>7.3f}"),
    ("src_at_10", "{:>7.3f}"),
]
HEADERS = [
    "n",
    "index",
    "params",
    "build s",
    "B/pass",
    "RSS/pass",
    "p50 ms",
    "p95 ms",
    "R@10",
    "src@10",
]


def table(rows: list[Row]) -> str:
    if not rows:
        return "(no results)"
    widths = [len(fmt.format(getattr(rows[0], name))) for name, fmt in COLUMNS]
    cells = zip(HEADERS, widths, strict=True)
    head = "  ".join(h.ljust(w) if h in ("index", "params") else h.rjust(w) for h, w in cells)
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append("  ".join(fmt.format(getattr(row, name)) for name, fmt in COLUMNS))
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 10k, 100k, 1M)") from exc
    if value < 1_000:
        raise argparse.ArgumentTypeError(f"size {value} too small: use at least 1k")
    return value


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k,1M", type=lambda s: [parse_size(p) for p in s.split(",")]
    )
    parser.add_argument(
        "--types",
        default="flat,hnsw,ivf",
        type=lambda s: [t.strip() for t in s.split(",")],
        help="comma list of flat, hnsw, ivf",
    )
    parser.add_argument("--data", choices=["uniform", "clustered"], default="uniform", help="default uniform")
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.5, help="query noise norm (default 0.5)")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-search", type=int_list, default=[64, 128])
    parser.add_argument("--nprobe", type=int_list, default=[8, 16, 32])
    parser.add_argument("--hnsw-budget", type=float, default=300.0, help="max predicted HNSW build seconds")
    parser.add_argument(
        "--vectors",
        type=Path,
        default=None,
        help="benchmark this .npy (n x dim) instead of random data; --sizes is then ignored",
    )
    parser.add_argument(
        "--query-vectors",
        type=Path,
        default=None,
        help=".npy with one query per --vectors row (row i is answered by vector i); "
        "default: perturbed copies",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    unknown = set(args.types) - {"flat", "hnsw", "ivf"}
    if unknown:
        parser.error(f"unknown index type(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report(
        data=args.data,
        dim=args.dim,
        queries=args.queries,
        noise=args.noise,
        build_threads=faiss.omp_get_max_threads(),
        search_threads=1,
        faiss_version=faiss.__version__,
        machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
    )
    started = time.perf_counter()
    hnsw_history: dict[int, float] = {}
    if args.vectors is not None:
        report.data = f"vectors from {args.vectors}"
        if args.query_vectors is not None:
            report.data += f", queries from {args.query_vectors}"
    for n in [0] if args.vectors is not None else sorted(args.sizes):
        run_size(n, args, report, hnsw_history)
    print(table(report.rows))
    print(
        f"\nsearch: 1 query per call, faiss.omp_set_num_threads(1); build: "
        f"{report.build_threads} threads. data: {report.data}, dim={report.dim}, "
        f"{args.queries} queries"
        + (
            ""
            if args.query_vectors is not None
            else f" = stored vectors + noise of norm {args.noise}, renormalised"
        )
        + ". "
        f"total {time.perf_counter() - started:.0f}s"
    )
    for note in report.notes:
        print(f"note: {note}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
