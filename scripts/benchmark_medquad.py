"""Benchmark Limber on MedQuAD (16k answers) end to end, in one run, on this machine.

    python scripts/benchmark_medquad.py [PATH=../shared/data/medquad] [--work DIR]
        [--sample 2000] [--seed 7] [--json]

1. Import MedQuAD (scripts/import_medquad.py) and build its index from an EMPTY
   embedding cache, with the progress bar: seconds (ingest / model / embed / store),
   passages kept and dropped by reason, texts embedded and token lengths.
2. Add one small new document (a .txt of two paragraphs) and rebuild with the same
   cache; then rebuild with no change. Seconds and texts embedded for each.
3. Retrieval quality on a seeded sample of MedQuAD questions: the right answer is the
   passage of that very question; if ingest dropped it as a (near) duplicate, the
   passage it duplicates (chains followed) is right; any kept passage with the same
   text is right too. Questions whose passage was dropped for another reason (link
   list, fragment...) are excluded and counted. recall@1, recall@10 and MRR@10 for
   BM25 alone, dense alone and the shipped hybrid; per-query latency p50/p95 (the
   retriever's answer cache is off, so repeated questions are not free).
4. FAISS on the real passage vectors with the sampled questions' embeddings as
   queries: exact IndexFlatIP vs HNSW (M=32, efConstruction as shipped, efSearch
   64/128/256) vs IVF (nlist ~ 4*sqrt(n), nprobe 8/32). Build seconds (all cores),
   single-query latency (one thread), recall@10 against exact, bytes per passage;
   and whether index.store.EXACT_SEARCH_LIMIT (200k) holds.

``--work DIR`` keeps everything in a fresh ``run-*`` folder inside DIR; by default a
temporary folder is used and deleted. A missing PATH is a one-line error, exit 2.
Speed is reported here, never asserted by tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from index.modes import RetrievalMode
from index.store import HNSW_EF_CONSTRUCTION, HNSW_M
from limber.bench import load_average, machine, percentiles

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "medquad"
EXIT_USAGE = 2
K = 10
DUPLICATE_REASONS = frozenset({"duplicate", "near duplicate"})
MODES = (RetrievalMode.LEXICAL, RetrievalMode.DENSE, RetrievalMode.HYBRID)
EF_SEARCH = (64, 128, 256)
NPROBE = (8, 32)
NEW_DOCUMENT = (
    "Plantar fasciitis is an irritation of the thick band of tissue along the sole of the foot; "
    "its typical sign is a stabbing heel pain with the first steps after waking up.\n"
    "Calf and plantar fascia stretches, cushioned shoes and a pause from running or jumping ease "
    "it in most people within several months, without surgery.\n"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_script(name: str) -> ModuleType:
    """A sibling script (scripts/ is not a package) imported as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 of ``seconds``, in milliseconds, rounded for the report."""
    found = percentiles([s * 1000 for s in seconds])
    return {key: round(found[key], 2) for key in ("p50_ms", "p95_ms")}


@contextmanager
def stopwatch(sink: dict[str, Any], key: str) -> Iterator[None]:
    """Time the block into ``sink[key]`` (seconds), with the machine load at its end."""
    started = time.perf_counter()
    yield
    sink[key] = round(time.perf_counter() - started, 2)
    sink[f"{key}_load"] = load_average()


# -- 1. import and build ------------------------------------------------------------------------


def import_corpus(importer: ModuleType, path: Path, run_dir: Path) -> tuple[dict[str, Any], Path, Path]:
    """MedQuAD -> run_dir/corpus/medquad.jsonl and run_dir/questions.jsonl (outside the corpus)."""
    corpus, questions = run_dir / "corpus", run_dir / "questions.jsonl"
    result: dict[str, Any] = {}
    with stopwatch(result, "seconds"):
        stats = importer.import_medquad(path, corpus / "medquad.jsonl", questions, None)
    result.update(
        files=stats.files_read,
        malformed=stats.files_malformed,
        passages=stats.pairs_written,
        empty_answers=sum(stats.skipped.values()),
    )
    return result, corpus, questions


def build(corpus: Path, index: Path, cache: Path, *, progress: bool) -> dict[str, Any]:
    """One build; seconds, the build's own phase timings, what was kept, dropped and embedded."""
    from index.build import build_index

    report = build_index(corpus, index, cache_dir=cache, show_progress=progress)
    return {
        "seconds": round(report.seconds, 2),
        "load": load_average(),
        "phases": {name: round(value, 2) for name, value in report.timings.items()},
        "kept": len(report.ingest.passages),
        "dropped": len(report.ingest.dropped),
        "dropped_by_reason": report.ingest.dropped_by_reason(),
        "embedded": report.embedded,
        "cached": report.cached,
        "windowed": getattr(report, "windowed", None),  # passages embedded in windows (newer builds)
        "faiss_index": report.manifest.data.get("faiss_index"),
    }


def _windowed_tokens(rows: list[dict[str, Any]], counts: list[int], encoder: Any) -> list[int]:
    """Tokens the model would read per text if long passages were split into windows as the build
    intends (index.build._windows): one entry per text to embed."""
    from index.build import _windows

    limit = encoder.max_tokens
    texts: list[int] = []
    for row, count in zip(rows, counts, strict=True):
        if count <= limit:
            texts.append(count)
        else:
            windows = _windows(tuple(row["sentences"] or [row["text"]]), encoder)
            texts += [min(n, limit) for n in encoder.count_tokens_many(windows)]
    return texts


def token_profile(index_dir: Path, embed_seconds: float) -> dict[str, Any]:
    """Where embedding time goes: real token lengths, and what long passages cost either way.

    ``over_window_seen_by_build`` is how many long passages the build's own Encoder.count_tokens
    sees as long, i.e. windows (before commit f81149a it counted after truncation: none). Costs
    are the paragraph texts only, as embedded for corpora over SENTENCE_VECTOR_LIMIT passages.
    """
    from index.embed import Encoder

    encoder = Encoder(index_dir / "model")  # counts tokens before truncation
    limit = encoder.max_tokens
    rows = [json.loads(line) for line in (index_dir / "passages.jsonl").open(encoding="utf-8")]
    counts = encoder.count_tokens_many([r["text"] for r in rows])
    ordered = sorted(counts) or [0]
    over = [c for c in counts if c > limit]
    windowed = _windowed_tokens(rows, counts, encoder)
    truncated_tokens = sum(min(c, limit) for c in counts)
    seen_by_build = len(over)  # the build counts with the same untruncated tokenizer
    # Tokens this build embedded: windows if it windowed the long passages, else truncated passages.
    rate = (sum(windowed) if seen_by_build else truncated_tokens) / max(embed_seconds, 1e-9)
    return {
        "passages": len(counts),
        "tokens_mean": round(sum(counts) / max(1, len(counts)), 1),
        "tokens_p50": ordered[len(ordered) // 2],
        "tokens_p90": ordered[int(0.9 * (len(ordered) - 1))],
        "tokens_max": ordered[-1],
        "over_window": len(over),
        "over_window_seen_by_build": seen_by_build,
        "tokens_beyond_window_share": round(sum(c - limit for c in over) / max(1, sum(counts)), 3),
        "embed_tokens_per_s": round(rate),
        "truncated": {
            "texts": len(counts),
            "tokens": truncated_tokens,
            "embed_seconds_est": round(truncated_tokens / max(rate, 1e-9), 1),
        },
        "windowed": {
            "texts": len(windowed),
            "tokens": sum(windowed),
            "embed_seconds_est": round(sum(windowed) / max(rate, 1e-9), 1),
        },
    }


def rebuilds(corpus: Path, index: Path, cache: Path) -> dict[str, Any]:
    """Add one new two-paragraph .txt and rebuild; rebuild with nothing changed; the --if-stale check."""
    (corpus / "zz_benchmark_note.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    added = build(corpus, index, cache, progress=False)
    unchanged = build(corpus, index, cache, progress=False)
    check: dict[str, Any] = {}
    with stopwatch(check, "seconds"):
        check["current"] = load_script("build_index").index_is_current(index, corpus)
    return {"added_document": added, "no_change": unchanged, "if_stale_check": check}


# -- 3. retrieval quality -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One evaluated question: the passages that count as right, and those of every passage
    asked the very same question (MedQuAD asks some questions of several answers)."""

    id: str
    question: str
    right: frozenset[str]
    same_question: frozenset[str]


def read_questions(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def resolve(passage_id: str, kept: set[str], dropped: dict[str, dict[str, Any]]) -> tuple[str | None, str]:
    """The kept passage that answers for ``passage_id`` (following duplicate chains), or why none."""
    seen: set[str] = set()
    current = passage_id
    while current not in kept:
        entry = dropped.get(current)
        if entry is None or current in seen:
            return None, "not in the index"
        seen.add(current)
        if entry.get("reason") not in DUPLICATE_REASONS or not entry.get("duplicate_of"):
            return None, str(entry.get("reason"))
        current = str(entry["duplicate_of"])
    return current, ""


def right_answers(
    ids: list[str], passages: list[Any], dropped: list[dict[str, Any]]
) -> tuple[dict[str, frozenset[str]], Counter[str]]:
    """For each question id the set of kept passage ids that count as right; excluded ids by reason."""
    kept = {p.id for p in passages}
    by_text: dict[str, set[str]] = {}
    for passage in passages:
        by_text.setdefault(passage.text, set()).add(passage.id)
    text_of = {p.id: p.text for p in passages}
    dropped_by_id = {str(d["id"]): d for d in dropped}
    truth: dict[str, frozenset[str]] = {}
    excluded: Counter[str] = Counter()
    for question_id in ids:
        target, reason = resolve(question_id, kept, dropped_by_id)
        if target is None:
            excluded[reason] += 1
        else:
            truth[question_id] = frozenset(by_text[text_of[target]])
    return truth, excluded


def sample_questions(questions: list[dict[str, str]], size: int, seed: int) -> list[dict[str, str]]:
    """A fixed random sample (same seed and corpus, same questions), empty questions left out."""
    asked = [q for q in questions if q.get("question", "").strip()]
    return random.Random(seed).sample(asked, min(size, len(asked)))


def build_cases(
    questions: list[dict[str, str]], sample: list[dict[str, str]], passages: list[Any], dropped: list[Any]
) -> tuple[list[Case], Counter[str]]:
    """Evaluated cases of the sample, and the sampled questions excluded, by reason."""
    truth_all, _ = right_answers([q["id"] for q in questions], passages, dropped)
    by_question: dict[str, set[str]] = {}
    for q in questions:
        by_question.setdefault(q["question"], set()).update(truth_all.get(q["id"], ()))
    truth, excluded = right_answers([q["id"] for q in sample], passages, dropped)
    cases = [
        Case(q["id"], q["question"], truth[q["id"]], frozenset(by_question[q["question"]]))
        for q in sample
        if q["id"] in truth
    ]
    return cases, excluded


def rank_of(ranked: list[str], right: frozenset[str]) -> int | None:
    """1-based rank of the first right passage, or None."""
    return next((rank for rank, pid in enumerate(ranked, start=1) if pid in right), None)


def scores(ranks: list[int | None], k: int = K) -> dict[str, float]:
    """recall@1, recall@k and MRR@k of the first right passage's ranks (None: not found)."""
    total = max(1, len(ranks))
    within = [r for r in ranks if r is not None and r <= k]
    return {
        "recall@1": round(sum(r == 1 for r in within) / total, 4),
        f"recall@{k}": round(len(within) / total, 4),
        f"mrr@{k}": round(sum(1 / r for r in within) / total, 4),
    }


def run_modes(retrievers: dict[RetrievalMode, Any], cases: list[Case]) -> dict[str, dict[str, list]]:
    """Ranks (strict and same-question) and seconds per mode; modes alternate query by query,
    so that a change in the machine's load hits them alike."""
    runs: dict[str, dict[str, list]] = {m: {"ranks": [], "same": [], "seconds": []} for m in retrievers}
    for retriever in retrievers.values():
        retriever.search("warm up: what causes high blood pressure?", K)
    for case in cases:
        for mode, retriever in retrievers.items():
            started = time.perf_counter()
            result = retriever.search(case.question, K)
            runs[mode]["seconds"].append(time.perf_counter() - started)
            ranked = [s.passage.id for s in result.passages]
            runs[mode]["ranks"].append(rank_of(ranked, case.right))
            runs[mode]["same"].append(rank_of(ranked, case.same_question))
    return runs


def encoder_threads(encoder: Any) -> int | None:
    """Cores one query encoding may use (ONNX Runtime intra-op threads), if it can be read."""
    try:
        return int(encoder._session.get_session_options().intra_op_num_threads)
    except (AttributeError, TypeError, ValueError):
        return None


def quality(index_dir: Path, questions_path: Path, size: int, seed: int) -> tuple[dict[str, Any], Any, list]:
    """Metrics per mode; also the loaded index and the evaluated cases."""
    from index.search import Retriever

    base = Retriever.open(index_dir)
    loaded = base.index
    questions = read_questions(questions_path)
    sample = sample_questions(questions, size, seed)
    cases, excluded = build_cases(questions, sample, loaded.passages, loaded.manifest.data.get("dropped", []))
    # The answer cache is off: MedQuAD repeats questions, and a cache hit is not a search.
    retrievers = {m: Retriever(loaded, base.with_params(mode=m).params, cache_size=0) for m in MODES}
    runs = run_modes(retrievers, cases)
    result: dict[str, Any] = {
        "sampled": len(sample),
        "evaluated": len(cases),
        "excluded": dict(excluded.most_common()),
        "right_via_duplicate": sum(c.id not in c.right for c in cases),
        "ambiguous_questions": sum(len(c.same_question) > len(c.right) for c in cases),
        "encoder_threads": encoder_threads(loaded.encoder),
        "load": load_average(),
        "modes": {},
    }
    for mode, run in runs.items():
        result["modes"][mode] = {
            **scores(run["ranks"]),
            **percentiles_ms(run["seconds"]),
            "same_question": scores(run["same"]),
        }
        log(f"  {mode:8} {result['modes'][mode]}")
    return result, loaded, cases


# -- 4. FAISS on real vectors -------------------------------------------------------------------


def faiss_cases(scale: ModuleType, n: int, dim: int) -> list[Any]:
    """Flat, HNSW as shipped (efSearch swept), IVF with nlist ~ 4 sqrt(n) (nprobe swept)."""
    import faiss

    def make_hnsw() -> Any:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return index

    def ef(value: int) -> Any:
        return lambda index: setattr(index.hnsw, "efSearch", value)

    hnsw = scale.Case(
        "hnsw",
        f"M={HNSW_M} efC={HNSW_EF_CONSTRUCTION}",
        make_hnsw,
        [(f"efSearch={v}", ef(v)) for v in EF_SEARCH],
    )
    cases = [scale.flat_case(dim), hnsw]
    if n > scale.ivf_nlist(n):  # k-means needs at least one training point per list
        cases.append(scale.ivf_case(n, dim, list(NPROBE)))
    return cases


def faiss_choice(loaded: Any, cases: list[Case]) -> dict[str, Any]:
    """Index types compared on the passage vectors, with the sampled questions as queries."""
    import numpy as np

    scale = load_script("scale_faiss")
    vectors = np.ascontiguousarray(loaded.vectors, dtype=np.float32)
    queries = loaded.encoder.encode([c.question for c in cases])
    # Rows are windows; a long passage has several. src@10 looks for its opening window.
    sources = np.asarray([loaded.vector_spans[loaded.positions[min(c.right)]][0] for c in cases])
    threads = os.cpu_count() or 1
    scale.faiss.omp_set_num_threads(threads)
    truth = scale.exact_top_k(vectors, queries, K)
    rows = []
    for case in faiss_cases(scale, *vectors.shape):
        for row in scale.run_case(case, vectors, queries, truth, sources, threads):
            rows.append({**row.__dict__, "load": load_average()})
            log(
                f"  {row.index:5} {row.params:28} build {row.build_s}s p50 {row.p50_ms}ms "
                f"R@10 {row.recall_at_10}"
            )
    return {"n": len(vectors), "queries": len(queries), "rows": rows, "verdict": verdict(rows, len(vectors))}


def verdict(rows: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Exact search cost extrapolated to the 200k limit, and HNSW recall as shipped."""
    from index.store import EXACT_SEARCH_LIMIT

    flat = next(r for r in rows if r["index"] == "flat")
    shipped = next((r for r in rows if r["index"] == "hnsw" and r["params"].endswith("efSearch=128")), None)
    flat_at_limit = flat["p50_ms"] * EXACT_SEARCH_LIMIT / n  # a flat scan is linear in n
    return {
        "limit": EXACT_SEARCH_LIMIT,
        "flat_p50_ms_extrapolated_to_limit": round(flat_at_limit, 2),
        "flat_bytes_at_limit_mb": round(flat["bytes_per_passage"] * EXACT_SEARCH_LIMIT / 2**20, 1),
        "hnsw_shipped_recall_at_10": shipped["recall_at_10"] if shipped else None,
        "hnsw_shipped_p50_ms": shipped["p50_ms"] if shipped else None,
    }


# -- report -------------------------------------------------------------------------------------


def print_build(result: dict[str, Any]) -> None:
    imported, first, tokens = result["import"], result["build"], result["tokens"]
    print(
        f"import:  {imported['passages']:,} passages from {imported['files']:,} files "
        f"({imported['empty_answers']} empty answers skipped) in {imported['seconds']:.1f} s "
        f"[load {imported['seconds_load']}]"
    )
    print(
        f"build (empty cache): {first['seconds']:.1f} s [load {first['load']}]; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in first["phases"].items())
    )
    print(
        f"  kept {first['kept']:,}, dropped {first['dropped']:,}: "
        + (", ".join(f"{k} {v}" for k, v in first["dropped_by_reason"].items()) or "none")
    )
    embed_s = first["phases"].get("embed", 0.0)
    embedded = first["embedded"]
    print(
        f"  texts embedded {embedded:,} ({embedded / max(1, first['kept']):.2f} per kept passage, "
        f"{embedded / max(embed_s, 1e-9):.1f} texts/s); index {first['faiss_index']}"
    )
    print(
        f"  tokens per passage: mean {tokens['tokens_mean']}, p50 {tokens['tokens_p50']}, "
        f"p90 {tokens['tokens_p90']}, max {tokens['tokens_max']}"
    )
    seen = tokens["over_window_seen_by_build"]
    beyond = tokens["tokens_beyond_window_share"]
    print(
        f"  passages over 256 tokens: {tokens['over_window']:,} ({beyond:.1%} of all tokens lie beyond "
        f"the first 256); windowed by this build: {seen:,}"
        + ("" if seen else " (the rest of each is truncated, never embedded)")
    )
    cut, win = tokens["truncated"], tokens["windowed"]
    print(
        f"  embedding cost at this build's {tokens['embed_tokens_per_s']:,} tokens/s: truncated "
        f"{cut['texts']:,} texts, {cut['tokens']:,} tokens, ~{cut['embed_seconds_est']:.0f} s; windowed "
        f"{win['texts']:,} texts, {win['tokens']:,} tokens, ~{win['embed_seconds_est']:.0f} s"
    )
    for label, key in (("rebuild, +1 document", "added_document"), ("rebuild, no change", "no_change")):
        run = result["rebuilds"][key]
        print(
            f"{label}: {run['seconds']:.1f} s [load {run['load']}], embedded {run['embedded']}; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in run["phases"].items())
        )
    check = result["rebuilds"]["if_stale_check"]
    print(
        f"build_index.py --if-stale on the unchanged corpus: {check['seconds']:.1f} s "
        f"[load {check['seconds_load']}] (index current: {check['current']})"
    )


def print_quality(quality_result: dict[str, Any]) -> None:
    q = quality_result
    print(
        f"\nretrieval: {q['evaluated']:,} of {q['sampled']:,} sampled questions "
        f"(excluded: {q['excluded'] or 'none'}); right via a (near) duplicate: {q['right_via_duplicate']}; "
        f"question also asked of another answer: {q['ambiguous_questions']}; query encoder threads: "
        f"{q.get('encoder_threads')} [load {q['load']}]"
    )
    print(
        f"{'mode':10}{'R@1':>8}{'R@10':>8}{'MRR@10':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"   same question: {'R@1':>6}{'R@10':>7}{'MRR@10':>8}"
    )
    for mode, row in q["modes"].items():
        same = row["same_question"]
        print(
            f"{mode:10}{row['recall@1']:>8.3f}{row['recall@10']:>8.3f}{row['mrr@10']:>8.3f}"
            f"{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}   {'':15}{same['recall@1']:>6.3f}"
            f"{same['recall@10']:>7.3f}{same['mrr@10']:>8.3f}"
        )
    print("(same question: a passage of any MedQuAD entry with the identical question text counts as right)")


def print_faiss(choice: dict[str, Any]) -> None:
    print(
        f"\nFAISS on {choice['n']:,} MedQuAD vectors, {choice['queries']:,} question queries "
        "(build: all cores; search: 1 thread, 1 query per call)"
    )
    print(
        f"{'index':6}{'params':34}{'build s':>9}{'B/pass':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'R@10':>7}{'src@10':>8}  load"
    )
    for r in choice["rows"]:
        print(
            f"{r['index']:6}{r['params']:34}{r['build_s']:>9.2f}{r['bytes_per_passage']:>8.0f}"
            f"{r['p50_ms']:>9.3f}{r['p95_ms']:>9.3f}{r['recall_at_10']:>7.3f}{r['src_at_10']:>8.3f}"
            f"  {r['load']}"
        )
    v = choice["verdict"]
    print(
        f"exact search at the {v['limit']:,} limit: ~{v['flat_p50_ms_extrapolated_to_limit']:.1f} ms "
        f"p50 per query (linear from n={choice['n']:,}), ~{v['flat_bytes_at_limit_mb']:.0f} MB; "
        f"HNSW as shipped (efSearch=128): recall@10 {v['hnsw_shipped_recall_at_10']}, "
        f"p50 {v['hnsw_shipped_p50_ms']} ms"
    )


def print_table(result: dict[str, Any]) -> None:
    print(f"machine: {result['machine']}")
    print_build(result)
    print_quality(result["quality"])
    print_faiss(result["faiss"])
    print(f"total: {result['total_seconds']:.0f} s [load at end {result['load_at_end']}]")


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=DEFAULT_PATH,
        help="the MedQuAD folder (default: ../shared/data/medquad)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="keep the run in a fresh run-* folder here (default: a temp dir, deleted)",
    )
    parser.add_argument("--sample", type=int, default=2000, help="questions evaluated (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the question sample (default 7)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return parser.parse_args(argv)


def run(importer: ModuleType, path: Path, run_dir: Path, sample: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": {**machine(), "load_at_start": load_average()}, "work": str(run_dir)}
    index, cache = run_dir / "index", run_dir / "cache"
    log(f"importing {path} ...")
    result["import"], corpus, questions = import_corpus(importer, path, run_dir)
    log("building from an empty cache ...")
    result["build"] = build(corpus, index, cache, progress=True)
    result["tokens"] = token_profile(index, result["build"]["phases"].get("embed", 0.0))
    log("rebuilding ...")
    result["rebuilds"] = rebuilds(corpus, index, cache)
    log(f"retrieval quality on {sample} questions (seed {seed}) ...")
    result["quality"], loaded, cases = quality(index, questions, sample, seed)
    log("FAISS index types ...")
    result["faiss"] = faiss_choice(loaded, cases)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["load_at_end"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.path.exists():
        print(f"error: MedQuAD path not found: {args.path}", file=sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    importer = load_script("import_medquad")
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-" if args.work else "limber-medquad-", dir=args.work))
    try:
        result = run(importer, args.path, run_dir, args.sample, args.seed)
    except importer.UsageError as error:  # e.g. a folder without MedQuAD XML files
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if args.work is None:
            shutil.rmtree(run_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
