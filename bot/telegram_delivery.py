"""How updates reach the handlers: the durable inbox, per-chat queues, polling, the webhook.

* ``Dispatcher`` takes updates (fetched, received or replayed from the inbox),
  runs each in its own task through ``Application.process_update`` and marks it
  answered in the inbox. Each chat may have at most ``chat_limit`` updates
  waiting or in progress; the excess is not queued: each user gets one "busy"
  notice (``on_busy``) until the chat's queue is empty again. No global slot is
  held while a reply waits for its chat's pacing, so one busy group delays no
  other chat. ``drain`` stops within ``grace`` seconds: what is still running is
  cancelled and stays unanswered in the inbox, for the next start.
* ``poll`` is the ``getUpdates`` loop: store each batch in the inbox (committed),
  only then ask with the offset that confirms it.
* ``WebhookServer`` is a Tornado server hardened for the open internet: the
  secret is checked from the headers before any of the body is read, bodies are
  capped, connections are capped, idle and slow connections time out, and
  accept errors (EMFILE) pause accepting for a second with one log line, instead
  of a traceback per event-loop turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import errno
import hmac
import json
import logging
import resource
import socket
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler, stream_request_body

from bot.inbox import Inbox, InboxError

__all__ = [
    "MAX_WEBHOOK_BODY",
    "Dispatcher",
    "WebhookLimits",
    "WebhookServer",
    "mark_current_answered",
    "poll",
]

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 1 << 20  # bytes: Telegram's updates are a few KB; anything near 1 MB is not one
STOP_GRACE = 8.0  # seconds a stop waits for updates in progress (the whole stop stays under 10 s)
_POLL_BACKOFF_MAX = 30.0

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


class _OncePerSecond:
    """A log line at most once a second; how many were left out is said in the next one."""

    def __init__(self, interval: float = 1.0) -> None:
        self._interval = interval
        self._last = -float("inf")
        self.suppressed = 0

    def __call__(self, level: int, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            self.suppressed += 1
            return
        if self.suppressed:
            message += f" ({self.suppressed} more like this in the last second)"
        self._last, self.suppressed = now, 0
        logger.log(level, message, *args)


# -- the dispatcher ----------------------------------------------------------------------------


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
            logger.info("inbox: %d unanswered update(s) from the last run, answering them now",
                        len(entries))
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
        if self._on_busy is None or user is None or user.id in told:
            return
        told.add(user.id)
        if len([t for t in self._notices if not t.done()]) >= max(self.chat_limit, 1) * 4:
            return  # notices are best effort; they must not become a queue of their own

        async def notify() -> None:
            token = _CURRENT.set(None)
            try:
                await self._on_busy(update)  # type: ignore[misc]
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
            logger.warning("stopped with %d update(s) unanswered; the next start answers them",
                           len(pending))
        return len(pending)


# -- polling -----------------------------------------------------------------------------------


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
        request = asyncio.ensure_future(bot.get_updates(
            offset=offset, timeout=int(timeout), allowed_updates=allowed_updates))
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
            logger.log(level, "getUpdates failed (%s); retrying in %.1f s (logged once until it "
                       "works again)", type(error).__name__, delay)
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
        await asyncio.wait_for(application.bot.get_updates(offset=offset, timeout=0, limit=1),
                               timeout=1.5)


# -- the webhook server ------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookLimits:
    """What one stranger may cost the webhook server."""

    max_body: int = MAX_WEBHOOK_BODY  # bytes of one request body
    max_connections: int = 0  # 0: a quarter of the open-file limit, at most 512
    header_timeout: float = 5.0  # seconds to send the request line and headers (idle keep-alive too)
    body_timeout: float = 10.0  # seconds to send the body

    def connections(self) -> int:
        if self.max_connections > 0:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return max(16, min(512, soft // 4))


class WebhookServer:
    """The HTTP endpoint Telegram posts updates to; store, dispatch, answer 200."""

    def __init__(
        self,
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
        inbox: Inbox,
        dispatcher: Dispatcher,
        limits: WebhookLimits | None = None,
    ) -> None:
        self.listen = listen
        self.port = port
        self.path = "/" + path.strip("/")
        self.limits = limits or WebhookLimits()
        self._secret = secret.encode()
        self._inbox = inbox
        self._dispatcher = dispatcher
        self._server: Any = None
        self.refused_connections = 0

    async def start(self) -> None:
        """Bind and start accepting (a clear LimberError when the address cannot be used)."""
        from bot.config import ConfigError

        app = TornadoApplication([(self.path, _WebhookHandler, {"hook": self})])
        server = _CappedHTTPServer(
            app,
            limit=self.limits.connections(),
            max_body_size=self.limits.max_body,
            max_header_size=16 * 1024,
            idle_connection_timeout=self.limits.header_timeout,
            body_timeout=self.limits.body_timeout,
            decompress_request=False,
            xheaders=False,
        )
        server.owner = self
        try:
            sockets = bind_sockets(self.port, self.listen, backlog=128)
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {self.listen}:{self.port} ({error.strerror}); check "
                "TELEGRAM_WEBHOOK_LISTEN and TELEGRAM_WEBHOOK_PORT"
            ) from None
        server.add_sockets(sockets)
        self._server = server
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.close_all_connections(), timeout=1.0)
            self._server = None

    def secret_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self._secret)

    async def receive(self, body: dict[str, Any]) -> None:
        """Store the update (committed) before Telegram hears 200, then hand it on."""
        update = Update.de_json(body, self._dispatcher.application.bot)
        new = await asyncio.to_thread(self._inbox.add, [body])
        if update.update_id in new:
            self._dispatcher.submit(update)


@stream_request_body
class _WebhookHandler(RequestHandler):
    """POST only; secret, size and type are checked from the headers, before the body."""

    hook: WebhookServer

    def initialize(self, hook: WebhookServer) -> None:
        self.hook = hook
        self._chunks: list[bytes] = []
        self._size = 0

    def prepare(self) -> None:
        server = self.hook._server
        connection = self.request.connection
        if server is not None and connection is not None:
            server.request_started(getattr(connection, "stream", None))
        if self.request.method != "POST":
            self._refuse(405)
            return
        if not self.hook.secret_ok(self.request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            self._refuse(403)
            return
        length = self.request.headers.get("Content-Length")
        try:
            too_big = length is not None and int(length) > self.hook.limits.max_body
        except ValueError:
            too_big = True
        if too_big:
            self._refuse(413)
            return
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            self._refuse(415)

    def _refuse(self, status: int) -> None:
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self.hook.limits.max_body:
            self._chunks.append(chunk)

    async def post(self) -> None:
        if self._size > self.hook.limits.max_body:
            self._refuse(413)
            return
        try:
            body = json.loads(b"".join(self._chunks))
            valid = isinstance(body, dict) and isinstance(body.get("update_id"), int)
        except (ValueError, RecursionError):
            valid = False
        if not valid:
            self._refuse(400)
            return
        try:
            await self.hook.receive(body)
        except InboxError as error:
            logger.error("%s", error)
            self.set_status(503)  # Telegram delivers it again later
            self.finish()
            return
        except Exception as error:  # an update PTB cannot parse: do not make Telegram retry it
            logger.warning("webhook: an update could not be read (%s)", type(error).__name__)
        self.set_status(200)
        self.finish()

    def log_exception(self, *args: Any) -> None:  # never a traceback per stranger's request
        logger.debug("webhook request failed", exc_info=args)


class _CappedHTTPServer(HTTPServer):
    """Tornado's server with a connection cap and an accept loop that survives EMFILE."""

    owner: WebhookServer

    def initialize(self, *args: Any, limit: int, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(*args, **kwargs)
        self._limit = limit
        self._log = _OncePerSecond()
        # Connections that have not yet started a request, oldest first: at the cap, the
        # oldest of them makes way for the newcomer. A stranger's stalled connections are
        # always the oldest; Telegram's requests start within milliseconds of connecting.
        self._waiting: OrderedDict[Any, None] = OrderedDict()

    def request_started(self, stream: Any) -> None:
        self._waiting.pop(stream, None)

    def add_sockets(self, sockets: Any) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = _accept_handler(sock, self._handle_connection, self._log)

    def handle_stream(self, stream: Any, address: tuple) -> None:
        for old in [s for s in self._waiting if s.closed()]:
            del self._waiting[old]
        if len(self._connections) >= self._limit:
            if not self._waiting:
                self.owner.refused_connections += 1
                self._log(logging.WARNING, "webhook: %d connections busy, the cap; refusing more",
                          self._limit)
                stream.close()
                return
            victim, _ = self._waiting.popitem(last=False)
            victim.close()
            self.owner.refused_connections += 1
            self._log(logging.WARNING, "webhook: %d connections open, the cap; closing the oldest "
                      "that has not sent a request", self._limit)
        self._waiting[stream] = None
        super().handle_stream(stream, address)


_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _accept_handler(
    sock: socket.socket, callback: Callable[[socket.socket, Any], None], log: _OncePerSecond
) -> Callable[[], None]:
    """Accept connections on ``sock``; out of descriptors, pause a second and log once."""
    loop = asyncio.get_running_loop()
    fd = sock.fileno()
    state = {"removed": False, "paused": False}

    def resume() -> None:
        state["paused"] = False
        if not state["removed"]:
            loop.add_reader(fd, ready)

    def ready() -> None:
        for _ in range(128):
            try:
                connection, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno in _OUT_OF_RESOURCES:
                    log(logging.ERROR, "webhook: cannot accept a connection (%s); pausing "
                        "accepts for 1 s", errno.errorcode.get(error.errno or 0, "error"))
                    loop.remove_reader(fd)
                    state["paused"] = True
                    loop.call_later(1.0, resume)
                    return
                raise
            callback(connection, address)

    loop.add_reader(fd, ready)

    def remove() -> None:
        state["removed"] = True
        if not state["paused"]:
            loop.remove_reader(fd)

    return remove
