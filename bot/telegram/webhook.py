"""The HTTP endpoint Telegram posts updates to, hardened for the open internet.

The secret is checked from the headers before any of the body is read, bodies
are capped, connections are capped, idle and slow connections time out, and
accept errors (EMFILE) pause accepting for a second with one log line, instead
of a traceback per event-loop turn. Every update is stored in the inbox
(committed) before Telegram hears 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import logging
import re
import resource
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler, stream_request_body

from bot.config import ConfigError, Settings
from bot.telegram.dispatch import ALLOWED_UPDATES, Dispatcher
from bot.telegram.inbox import Inbox, InboxError
from bot.telegram.logs import add_secret

__all__ = ["MAX_WEBHOOK_BODY", "WebhookLimits", "WebhookServer", "webhook_options"]

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 1 << 20  # bytes: Telegram's updates are a few KB; anything near 1 MB is not one


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
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    add_secret(secret)
    return secret


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

    def initialize(self, *args: Any, limit: int, **kwargs: Any) -> None:  # type: ignore[override]  # Tornado's takes **kwargs; ours adds the keyword-only limit
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
                self._log(
                    logging.WARNING, "webhook: %d connections busy, the cap; refusing more", self._limit
                )
                stream.close()
                return
            victim, _ = self._waiting.popitem(last=False)
            victim.close()
            self.owner.refused_connections += 1
            self._log(
                logging.WARNING,
                "webhook: %d connections open, the cap; closing the oldest that has not sent a request",
                self._limit,
            )
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
                    log(
                        logging.ERROR,
                        "webhook: cannot accept a connection (%s); pausing accepts for 1 s",
                        errno.errorcode.get(error.errno or 0, "error"),
                    )
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
