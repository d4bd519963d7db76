"""How much Limber sends and answers: a per-user limit, and pacing of every request.

* ``UserRateLimiter``: at most ``user_rate_limit`` answers per user a minute; the
  admission handler (``bot.telegram.handlers.admit``) asks it first, for every
  update a handler would answer.
* ``PacedRateLimiter``: ``AIORateLimiter`` paces all requests to
  ``overall_max_rate`` a second and group chats to 20 a minute; Limber adds
  ``per_chat_max_rate`` messages a second in every chat. It counts every request,
  the "typing" action included, so "typing" is sent only when an answer is not
  ready after ``typing_delay`` seconds, and not at all while a second's worth of
  requests is already queued (``busy``: under a flood, answers first). A 429 is
  retried by the limiter (``max_retries``) after waiting ``retry_after``, pausing
  all requests meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

__all__ = ["Admission", "PacedRateLimiter", "UserRateLimiter"]

_CHAT_BURST_SECONDS = 3  # per-chat pacing averages over this many seconds (allows a short burst)


class Admission(Enum):
    """Whether a user's message is answered now."""

    ALLOW = "allow"
    WARN = "warn"  # over the limit: tell them, once
    SILENT = "silent"  # over the limit and already told


class UserRateLimiter:
    """At most ``limit`` answers per user in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
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


class PacedRateLimiter(AIORateLimiter):
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
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        paced = self._per_chat_max_rate > 0 and endpoint.startswith("send") and endpoint != "sendChatAction"
        self._pending += 1
        try:
            async with self._chat_limiter(chat_id) if paced else contextlib.nullcontext():
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
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
            self._chat_limiters[chat_id] = AsyncLimiter(rate * _CHAT_BURST_SECONDS, _CHAT_BURST_SECONDS)
        return self._chat_limiters[chat_id]
