"""Fit the follow-up dependence model on labelled turns (``scripts/train_answers.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.followup import DependenceModel, dependence_features
from bot.jsonl import read_jsonl
from bot.linear import fit_calibrated
from limber.errors import LimberError
from limber.text import normalise

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.pipeline import Pipeline

__all__ = ["STANDALONE_BUDGET", "LabelledTurn", "load_turns", "train"]

C = 3.0  # inverse regularisation: chosen on a held-out writer's conversations
# Of held-out messages that stand on their own (a switch of topic, a new conversation's
# opening), the share the threshold may take for follow-ups: those get dragged back to the
# old topic, which is worse than a follow-up answered on its own.
STANDALONE_BUDGET = 0.08


@dataclass(frozen=True)
class LabelledTurn:
    context: str  # the previous message
    message: str
    follows: bool  # does the message lean on the previous one?
    author: str


def load_turns(path: Path) -> list[LabelledTurn]:
    return read_jsonl(
        path,
        lambda row: LabelledTurn(
            str(row["context"]), str(row["message"]), bool(row["follows"]), str(row["author"])
        ),
        "a labelled turn",
        LimberError,
    )


def train(path: Path, pipeline_for: Callable[[str], Pipeline]) -> DependenceModel:
    """The model from the turns in ``path``, each message read as the pipeline reads it
    (``pipeline_for(author)``: without that author's known questions)."""
    rows, features = [], []
    for row in load_turns(path):
        vector, found = pipeline_for(row.author).ranked(row.message)
        if vector is None:
            continue
        rows.append(row)
        features.append(
            dependence_features(normalise(row.message), vector, max((p.score for p in found), default=0.0))
        )
    model = fit_calibrated(
        np.array(features),
        np.array([r.follows for r in rows]),
        np.array([r.author for r in rows]),
        c=C,
        keep=False,
        share=1 - STANDALONE_BUDGET,
        rates=("held_out_follow_ups_found", "held_out_standalone_kept"),
        what=f"the turns of {path}",
    )
    return DependenceModel(model)
