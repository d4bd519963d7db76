"""The half of triage that generalises: a calibrated classifier on the query embedding.

The embedding the retriever computes anyway (all-MiniLM-L6-v2, unit length) goes through a
multinomial logistic regression trained on labelled example messages
(``bot/triage/data/examples.jsonl``) by ``scripts/train_triage.py``. The weights ship as
``bot/triage/model.json`` next to the examples: plain numbers, no pickle, checked against
the examples' hash by the tests, so a changed example file without retraining fails CI.

Inference is one 384 x C matrix product and a softmax: a few microseconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.triage.types import Category
from limber.errors import LimberError

__all__ = [
    "EXAMPLES_PATH",
    "MODEL_PATH",
    "NON_URGENT",
    "ClassifierVerdict",
    "TriageClassifier",
    "examples_digest",
    "load_classifier",
]

HERE = Path(__file__).resolve().parent
EXAMPLES_PATH = HERE / "data" / "examples.jsonl"
MODEL_PATH = HERE / "model.json"
FORMAT = 1
NON_URGENT = "none"  # the class of every message that needs no urgent care
_RETRAIN = "retrain with: python scripts/train_triage.py"


@dataclass(frozen=True)
class ClassifierVerdict:
    """The classifier's reading of one message."""

    crisis: float  # probability of a crisis
    red_flag: float  # probability of any red-flag category
    category: Category | None  # the most probable red-flag category
    crisis_alarm: bool  # crisis at or above its calibrated threshold
    red_flag_alarm: bool  # red flag at or above its calibrated threshold


class TriageClassifier:
    """Multinomial logistic regression over unit embeddings, with calibrated alarm thresholds."""

    def __init__(
        self,
        classes: list[str],
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        crisis_threshold: float,
        red_flag_threshold: float,
    ) -> None:
        if weights.shape != (len(classes), weights.shape[1]) or bias.shape != (len(classes),):
            raise LimberError(f"the triage model's shapes do not match its classes; {_RETRAIN}")
        self.classes = classes
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.crisis_threshold = crisis_threshold
        self.red_flag_threshold = red_flag_threshold
        self._crisis = classes.index(Category.CRISIS.value)
        self._red = [i for i, c in enumerate(classes) if c not in (NON_URGENT, Category.CRISIS.value)]

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[1])

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        logits = self.weights @ vector + self.bias
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def category_probabilities(self, vector: np.ndarray) -> dict[Category, float]:
        """The probability of each category (crisis included) for ``vector``."""
        p = self.probabilities(vector)
        return {Category(c): float(p[i]) for i, c in enumerate(self.classes) if c != NON_URGENT}

    def predict(self, vector: np.ndarray) -> ClassifierVerdict:
        p = self.probabilities(vector)
        crisis = float(p[self._crisis])
        red = float(p[self._red].sum())
        best = self._red[int(np.argmax(p[self._red]))]
        return ClassifierVerdict(
            crisis=crisis,
            red_flag=red,
            category=Category(self.classes[best]),
            crisis_alarm=crisis >= self.crisis_threshold,
            red_flag_alarm=red >= self.red_flag_threshold,
        )

    # -- the model file --------------------------------------------------------------------

    def to_json(self, *, model_name: str, digest: str, notes: dict[str, object]) -> str:
        return (
            json.dumps(
                {
                    "format": FORMAT,
                    "embedding_model": model_name,
                    "examples_sha256": digest,
                    "classes": self.classes,
                    "crisis_threshold": self.crisis_threshold,
                    "red_flag_threshold": self.red_flag_threshold,
                    "bias": [round(float(b), 6) for b in self.bias],
                    "weights": [[round(float(w), 6) for w in row] for row in self.weights],
                    "notes": notes,
                },
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def from_file(cls, path: Path) -> TriageClassifier:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            return cls(
                [str(c) for c in data["classes"]],
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
                crisis_threshold=float(data["crisis_threshold"]),
                red_flag_threshold=float(data["red_flag_threshold"]),
            )
        except FileNotFoundError:
            raise LimberError(f"the triage model {path} is missing; {_RETRAIN}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise LimberError(f"the triage model {path} is damaged ({error}); {_RETRAIN}") from None


@lru_cache(maxsize=1)
def load_classifier(path: Path = MODEL_PATH) -> TriageClassifier:
    """The shipped classifier, read once per process."""
    return TriageClassifier.from_file(path)


def examples_digest(path: Path = EXAMPLES_PATH) -> str:
    """The sha256 of the example file the model was trained on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
