"""The ``getUpdates`` loop: store each batch in the inbox (committed), only then confirm it.

Telegram forgets an update when a ``getUpdates`` with a higher offset takes
effect, so the offset moves past a batch only after the batch is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.telegram.dispatch import Dispatcher
from bot.telegram.inbox import Inbox, InboxError

__all__ = ["confirm", "poll"]

logger = logging.getLogger(__name__)

_POLL_BACKOFF_MAX = 30.0


async def poll(
    application: Application,
    inbox: Inbox,
    dispatcher: Dispatcher,
    *,
    timeout: float,
    allowed_updates: list[str],
    poll_interval: float = 0.0,
    backoff: float = 1.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Fetch updates until ``stop`` is set; each batch is committed to the inbox before it is confirmed.

    Telegram forgets an update when a ``getUpdates`` with a higher offset takes
    effect, so the offset moves past a batch only after the batch is on disk.
    Errors are retried with exponential backoff, logged once per run of failures.
    A stop abandons a long poll still waiting, never a batch being stored and
    handed on.
    """
    bot = application.bot
    stop = stop or asyncio.Event()
    offset = inbox.next_offset()
    failures = 0
    while not stop.is_set():
        request = asyncio.ensure_future(
            bot.get_updates(offset=offset, timeout=int(timeout), allowed_updates=allowed_updates)
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not request.done():
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)
        if request.cancelled():
            return  # stopped while waiting: whatever it would have fetched stays with Telegram
        try:
            updates = request.result()
        except (TelegramError, OSError) as error:
            failures += 1
            delay = min(backoff * 2 ** (failures - 1), _POLL_BACKOFF_MAX)
            level = logging.WARNING if failures == 1 else logging.DEBUG
            if isinstance(error, InvalidToken):
                level = logging.ERROR if failures == 1 else logging.DEBUG
            logger.log(
                level,
                "getUpdates failed (%s); retrying in %.1f s (logged once until it works again)",
                type(error).__name__,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            continue
        if failures:
            logger.info("getUpdates works again after %d failure(s)", failures)
            failures = 0
        if updates:
            bodies = [update.to_dict() for update in updates]
            try:
                new = set(await asyncio.to_thread(inbox.add, bodies))
            except InboxError as error:
                logger.error("%s; not confirming these updates to Telegram", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                continue  # the same offset again: Telegram hands them out once more
            offset = max(update.update_id for update in updates) + 1
            for update in updates:
                if update.update_id in new:
                    dispatcher.submit(update)
        if poll_interval:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_interval)


async def confirm(application: Application, inbox: Inbox) -> None:
    """Tell Telegram that everything stored has been received (best effort, at a stop)."""
    offset = inbox.next_offset()
    if not offset:
        return
    with contextlib.suppress(TelegramError, OSError, TimeoutError):
        await asyncio.wait_for(application.bot.get_updates(offset=offset, timeout=0, limit=1), timeout=1.5)
