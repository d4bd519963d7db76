"""Build an index from a corpus: ingest, embed (with a cache), store atomically."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.changes import IndexChanges, compare_builds, file_hashes, previous_build
from index.embed import MODEL_NAME, ONNX_FILE, Encoder, export_onnx_model
from index.ingest import IngestResult, read_corpus
from index.known import KnownQuestions, read_known_questions
from index.lexicon import Lexicon
from index.passage import Passage
from index.store import Manifest, write_index
from limber.errors import BUILD_COMMAND, LimberError

__all__ = ["BuildError", "BuildReport", "EmbeddingCache", "build_index", "distinct_titles", "prepare_model"]


class BuildError(LimberError):
    """A build could not write its index or cache (disk full, permissions)."""


@dataclass
class BuildReport:
    """What a build did, for the summary the build script prints."""

    ingest: IngestResult
    manifest: Manifest
    seconds: float
    embedded: int = 0  # distinct texts that had to be embedded (not found in the cache)
    cached: int = 0  # distinct texts whose vectors came from the cache
    windowed: int = 0  # passages longer than the model's window, embedded in windows
    timings: dict[str, float] = field(default_factory=dict)
    changes: IndexChanges | None = None  # against the index replaced (None: the first build)
    known: KnownQuestions = field(default_factory=KnownQuestions.none)  # questions with their passage


class EmbeddingCache:
    """Vectors by (model, text) hash in SQLite, so a rebuild embeds only what changed.

    It also keeps how each passage was cut into windows, so that a rebuild does not
    tokenize unchanged passages again.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        self._db.execute("CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, texts TEXT)")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()

    def _select(self, table: str, column: str, keys: list[str]) -> Iterator[tuple[str, Any]]:
        # Any: sqlite3 rows are untyped; the vector column holds bytes, the texts column JSON.
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", chunk)

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self._select("vectors", "vector", keys)}

    def get_windows(self, keys: list[str]) -> dict[str, list[str]]:
        return {k: json.loads(v) for k, v in self._select("windows", "texts", keys)}

    def put_windows(self, items: dict[str, list[str]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO windows VALUES (?, ?)",
                ((k, json.dumps(v)) for k, v in items.items()),
            )

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                ((k, v.astype(np.float32).tobytes()) for k, v in items.items()),
            )

    def close(self) -> None:
        self._db.close()


def prepare_model(cache_dir: Path) -> Path:
    """The ONNX export of the model, made once and kept in the cache directory.

    Several builds may share a cache: each exports into a folder of its own and
    renames it into place; when another build got there first, its export is used.
    The lock serialises exports, so an empty cache costs one export, not four.
    """
    model_dir = cache_dir / "model"
    if (model_dir / ONNX_FILE).is_file():
        return model_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(cache_dir / ".model-export.lock"):
        if (model_dir / ONNX_FILE).is_file():
            return model_dir  # exported by the build we waited for
        _remove_stale(cache_dir, ".model-export")
        staging = Path(tempfile.mkdtemp(prefix=".model-export-", dir=cache_dir))
        try:
            export_onnx_model(staging)
            shutil.rmtree(model_dir, ignore_errors=True)  # an incomplete export of an older run
            os.replace(staging, model_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return model_dir


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if needed); released even on a kill."""
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale(directory: Path, prefix: str) -> list[str]:
    """Remove what killed builds left behind (``prefix*`` folders); call with the lock held."""
    removed = []
    for leftover in directory.glob(f"{prefix}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


def _windows(sentences: tuple[str, ...], encoder: Encoder) -> list[str]:
    """Overlapping runs of whole sentences, each within the model's window."""
    budget = encoder.max_tokens - 2
    windows: list[str] = []
    current: list[str] = []
    tokens = 0
    for sentence in sentences:
        count = encoder.count_tokens(sentence) - 2
        if current and tokens + count > budget:
            windows.append(" ".join(current))
            current, tokens = current[-1:], encoder.count_tokens(current[-1]) - 2  # overlap
        current.append(sentence)
        tokens += count
    if current:
        windows.append(" ".join(current))
    return windows


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc="embedding", unit="text", file=sys.stderr) as bar:
        yield bar.update


# The build's encoder, loaded on first use: a build whose texts are all in the cache (a warm
# rebuild) tokenizes and embeds nothing, so it never pays for the ONNX session (0.2-0.4 s).
EncoderLoader = Callable[[], Encoder]


def _embed_all(
    texts: list[str], encoder: EncoderLoader, cache: EmbeddingCache, show_progress: bool
) -> tuple[np.ndarray, int, int]:
    """Vectors of ``texts``, and how many distinct texts were embedded and found cached."""
    keys = [EmbeddingCache.key(t) for t in texts]
    known = cache.get_many(sorted(set(keys)))
    cached = len(known)
    missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in known})
    if missing:
        with _progress(len(missing), show_progress and len(missing) > 200) as update:
            fresh = encoder().encode(missing, progress=update)
        new_items = {EmbeddingCache.key(t): v for t, v in zip(missing, fresh, strict=True)}
        cache.put_many(new_items)
        known.update(new_items)
    vectors = (
        np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder().dimension), dtype=np.float32)
    )
    return vectors.astype(np.float32), len(missing), cached


# Sentence vectors sharpen retrieval and pick the sentences shown in bold, but cost about ten
# embeddings a passage. Beyond this many passages a build embeds paragraphs only, so that a
# MedQuAD-sized corpus builds in minutes; search and highlighting then use BM25 per sentence.
SENTENCE_VECTOR_LIMIT = 5_000


@dataclass
class _Vectors:
    """Everything embedding produced for one build."""

    windows: np.ndarray  # one unit vector per window; most passages are a single window
    window_owner: np.ndarray  # the passage of each window vector
    sentences: np.ndarray  # one unit vector per sentence (empty for large corpora)
    sentence_owner: np.ndarray  # the passage of each sentence vector
    titles: np.ndarray  # one unit vector per distinct passage title
    title_of: np.ndarray  # each passage's row in ``titles``, -1 for a passage without a title
    embedded: int  # distinct texts embedded now
    cached: int  # distinct texts found in the cache
    windowed: int  # passages longer than the model's window, embedded in windows


def _window_cuts(passages: list[Passage], encoder: EncoderLoader, cache: EmbeddingCache) -> list[list[str]]:
    """Each passage as the texts to embed: itself, or overlapping windows when too long."""
    keys = [EmbeddingCache.key(p.text) for p in passages]
    known = cache.get_windows(sorted(set(keys)))
    fresh = [i for i, key in enumerate(keys) if key not in known]
    if fresh:
        tokens = encoder()
        lengths = tokens.count_tokens_many([passages[i].text for i in fresh])
        new: dict[str, list[str]] = {}
        for i, length in zip(fresh, lengths, strict=True):
            passage = passages[i]
            too_long = length > tokens.max_tokens
            cut = _windows(passage.sentences or (passage.text,), tokens) if too_long else [passage.text]
            new[keys[i]] = cut
        cache.put_windows(new)
        known.update(new)
    return [known[key] for key in keys]


def distinct_titles(passages: list[Passage]) -> tuple[list[str], np.ndarray]:
    """The distinct titles of ``passages`` (a heading heads several paragraphs), and each
    passage's row among them (-1: no title)."""
    rows: dict[str, int] = {}
    title_of = np.full(len(passages), -1, dtype=np.int32)
    for number, passage in enumerate(passages):
        title = (passage.title or "").strip()
        if title:
            title_of[number] = rows.setdefault(title, len(rows))
    return list(rows), title_of


def _passage_vectors(
    passages: list[Passage], encoder: EncoderLoader, cache: EmbeddingCache, show_progress: bool
) -> _Vectors:
    """Embed every passage (in windows when long), its title, and, for small corpora, every sentence."""
    with_sentences = len(passages) <= SENTENCE_VECTOR_LIMIT
    window_texts: list[str] = []
    window_owner: list[int] = []
    sentence_texts: list[str] = []
    sentence_owner: list[int] = []
    cuts = _window_cuts(passages, encoder, cache)
    windowed = sum(len(windows) > 1 for windows in cuts)
    for number, (passage, windows) in enumerate(zip(passages, cuts, strict=True)):
        sentences = passage.sentences or (passage.text,)
        window_texts += windows
        window_owner += [number] * len(windows)
        if with_sentences:
            sentence_texts += sentences
            sentence_owner += [number] * len(sentences)
    title_texts, title_of = distinct_titles(passages)
    vectors, embedded, cached = _embed_all(
        window_texts + sentence_texts + title_texts, encoder, cache, show_progress
    )
    sentences_end = len(window_texts) + len(sentence_texts)
    return _Vectors(
        vectors[: len(window_texts)],
        np.asarray(window_owner, dtype=np.int32),
        vectors[len(window_texts) : sentences_end],
        np.asarray(sentence_owner, dtype=np.int32),
        vectors[sentences_end:],
        title_of,
        embedded,
        cached,
        windowed,
    )


def build_index(
    corpus_dir: Path,
    out_dir: Path,
    *,
    cache_dir: Path,
    show_progress: bool = True,
    before_commit: Callable[[Path], None] | None = None,
) -> BuildReport:
    """Build the index of ``corpus_dir`` into ``out_dir``; the old index stays until the end.

    Builds into the same ``out_dir`` run one after another (a lock file beside it);
    each first removes the staging folders a killed build left behind. A full disk
    or an unwritable cache is one BuildError; the previous index keeps serving.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir.parent / f".{out_dir.name}.lock"):
        for prefix in (f".{out_dir.name}.building-", f".{out_dir.name}.old-"):
            _remove_stale(out_dir.parent, prefix)
        try:
            return _build(
                corpus_dir,
                out_dir,
                cache_dir=cache_dir,
                show_progress=show_progress,
                before_commit=before_commit,
            )
        except (OSError, shutil.Error, sqlite3.Error) as error:
            raise BuildError(
                f"the build could not read or write its files ({_reason(error)}); the previous index "
                f"is untouched; free some disk space or check permissions of {out_dir.parent} "
                f"and {cache_dir}, then run: {BUILD_COMMAND}"
            ) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list):
        for _source, _target, why in error.args[0][:1]:
            return str(why)[:200]
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {str(error)[:200]}"


def _build(
    corpus_dir: Path,
    out_dir: Path,
    *,
    cache_dir: Path,
    show_progress: bool,
    before_commit: Callable[[Path], None] | None,
) -> BuildReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    ingest = read_corpus(corpus_dir)
    hashes = file_hashes(ingest.files, corpus_dir)
    previous = previous_build(out_dir)
    changes = compare_builds(previous, hashes, ingest.passages) if previous else None
    timings["ingest"] = time.perf_counter() - started
    if not ingest.passages:
        from limber.errors import CorpusError

        if ingest.skipped and not ingest.dropped:
            reasons = "; ".join(f"{s.file}: {s.reason}" for s in ingest.skipped)
            raise CorpusError(f"nothing to index in {corpus_dir}: no document gave any text ({reasons})")
        raise CorpusError(
            f"nothing to index in {corpus_dir}: every paragraph was dropped ({ingest.dropped_by_reason()})"
        )
    lexicon = Lexicon.of_corpus(corpus_dir)  # the corpus's synonyms and glossary, if it has them
    known = read_known_questions(corpus_dir, ingest.passages)
    mark = time.perf_counter()
    model_dir = prepare_model(cache_dir)
    encoder = functools.cache(lambda: Encoder(model_dir, threads=os.cpu_count() or 1))
    timings["model"] = time.perf_counter() - mark  # the export; loading it counts in "embed"
    mark = time.perf_counter()
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite3")
    try:
        vectors = _passage_vectors(ingest.passages, encoder, cache, show_progress)
        known_vectors = (
            _embed_all(list(known.questions), encoder, cache, show_progress)[0] if known.questions else None
        )
    finally:
        cache.close()
    timings["embed"] = time.perf_counter() - mark
    mark = time.perf_counter()
    manifest = write_index(
        out_dir,
        passages=ingest.passages,
        vectors=vectors.windows,
        vector_owner=vectors.window_owner,
        sentence_vectors=vectors.sentences,
        sentence_owner=vectors.sentence_owner,
        title_vectors=vectors.titles,
        title_of=vectors.title_of,
        lexicon=lexicon,
        known=known,
        known_vectors=known_vectors,
        model_dir=model_dir,
        manifest_extra={
            "corpus_dir": str(corpus_dir.resolve()),
            "corpus_hash": ingest.corpus_hash,
            "corpus_files": [p.relative_to(corpus_dir).as_posix() for p in ingest.files],
            "corpus_file_hashes": hashes,
            "skipped_documents": [s.to_json() for s in ingest.skipped],
            "changes": changes.to_json() if changes else None,
            "dropped": [d.to_json() for d in ingest.dropped],
            "skipped_links": ingest.skipped_links,
        },
        before_commit=before_commit,
    )
    timings["store"] = time.perf_counter() - mark
    return BuildReport(
        ingest=ingest,
        manifest=manifest,
        seconds=time.perf_counter() - started,
        embedded=vectors.embedded,
        cached=vectors.cached,
        windowed=vectors.windowed,
        timings=timings,
        changes=changes,
        known=known,
    )
