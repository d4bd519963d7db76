"""The inline buttons under an answer: More and 👍/👎, their callback data and its tag.

Callback data is versioned and at most 64 bytes; anything this version did not
make parses to None. The tag ties a button to the answer it was made for: when
the question or the index behind the answer has changed, the tag no longer
matches and the tap gets a notice instead of a wrong passage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer import Answer, AnswerKind
from bot.feedback import Vote

__all__ = ["CALLBACK_VERSION", "ButtonAction", "ButtonData", "answer_tag", "keyboard", "parse_button"]

CALLBACK_VERSION = "v1"
_TAG_CHARS = 12


class ButtonAction(StrEnum):
    """What a button asks for: the next passage, or a vote on the one shown."""

    MORE = "more"
    VOTE = "vote"


@dataclass(frozen=True)
class ButtonData:
    """What an inline button under an answer asks for."""

    action: ButtonAction
    index: int | None  # the passage (None: a vote on a reply without passages)
    vote: Vote | None
    tag: str  # answer_tag of the answer the button belongs to

    def encode(self) -> str:
        """The callback data: versioned, at most 64 bytes."""
        index = "-" if self.index is None else str(self.index)
        if self.action == ButtonAction.MORE:
            return f"{CALLBACK_VERSION}:more:{index}:{self.tag}"
        return f"{CALLBACK_VERSION}:vote:{index}:{self.vote}:{self.tag}"


_MORE_RE = re.compile(rf"{CALLBACK_VERSION}:more:(\d{{1,2}}):([0-9a-f]{{{_TAG_CHARS}}})")
_VOTE_RE = re.compile(rf"{CALLBACK_VERSION}:vote:(\d{{1,2}}|-):(up|down):([0-9a-f]{{{_TAG_CHARS}}})")


def parse_button(data: object) -> ButtonData | None:
    """The button behind callback ``data``, or None for anything this version did not make."""
    if not isinstance(data, str):
        return None
    if match := _MORE_RE.fullmatch(data):
        return ButtonData(ButtonAction.MORE, int(match[1]), None, match[2])
    if match := _VOTE_RE.fullmatch(data):
        index = None if match[1] == "-" else int(match[1])
        return ButtonData(ButtonAction.VOTE, index, Vote(match[2]), match[3])
    return None


def answer_tag(answer: Answer) -> str:
    """A short hash of the question and the passages behind its answer.

    A button carries it; when the question, or the index behind the answer,
    has changed since the button was made, the tag no longer matches.
    """
    ids = "|".join(sp.passage.id for sp in answer.passages)
    digest = hashlib.sha256(f"{answer.question}\x1f{answer.kind}\x1f{ids}".encode())
    return digest.hexdigest()[:_TAG_CHARS]


def keyboard(answer: Answer, shown: int | None, *, more: bool = True) -> InlineKeyboardMarkup | None:
    """More (the next passage) and 👍/👎 for the passage shown, under answers that have them."""
    if answer.kind not in (AnswerKind.ANSWER, AnswerKind.NO_ANSWER):
        return None  # emergencies, crisis help and small talk get no buttons
    tag = answer_tag(answer)
    rows = []
    if more and shown is not None and shown + 1 < len(answer.passages):
        rows.append([_button("More", ButtonData(ButtonAction.MORE, shown + 1, None, tag))])
    rows.append(
        [
            _button("👍", ButtonData(ButtonAction.VOTE, shown, Vote.UP, tag)),
            _button("👎", ButtonData(ButtonAction.VOTE, shown, Vote.DOWN, tag)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _button(label: str, data: ButtonData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.encode())
