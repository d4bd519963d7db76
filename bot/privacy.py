"""Users' control over what Limber keeps: the /privacy text and /forget.

``forget_chat`` is the one place that deletes what is kept about a chat. Every
store that keeps something per chat implements ``ChatData`` and is passed in;
a new store (conversation context, say) joins the list and /forget covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.answer import Block

__all__ = ["ChatData", "ForgetReport", "forget_blocks", "forget_chat", "privacy_blocks"]


class ChatData(Protocol):
    """A store that keeps something about chats and can delete all of it for one chat."""

    def forget_chat(self, chat_id: int) -> dict[str, int]:
        """Delete everything about ``chat_id``; how many items of each kind were deleted."""
        ...


@dataclass(frozen=True)
class ForgetReport:
    """What /forget deleted, by kind ("votes": 2, ...)."""

    deleted: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def forget_chat(chat_id: int, stores: Iterable[ChatData]) -> ForgetReport:
    """Delete everything every store keeps about ``chat_id``."""
    deleted: dict[str, int] = {}
    for store in stores:
        for kind, count in store.forget_chat(chat_id).items():
            deleted[kind] = deleted.get(kind, 0) + count
    return ForgetReport(deleted)


def privacy_blocks(retention_days: int, *, keep_unanswered: bool = True) -> list[Block]:
    """What is kept and for how long, in a few lines (the disclaimer is added by the sender)."""
    kept = ["• your 👍/👎 votes: the question, the passage voted on and the time"]
    if keep_unanswered:
        kept.append("• questions I could not answer, answered only with advice to seek care, "
                    "or that got a 👎: the question, the passage shown and the time")
    kept.append("• how many questions I answer each day, with nothing about who asked")
    kept.append("• our last few messages, in memory only (never on disk), so that follow-up "
                "questions make sense: forgotten after 30 minutes of silence, on /start or /forget")
    return [
        Block.plain("Privacy", bold=True),
        Block.plain("So that the documents can be improved, I keep:\n" + "\n".join(kept)),
        Block.plain("I never store your chat id or your name, only a code made from the chat id "
                    f"that cannot be turned back into it. Everything is deleted after "
                    f"{retention_days} days."),
        Block.plain("Send /forget to delete everything I keep about this chat now."),
    ]


def forget_blocks(report: ForgetReport) -> list[Block]:
    """The reply to /forget: what was deleted."""
    if report.total == 0:
        return [Block.plain("Done: I had nothing kept about this chat, and there is nothing "
                            "to delete.")]
    parts = [f"{count} {kind[:-1] if count == 1 and kind.endswith('s') else kind}"
             for kind, count in report.deleted.items() if count]
    return [Block.plain(f"Done: I deleted everything I kept about this chat ({', '.join(parts)}). "
                        "New questions and votes are kept again as /privacy describes.")]
