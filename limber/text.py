"""The text toolkit shared by ``index`` and ``bot``: normal forms, sentences, spelling.

Each of these is written once, here:

- ``normalise``: the canonical form of a corpus paragraph or a user's question (NFC, no
  invisible or control characters, single spaces; case kept). What is stored and embedded.
- ``fold``: the form triage rules match on (NFKC, lowercase, straight quotes, newlines kept).
- ``fold_words``: the form BM25 terms are cut from (NFKC, casefolded, a straight apostrophe).
- ``split_sentences``: a paragraph's sentences, abbreviations and initials kept whole.
- ``deletions``, ``edit_distance`` and ``SpellingIndex`` (a symmetric-delete index, as in
  SymSpell): the spelling repairs are built on them, the query's words towards the corpus
  vocabulary (``index.lexical``) and the key terms of triage (``bot.triage.text``, which
  keeps its own rule: one edit from exactly one term).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rapidfuzz.distance import OSA

__all__ = [
    "SpellingIndex",
    "deletions",
    "edit_distance",
    "fold",
    "fold_words",
    "normalise",
    "split_message_sentences",
    "split_sentences",
    "squash",
]

# --- normal forms ------------------------------------------------------------------------

_SPACE_RE = re.compile(r"\s+")


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""  # zero-width and direction marks, soft hyphens: they join what they split
    return " " if category[0] == "C" else ch  # control characters separate words


def normalise(text: str, *, compatibility: bool = False) -> str:
    """Canonical Unicode (NFC), no invisible or control characters, single spaces.

    Used for corpus paragraphs and users' questions alike. ``compatibility`` folds
    compatibility forms too (NFKC: ligatures, full-width letters, non-breaking
    spaces), for imported text that is stored rather than shown as its author typed it.
    """
    text = unicodedata.normalize("NFKC" if compatibility else "NFC", text)
    if not text.isprintable():  # the per-character pass only where there is something to find
        text = "".join(_visible(ch) for ch in text)
    return _SPACE_RE.sub(" ", text).strip()


_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'",
        "\u2032": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"',
        "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    }
)  # fmt: skip
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def fold(text: str) -> str:
    """Lowercase NFKC text with straight quotes and single spaces (newlines kept)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _INVISIBLE.sub("", text).lower()
    return _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()


def squash(text: str) -> str:
    """Normalised, lowercase, on one line: how a verbatim snippet is looked for in a passage."""
    return " ".join(normalise(text).lower().split())


def fold_words(text: str) -> str:
    """NFKC, casefolded, with a straight apostrophe: what words for BM25 are cut from."""
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


# --- sentences ---------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "st", "no", "fig", "approx", "cf", "al"]
)
_BOUNDARY_RE = re.compile(r"[.!?]+[\"”’)\]]*(\s+)(?=[\"“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> tuple[str, ...]:
    """Split a paragraph into sentences; joined with single spaces they give the text back."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        before = text[start : match.start()].rsplit(" ", 1)[-1].lstrip('("“').casefold()
        if before in _ABBREVIATIONS or re.fullmatch(r"[a-z]", before):
            continue  # "e.g. Walking", "Dr. Smith", an initial: not the end of a sentence
        sentences.append(text[start : match.start(1)])
        start = match.end(1)
    sentences.append(text[start:])
    return tuple(s for s in (x.strip() for x in sentences) if s)


# People's messages: lower-case typing, no abbreviations to guard, a line break ends a sentence.
_MESSAGE_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+|\n+")


def split_message_sentences(text: str) -> list[str]:
    """Split a message as people type it: after . ! ? whatever follows, and at each line break.

    ``split_sentences`` wants a capital after the stop, which typed messages often lack.
    """
    return [s.strip() for s in _MESSAGE_SENTENCE_END.split(text) if s and s.strip()]


# --- spelling ----------------------------------------------------------------------------


def deletions(word: str) -> set[str]:
    """``word`` with one letter left out, at each place."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: a swap of neighbours is one edit)."""
    return OSA.distance(a, b)


class SpellingIndex:
    """Known words by their one-letter deletions: the known words near a word.

    Looking up a word and its one-letter deletions finds every known word one edit away and
    those two edits away that share a deletion with it ("hamstings" -> "hamstring"; two
    letters wrong are not found); ``edit_distance`` then says how close each really is.
    Words shorter than ``min_length`` or longer than ``max_length`` are not indexed (a word's
    deletions cost its length squared in memory).
    """

    def __init__(self, words: Iterable[str], *, min_length: int = 1, max_length: int = 40) -> None:
        index: dict[str, list[str]] = {}
        for word in words:
            if len(word) < min_length or len(word) > max_length:
                continue
            for variant in {word, *deletions(word)}:
                index.setdefault(variant, []).append(word)
        self._index = {k: tuple(v) for k, v in index.items()}

    def __iter__(self) -> Iterator[str]:
        """The indexed keys: each known word and each of its deletions."""
        return iter(self._index)

    def within(self, word: str, limit: int) -> list[tuple[int, str]]:
        """Known words at most ``limit`` edits from ``word`` (itself excluded), with the distance."""
        candidates: set[str] = set()
        for variant in {word, *deletions(word)}:
            candidates.update(self._index.get(variant, ()))
        candidates.discard(word)
        found = []
        for candidate in candidates:
            if abs(len(candidate) - len(word)) <= limit:
                distance = _distance(word, candidate)
                if distance <= limit:
                    found.append((distance, candidate))
        return found


@lru_cache(maxsize=4096)
def _distance(a: str, b: str) -> int:
    return edit_distance(a, b)
