"""The Telegram bot end to end: real PTB Application, real pipeline, a fake Bot API over HTTP.

Every test drives the bot the way Telegram does (updates through getUpdates) and
asserts on what a user would see: the requests the bot made to the fake server.
After every test, ``_check_what_users_saw`` asserts for the whole conversation
that each reply ends with the disclaimer (or is an earlier part of a split reply
whose last part does), is at most 4096 characters, was valid HTML and had link
previews off.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.answer import Answer, AnswerKind, Block, Span
from bot.config import Settings
from bot.feedback import FeedbackStore
from bot.replies import DISCLAIMER
from bot.telegram.app import build_application, polling
from limber.fake_bot_api import BOT_USERNAME, TEST_TOKEN, FakeBotApi, Fault, html_problem, unescape_html

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    # PTB warns when it builds a RetryAfter while retry_after is still an int (v22.2+).
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How do I stretch tight hip flexors?"
OTHER_QUESTION = "What stretches help sciatica?"
GROUP = -100_555
USER = 1001


# -- harness -----------------------------------------------------------------------------------


class Tweaked:
    """The real pipeline with a hook: slower, longer or failing answers."""

    def __init__(
        self, pipeline: Any, *, delay: float = 0.0, long: bool = False, fail_on: str | None = None
    ) -> None:
        self._pipeline = pipeline
        self.delay = delay
        self.long = long
        self.fail_on = fail_on

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)

    def answer(self, question: str, conversation: Any = None) -> Answer:
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("a bug in the pipeline")
        time.sleep(self.delay)
        answer = self._pipeline.answer(question, conversation)
        if self.long and answer.kind is AnswerKind.ANSWER:
            extra = tuple(
                Block((Span(f"Paragraph {i}: ", bold=True), Span("x < y & z; " * 60)), quote=True)
                for i in range(20)
            )
            answer = dataclasses.replace(answer, blocks=(*answer.blocks[:-1], *extra, answer.blocks[-1]))
        return answer


@dataclasses.dataclass
class Bot:
    """A running bot and the fake Telegram it talks to."""

    fake: FakeBotApi
    app: Application
    settings: Settings

    async def ask(self, text: str | None = None, *, replies: int = 1, **message: Any) -> list[dict]:
        """A user sends a message; returns the ``replies`` messages the bot sent next."""
        before = len(self.fake.sent())
        self.fake.message(text, **message)
        return (await self.fake.replies(before + replies))[before:]

    async def press(self, bot_message: dict, data: str) -> dict:
        """A user taps a button; returns the answerCallbackQuery the bot made for it."""
        query_id = self.fake.press(bot_message, data)
        await self.fake.until(lambda: bool(self._answers(query_id)))
        return self._answers(query_id)[0]

    def _answers(self, query_id: str) -> list[dict]:
        return [
            c.params
            for c in self.fake.requests("answerCallbackQuery")
            if c.params.get("callback_query_id") == query_id
        ]

    async def assert_silent_on(self, send: Callable[[], object]) -> None:
        """``send`` an update, then prove the bot sent nothing for it (a sentinel is answered)."""
        before = len(self.fake.sent())
        send()
        self.fake.message("/help", user_id=424242)
        await self.fake.replies(before + 1)
        await asyncio.sleep(0.1)
        new = self.fake.sent()[before:]
        assert [m["chat_id"] for m in new] == [424242], "the bot answered an update it must ignore"


@pytest.fixture(scope="module")
def fake() -> FakeBotApi:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
async def start_bot(
    fake: FakeBotApi, pipeline: Any, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Bot]]]:
    """Start the bot against the fake server; settings as in production unless overridden."""
    fake.reset()
    stack = contextlib.AsyncExitStack()

    async def start(answers: Any = None, **overrides: Any) -> Bot:
        values: dict[str, Any] = {
            "telegram_token": TEST_TOKEN,
            "telegram_api_base_url": fake.base_url,
            "feedback_db": tmp_path / "feedback.sqlite3",
            "per_chat_max_rate": 50.0,  # tests talk fast in one chat; pacing has its own test
            "reload_interval": 0.0,
        }
        values.update(overrides)
        settings = Settings(**values)
        app = build_application(settings, answers or pipeline, request_timeout=1.0, retry_backoff=0.05)
        await stack.enter_async_context(polling(app, timeout=1))
        return Bot(fake, app, settings)

    yield start
    await stack.aclose()
    _check_what_users_saw(fake)


def _check_what_users_saw(fake: FakeBotApi) -> None:
    """Every reply: ends with the disclaimer (or a later part does), fits, valid HTML, no preview."""
    refused = [
        c for c in fake.requests("sendMessage") if c.fault is None and c.error and "parse entities" in c.error
    ]
    assert not refused, f"Telegram would refuse our HTML: {refused[0].error}"
    sent = fake.sent()
    for number, params in enumerate(sent):
        assert len(params["text"]) <= 4096
        html_mode = params.get("parse_mode") == "HTML"
        text = unescape_html(params["text"]) if html_mode else params["text"]
        if html_mode:
            assert html_problem(params["text"]) is None
            assert params.get("link_preview_options") == {"is_disabled": True}
        if text.rstrip().endswith(DISCLAIMER):
            continue
        later = [
            p
            for p in sent[number + 1 :]
            if p["chat_id"] == params["chat_id"]
            and p.get("reply_parameters") == params.get("reply_parameters")
        ]
        assert any(_text(p).rstrip().endswith(DISCLAIMER) for p in later), (
            f"a message without the disclaimer, and no later part with it: {text[:200]!r}"
        )
        assert "reply_markup" not in params, "buttons belong under the last part"


def _text(message: dict) -> str:
    return unescape_html(message["text"]) if message.get("parse_mode") == "HTML" else message["text"]


def _buttons(message: dict) -> dict[str, str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def _replied_to(message: dict) -> int:
    return int(message["reply_parameters"]["message_id"])


# -- commands ----------------------------------------------------------------------------------


async def test_start_welcomes_with_topics_three_examples_and_the_disclaimer(start_bot) -> None:
    bot = await start_bot()
    [reply] = await bot.ask("/start")
    text = _text(reply)
    assert "Limber" in text and "back pain" in text and "sciatica" in text
    assert text.count("\n• ") == 3
    assert text.endswith(DISCLAIMER)
    assert [c["command"] for c in bot.fake.commands] == ["start", "help", "about", "privacy", "forget"]


async def test_help_and_commands_with_arguments_still_get_help(start_bot) -> None:
    bot = await start_bot()
    [plain] = await bot.ask("/help")
    [with_argument] = await bot.ask("/help me please")
    assert "How to ask" in _text(plain) and f"@{BOT_USERNAME}" in _text(plain)
    assert _text(with_argument) == _text(plain)


async def test_about_lists_sources_passage_count_and_model(start_bot, pipeline) -> None:
    bot = await start_bot()
    [reply] = await bot.ask("/about")
    manifest = pipeline.retriever.index.manifest
    text = _text(reply)
    assert f"{manifest.passage_count} passages" in text
    assert manifest.model in text
    for name in manifest.data["corpus_files"]:
        assert name in text
    assert "MedQuAD" not in text  # attribution only when MedQuAD is in the corpus


async def test_about_credits_medquad_under_cc_by_when_it_is_in_the_corpus(start_bot, pipeline) -> None:
    class WithMedquad(Tweaked):
        @property
        def retriever(self) -> Any:
            index = dataclasses.replace(
                pipeline.retriever.index,
                manifest=dataclasses.replace(
                    pipeline.retriever.index.manifest,
                    data={
                        **pipeline.retriever.index.manifest.data,
                        "corpus_files": ["medquad.jsonl", "back.txt"],
                    },
                ),
            )
            return type("R", (), {"index": index})()

    bot = await start_bot(WithMedquad(pipeline))
    [reply] = await bot.ask("/about")
    assert "MedQuAD, Ben Abacha & Demner-Fushman 2019, CC BY 4.0" in _text(reply)
    assert 'href="https://github.com/abachaa/MedQuAD"' in reply["text"]


async def test_unknown_command_gets_a_friendly_pointer_with_escaped_text(start_bot) -> None:
    bot = await start_bot()
    [reply] = await bot.ask("/dance<b>&now")
    assert "I don't know the command /dance<b>&now" in _text(reply)
    assert "/help" in _text(reply)


# -- questions ---------------------------------------------------------------------------------


async def test_question_gets_one_reply_to_it_with_quote_source_and_buttons(start_bot, pipeline) -> None:
    pipeline.answer(QUESTION)  # warm: this test is about a fast answer
    bot = await start_bot()
    question = bot.fake.message(QUESTION)
    [reply] = await bot.fake.replies(1)
    assert _replied_to(reply) == question["message_id"]
    assert reply["parse_mode"] == "HTML" and "<blockquote>" in reply["text"]
    assert "Source: " in _text(reply)
    assert set(_buttons(reply)) == {"More", "👍", "👎"}
    assert all(len(d.encode()) <= 64 for d in _buttons(reply).values())
    # A fast answer costs one request: no "typing" action, no placeholder to edit.
    assert bot.fake.requests("sendChatAction") == []
    assert bot.fake.requests("editMessageText") == []


async def test_slow_answer_shows_typing_before_the_reply(start_bot, pipeline) -> None:
    bot = await start_bot(Tweaked(pipeline, delay=0.7), typing_delay=0.3)
    await bot.ask(QUESTION)
    methods = [c.method for c in bot.fake.requests() if c.method in ("sendChatAction", "sendMessage")]
    assert methods == ["sendChatAction", "sendMessage"]
    assert bot.fake.requests("sendChatAction")[0].params["action"] == "typing"


async def test_slow_question_does_not_stall_other_chats(start_bot, pipeline) -> None:
    class OneSlow(Tweaked):
        def answer(self, question: str) -> Answer:
            time.sleep(1.5 if question == "slow one" else 0)
            return pipeline.answer(question)

    bot = await start_bot(OneSlow(pipeline))
    bot.fake.message("slow one", user_id=1)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    [fast] = await bot.ask(QUESTION, user_id=2)
    assert time.monotonic() - started < 1.0
    assert fast["chat_id"] == 2
    await bot.fake.replies(2)


async def test_no_answer_reply_still_offers_feedback(start_bot) -> None:
    bot = await start_bot()
    [reply] = await bot.ask("What is the capital of France?")
    assert "I don't have information on that" in _text(reply)
    assert set(_buttons(reply)) == {"👍", "👎"}  # no More: there is nothing more to show


async def test_emergency_and_crisis_replies_carry_no_buttons(start_bot) -> None:
    bot = await start_bot()
    [red_flag] = await bot.ask("My back hurts and I suddenly can't control my bladder")
    [crisis] = await bot.ask("I want to kill myself")
    assert _buttons(red_flag) == {} and _buttons(crisis) == {}


async def test_long_reply_is_split_under_4096_and_the_disclaimer_closes_the_last_part(
    start_bot, pipeline
) -> None:
    bot = await start_bot(Tweaked(pipeline, long=True))
    question = bot.fake.message(QUESTION)
    assert await bot.fake.until(lambda: bool(bot.fake.sent()) and _buttons(bot.fake.sent()[-1]))
    parts = bot.fake.sent()
    assert len(parts) >= 3
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert all(_replied_to(p) == question["message_id"] for p in parts)
    assert all(DISCLAIMER not in _text(p) for p in parts[:-1])
    assert _text(parts[-1]).endswith(DISCLAIMER)
    assert [bool(_buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]


@pytest.mark.parametrize("kind", ["photo", "voice", "sticker", "document", "location"])
async def test_non_text_messages_get_i_can_only_read_text(start_bot, kind: str) -> None:
    bot = await start_bot()
    before = len(bot.fake.sent())
    getattr(bot.fake, kind)()
    [reply] = (await bot.fake.replies(before + 1))[before:]
    assert "I can only read text" in _text(reply)


async def test_edited_question_is_answered_again(start_bot) -> None:
    bot = await start_bot()
    message = bot.fake.message("How do I stretch my hamstrings?")
    [first] = await bot.fake.replies(1)
    bot.fake.edit(message, OTHER_QUESTION)
    [_, second] = await bot.fake.replies(2)
    assert _replied_to(first) == _replied_to(second) == message["message_id"]
    assert _text(first) != _text(second)


async def test_html_in_a_question_cannot_break_the_reply(start_bot) -> None:
    bot = await start_bot()
    [reply] = await bot.ask("<b>hip</b> flexors & <script>stretch</script> &amp;")
    assert html_problem(reply["text"]) is None


async def test_pipeline_crash_gets_an_apology_and_the_bot_keeps_serving(start_bot, pipeline, caplog) -> None:
    bot = await start_bot(Tweaked(pipeline, fail_on="boom"))
    [apology] = await bot.ask("boom")
    assert "something went wrong" in _text(apology)
    assert "Exception while handling an update" in caplog.text
    [answer] = await bot.ask(QUESTION)
    assert "Source:" in _text(answer)


# -- groups and channels -----------------------------------------------------------------------


async def test_group_messages_are_answered_only_when_addressed(start_bot) -> None:
    bot = await start_bot()
    group = {"chat_id": GROUP, "chat_type": "supergroup", "user_id": 2002}
    await bot.assert_silent_on(lambda: bot.fake.message(QUESTION, **group))
    await bot.assert_silent_on(lambda: bot.fake.photo(**group))
    await bot.assert_silent_on(lambda: bot.fake.message("/dance", **group))  # maybe another bot's
    await bot.assert_silent_on(lambda: bot.fake.message("/help@other_bot", **group))

    [mentioned] = await bot.ask(f"@{BOT_USERNAME} {QUESTION}", **group)
    assert "Source:" in _text(mentioned) and mentioned["chat_id"] == GROUP
    [command] = await bot.ask("/help", **group)
    assert "How to ask" in _text(command)
    [addressed_command] = await bot.ask(f"/about@{BOT_USERNAME}", **group)
    assert "About Limber" in _text(addressed_command)
    [unknown] = await bot.ask(f"/dance@{BOT_USERNAME}", **group)
    assert "I don't know the command" in _text(unknown)
    bot_message = bot.fake.sent_messages(GROUP)[0]
    [reply] = await bot.ask(OTHER_QUESTION, reply_to=bot_message, **group)
    assert "Source:" in _text(reply)


async def test_mention_is_not_part_of_the_question(start_bot, pipeline) -> None:
    bot = await start_bot()
    group = {"chat_id": GROUP, "chat_type": "supergroup", "user_id": 2002}
    [reply] = await bot.ask(f"@{BOT_USERNAME} {QUESTION}", **group)
    expected = _text({"text": "\n\n".join(_answer_parts(pipeline.answer(QUESTION))), "parse_mode": "HTML"})
    assert _text(reply) == expected


def _answer_parts(answer: Answer) -> list[str]:
    from bot.render import telegram_parts

    return telegram_parts(answer)


async def test_channel_posts_are_ignored(start_bot) -> None:
    bot = await start_bot()
    await bot.assert_silent_on(lambda: bot.fake.channel_post(QUESTION))


# -- per-user rate limit -----------------------------------------------------------------------


async def test_flooding_user_is_told_once_per_window_and_others_still_served(start_bot) -> None:
    bot = await start_bot(user_rate_limit=2)
    for _ in range(6):
        bot.fake.message(QUESTION, user_id=7)
    await bot.fake.replies(3)
    await bot.assert_silent_on(lambda: None)  # nothing more for user 7 after the notice
    texts = [_text(m) for m in bot.fake.sent(7)]
    assert len(texts) == 3
    assert sum("faster than I can keep up" in t for t in texts) == 1
    assert sum("Source:" in t for t in texts) == 2
    [other] = await bot.ask(QUESTION, user_id=8)
    assert "Source:" in _text(other)


# -- buttons -----------------------------------------------------------------------------------


async def test_more_shows_each_next_passage_with_disclaimer_and_answers_the_tap_first(
    start_bot, pipeline
) -> None:
    bot = await start_bot()
    question = bot.fake.message(QUESTION)
    await bot.fake.replies(1)
    passages = pipeline.answer(QUESTION).passages
    current = bot.fake.sent_messages()[-1]
    for index in range(1, len(passages)):
        data = _buttons(current)["More"]
        assert data.split(":")[2] == str(index)
        calls_before = len(bot.fake.requests())
        answered = await bot.press(current, data)
        assert "text" not in answered  # no notice: it worked
        await bot.fake.replies(index + 1)
        after = [c.method for c in bot.fake.requests()[calls_before:] if c.method != "getUpdates"]
        assert after.index("answerCallbackQuery") < after.index("sendMessage")
        shown = bot.fake.sent()[-1]
        assert f"Passage {index + 1} of {len(passages)}" in _text(shown)
        assert passages[index].passage.source in _text(shown)
        assert _replied_to(shown) == question["message_id"]
        # The tapped message keeps its votes but loses More (it moved to the new message).
        edited = bot.fake.stored(current["chat"]["id"], current["message_id"])
        assert set(_buttons(edited)) == {"👍", "👎"}
        current = bot.fake.sent_messages()[-1]
    assert "More" not in _buttons(current)  # the last passage


async def test_vote_is_stored_with_a_salted_hash_and_never_the_chat_id(start_bot) -> None:
    bot = await start_bot()
    chat_id = 987_654_321
    await bot.ask(QUESTION, user_id=chat_id)
    reply = bot.fake.sent_messages(chat_id)[-1]
    answered = await bot.press(reply, _buttons(reply)["👎"])
    assert "Thanks" in answered["text"]
    db = bot.settings.feedback_db
    assert await bot.fake.until(lambda: _rows(db) == 1)
    store = FeedbackStore(db)
    [row] = store.rows()
    assert (row.question, row.vote.value) == (QUESTION, "down")
    assert row.passage_id and row.chat_hash == store.chat_hash(chat_id)
    store.close()
    assert str(chat_id).encode() not in db.read_bytes()


def _rows(db: Path) -> int:
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(db)) as connection:
            return connection.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    except sqlite3.Error:
        return 0


async def test_feedback_on_a_no_answer_reply_is_recorded_without_a_passage(start_bot) -> None:
    bot = await start_bot()
    await bot.ask("What is the capital of France?")
    reply = bot.fake.sent_messages()[-1]
    answered = await bot.press(reply, _buttons(reply)["👍"])
    assert "Thanks" in answered["text"]
    assert await bot.fake.until(lambda: _rows(bot.settings.feedback_db) == 1)
    with FeedbackStore(bot.settings.feedback_db) as store:
        assert [(r.passage_id, r.vote.value) for r in store.rows()] == [("", "up")]


async def test_tampered_forged_and_stale_buttons_get_a_notice_never_a_crash(start_bot, caplog) -> None:
    bot = await start_bot()
    await bot.ask(QUESTION)
    reply = bot.fake.sent_messages()[-1]
    more = _buttons(reply)["More"]
    tag = more.rsplit(":", 1)[1]
    forged = [
        "garbage",
        "v0:more:1:" + tag,  # an older version's button
        more.replace(tag, "0" * 12),  # tampered hash
        f"v1:more:99:{tag}",  # no such passage
        f"v1:more:0:{tag}",  # the first passage is the answer itself
        f"v1:vote:-:up:{tag}",  # a no-answer vote under an answer
        f"v1:vote:42:up:{tag}",
    ]
    sent_before = len(bot.fake.sent())
    for data in forged:
        answered = await bot.press(reply, data)
        assert answered.get("text"), f"no notice for {data!r}"
    # A button whose question cannot be found: not a reply to anything, not remembered.
    orphan = {**reply, "message_id": 9999}
    orphan.pop("reply_to_message")
    answered = await bot.press(orphan, more)
    assert "can't find the question" in answered["text"]
    # A button made before the user edited the question: the answer behind it changed.
    question = bot.fake.stored(reply["chat"]["id"], _replied_to(bot.fake.sent()[-1]))
    bot.fake.edit(question, OTHER_QUESTION)
    await bot.fake.replies(sent_before + 1)
    answered = await bot.press(reply, more)
    assert "out of date" in answered["text"]
    assert len(bot.fake.sent()) == sent_before + 1  # only the answer to the edit
    assert "Exception while handling" not in caplog.text


async def test_button_still_works_when_the_question_message_was_deleted(start_bot) -> None:
    bot = await start_bot()
    await bot.ask(QUESTION)
    reply = bot.fake.sent_messages()[-1]
    reply.pop("reply_to_message")  # Telegram omits it once the user deleted their message
    answered = await bot.press(reply, _buttons(reply)["More"])
    assert "text" not in answered
    [more] = (await bot.fake.replies(2))[1:]
    assert "Passage 2 of" in _text(more)


# -- delivery: faults on sendMessage -------------------------------------------------------------


@pytest.mark.slow  # waits out Telegram's retry_after (1 s) on the clock
async def test_429_on_send_waits_retry_after_and_delivers_once(start_bot) -> None:
    bot = await start_bot()
    bot.fake.fail("sendMessage", Fault.too_many_requests(retry_after=1))
    started = time.monotonic()
    [reply] = await bot.ask(QUESTION)
    assert time.monotonic() - started >= 1.0  # it waited as told
    assert "Source:" in _text(reply)
    attempts = bot.fake.requests("sendMessage")
    assert len(attempts) == 2 and attempts[0].fault is not None


@pytest.mark.parametrize(
    "fault",
    [Fault.server_error(500), Fault.server_error(502), Fault.reset(), Fault.malformed()],
    ids=["500", "502", "reset", "malformed"],
)
async def test_transient_send_failures_are_retried_until_exactly_one_reply(start_bot, fault) -> None:
    bot = await start_bot()
    bot.fake.fail("sendMessage", fault, times=2)
    [reply] = await bot.ask(QUESTION)
    await asyncio.sleep(0.2)
    assert len(bot.fake.sent()) == 1
    assert "Source:" in _text(reply)
    assert len(bot.fake.requests("sendMessage")) == 3


@pytest.mark.slow  # a request hangs past its 1 s timeout, on the clock
async def test_hang_that_never_delivered_is_retried_to_exactly_one_reply(start_bot) -> None:
    bot = await start_bot()
    bot.fake.fail("sendMessage", Fault.hang(1.5, deliver=False))
    await bot.ask(QUESTION)
    await asyncio.sleep(0.2)
    assert len(bot.fake.sent()) == 1


@pytest.mark.slow  # a request hangs past its 1 s timeout, on the clock
async def test_hang_that_did_deliver_shows_one_duplicate_and_no_more(start_bot) -> None:
    # The documented at-least-once trade-off: a timed-out send may have arrived.
    bot = await start_bot()
    bot.fake.fail("sendMessage", Fault.hang(1.5, deliver=True))
    await bot.ask(QUESTION, replies=2)
    await asyncio.sleep(0.3)
    first, second = bot.fake.sent()
    assert first["text"] == second["text"]
    assert len(bot.fake.sent()) == 2


async def test_bad_request_is_never_retried(start_bot) -> None:
    bot = await start_bot()
    bot.fake.fail("sendMessage", Fault.bad_request("Bad Request: message thread not found"))
    [apology] = await bot.ask(QUESTION)
    assert "something went wrong" in _text(apology)
    assert len(bot.fake.requests("sendMessage")) == 2  # the refused answer once, then the apology


async def test_html_refused_by_telegram_is_resent_once_as_plain_text_with_disclaimer(
    start_bot,
) -> None:
    bot = await start_bot()
    bot.fake.fail(
        "sendMessage",
        Fault.bad_request('Bad Request: can\'t parse entities: unsupported start tag "x" at byte offset 3'),
    )
    [reply] = await bot.ask(QUESTION)
    assert "parse_mode" not in reply
    assert reply["text"].endswith(DISCLAIMER) and "<blockquote>" not in reply["text"]
    assert _buttons(reply)  # the buttons survive the fallback
    assert len(bot.fake.requests("sendMessage")) == 2


async def test_send_failing_beyond_the_retries_ends_in_an_apology_not_silence(start_bot) -> None:
    bot = await start_bot(send_retries=2)
    bot.fake.fail("sendMessage", Fault.server_error(503), times=3)
    [apology] = await bot.ask(QUESTION)
    assert "something went wrong" in _text(apology)
    assert len(bot.fake.requests("sendMessage")) == 4


@pytest.mark.slow  # 20 updates through six faults, a 1.2 s hang among them
async def test_mixed_faults_every_update_still_gets_exactly_one_reply(start_bot) -> None:
    bot = await start_bot()
    faults = [
        Fault.server_error(500),
        Fault.reset(),
        Fault.too_many_requests(1),
        Fault.server_error(502),
        Fault.malformed(),
        Fault.hang(1.2, deliver=False),
    ]
    for fault in faults:
        bot.fake.fail("sendMessage", fault)
    questions = [QUESTION, OTHER_QUESTION, "hello", "/help", "Why does my SI joint hurt?"] * 4
    for number, question in enumerate(questions):
        bot.fake.message(question, user_id=100 + number)
    await bot.fake.replies(len(questions), timeout=20)
    await asyncio.sleep(0.3)
    chats = sorted(m["chat_id"] for m in bot.fake.sent())
    assert chats == [100 + n for n in range(len(questions))]  # exactly one reply each


async def test_get_updates_failures_are_survived_by_the_polling_loop(start_bot) -> None:
    bot = await start_bot()
    await bot.ask("/start")
    bot.fake.fail("getUpdates", Fault.server_error(502))
    bot.fake.fail("getUpdates", Fault.reset())
    [reply] = await bot.ask(QUESTION)
    assert "Source:" in _text(reply)


# -- delivery: budget, pacing, shutdown ----------------------------------------------------------


@pytest.mark.slow
async def test_fast_answers_spend_one_request_each_so_defaults_give_near_30_per_second(
    start_bot, pipeline
) -> None:
    # The limiter at Telegram's defaults: 30 requests/s overall, 1 message/s per chat.
    questions = [QUESTION, OTHER_QUESTION, "hello", "What is the SI joint?"]
    for question in questions:
        pipeline.answer(question)  # warm the retriever's cache: these answers are fast
    bot = await start_bot(per_chat_max_rate=1.0, overall_max_rate=30.0)
    count = 120
    started = time.monotonic()
    for number in range(count):
        bot.fake.message(questions[number % len(questions)], user_id=5000 + number % 40)
    await bot.fake.replies(count, timeout=30)
    rate = count / (time.monotonic() - started)
    assert bot.fake.requests("sendChatAction") == []
    assert len(bot.fake.requests("sendMessage")) == count  # one request each
    # 30/s plus the limiter's first burst. The floor only catches a limiter gone far too strict
    # (1 a second overall would take two minutes): a busy machine slows the answers themselves.
    assert 8 <= rate <= 70, f"{rate:.1f} answers/s"
    # The limiter is a leaky bucket of 30: in any stretch of time it lets through at most its
    # capacity plus 30 a second. (Counting whole seconds after the first burst is not that
    # invariant: a stall on a busy machine refills the bucket, and the next burst is allowed.)
    times = sorted(call.at for call in bot.fake.requests("sendMessage"))
    # The fake stamps a request when its event loop gets to it; on a busy machine (tests run
    # in two workers) arrivals bunch up by a few tenths of a second. Without a limiter, all
    # 120 would come within a second and this still fails by far.
    slack = 0.5
    worst = max(
        j - i + 1 - (30 + 30.0 * (times[j] - times[i] + slack))
        for i in range(len(times))
        for j in range(i, len(times))
    )
    assert worst <= 1, f"{worst:.1f} requests over the budget"


@pytest.mark.slow  # a flood of 30 answers at 10 a second
async def test_under_a_flood_typing_makes_way_for_answers(start_bot, pipeline) -> None:
    # Every answer is "slow" (typing_delay 0), but once a second's worth of requests is
    # queued, "typing" would only delay the answers: it is skipped.
    pipeline.answer(QUESTION)
    bot = await start_bot(overall_max_rate=10.0, typing_delay=0.0)
    count = 30
    for number in range(count):
        bot.fake.message(QUESTION, user_id=6000 + number)
    await bot.fake.replies(count, timeout=20)
    typing = len(bot.fake.requests("sendChatAction"))
    assert 0 < typing < count // 2


@pytest.mark.slow  # pacing: at least 1.5 s on the clock by design
async def test_one_chat_is_paced_to_about_one_message_a_second(start_bot) -> None:
    bot = await start_bot(per_chat_max_rate=1.0)
    for _ in range(5):
        bot.fake.message("/help", user_id=77)
    await bot.fake.replies(5, timeout=10)
    times = [c.at for c in bot.fake.requests("sendMessage")]
    # A burst of three, then one a second.
    assert times[-1] - times[0] >= 1.5


async def test_updates_already_fetched_are_answered_before_shutdown(fake, pipeline, tmp_path) -> None:
    fake.reset()
    settings = Settings(
        telegram_token=TEST_TOKEN,
        telegram_api_base_url=fake.base_url,
        feedback_db=tmp_path / "f.sqlite3",
        reload_interval=0,
    )
    app = build_application(settings, Tweaked(pipeline, delay=0.5), request_timeout=1.0)
    async with polling(app, timeout=1):
        for number in range(4):
            fake.message(QUESTION, user_id=300 + number)

        def fetched() -> set[int]:
            return {u["update_id"] for c in fake.requests("getUpdates") for u in c.result or []}

        assert await fake.until(lambda: len(fetched()) == 4)
        inbox = app.bot_data["limber"].inbox
        # Received (in the inbox), not merely handed out: a response still on its way at the
        # stop is dropped unconfirmed, and Telegram hands those updates to the next start.
        assert await fake.until(lambda: inbox.next_offset() > max(fetched()))
        assert len(fake.sent()) == 0  # still thinking: now stop
    assert len(fake.sent()) == 4
    assert fake.pending_updates() == 0  # and the stop confirmed them, so no restart repeats them
    _check_what_users_saw(fake)


@pytest.mark.slow
async def test_sigterm_still_answers_updates_already_fetched(fake, seed_index, tmp_path) -> None:
    fake.reset()
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LIMBER_INDEX_DIR": str(seed_index),
        "LIMBER_FEEDBACK_DB": str(tmp_path / "f.sqlite3"),
        "LIMBER_PER_CHAT_MAX_RATE": "1",  # five replies in one chat take about 2 s
        "LIMBER_LOG_LEVEL": "DEBUG",
        "HF_HUB_OFFLINE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "telegram"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert await fake.until(lambda: bool(fake.requests("setMyCommands")), timeout=60)
        for _ in range(5):
            fake.message("/help", user_id=4242)
        assert await fake.until(lambda: len(fake.sent()) >= 1, timeout=20)
        assert len(fake.sent()) < 5  # replies still pending when the signal arrives
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    log = output.decode()
    assert process.returncode == 0, log
    assert len(fake.sent()) == 5
    assert fake.pending_updates() == 0
    assert "Application.stop() complete" in log
    assert TEST_TOKEN not in log and "/help" not in log  # no token, no user text at DEBUG


# -- staying up: logs, webhook, index reload -----------------------------------------------------


async def test_logs_never_contain_the_token_nor_by_default_the_users_text(
    start_bot, pipeline, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_question = "Does kneeling zebra pose help my hip flexors?"
    bot = await start_bot(Tweaked(pipeline, fail_on="boom"))
    bot.fake.fail("sendMessage", Fault.server_error(500))
    bot.fake.fail("sendMessage", Fault.hang(1.2, deliver=False))
    await bot.ask(secret_question)
    bot.fake.fail("getUpdates", Fault.reset())
    await bot.ask("boom zebra", replies=1)  # a crash: its traceback is logged too
    assert await bot.fake.until(lambda: ": answer in " in caplog.text, timeout=2)
    logged = caplog.text + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "sendMessage failed" in logged and "RuntimeError" in logged  # faults were logged...
    assert TEST_TOKEN not in logged and TEST_TOKEN.split(":")[1] not in logged  # ...not the token
    assert "zebra" not in logged


async def test_questions_are_logged_only_when_the_operator_opts_in(start_bot, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram")
    bot = await start_bot(log_questions=True)
    await bot.ask("Does kneeling zebra pose help my hip flexors?")
    assert await bot.fake.until(lambda: "zebra" in caplog.text, timeout=2)


def _webhook_settings(fake: FakeBotApi, tmp_path: Path) -> Settings:
    """Webhook mode behind a proxy at ``webhook_url``; the local server takes a port from the OS
    (port 0: no port picked in advance that another test, or another worker, could take first)."""
    return Settings(
        telegram_token=TEST_TOKEN,
        telegram_api_base_url=fake.base_url,
        feedback_db=tmp_path / "f.sqlite3",
        reload_interval=0,
        webhook_url="https://limber.example.org/limber-hook",
        webhook_port=0,
        webhook_secret="sekrit-1",
    )


def _webhook_port(app: Application) -> int:
    """The port the running webhook server listens on."""
    return app.bot_data["limber"].webhook.port


async def test_webhook_refuses_updates_without_the_secret_token(fake, pipeline, tmp_path) -> None:
    fake.reset()
    settings = _webhook_settings(fake, tmp_path)
    app = build_application(settings, pipeline, request_timeout=1.0)
    message = fake.message(QUESTION)
    update = json.dumps({"update_id": 1, "message": message})
    async with polling(app, webhook=True):
        [hook] = fake.requests("setWebhook")
        assert hook.params["secret_token"] == "sekrit-1"
        url = f"http://127.0.0.1:{_webhook_port(app)}/limber-hook"
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, content=update, headers=headers)
            wrong = await client.post(
                url, content=update, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            right = await client.post(
                url, content=update, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "sekrit-1"}
            )
            again = await client.post(
                url, content=update, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "sekrit-1"}
            )
        assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        assert again.status_code == 200  # Telegram's retry of a delivered update...
        [reply] = await fake.replies(1)
        assert "Source:" in _text(reply)
        await asyncio.sleep(0.3)
        assert len(fake.sent()) == 1  # ...is not answered a second time
    _check_what_users_saw(fake)


async def _raw_request(port: int, head: str, *, wait: float = 5.0) -> bytes:
    """Send a request line and headers only (no body) and read what the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=wait)
    finally:
        writer.close()


async def test_webhook_checks_the_secret_and_the_size_before_reading_any_body(
    fake, pipeline, tmp_path
) -> None:
    # Before: the server read a whole body (99 MB, into memory) before looking at the secret.
    fake.reset()
    app = build_application(_webhook_settings(fake, tmp_path), pipeline, request_timeout=1.0)
    async with polling(app, webhook=True):
        port = _webhook_port(app)
        huge = 99 * 1024 * 1024
        stranger = await _raw_request(
            port,
            (
                "POST /limber-hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {huge}\r\n\r\n"
            ),
        )
        assert stranger.startswith(b"HTTP/1.1 403")  # answered with not one body byte sent
        too_big = await _raw_request(
            port,
            (
                "POST /limber-hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: sekrit-1\r\nContent-Length: {2 * 1024 * 1024}"
                "\r\n\r\n"
            ),
        )
        assert too_big.startswith(b"HTTP/1.1 413")
        not_a_post = await _raw_request(port, "GET /limber-hook HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not_a_post.startswith(b"HTTP/1.1 405")


async def test_webhook_caps_connections_and_stalled_ones_never_keep_an_update_out(
    fake, pipeline, tmp_path
) -> None:
    # Before: 1,100 connections that never sent their headers held every descriptor for good,
    # and real updates timed out.
    from bot.telegram.webhook import WebhookLimits

    fake.reset()
    settings = _webhook_settings(fake, tmp_path)
    app = build_application(settings, pipeline, request_timeout=1.0)
    limits = WebhookLimits(max_connections=3, header_timeout=0.5)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "sekrit-1"}
    async with polling(app, webhook=True, webhook_limits=limits):
        port = _webhook_port(app)
        url = f"http://127.0.0.1:{port}/limber-hook"
        stalled = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        await asyncio.sleep(0.1)  # the cap is reached: three connections, no request
        message = fake.message(QUESTION)
        async with httpx.AsyncClient() as client:  # a real update still gets in...
            delivered = await client.post(
                url, headers=headers, content=json.dumps({"update_id": 7, "message": message})
            )
        assert delivered.status_code == 200
        closed = 0
        for reader, writer in stalled:  # ...the oldest stalled one made way; the rest time out
            assert await asyncio.wait_for(reader.read(100), timeout=5) == b""
            closed += 1
            writer.close()
        [reply] = await fake.replies(1)
        assert "Source:" in _text(reply)
    assert closed == 3
    assert app.bot_data["limber"].webhook.refused_connections >= 1


async def test_rebuilt_index_is_picked_up_and_a_broken_one_keeps_the_old(
    start_bot, index_copy, caplog
) -> None:
    from bot.pipeline import Pipeline
    from index.search import Retriever

    caplog.set_level(logging.INFO, logger="bot.telegram")
    bot = await start_bot(Pipeline(Retriever.open(index_copy)), reload_interval=0.1)
    manifest = index_copy / "manifest.json"
    data = json.loads(manifest.read_text())
    data.update(built_at="2099-01-01T00:00:00Z", build_id="rebuilt-1")  # what a rebuild changes
    manifest.write_text(json.dumps(data))
    assert await bot.fake.until(lambda: "index reloaded" in caplog.text, timeout=10)
    data.update(built_at="2099-01-02T00:00:00Z", build_id="rebuilt-2")
    manifest.write_text(json.dumps(data))
    (index_copy / "passages.jsonl").write_text("damaged")
    assert await bot.fake.until(lambda: "index reload failed" in caplog.text, timeout=10)
    [reply] = await bot.ask(QUESTION)
    assert "Source:" in _text(reply)


# -- conversations and inline mode -------------------------------------------------------------

FROG = "how do I do the frog stretch for my hips?"


def _quoted_passage(reply: dict) -> str:
    return _text(reply).split("Source:")[0]


async def test_a_follow_up_in_a_chat_is_answered_from_the_passage_just_shown(start_bot) -> None:
    bot = await start_bot()
    [first] = await bot.ask(FROG, user_id=7001)
    [follow] = await bot.ask("how long do I hold it?", user_id=7001)
    assert "breaths" in _quoted_passage(follow).lower()
    assert _quoted_passage(follow) == _quoted_passage(first)
    # Another chat asking the same follow-up has no such context.
    [other] = await bot.ask("how long do I hold it?", user_id=7002)
    assert _quoted_passage(other) != _quoted_passage(first)


async def test_a_new_topic_in_a_chat_is_not_dragged_back_to_the_old_one(start_bot) -> None:
    bot = await start_bot()
    await bot.ask(FROG, user_id=7011)
    [switch] = await bot.ask("What is a spinal epidural abscess and what causes it?", user_id=7011)
    assert "abscess" in _quoted_passage(switch).lower()


async def test_start_and_forget_clear_the_conversation(start_bot) -> None:
    bot = await start_bot()
    await bot.ask(FROG, user_id=7021)
    limber = bot.app.bot_data["limber"]
    assert len(limber.conversations) >= 1
    [done] = await bot.ask("/forget", user_id=7021)
    assert "1 conversation" in _text(done)
    await bot.ask(FROG, user_id=7021)
    await bot.ask("/start", user_id=7021)
    assert limber.conversations.get((7021, 0)).context() is None


async def test_replying_to_an_earlier_answer_uses_that_answer_as_context(start_bot) -> None:
    bot = await start_bot()
    [frog] = await bot.ask(FROG, user_id=7031)
    await bot.ask("What is a spinal epidural abscess and what causes it?", user_id=7031)
    frog_message = bot.fake.sent_messages(7031)[0]
    [reply] = await bot.ask("how long do I hold it?", user_id=7031, reply_to=frog_message)
    assert _quoted_passage(reply) == _quoted_passage(frog)


async def test_inline_query_offers_passages_with_source_and_disclaimer(start_bot) -> None:
    bot = await start_bot()
    query_id = bot.fake.inline_query("sciatica stretch")
    assert await bot.fake.until(lambda: bot.fake.inline_answers(query_id) is not None)
    results = bot.fake.inline_answers(query_id)
    assert 1 <= len(results) <= 5
    for result in results:
        text = unescape_html(result["input_message_content"]["message_text"])
        assert "Source: " in text and text.endswith(DISCLAIMER)
        assert result["input_message_content"]["parse_mode"] == "HTML"


async def test_inline_query_for_a_red_flag_offers_the_care_instruction_not_passages(start_bot) -> None:
    bot = await start_bot()
    query_id = bot.fake.inline_query("cant pee and my back is agony")
    assert await bot.fake.until(lambda: bot.fake.inline_answers(query_id) is not None)
    [result] = bot.fake.inline_answers(query_id)
    text = unescape_html(result["input_message_content"]["message_text"])
    assert "999" in text and "Source:" not in text and text.endswith(DISCLAIMER)


# -- one busy chat, the inbox ------------------------------------------------------------------


@pytest.mark.slow
async def test_a_flooded_group_gets_one_busy_notice_per_user_and_delays_no_other_chat(
    fake, pipeline, tmp_path
) -> None:
    # Before: every mention was queued (each holding one of 256 slots while it waited for the
    # group's pacing), nobody was told, an unrelated private question waited behind them, and
    # a stop waited for the whole queue to drain.
    fake.reset()
    settings = Settings(
        telegram_token=TEST_TOKEN,
        telegram_api_base_url=fake.base_url,
        feedback_db=tmp_path / "f.sqlite3",
        reload_interval=0,
        per_chat_max_rate=0.5,
        chat_queue_limit=3,
        user_rate_limit=0,
    )
    app = build_application(settings, pipeline, request_timeout=1.0)
    group = -100777
    users = [7000 + n for n in range(6)]
    async with polling(app, timeout=1):
        mentions = [
            fake.message(
                f"@{BOT_USERNAME} {QUESTION}",
                user_id=users[n % len(users)],
                chat_id=group,
                chat_type="supergroup",
            )
            for n in range(30)
        ]
        assert await fake.until(lambda: len(fake.requests("getUpdates")) >= 2)
        await asyncio.sleep(0.3)  # the flood is fetched and admitted or refused
        private = fake.message(OTHER_QUESTION, user_id=999)
        assert await fake.until(lambda: any(m["chat_id"] == 999 for m in fake.sent()), timeout=10)
        group_replies_so_far = [m for m in fake.sent() if m["chat_id"] == group]
        assert len(group_replies_so_far) < 3 + len(users), "the private answer waited for the group"
        dispatcher = app.bot_data["limber"].dispatcher
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10  # a stop with a paced backlog still ends quickly
    assert dispatcher.busy_refused == 30 - 3
    by_message = {m["message_id"]: m["from"]["id"] for m in mentions}
    notices = Counter(
        by_message[int(c.params["reply_parameters"]["message_id"])]
        for c in fake.requests("sendMessage")
        if c.params["chat_id"] == group and "busy" in c.params["text"]
    )
    assert notices and set(notices.values()) == {1}  # one notice per user, never a second
    assert private["chat"]["id"] == 999
    with sqlite3.connect(tmp_path / "inbox.sqlite3") as db:
        (unanswered,) = db.execute("SELECT COUNT(*) FROM updates WHERE answered_at IS NULL").fetchone()
    assert unanswered <= 3  # only admitted work can be left for the next start
    _check_what_users_saw(fake)  # the busy notices end with the disclaimer too


async def test_the_inbox_is_answered_at_start_and_an_answered_update_never_again(
    fake, pipeline, tmp_path
) -> None:
    from bot.telegram.inbox import Inbox

    fake.reset()
    settings = Settings(
        telegram_token=TEST_TOKEN,
        telegram_api_base_url=fake.base_url,
        feedback_db=tmp_path / "f.sqlite3",
        reload_interval=0,
    )
    fake.message(QUESTION, user_id=61)  # a previous run stored it and died before answering
    fake.message(OTHER_QUESTION, user_id=62)  # a previous run answered it
    stored = list(fake._updates)  # what that run fetched (and the next offset confirms)
    inbox = Inbox(settings.inbox_path)
    inbox.add(stored)
    inbox.mark_answered(stored[1]["update_id"])
    inbox.close()
    app = build_application(settings, pipeline, request_timeout=1.0)
    async with polling(app, timeout=1):
        [reply] = await fake.replies(1)
        assert reply["chat_id"] == 61
        fake.message("/help", user_id=63)
        await fake.replies(2)
        await asyncio.sleep(0.2)
    assert [m["chat_id"] for m in fake.sent()] == [61, 63]  # ...and it is not answered twice


async def test_a_reply_full_of_emoji_is_split_by_telegrams_count(start_bot) -> None:
    # Before: "/a" plus 2,040 emoji got a 400 "message is too long", then an apology.
    bot = await start_bot()
    await bot.ask("/a" + "😀" * 2040, replies=2)
    assert not [c for c in bot.fake.requests("sendMessage") if c.error]
