"""The handlers: admission first (group -1), then commands, questions, buttons, inline mode.

Handlers only translate: a Telegram update in, ``Pipeline.answer`` (run in a
thread, off the event loop), the rendered HTML out. Every message the bot sends
ends with the disclaimer, or is an earlier part of a split reply whose last part
does.

``admit`` is python-telegram-bot's pattern for a check every handler needs: one
``TypeHandler(Update, admit)`` in group -1 counts each update a handler of
group 0 would answer against the sender's rate limit; over it, the sender is
told once and ``ApplicationHandlerStop`` ends the update there.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from telegram import (
    CallbackQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop

from bot import replies
from bot.answer import Answer
from bot.feedback import Vote
from bot.privacy import forget_chat
from bot.render import TELEGRAM_LIMIT, block_html, blocks_parts, telegram_parts
from bot.telegram.buttons import ButtonData, answer_tag, keyboard, parse_button
from bot.telegram.delivery import answer_with_typing, send_parts
from bot.telegram.filters import question_text
from bot.telegram.limits import Admission
from bot.telegram.state import LimberContext

__all__ = [
    "about",
    "admit",
    "busy_notice",
    "error_handler",
    "forget_command",
    "help_command",
    "inline_query",
    "more_button",
    "not_text",
    "privacy_command",
    "question",
    "stale_button",
    "start",
    "unknown_command",
    "vote_button",
]

logger = logging.getLogger(__name__)

_INLINE_CACHE_SECONDS = 300


# -- admission (group -1) ----------------------------------------------------------------------


def _answerable(update: Update, application: Application) -> bool:
    """Whether a handler of group 0 would answer ``update``: only those count against a limit.

    A tap on a button this version did not make, a group message not addressed to
    the bot or a channel post costs the sender nothing.
    """
    if update.callback_query is not None:
        return parse_button(update.callback_query.data) is not None
    for handler in application.handlers.get(0, ()):
        check = handler.check_update(update)
        if check is not None and check is not False:
            return True
    return False


async def admit(update: object, context: LimberContext) -> None:
    """Let the sender through, or stop the update here: over the limit, say so once per window."""
    if not isinstance(update, Update) or not _answerable(update, context.application):
        return
    limber = context.limber
    sender = update.effective_user or update.effective_chat
    if sender is None:
        raise ApplicationHandlerStop
    verdict = limber.users.check(sender.id)
    if verdict is Admission.ALLOW:
        return
    try:
        if update.callback_query is not None:
            await _notify(update.callback_query, replies.TAPPING_TOO_FAST)
        elif verdict is Admission.WARN and update.effective_message is not None:
            notice = replies.rate_limited(limber.settings.user_rate_limit)
            await send_parts(context, update.effective_message, blocks_parts(notice))
    except Exception as error:  # what a failed reply always gets: a log line and an apology
        await _apologise(update, context, error)
    raise ApplicationHandlerStop


# -- handlers ----------------------------------------------------------------------------------


def _message(update: Update) -> Message:
    """The message of an update a message or command handler got (its filters let no other in)."""
    message = update.effective_message
    if message is None:  # a handler registered for the wrong updates: logged, with an apology
        raise TypeError(f"update {update.update_id} reached a message handler without a message")
    return message


def _query(update: Update) -> CallbackQuery:
    """The callback query of an update a button handler got (CallbackQueryHandler's guarantee)."""
    query = update.callback_query
    if query is None:
        raise TypeError(f"update {update.update_id} reached a button handler without a query")
    return query


async def start(update: Update, context: LimberContext) -> None:
    """Send the welcome when /start is issued, and start the conversation afresh."""
    message = _message(update)
    context.limber.conversation(message).clear()
    blocks = replies.welcome()
    await send_parts(context, message, blocks_parts(blocks))


async def help_command(update: Update, context: LimberContext) -> None:
    """Send how to ask when /help is issued (arguments such as "/help me" are ignored)."""
    blocks = replies.help_text(context.bot.username)
    await send_parts(context, _message(update), blocks_parts(blocks))


async def about(update: Update, context: LimberContext) -> None:
    """Send the sources, their licences, the passage count and the model when /about is issued."""
    manifest = context.limber.pipeline.retriever.index.manifest
    files = [str(name) for name in manifest.data.get("corpus_files", [])]
    blocks = replies.about(manifest.passage_count, files, manifest.model)
    await send_parts(context, _message(update), blocks_parts(blocks))


async def privacy_command(update: Update, context: LimberContext) -> None:
    """Say what is kept about users and for how long when /privacy is issued."""
    settings = context.limber.settings
    blocks = replies.privacy(settings.retention_days, keep_unanswered=settings.keep_unanswered)
    await send_parts(context, _message(update), blocks_parts(blocks))


async def forget_command(update: Update, context: LimberContext) -> None:
    """Delete everything kept about this chat when /forget is issued, and say so."""
    limber = context.limber
    message = _message(update)
    report = await limber.in_thread(forget_chat, message.chat_id, limber.chat_data())
    logger.info("forget: deleted %d rows for a chat", report.total)
    await send_parts(context, message, blocks_parts(replies.forgotten(report.deleted)))


async def unknown_command(update: Update, context: LimberContext) -> None:
    """Tell the user which commands exist when they send one that does not."""
    message = _message(update)
    command = (message.text or "").split(maxsplit=1)[0]
    await send_parts(context, message, blocks_parts(replies.unknown_command(command)))


async def not_text(update: Update, context: LimberContext) -> None:
    """Say politely that only text can be read (photos, voice, stickers, files, places...)."""
    await send_parts(context, _message(update), blocks_parts(replies.only_text()))


async def question(update: Update, context: LimberContext) -> None:
    """Answer a text question (edited ones again), as a reply, with More and 👍/👎 buttons."""
    message = _message(update)
    limber = context.limber
    started = time.perf_counter()
    text = question_text(message, context.bot.username)
    conversation = limber.conversation(message)
    replied = await limber.in_thread(limber.replied_answer, message, context.bot.id)
    answer = await answer_with_typing(context, message, text, replied or conversation)
    conversation.record(answer)
    buttons = keyboard(answer, 0 if answer.passages else None)
    sent = await send_parts(context, message, telegram_parts(answer), buttons)
    if buttons is not None:
        limber.remember(sent, text)
    await limber.keep("the unanswered log", limber.unanswered.observe, answer, message.chat_id)
    edited = " (edited)" if update.edited_message else ""
    if limber.settings.log_questions:
        logger.info(
            "update %s%s: %s in %.0f ms for %r",
            update.update_id,
            edited,
            answer.kind,
            (time.perf_counter() - started) * 1000,
            text,
        )
    else:
        logger.info(
            "update %s%s: %s in %.0f ms",
            update.update_id,
            edited,
            answer.kind,
            (time.perf_counter() - started) * 1000,
        )


async def inline_query(update: Update, context: LimberContext) -> None:
    """Offer the best passages for "@bot words" typed in any chat; each sends its source and
    the disclaimer. A red flag or a crisis offers the care instruction instead."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    limber = context.limber
    offers = await limber.in_thread(limber.pipeline.offers, text) if text else ()
    results = [
        InlineQueryResultArticle(
            id=f"{number}",
            title=offer.title,
            description=offer.description,
            input_message_content=InputTextMessageContent(
                "\n\n".join(block_html(b) for b in offer.blocks)[:TELEGRAM_LIMIT],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )
        for number, offer in enumerate(offers)
    ]
    # Answers depend on the words only, so Telegram may cache them for everyone.
    await limber.deliver(lambda: query.answer(results, cache_time=_INLINE_CACHE_SECONDS), "answerInlineQuery")


async def more_button(update: Update, context: LimberContext) -> None:
    """Show the next passage of an answer when "More" is tapped (answers the query first)."""
    query = _query(update)
    tap = await _button_answer(update, context)
    if tap is None:
        return
    answer = tap.answer
    index = tap.data.index
    if index is None or not 0 < index < len(answer.passages):
        await _notify(query, replies.BUTTON_OUT_OF_DATE)
        return
    await _notify(query, None)
    limber = context.limber
    button_message = tap.message
    # The tapped message keeps its 👍/👎; its More moves to the new message.
    with contextlib.suppress(TelegramError):
        await button_message.edit_reply_markup(keyboard(answer, index - 1, more=False))
    target = tap.asked if tap.asked is not None else button_message
    # The same rendering as the first answer: the pipeline's blocks, the disclaimer their last.
    more = replace(answer, blocks=limber.pipeline.more_blocks(answer, index))
    sent = await send_parts(context, target, telegram_parts(more), keyboard(answer, index))
    limber.remember(sent, answer.question)


async def vote_button(update: Update, context: LimberContext) -> None:
    """Record 👍/👎 on the passage an answer showed (answers the query first)."""
    query = _query(update)
    tap = await _button_answer(update, context)
    if tap is None:
        return
    data, answer, chat_id = tap.data, tap.answer, tap.message.chat_id
    vote = data.vote
    if vote is None:  # the data of a More button: this handler's pattern lets none through
        await _notify(query, replies.BUTTON_NO_LONGER_WORKS)
        return
    if data.index is None:
        passage_id = None
        valid = not answer.passages
    else:
        valid = data.index < len(answer.passages)
        passage_id = answer.passages[data.index].passage.id if valid else None
    if not valid:
        await _notify(query, replies.BUTTON_OUT_OF_DATE)
        return
    await _notify(query, replies.vote_noted(vote is Vote.UP))
    limber = context.limber
    await limber.in_thread(
        lambda: limber.feedback.record(
            question=answer.question, passage_id=passage_id, vote=vote, chat_id=chat_id
        )
    )
    await limber.keep(
        "a 👎 in the unanswered log",
        limber.unanswered.vote,
        answer,
        data.index,
        vote,
        chat_id,
    )
    logger.info("feedback %s on passage %s", data.vote, passage_id or "(none)")


async def stale_button(update: Update, context: LimberContext) -> None:
    """Tell the user that a button this version did not make no longer works."""
    await _notify(update.callback_query, replies.BUTTON_NO_LONGER_WORKS)


@dataclass(frozen=True)
class ButtonTap:
    """A tap on a button of this version, with what it refers to."""

    data: ButtonData
    answer: Answer  # the answer the button was made for, recomputed (its tag matched)
    asked: Message | None  # the user's question message, when it can still be replied to
    message: Message  # the bot's message whose button was tapped


@dataclass(frozen=True)
class _Asked:
    message: Message | None  # the user's message a bot message replies to
    question: str | None  # the question in it, or the one remembered for the bot message


async def _button_answer(update: Update, context: LimberContext) -> ButtonTap | None:
    """The button's data, the answer it belongs to (recomputed) and the question message.

    Answers the query with a notice, and returns None, when the data is forged,
    the question cannot be found or the answer has changed since.
    """
    query = _query(update)
    data = parse_button(query.data)
    if data is None:
        await _notify(query, replies.BUTTON_NO_LONGER_WORKS)
        return None
    button_message = query.message
    asked = _button_question(button_message, context)
    # Not a Message (too old: an InaccessibleMessage) gives no question either.
    if asked.question is None or not isinstance(button_message, Message):
        await _notify(query, replies.QUESTION_GONE)
        return None
    answer = await context.limber.answer(asked.question)
    if answer_tag(answer) != data.tag:
        await _notify(query, replies.ANSWER_OUT_OF_DATE)
        return None
    return ButtonTap(data, answer, asked.message, button_message)


def _button_question(button_message: object, context: LimberContext) -> _Asked:
    """The user's message a bot message replies to, and the question in it."""
    if not isinstance(button_message, Message):
        return _Asked(None, None)  # too old: Telegram sends an InaccessibleMessage
    asked = button_message.reply_to_message
    if asked is not None and (asked.text or asked.caption):
        return _Asked(asked, question_text(asked, context.bot.username))
    key = (button_message.chat_id, button_message.message_id)
    return _Asked(None, context.limber.questions.get(key))


async def _notify(query: Any, text: str | None) -> None:
    """Answer a callback query (once), with a short notice or none."""
    try:
        await query.answer(text=text)
    except TelegramError as error:  # too old, or already answered: the rest still works
        logger.info("could not answer a callback query: %s", error)


async def error_handler(update: object, context: LimberContext) -> None:
    """Log the error and, where there is a chat, apologise (with the disclaimer)."""
    await _apologise(update, context, context.error)


async def _apologise(update: object, context: LimberContext, error: BaseException | None) -> None:
    logger.error("Exception while handling an update:", exc_info=error)
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return
    message = update.effective_message
    if not isinstance(message, Message) or update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.CHANNEL:
        return
    try:
        await send_parts(context, message, blocks_parts(replies.apology()))
    except TelegramError as error:
        logger.warning("could not apologise for a failed update: %s", error)


async def busy_notice(update: Update, application: Application) -> None:
    """The one "busy" notice for a user whose chat already has its fill of waiting questions."""
    message = update.effective_message
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text=replies.BUSY)
        return
    if not isinstance(message, Message) or update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.CHANNEL:
        return
    context = LimberContext.from_update(update, application)
    await send_parts(context, message, blocks_parts(replies.busy()))
