"""The typed result of answering one question, shared by every renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from index.passage import ScoredPassage

__all__ = ["Answer", "AnswerKind", "Block", "Offer", "Span"]


class AnswerKind(StrEnum):
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    RED_FLAG = "red_flag"
    CRISIS = "crisis"
    GREETING = "greeting"
    ACKNOWLEDGEMENT = "acknowledgement"  # "thanks", "ok", "bye": a short reply
    HELP = "help"


@dataclass(frozen=True)
class Span:
    """A run of text inside a block; renderers escape ``text`` themselves."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Block:
    """One paragraph of a reply. Long replies are split only between blocks."""

    spans: tuple[Span, ...]
    quote: bool = False  # document text, shown as a quotation

    @classmethod
    def plain(cls, text: str, *, bold: bool = False) -> Block:
        return cls((Span(text, bold=bold),))

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Answer:
    """What the bot says to one question.

    ``blocks`` is the composed reply, the disclaimer block last; ``reply`` is the
    same as plain text, exactly what a Telegram user reads. ``passages`` holds the
    passages behind the reply, best first (the first is quoted, the rest are what
    "More" shows).
    """

    question: str
    kind: AnswerKind
    blocks: tuple[Block, ...]
    disclaimer: str
    passages: tuple[ScoredPassage, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # why this kind: for logs and evaluation
    # For a follow-up, the context plus the question; what the conversation records.
    searched_for: str | None = field(default=None, compare=False)
    follow_up: bool = field(default=False, compare=False)

    @property
    def reply(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass(frozen=True)
class Offer:
    """One result of inline mode: what the list shows, and the message it sends when chosen.

    ``blocks`` ends with the disclaimer, like every reply.
    """

    title: str
    description: str
    blocks: tuple[Block, ...]
