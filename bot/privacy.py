"""Users' control over what Limber keeps: /forget (its texts and /privacy's are in bot.replies).

``forget_chat`` is the one place that deletes what is kept about a chat. Every
store that keeps something per chat implements ``ChatData`` and is passed in;
a new store (conversation context, say) joins the list and /forget covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ChatData", "ForgetReport", "forget_chat"]


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
