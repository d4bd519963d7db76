"""Lexical side of retrieval: one analyzer for passages and queries, BM25 (bm25s) over it.

Queries get two repairs the dense model cannot do well on its own: spelling
correction against the corpus's own vocabulary ("hamstings" -> "hamstrings"),
and, when the corpus carries a lexicon (``index.lexicon``: data next to the corpus,
never code), expansion of lay words to the words the documents use ("butt" ->
"buttocks glutes"), kept only where the documents do use them, and descriptions of
named exercises from its glossary.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.lexicon import LEXICON_FILE, Lexicon
from limber.text import SpellingIndex, fold_words

__all__ = ["Analyzer", "LexicalIndex", "QueryRepair"]

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

_STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could do does did for from had has have how i if in
    into is it its it's me my of on or our so than that the their them then there these they
    this to too very was we were what when where which while who why will with would you your
    i'm i've im ive am any just get got really some should
    """.split()
)


@dataclass(frozen=True)
class QueryRepair:
    """A query after spelling correction; ``corrections`` maps typed word -> corrected word."""

    text: str
    corrections: dict[str, str]
    expansion: str = ""  # what the glossary adds for named exercises


def _glossary_key(name: str) -> str:
    return " ".join(Analyzer.words(name.replace("-", " ")))


def _glossary_pattern(glossary: dict[str, str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    by_key = {_glossary_key(name): description for name, description in glossary.items()}
    by_key.pop("", None)
    if not by_key:
        return None, {}
    alternatives = sorted(by_key, key=len, reverse=True)  # longest name first: "frog pose"
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in alternatives) + r")\b")
    return pattern, by_key


class Analyzer:
    """Turns text into BM25 terms: lowercase words, no stopwords, Snowball-stemmed."""

    def __init__(
        self,
        vocabulary: Counter[str] | None = None,
        dictionary: frozenset[str] = frozenset(),
        lexicon: Lexicon | None = None,
    ) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self.vocabulary: Counter[str] = vocabulary or Counter()
        self.lexicon = lexicon or Lexicon()
        self._synonyms = dict(self.lexicon.synonyms)
        self._glossary = _glossary_pattern(dict(self.lexicon.glossary))
        # Real English words the corpus happens not to use ("hitting") are never "corrected".
        self.dictionary = dictionary
        # Words worth correcting towards: the corpus's, and the lay words and exercise names
        # the query repair understands.
        self._targets = Counter(self.vocabulary)
        for phrase in (*self.lexicon.synonyms, *self.lexicon.glossary):
            for word in self.words(phrase):
                self._targets[word] += 1
        self._deletes = SpellingIndex(self._targets, min_length=4, max_length=MAX_SPELLING_WORD)

    @staticmethod
    def words(text: str) -> list[str]:
        return _WORD_RE.findall(fold_words(text))

    def terms(self, text: str) -> list[str]:
        """Index terms of a passage."""
        return self._stem([w for w in self.words(text) if w not in _STOPWORDS])

    def query_terms(self, text: str, *, expand: bool = True) -> list[str]:
        """Terms of a query (already repaired), with lay words expanded when ``expand``."""
        words = [w for w in self.words(text) if w not in _STOPWORDS]
        if expand:
            words += [
                extra
                for w in words
                for extra in self._synonyms.get(w, "").split()
                if extra in self.vocabulary and extra not in _STOPWORDS
            ]
        return self._stem(words)

    def repair(self, text: str) -> QueryRepair:
        """Correct words the corpus does not know to the closest word it does."""
        corrections: dict[str, str] = {}

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.casefold()
            if (
                len(lower) < 5
                or len(lower) > MAX_SPELLING_WORD
                or lower in self._targets
                or lower in self.dictionary
            ):
                return word
            best = self._closest(lower)
            if best:
                corrections[word] = best
                return best
            return word

        repaired = re.sub(r"[A-Za-z]+", fix, text)
        return QueryRepair(repaired, corrections, self.expansion(repaired))

    def expansion(self, text: str) -> str:
        """Descriptions of the glossary's names (exercises, abbreviations) that ``text`` mentions."""
        pattern, by_key = self._glossary
        if pattern is None:
            return ""
        found: list[str] = []
        for match in pattern.finditer(_glossary_key(text)):
            description = by_key[match.group(0)]
            if description not in found:
                found.append(description)
        return "; ".join(found)

    def _closest(self, word: str) -> str | None:
        # Symmetric-delete lookup (as in SymSpell): the nearest target, the most frequent on a tie.
        limit = 1 if len(word) < 7 else 2
        scored = [(distance, -self._targets[c], c) for distance, c in self._deletes.within(word, limit)]
        return min(scored)[2] if scored else None

    def _stem(self, words: list[str]) -> list[str]:
        return self._stemmer.stemWords(words)


# Words longer than this are never spelling targets nor corrected: a word's deletions cost its
# length squared in memory (a 60,000-character "word" took 3.8 GB), and no real word is this long.
MAX_SPELLING_WORD = 40


class LexicalIndex:
    """BM25 over passages' terms (and, apart, over their titles), saved beside the FAISS index.

    The titles (a MedQuAD question, a heading, a JSONL ``title``) get their own BM25
    so that a user's words matching a stored question count as such, not diluted by a
    long answer; ``title_scores`` is all zeros for a corpus without titles.
    """

    _VOCABULARY_FILE = "vocabulary.json"
    _TITLES_DIR = "titles"

    # bm25s ships no type information: its BM25 objects are Any here.
    def __init__(self, bm25: Any, analyzer: Analyzer, titles: Any | None = None) -> None:
        self._bm25 = bm25
        self._titles = titles
        self.analyzer = analyzer

    @property
    def has_titles(self) -> bool:
        return self._titles is not None

    @classmethod
    def build(
        cls,
        texts: list[str],
        lexicon: Lexicon | None = None,
        titles: list[str | None] | None = None,
    ) -> LexicalIndex:
        import bm25s

        vocabulary = Counter(w for text in texts for w in Analyzer.words(text))
        for title in titles or ():
            vocabulary.update(Analyzer.words(title or ""))
        analyzer = Analyzer(vocabulary, lexicon=lexicon)
        bm25 = bm25s.BM25()
        bm25.index([analyzer.terms(t) or [""] for t in texts], show_progress=False)
        title_bm25 = None
        if titles and any(titles):
            title_bm25 = bm25s.BM25()
            title_bm25.index([analyzer.terms(t or "") or [""] for t in titles], show_progress=False)
        return cls(bm25, analyzer, title_bm25)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)
        (directory / self._VOCABULARY_FILE).write_text(
            json.dumps(dict(self.analyzer.vocabulary)), encoding="utf-8"
        )
        if not self.analyzer.lexicon.empty:
            (directory / LEXICON_FILE).write_text(
                json.dumps(self.analyzer.lexicon.to_json(), ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
        if self._titles is not None:
            self._titles.save(str(directory / self._TITLES_DIR), show_progress=False)

    @classmethod
    def load(cls, directory: Path, dictionary: frozenset[str] = frozenset()) -> LexicalIndex:
        """Load a saved index; ``dictionary`` lists real words never to spell-correct."""
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), mmap=False, show_progress=False)
        vocabulary = Counter(json.loads((directory / cls._VOCABULARY_FILE).read_text(encoding="utf-8")))
        lexicon = Lexicon.read(directory / LEXICON_FILE)
        titles = None
        if (directory / cls._TITLES_DIR).is_dir():
            titles = bm25s.BM25.load(str(directory / cls._TITLES_DIR), mmap=False, show_progress=False)
        return cls(bm25, Analyzer(vocabulary, dictionary, lexicon), titles)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for ``terms`` (zeros when no term is known)."""
        return _bm25_scores(self._bm25, terms)

    def title_scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage's title for ``terms`` (zeros without titles)."""
        if self._titles is None:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return _bm25_scores(self._titles, terms)


def _bm25_scores(bm25: Any, terms: list[str]) -> np.ndarray:
    known = bm25.get_tokens_ids(terms)
    num_docs = bm25.scores["num_docs"]
    if not known:
        return np.zeros(num_docs, dtype=np.float32)
    return np.asarray(bm25.get_scores_from_ids(known), dtype=np.float32)
