"""The consumer-question benchmark's graded scores: what a judge's grades turn into."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from script_loader import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmark_consumer")


def test_graded_scores_take_the_first_passage_grade_and_count_grade_two_as_right(bench: ModuleType) -> None:
    grades = {"a": 1, "b": 3, "c": 2, "d": 0}
    scores = bench.graded_scores(["a", "b", "x", "c"], grades)
    assert scores["avg_score"] == 1.0  # the first passage's grade, not the best one's
    assert scores["mrr@10"] == 0.5  # "b" at rank 2 is the first of grade 2 or more
    assert scores["map@10"] == pytest.approx((1 / 2 + 2 / 4) / 2)  # both right passages found
    assert scores["unjudged"] == 1.0  # "x" was never graded and counts as wrong


def test_a_case_with_no_right_passage_scores_zero_rather_than_dividing_by_zero(bench: ModuleType) -> None:
    scores = bench.graded_scores(["a"], {"a": 1})
    assert (scores["mrr@10"], scores["map@10"]) == (0.0, 0.0)
    assert bench.graded_scores([], {})["avg_score"] == 0.0


def test_a_grade_outside_zero_to_three_is_refused_with_its_line(bench: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "grades.jsonl"
    lines = [{"case": "m1", "passage": "p1", "grade": 2}, {"case": "m1", "passage": "p2", "grade": 4}]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    with pytest.raises(ValueError, match=r"grades\.jsonl:2"):
        bench.read_judgments(path)
    path.write_text(json.dumps(lines[0]), encoding="utf-8")
    assert bench.read_judgments(path) == {"m1": {"p1": 2}}
