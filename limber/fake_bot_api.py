"""A local fake of the Telegram Bot API: a real HTTP server for tests and benchmarks.

The bot under test talks to it through python-telegram-bot's own HTTP stack
(``base_url=fake.base_url``), so everything between the handlers and the socket is
exercised: request encoding, timeouts, the rate limiter, error mapping.

    with FakeBotApi() as fake:                      # 127.0.0.1, a free port
        fake.message("How do I stretch my hips?")   # a user writes to the bot
        fake.wait_for_sent(1)                       # the bot's reply arrived
        fake.fail("sendMessage", Fault.server_error(502), times=2)

What it does like Telegram: ``getUpdates`` long-polls and confirms updates by
``offset``; ``sendMessage`` rejects invalid HTML (unknown tags, unbalanced tags,
stray ``&`` or ``<``), texts over 4096 characters, empty texts and callback data
over 64 bytes with a 400; messages get per-chat ids, replies carry
``reply_to_message``; a callback query carries the message its button is under.
What it does not do: files, payments, webhooks.

Faults are injected per method and consumed in order (``fail``): 429 with
``retry_after``, 5xx, a hang past the client's timeout (delivered or not), a
dropped connection, a malformed response. Every request is recorded (``calls``).

From a script (a benchmark): ``drive_load`` starts a fake and the real bot and
puts a load through them::

    report = asyncio.run(drive_load(pipeline, questions=qs, messages=1000, chats=100))
    print(report.as_dict())  # answers/s, update -> reply latency, requests by method

or, with a bot of your own running against ``fake.base_url``, from another thread::

    fake = FakeBotApi(latency=0.05).start()  # 50 ms per request, like the real API
    report = send_load(fake, questions, chats=100)  # blocks until every question is answered
    fake.stop()

In async code use ``await fake.replies(n)`` / ``await fake.until(...)``; the
blocking ``wait_for_sent``/``wait_until``/``send_load`` would stall the event
loop the bot runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import secrets
import socket
import string
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TEST_TOKEN",
    "Call",
    "FakeBotApi",
    "Fault",
    "LoadReport",
    "drive_load",
    "html_problem",
    "send_load",
    "texts",
    "unescape_html",
]

BOT_ID = 123456789
# A token of the real shape (bot id, colon, 35 characters), made afresh in each process so
# that no token-shaped string is ever committed; the fake accepts exactly this one.
TEST_TOKEN = f"{BOT_ID}:" + "".join(
    secrets.choice(string.ascii_letters + string.digits + "_-") for _ in range(35)
)
BOT_USERNAME = "limber_test_bot"
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64

# Parameters PTB sends as plain strings; every other form field is JSON-encoded.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "action",
        "url",
        "secret_token",
        "language_code",
        "inline_message_id",
        "business_connection_id",
    }
)
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


# -- faults ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One injected failure of one request; build it with the class methods."""

    kind: str  # "status", "hang", "reset", "malformed"
    status: int = 200
    description: str = ""
    retry_after: int | None = None
    seconds: float = 0.0
    deliver: bool = False  # for "hang": the request takes effect before the response stalls

    @classmethod
    def too_many_requests(cls, retry_after: int = 1) -> Fault:
        """429 with ``parameters.retry_after``, as Telegram's flood control answers."""
        return cls("status", 429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx with Telegram's JSON error body; the request has no effect."""
        return cls("status", status, "Internal Server Error" if status == 500 else "Bad Gateway")

    @classmethod
    def bad_request(cls, description: str = "Bad Request: chat not found") -> Fault:
        """A 400 with the given description; the request has no effect."""
        return cls("status", 400, description)

    @classmethod
    def hang(cls, seconds: float, *, deliver: bool) -> Fault:
        """No response for ``seconds``; with ``deliver`` the message was sent all the same."""
        return cls("hang", seconds=seconds, deliver=deliver)

    @classmethod
    def reset(cls) -> Fault:
        """The connection is dropped (TCP reset) before any response; no effect."""
        return cls("reset")

    @classmethod
    def malformed(cls) -> Fault:
        """A 200 whose body is not JSON (a broken proxy); the request has no effect."""
        return cls("malformed")


@dataclass
class Call:
    """One request the server received."""

    method: str
    params: dict[str, Any]
    at: float
    fault: Fault | None = None
    result: Any = None  # what the server answered, when it answered ok
    error: str | None = None  # the description of a 4xx/5xx it answered

    @property
    def ok(self) -> bool:
        """True when the request took effect (a delivered hang counts)."""
        return self.error is None and (self.fault is None or self.fault.deliver)


# -- HTML as Telegram parses it --------------------------------------------------------------


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self._fail(f'Unsupported start tag "{tag}"')
        elif tag == "a" and not dict(attrs).get("href"):
            self._fail('Tag "a" must have an href')
        elif tag == "blockquote" and "blockquote" in self.stack:
            self._fail("Nested blockquotes are not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self._fail(f'Unmatched end tag "{tag}"')
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def _fail(self, problem: str) -> None:
        self.problem = self.problem or problem


def html_problem(markup: str) -> str | None:
    """Why Telegram would refuse ``markup`` in parse_mode HTML, or None if it would accept it."""
    if _BAD_AMPERSAND.search(markup):
        return "Character '&' is reserved and must be escaped as &amp;"
    if re.search(r"<(?![a-zA-Z/])", markup):
        return "Character '<' is reserved and must be escaped as &lt;"
    parser = _TelegramHtml()
    parser.feed(markup)
    parser.close()
    if parser.problem is None and parser.stack:
        parser.problem = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return parser.problem


def _plain_text(markup: str) -> str:
    parser = _TelegramHtml()
    parser.feed(markup)
    parser.close()
    return "".join(parser.text)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- the server ------------------------------------------------------------------------------


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class FakeBotApi:
    """A fake Bot API on 127.0.0.1; safe to drive from tests, scripts and several threads."""

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        username: str = BOT_USERNAME,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.username = username
        self.latency = latency  # seconds added to every method except getUpdates
        self._address = (host, port)
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Listen on the address given (a free port by default) and serve in a thread."""
        fake = self

        class Handler(_Handler):
            api = fake

        server = ThreadingHTTPServer(self._address, Handler)
        server.daemon_threads = True
        server.block_on_close = False  # do not join handlers stuck in a hang or a long poll
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-bot-api", kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What to pass to PTB as ``base_url``: the token and method are appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def reset(self) -> None:
        """Forget all updates, messages, calls and faults (between tests)."""
        with self._lock:
            self.calls: list[Call] = []
            self.commands: list[dict[str, Any]] = []
            self._stopping = False
            self._updates: deque[dict[str, Any]] = deque()
            # Update ids keep growing across resets, as Telegram's do: a long poll left over
            # from an earlier client must not confirm (drop) the updates of the next one.
            if not hasattr(self, "_update_ids"):
                self._update_ids = itertools.count(1)
            self._message_ids: dict[int, itertools.count] = {}
            self._messages: dict[tuple[int, int], dict[str, Any]] = {}
            self._faults: dict[str, deque[Fault]] = {}
            self._callback_ids = itertools.count(1)
            self._open_callbacks: set[str] = set()
            self._open_inline: set[str] = set()
            self._inline_answers: dict[str, list[dict[str, Any]]] = {}
            self._lock.notify_all()

    # -- faults ------------------------------------------------------------------------------

    def fail(self, method: str, fault: Fault, times: int = 1) -> None:
        """Make the next ``times`` requests of ``method`` fail with ``fault``."""
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    def pending_faults(self, method: str) -> int:
        with self._lock:
            return len(self._faults.get(method, ()))

    # -- what users do -----------------------------------------------------------------------

    def message(
        self,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A user sends a message (text, or other ``fields`` such as ``photo``); returns it."""
        chat_id = user_id if chat_id is None else chat_id
        with self._lock:
            message = self._new_message(chat_id, chat_type, _user(user_id), text, **fields)
            if reply_to is not None:
                message["reply_to_message"] = _shallow(reply_to)
            self._store(message)
            self._enqueue("message", message)
        return message

    def photo(self, **kwargs: Any) -> dict[str, Any]:
        """A user sends a photo without a caption."""
        size = {"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}
        return self.message(photo=[size], **kwargs)

    def sticker(self, **kwargs: Any) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "u2",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.message(sticker=sticker, **kwargs)

    def voice(self, **kwargs: Any) -> dict[str, Any]:
        return self.message(voice={"file_id": "voice-1", "file_unique_id": "u3", "duration": 3}, **kwargs)

    def document(self, **kwargs: Any) -> dict[str, Any]:
        return self.message(document={"file_id": "doc-1", "file_unique_id": "u4"}, **kwargs)

    def location(self, **kwargs: Any) -> dict[str, Any]:
        return self.message(location={"latitude": 51.5, "longitude": -0.12}, **kwargs)

    def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits ``message`` to ``text``: an edited_message update."""
        with self._lock:
            edited = {**message, "text": text, "edit_date": int(time.time())}
            edited.pop("entities", None)
            edited.update(self._entities(text))
            self._store(edited)
            self._enqueue("edited_message", edited)
        return edited

    def channel_post(self, text: str, *, chat_id: int = -1009999) -> dict[str, Any]:
        """A post in a channel the bot is in."""
        with self._lock:
            post = self._new_message(chat_id, "channel", None, text)
            post["chat"]["title"] = "A channel"
            self._store(post)
            self._enqueue("channel_post", post)
        return post

    def press(self, bot_message: dict[str, Any], data: str, *, user_id: int | None = None) -> str:
        """A user taps an inline button with ``data`` under ``bot_message``; returns the query id.

        The query carries the message as the server has it now (edits included),
        with its ``reply_to_message``, as Telegram sends it.
        """
        with self._lock:
            chat_id = bot_message["chat"]["id"]
            current = dict(self._messages.get((chat_id, bot_message["message_id"]), bot_message))
            replied = current.get("reply_to_message")
            if replied is not None:  # as it is now: Telegram sends the edited text
                key = (chat_id, replied["message_id"])
                current["reply_to_message"] = _shallow(self._messages.get(key, replied))
            user_id = chat_id if user_id is None else user_id
            query_id = f"cq{next(self._callback_ids)}"
            self._open_callbacks.add(query_id)
            self._enqueue(
                "callback_query",
                {
                    "id": query_id,
                    "from": _user(user_id),
                    "chat_instance": f"ci{chat_id}",
                    "message": current,
                    "data": data,
                },
            )
        return query_id

    def inline_query(self, text: str, *, user_id: int = 1001) -> str:
        """A user types ``@bot text`` in any chat; returns the inline query id."""
        with self._lock:
            query_id = f"iq{next(self._callback_ids)}"
            self._open_inline.add(query_id)
            self._enqueue(
                "inline_query",
                {"id": query_id, "from": _user(user_id), "query": text, "offset": "", "chat_type": "private"},
            )
        return query_id

    def inline_answers(self, query_id: str) -> list[dict[str, Any]] | None:
        """The results the bot offered for ``query_id``, or None before it answered."""
        with self._lock:
            return self._inline_answers.get(query_id)

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue any update, e.g. ``enqueue("my_chat_member", {...})``; returns its update_id."""
        with self._lock:
            return self._enqueue(kind, payload)

    # -- what the bot did --------------------------------------------------------------------

    def requests(self, method: str | None = None) -> list[Call]:
        """Recorded calls, optionally of one method, in arrival order."""
        with self._lock:
            return [c for c in self.calls if method is None or c.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls that took effect (params as sent, HTML included), in order."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == "sendMessage"
                and c.ok
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
            ]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The Message objects sendMessage created (what a callback query would carry)."""
        with self._lock:
            return [
                self._messages.get((c.result["chat"]["id"], c.result["message_id"]), c.result)
                for c in self.calls
                if c.method == "sendMessage"
                and c.ok
                and isinstance(c.result, dict)
                and (chat_id is None or c.result["chat"]["id"] == chat_id)
            ]

    def stored(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._messages.get((chat_id, message_id))

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` holds (checked on every request); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.05))
        return True

    def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` messages were delivered in total; returns them all."""
        if not self.wait_until(lambda: len(self.sent()) >= count, timeout):
            got = len(self.sent())
            raise TimeoutError(f"{got} of {count} messages sent after {timeout} s")
        return self.sent()

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """``wait_until`` for code on an event loop (it must keep running meanwhile)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def replies(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """``wait_for_sent`` for code on an event loop."""
        if not await self.until(lambda: len(self.sent()) >= count, timeout):
            got = len(self.sent())
            raise TimeoutError(f"{got} of {count} messages sent after {timeout} s")
        return self.sent()

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (via getUpdates offset)."""
        with self._lock:
            return len(self._updates)

    # -- internals (call with the lock held) -------------------------------------------------

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._lock.notify_all()
        return update_id

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _new_message(
        self,
        chat_id: int,
        chat_type: str,
        sender: dict[str, Any] | None,
        text: str | None,
        **fields: Any,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{chat_id}"
        elif chat_type in ("group", "supergroup"):
            chat["title"] = "A group"
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            **fields,
        }
        if sender is not None:
            message["from"] = sender
        if text is not None:
            message["text"] = text
            message.update(self._entities(text))
        return message

    def _entities(self, text: str) -> dict[str, Any]:
        """Telegram marks commands and @mentions in a text with entities (UTF-16 offsets)."""
        entities = []
        for match in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]+(?:@\w+)?|@\w{5,}", text):
            kind = "bot_command" if match.group().startswith("/") else "mention"
            if kind == "bot_command" and match.start() != 0:
                continue
            entities.append(
                {
                    "type": kind,
                    "offset": _utf16_len(text[: match.start()]),
                    "length": _utf16_len(match.group()),
                }
            )
        return {"entities": entities} if entities else {}

    def _store(self, message: dict[str, Any]) -> None:
        self._messages[(message["chat"]["id"], message["message_id"])] = message

    # -- methods -----------------------------------------------------------------------------

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise _ApiError(404, "Not Found")
        return handler(params)

    def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Limber",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()  # confirmed by the offset
                if allowed:
                    for update in list(self._updates):
                        if not any(kind in update for kind in allowed):
                            self._updates.remove(update)  # Telegram never sends these
                if self._updates or self._stopping:
                    return list(itertools.islice(self._updates, limit))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._lock.wait(remaining)

    def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self.commands = list(params.get("commands") or [])
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> Any:
        with self._lock:
            return list(self.commands)

    def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        if "chat_id" not in params or "action" not in params:
            raise _ApiError(400, "Bad Request: chat_id and action are required")
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("inline_query_id", ""))
        results = params.get("results")
        if isinstance(results, str):
            results = json.loads(results)
        with self._lock:
            if query_id not in self._open_inline:
                raise _ApiError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            if not isinstance(results, list) or len(results) > 50:
                raise _ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
            for result in results:
                content = result.get("input_message_content") or {}
                text = content.get("message_text", "")
                if content.get("parse_mode") == "HTML" and (problem := html_problem(text)):
                    raise _ApiError(400, f"Bad Request: can't parse entities: {problem}")
                if not text or _utf16_len(_plain_text(text)) > 4096:
                    raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
                if not result.get("id") or not result.get("title"):
                    raise _ApiError(400, "Bad Request: RESULT_ID_INVALID")
            self._open_inline.discard(query_id)
            self._inline_answers[query_id] = results
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            if query_id not in self._open_callbacks:
                raise _ApiError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            self._open_callbacks.discard(query_id)
        return True

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_id(params)
        text = self._checked_text(params)
        self._check_markup(params.get("reply_markup"))
        with self._lock:
            reply_to = None
            reply = params.get("reply_parameters") or {}
            if reply:
                reply_to = self._messages.get((chat_id, int(reply["message_id"])))
                if reply_to is None and not reply.get("allow_sending_without_reply"):
                    raise _ApiError(400, "Bad Request: message to be replied not found")
            chat_type = "private" if chat_id > 0 else "supergroup"
            bot = {"id": BOT_ID, "is_bot": True, "first_name": "Limber", "username": self.username}
            message = self._new_message(chat_id, chat_type, bot, text)
            message.pop("entities", None)
            if reply_to is not None:
                message["reply_to_message"] = _shallow(reply_to)
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self._store(message)
            return message

    def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        text = self._checked_text(params)
        self._check_markup(params.get("reply_markup"))
        with self._lock:
            message = self._edited_message(params)
            if message.get("text") == text and message.get("reply_markup") == params.get("reply_markup"):
                raise _ApiError(400, "Bad Request: message is not modified")
            message["text"] = text
            message["edit_date"] = int(time.time())
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
            return message

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        self._check_markup(params.get("reply_markup"))
        with self._lock:
            message = self._edited_message(params)
            markup = params.get("reply_markup") or None
            if message.get("reply_markup") == markup:
                raise _ApiError(400, "Bad Request: message is not modified")
            if markup:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            return message

    def _edited_message(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (_chat_id(params), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    @staticmethod
    def _checked_text(params: dict[str, Any]) -> str:
        text = str(params.get("text") or "")
        if params.get("parse_mode") == "HTML":
            problem = html_problem(text)
            if problem:
                raise _ApiError(400, f"Bad Request: can't parse entities: {problem}")
            text = _plain_text(text)
        elif params.get("parse_mode"):
            raise _ApiError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MESSAGE_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    # -- one request, with its fault ---------------------------------------------------------

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            faults = self._faults.get(method)
            return faults.popleft() if faults else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()


class _Handler(BaseHTTPRequestHandler):
    api: FakeBotApi
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx uses it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line contains the token: never print it

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        api = self.api
        params = self._params()
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?", 1)[0])
        if match is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = match.groups()
        if token != api.token:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        call = Call(method, params, time.monotonic())
        fault = api._take_fault(method)
        call.fault = fault
        if api.latency and method != "getUpdates":
            time.sleep(api.latency)
        if fault is not None and fault.kind != "hang":
            api._record(call)
            self._fail(fault)
            return
        if fault is not None and not fault.deliver:
            api._record(call)
            time.sleep(fault.seconds)
            self._drop()
            return
        try:
            call.result = api._dispatch(method, params)
        except _ApiError as error:
            call.error = error.description
            api._record(call)
            self._reply(
                error.status, {"ok": False, "error_code": error.status, "description": error.description}
            )
            return
        api._record(call)
        if fault is not None:  # a delivered hang: the effect happened, the answer is late
            time.sleep(fault.seconds)
        self._reply(200, {"ok": True, "result": call.result})

    def _params(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            raw: dict[str, Any] = json.loads(body or b"{}")
            return raw
        fields = parse_qs(query) | parse_qs(body.decode("utf-8"), keep_blank_values=True)
        params: dict[str, Any] = {}
        for name, values in fields.items():
            value = values[-1]
            if name in _STRING_FIELDS:
                params[name] = value
            else:
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    params[name] = value
        return params

    def _fail(self, fault: Fault) -> None:
        if fault.kind == "reset":
            self._drop()
        elif fault.kind == "malformed":
            self._send(200, b"<html>upstream hiccup", "text/html")
        else:
            body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            self._reply(fault.status, body)

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timeout, cancelled long poll)

    def _drop(self) -> None:
        """Reset the connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # dropped on purpose or by the client
            super().finish()


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "en"}


def _shallow(message: dict[str, Any]) -> dict[str, Any]:
    """A message as it appears inside another one: without its own reply_to_message."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _chat_id(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise _ApiError(400, "Bad Request: chat not found") from None


def unescape_html(markup: str) -> str:
    """The text a user reads for ``markup`` (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def texts(calls: Iterable[dict[str, Any]]) -> list[str]:
    """The plain text of each sent message (HTML or not)."""
    return [unescape_html(c["text"]) if c.get("parse_mode") == "HTML" else c["text"] for c in calls]


@dataclass
class LoadReport:
    """What a load run measured: throughput, update -> reply latency, requests made."""

    messages: int
    chats: int
    replies: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def answers_per_second(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "chats": self.chats,
            "replies": self.replies,
            "seconds": round(self.seconds, 2),
            "answers_per_s": round(self.answers_per_second, 1),
            "reply_latency_p50_ms": round(self.percentile_ms(0.50), 1),
            "reply_latency_p95_ms": round(self.percentile_ms(0.95), 1),
            "requests": {k: v for k, v in sorted(self.requests.items()) if k != "getUpdates"},
        }


def send_load(
    fake: FakeBotApi, questions: list[str], *, chats: int = 100, timeout: float = 600.0
) -> LoadReport:
    """Send ``questions`` round-robin from ``chats`` private chats; block until all are answered.

    The bot must already be running against ``fake``; call this from a thread
    other than the bot's event loop. Counts one reply per question.
    """
    before = len(fake.sent())
    started = time.monotonic()
    asked: dict[tuple[int, int], float] = {}
    for number, question in enumerate(questions):
        message = fake.message(question, user_id=10_000 + number % chats)
        asked[(message["chat"]["id"], message["message_id"])] = time.monotonic()
    fake.wait_for_sent(before + len(questions), timeout=timeout)
    seconds = time.monotonic() - started
    counts: dict[str, int] = {}
    latencies = []
    for call in fake.requests():
        if call.at < started:
            continue
        counts[call.method] = counts.get(call.method, 0) + 1
        if call.method == "sendMessage" and call.ok and call.params.get("reply_parameters"):
            key = (int(call.params["chat_id"]), int(call.params["reply_parameters"]["message_id"]))
            if key in asked:
                latencies.append((call.at - asked.pop(key)) * 1000)
    return LoadReport(len(questions), chats, len(fake.sent()) - before, seconds, latencies, counts)


async def drive_load(
    pipeline: Any,
    *,
    questions: list[str],
    messages: int = 1000,
    chats: int = 100,
    latency: float = 0.0,
    settings: dict[str, Any] | None = None,
    timeout: float = 600.0,
) -> LoadReport:
    """Run the real bot over ``pipeline`` against a fresh fake, and put ``messages`` through it.

    For scripts/benchmark.py: ``asyncio.run(drive_load(pipeline, questions=qs))``.
    Questions are cycled to make ``messages`` messages from ``chats`` chats. The bot
    runs with production settings (rate limiter at Telegram's limits) unless
    ``settings`` overrides some; ``latency`` delays every API response (seconds).
    """
    import tempfile
    from pathlib import Path

    from bot.config import Settings
    from bot.telegram.app import build_application, polling

    load = [questions[number % len(questions)] for number in range(messages)]
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi(latency=latency) as fake:
        values: dict[str, Any] = {
            "telegram_token": fake.token,
            "telegram_api_base_url": fake.base_url,
            "feedback_db": Path(scratch) / "feedback.sqlite3",
            "reload_interval": 0.0,
            **(settings or {}),
        }
        application = build_application(Settings(**values), pipeline)
        async with polling(application, timeout=5):
            return await asyncio.to_thread(send_load, fake, load, chats=chats, timeout=timeout)
