"""What the handlers share: Limber's state in ``application.bot_data``, and the context type."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Message
from telegram.constants import ChatType
from telegram.ext import CallbackContext, ExtBot

from bot.answer import Answer
from bot.config import Settings
from bot.conversation import Conversation, ConversationStore
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline
from bot.telegram.delivery import deliver
from bot.telegram.inbox import Inbox
from bot.telegram.limits import UserRateLimiter
from bot.unanswered import UnansweredLog

if TYPE_CHECKING:
    from bot.telegram.dispatch import Dispatcher
    from bot.telegram.webhook import WebhookServer

__all__ = ["Limber", "LimberContext"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_REMEMBERED_QUESTIONS = 10_000  # bot message -> question, for buttons whose question is gone


@dataclass
class Limber:
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
    unanswered: UnansweredLog = field(init=False)  # made from feedback in __post_init__
    # The last turns of each chat (of each user in a group), in memory only.
    conversations: ConversationStore = field(default_factory=ConversationStore)
    dispatcher: Dispatcher | None = None  # set while the bot receives updates
    webhook: WebhookServer | None = None  # set in webhook mode

    def __post_init__(self) -> None:
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
        """``send``, retried after network errors (``bot.telegram.delivery.deliver``)."""
        return await deliver(send, what, retries=self.settings.send_retries, backoff=self.retry_backoff)

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


class LimberContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with Limber's shared state as ``context.limber``."""

    @property
    def limber(self) -> Limber:
        limber: Limber = self.bot_data["limber"]
        return limber
