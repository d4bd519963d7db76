"""The classifier's second reading of a message: its character n-grams, weighted by TF-IDF.

The embedding hears what a message means but smooths over the few letters that carry a
crisis or a red flag in slang, typos and text-speak ("kms", "unalive", "cant feal my
leggs", "od'd"). Character n-grams within words keep them: a word nobody wrote in the
examples still shares most of its n-grams with the ones they did. The features are
exactly scikit-learn's ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`` (training
fits that; a test checks this reading against it), computed here with the standard library and
numpy so that the bot neither imports scikit-learn nor pays its per-call overhead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CharNgrams"]

_KNOWN_WORDS = 50_000


@dataclass(frozen=True, eq=False)
class CharNgrams:
    """A fitted vocabulary of character n-grams and their inverse document frequencies."""

    low: int  # the shortest n-gram
    high: int  # the longest n-gram
    columns: dict[str, int]  # n-gram -> its column
    idf: np.ndarray  # by column
    # word -> the columns of its n-grams: people reuse words, so most are looked up once
    _known: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ngram_range: Sequence[int], vocabulary: Sequence[str], idf: Sequence[float]) -> CharNgrams:
        if len(vocabulary) != len(idf):
            raise ValueError(f"{len(vocabulary)} n-grams but {len(idf)} weights")
        low, high = (int(n) for n in ngram_range)
        return cls(
            low, high, {gram: i for i, gram in enumerate(vocabulary)}, np.asarray(idf, dtype=np.float64)
        )

    def grams(self, word: str) -> Iterator[str]:
        """The n-grams of a word padded with one space each side, as scikit-learn's
        ``char_wb`` analyzer makes them: a word shorter than n is one n-gram, itself."""
        padded = f" {word} "
        for n in range(self.low, self.high + 1):
            if len(padded) <= n:
                yield padded
                break
            for start in range(len(padded) - n + 1):
                yield padded[start : start + n]

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's unit-length TF-IDF vector, sparse: its columns and their values."""
        found: list[int] = []
        for word in text.lower().split():
            known = self._known.get(word)
            if known is None:
                known = tuple(self.columns[g] for g in self.grams(word) if g in self.columns)
                if len(self._known) >= _KNOWN_WORDS:
                    self._known.clear()  # bounded: a flood of new words cannot grow it
                self._known[word] = known
            found.extend(known)
        columns, counts = np.unique(np.asarray(found, dtype=np.int64), return_counts=True)
        values = (1.0 + np.log(counts)) * self.idf[columns]
        norm = float(np.linalg.norm(values))
        return (columns, values / norm) if norm > 0 else (columns[:0], values[:0])
