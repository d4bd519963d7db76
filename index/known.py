"""Known questions: questions people asked of these documents, each with the passage that answers it.

A user's wording is often far from a paragraph's ("where should my weight be?" for "lean
forward so that your weight is on the front foot") and close to how someone else asked
the same thing. So the labelled questions of a corpus (``corpus/answerability.jsonl``,
written by people who never saw the code) that carry an ``answer`` (a verbatim snippet
of the paragraph that answers) become evidence for that paragraph, as a MedQuAD
question is for its answer: the build embeds them, and search lifts a passage by how
close the query is to its nearest known question (``RetrievalParams.known_weight``).

A follow-up ("how long do I hold it?") is known the same way: a line with a ``context``
(the question it leaned on) is embedded as the pipeline searches a follow-up, the context
then the message, so a later follow-up worded alike after a similar question finds the
paragraph that answered it. Such a line is a known question only: the answerability model
learns standalone questions (``bot.answerability.training``).

They are data of this corpus: a corpus without the file, or whose snippets no longer
match a paragraph, searches by its text alone. The snippet, not a paragraph number,
names the passage, so known questions survive renumbering and the build reports those
whose paragraph changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.passage import Passage
from limber.errors import CorpusError
from limber.text import normalise, squash

__all__ = ["QUESTIONS_FILE", "KnownQuestions", "read_known_questions"]

# Labelled questions of this corpus (for the answerability model, bot/answerability, and
# as known questions here): data about the documents, beside them, never one of them.
QUESTIONS_FILE = "answerability.jsonl"


@dataclass(frozen=True)
class KnownQuestions:
    """Questions whose answering passage was found, and those whose snippet matched none."""

    questions: tuple[str, ...]
    owners: np.ndarray  # the passage number answering each question
    authors: tuple[str, ...]  # who wrote each: training and evaluation hold a writer out
    unmatched: tuple[str, ...] = ()  # snippets found in no passage, or in several

    @classmethod
    def none(cls) -> KnownQuestions:
        return cls((), np.zeros(0, dtype=np.int32), ())

    def to_json(self) -> list[dict[str, object]]:
        return [
            {"question": q, "passage": int(o), "author": a}
            for q, o, a in zip(self.questions, self.owners, self.authors, strict=True)
        ]


def read_known_questions(corpus_dir: Path, passages: list[Passage]) -> KnownQuestions:
    """The known questions of ``corpus_dir`` matched to ``passages`` (none without the file)."""
    path = corpus_dir / QUESTIONS_FILE
    if not path.is_file():
        return KnownQuestions.none()
    texts = [squash(p.text) for p in passages]
    owner_of: dict[str, int | None] = {}  # snippet -> passage number (None: no single one)
    questions: list[str] = []
    owners: list[int] = []
    authors: list[str] = []
    unmatched: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, answer, author = row["question"], row.get("answer"), str(row.get("author", ""))
            context = row.get("context")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CorpusError(
                f"{path}, line {number}: not a labelled question (a JSON object with "
                '"question", "answerable", "author" and, optionally, "answer" and "context"); '
                "fix the line, then run: python scripts/build_index.py"
            ) from None
        if not answer:
            continue
        snippet = squash(str(answer))
        if snippet not in owner_of:
            matches = [i for i, text in enumerate(texts) if snippet in text]
            owner_of[snippet] = matches[0] if len(matches) == 1 else None
        owner = owner_of[snippet]
        if owner is None:
            unmatched.append(str(answer))
            continue
        # As the pipeline searches a follow-up: its context, then the message.
        questions.append(normalise(f"{context} {question}" if context else str(question)))
        owners.append(owner)
        authors.append(author)
    return KnownQuestions(
        tuple(questions), np.asarray(owners, dtype=np.int32), tuple(authors), tuple(dict.fromkeys(unmatched))
    )
