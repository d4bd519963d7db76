"""Lexical side of retrieval: one analyzer for passages and queries, BM25 (bm25s) over it.

Queries get two repairs the dense model cannot do well on its own: spelling
correction against the corpus's own vocabulary ("hamstings" -> "hamstrings"),
and expansion of lay words to the words the documents use ("butt" -> "buttocks
glutes"), kept only where the documents do use them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["GLOSSARY", "SYNONYMS", "Analyzer", "LexicalIndex", "QueryRepair", "glossary_expansion"]

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Lay words and abbreviations people type -> the words documents about backs and hips use.
# Only targets present in the corpus vocabulary are kept at build time.
SYNONYMS: dict[str, str] = {
    "si": "sacroiliac si joint",
    "sij": "sacroiliac si joint",
    "sacroiliac": "si joint",
    "psoas": "hip flexor psoas",
    "iliopsoas": "hip flexor psoas",
    "sciatic": "sciatica sciatic nerve",
    "sciatica": "sciatic nerve",
    "butt": "buttocks glutes butt",
    "bum": "buttocks glutes butt",
    "booty": "buttocks glutes",
    "arse": "buttocks glutes",
    "ass": "buttocks glutes",
    "glute": "glutes gluteus",
    "buttock": "glutes butt",
    "tailbone": "coccyx sacroiliac spine",
    "lbp": "low back pain",
    "lumbar": "lower back",
    "backache": "back pain",
    "hammies": "hamstrings",
    "hammy": "hamstrings",
    "hamstring": "hamstrings",
    "quads": "quadriceps",
    "quad": "quadriceps",
    "abs": "core",
    "abductors": "abductor outer hip",
    "adductors": "adductor inner thigh groin",
    "groin": "adductor inner thigh",
    "stretching": "stretch stretches",
    "exercise": "exercises workout",
    "workout": "exercise",
    "yoga": "pose",
    "pigeon": "hip opening stretch pose",
    "cat": "pose arch back",
    "cow": "pose arch back",
    "tight": "tightness shortened",
    "stiff": "tight tightness",
    "stiffness": "tight tightness",
    "sore": "pain",
    "ache": "pain",
    "aching": "pain",
    "hurts": "pain",
    "hurt": "pain",
    "painful": "pain",
    "sitting": "sedentary sit desk",
    "desk": "sitting sedentary",
    "office": "desk sitting",
    "jab": "injection",
    "shot": "injection",
    "injection": "injection",
    "mri": "imaging",
    "xray": "imaging x ray",
    "scan": "imaging",
    "scans": "imaging",
    "numb": "numbness",
    "pins": "tingling",
    "needles": "tingling",
    "limp": "limp gluteus medius",
    "running": "run runners",
    "runner": "run running",
    "arthritic": "arthritis",
    "meds": "medications",
    "pus": "abscess infection",
    "infected": "infection abscess",
}

# Named exercises and poses people ask for by name, described the way instructions describe
# them. The description is added to the query, for BM25 and for the dense model alike.
GLOSSARY: dict[str, str] = {
    "bird dog": "on hands and knees raise the opposite arm and leg in line with your body",
    "birddog": "on hands and knees raise the opposite arm and leg in line with your body",
    "cat cow": "on hands and knees arch your back and round your spine",
    "cat-cow": "on hands and knees arch your back and round your spine",
    "cat camel": "on hands and knees arch your back and round your spine",
    "frog pose": "on hands and knees widen your knees, shins parallel, ease forward onto forearms",
    "frog stretch": "on hands and knees widen your knees, shins parallel, ease forward onto forearms",
    "camel pose": "kneeling, lean your torso back and rest your hands on your heels",
    "ustrasana": "kneeling, lean your torso back and rest your hands on your heels",
    "child's pose": "kneeling, sit back on your heels and fold forward",
    "forward fold": "seated forward fold stretching hamstrings and spine",
    "forward bend": "seated forward fold stretching hamstrings and spine",
    "toe touch": "seated forward fold stretching hamstrings and spine",
    "paschimottanasana": "seated forward fold stretching hamstrings and spine",
    "pigeon pose": "hip opening stretch for the hip rotators and piriformis",
    "figure four": "cross one ankle over the opposite knee, a hip rotation and piriformis stretch",
    "figure 4": "cross one ankle over the opposite knee, a hip rotation and piriformis stretch",
    "figure-four": "cross one ankle over the opposite knee, a hip rotation and piriformis stretch",
    "couch stretch": "kneeling hip flexor stretch, grab the back foot and pull it toward you",
    "half kneeling": "kneeling hip flexor stretch, one foot forward",
    "kneeling lunge": "kneeling hip flexor stretch, one foot forward",
    "hip opener": "hip opening stretches for tight hips",
    "hip openers": "hip opening stretches for tight hips",
    "glute bridge": "lie on your back, knees bent, feet flat, squeeze your glutes",
    "clamshell": "hip cuff muscles with a mini-band or thera-band",
    "clamshells": "hip cuff muscles with a mini-band or thera-band",
    "monster walk": "hip cuff muscles with a mini-band or thera-band",
    "band walk": "hip cuff muscles with a mini-band or thera-band",
    "sumo deadlift": "sumo deadlift trains the abductors and adductors",
    "thigh machine": "abductor or adductor machine at the gym",
    "inner thigh machine": "adductor machine at the gym",
    "outer thigh machine": "abductor machine at the gym",
    # Abbreviations the dense model cannot expand by itself.
    "lbp": "low back pain",
    "dmard": "disease-modifying antirheumatic drugs for arthritis",
    "dmards": "disease-modifying antirheumatic drugs for arthritis",
    "dl": "deadlift",
    "rdl": "deadlift",
    "mri": "imaging tests",
    "xray": "imaging tests",
    "x ray": "imaging tests",
    "ct scan": "imaging tests",
    "warm up": "before your workout dynamic stretches",
    "warmup": "before your workout dynamic stretches",
    "warm-up": "before your workout dynamic stretches",
}

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


@lru_cache(maxsize=1)
def _glossary_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    by_key = {_glossary_key(name): description for name, description in GLOSSARY.items()}
    alternatives = sorted(by_key, key=len, reverse=True)  # longest name first: "frog pose"
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in alternatives) + r")\b")
    return pattern, by_key


def glossary_expansion(text: str) -> str:
    """Descriptions of the named exercises and abbreviations that ``text`` mentions."""
    pattern, by_key = _glossary_pattern()
    found: list[str] = []
    for match in pattern.finditer(_glossary_key(text)):
        description = by_key[match.group(0)]
        if description not in found:
            found.append(description)
    return "; ".join(found)


class Analyzer:
    """Turns text into BM25 terms: lowercase words, no stopwords, Snowball-stemmed."""

    def __init__(
        self, vocabulary: Counter[str] | None = None, dictionary: frozenset[str] = frozenset()
    ) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self.vocabulary: Counter[str] = vocabulary or Counter()
        # Real English words the corpus happens not to use ("hitting") are never "corrected".
        self.dictionary = dictionary
        # Words worth correcting towards: the corpus's, and the lay words and exercise names
        # the query repair understands.
        self._targets = Counter(self.vocabulary)
        for phrase in (*SYNONYMS, *GLOSSARY):
            for word in self.words(phrase):
                self._targets[word] += 1
        self._deletes = _deletion_index(self._targets)

    @staticmethod
    def words(text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
        return _WORD_RE.findall(text)

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
                for extra in SYNONYMS.get(w, "").split()
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
        return QueryRepair(repaired, corrections, glossary_expansion(repaired))

    def _closest(self, word: str) -> str | None:
        # Symmetric-delete lookup (as in SymSpell): words within one edit of a shared deletion.
        candidates: set[str] = set()
        for variant in {word, *_deletions(word)}:
            candidates.update(self._deletes.get(variant, ()))
        limit = 1 if len(word) < 7 else 2
        scored = [
            (_edit_distance(word, c), -self._targets[c], c)
            for c in candidates
            if abs(len(c) - len(word)) <= limit
        ]
        scored = [s for s in scored if s[0] <= limit]
        return min(scored)[2] if scored else None

    def _stem(self, words: list[str]) -> list[str]:
        return self._stemmer.stemWords(words)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


# Words longer than this are never spelling targets nor corrected: a word's deletions cost its
# length squared in memory (a 60,000-character "word" took 3.8 GB), and no real word is this long.
MAX_SPELLING_WORD = 40


def _deletion_index(vocabulary: Counter[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in vocabulary:
        if len(word) < 4 or len(word) > MAX_SPELLING_WORD:
            continue
        for variant in {word, *_deletions(word)}:
            index.setdefault(variant, []).append(word)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=4096)
def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class LexicalIndex:
    """BM25 over passages' terms, saved beside the FAISS index."""

    _VOCABULARY_FILE = "vocabulary.json"

    def __init__(self, bm25: object, analyzer: Analyzer) -> None:
        self._bm25 = bm25
        self.analyzer = analyzer

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        vocabulary = Counter(w for text in texts for w in Analyzer.words(text))
        analyzer = Analyzer(vocabulary)
        bm25 = bm25s.BM25()
        bm25.index([analyzer.terms(t) or [""] for t in texts], show_progress=False)
        return cls(bm25, analyzer)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)  # type: ignore[attr-defined]
        (directory / self._VOCABULARY_FILE).write_text(
            json.dumps(dict(self.analyzer.vocabulary)), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, dictionary: frozenset[str] = frozenset()) -> LexicalIndex:
        """Load a saved index; ``dictionary`` lists real words never to spell-correct."""
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), mmap=False, show_progress=False)
        vocabulary = Counter(
            json.loads((directory / cls._VOCABULARY_FILE).read_text(encoding="utf-8"))
        )
        return cls(bm25, Analyzer(vocabulary, dictionary))

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for ``terms`` (zeros when no term is known)."""
        known = self._bm25.get_tokens_ids(terms)  # type: ignore[attr-defined]
        num_docs = self._bm25.scores["num_docs"]  # type: ignore[attr-defined]
        if not known:
            return np.zeros(num_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float32)  # type: ignore[attr-defined]
