"""Retriever: dense (FAISS) and lexical (BM25) evidence fused into one ranked list.

Each passage gets three signals for a query:

* ``paragraph``: cosine similarity of the query and the whole paragraph;
* ``sentence``: the best cosine similarity of the query and one of its sentences
  (a short question often matches one sentence of a long paragraph far better);
* ``lexical``: BM25 on corrected, expanded query terms, squashed to 0..1 by
  ``s / (s + lexical_half)`` so that it means the same for every query.

The fused score is a weighted sum. It is comparable across queries, which is what
lets the pipeline decide "no answer" with one threshold.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.errors import LimberError
from index.passage import ScoredPassage
from index.store import LoadedIndex, load_index, read_manifest

T = TypeVar("T")

__all__ = ["IndexReloadError", "RetrievalParams", "Retriever", "SearchResult"]

MAX_QUERY_CHARS = 2000  # longer questions are cut at a word boundary: the model reads 256 tokens


@dataclass(frozen=True)
class RetrievalParams:
    """Weights of the fusion; defaults are the tuned values (see scripts/evaluate.py)."""

    mode: str = "hybrid"  # "hybrid", "dense" or "lexical"
    paragraph_weight: float = 0.25
    sentence_weight: float = 0.25
    lexical_weight: float = 0.40
    lexical_half: float = 6.0  # the BM25 score that counts as half of full lexical evidence
    expand: bool = True  # lay words -> corpus words
    repair: bool = True  # spelling correction against the corpus vocabulary
    candidates: int = 100  # dense and lexical candidates considered per query (large corpora)


@dataclass(frozen=True)
class SearchResult:
    """A ranked list for one query, and the query as the retriever understood it."""

    query: str
    understood_as: str
    passages: list[ScoredPassage]


RELOAD_RETRY_FIRST = 30.0  # seconds before a build that failed to load is tried again (doubling)
RELOAD_RETRY_MAX = 1800.0


@dataclass(frozen=True)
class _FailedBuild:
    build_id: str
    attempt: int
    retry_at: float  # time.monotonic()


class IndexReloadError(LimberError):
    """A rebuilt index could not be loaded; the previous one keeps serving."""

    def __init__(self, build_id: str, attempt: int, pause: float, cause: BaseException) -> None:
        reason = str(cause) if isinstance(cause, LimberError) else type(cause).__name__
        super().__init__(f"build {build_id or '(no id)'}: {reason}")
        self.build_id = build_id
        self.attempt = attempt  # 1 the first time this build failed
        self.pause = pause  # seconds until it is tried again


class Retriever:
    """Searches one loaded index; ``reload_if_changed`` swaps in a rebuilt one safely."""

    def __init__(
        self,
        index: LoadedIndex,
        params: RetrievalParams | None = None,
        *,
        threads: int = 0,
        cache_size: int = 512,
    ) -> None:
        self._index = index
        self.params = params or RetrievalParams()
        self.threads = threads  # encoder threads, kept for indexes loaded later (0: all cores)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int], SearchResult] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # repeat questions skip the encode
        self._cache_size = cache_size
        self._failed: _FailedBuild | None = None

    @classmethod
    def open(
        cls, directory: Path, params: RetrievalParams | None = None, *, threads: int = 0
    ) -> Retriever:
        return cls(load_index(directory, threads=threads), params, threads=threads)

    @property
    def index(self) -> LoadedIndex:
        return self._index

    def with_params(self, **changes: object) -> Retriever:
        """A retriever over the same index with other fusion settings (for evaluation)."""
        return Retriever(self._index, replace(self.params, **changes), threads=self.threads)  # type: ignore[arg-type]

    # -- reload ----------------------------------------------------------------------------

    def reload_if_changed(self) -> bool:
        """Load the index again when its manifest has changed; keep serving the old one on error.

        Returns True when a new index was swapped in. A load error propagates so the
        caller can log it; the current index stays in place.
        """
        directory = self._index.directory
        try:
            build_id = read_manifest(directory).build_id
        except Exception:
            return False  # mid-swap or missing: keep the index we have, look again later
        if build_id == self._index.manifest.build_id:
            return False
        failed = self._failed
        if failed is not None and failed.build_id == build_id and time.monotonic() < failed.retry_at:
            return False  # a build that failed: tried again only after a growing pause
        try:
            fresh = load_index(directory, threads=self.threads)
            self._probe(fresh)
        except Exception as error:
            attempt = failed.attempt + 1 if failed is not None and failed.build_id == build_id else 1
            pause = min(RELOAD_RETRY_FIRST * 2 ** (attempt - 1), RELOAD_RETRY_MAX)
            self._failed = _FailedBuild(build_id, attempt, time.monotonic() + pause)
            raise IndexReloadError(build_id, attempt, pause, error) from error
        self._failed = None
        with self._lock:
            self._index = fresh
            self._cache.clear()  # the documents changed: cached rankings are wrong now
            self._vectors.clear()  # and the model may have, too
        return True

    PROBE_QUESTION = "How do I stretch my lower back?"

    def _probe(self, index: LoadedIndex) -> None:
        """Answer one question from ``index`` before it may replace the one serving."""
        from index.errors import BUILD_COMMAND, IndexCorruptError

        try:
            result = self._search(index, self.PROBE_QUESTION, 3)
        except Exception as error:
            raise IndexCorruptError(
                f"the index at {index.directory} fails a probe search ({type(error).__name__}); "
                f"still serving the previous index; rebuild with: {BUILD_COMMAND}"
            ) from error
        if index.passages and not result.passages:
            raise IndexCorruptError(
                f"the index at {index.directory} finds nothing for a probe search; still serving "
                f"the previous index; rebuild with: {BUILD_COMMAND}"
            )

    # -- search ----------------------------------------------------------------------------

    def encode(self, query: str) -> np.ndarray:
        """The query's embedding as ``search`` reads it (spelling repaired, lay words added):
        computed once per question and shared with triage."""
        query = _truncate(query)
        return self._cached(
            self._vectors, query, lambda index: index.encoder.encode_one(self._understand(index, query))
        )

    def _understand(self, index: LoadedIndex, query: str) -> str:
        """The query as searched: spelling repaired and lay words expanded, as the params say."""
        p = self.params
        repair = index.lexical.analyzer.repair(query)
        understood = repair.text if p.repair else query
        if p.expand and repair.expansion:
            understood = f"{understood} ({repair.expansion})"
        return understood

    def search(self, query: str, k: int = 10, *, vector: np.ndarray | None = None) -> SearchResult:
        """The ``k`` best passages for ``query``, best first (fewer if the index is smaller).

        ``vector`` is ``encode(query)`` when the caller has it already; it is used unless
        spelling repair or synonyms changed what is searched for.
        """
        query = _truncate(query)
        return self._cached(self._cache, (query, k), lambda index: self._search(index, query, k, vector))

    def _cached(self, cache: OrderedDict[Any, T], key: Any, compute: Callable[[LoadedIndex], T]) -> T:
        """``cache[key]``, or ``compute(index)`` kept there unless the index was swapped meanwhile."""
        with self._lock:
            index = self._index
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = compute(index)
        with self._lock:
            if index is self._index:
                cache[key] = value
                if len(cache) > self._cache_size:
                    cache.popitem(last=False)
        return value

    def _search(
        self, index: LoadedIndex, query: str, k: int, query_vector: np.ndarray | None = None
    ) -> SearchResult:
        p = self.params
        analyzer = index.lexical.analyzer
        understood = self._understand(index, query)
        count = len(index.passages)
        paragraph = np.zeros(count, dtype=np.float32)
        sentence = np.zeros(count, dtype=np.float32)
        sentence_scores = np.zeros(0, dtype=np.float32)
        if p.mode in ("hybrid", "dense"):
            # ``query_vector`` is ``encode(query)``: the embedding of ``understood`` already.
            vector = query_vector if query_vector is not None else index.encoder.encode_one(understood)
            paragraph = self._paragraph_scores(index, vector)
            if len(index.sentence_vectors):
                sentence_scores = index.sentence_vectors @ vector
                sentence = _best_per_owner(sentence_scores, index.sentence_owner, count)
            else:  # a large corpus is indexed by paragraph only (see index.build)
                sentence = paragraph
        lexical = np.zeros(count, dtype=np.float32)
        terms = analyzer.query_terms(understood if p.repair else query, expand=p.expand)
        if p.mode in ("hybrid", "lexical"):
            raw = index.lexical.scores(terms)
            lexical = raw / (raw + p.lexical_half)
        fused = self._fuse(paragraph, sentence, lexical)
        top = _top(fused, k)
        ranked = [
            ScoredPassage(
                passage=index.passages[i],
                score=float(fused[i]),
                dense=float(max(paragraph[i], sentence[i])),
                lexical=float(lexical[i]),
                sentence_scores=_sentence_scores(i, index, sentence_scores, terms),
            )
            for i in top
        ]
        return SearchResult(query=query, understood_as=understood, passages=ranked)

    def _fuse(self, paragraph: np.ndarray, sentence: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        p = self.params
        if p.mode == "dense":
            return (p.paragraph_weight * paragraph + p.sentence_weight * sentence) / max(
                p.paragraph_weight + p.sentence_weight, 1e-9
            )
        if p.mode == "lexical":
            return lexical
        return p.paragraph_weight * paragraph + p.sentence_weight * sentence + p.lexical_weight * lexical

    @staticmethod
    def _paragraph_scores(index: LoadedIndex, vector: np.ndarray) -> np.ndarray:
        """Each passage's similarity: that of its best window (most passages have one)."""
        count = len(index.passages)
        if index.manifest.data.get("faiss_index") == "flat":
            rows = index.vectors @ vector  # exact, and the same as FAISS flat search
            return _best_per_owner(rows, index.vector_owner, count)
        found, ids = index.faiss_index.search(vector[None, :], 200)
        valid = ids[0] >= 0
        scores = np.full(count, -1.0, dtype=np.float32)
        np.maximum.at(scores, index.vector_owner[ids[0][valid]], found[0][valid])
        return scores


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the ``k`` highest scores, best first (ties keep corpus order)."""
    if k < len(scores):
        candidates = np.argpartition(-scores, k - 1)[:k]
        return candidates[np.lexsort((candidates, -scores[candidates]))]
    return np.argsort(-scores, kind="stable")


def _best_per_owner(scores: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    best = np.full(count, -1.0, dtype=np.float32)
    np.maximum.at(best, owner, scores)
    best[best < -0.5] = 0.0  # a passage without sentences contributes nothing here
    return best


def _sentence_scores(
    passage_number: int, index: LoadedIndex, sentence_scores: np.ndarray, terms: list[str]
) -> tuple[float, ...]:
    """How well each sentence of a passage matches: by vector, or by shared terms."""
    start, end = index.sentence_spans[passage_number]
    if len(sentence_scores) and end > start:
        return tuple(float(s) for s in sentence_scores[start:end])
    wanted = set(terms)
    if not wanted:
        return ()
    analyzer = index.lexical.analyzer
    return tuple(
        len(wanted & set(analyzer.terms(sentence))) / len(wanted)
        for sentence in index.passages[passage_number].sentences
    )


def _truncate(query: str) -> str:
    query = " ".join(query.split())
    if len(query) <= MAX_QUERY_CHARS:
        return query
    cut = query.rfind(" ", 0, MAX_QUERY_CHARS)
    return query[: cut if cut > 0 else MAX_QUERY_CHARS]
