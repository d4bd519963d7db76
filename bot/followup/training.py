"""Fit the follow-up models (``scripts/train_answers.py``): dependence, on labelled turns, and
the answer check, on labelled conversations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.answerability import AnswerabilityModel, evidence
from bot.answerability.training import fit_answerability
from bot.followup import DependenceModel, dependence_features
from bot.jsonl import read_jsonl
from bot.linear import fit_calibrated
from limber.errors import LimberError
from limber.text import normalise, squash

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.pipeline import Pipeline

__all__ = [
    "FOLLOW_UP_ANSWERS_KEPT",
    "STANDALONE_BUDGET",
    "LabelledConversation",
    "LabelledTurn",
    "load_conversations",
    "load_turns",
    "train",
    "train_answer_check",
]

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


# The follow-up check: of the held-out follow-ups whose passage answers them, the share it
# must keep. Each one it drops becomes an honest "I don't have that" where a quote stood.
FOLLOW_UP_ANSWERS_KEPT = 0.95
ANSWER_C = 3.0  # inverse regularisation: chosen on writers held out (conversations sets)


@dataclass(frozen=True)
class LabelledConversation:
    author: str
    turns: tuple[tuple[str, str | None], ...]  # (message, verbatim snippet of its answer or None)


def load_conversations(path: Path) -> list[LabelledConversation]:
    return read_jsonl(
        path,
        lambda row: LabelledConversation(
            str(row["author"]),
            tuple((str(t["text"]), t.get("expect") and str(t["expect"])) for t in row["turns"]),
        ),
        "a labelled conversation",
        LimberError,
    )


def train_answer_check(path: Path, pipeline_for: Callable[[str], Pipeline]) -> AnswerabilityModel:
    """Does the passage a follow-up was answered from say what it asks? From conversations
    played through ``pipeline_for(author)`` (the check itself off): each follow-up answered
    from its context is an example, labelled by whether that passage holds its answer."""
    from bot.answer import AnswerKind
    from bot.conversation import Conversation

    rows: list[str] = []
    labels: list[bool] = []
    features: list[np.ndarray] = []
    for played in load_conversations(path):
        pipeline = pipeline_for(played.author)
        conversation = Conversation()
        for text, expect in played.turns:
            answer = pipeline.answer(text, conversation)
            conversation.record(answer)
            if not answer.follow_up or answer.kind is not AnswerKind.ANSWER:
                continue
            passage = answer.passages[0].passage
            vector, scored = pipeline.scored_alone(text, passage.id)
            if vector is None or scored is None:
                continue
            rows.append(played.author)
            labels.append(bool(expect) and squash(str(expect)) in squash(passage.text))
            features.append(evidence(vector, scored))
    return fit_answerability(
        features,
        labels,
        rows,
        pipeline_for(""),
        c=ANSWER_C,
        share=FOLLOW_UP_ANSWERS_KEPT,
        rates=("held_out_right_passages_kept", "held_out_others_refused"),
        what=f"the follow-ups of {path}",
    )
