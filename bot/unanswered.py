"""The unanswered-questions log: what users asked that the documents could not answer.

Three kinds are kept, each with the time, the kind and the passage shown:

* ``no_answer``: the documents had nothing close enough ("I don't have information on that").
  A refused dose question or a question in another language is not kept: the
  documents were not the problem.
* ``thumbs_down``: a 👎 on a passage (the passage voted on is the passage shown).
* ``red_flag_only``: the reply was only the instruction to seek care, with no
  passage after it.

Every answer also counts towards the day's totals by kind (no text, no chat).
Rows live in the feedback database (``bot.feedback``) with the same salted chat
hash and the same retention; ``/forget`` deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.answer import Answer, AnswerKind
from bot.feedback import FeedbackStore, Vote

__all__ = ["UnansweredKind", "UnansweredLog", "UnansweredRow", "unanswered_kind"]


class UnansweredKind(StrEnum):
    NO_ANSWER = "no_answer"
    THUMBS_DOWN = "thumbs_down"
    RED_FLAG_ONLY = "red_flag_only"


@dataclass(frozen=True)
class UnansweredRow:
    """One kept question."""

    question: str
    kind: UnansweredKind
    passage_id: str  # '' when no passage was shown
    passage_source: str
    chat_hash: str
    created_at: datetime


# The pipeline notes a documents no-answer with the best retrieval score ("best score 0.212")
# or "no passages"; a triage refusal (a dose, another language) carries the triage reason.
_RETRIEVAL_NOTES = ("best score", "no passages")


def unanswered_kind(answer: Answer) -> UnansweredKind | None:
    """The kind under which ``answer`` is kept in the log, or None when it is not kept."""
    if answer.kind is AnswerKind.NO_ANSWER:
        if any(note.startswith(_RETRIEVAL_NOTES) for note in answer.notes):
            return UnansweredKind.NO_ANSWER
        return None
    if answer.kind is AnswerKind.RED_FLAG and not answer.passages:
        return UnansweredKind.RED_FLAG_ONLY
    return None


class UnansweredLog:
    """Writes and reads the log in a FeedbackStore; ``enabled`` False keeps counts only."""

    def __init__(self, store: FeedbackStore, *, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled

    def observe(self, answer: Answer, chat_id: int) -> UnansweredKind | None:
        """Count ``answer`` for today and keep its question if it went unanswered."""
        now = self.store.now()
        self.store.run(
            "INSERT INTO daily_answers (day, kind, count) VALUES (?, ?, 1)"
            " ON CONFLICT (day, kind) DO UPDATE SET count = count + 1",
            (now[:10], answer.kind.value),
        )
        kind = unanswered_kind(answer)
        if kind is None or not self.enabled:
            return None
        shown = answer.passages[0].passage if answer.passages else None
        self._insert(
            answer.question, kind, shown.id if shown else "", shown.source if shown else "", chat_id, now
        )
        return kind

    def vote(self, answer: Answer, passage_index: int | None, vote: Vote | str, chat_id: int) -> None:
        """Keep a 👎 on a passage (one per chat, question and passage); a later 👍 takes it back.

        A 👎 on a reply without a passage is not kept twice: a documents no-answer is in the
        log already, and the vote itself is in the feedback table.
        """
        if passage_index is None:
            return
        shown = answer.passages[passage_index].passage
        passage_id, source = shown.id, shown.source
        chat_hash = self.store.chat_hash(chat_id)
        self.store.run(
            "DELETE FROM unanswered WHERE kind = ? AND chat_hash = ? AND question = ? AND passage_id = ?",
            (UnansweredKind.THUMBS_DOWN.value, chat_hash, answer.question, passage_id),
        )
        if Vote(vote) is Vote.DOWN and self.enabled:
            self._insert(
                answer.question, UnansweredKind.THUMBS_DOWN, passage_id, source, chat_id, self.store.now()
            )

    def _insert(
        self, question: str, kind: UnansweredKind, passage_id: str, source: str, chat_id: int, when: str
    ) -> None:
        self.store.run(
            "INSERT INTO unanswered (question, kind, passage_id, passage_source, chat_hash,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (question, kind.value, passage_id, source, self.store.chat_hash(chat_id), when),
        )

    def rows(self, since: datetime | None = None) -> list[UnansweredRow]:
        """Kept questions, oldest first, from ``since`` on."""
        stamp = since.isoformat(timespec="seconds") if since else ""
        found = self.store.run(
            "SELECT question, kind, passage_id, passage_source, chat_hash, created_at"
            " FROM unanswered WHERE created_at >= ? ORDER BY created_at, id",
            (stamp,),
        )
        return [
            UnansweredRow(q, UnansweredKind(k), p, s, h, datetime.fromisoformat(t))
            for q, k, p, s, h, t in found
        ]

    def daily_counts(self, since: datetime | None = None) -> dict[str, dict[str, int]]:
        """Answers by day (YYYY-MM-DD) and kind."""
        day = since.date().isoformat() if since else ""
        counts: dict[str, dict[str, int]] = {}
        for d, kind, count in self.store.run(
            "SELECT day, kind, count FROM daily_answers WHERE day >= ? ORDER BY day", (day,)
        ):
            counts.setdefault(d, {})[kind] = count
        return counts
