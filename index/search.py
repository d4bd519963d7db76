"""Retriever: dense (FAISS) and lexical (BM25) evidence fused into one ranked list.

Each passage gets three signals for a query:

* ``paragraph``: cosine similarity of the query and the whole paragraph;
* ``sentence``: the best cosine similarity of the query and one of its sentences
  (a short question often matches one sentence of a long paragraph far better);
* ``lexical``: BM25 on corrected, expanded query terms, squashed to 0..1 by
  ``s / (s + lexical_half)`` so that it means the same for every query.

A passage with a title (a MedQuAD question, a Markdown or HTML heading, a JSONL
``title``) is matched by its title too: the title's cosine similarity is blended into
its paragraph similarity (``title_dense``), and BM25 over the titles into its lexical
score (``title_lexical``). A user's question matching a stored question is the best
evidence there is on FAQ-like documents; a passage without a title keeps its own
scores, so a corpus without titles ranks as before.

A long message (``index.focus``) is searched as itself and as its question: the
subject line and the sentences that ask get ``focus_weight`` of the query vector and
of the BM25 score, the rest of the message the remainder.

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

from index.focus import QueryFocus, find_focus
from index.passage import ScoredPassage
from index.store import LoadedIndex, load_index, read_manifest
from limber.errors import LimberError

T = TypeVar("T")

__all__ = ["IndexReloadError", "RetrievalParams", "Retriever", "SearchResult"]

# Longer questions are cut at a word boundary (the model reads 256 tokens); their subject line
# and asking sentences are looked for in the first FOCUS_SCAN_CHARS, wherever they stand.
MAX_QUERY_CHARS = 2000


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
    title_dense: float = 0.5  # share of a titled passage's paragraph similarity taken by its title
    title_lexical: float = 0.5  # share of a titled passage's BM25 evidence taken by its title
    focus: bool = True  # weight a long message's subject line and asking sentences
    focus_weight: float = 0.4  # their share of the query vector and of BM25
    rest_terms: int = 20  # the rest of a long message weighs in BM25 as at most this many terms
    # A passage gains ``known_weight`` for each unit its nearest known question is closer to
    # the query than ``known_floor`` (index.known): a query worded as someone asked before.
    known_weight: float = 1.0
    known_floor: float = 0.5
    known_exclude: str = ""  # an author whose known questions are ignored (held out in training)


@dataclass(frozen=True)
class SearchResult:
    """A ranked list for one query, and the query as the retriever understood it."""

    query: str
    understood_as: str
    passages: list[ScoredPassage]
    focus: str = ""  # the subject line and asking sentences weighted ("" for a short question)


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
        self._cache: OrderedDict[tuple[str, str, int], SearchResult] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # repeat questions skip the encode
        self._cache_size = cache_size
        self._failed: _FailedBuild | None = None

    @classmethod
    def open(cls, directory: Path, params: RetrievalParams | None = None, *, threads: int = 0) -> Retriever:
        return cls(load_index(directory, threads=threads), params, threads=threads)

    @property
    def index(self) -> LoadedIndex:
        return self._index

    def with_params(self, **changes: object) -> Retriever:
        """A retriever over the same index with other fusion settings (for evaluation)."""
        # arg-type: ``changes`` are RetrievalParams fields by name; dataclasses.replace checks them.
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
        from limber.errors import BUILD_COMMAND, IndexCorruptError

        try:
            result = self._search(index, self.PROBE_QUESTION, "", 3)
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
            self._vectors, query, lambda index: index.encoder.encode_one(self._understood(index, query))
        )

    def search(self, query: str, k: int = 10, *, vector: np.ndarray | None = None) -> SearchResult:
        """The ``k`` best passages for ``query``, best first (fewer if the index is smaller).

        ``vector`` is ``encode(query)`` when the caller has it already (then no second encode).
        """
        focus = find_focus(query) if self.params.focus else QueryFocus()
        focus_text = focus.text if focus.applies else ""
        query = _truncate(query)
        return self._cached(
            self._cache,
            (query, focus_text, k),
            lambda index: self._search(index, query, focus_text, k, vector),
        )

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
        self,
        index: LoadedIndex,
        query: str,
        focus: str,
        k: int,
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        p = self.params
        analyzer = index.lexical.analyzer
        understood = self._understood(index, query)
        focus_understood = self._understood(index, focus) if focus else ""
        count = len(index.passages)
        paragraph = np.zeros(count, dtype=np.float32)
        sentence = np.zeros(count, dtype=np.float32)
        sentence_scores = np.zeros(0, dtype=np.float32)
        share = self._focus_share(index, understood) if focus_understood else 0.0
        if p.mode in ("hybrid", "dense"):
            # ``query_vector`` is ``encode(query)``: the embedding of ``understood`` already.
            vector = query_vector if query_vector is not None else index.encoder.encode_one(understood)
            if focus_understood:
                mixed = (1 - share) * vector + share * index.encoder.encode_one(focus_understood)
                vector = (mixed / max(float(np.linalg.norm(mixed)), 1e-12)).astype(np.float32)
            paragraph = self._paragraph_scores(index, vector)
            if len(index.sentence_vectors):
                sentence_scores = _similarity(index.sentence_vectors, vector)
                sentence = _best_per_owner(sentence_scores, index.sentence_owner, count)
            else:  # a large corpus is indexed by paragraph only (see index.build)
                sentence = paragraph
            titled, title_similarity = _title_scores(index, vector)
            if titled is not None and p.title_dense > 0:
                blended = (1 - p.title_dense) * paragraph + p.title_dense * title_similarity
                paragraph = np.where(titled, blended, paragraph).astype(np.float32)
                if not len(index.sentence_vectors):
                    sentence = paragraph
        lexical = np.zeros(count, dtype=np.float32)
        terms = analyzer.query_terms(understood if p.repair else query, expand=p.expand)
        if p.mode in ("hybrid", "lexical"):
            raw = self._bm25(index, terms)
            if focus_understood:
                focus_terms = analyzer.query_terms(focus_understood if p.repair else focus, expand=p.expand)
                # BM25 adds up over terms: a long story would outweigh its question by sheer
                # volume, so beyond ``rest_terms`` distinct terms the rest counts as that many.
                rest = min(1.0, p.rest_terms / max(1, len(set(terms))))
                raw = (1 - share) * rest * raw + share * self._bm25(index, focus_terms)
            lexical = (raw / (raw + p.lexical_half)).astype(np.float32)
        fused = self._fuse(paragraph, sentence, lexical)
        if p.mode in ("hybrid", "dense") and p.known_weight > 0:
            fused = fused + p.known_weight * _known_lift(index, vector, count, p)
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
        return SearchResult(query=query, understood_as=understood, passages=ranked, focus=focus)

    def _focus_share(self, index: LoadedIndex, message: str) -> float:
        """The question's share of the search: ``focus_weight``, and more for a message longer
        than the model reads (256 tokens), whose vector stands only for its opening part."""
        tokens = index.encoder.count_tokens(message)
        unread = 1.0 - index.encoder.max_tokens / tokens if tokens > index.encoder.max_tokens else 0.0
        return max(self.params.focus_weight, unread)

    def _understood(self, index: LoadedIndex, text: str) -> str:
        """``text`` as searched: spelling repaired, glossary descriptions added (per params)."""
        p = self.params
        repair = index.lexical.analyzer.repair(text)
        understood = repair.text if p.repair else text
        if p.expand and repair.expansion:
            understood = f"{understood} ({repair.expansion})"
        return understood

    def _bm25(self, index: LoadedIndex, terms: list[str]) -> np.ndarray:
        """BM25 evidence per passage: a titled passage's blends in that of its title."""
        raw = index.lexical.scores(terms)
        weight = self.params.title_lexical
        if weight > 0 and index.lexical.has_titles and index.title_of is not None:
            titled = index.title_of >= 0
            blended = (1 - weight) * raw + weight * index.lexical.title_scores(terms)
            raw = np.where(titled, blended, raw).astype(np.float32)
        return raw

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
            rows = _similarity(index.vectors, vector)  # exact, and the same as FAISS flat search
            return _best_per_owner(rows, index.vector_owner, count)
        found, ids = index.faiss_index.search(vector[None, :], 200)
        valid = ids[0] >= 0
        scores = np.full(count, -1.0, dtype=np.float32)
        np.maximum.at(scores, index.vector_owner[ids[0][valid]], found[0][valid])
        return scores


def _similarity(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``vector``, computed on this thread. A BLAS product of
    this size (from about 2,000 rows of 384) wakes OpenBLAS's threads, which then spin and
    take the cores from the encoder: with 2,137 known questions the next question's encode
    took twice as long (benchmark p50 11 -> 24 ms). einsum does not call BLAS."""
    return np.einsum("ij,j->i", rows, vector).astype(np.float32, copy=False)


def _title_scores(index: LoadedIndex, vector: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Which passages have a title, and each one's title similarity to the query (0: none)."""
    if index.title_vectors is None or index.title_of is None or not len(index.title_vectors):
        return None, np.zeros(0, dtype=np.float32)
    similarity = _similarity(index.title_vectors, vector)
    titled = index.title_of >= 0
    return titled, np.where(titled, similarity[np.maximum(index.title_of, 0)], 0.0).astype(np.float32)


def _known_lift(index: LoadedIndex, vector: np.ndarray, count: int, p: RetrievalParams) -> np.ndarray:
    """How far each passage's nearest known question is closer to the query than the floor."""
    known = index.known
    if index.known_vectors is None or not len(known.owners):
        return np.zeros(count, dtype=np.float32)
    similarity = _similarity(index.known_vectors, vector)
    if p.known_exclude:
        similarity[np.asarray(known.authors) == p.known_exclude] = -1.0
    nearest = np.full(count, -1.0, dtype=np.float32)
    np.maximum.at(nearest, known.owners, similarity)
    return np.maximum(nearest - p.known_floor, 0.0).astype(np.float32)


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
