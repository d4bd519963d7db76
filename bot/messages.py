"""Texts the Telegram adapter sends that are not answers (each goes out with the disclaimer).

Kept in the core so that every front end words them the same way; the adapter
appends the disclaimer block to each reply, as it does for every message.
"""

from __future__ import annotations

from bot.answer import Block

__all__ = ["busy_blocks"]


def busy_blocks() -> list[Block]:
    """The one notice a user gets when their chat already has as many questions waiting as it may."""
    return [Block.plain("I'm busy with the questions already asked in this chat. Please ask again "
                        "shortly.")]
