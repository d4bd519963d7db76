"""Does the best passage answer the question? A calibrated classifier that knows its corpus.

A fused retrieval score cannot tell "the documents answer this" from "the documents talk
about this": a question about a standing desk or a chiropractor scores like a real answer,
because the passages share its topic words (issue 14). What tells them apart is what is
asked, and whether this corpus covers that kind of question at all. So the decision is a
logistic regression over the question's embedding (the one the retriever computes anyway)
and the best passage's evidence (its fused, dense, lexical and best-sentence scores),
trained on questions labelled answerable or not for *these* documents
(``corpus/answerability.jsonl``, written by people who never saw the code) by
``scripts/train_answers.py``. Its threshold is calibrated on writers held out.

It has learnt which questions this corpus answers, so it applies only to the documents it
was trained on (their hashes are in the model): an index of other documents (MedQuAD, an
operator's own) falls back to the fused-score threshold, the general path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.linear import LinearModel, read_model_file
from index.known import QUESTIONS_FILE  # in the corpus folder, beside lexicon.json
from index.passage import ScoredPassage

__all__ = [
    "MODEL_PATH",
    "QUESTIONS_FILE",
    "AnswerabilityModel",
    "evidence",
    "load_answerability",
]

MODEL_PATH = Path(__file__).resolve().parent / "model.json"
FORMAT = 1
EVIDENCE_SCALE = 4.0  # the four scores weigh like the embedding's 384 small coordinates
RETRAIN = "retrain with: python scripts/train_answers.py"


def evidence(vector: np.ndarray, best: ScoredPassage) -> np.ndarray:
    """The classifier's input: the best passage's scores, then the question's embedding."""
    sentence = max(best.sentence_scores, default=best.dense)
    scores = np.array([best.score, best.dense, best.lexical, sentence], dtype=np.float32)
    return np.concatenate([EVIDENCE_SCALE * scores, vector.astype(np.float32)])


@dataclass(frozen=True)
class AnswerabilityModel:
    """The classifier and the documents it knows."""

    model: LinearModel
    documents: Mapping[str, str]  # document name -> sha256, as in the index manifest

    @property
    def threshold(self) -> float:
        return self.model.threshold

    def probability(self, vector: np.ndarray, best: ScoredPassage) -> float:
        """How likely ``best`` answers the question whose embedding is ``vector``."""
        return self.model.probability(evidence(vector, best))

    def applies_to(self, document_hashes: Mapping[str, str]) -> bool:
        """Was the model trained on exactly these documents?"""
        return dict(document_hashes) == dict(self.documents)

    def to_json(self, *, model_name: str, digest: str) -> str:
        return self.model.file_text(
            format=FORMAT,
            embedding_model=model_name,
            questions_sha256=digest,
            documents=dict(sorted(self.documents.items())),
        )


@lru_cache(maxsize=4)
def load_answerability(path: Path = MODEL_PATH) -> AnswerabilityModel | None:
    """The shipped model, or None when there is none (then the score threshold decides)."""
    model: AnswerabilityModel | None = read_model_file(
        path,
        FORMAT,
        RETRAIN,
        lambda data: AnswerabilityModel(
            LinearModel.from_dict(data), {str(k): str(v) for k, v in data["documents"].items()}
        ),
    )
    return model
