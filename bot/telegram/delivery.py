"""Sending replies: retries on network faults, a plain-text fallback, "typing" only when slow.

* 5xx, dropped connections, hangs. PTB raises ``NetworkError``/``TimedOut`` and
  never retries a send; ``deliver`` retries them with bounded exponential
  backoff (``send_retries`` more attempts). A request that timed out may still
  have been delivered, so a retry after a hang can show a reply twice: Limber
  accepts that rare duplicate rather than lose a reply.
* ``BadRequest`` (a ``NetworkError`` subclass!) is never retried. When Telegram
  cannot parse the HTML, the message is sent once more as plain text.
* 429 is the rate limiter's to retry (``bot.telegram.limits``).
* A reply of several parts carries its buttons under the last; the update is
  marked answered in the inbox the moment its last part is out.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ExtBot

from bot.answer import Answer
from bot.conversation import Conversation
from bot.render import utf16_length, utf16_prefix
from bot.replies import DISCLAIMER
from bot.telegram.dispatch import mark_current_answered
from bot.telegram.limits import PacedRateLimiter

if TYPE_CHECKING:
    from bot.telegram.state import LimberContext

__all__ = [
    "answer_with_typing",
    "as_plain_text",
    "deliver",
    "send",
    "send_parts",
    "transient",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_BACKOFF = 8.0  # seconds: the longest pause between two send attempts
_TYPING_REPEAT = 4.5  # Telegram shows "typing" for 5 s


async def deliver(send: Callable[[], Awaitable[T]], what: str, *, retries: int, backoff: float) -> T:
    """Run ``send``; after a network error or timeout, again, at most ``retries`` times.

    Never retries a BadRequest (it would fail the same way). RetryAfter is
    the rate limiter's to retry, not ours.
    """
    retries = max(0, retries)
    attempt = 0
    while True:
        try:
            return await send()
        except TelegramError as error:
            if not transient(error) or attempt >= retries:
                raise
            delay = min(backoff * 2**attempt, _MAX_BACKOFF)
            delay *= random.uniform(0.8, 1.2)  # spread the retries of many chats
            attempt += 1
            logger.warning(
                "%s failed (%s: %s); retry %d of %d in %.2f s",
                what,
                type(error).__name__,
                error,
                attempt,
                retries,
                delay,
            )
            await asyncio.sleep(delay)


def transient(error: TelegramError) -> bool:
    """Errors worth another attempt: network trouble, timeouts, 5xx, a garbled response."""
    if isinstance(error, BadRequest):
        return False  # a NetworkError subclass, but a 400 fails the same way every time
    if isinstance(error, NetworkError):
        return True
    # PTB raises a bare TelegramError("Invalid server response") for a body that is not JSON.
    return type(error) is TelegramError and isinstance(error.__cause__, ValueError)


def as_plain_text(markup: str) -> str:
    """What a user would read for ``markup``, links written out, the disclaimer ensured."""
    text = re.sub(
        r'<a href="([^"]*)">(.*?)</a>',
        lambda m: f"{m[2]} ({html.unescape(m[1])})" if m[1] != m[2] else m[2],
        markup,
    )
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    if DISCLAIMER not in text:
        room = 4096 - utf16_length(DISCLAIMER) - 3
        if utf16_length(text) > room:
            text = text[: utf16_prefix(text, room - 1)] + "…"
        text += "\n\n" + DISCLAIMER
    return text


def _is_parse_error(error: BadRequest) -> bool:
    return "can't parse entities" in str(error).lower()


async def send(
    context: LimberContext,
    message: Message,
    html_text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """Reply to ``message`` with ``html_text``: retried on network faults, plain text if refused."""
    bot = context.bot
    options: dict[str, Any] = {
        "reply_parameters": ReplyParameters(message.message_id, allow_sending_without_reply=True),
        "reply_markup": keyboard,
    }
    if message.is_topic_message and message.message_thread_id is not None:
        options["message_thread_id"] = message.message_thread_id
    try:
        return await context.limber.deliver(
            lambda: bot.send_message(message.chat_id, html_text, **options), "sendMessage"
        )
    except BadRequest as error:
        if not _is_parse_error(error):
            raise
        logger.error("Telegram refused the HTML of a reply (%s); sending it as plain text", error)
        plain = as_plain_text(html_text)
        return await context.limber.deliver(
            lambda: bot.send_message(message.chat_id, plain, parse_mode=None, **options),
            "sendMessage (plain text)",
        )


async def send_parts(
    context: LimberContext,
    message: Message,
    parts: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a reply of one or more parts, the buttons under the last; returns the last."""
    sent = None
    for number, part in enumerate(parts, start=1):
        sent = await send(context, message, part, keyboard if number == len(parts) else None)
    assert sent is not None, "a reply has at least one part"
    mark_current_answered()  # at once: a kill a moment later must not make the next start repeat it
    return sent


async def _typing(bot: ExtBot[None], chat_id: int, thread_id: int | None) -> None:
    """Show "typing…", unless the request budget is spent: then answers go first."""
    limiter = bot.rate_limiter
    if isinstance(limiter, PacedRateLimiter) and limiter.busy:
        return
    with contextlib.suppress(TelegramError):  # best effort: never worth a retry
        await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)


async def answer_with_typing(
    context: LimberContext, message: Message, question: str, conversation: Conversation | None = None
) -> Answer:
    """The answer; "typing…" is shown only if it takes longer than ``typing_delay``."""
    limber = context.limber
    pending = asyncio.ensure_future(limber.answer(question, conversation))
    delay = limber.settings.typing_delay
    thread_id = message.message_thread_id if message.is_topic_message else None
    while True:
        done, _ = await asyncio.wait({pending}, timeout=delay)
        if done:
            return pending.result()
        limber.spawn(_typing(context.bot, message.chat_id, thread_id))
        delay = _TYPING_REPEAT
