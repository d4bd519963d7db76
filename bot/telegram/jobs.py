"""What runs beside the handlers while the bot is up: inbox pruning, retention, index reloads."""

from __future__ import annotations

import asyncio
import logging

from bot.telegram.state import Limber
from index.search import IndexReloadError
from limber.errors import LimberError

__all__ = ["RETENTION_INTERVAL", "enforce_retention", "prune_inbox", "purge_expired", "watch_index"]

logger = logging.getLogger(__name__)

RETENTION_INTERVAL = 24 * 3600.0  # seconds between two purges of expired feedback


async def prune_inbox(limber: Limber, every: float = 3600.0) -> None:
    """Forget answered updates older than 48 hours: now, then every hour."""
    while True:
        try:
            await limber.in_thread(limber.inbox.prune)
        except LimberError as error:
            logger.warning("%s", error)
        await asyncio.sleep(every)


async def purge_expired(limber: Limber) -> None:
    """Delete votes and unanswered questions older than LIMBER_RETENTION_DAYS."""
    try:
        deleted = await limber.in_thread(limber.feedback.purge_expired, limber.settings.retention_days)
    except Exception:
        logger.exception("could not delete expired feedback; will try again")
        return
    logger.info("retention: deleted %d rows older than %d days", deleted, limber.settings.retention_days)


async def enforce_retention(limber: Limber, interval: float) -> None:
    """Purge expired rows every ``interval`` seconds (daily) while the bot runs."""
    while True:
        await asyncio.sleep(interval)
        await purge_expired(limber)


async def watch_index(limber: Limber) -> None:
    """Every ``reload_interval`` seconds, swap in a rebuilt index; keep serving on errors."""
    retriever = limber.pipeline.retriever
    while True:
        await asyncio.sleep(limber.settings.reload_interval)
        try:
            if await limber.in_thread(retriever.reload_if_changed):
                logger.info("index reloaded: %d passages", retriever.index.manifest.passage_count)
        except IndexReloadError as error:  # once per new build id; retried after a growing pause
            level = logging.ERROR if error.attempt == 1 else logging.DEBUG
            logger.log(
                level,
                "index reload failed (%s); still serving the previous index, trying "
                "this build again in %.0f s",
                error,
                error.pause,
            )
        except Exception:
            logger.exception("index reload failed; still serving the previous index")
