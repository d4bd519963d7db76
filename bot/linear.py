"""A calibrated binary logistic regression, as the learned decisions ship it.

Answerability (``bot/answerability``) and follow-up dependence (``bot/followup``) each decide
with one: plain numbers in a JSON file beside their labelled data, no pickle, fitted by
scikit-learn at training time only, with a threshold calibrated on writers held out.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from limber.errors import LimberError

__all__ = [
    "LinearModel",
    "file_digest",
    "fit_calibrated",
    "fit_logistic",
    "held_out_probabilities",
    "read_model_file",
]


@dataclass(frozen=True)
class LinearModel:
    weights: np.ndarray
    bias: float
    threshold: float  # probability at or above which the decision is yes
    notes: Mapping[str, object] = field(default_factory=dict)  # what training measured

    def probability(self, features: np.ndarray) -> float:
        z = float(features @ self.weights) + self.bias
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "bias": self.bias,
            "weights": [round(float(w), 6) for w in self.weights],
            "notes": dict(self.notes),
        }

    def file_text(self, **header: object) -> str:
        """The model file: ``header`` (format, embedding model, data digest...), then the model."""
        return json.dumps({**header, **self.to_dict()}, indent=1)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearModel:
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            notes=dict(data.get("notes", {})),
        )

    @classmethod
    def fitted(
        cls, x: np.ndarray, y: np.ndarray, *, c: float, threshold: float, **notes: object
    ) -> LinearModel:
        model = fit_logistic(x, y, c)
        return cls(model.coef_[0].astype(np.float32), float(model.intercept_[0]), round(threshold, 4), notes)


def fit_calibrated(
    x: np.ndarray,
    y: np.ndarray,
    authors: np.ndarray,
    *,
    c: float,
    keep: bool,
    share: float,
    rates: tuple[str, str],
    what: str,
    **notes: object,
) -> LinearModel:
    """A model fitted on every row, whose threshold keeps ``share`` of the held-out rows
    labelled ``keep`` on their side (True: at or above it). ``rates`` name the held-out
    shares of yes rows at or above and of no rows below, recorded in the notes."""
    if len(set(y.tolist())) < 2 or len(set(authors.tolist())) < 2:
        raise LimberError(f"{what} need both labels, from two writers or more")
    held_out = held_out_probabilities(x, y, authors, c)
    threshold = float(np.quantile(held_out[y == keep], 1 - share if keep else share))
    return LinearModel.fitted(
        x,
        y,
        c=c,
        threshold=threshold,
        **notes,
        rows=len(y),
        yes=int(y.sum()),
        authors=dict(sorted(Counter(authors.tolist()).items())),
        C=c,
        **{
            rates[0]: round(float(np.mean(held_out[y] >= threshold)), 3),
            rates[1]: round(float(np.mean(held_out[~y] < threshold)), 3),
        },
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000).fit(x, y)


def held_out_probabilities(x: np.ndarray, y: np.ndarray, authors: np.ndarray, c: float) -> np.ndarray:
    """Each row's probability from a model that never saw its author's rows."""
    out = np.zeros(len(y))
    for author in sorted(set(authors.tolist())):
        test = authors == author
        out[test] = fit_logistic(x[~test], y[~test], c).predict_proba(x[test])[:, 1]
    return out


def read_model_file(
    path: Path, expected_format: int, retrain: str, parse: Callable[[dict[str, Any]], Any]
) -> Any | None:
    """``parse`` of the JSON model file at ``path``; None when there is none. A damaged or
    outdated file is one LimberError naming the command (``retrain``) that fixes it."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != expected_format:
            raise ValueError(f"format {data.get('format')!r}, expected {expected_format}")
        return parse(data)
    except (ValueError, KeyError, TypeError, AttributeError) as problem:
        raise LimberError(f"{path} is not a model this version reads ({problem}); {retrain}") from None


def file_digest(path: Path) -> str:
    """The sha256 of the labelled data a model was trained on (the tests compare it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
