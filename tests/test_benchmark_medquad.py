"""scripts/benchmark_medquad.py: its recall bookkeeping, on hand-made rankings and the tiny MedQuAD sample."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from index.passage import Passage

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "medquad_sample"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    script = ROOT / "scripts" / "benchmark_medquad.py"
    spec = importlib.util.spec_from_file_location("benchmark_medquad", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmark_medquad"] = module
    spec.loader.exec_module(module)
    return module


def passage(pid: str, text: str) -> Passage:
    return Passage(id=pid, text=text, source=pid)


def test_scores_from_ranks(bench: ModuleType) -> None:
    assert bench.rank_of(["a", "b", "c"], frozenset({"c", "x"})) == 3
    assert bench.rank_of(["a"], frozenset({"z"})) is None
    result = bench.scores([1, 2, None, 11])
    assert result == {"recall@1": 0.25, "recall@10": 0.5, "mrr@10": 0.375}


def test_right_answers_follow_duplicates_and_exclude_junk(bench: ModuleType) -> None:
    passages = [passage("a", "same answer"), passage("b", "other answer")]
    dropped = [
        {"id": "c", "reason": "near duplicate", "duplicate_of": "d"},  # chain c -> d -> a
        {"id": "d", "reason": "duplicate", "duplicate_of": "a"},
        {"id": "e", "reason": "link list", "duplicate_of": None},
    ]
    truth, excluded = bench.right_answers(["a", "b", "c", "e", "zz"], passages, dropped)
    assert truth == {"a": {"a"}, "b": {"b"}, "c": {"a"}}
    assert excluded == {"link list": 1, "not in the index": 1}


def test_cases_count_answers_to_the_same_question(bench: ModuleType) -> None:
    passages = [passage("a", "first answer"), passage("b", "second answer")]
    questions = [
        {"id": "a", "question": "What is X?"},
        {"id": "b", "question": "What is X?"},
        {"id": "c", "question": "What is Y?"},
    ]
    dropped = [{"id": "c", "reason": "fragment", "duplicate_of": None}]
    cases, excluded = bench.build_cases(questions, questions, passages, dropped)
    assert [(c.id, set(c.right), set(c.same_question)) for c in cases] == [
        ("a", {"a"}, {"a", "b"}),
        ("b", {"b"}, {"a", "b"}),
    ]
    assert excluded == {"fragment": 1}


@pytest.mark.slow
def test_recall_on_the_tiny_medquad_sample(bench: ModuleType, tmp_path: Path) -> None:
    """Six passages, k=10: every right answer is in the top 10, and ranks are sane."""
    importer = bench.load_script("import_medquad")
    _, corpus, questions = bench.import_corpus(importer, SAMPLE, tmp_path)
    built = bench.build(corpus, tmp_path / "index", ROOT / "var" / "cache", progress=False)
    assert built["kept"] == 6 and built["faiss_index"] == "flat"
    result, _, cases = bench.quality(tmp_path / "index", questions, size=50, seed=7)
    assert result["sampled"] == result["evaluated"] == len(cases) == 6
    for mode in bench.MODES:
        row = result["modes"][mode]
        assert row["recall@10"] == 1.0
        assert row["recall@1"] <= row["mrr@10"] <= 1.0
        assert row["same_question"]["recall@1"] >= row["recall@1"]
