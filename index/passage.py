"""The records that flow from ingest to search: a passage and a scored passage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Passage", "ScoredPassage"]


@dataclass(frozen=True)
class Passage:
    """One paragraph of a corpus document, with where it came from.

    ``id`` is stable across rebuilds: ``<file stem>:<paragraph number>`` for text
    files, or the ``id`` field of a ``.jsonl`` line when it has one.
    """

    id: str
    text: str
    source: str  # human-readable origin, e.g. "000_eb9de0a5e431290b.txt, paragraph 12"
    title: str | None = None
    url: str | None = None
    sentences: tuple[str, ...] = field(default=(), compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "sentences": list(self.sentences),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Passage:
        # Any: the values of a decoded JSON line (passages.jsonl, written by to_json).
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            source=str(data["source"]),
            title=data.get("title") or None,
            url=data.get("url") or None,
            sentences=tuple(data.get("sentences") or ()),
        )


@dataclass(frozen=True)
class ScoredPassage:
    """A passage as the retriever ranked it for one query.

    ``score`` is the fused relevance used for ranking and for the no-answer
    decision; ``dense`` (cosine similarity) and ``lexical`` (BM25, normalised to
    0..1 for this query) are kept for evaluation and tuning.
    """

    passage: Passage
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    sentence_scores: tuple[float, ...] = ()  # similarity of each of passage.sentences to the query
