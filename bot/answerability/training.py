"""Fit the answerability model on labelled questions (``scripts/train_answers.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.answerability import AnswerabilityModel, evidence
from bot.jsonl import read_jsonl
from bot.linear import fit_calibrated
from limber.errors import LimberError

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.pipeline import Pipeline

__all__ = ["ANSWERED_FLOOR", "LabelledQuestion", "fit_answerability", "load_questions", "train"]

C = 1.0  # inverse regularisation: chosen on a held-out writer's set (answers_validation3)
# Of held-out answerable questions, the share the threshold must still answer: an honest
# "I don't have that" on an answerable question costs less than an unrelated quote, but the
# bot exists to answer: the threshold keeps 97% answered (issue 14) and takes what honesty
# that leaves.
ANSWERED_FLOOR = 0.97


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    answerable: bool  # do the documents answer it?
    author: str  # who wrote it: the threshold is calibrated on writers held out


def load_questions(path: Path) -> list[LabelledQuestion]:
    """The standalone questions of ``path``: a follow-up (a line with a ``context``) is a
    known question of the index only, never asked alone."""
    rows = read_jsonl(
        path,
        lambda row: (
            None
            if row.get("context")
            else LabelledQuestion(str(row["question"]), bool(row["answerable"]), str(row["author"]))
        ),
        "a labelled question",
        LimberError,
    )
    return [row for row in rows if row is not None]


def train(path: Path, pipeline_for: Callable[[str], Pipeline]) -> AnswerabilityModel:
    """The model for the documents of the index searched, from the questions in ``path``.

    ``pipeline_for(author)`` searches without that author's known questions (index.known):
    a question must not be lifted by itself, or training would learn from answers no new
    question gets."""
    rows, features = [], []
    for row in load_questions(path):
        vector, found = pipeline_for(row.author).ranked(row.question)
        if vector is not None and found:  # no passage at all is never an answer: nothing to learn
            rows.append(row)
            features.append(evidence(vector, found[0]))
    return fit_answerability(
        features,
        [r.answerable for r in rows],
        [r.author for r in rows],
        pipeline_for(""),
        c=C,
        share=ANSWERED_FLOOR,
        rates=("held_out_answered", "held_out_honest_no_answer"),
        what=f"the questions of {path}",
    )


def fit_answerability(
    features: list[np.ndarray],
    labels: list[bool],
    authors: list[str],
    pipeline: Pipeline,
    *,
    c: float,
    share: float,
    rates: tuple[str, str],
    what: str,
) -> AnswerabilityModel:
    """A model over ``evidence`` rows, for the documents of ``pipeline``'s index, whose
    threshold keeps ``share`` of held-out writers' answering rows."""
    documents = pipeline.retriever.index.manifest.data.get("corpus_file_hashes") or {}
    model = fit_calibrated(
        np.array(features),
        np.array(labels),
        np.array(authors),
        c=c,
        keep=True,
        share=share,
        rates=rates,
        what=what,
    )
    return AnswerabilityModel(model, {str(k): str(v) for k, v in documents.items()})
