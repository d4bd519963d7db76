"""Limber on Telegram: the wiring. Which rooms do what is in ``bot/telegram/__init__.py``."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline
from bot.telegram import handlers
from bot.telegram.buttons import CALLBACK_VERSION
from bot.telegram.filters import AddressedToBot, CommandForBot
from bot.telegram.inbox import Inbox
from bot.telegram.lifecycle import polling, post_init, post_shutdown, post_stop, serve
from bot.telegram.limits import PacedRateLimiter, UserRateLimiter
from bot.telegram.logs import configure_logging, quiet_libraries
from bot.telegram.state import Limber, LimberContext

__all__ = ["build_application", "file_url", "polling", "run"]

_WORKERS = 4


def build_application(
    settings: Settings,
    pipeline: Pipeline,
    *,
    feedback: FeedbackStore | None = None,
    request_timeout: float | None = None,
    retry_backoff: float = 0.5,
) -> Application:
    """The bot as a PTB Application, not yet running (see ``run`` and ``polling``).

    ``request_timeout`` (seconds) overrides PTB's connect/read/write timeouts of
    every request (default 5 s; getUpdates adds its long-poll time);
    ``retry_backoff`` is the first pause before a send is retried (doubling).
    """
    quiet_libraries(settings)
    limiter = PacedRateLimiter(
        overall_max_rate=settings.overall_max_rate,
        overall_time_period=1,
        per_chat_max_rate=settings.per_chat_max_rate,
        max_retries=max(1, settings.send_retries),
    )
    builder = (
        Application.builder()
        .token(settings.require_token())
        .context_types(ContextTypes(context=LimberContext))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .rate_limiter(limiter)
        .updater(None)  # updates arrive through the inbox (dispatch.py), not PTB's Updater
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if settings.telegram_api_base_url:
        base_url = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base_url)
        if files := file_url(base_url):
            builder = builder.base_file_url(files)
    if request_timeout is not None:
        builder = (
            builder.connect_timeout(request_timeout)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            .get_updates_connect_timeout(request_timeout)
            .get_updates_read_timeout(request_timeout)
            .get_updates_write_timeout(request_timeout)
        )
    application = builder.build()
    application.bot_data["limber"] = Limber(
        settings=settings,
        pipeline=pipeline,
        feedback=feedback or FeedbackStore(settings.feedback_db),
        users=UserRateLimiter(settings.user_rate_limit),
        executor=ThreadPoolExecutor(_WORKERS, thread_name_prefix="limber-answer"),
        retry_backoff=retry_backoff,
        inbox=Inbox(settings.inbox_path),
    )
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:
    # Group -1 first: the per-user limit, for every update a handler below would answer.
    application.add_handler(TypeHandler(Update, handlers.admit), group=-1)
    # Note: order matters. Known commands first, then unknown ones, then text, then the rest.
    messages = filters.UpdateType.MESSAGES  # new and edited messages; channel posts are ignored
    addressed = AddressedToBot()
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("about", handlers.about))
    application.add_handler(CommandHandler("privacy", handlers.privacy_command))
    application.add_handler(CommandHandler("forget", handlers.forget_command))
    application.add_handler(
        MessageHandler(messages & filters.COMMAND & CommandForBot(), handlers.unknown_command)
    )
    application.add_handler(
        MessageHandler(messages & filters.TEXT & ~filters.COMMAND & addressed, handlers.question)
    )
    application.add_handler(
        MessageHandler(messages & ~filters.TEXT & ~filters.StatusUpdate.ALL & addressed, handlers.not_text)
    )
    version = CALLBACK_VERSION
    application.add_handler(CallbackQueryHandler(handlers.more_button, pattern=f"^{version}:more:"))
    application.add_handler(CallbackQueryHandler(handlers.vote_button, pattern=f"^{version}:vote:"))
    application.add_handler(CallbackQueryHandler(handlers.stale_button))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(handlers.error_handler)


def run(settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook if TELEGRAM_WEBHOOK_URL is set."""
    import signal

    from bot.service import open_pipeline

    configure_logging(settings)
    application = build_application(settings, open_pipeline(settings))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
            loop.add_signal_handler(number, stop.set)
        await serve(application, stop, webhook=bool(settings.webhook_url))

    asyncio.run(main())
    return 0


def file_url(base_url: str) -> str | None:
    """The file URL that goes with a Bot API URL: .../bot -> .../file/bot."""
    if re.search(r"/bot(\{token\})?$", base_url):
        return re.sub(r"/bot(\{token\})?$", r"/file/bot\1", base_url)
    return None
