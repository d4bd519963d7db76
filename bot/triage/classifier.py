"""The half of triage that generalises: a calibrated classifier on the message.

It reads two things: the embedding the retriever computes anyway (all-MiniLM-L6-v2, unit
length), which hears what a message means, and the message's character n-grams
(``bot.triage.lexical``), which keep the letters slang and typos carry. One multinomial
logistic regression over both is trained on labelled example messages
(``bot/triage/data/examples.jsonl``) by ``scripts/train_triage.py``. The weights ship as
``bot/triage/model.json`` next to the examples: plain numbers, no pickle, checked against
the examples' hash by the tests, so a changed example file without retraining fails CI.

Inference is a 384 x C matrix product, a sparse sum over the message's n-grams and a
softmax: well under a millisecond.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.triage.lexical import CharNgrams
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
FORMAT = 2  # 2: the embedding and the character n-grams
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
    """Multinomial logistic regression over a unit embedding and character n-grams, with
    calibrated alarm thresholds."""

    def __init__(
        self,
        classes: list[str],
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        ngrams: CharNgrams,
        ngram_weights: np.ndarray,
        crisis_threshold: float,
        red_flag_threshold: float,
    ) -> None:
        shapes_fit = (
            weights.shape == (len(classes), weights.shape[1])
            and bias.shape == (len(classes),)
            and ngram_weights.shape == (len(classes), len(ngrams.idf))
        )
        if not shapes_fit:
            raise LimberError(f"the triage model's shapes do not match its classes; {_RETRAIN}")
        self.classes = classes
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.ngrams = ngrams
        # By n-gram: a column of C weights each, so a message sums only its own n-grams' columns.
        self.ngram_weights = np.ascontiguousarray(ngram_weights.T, dtype=np.float32)
        self.crisis_threshold = crisis_threshold
        self.red_flag_threshold = red_flag_threshold
        self._crisis = classes.index(Category.CRISIS.value)
        self._red = [i for i, c in enumerate(classes) if c not in (NON_URGENT, Category.CRISIS.value)]

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[1])

    def probabilities(self, vector: np.ndarray, text: str) -> np.ndarray:
        """Class probabilities of the message ``text`` whose unit embedding is ``vector``."""
        logits = self.weights @ vector + self.bias
        columns, values = self.ngrams.features(text)
        if len(columns):
            logits = logits + values.astype(np.float32) @ self.ngram_weights[columns]
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def category_probabilities(self, vector: np.ndarray, text: str) -> dict[Category, float]:
        """The probability of each category (crisis included) for the message."""
        p = self.probabilities(vector, text)
        return {Category(c): float(p[i]) for i, c in enumerate(self.classes) if c != NON_URGENT}

    def predict(self, vector: np.ndarray, text: str) -> ClassifierVerdict:
        p = self.probabilities(vector, text)
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
        """The model file: the small parts indented, then one line per n-gram (its idf and
        its weight for each class), so a reader can see what a word weighs."""
        head = json.dumps(
            {
                "format": FORMAT,
                "embedding_model": model_name,
                "examples_sha256": digest,
                "classes": self.classes,
                "crisis_threshold": self.crisis_threshold,
                "red_flag_threshold": self.red_flag_threshold,
                "bias": [round(float(b), 6) for b in self.bias],
                "weights": [[round(float(w), 6) for w in row] for row in self.weights],
                "ngram_range": [self.ngrams.low, self.ngrams.high],
                "notes": notes,
            },
            indent=1,
        )
        vocabulary = sorted(self.ngrams.columns.items(), key=lambda item: item[1])
        lines = [
            json.dumps(
                [
                    gram,
                    round(float(self.ngrams.idf[column]), 6),
                    [round(float(w), 5) for w in self.ngram_weights[column]],
                ],
                ensure_ascii=False,
            )
            for gram, column in vocabulary
        ]
        return head[:-2] + ',\n "ngrams": [\n' + ",\n".join(lines) + "\n ]\n}\n"

    @classmethod
    def from_file(cls, path: Path) -> TriageClassifier:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            grams = data["ngrams"]
            return cls(
                [str(c) for c in data["classes"]],
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
                ngrams=CharNgrams.of(data["ngram_range"], [g[0] for g in grams], [g[1] for g in grams]),
                ngram_weights=np.asarray([g[2] for g in grams], dtype=np.float32).reshape(len(grams), -1).T,
                crisis_threshold=float(data["crisis_threshold"]),
                red_flag_threshold=float(data["red_flag_threshold"]),
            )
        except FileNotFoundError:
            raise LimberError(f"the triage model {path} is missing; {_RETRAIN}") from None
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise LimberError(f"the triage model {path} is damaged ({error}); {_RETRAIN}") from None


@lru_cache(maxsize=1)
def load_classifier(path: Path = MODEL_PATH) -> TriageClassifier:
    """The shipped classifier, read once per process."""
    return TriageClassifier.from_file(path)


def examples_digest(path: Path = EXAMPLES_PATH) -> str:
    """The sha256 of the example file the model was trained on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
