"""Start, run and stop: initialise, register, receive (polling or the webhook), drain.

Shutdown (SIGINT, SIGTERM, SIGABRT): stop fetching (or close the webhook port),
give the updates in progress up to 8 s, cancel the rest (they stay in the inbox
for the next start) and exit: well within 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.telegram.dispatch import ALLOWED_UPDATES, Dispatcher
from bot.telegram.handlers import busy_notice
from bot.telegram.jobs import (
    RETENTION_INTERVAL,
    enforce_retention,
    prune_inbox,
    purge_expired,
    watch_index,
)
from bot.telegram.logs import redact
from bot.telegram.polling import confirm, poll
from bot.telegram.state import Limber
from bot.telegram.webhook import WebhookLimits, WebhookServer, webhook_options
from limber.errors import LimberError

__all__ = ["COMMANDS", "StartupError", "polling", "post_init", "post_shutdown", "post_stop", "serve"]

logger = logging.getLogger(__name__)

COMMANDS = (
    ("start", "Welcome and example questions"),
    ("help", "How to ask me"),
    ("about", "My sources, their licences and the model"),
    ("privacy", "What I keep about you, and for how long"),
    ("forget", "Delete everything I keep about this chat"),
)


async def post_init(application: Application) -> None:
    """Register the command menu and start watching the index for rebuilds."""
    limber: Limber = application.bot_data["limber"]
    commands = [BotCommand(name, text) for name, text in COMMANDS]
    try:
        await limber.deliver(lambda: application.bot.set_my_commands(commands), "setMyCommands")
    except TelegramError as error:
        logger.warning("could not register the command menu: %s", error)
    if limber.settings.reload_interval > 0:
        limber.spawn(watch_index(limber))
    await purge_expired(limber)
    limber.spawn(enforce_retention(limber, RETENTION_INTERVAL))
    logger.info("Limber is up as @%s", application.bot.username)


async def post_stop(application: Application) -> None:
    """Stop watching the index once no update is being handled any more."""
    limber: Limber = application.bot_data["limber"]
    for task in list(limber.background):
        task.cancel()
    await asyncio.gather(*limber.background, return_exceptions=True)


async def post_shutdown(application: Application) -> None:
    """Close the feedback store and the answer threads."""
    await post_stop(application)
    limber: Limber = application.bot_data["limber"]
    limber.executor.shutdown(wait=True, cancel_futures=True)
    limber.feedback.close()
    limber.inbox.close()


def _dispatcher(application: Application) -> Dispatcher:
    limber: Limber = application.bot_data["limber"]
    return Dispatcher(
        application,
        limber.inbox,
        chat_limit=limber.settings.chat_queue_limit,
        on_busy=lambda update: busy_notice(update, application),
    )


@contextlib.asynccontextmanager
async def _running(application: Application) -> AsyncIterator[Limber]:
    """Initialise (a clear LimberError for a rejected token or an unreachable server), run, stop."""
    limber: Limber = application.bot_data["limber"]
    try:
        try:
            await application.initialize()
        except InvalidToken:
            raise ConfigError(
                "Telegram rejected the bot token (HTTP 401 or 404): check TELEGRAM_BOT_TOKEN (or "
                "the file TELEGRAM_BOT_TOKEN_FILE names) with @BotFather, and "
                "TELEGRAM_API_BASE_URL if you set one"
            ) from None
        except (NetworkError, OSError) as error:
            raise StartupError(
                f"cannot reach the Telegram Bot API at {_api_host(limber.settings)} "
                f"({type(error).__name__}: {redact(str(error))[:200]}); check the network and "
                "TELEGRAM_API_BASE_URL"
            ) from None
        try:
            await post_init(application)
            yield limber
        finally:
            if application.running:
                await application.stop()
                await post_stop(application)
            await application.shutdown()
    finally:
        await post_shutdown(application)


async def _startup_call(limber: Limber, what: str, call: Callable[[], Awaitable[Any]]) -> None:
    try:
        await limber.deliver(call, what)
    except TelegramError as error:
        raise StartupError(f"Telegram refused {what}: {redact(str(error))[:300]}") from None


class StartupError(LimberError):
    """The bot could not start: Telegram unreachable, the webhook port taken..."""


def _api_host(settings: Settings) -> str:
    url = settings.telegram_api_base_url or "https://api.telegram.org"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the configured URL"


async def serve(
    application: Application,
    stop: asyncio.Event,
    *,
    webhook: bool,
    timeout: float = 10,
    poll_interval: float = 0.0,
    ready: Callable[[], None] | None = None,
    webhook_limits: WebhookLimits | None = None,
) -> None:
    """Receive updates (polling or webhook) through the inbox until ``stop`` is set."""
    async with _running(application) as limber:
        dispatcher = _dispatcher(application)
        limber.dispatcher = dispatcher
        server: WebhookServer | None = None
        fetching: asyncio.Task[None] | None = None
        try:
            if webhook:
                options = webhook_options(limber.settings)
                server = WebhookServer(
                    listen=options["listen"],
                    port=options["port"],
                    path=options["url_path"],
                    secret=options["secret_token"],
                    inbox=limber.inbox,
                    dispatcher=dispatcher,
                    limits=webhook_limits,
                )
                await server.start()
                limber.webhook = server
                logger.info(
                    "webhook mode: listening on %s:%d/%s", server.listen, server.port, options["url_path"]
                )
                await _startup_call(
                    limber,
                    "setWebhook",
                    lambda: application.bot.set_webhook(
                        url=options["webhook_url"],
                        secret_token=options["secret_token"],
                        allowed_updates=ALLOWED_UPDATES,
                        drop_pending_updates=False,
                    ),
                )
            else:
                await _startup_call(
                    limber,
                    "deleteWebhook",
                    lambda: application.bot.delete_webhook(drop_pending_updates=False),
                )
            await application.start()
            limber.spawn(prune_inbox(limber))
            dispatcher.replay()
            if not webhook:
                logger.info("long polling mode")
                fetching = asyncio.ensure_future(
                    poll(
                        application,
                        limber.inbox,
                        dispatcher,
                        timeout=timeout,
                        allowed_updates=ALLOWED_UPDATES,
                        poll_interval=poll_interval,
                        stop=stop,
                    )
                )
            if ready is not None:
                ready()
            await stop.wait()
        finally:
            if fetching is not None:  # stop is set: it returns once no batch is being stored
                try:
                    await asyncio.wait_for(asyncio.shield(fetching), timeout=5)
                except Exception:  # TimeoutError: a stuck inbox write; give up on it
                    fetching.cancel()
                    await asyncio.gather(fetching, return_exceptions=True)
            if server is not None:
                await server.stop()
            await dispatcher.drain()
            if not webhook and fetching is not None:
                await confirm(application, limber.inbox)


@contextlib.asynccontextmanager
async def polling(
    application: Application,
    *,
    timeout: float = 10,
    poll_interval: float = 0.0,
    webhook: bool = False,
    webhook_limits: WebhookLimits | None = None,
) -> AsyncIterator[Application]:
    """Run the bot inside a running event loop (tests, benchmarks): polling, or the webhook.

    The same steps as ``run``, without signal handling; leaving the block stops it.
    """
    stop = asyncio.Event()
    up = asyncio.Event()
    serving = asyncio.ensure_future(
        serve(
            application,
            stop,
            webhook=webhook,
            timeout=timeout,
            poll_interval=poll_interval,
            ready=up.set,
            webhook_limits=webhook_limits,
        )
    )
    waiting = asyncio.ensure_future(up.wait())
    await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        waiting.cancel()
        serving.result()  # raises what kept it from starting
    try:
        yield application
    finally:
        stop.set()
        await serving
