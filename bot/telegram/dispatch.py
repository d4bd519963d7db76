"""How updates reach the handlers: one task per update, a cap per chat, the inbox marked.

``Dispatcher`` takes updates (fetched by ``bot.telegram.polling``, received by
``bot.telegram.webhook`` or replayed from the inbox), runs each in its own task
through ``Application.process_update`` and marks it answered in the inbox. Each
chat may have at most ``chat_limit`` updates waiting or in progress; the excess
is not queued: each user gets one "busy" notice (``on_busy``) until the chat's
queue is empty again. No global slot is held while a reply waits for its chat's
pacing, so one busy group delays no other chat. ``drain`` stops within ``grace``
seconds: what is still running is cancelled and stays unanswered in the inbox,
for the next start.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application

from bot.telegram.inbox import Inbox, InboxError

__all__ = ["ALLOWED_UPDATES", "STOP_GRACE", "Dispatcher", "mark_current_answered"]

logger = logging.getLogger(__name__)

# The updates Limber handles, what getUpdates and setWebhook ask Telegram for.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
STOP_GRACE = 8.0  # seconds a stop waits for updates in progress (the whole stop stays under 10 s)

_CURRENT: contextvars.ContextVar[tuple[Inbox, int] | None] = contextvars.ContextVar(
    "limber_update", default=None
)


def mark_current_answered() -> None:
    """Mark the update the calling task is handling as answered (after its reply is sent).

    Called right after the last part of a reply went out, so that a kill a moment
    later does not make the next start answer it again.
    """
    current = _CURRENT.get()
    if current is not None:
        inbox, update_id = current
        try:
            inbox.mark_answered(update_id)
        except InboxError as error:  # the reply is out; never turn that into an apology
            logger.error("%s", error)


def _chat_key(update: Update) -> int | None:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return None if user is None else user.id


class Dispatcher:
    """Per-update tasks with a per-chat cap; every finished update is marked in the inbox."""

    def __init__(
        self,
        application: Application,
        inbox: Inbox,
        *,
        chat_limit: int,
        on_busy: Callable[[Update], Awaitable[None]] | None = None,
        grace: float = STOP_GRACE,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.chat_limit = chat_limit
        self._on_busy = on_busy
        self.grace = grace
        self._tasks: set[asyncio.Task[None]] = set()
        self._notices: set[asyncio.Task[None]] = set()
        self._per_chat: Counter[int] = Counter()
        self._told: dict[int, set[int]] = {}
        self._accepting = True
        self.busy_refused = 0  # updates refused because their chat's queue was full

    @property
    def in_progress(self) -> int:
        return len(self._tasks)

    def replay(self) -> int:
        """Submit whatever the inbox holds unanswered (from a previous run); how many."""
        entries = self.inbox.unanswered()
        for entry in entries:
            try:
                update = Update.de_json(entry.body, self.application.bot)
            except Exception:  # not an update this version understands: never answerable
                logger.warning("inbox: update %s cannot be read; skipped", entry.update_id)
                self.inbox.mark_answered(entry.update_id)
                continue
            self.submit(update)
        if entries:
            logger.info("inbox: %d unanswered update(s) from the last run, answering them now", len(entries))
        return len(entries)

    def submit(self, update: Update) -> None:
        """Start handling ``update`` (already stored in the inbox), or refuse it as busy."""
        if not self._accepting:
            return  # stopping: it stays unanswered in the inbox for the next start
        chat = _chat_key(update)
        if chat is not None and self.chat_limit > 0 and self._per_chat[chat] >= self.chat_limit:
            self._refuse(update, chat)
            return
        if chat is not None:
            self._per_chat[chat] += 1
        task = asyncio.ensure_future(self._handle(update, chat))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _refuse(self, update: Update, chat: int) -> None:
        self.busy_refused += 1
        self.inbox.mark_answered(update.update_id)
        user = update.effective_user
        told = self._told.setdefault(chat, set())
        on_busy = self._on_busy
        if on_busy is None or user is None or user.id in told:
            return
        told.add(user.id)
        if len([t for t in self._notices if not t.done()]) >= max(self.chat_limit, 1) * 4:
            return  # notices are best effort; they must not become a queue of their own

        async def notify() -> None:
            token = _CURRENT.set(None)
            try:
                await on_busy(update)
            except Exception as error:  # best effort
                logger.info("could not send a busy notice: %s", type(error).__name__)
            finally:
                _CURRENT.reset(token)

        task = asyncio.ensure_future(notify())
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _handle(self, update: Update, chat: int | None) -> None:
        _CURRENT.set((self.inbox, update.update_id))
        finished = False
        try:
            await self.application.process_update(update)
            finished = True
        finally:
            if chat is not None:
                self._per_chat[chat] -= 1
                if self._per_chat[chat] <= 0:
                    del self._per_chat[chat]
                    self._told.pop(chat, None)
            if finished:  # a cancelled update (a stop) stays unanswered, for the next start
                try:
                    self.inbox.mark_answered(update.update_id)
                except InboxError as error:
                    logger.error("%s", error)

    async def drain(self) -> int:
        """Stop taking updates; wait up to ``grace`` s for those in progress, cancel the rest.

        Returns how many were cancelled (they stay in the inbox, unanswered).
        """
        self._accepting = False
        pending = set(self._tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=self.grace)
        for task in (*pending, *self._notices):
            task.cancel()
        await asyncio.gather(*pending, *self._notices, return_exceptions=True)
        if pending:
            logger.warning("stopped with %d update(s) unanswered; the next start answers them", len(pending))
        return len(pending)
