"""Limber on Telegram: python-telegram-bot v22 handlers around the answer pipeline.

Handlers only translate: a Telegram update in, ``Pipeline.answer`` (run in a
thread, off the event loop), the rendered HTML out. Every message the bot sends
ends with the disclaimer, or is an earlier part of a split reply whose last part
does.

Delivery (why sending looks the way it does):

* Budget. ``AIORateLimiter`` paces all requests to ``overall_max_rate`` a second
  and group chats to 20 a minute; Limber adds ``per_chat_max_rate`` messages a
  second in every chat. It counts every request, the "typing" action included,
  so "typing" is sent only when an answer is not ready after ``typing_delay``
  seconds (a fast answer costs exactly one request), and not at all while a
  second's worth of requests is already queued (under a flood, answers first).
* 429. The limiter retries a ``RetryAfter`` (``max_retries`` = ``send_retries``,
  at least 1) after waiting ``retry_after``, pausing all requests meanwhile.
* 5xx, dropped connections, hangs. PTB raises ``NetworkError``/``TimedOut`` and
  never retries a send; ``_Limber.deliver`` retries them with bounded
  exponential backoff (``send_retries`` more attempts). A request that timed out
  may still have been delivered, so a retry after a hang can show a reply twice:
  Limber accepts that rare duplicate rather than lose a reply.
* ``BadRequest`` (a ``NetworkError`` subclass!) is never retried. When Telegram
  cannot parse the HTML, the message is sent once more as plain text.
* Receiving (``bot.telegram_delivery``): every update is written to the inbox
  (SQLite, WAL) and committed before Telegram is told it arrived (the next
  ``getUpdates`` offset, or the webhook's 200). It is answered from there and
  marked answered the moment its reply is sent; a start answers what the last run
  left unanswered, and an update id already answered is never answered again.
  One chat may have ``chat_queue_limit`` updates waiting; the excess gets one
  "busy" notice per user.

Shutdown (SIGINT, SIGTERM, SIGABRT): stop fetching (or close the webhook port),
give the updates in progress up to 8 s, cancel the rest (they stay in the inbox
for the next start) and exit: well within 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import random
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.answer import Answer, AnswerKind, Block, Span
from bot.config import ConfigError, Settings
from bot.conversation import Conversation, ConversationStore
from bot.feedback import FeedbackStore, Vote
from bot.inbox import Inbox
from bot.pipeline import TOPICS, Pipeline, disclaimer_block, examples_block
from bot.privacy import forget_blocks, forget_chat, privacy_blocks
from bot.redact import RedactingFormatter, add_secret, redact
from bot.render import (
    TELEGRAM_LIMIT,
    block_html,
    split_html,
    telegram_parts,
    utf16_length,
    utf16_prefix,
)
from bot.replies import BUSY, DISCLAIMER
from bot.telegram_delivery import (
    Dispatcher,
    WebhookLimits,
    WebhookServer,
    confirm,
    mark_current_answered,
    poll,
)
from bot.unanswered import UnansweredLog
from index.errors import LimberError
from index.search import IndexReloadError

__all__ = [
    "ALLOWED_UPDATES",
    "COMMANDS",
    "Admission",
    "ButtonData",
    "LimberContext",
    "UserRateLimiter",
    "answer_tag",
    "build_application",
    "parse_button",
    "polling",
    "run",
    "webhook_options",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

COMMANDS = (
    ("start", "Welcome and example questions"),
    ("help", "How to ask me"),
    ("about", "My sources, their licences and the model"),
    ("privacy", "What I keep about you, and for how long"),
    ("forget", "Delete everything I keep about this chat"),
)
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
MEDQUAD_ATTRIBUTION = "MedQuAD, Ben Abacha & Demner-Fushman 2019, CC BY 4.0"
MEDQUAD_URL = "https://github.com/abachaa/MedQuAD"

_INLINE_CACHE_SECONDS = 300
_WORKERS = 4
_OUT_OF_DATE = "This button is out of date. Please ask your question again."
_MAX_BACKOFF = 8.0  # seconds: the longest pause between two send attempts
_TYPING_REPEAT = 4.5  # Telegram shows "typing" for 5 s
_REMEMBERED_QUESTIONS = 10_000  # bot message -> question, for buttons whose question is gone
_CHAT_BURST_SECONDS = 3  # per-chat pacing averages over this many seconds (allows a short burst)
_TAG_CHARS = 12
_CALLBACK_VERSION = "v1"
_RETENTION_INTERVAL = 24 * 3600.0  # seconds between two purges of expired feedback


# -- callback data -----------------------------------------------------------------------------


class ButtonData(NamedTuple):
    """What an inline button under an answer asks for."""

    action: str  # "more" or "vote"
    index: int | None  # the passage (None: a vote on a reply without passages)
    vote: Vote | None
    tag: str  # answer_tag of the answer the button belongs to

    def encode(self) -> str:
        """The callback data: versioned, at most 64 bytes."""
        index = "-" if self.index is None else str(self.index)
        if self.action == "more":
            return f"{_CALLBACK_VERSION}:more:{index}:{self.tag}"
        return f"{_CALLBACK_VERSION}:vote:{index}:{self.vote}:{self.tag}"


_MORE_RE = re.compile(rf"{_CALLBACK_VERSION}:more:(\d{{1,2}}):([0-9a-f]{{{_TAG_CHARS}}})")
_VOTE_RE = re.compile(
    rf"{_CALLBACK_VERSION}:vote:(\d{{1,2}}|-):(up|down):([0-9a-f]{{{_TAG_CHARS}}})"
)


def parse_button(data: object) -> ButtonData | None:
    """The button behind callback ``data``, or None for anything this version did not make."""
    if not isinstance(data, str):
        return None
    if match := _MORE_RE.fullmatch(data):
        return ButtonData("more", int(match[1]), None, match[2])
    if match := _VOTE_RE.fullmatch(data):
        index = None if match[1] == "-" else int(match[1])
        return ButtonData("vote", index, Vote(match[2]), match[3])
    return None


def answer_tag(answer: Answer) -> str:
    """A short hash of the question and the passages behind its answer.

    A button carries it; when the question, or the index behind the answer,
    has changed since the button was made, the tag no longer matches.
    """
    ids = "|".join(sp.passage.id for sp in answer.passages)
    digest = hashlib.sha256(f"{answer.question}\x1f{answer.kind}\x1f{ids}".encode())
    return digest.hexdigest()[:_TAG_CHARS]


# -- per-user rate limit -----------------------------------------------------------------------


class Admission(Enum):
    """Whether a user's message is answered now."""

    ALLOW = "allow"
    WARN = "warn"  # over the limit: tell them, once
    SILENT = "silent"  # over the limit and already told


class UserRateLimiter:
    """At most ``limit`` answers per user in any ``window`` seconds (a sliding window)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._told: set[int] = set()

    def check(self, user_id: int) -> Admission:
        """Count a message of ``user_id``; ALLOW it, or WARN once and then stay SILENT."""
        if self.limit <= 0:
            return Admission.ALLOW
        now = self._clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._told.discard(user_id)
            if len(self._hits) > 10_000:
                self._forget_idle(now)
            return Admission.ALLOW
        if user_id in self._told:
            return Admission.SILENT
        self._told.add(user_id)
        return Admission.WARN

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[user_id]
            self._told.discard(user_id)


# -- bot-wide pacing ---------------------------------------------------------------------------


class _PacedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter plus ``per_chat_max_rate`` messages a second in every chat.

    AIORateLimiter paces all requests and group chats, not one private chat;
    Telegram asks for about one message a second there too. Only sending a
    message counts: chat actions, edits and callback answers pass straight on.
    It also knows when the budget is spent (``busy``), so that optional requests
    such as "typing" can make way for answers.
    """

    def __init__(self, *, per_chat_max_rate: float, overall_max_rate: float, **kwargs: Any):
        super().__init__(overall_max_rate=overall_max_rate, **kwargs)
        self._overall_max_rate = overall_max_rate
        self._per_chat_max_rate = per_chat_max_rate
        self._chat_limiters: dict[int | str, AsyncLimiter] = {}
        self._pending = 0  # requests to chats waiting for the budget or in flight

    @property
    def busy(self) -> bool:
        """True when a second's worth of requests is already queued: the budget is spent."""
        return 0 < self._overall_max_rate <= self._pending

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, answerCallbackQuery...: no chat, no pacing
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        paced = (self._per_chat_max_rate > 0 and endpoint.startswith("send")
                 and endpoint != "sendChatAction")
        self._pending += 1
        try:
            async with self._chat_limiter(chat_id) if paced else contextlib.nullcontext():
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        finally:
            self._pending -= 1

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter:
        if len(self._chat_limiters) > 1024:
            for key, limiter in list(self._chat_limiters.items()):
                if limiter.has_capacity(limiter.max_rate):  # idle: nothing to remember
                    del self._chat_limiters[key]
        if chat_id not in self._chat_limiters:
            # A burst of up to three (a split reply), one a second on average.
            rate = self._per_chat_max_rate
            self._chat_limiters[chat_id] = AsyncLimiter(rate * _CHAT_BURST_SECONDS,
                                                        _CHAT_BURST_SECONDS)
        return self._chat_limiters[chat_id]


# -- shared state ------------------------------------------------------------------------------


@dataclass
class _Limber:
    """Everything the handlers share, kept in ``application.bot_data``."""

    settings: Settings
    pipeline: Pipeline
    feedback: FeedbackStore
    users: UserRateLimiter
    executor: ThreadPoolExecutor
    retry_backoff: float
    inbox: Inbox
    questions: OrderedDict[tuple[int, int], str] = field(default_factory=OrderedDict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    unanswered: UnansweredLog | None = None
    # The last turns of each chat (of each user in a group), in memory only.
    conversations: ConversationStore = field(default_factory=ConversationStore)
    dispatcher: Dispatcher | None = None  # set while the bot receives updates
    webhook: WebhookServer | None = None  # set in webhook mode

    def __post_init__(self) -> None:
        if self.unanswered is None:
            self.unanswered = UnansweredLog(self.feedback, enabled=self.settings.keep_unanswered)

    def chat_data(self) -> list[Any]:
        """Every store holding something about chats: what /forget deletes from."""
        return [self.feedback, self.conversations]

    async def keep(self, what: str, function: Callable[..., Any], *args: Any) -> None:
        """Record feedback or the unanswered log off the loop; a failure never costs a reply."""
        try:
            await self.in_thread(function, *args)
        except Exception:
            logger.exception("could not record %s", what)

    async def answer(self, question: str, conversation: Conversation | None = None) -> Answer:
        """``pipeline.answer`` on a worker thread, so one slow question stalls no other."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.pipeline.answer, question, conversation)

    def conversation(self, message: Message) -> Conversation:
        """The conversation a message belongs to: its chat's, or its sender's in a group."""
        private = message.chat.type == ChatType.PRIVATE
        user = message.from_user.id if message.from_user and not private else 0
        return self.conversations.get((message.chat_id, user))

    def replied_answer(self, message: Message, bot_id: int) -> Conversation | None:
        """Replying to one of Limber's answers makes that answer the context."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
            return None
        question = self.questions.get((message.chat_id, replied.message_id))
        return None if question is None else Conversation.about(self.pipeline.answer(question))

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run blocking work (SQLite, index reloads) on the same worker threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, function, *args)

    async def deliver(self, send: Callable[[], Awaitable[T]], what: str) -> T:
        """Run ``send``; after a network error or timeout, again, at most ``send_retries`` times.

        Never retries a BadRequest (it would fail the same way). RetryAfter is
        the rate limiter's to retry, not ours.
        """
        retries = max(0, self.settings.send_retries)
        attempt = 0
        while True:
            try:
                return await send()
            except TelegramError as error:
                if not _transient(error) or attempt >= retries:
                    raise
                delay = min(self.retry_backoff * 2**attempt, _MAX_BACKOFF)
                delay *= random.uniform(0.8, 1.2)  # spread the retries of many chats
                attempt += 1
                logger.warning("%s failed (%s: %s); retry %d of %d in %.2f s",
                               what, type(error).__name__, error, attempt, retries, delay)
                await asyncio.sleep(delay)

    def remember(self, message: Message, question: str) -> None:
        """Keep the question behind a message with buttons, in case its reply link is lost."""
        self.questions[(message.chat_id, message.message_id)] = question
        while len(self.questions) > _REMEMBERED_QUESTIONS:
            self.questions.popitem(last=False)

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Run a best-effort side job (the typing action) without waiting for it."""
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def _transient(error: TelegramError) -> bool:
    """Errors worth another attempt: network trouble, timeouts, 5xx, a garbled response."""
    if isinstance(error, BadRequest):
        return False  # a NetworkError subclass, but a 400 fails the same way every time
    if isinstance(error, NetworkError):
        return True
    # PTB raises a bare TelegramError("Invalid server response") for a body that is not JSON.
    return type(error) is TelegramError and isinstance(error.__cause__, ValueError)


class LimberContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with Limber's shared state as ``context.limber``."""

    @property
    def limber(self) -> _Limber:
        return self.bot_data["limber"]  # type: ignore[no-any-return]


# -- composing messages ------------------------------------------------------------------------


def _html_parts(blocks: Iterable[Block]) -> list[str]:
    """Blocks (the disclaimer appended) as HTML messages of at most 4096 characters."""
    return split_html([block_html(block) for block in (*blocks, disclaimer_block())])


def _welcome_blocks() -> list[Block]:
    return [
        Block.plain("Hello! I'm Limber. 👋", bold=True),
        Block.plain(f"I answer questions about {TOPICS}, quoting my documents and saying where "
                    "each passage comes from."),
        examples_block(),
        Block.plain("Just type your question. /help shows how to ask; /about lists my sources; "
                    "/privacy says what I keep."),
    ]


def _help_blocks(bot_username: str) -> list[Block]:
    return [
        Block.plain("How to ask", bold=True),
        Block.plain(f"Ask about {TOPICS} in your own words, in English. I quote the passage that "
                    "fits best and name its source."),
        examples_block(),
        Block.plain("Under an answer, “More” shows the next related passage, and 👍/👎 tell the "
                    "maintainers whether it helped."),
        Block.plain(f"In a group, mention me (@{bot_username}) or reply to one of my messages."),
        Block.plain("Commands: /start, /help, /about, /privacy, /forget"),
    ]


def _about_blocks(pipeline: Pipeline) -> list[Block]:
    manifest = pipeline.retriever.index.manifest
    files = [str(name) for name in manifest.data.get("corpus_files", [])]
    shown = files[:15]
    listing = "\n".join(f"• {name}" for name in shown)
    if len(files) > len(shown):
        listing += f"\n• … and {len(files) - len(shown)} more"
    noun = "document" if len(files) == 1 else "documents"
    blocks = [
        Block.plain("About Limber", bold=True),
        Block.plain(f"I answer from {manifest.passage_count} passages of {len(files)} {noun}:\n"
                    + listing),
    ]
    if any("medquad" in name.lower() for name in files):
        blocks.append(Block((Span("Includes "), Span(MEDQUAD_ATTRIBUTION, url=MEDQUAD_URL),
                             Span(" (questions and answers from NIH websites)."))))
    blocks += [
        Block.plain("Every quoted passage names its source. I only quote my documents; I do not "
                    "write advice of my own."),
        Block.plain(f"Search model: {manifest.model}."),
    ]
    return blocks


def _keyboard(
    answer: Answer, shown: int | None, *, more: bool = True
) -> InlineKeyboardMarkup | None:
    """More (the next passage) and 👍/👎 for the passage shown, under answers that have them."""
    if answer.kind not in (AnswerKind.ANSWER, AnswerKind.NO_ANSWER):
        return None  # emergencies, crisis help and small talk get no buttons
    tag = answer_tag(answer)
    rows = []
    if more and shown is not None and shown + 1 < len(answer.passages):
        rows.append([_button("More", ButtonData("more", shown + 1, None, tag))])
    rows.append([_button("👍", ButtonData("vote", shown, Vote.UP, tag)),
                 _button("👎", ButtonData("vote", shown, Vote.DOWN, tag))])
    return InlineKeyboardMarkup(rows)


def _button(label: str, data: ButtonData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.encode())


def _as_plain_text(markup: str) -> str:
    """What a user would read for ``markup``, links written out, the disclaimer ensured."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>',
                  lambda m: f"{m[2]} ({html.unescape(m[1])})" if m[1] != m[2] else m[2], markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    if DISCLAIMER not in text:
        room = 4096 - utf16_length(DISCLAIMER) - 3
        if utf16_length(text) > room:
            text = text[: utf16_prefix(text, room - 1)] + "…"
        text += "\n\n" + DISCLAIMER
    return text


def _is_parse_error(error: BadRequest) -> bool:
    return "can't parse entities" in str(error).lower()


# -- who is addressed --------------------------------------------------------------------------


def _mentions_bot(message: Message, username: str, bot_id: int) -> bool:
    wanted = f"@{username}".lower()
    for entities in (
        message.parse_entities([MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]),
        message.parse_caption_entities([MessageEntityType.MENTION,
                                        MessageEntityType.TEXT_MENTION]),
    ):
        for entity, text in entities.items():
            if entity.type == MessageEntityType.MENTION and text.lower() == wanted:
                return True
            if entity.user is not None and entity.user.id == bot_id:
                return True
    return False


class _AddressedToBot(filters.MessageFilter):
    """Private chats always; in groups, a reply to the bot or a message that mentions it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        return _mentions_bot(message, bot.username, bot.id)


class _CommandForBot(filters.MessageFilter):
    """In groups, only ``/command@thisbot``: a bare unknown command may be another bot's."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        command = (message.text or "").split(maxsplit=1)[0]
        return command.lower().endswith(f"@{message.get_bot().username.lower()}")


def _question_text(message: Message, username: str) -> str:
    """The question in ``message``: its text without the @mention of the bot."""
    text = message.text or message.caption or ""
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


# -- sending -----------------------------------------------------------------------------------


async def _send(
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
        plain = _as_plain_text(html_text)
        return await context.limber.deliver(
            lambda: bot.send_message(message.chat_id, plain, parse_mode=None, **options),
            "sendMessage (plain text)",
        )


async def _send_parts(
    context: LimberContext,
    message: Message,
    parts: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a reply of one or more parts, the buttons under the last; returns the last."""
    sent = None
    for number, part in enumerate(parts, start=1):
        sent = await _send(context, message, part, keyboard if number == len(parts) else None)
    assert sent is not None, "a reply has at least one part"
    mark_current_answered()  # at once: a kill a moment later must not make the next start repeat it
    return sent


async def _typing(bot: ExtBot[None], chat_id: int, thread_id: int | None) -> None:
    """Show "typing…", unless the request budget is spent: then answers go first."""
    limiter = bot.rate_limiter
    if isinstance(limiter, _PacedRateLimiter) and limiter.busy:
        return
    with contextlib.suppress(TelegramError):  # best effort: never worth a retry
        await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)


async def _answer_with_typing(
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


async def _admit(update: Update, context: LimberContext) -> bool:
    """True when the sender may be answered now; over the limit, say so once per window."""
    limber = context.limber
    sender = update.effective_user or update.effective_chat
    if sender is None:
        return False
    verdict = limber.users.check(sender.id)
    if verdict is Admission.ALLOW:
        return True
    message = update.effective_message
    if verdict is Admission.WARN and message is not None and update.callback_query is None:
        limit = limber.settings.user_rate_limit
        notice = [Block.plain(f"You're asking faster than I can keep up with: I answer up to "
                              f"{limit} messages a minute. Please wait a moment and ask again.")]
        await _send_parts(context, message, _html_parts(notice))
    return False


# -- handlers ----------------------------------------------------------------------------------


async def start(update: Update, context: LimberContext) -> None:
    """Send the welcome when /start is issued, and start the conversation afresh."""
    if await _admit(update, context):
        context.limber.conversation(update.effective_message).clear()
        await _send_parts(context, update.effective_message, _html_parts(_welcome_blocks()))


async def help_command(update: Update, context: LimberContext) -> None:
    """Send how to ask when /help is issued (arguments such as "/help me" are ignored)."""
    if await _admit(update, context):
        blocks = _help_blocks(context.bot.username)
        await _send_parts(context, update.effective_message, _html_parts(blocks))


async def about(update: Update, context: LimberContext) -> None:
    """Send the sources, their licences, the passage count and the model when /about is issued."""
    if await _admit(update, context):
        blocks = _about_blocks(context.limber.pipeline)
        await _send_parts(context, update.effective_message, _html_parts(blocks))


async def privacy_command(update: Update, context: LimberContext) -> None:
    """Say what is kept about users and for how long when /privacy is issued."""
    if await _admit(update, context):
        settings = context.limber.settings
        blocks = privacy_blocks(settings.retention_days, keep_unanswered=settings.keep_unanswered)
        await _send_parts(context, update.effective_message, _html_parts(blocks))


async def forget_command(update: Update, context: LimberContext) -> None:
    """Delete everything kept about this chat when /forget is issued, and say so."""
    if await _admit(update, context):
        limber = context.limber
        chat_id = update.effective_chat.id
        report = await limber.in_thread(forget_chat, chat_id, limber.chat_data())
        logger.info("forget: deleted %d rows for a chat", report.total)
        await _send_parts(context, update.effective_message, _html_parts(forget_blocks(report)))


async def unknown_command(update: Update, context: LimberContext) -> None:
    """Tell the user which commands exist when they send one that does not."""
    if await _admit(update, context):
        message = update.effective_message
        command = (message.text or "").split(maxsplit=1)[0]
        blocks = [Block.plain(f"I don't know the command {command}. Try /start, /help, /about "
                              "or /privacy, or just type your question.")]
        await _send_parts(context, message, _html_parts(blocks))


async def not_text(update: Update, context: LimberContext) -> None:
    """Say politely that only text can be read (photos, voice, stickers, files, places...)."""
    if await _admit(update, context):
        blocks = [Block.plain("Sorry, I can only read text. Please type your question in words.")]
        await _send_parts(context, update.effective_message, _html_parts(blocks))


async def question(update: Update, context: LimberContext) -> None:
    """Answer a text question (edited ones again), as a reply, with More and 👍/👎 buttons."""
    message = update.effective_message
    limber = context.limber
    if not await _admit(update, context):
        return
    started = time.perf_counter()
    text = _question_text(message, context.bot.username)
    conversation = limber.conversation(message)
    replied = await limber.in_thread(limber.replied_answer, message, context.bot.id)
    answer = await _answer_with_typing(context, message, text, replied or conversation)
    conversation.record(answer)
    keyboard = _keyboard(answer, 0 if answer.passages else None)
    sent = await _send_parts(context, message, telegram_parts(answer), keyboard)
    if keyboard is not None:
        limber.remember(sent, text)
    await limber.keep("the unanswered log", limber.unanswered.observe, answer, message.chat_id)
    edited = " (edited)" if update.edited_message else ""
    if limber.settings.log_questions:
        logger.info("update %s%s: %s in %.0f ms for %r", update.update_id, edited, answer.kind,
                    (time.perf_counter() - started) * 1000, text)
    else:
        logger.info("update %s%s: %s in %.0f ms", update.update_id, edited, answer.kind,
                    (time.perf_counter() - started) * 1000)


async def inline_query(update: Update, context: LimberContext) -> None:
    """Offer the best passages for "@bot words" typed in any chat; each sends its source and
    the disclaimer. A red flag or a crisis offers the care instruction instead."""
    query = update.inline_query
    if query is None or not await _admit(update, context):
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
    await limber.deliver(lambda: query.answer(results, cache_time=_INLINE_CACHE_SECONDS),
                         "answerInlineQuery")


async def more_button(update: Update, context: LimberContext) -> None:
    """Show the next passage of an answer when "More" is tapped (answers the query first)."""
    query = update.callback_query
    found = await _button_answer(update, context)
    if found is None:
        return
    data, answer, asked = found
    index = data.index
    if index is None or not 0 < index < len(answer.passages):
        await _notify(query, _OUT_OF_DATE)
        return
    await _notify(query, None)
    limber = context.limber
    button_message = query.message
    # The tapped message keeps its 👍/👎; its More moves to the new message.
    with contextlib.suppress(TelegramError):
        await button_message.edit_reply_markup(_keyboard(answer, index - 1, more=False))
    target = asked if asked is not None else button_message
    parts = split_html([block_html(block) for block in limber.pipeline.more_blocks(answer, index)])
    sent = await _send_parts(context, target, parts, _keyboard(answer, index))
    limber.remember(sent, answer.question)


async def vote_button(update: Update, context: LimberContext) -> None:
    """Record 👍/👎 on the passage an answer showed (answers the query first)."""
    query = update.callback_query
    found = await _button_answer(update, context)
    if found is None:
        return
    data, answer, _ = found
    if data.index is None:
        passage_id = None
        valid = not answer.passages
    else:
        valid = data.index < len(answer.passages)
        passage_id = answer.passages[data.index].passage.id if valid else None
    if not valid:
        await _notify(query, _OUT_OF_DATE)
        return
    await _notify(query, "Thanks, noted 👍" if data.vote is Vote.UP else "Thanks, noted 👎")
    limber = context.limber
    await limber.in_thread(
        lambda: limber.feedback.record(question=answer.question, passage_id=passage_id,
                                       vote=data.vote, chat_id=query.message.chat.id)
    )
    await limber.keep("a 👎 in the unanswered log", limber.unanswered.vote, answer, data.index,
                      data.vote, query.message.chat.id)
    logger.info("feedback %s on passage %s", data.vote, passage_id or "(none)")


async def stale_button(update: Update, context: LimberContext) -> None:
    """Tell the user that a button this version did not make no longer works."""
    await _notify(update.callback_query,
                  "This button no longer works. Please ask your question again.")


async def _button_answer(
    update: Update, context: LimberContext
) -> tuple[ButtonData, Answer, Message | None] | None:
    """The button's data, the answer it belongs to (recomputed) and the question message.

    Answers the query with a notice, and returns None, when the data is forged,
    the question cannot be found or the answer has changed since.
    """
    query = update.callback_query
    data = parse_button(query.data)
    if data is None:
        await _notify(query, "This button no longer works. Please ask your question again.")
        return None
    if not await _admit(update, context):
        await _notify(query, "One moment, please: you're tapping faster than I can answer.")
        return None
    asked, text = _button_question(query.message, context)
    if text is None:
        await _notify(query, "I can't find the question of this answer any more. "
                             "Please ask it again.")
        return None
    answer = await context.limber.answer(text)
    if answer_tag(answer) != data.tag:
        await _notify(query, "This answer is out of date. Please ask your question again.")
        return None
    return data, answer, asked


def _button_question(
    button_message: object, context: LimberContext
) -> tuple[Message | None, str | None]:
    """The user's message a bot message replies to, and the question in it."""
    if not isinstance(button_message, Message):
        return None, None  # too old: Telegram sends an InaccessibleMessage
    asked = button_message.reply_to_message
    if asked is not None and (asked.text or asked.caption):
        return asked, _question_text(asked, context.bot.username)
    key = (button_message.chat_id, button_message.message_id)
    return None, context.limber.questions.get(key)


async def _notify(query: Any, text: str | None) -> None:
    """Answer a callback query (once), with a short notice or none."""
    try:
        await query.answer(text=text)
    except TelegramError as error:  # too old, or already answered: the rest still works
        logger.info("could not answer a callback query: %s", error)


async def error_handler(update: object, context: LimberContext) -> None:
    """Log the error and, where there is a chat, apologise (with the disclaimer)."""
    logger.error("Exception while handling an update:", exc_info=context.error)
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    message = update.effective_message
    if not isinstance(message, Message) or update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.CHANNEL:
        return
    blocks = [Block.plain("Sorry, something went wrong on my side while answering. "
                          "Please try again in a moment.")]
    try:
        await _send_parts(context, message, _html_parts(blocks))
    except TelegramError as error:
        logger.warning("could not apologise for a failed update: %s", error)


# -- the application ---------------------------------------------------------------------------


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
    _quiet_libraries(settings)
    limiter = _PacedRateLimiter(
        overall_max_rate=settings.overall_max_rate,
        overall_time_period=1,
        per_chat_max_rate=settings.per_chat_max_rate,
        max_retries=max(1, settings.send_retries),
    )
    builder = (
        Application.builder()
        .token(settings.require_token())
        .context_types(ContextTypes(context=LimberContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(limiter)
        .updater(None)  # updates arrive through bot.telegram_delivery (the inbox), not PTB's Updater
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_api_base_url:
        base_url = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base_url)
        if file_url := _file_url(base_url):
            builder = builder.base_file_url(file_url)
    if request_timeout is not None:
        builder = (
            builder.connect_timeout(request_timeout).read_timeout(request_timeout)
            .write_timeout(request_timeout).get_updates_connect_timeout(request_timeout)
            .get_updates_read_timeout(request_timeout)
            .get_updates_write_timeout(request_timeout)
        )
    application = builder.build()
    application.bot_data["limber"] = _Limber(
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
    # Note: order matters. Known commands first, then unknown ones, then text, then the rest.
    messages = filters.UpdateType.MESSAGES  # new and edited messages; channel posts are ignored
    addressed = _AddressedToBot()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("about", about))
    application.add_handler(CommandHandler("privacy", privacy_command))
    application.add_handler(CommandHandler("forget", forget_command))
    application.add_handler(MessageHandler(messages & filters.COMMAND & _CommandForBot(),
                                           unknown_command))
    application.add_handler(MessageHandler(messages & filters.TEXT & ~filters.COMMAND & addressed,
                                           question))
    application.add_handler(MessageHandler(
        messages & ~filters.TEXT & ~filters.StatusUpdate.ALL & addressed, not_text
    ))
    version = _CALLBACK_VERSION
    application.add_handler(CallbackQueryHandler(more_button, pattern=f"^{version}:more:"))
    application.add_handler(CallbackQueryHandler(vote_button, pattern=f"^{version}:vote:"))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_error_handler(error_handler)


async def _post_init(application: Application) -> None:
    """Register the command menu and start watching the index for rebuilds."""
    limber: _Limber = application.bot_data["limber"]
    commands = [BotCommand(name, text) for name, text in COMMANDS]
    try:
        await limber.deliver(lambda: application.bot.set_my_commands(commands), "setMyCommands")
    except TelegramError as error:
        logger.warning("could not register the command menu: %s", error)
    if limber.settings.reload_interval > 0:
        limber.spawn(_watch_index(limber))
    await _purge_expired(limber)
    limber.spawn(_enforce_retention(limber, _RETENTION_INTERVAL))
    logger.info("Limber is up as @%s", application.bot.username)


async def _post_stop(application: Application) -> None:
    """Stop watching the index once no update is being handled any more."""
    limber: _Limber = application.bot_data["limber"]
    for task in list(limber.background):
        task.cancel()
    await asyncio.gather(*limber.background, return_exceptions=True)


async def _post_shutdown(application: Application) -> None:
    """Close the feedback store and the answer threads."""
    await _post_stop(application)
    limber: _Limber = application.bot_data["limber"]
    limber.executor.shutdown(wait=True, cancel_futures=True)
    limber.feedback.close()
    limber.inbox.close()


async def _prune_inbox(limber: _Limber, every: float = 3600.0) -> None:
    """Forget answered updates older than 48 hours: now, then every hour."""
    while True:
        try:
            await limber.in_thread(limber.inbox.prune)
        except LimberError as error:
            logger.warning("%s", error)
        await asyncio.sleep(every)


async def _purge_expired(limber: _Limber) -> None:
    """Delete votes and unanswered questions older than LIMBER_RETENTION_DAYS."""
    try:
        deleted = await limber.in_thread(limber.feedback.purge_expired, limber.settings.retention_days)
    except Exception:
        logger.exception("could not delete expired feedback; will try again")
        return
    logger.info("retention: deleted %d rows older than %d days", deleted,
                limber.settings.retention_days)


async def _enforce_retention(limber: _Limber, interval: float) -> None:
    """Purge expired rows every ``interval`` seconds (daily) while the bot runs."""
    while True:
        await asyncio.sleep(interval)
        await _purge_expired(limber)


async def _watch_index(limber: _Limber) -> None:
    """Every ``reload_interval`` seconds, swap in a rebuilt index; keep serving on errors."""
    retriever = limber.pipeline.retriever
    while True:
        await asyncio.sleep(limber.settings.reload_interval)
        try:
            if await limber.in_thread(retriever.reload_if_changed):
                logger.info("index reloaded: %d passages", retriever.index.manifest.passage_count)
        except IndexReloadError as error:  # once per new build id; retried after a growing pause
            level = logging.ERROR if error.attempt == 1 else logging.DEBUG
            logger.log(level, "index reload failed (%s); still serving the previous index, trying "
                       "this build again in %.0f s", error, error.pause)
        except Exception:
            logger.exception("index reload failed; still serving the previous index")


async def _busy(update: Update, application: Application) -> None:
    """The one "busy" notice for a user whose chat already has its fill of waiting questions."""
    message = update.effective_message
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text=BUSY)
        return
    if not isinstance(message, Message) or update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.CHANNEL:
        return
    context = LimberContext.from_update(update, application)
    await _send_parts(context, message, _html_parts([Block.plain(BUSY)]))


def _dispatcher(application: Application) -> Dispatcher:
    limber: _Limber = application.bot_data["limber"]
    return Dispatcher(application, limber.inbox, chat_limit=limber.settings.chat_queue_limit,
                      on_busy=lambda update: _busy(update, application))


@contextlib.asynccontextmanager
async def _running(application: Application) -> AsyncIterator[_Limber]:
    """Initialise (a clear LimberError for a rejected token or an unreachable server), run, stop."""
    limber: _Limber = application.bot_data["limber"]
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
            await application.post_init(application)
            yield limber
        finally:
            if application.running:
                await application.stop()
                await application.post_stop(application)
            await application.shutdown()
    finally:
        await application.post_shutdown(application)


async def _startup_call(limber: _Limber, what: str, call: Callable[[], Awaitable[Any]]) -> None:
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


async def _serve(application: Application, stop: asyncio.Event, *, webhook: bool,
                 timeout: float = 10, poll_interval: float = 0.0,
                 ready: Callable[[], None] | None = None,
                 webhook_limits: WebhookLimits | None = None) -> None:
    """Receive updates (polling or webhook) through the inbox until ``stop`` is set."""
    async with _running(application) as limber:
        dispatcher = _dispatcher(application)
        limber.dispatcher = dispatcher
        server: WebhookServer | None = None
        fetching: asyncio.Task[None] | None = None
        try:
            if webhook:
                options = webhook_options(limber.settings)
                server = WebhookServer(listen=options["listen"], port=options["port"],
                                       path=options["url_path"], secret=options["secret_token"],
                                       inbox=limber.inbox, dispatcher=dispatcher,
                                       limits=webhook_limits)
                await server.start()
                limber.webhook = server
                logger.info("webhook mode: listening on %s:%d/%s", server.listen, server.port,
                            options["url_path"])
                await _startup_call(limber, "setWebhook", lambda: application.bot.set_webhook(
                    url=options["webhook_url"], secret_token=options["secret_token"],
                    allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False,
                ))
            else:
                await _startup_call(limber, "deleteWebhook", lambda: application.bot.delete_webhook(
                    drop_pending_updates=False))
            await application.start()
            limber.spawn(_prune_inbox(limber))
            dispatcher.replay()
            if not webhook:
                logger.info("long polling mode")
                fetching = asyncio.ensure_future(poll(
                    application, limber.inbox, dispatcher, timeout=timeout,
                    allowed_updates=ALLOWED_UPDATES, poll_interval=poll_interval, stop=stop))
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
    application: Application, *, timeout: float = 10, poll_interval: float = 0.0,
    webhook: bool = False, webhook_limits: WebhookLimits | None = None,
) -> AsyncIterator[Application]:
    """Run the bot inside a running event loop (tests, benchmarks): polling, or the webhook.

    The same steps as ``run``, without signal handling; leaving the block stops it.
    """
    stop = asyncio.Event()
    up = asyncio.Event()
    serving = asyncio.ensure_future(_serve(application, stop, webhook=webhook, timeout=timeout,
                                           poll_interval=poll_interval, ready=up.set,
                                           webhook_limits=webhook_limits))
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


def run(settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook if TELEGRAM_WEBHOOK_URL is set."""
    import signal

    from bot.service import open_pipeline

    _configure_logging(settings)
    application = build_application(settings, open_pipeline(settings))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
            loop.add_signal_handler(number, stop.set)
        await _serve(application, stop, webhook=bool(settings.webhook_url))

    asyncio.run(main())
    return 0


def webhook_options(settings: Settings) -> dict[str, Any]:
    """The webhook server's address, path and secret, and what ``setWebhook`` registers.

    Updates without the secret token get 403 before their body is read. The local
    server listens on the path of TELEGRAM_WEBHOOK_URL: a reverse proxy in front
    must forward that same path.
    """
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": _webhook_secret(settings),
        "allowed_updates": ALLOWED_UPDATES,
        "drop_pending_updates": False,
    }


def _webhook_secret(settings: Settings) -> str:
    secret = settings.webhook_secret
    if not secret:
        logger.warning("TELEGRAM_WEBHOOK_SECRET is not set: using a random secret for this run")
        secret = secrets.token_urlsafe(32)
        add_secret(secret)  # setWebhook's debug line carries it: it must never be logged
        return secret
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ "
                          "and -")
    add_secret(secret)
    return secret


def _file_url(base_url: str) -> str | None:
    """The file URL that goes with a Bot API URL: .../bot -> .../file/bot."""
    if re.search(r"/bot(\{token\})?$", base_url):
        return re.sub(r"/bot(\{token\})?$", r"/file/bot\1", base_url)
    return None


def _quiet_libraries(settings: Settings) -> None:
    """httpx logs request URLs, which contain the token; PTB's debug logs contain users' text."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    telegram_logger = logging.getLogger("telegram")
    if not settings.log_questions and telegram_logger.getEffectiveLevel() < logging.INFO:
        telegram_logger.setLevel(logging.INFO)


def _configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ConfigError(f"LIMBER_LOG_LEVEL={settings.log_level!r} is not a logging level "
                          "(DEBUG, INFO, WARNING, ERROR)")
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
        [settings.telegram_token, settings.webhook_secret],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # CPU feature probing, at start
