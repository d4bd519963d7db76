"""Training triage's classifier: examples -> embeddings and character n-grams -> logistic
regression -> thresholds.

The alarm thresholds are calibrated out of sample: each author's examples are scored by a
model trained on the other authors only, and each threshold is the lowest that keeps false
alarms on those held-out non-urgent messages within its budget. scikit-learn is needed
here only; the bot itself reads the resulting numbers with numpy.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np

from bot.jsonl import read_jsonl
from bot.triage.classifier import NON_URGENT, TriageClassifier
from bot.triage.lexical import CharNgrams
from bot.triage.types import Category
from limber.errors import LimberError
from limber.text import fold, normalise

__all__ = [
    "FALSE_ALARM_BUDGET",
    "calibrate",
    "held_out_probabilities",
    "label",
    "load_examples",
    "train",
    "vectorizer",
]

C = 16.0  # inverse regularisation: chosen by held-out-author cross-validation
# The character n-grams (bot.triage.lexical): within words, 2 to 5 letters, the 10,000 most
# frequent of those in 3 examples or more. On held-out authors crisis recall at 5% false
# alarms rose from 0.890 (the embedding alone) to 0.977; twice as many n-grams gain no more.
NGRAM_RANGE = (2, 5)
NGRAMS_MIN_EXAMPLES = 3
NGRAMS_KEPT = 10_000
# Of held-out non-urgent examples (most of them written to look urgent), the share each alarm
# may take. For red flags 5% (held-out recall 0.983; 0.991 at 8%, where ordinary questions got
# 3.1% red-flag replies against 2.5%): the rules catch most red flags anyway. The rules' own
# false alarms come on top (scripts/evaluate.py --triage measures the whole).
FALSE_ALARM_BUDGET = {"crisis": 0.05, "red_flag": 0.05}
_URGENT = {c.value for c in Category}


def load_examples(path: Path) -> list[dict[str, str]]:
    return read_jsonl(
        path,
        lambda row: {
            "text": str(row["text"]),
            "category": str(row["category"]),
            "author": str(row["author"]),
        },
        "a triage example",
        LimberError,
    )


def label(category: str) -> str:
    """The class a category trains: its own for urgent ones, ``none`` for every other."""
    return category if category in _URGENT else NON_URGENT


def embed(texts: list[str], cache_dir: Path) -> np.ndarray:
    """Embeddings of ``texts``, already normalised as the pipeline normalises a question."""
    from index.build import prepare_model
    from index.embed import Encoder

    encoder = Encoder(prepare_model(cache_dir), threads=os.cpu_count() or 1)
    return encoder.encode(texts)


def vectorizer():
    """scikit-learn's reading of the n-grams that ``bot.triage.lexical`` repeats at run time."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAM_RANGE,
        min_df=NGRAMS_MIN_EXAMPLES,
        max_features=NGRAMS_KEPT,
        lowercase=True,
        sublinear_tf=True,
        dtype=np.float64,
    )


class Fitted:
    """The n-gram vocabulary and the regression fitted on some examples."""

    def __init__(self, x: np.ndarray, texts: list[str], y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        self.ngrams = vectorizer()
        grams = self.ngrams.fit_transform(texts)
        self.model = LogisticRegression(C=C, max_iter=5000).fit(self._join(x, grams), y)

    def _join(self, x: np.ndarray, grams):
        from scipy import sparse  # type: ignore[import-untyped]

        return sparse.hstack([sparse.csr_matrix(x), grams]).tocsr()

    def predict_proba(self, x: np.ndarray, texts: list[str]) -> np.ndarray:
        return self.model.predict_proba(self._join(x, self.ngrams.transform(texts)))


def held_out_probabilities(
    x: np.ndarray, texts: list[str], y: np.ndarray, authors: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Each example's class probabilities from a model that never saw its author (nor its
    n-grams' frequencies)."""
    classes = sorted(set(y))
    out = np.zeros((len(y), len(classes)))
    for author in sorted(set(authors)):
        test = authors == author
        kept, held = np.flatnonzero(~test), np.flatnonzero(test)
        fitted = Fitted(x[kept], [texts[i] for i in kept], y[kept])
        columns = [classes.index(c) for c in fitted.model.classes_]
        out[np.ix_(test, columns)] = fitted.predict_proba(x[held], [texts[i] for i in held])
    return classes, out


def calibrate(classes: list[str], probs: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
    """The lowest thresholds within the false-alarm budgets, and the recall they give."""
    crisis = probs[:, classes.index(Category.CRISIS.value)]
    red = probs[:, [i for i, c in enumerate(classes) if c not in (NON_URGENT, Category.CRISIS.value)]].sum(1)
    benign = y == NON_URGENT
    result = {}
    for name, score, positive in (
        ("crisis", crisis, y == Category.CRISIS.value),
        ("red_flag", red, (y != NON_URGENT) & (y != Category.CRISIS.value)),
    ):
        candidates = np.round(np.arange(0.05, 0.96, 0.01), 2)
        threshold = next(
            (float(t) for t in candidates if np.mean(score[benign] >= t) <= FALSE_ALARM_BUDGET[name]),
            0.95,
        )
        result[name] = {
            "threshold": threshold,
            "held_out_recall": round(float(np.mean(score[positive] >= threshold)), 3),
            "held_out_false_alarms": round(float(np.mean(score[benign] >= threshold)), 3),
        }
    return result


def train(examples_path: Path, cache_dir: Path) -> tuple[TriageClassifier, dict[str, object]]:
    rows = load_examples(examples_path)
    # As the pipeline reads a message: embedded normalised, its n-grams taken as triage
    # reads it (folded: lowercase, straight quotes).
    texts = [normalise(r["text"]) for r in rows]
    x = embed(texts, cache_dir)
    texts = [fold(t) for t in texts]
    y = np.array([label(r["category"]) for r in rows])
    authors = np.array([r["author"] for r in rows])
    classes, probs = held_out_probabilities(x, texts, y, authors)
    calibration = calibrate(classes, probs, y)
    fitted = Fitted(x, texts, y)
    model, dimension = fitted.model, x.shape[1]
    classifier = TriageClassifier(
        [str(c) for c in model.classes_],
        model.coef_[:, :dimension],
        model.intercept_,
        ngrams=CharNgrams.of(
            NGRAM_RANGE, fitted.ngrams.get_feature_names_out().tolist(), fitted.ngrams.idf_.tolist()
        ),
        ngram_weights=model.coef_[:, dimension:],
        crisis_threshold=calibration["crisis"]["threshold"],
        red_flag_threshold=calibration["red_flag"]["threshold"],
    )
    notes: dict[str, object] = {
        "examples": len(rows),
        "authors": dict(sorted(Counter(authors.tolist()).items())),
        "classes": dict(sorted(Counter(y.tolist()).items())),
        "C": C,
        "ngrams": {
            "range": list(NGRAM_RANGE),
            "min_examples": NGRAMS_MIN_EXAMPLES,
            "kept": len(fitted.ngrams.idf_),
        },
        "calibration": calibration,
    }
    return classifier, notes
