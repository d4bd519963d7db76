"""Read corpus files into passages: normalise, split, tag junk, remove duplicates.

Cleaning happens here, in code, so that corpus files stay verbatim. Every
paragraph that is not kept is recorded with the reason, for the build summary
and the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.formats import READERS, read_document
from index.known import QUESTIONS_FILE
from index.lexicon import LEXICON_FILE
from index.passage import Passage
from limber.errors import CorpusError

# normalise and split_sentences live in the text toolkit; named here too for the modules that
# import them from index.ingest (bot/evaluation.py, bot/triage/training.py).
from limber.text import fold_words, normalise, split_sentences

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_PARAGRAPH_CHARS",
    "QUESTIONS_FILE",
    "CorpusListing",
    "Dropped",
    "IngestResult",
    "SkippedDocument",
    "corpus_files",
    "corpus_hash",
    "junk_reason",
    "normalise",
    "read_corpus",
    "split_sentences",
]

ACCEPTED_SUFFIXES = (".txt", ".md", ".jsonl", *READERS)  # READERS: .html, .htm, .pdf, .docx
# Files that document a corpus rather than belong to it (formats, licences, attribution).
_NOT_INDEXED = {"readme.md", "attribution.md", "license.md", "license.txt", "notice.md"}
METADATA_SUFFIX = ".meta.json"  # "<document>.meta.json" beside a document: its title and link
_MIN_CHARS = 40  # shorter fragments carry no answer (a lone "×", a stray heading)
MAX_FILE_BYTES = 256 << 20  # one document; MedQuAD's 16,000 answers are 25 MB in one file
MAX_PARAGRAPH_CHARS = 200_000  # one paragraph (passage); real ones are a few thousand
MAX_DEPTH = 64  # folders inside the corpus folder


@dataclass(frozen=True)
class Dropped:
    """A paragraph left out of the index, and why."""

    id: str
    source: str
    reason: str
    preview: str
    duplicate_of: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "source": self.source,
            "reason": self.reason,
            "preview": self.preview,
            "duplicate_of": self.duplicate_of,
        }


@dataclass(frozen=True)
class SkippedDocument:
    """A document that gave no passages at all (a scanned or encrypted PDF), and why."""

    file: str  # relative to the corpus directory
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason}


@dataclass
class IngestResult:
    """What reading a corpus produced."""

    files: list[Path]
    passages: list[Passage]
    dropped: list[Dropped] = field(default_factory=list)
    corpus_hash: str = ""
    skipped: list[SkippedDocument] = field(default_factory=list)
    skipped_links: list[str] = field(default_factory=list)  # links leading out of the corpus

    def dropped_by_reason(self) -> dict[str, int]:
        return dict(Counter(d.reason for d in self.dropped).most_common())


# --- normalisation (the rest is limber.text.normalise) -------------------------------------

_BACK_TO_TEXT_RE = re.compile(r"\s*\bBACK TO TEXT\b\s*$", re.IGNORECASE)


def _strip_tails(text: str) -> str:
    # Footnote tails from web pages ("... at the dentist. BACK TO TEXT").
    if "back to text" not in text[-20:].lower():  # the regex only where it can match
        return text
    return _BACK_TO_TEXT_RE.sub("", text).strip()


# --- junk ----------------------------------------------------------------------------------

# Each rule is (reason, pattern). Patterns describe the kind of text, not one sentence of the
# seed, so that they keep working as documents are added.
# Patterns run on the lower-cased text (case-sensitive matching is several times faster
# than re.IGNORECASE on long paragraphs); the one for bios also reads the original's capitals.
_JUNK_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "site disclaimer",
        re.compile(
            r"not (?:intended|meant) (?:for use )?(?:as|to (?:serve as|be))\b.{0,40}"
            r"(?:diagnos|medical advice|substitute)"
            r"|strictly for informational purposes"
            r"|does not endorse any (?:treatments|products)"
            r"|for informational purposes only"
        ),
    ),
    (
        "account notice",
        # Each alternative opens with a literal word, which lets the scan skip ahead fast.
        re.compile(
            r"(?:your account|customer service|email address|login to your|log in to your)\b"
            r"|subscribe\b.{0,30}\bnewsletter"
        ),
    ),
    (
        "author bio",
        re.compile(r"(?:bachelor|master)['’]?s degree\b| (?:she|he) (?:believes|runs|lives)\b"),
    ),
    (
        "comment",
        re.compile(
            r"\A(?:hi|hello|hey|dear|thanks?|thank you)\b[^.!?]{0,30}[,!]"
            r"|my question (?:to you )?is\b|would (?:you|your) recommend\b"
        ),
    ),
)
_BIO_OPENING_RE = re.compile(
    r"^[A-Z][a-z]+(?: [A-Z][a-z]+)? is an? (?:certified|registered|licensed|board[- ]certified"
    r"|freelance|award[- ]winning|writer|editor|journalist)"
)

# "I" only before a verb, so that "MPS I" or "type I" is not a narrator.
_FIRST_PERSON_RE = re.compile(
    r"\bI(?= (?:have|had|was|am|do|did|feel|felt|think|thought|get|got|can|could|would|went|try"
    r"|tried|started|began|need|want|know|knew|noticed|use|used|love|believe|really|just|never)\b)"
    r"|\bI['’](?:m|ve|d)\b|\b[Mm]y\b|\bme\b"
)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")


_SENTENCE_MARK_RE = re.compile(r"[.!?](?:\s|$)")


def _is_link_list(text: str) -> bool:
    # A run of title-cased headlines with hardly any sentence punctuation.
    if len(_SENTENCE_MARK_RE.findall(text)) > 2:
        return False
    words = _WORD_RE.findall(text)
    return len(words) >= 25 and sum(w[0].isupper() for w in words) / len(words) > 0.6


def _is_personal_anecdote(text: str) -> bool:
    # A first-person story ("I have been experiencing ...") is a reader's comment, not advice.
    words = _WORD_RE.findall(text)
    return len(words) >= 20 and len(_FIRST_PERSON_RE.findall(text)) / len(words) > 0.05


def junk_reason(text: str) -> str | None:
    """Why a paragraph is not an answer (a disclaimer, a bio, ...), or None when it may be."""
    if len(text) < _MIN_CHARS or not re.search(r"[A-Za-z]{3}", text):
        return "fragment"
    if _BIO_OPENING_RE.match(text):
        return "author bio"
    lowered = text.lower()
    for reason, pattern in _JUNK_RULES:
        if pattern.search(lowered):
            return reason
    if _is_link_list(text):
        return "link list"
    if _is_personal_anecdote(text):
        return "personal anecdote"
    return None


# --- duplicates ----------------------------------------------------------------------------

_DEDUPE_KEY_RE = re.compile(r"[^a-z0-9]+")
_SHINGLE = 3
_NEAR_THRESHOLD = 0.7  # word 3-gram Jaccard at or above this is the same paragraph re-published


def _dedupe_key(text: str) -> str:
    return _DEDUPE_KEY_RE.sub(" ", fold_words(text)).strip()


_GRAM_WEIGHTS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def _shingles(key: str) -> frozenset[int]:
    """Hashes of the word 3-grams of ``key`` (each word hashed once, grams combined in numpy)."""
    words = np.fromiter((zlib.crc32(w.encode()) for w in key.split()), dtype=np.uint64)
    if len(words) < _SHINGLE:
        return frozenset((int(words.sum()),))
    grams = sum(words[i : len(words) - _SHINGLE + 1 + i] * _GRAM_WEIGHTS[i] for i in range(_SHINGLE))
    return frozenset(grams.tolist())


class _NearDuplicateFinder:
    """MinHash with banded LSH: finds near duplicates without comparing every pair."""

    _BANDS, _ROWS = 16, 4
    # A band shared by this many passages is boilerplate ("This condition is inherited in an
    # autosomal recessive pattern"); a true near duplicate also shares other bands, so such
    # buckets stop growing and are not searched: that keeps a 16k-passage corpus fast.
    _CROWDED = 256
    _EXACT_CHECKS = 8  # candidates checked exactly, best estimate first

    def __init__(self) -> None:
        rng = np.random.default_rng(20261125)  # fixed, so builds are reproducible
        count = self._BANDS * self._ROWS
        self._a = rng.integers(1, 2**63, size=count, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=count, dtype=np.uint64)
        self._buckets: dict[tuple[int, bytes], list[int]] = {}
        self._sets: list[frozenset[int]] = []
        self._signatures = np.zeros((1024, count), dtype=np.uint64)  # grows by doubling
        self._ids: list[str] = []

    def _signature(self, shingles: frozenset[int]) -> np.ndarray:
        values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
        # Multiply-add hashing modulo 2**64 (numpy wraps uint64); one row per permutation.
        hashed = self._a[:, None] * values[None, :] + self._b[:, None]
        return hashed.min(axis=1)

    def find_or_add(self, passage_id: str, key: str) -> str | None:
        """The id of an earlier near duplicate of ``key``, or None after remembering it."""
        shingles = _shingles(key)
        signature = self._signature(shingles).reshape(self._BANDS, self._ROWS)
        bands = [(band, signature[band].tobytes()) for band in range(self._BANDS)]
        found: set[int] = set()
        for band in bands:
            bucket = self._buckets.get(band)
            if bucket and len(bucket) < self._CROWDED:
                found.update(bucket)
        flat = signature.reshape(-1)
        if found:
            # The share of equal MinHash values estimates the Jaccard similarity; the few
            # candidates whose estimate comes near the threshold get the exact check.
            candidates = np.fromiter(sorted(found), dtype=np.int64, count=len(found))
            estimates = (self._signatures[candidates] == flat).mean(axis=1)
            for j in np.argsort(-estimates, kind="stable")[: self._EXACT_CHECKS]:
                if estimates[j] < _NEAR_THRESHOLD - 0.2:
                    break
                other = self._sets[candidates[j]]
                if len(shingles & other) / len(shingles | other) >= _NEAR_THRESHOLD:
                    return self._ids[candidates[j]]
        index = len(self._sets)
        if index == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.zeros_like(self._signatures)])
        self._signatures[index] = flat
        self._sets.append(shingles)
        self._ids.append(passage_id)
        for band in bands:
            bucket = self._buckets.setdefault(band, [])
            if len(bucket) < self._CROWDED:
                bucket.append(index)
        return None


# --- reading files -------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawParagraph:
    id: str
    text: str
    source: str
    title: str | None = None
    url: str | None = None


def _is_saved_page_folder(folder: Path) -> bool:
    """``page_files/``: the images, styles and scripts a browser saves beside ``page.html``."""
    if not folder.name.endswith("_files"):
        return False
    stem = folder.name[: -len("_files")]
    return any((folder.parent / f"{stem}{suffix}").is_file() for suffix in (".html", ".htm"))


@dataclass(frozen=True)
class CorpusListing:
    """The documents of a corpus folder, and the links that were not followed."""

    files: list[Path]
    skipped_links: list[str]  # relative paths of links that lead outside the corpus folder


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents of a corpus directory, in a stable order; README.md is not one."""
    return corpus_listing(corpus_dir).files


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def corpus_listing(corpus_dir: Path) -> CorpusListing:
    """Every document under ``corpus_dir`` (no hidden ones, no link out of it), sorted.

    Walks with an explicit stack (no recursion limit) down to ``MAX_DEPTH`` folders.
    A link, to a file or a folder, is followed only when its target is inside the
    corpus folder; a linked folder is never walked (no loops).
    """
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus directory not found: {corpus_dir} (create it and add documents, or pass --corpus DIR)"
        )
    root = corpus_dir.resolve()
    found: list[Path] = []
    skipped: list[str] = []
    stack: list[tuple[Path, int]] = [(corpus_dir, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name, reverse=True)
        except OSError as error:
            raise CorpusError(f"cannot read the folder {folder} ({error.strerror})") from None
        for entry in entries:
            path = Path(entry.path)
            relative = path.relative_to(corpus_dir)
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    skipped.append(relative.as_posix())  # dangling or a loop
                    continue
                if not _inside(target, root) or not target.is_file():
                    skipped.append(relative.as_posix())
                    continue
            elif entry.is_dir(follow_symlinks=False):
                if _is_saved_page_folder(path):
                    continue
                if depth + 1 > MAX_DEPTH:
                    raise CorpusError(
                        f"{relative.as_posix()[:200]}: folders nested more than {MAX_DEPTH} deep "
                        "in the corpus; flatten them"
                    )
                stack.append((path, depth + 1))
                continue
            elif not entry.is_file(follow_symlinks=False):
                continue  # sockets, devices, fifos
            if path.name.lower() in _NOT_INDEXED or relative.as_posix() in (LEXICON_FILE, QUESTIONS_FILE):
                continue  # the corpus's query vocabulary (read by the build) and labelled questions
            if path.name.lower().endswith(METADATA_SUFFIX):
                document = path.name[: -len(METADATA_SUFFIX)]
                if not path.with_name(document).is_file():
                    raise CorpusError(
                        f"{relative} describes no document: {document} is missing "
                        "(rename or remove it; see corpus/README.md)"
                    )
                continue
            if path.suffix.lower() not in ACCEPTED_SUFFIXES:  # at once: do not walk on through "/"
                raise CorpusError(
                    f"unknown format: {relative} (accepted: {', '.join(ACCEPTED_SUFFIXES)}; "
                    "see corpus/README.md)"
                )
            found.append(path)
    files = sorted(found)
    if not files:
        raise CorpusError(
            f"empty corpus: no documents ({', '.join(ACCEPTED_SUFFIXES)}) in {corpus_dir} "
            "(add documents, see corpus/README.md)"
        )
    return CorpusListing(files, sorted(skipped))


def corpus_hash(files: list[Path], corpus_dir: Path) -> str:
    """A content hash of the corpus: names and bytes of every document, of its lexicon and of
    its known questions (both change how it is searched)."""
    digest = hashlib.sha256()
    beside = [corpus_dir / name for name in (LEXICON_FILE, QUESTIONS_FILE)]
    for path in [*files, *(p for p in beside if p.is_file())]:
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
        if (metadata := _metadata_path(path)).is_file():  # a new title changes what users read
            digest.update(metadata.read_bytes() + b"\0")
    return digest.hexdigest()


def _decode(path: Path, corpus_dir: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"{path.relative_to(corpus_dir)} is {size / 2**20:.0f} MB; a document may be at most "
            f"{MAX_FILE_BYTES >> 20} MB (split it into several files)"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"cannot decode {path.relative_to(corpus_dir)} as UTF-8 (byte {error.start}); re-save it as UTF-8"
        ) from None


@dataclass(frozen=True)
class DocumentMetadata:
    """A document's title and link, from ``<document>.meta.json`` beside it."""

    title: str | None = None
    url: str | None = None


def _metadata_path(path: Path) -> Path:
    return path.with_name(path.name + METADATA_SUFFIX)


def read_metadata(path: Path) -> DocumentMetadata:
    """The metadata of document ``path``; empty when it has no metadata file."""
    meta = _metadata_path(path)
    if not meta.is_file():
        return DocumentMetadata()
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as error:
        raise CorpusError(
            f"{meta.name}: not a metadata file ({error}); it holds "
            '{"title": "...", "url": "..."}, see corpus/README.md'
        ) from None
    title, url = data.get("title"), data.get("url")
    return DocumentMetadata(str(title).strip() or None if title else None, str(url) if url else None)


def _text_paragraphs(path: Path, text: str, stem: str) -> Iterator[_RawParagraph]:
    # .txt: one paragraph per line. .md: blank-line separated blocks; headings become titles.
    if path.suffix.lower() == ".txt":
        blocks = [line for line in text.splitlines() if line.strip()]
    else:
        blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    title: str | None = None
    number = 0
    document = read_metadata(path)
    for block in blocks:
        heading = re.match(r"^#{1,6}\s+(.+)$", block.strip())
        if path.suffix.lower() == ".md" and heading and "\n" not in block.strip():
            title = normalise(heading.group(1))
            continue
        number += 1
        # A reader sees the document's title when it has one; the paragraph locates it.
        name = document.title or path.name
        yield _RawParagraph(
            id=f"{stem}:{number}",
            text=block,
            source=f"{name}, paragraph {number}",
            title=title,
            url=document.url,
        )


def _jsonl_paragraphs(path: Path, text: str, stem: str, relative: str) -> Iterator[_RawParagraph]:
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{relative}:{line_number}: not valid JSON ({error.msg})") from None
        except (ValueError, RecursionError):  # a 5,000-digit number, brackets nested 100,000 deep
            raise CorpusError(
                f"{relative}:{line_number}: not a JSON object Limber can read (a huge number or deep nesting)"
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise CorpusError(f'{relative}:{line_number}: each line needs a "text" string')
        passage_id = str(record.get("id") or f"{stem}:{line_number}")
        title = record.get("title")
        url = record.get("url")
        yield _RawParagraph(
            id=passage_id,
            text=record["text"],
            source=str(title) if title else f"{path.name}, line {line_number}",
            title=str(title) if title else None,
            url=str(url) if url else None,
        )


def _document_paragraphs(
    path: Path, stem: str, relative: str, skipped: list[SkippedDocument]
) -> Iterator[_RawParagraph]:
    # HTML, PDF, .docx: the reader gives sections with a title and where they sit.
    try:
        document = read_document(path)
    except Exception as error:  # a damaged file a library chokes on costs that file, not the build
        skipped.append(
            SkippedDocument(
                relative,
                f"could not be read ({type(error).__name__}); re-save it with the program that made it",
            )
        )
        return
    if document.skipped or not document.sections:
        skipped.append(SkippedDocument(relative, document.skipped or "no text found"))
        return
    for number, section in enumerate(document.sections, start=1):
        where = section.location or ("" if section.url else f"paragraph {number}")
        yield _RawParagraph(
            id=f"{stem}:{number}",
            text=section.text,
            source=f"{document.title}, {where}" if where else document.title,
            title=section.title,
            url=section.url,
        )


def _paragraphs(path: Path, corpus_dir: Path, skipped: list[SkippedDocument]) -> Iterator[_RawParagraph]:
    relative = path.relative_to(corpus_dir).as_posix()
    stem = relative.rsplit(".", 1)[0]
    if path.suffix.lower() in READERS:
        yield from _document_paragraphs(path, stem, relative, skipped)
        return
    text = _decode(path, corpus_dir)
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_paragraphs(path, text, stem, relative)
    else:
        yield from _text_paragraphs(path, text, stem)


def read_corpus(corpus_dir: Path) -> IngestResult:
    """Read every document of ``corpus_dir`` into clean, unique passages."""
    listing = corpus_listing(corpus_dir)
    files = listing.files
    result = IngestResult(
        files=files,
        passages=[],
        corpus_hash=corpus_hash(files, corpus_dir),
        skipped_links=listing.skipped_links,
    )
    exact: dict[str, str] = {}
    near = _NearDuplicateFinder()
    seen_ids: set[str] = set()
    for path in files:
        for raw in _paragraphs(path, corpus_dir, result.skipped):
            if len(raw.text) > MAX_PARAGRAPH_CHARS:
                raise CorpusError(
                    f"{raw.source} ({path.relative_to(corpus_dir).as_posix()}) is "
                    f"{len(raw.text):,} characters; a paragraph may be at most "
                    f"{MAX_PARAGRAPH_CHARS:,} (split it)"
                )
            text = _strip_tails(normalise(raw.text))
            preview = text[:80]

            def drop(reason: str, duplicate_of: str | None = None, raw=raw, preview=preview):
                result.dropped.append(Dropped(raw.id, raw.source, reason, preview, duplicate_of))

            if raw.id in seen_ids:
                raise CorpusError(f"duplicate passage id {raw.id!r} in {path.name}; ids must be unique")
            seen_ids.add(raw.id)
            reason = junk_reason(text)
            if reason:
                drop(reason)
                continue
            key = _dedupe_key(text)
            if key in exact:
                drop("duplicate", exact[key])
                continue
            exact[key] = raw.id
            similar = near.find_or_add(raw.id, key)
            if similar:
                drop("near duplicate", similar)
                continue
            result.passages.append(
                Passage(
                    id=raw.id,
                    text=text,
                    source=raw.source,
                    title=raw.title,
                    url=raw.url,
                    sentences=split_sentences(text),
                )
            )
    return result
