"""Consumer-style questions asked of a MedQuAD index: MRR@10, MAP@10, recall@1/@10, ablation.

    python scripts/benchmark_consumer.py SET.jsonl --index DIR [--json] [--tune] [--shipped-only]

SET holds one question a line, as a person would send it to a health service (and
``SET_locations.jsonl`` beside it, if there, names the collection of each qid)::

    {"id", "subject", "message", "relevant": [MedQuAD qids], "topic"}

Each is asked as ``subject`` on a first line above ``message`` (a subject line and
a story with the question inside). ``relevant`` names MedQuAD questions whose
answers answer it: a qid (``0000004_6-8``) or a passage id
(``1_CancerGov_QA:0000004_6-8``). A qid stands for every passage with that qid; an
answer the build dropped as a (near) duplicate counts through the passage it
duplicates, and a kept passage with the same text counts too. Cases whose answers
are all missing from the index are left out and counted.

The set is split in halves by id (sorted): the first half is for tuning, the
second is held out; every number is reported for both halves and for all cases.

* recall@1, recall@10: share of questions with a right answer first / in the top 10;
* MRR@10: mean reciprocal rank of the first right answer;
* MAP@10: mean average precision over the top 10, each relevant qid counted once,
  divided by min(number of relevant qids, 10).

The ablation: answer text only (no titles, no question focus), + titles, + question
focus (shipped), and either signal alone, BM25 and dense alone; ``--tune`` adds a
grid over the fusion weights, chosen on the tuning half only. ``--shipped-only``
runs the shipped settings alone (it also runs on a Limber before titles existed).

Graded judgments, by a second person who never sees which setting found what:
``--pool OUT.jsonl`` writes every passage that the answer-text-only or the shipped
setting puts in a case's top 10, one ``{"case", "subject", "message", "passage",
"text"}`` line each, in a fixed shuffled order; a judge adds ``"grade"``: 0 wrong or
unrelated, 1 on the topic but does not answer, 2 answers part of the question, 3
answers it. ``--judgments FILE`` then scores every setting on those grades:
avgScore (the mean grade of the first passage, as TREC LiveQA's medical task
reports it), and MRR@10 and MAP@10 counting a passage of grade 2 or 3 as right.
Passages nobody graded count as wrong, and their number is reported.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limber.bench import load_average

ROOT = Path(__file__).resolve().parent.parent

K = 10
EXIT_USAGE = 2

ABLATION: list[tuple[str, dict[str, Any]]] = [
    (
        "BM25 alone, answer text",
        {"mode": "lexical", "title_dense": 0.0, "title_lexical": 0.0, "focus": False},
    ),
    ("dense alone, answer text", {"mode": "dense", "title_dense": 0.0, "title_lexical": 0.0, "focus": False}),
    ("hybrid, answer text only", {"title_dense": 0.0, "title_lexical": 0.0, "focus": False}),
    ("+ titles (dense)", {"title_lexical": 0.0, "focus": False}),
    ("+ titles (dense and BM25)", {"focus": False}),
    ("answer text + question focus", {"title_dense": 0.0, "title_lexical": 0.0}),
    ("+ titles + question focus (shipped)", {}),
]

# The settings whose top 10s are pooled for judging: before titles and focus, and shipped.
POOLED = ("hybrid, answer text only", "+ titles + question focus (shipped)")
RIGHT_GRADE = 2  # a judged passage of this grade or more answers (part of) the question

GRID = {
    "title_dense": (0.3, 0.5, 0.7),
    "title_lexical": (0.3, 0.5, 0.7),
    "focus_weight": (0.2, 0.3, 0.4),
    "lexical_weight": (0.3, 0.4, 0.5),
}


@dataclass(frozen=True)
class ConsumerCase:
    """One message and, per relevant MedQuAD question, the passages that answer for it."""

    id: str
    query: str
    relevant: tuple[frozenset[str], ...]  # one set of passage ids per relevant qid


def read_set(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or not row.get("message") or not isinstance(row.get("relevant"), list):
            raise ValueError(f'{path}:{number}: needs a "message" and a "relevant" list')
        rows.append(row)
    return rows


def apply_locations(rows: list[dict[str, Any]], path: Path) -> None:
    """Name each relevant qid by its collection (``{"id", "relevant": [{"qid", "file"}]}``
    lines): collections number their questions independently, so a bare qid is ambiguous."""
    where: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            where[str(row["id"])] = [f"{r['file'].split('/')[0]}:{r['qid']}" for r in row["relevant"]]
    for row in rows:
        if str(row["id"]) in where:
            row["relevant"] = where[str(row["id"])]


def query_of(row: dict[str, Any]) -> str:
    """The subject line above the message, as a person would send both."""
    subject = str(row.get("subject") or "").strip()
    message = str(row["message"]).strip()
    return f"{subject}\n{message}" if subject else message


def _qid(passage_id: str) -> str:
    return passage_id.split(":", 1)[-1].split("~", 1)[0]


def resolve_cases(
    rows: list[dict[str, Any]], passages: list[Any], dropped: list[dict[str, Any]]
) -> tuple[list[ConsumerCase], int]:
    """Cases with their right passages (duplicates followed); how many had none in the index."""
    from benchmark_medquad import right_answers  # scripts/ is on sys.path when run as a script

    every_id = [p.id for p in passages] + [str(d["id"]) for d in dropped]
    by_qid: dict[str, list[str]] = {}
    for passage_id in every_id:
        by_qid.setdefault(_qid(passage_id), []).append(passage_id)
        by_qid.setdefault(passage_id.split("~", 1)[0], []).append(passage_id)  # collection:qid
    truth, _ = right_answers(every_id, passages, dropped)
    cases, excluded = [], 0
    for row in rows:
        groups = []
        for wanted in row["relevant"]:
            ids = by_qid.get(str(wanted), [])
            right = frozenset().union(*(truth.get(i, frozenset()) for i in ids)) if ids else frozenset()
            if right and right not in groups:
                groups.append(right)
        if groups:
            cases.append(ConsumerCase(str(row["id"]), query_of(row), tuple(groups)))
        else:
            excluded += 1
    return cases, excluded


def case_scores(ranked: list[str], relevant: tuple[frozenset[str], ...], k: int = K) -> dict[str, float]:
    """recall@1, recall@k, reciprocal rank and average precision of one ranking."""
    credited: set[int] = set()
    hits, precision_sum, first = 0, 0.0, None
    for rank, passage_id in enumerate(ranked[:k], start=1):
        group = next((g for g, ids in enumerate(relevant) if g not in credited and passage_id in ids), None)
        if group is None:
            continue
        credited.add(group)
        hits += 1
        precision_sum += hits / rank
        first = first or rank
    return {
        "recall@1": float(first == 1),
        f"recall@{k}": float(first is not None),
        f"mrr@{k}": 1 / first if first else 0.0,
        f"map@{k}": precision_sum / max(1, min(len(relevant), k)),
    }


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("recall@1", f"recall@{K}", f"mrr@{K}", f"map@{K}")
    return {key: round(sum(r[key] for r in rows) / max(1, len(rows)), 4) for key in keys}


def halves(cases: list[ConsumerCase]) -> tuple[list[ConsumerCase], list[ConsumerCase]]:
    """The first half of the ids (sorted) to tune on, the second held out."""
    ordered = sorted(cases, key=lambda c: c.id)
    middle = (len(ordered) + 1) // 2
    return ordered[:middle], ordered[middle:]


def rankings(retriever: Any, cases: list[ConsumerCase]) -> dict[str, list[str]]:
    return {c.id: [s.passage.id for s in retriever.search(c.query, K).passages] for c in cases}


def run(retriever: Any, cases: list[ConsumerCase]) -> list[dict[str, float]]:
    ranked = rankings(retriever, cases)
    return [case_scores(ranked[c.id], c.relevant) for c in cases]


def report(retriever: Any, tune: list[ConsumerCase], held: list[ConsumerCase]) -> dict[str, Any]:
    first, second = run(retriever, tune), run(retriever, held)
    return {"tune": mean_scores(first), "held_out": mean_scores(second), "all": mean_scores(first + second)}


def variant(base: Any, changes: dict[str, Any]) -> Any:
    from index.search import Retriever

    return Retriever(base.index, base.with_params(**changes).params, cache_size=0)


def write_pool(base: Any, cases: list[ConsumerCase], rows: list[dict[str, Any]], out: Path) -> int:
    """Every passage the pooled settings rank in a case's top 10, shuffled, for a judge."""
    changes = dict(ABLATION)
    by_id = {p.id: p for p in base.index.passages}
    row_of = {str(r["id"]): r for r in rows}
    pairs: dict[tuple[str, str], None] = {}
    for name in POOLED:
        for case_id, ranked in rankings(variant(base, changes[name]), cases).items():
            pairs.update(((case_id, passage_id), None) for passage_id in ranked)
    ordered = list(pairs)
    random.Random(7).shuffle(ordered)
    ordered.sort(key=lambda pair: pair[0])  # grouped by case, shuffled within it
    with out.open("w", encoding="utf-8") as stream:
        for case_id, passage_id in ordered:
            row, passage = row_of[case_id], by_id[passage_id]
            line = {
                "case": case_id,
                "subject": row.get("subject") or "",
                "message": row["message"],
                "passage": passage_id,
                "title": passage.title or "",
                "text": passage.text,
            }
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(ordered)


def read_judgments(path: Path) -> dict[str, dict[str, int]]:
    """Grades by case and passage (a pool file with ``"grade"`` added to each line)."""
    grades: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        grade = row.get("grade")
        if not isinstance(grade, int) or not 0 <= grade <= 3:
            raise ValueError(f'{path}:{number}: needs a "grade" of 0 to 3')
        grades.setdefault(str(row["case"]), {})[str(row["passage"])] = grade
    return grades


def graded_scores(ranked: list[str], grades: dict[str, int], k: int = K) -> dict[str, float]:
    """avgScore's grade of the first passage, and MRR@k and AP@k with grade >= 2 as right."""
    right = [grades.get(passage_id, 0) >= RIGHT_GRADE for passage_id in ranked[:k]]
    known_right = sum(grade >= RIGHT_GRADE for grade in grades.values())
    hits, precision_sum = 0, 0.0
    for rank, is_right in enumerate(right, start=1):
        if is_right:
            hits += 1
            precision_sum += hits / rank
    first = next((rank for rank, is_right in enumerate(right, start=1) if is_right), None)
    return {
        "avg_score": float(grades.get(ranked[0], 0)) if ranked else 0.0,
        f"mrr@{k}": 1 / first if first else 0.0,
        f"map@{k}": precision_sum / min(known_right, k) if known_right else 0.0,
        "unjudged": float(sum(passage_id not in grades for passage_id in ranked[:k])),
    }


def graded_report(
    retriever: Any, tune: list[ConsumerCase], held: list[ConsumerCase], grades: dict[str, dict[str, int]]
) -> dict[str, Any]:
    ranked = rankings(retriever, tune + held)

    def mean(cases: list[ConsumerCase]) -> dict[str, float]:
        rows = [graded_scores(ranked[c.id], grades.get(c.id, {})) for c in cases]
        means = (
            {key: round(sum(r[key] for r in rows) / max(1, len(rows)), 4) for key in rows[0]} if rows else {}
        )
        means["unjudged"] = sum(r["unjudged"] for r in rows)  # a count, not a mean
        return means

    return {"tune": mean(tune), "held_out": mean(held), "all": mean(tune + held)}


def print_graded(result: dict[str, Any]) -> None:
    print(f"graded by a judge ({result['judged']} judged passages; right = grade >= {RIGHT_GRADE})")
    print(f"{'setting':40}" + "".join(f"{m:>12}" for m in ("avgScore", "MRR@10", "MAP@10", "unjudged")))
    for name, row in result["graded"].items():
        part = row["all"]
        cells = "".join(f"{part[key]:>12.3f}" for key in ("avg_score", f"mrr@{K}", f"map@{K}"))
        print(f"{name:40}{cells}{int(part['unjudged']):>12}")


def tune_weights(base: Any, tune: list[ConsumerCase]) -> tuple[dict[str, Any], dict[str, float]]:
    """The grid point with the best MRR@10 + MAP@10 on the tuning half."""
    best: tuple[float, dict[str, Any], dict[str, float]] | None = None
    names = list(GRID)
    for values in itertools.product(*(GRID[n] for n in names)):
        changes = dict(zip(names, values, strict=True))
        scores = mean_scores(run(variant(base, changes), tune))
        objective = scores[f"mrr@{K}"] + scores[f"map@{K}"]
        if best is None or objective > best[0] + 1e-9:
            best = (objective, changes, scores)
    assert best is not None
    return best[1], best[2]


def print_table(result: dict[str, Any]) -> None:
    print(
        f"index: {result['index']}; cases: {result['cases']} (tune {result['tune_cases']}, held out "
        f"{result['held_out_cases']}; without an answer in the index: {result['excluded']}) "
        f"[load {result['load']}]"
    )
    header = f"{'setting':40}" + "".join(
        f"{part + ' ' + m:>16}" for part in ("tune", "held") for m in ("MRR@10", "MAP@10", "R@1", "R@10")
    )
    print(header)
    for name, row in result["rows"].items():
        cells = "".join(
            f"{row[part][key]:>16.3f}"
            for part in ("tune", "held_out")
            for key in (f"mrr@{K}", f"map@{K}", "recall@1", f"recall@{K}")
        )
        print(f"{name:40}{cells}")
    if "tuned" in result:
        print(f"tuned on the first half: {result['tuned']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path, help="consumer question set (JSONL)")
    parser.add_argument("--index", type=Path, required=True, help="a MedQuAD index directory")
    parser.add_argument(
        "--locations",
        type=Path,
        default=None,
        help="the relevant qids' files (default: SET's *_locations.jsonl, if there)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--tune", action="store_true", help="grid over the fusion weights (tuning half)")
    parser.add_argument("--shipped-only", action="store_true", help="only the shipped settings")
    parser.add_argument(
        "--pool", type=Path, metavar="OUT.jsonl", help="write the passages to judge, and stop"
    )
    parser.add_argument("--judgments", type=Path, metavar="FILE", help="also score on a judge's grades")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.search import Retriever
    from limber.errors import LimberError

    try:
        rows = read_set(args.cases)
        locations = args.locations or args.cases.with_name(f"{args.cases.stem}_locations.jsonl")
        if locations.is_file():
            apply_locations(rows, locations)
        grades = read_judgments(args.judgments) if args.judgments else None
        base = Retriever.open(args.index)
    except (LimberError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    loaded = base.index
    # Every setting asks the same texts: embed each once (quality is measured here, not speed).
    # method-assign: the cached method replaces the instance's own on purpose, for this run only.
    loaded.encoder.encode_one = functools.lru_cache(maxsize=None)(loaded.encoder.encode_one)  # type: ignore[method-assign]
    cases, excluded = resolve_cases(rows, loaded.passages, loaded.manifest.data.get("dropped", []))
    tune, held = halves(cases)
    if args.pool:
        print(f"{write_pool(base, cases, rows, args.pool)} passages to judge: {args.pool}")
        return 0
    started = time.perf_counter()
    configs = [("shipped", {})] if args.shipped_only else ABLATION
    result: dict[str, Any] = {
        "index": str(args.index),
        "cases": len(cases),
        "tune_cases": len(tune),
        "held_out_cases": len(held),
        "excluded": excluded,
        "rows": {},
    }
    for name, changes in configs:
        result["rows"][name] = report(variant(base, changes), tune, held)
        print(f"  {name}: {result['rows'][name]}", file=sys.stderr, flush=True)
    if args.tune:
        changes, _ = tune_weights(base, tune)
        result["tuned"] = changes
        result["rows"]["tuned fusion weights"] = report(variant(base, changes), tune, held)
    if grades is not None:
        result["judged"] = sum(len(g) for g in grades.values())
        result["graded"] = {
            name: graded_report(variant(base, changes), tune, held, grades) for name, changes in configs
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load"] = load_average()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
        if grades is not None:
            print_graded(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
