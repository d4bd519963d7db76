"""Training triage's classifier: examples -> embeddings -> logistic regression -> thresholds.

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
from bot.triage.types import Category
from limber.errors import LimberError

__all__ = ["FALSE_ALARM_BUDGET", "calibrate", "held_out_probabilities", "label", "load_examples", "train"]

C = 16.0  # inverse regularisation: chosen by held-out-author cross-validation
# Of held-out non-urgent examples, the share each alarm may take. A missed emergency costs far
# more than a needless instruction to seek care, so the budgets favour recall (the rules'
# own false alarms come on top; scripts/evaluate.py --triage measures the whole).
FALSE_ALARM_BUDGET = {"crisis": 0.05, "red_flag": 0.08}
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
    from index.build import prepare_model
    from index.embed import Encoder
    from index.ingest import normalise

    encoder = Encoder(prepare_model(cache_dir), threads=os.cpu_count() or 1)
    return encoder.encode([normalise(t) for t in texts])


def fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000).fit(x, y)


def held_out_probabilities(x: np.ndarray, y: np.ndarray, authors: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each example's class probabilities from a model that never saw its author."""
    classes = sorted(set(y))
    out = np.zeros((len(y), len(classes)))
    for author in sorted(set(authors)):
        test = authors == author
        model = fit(x[~test], y[~test])
        columns = [classes.index(c) for c in model.classes_]
        out[np.ix_(test, columns)] = model.predict_proba(x[test])
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
    x = embed([r["text"] for r in rows], cache_dir)
    y = np.array([label(r["category"]) for r in rows])
    authors = np.array([r["author"] for r in rows])
    classes, probs = held_out_probabilities(x, y, authors)
    calibration = calibrate(classes, probs, y)
    model = fit(x, y)
    classifier = TriageClassifier(
        [str(c) for c in model.classes_],
        model.coef_,
        model.intercept_,
        crisis_threshold=calibration["crisis"]["threshold"],
        red_flag_threshold=calibration["red_flag"]["threshold"],
    )
    notes: dict[str, object] = {
        "examples": len(rows),
        "authors": dict(sorted(Counter(authors.tolist()).items())),
        "classes": dict(sorted(Counter(y.tolist()).items())),
        "C": C,
        "calibration": calibration,
    }
    return classifier, notes
