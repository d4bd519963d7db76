"""Per-chat conversation state: the last turns and the passages shown, in memory only.

A ``ConversationStore`` keeps one ``Conversation`` per key (a Telegram chat, or a user
inside a group chat; a console session; a JSON CLI conversation id). It is bounded in
size, forgets a conversation after ``ttl`` seconds of silence, and never writes to disk.
The pipeline reads a conversation to resolve follow-up questions; the adapters record
each answer into it with ``Conversation.record``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.answer import Answer, AnswerKind

__all__ = ["DEFAULT_TTL_SECONDS", "Conversation", "ConversationStore", "Turn"]

DEFAULT_TTL_SECONDS = 30 * 60
MAX_TURNS = 3  # a follow-up leans on the last turn; a little more history costs nothing
MAX_CONVERSATIONS = 10_000
# Only turns about the documents are context: a greeting or a crisis reply is not a topic.
_CONTEXT_KINDS = frozenset({AnswerKind.ANSWER, AnswerKind.NO_ANSWER, AnswerKind.RED_FLAG})


@dataclass(frozen=True)
class Turn:
    """One answered message: what was asked, what was searched for, what was shown."""

    question: str
    searched_for: str  # the question, or the context plus the question for a follow-up
    kind: AnswerKind
    passage_ids: tuple[str, ...]  # the passages behind the reply, the quoted one first
    follow_up: bool = False  # answered as a follow-up of the turn before


class Conversation:
    """The recent turns of one chat, newest last."""

    def __init__(self) -> None:
        self._turns: deque[Turn] = deque(maxlen=MAX_TURNS)
        self._lock = threading.Lock()

    @property
    def turns(self) -> tuple[Turn, ...]:
        with self._lock:
            return tuple(self._turns)

    def context(self) -> Turn | None:
        """The latest turn a follow-up could refer to, if any. A follow-up the documents had
        no answer for left the topic where it was: "how many breaths?" after "is it ok if
        I'm pregnant?" (no answer) after cat-cow asks about cat-cow."""
        with self._lock:
            turns = [t for t in self._turns if t.kind in _CONTEXT_KINDS]
        while len(turns) > 1 and turns[-1].follow_up and turns[-1].kind is AnswerKind.NO_ANSWER:
            turns.pop()
        return turns[-1] if turns else None

    def record(self, answer: Answer) -> None:
        turn = Turn(
            question=answer.question,
            searched_for=answer.searched_for or answer.question,
            kind=answer.kind,
            passage_ids=tuple(p.passage.id for p in answer.passages),
            follow_up=answer.follow_up,
        )
        with self._lock:
            self._turns.append(turn)

    def clear(self) -> None:
        with self._lock:
            self._turns.clear()

    @classmethod
    def about(cls, answer: Answer) -> Conversation:
        """A conversation whose only turn is ``answer`` (a Telegram reply to one of our answers)."""
        conversation = cls()
        conversation.record(answer)
        return conversation


class ConversationStore:
    """Conversations by key, least recently used dropped first, expired after silence."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        capacity: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Conversation]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Conversation:
        """The conversation for ``key``: a fresh one after ``ttl`` seconds of silence."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            _, conversation = self._items.pop(key, (now, None))
            conversation = conversation or Conversation()
            self._items[key] = (now, conversation)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
            return conversation

    def forget(self, key: Hashable) -> bool:
        """Drop everything kept for ``key``; True if there was something."""
        with self._lock:
            return self._items.pop(key, None) is not None

    def forget_chat(self, chat_id: int) -> dict[str, int]:
        """/forget: drop the conversations of a chat (keys are ``(chat_id, user_id)``)."""
        with self._lock:
            keys = [k for k in self._items if isinstance(k, tuple) and k and k[0] == chat_id]
            for key in keys:
                del self._items[key]
        return {"conversations": len(keys)}

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._items)

    def _expire(self, now: float) -> None:
        while self._items:
            key, (seen, _) = next(iter(self._items.items()))
            if now - seen < self._ttl:
                return
            del self._items[key]
