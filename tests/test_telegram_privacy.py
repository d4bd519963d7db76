"""Telegram end to end: /privacy, /forget, the unanswered log and retention, over the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# The e2e harness's fixtures, shared (tests naming them as parameters carry noqa: F811).
from test_telegram_e2e import QUESTION, _buttons, _text, fake, start_bot  # noqa: F401

from bot.feedback import FeedbackStore
from bot.replies import DISCLAIMER
from bot.telegram.jobs import enforce_retention as _enforce_retention

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]

OFF_TOPIC = "What is the capital of France?"


def _count(db: Path, table: str) -> int:
    try:
        with contextlib.closing(sqlite3.connect(db)) as connection:
            return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


async def test_privacy_says_what_is_kept_for_how_long_and_how_to_forget(start_bot) -> None:  # noqa: F811
    bot = await start_bot(retention_days=14)
    [reply] = await bot.ask("/privacy")
    text = _text(reply)
    assert "14 days" in text and "/forget" in text and "chat id" in text
    assert text.endswith(DISCLAIMER)


async def test_unanswered_question_is_kept_with_a_salted_hash_never_the_chat_id(start_bot) -> None:  # noqa: F811
    bot = await start_bot()
    chat_id = 987_654_321
    await bot.ask(OFF_TOPIC, user_id=chat_id)
    db = bot.settings.feedback_db
    assert await bot.fake.until(lambda: _count(db, "unanswered") == 1)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        [(question, kind, chat_hash)] = connection.execute(
            "SELECT question, kind, chat_hash FROM unanswered"
        ).fetchall()
    assert (question, kind) == (OFF_TOPIC, "no_answer")
    assert str(chat_id) not in chat_hash and str(chat_id).encode() not in db.read_bytes()


async def test_thumbs_down_goes_into_the_unanswered_log(start_bot) -> None:  # noqa: F811
    bot = await start_bot()
    await bot.ask(QUESTION)
    reply = bot.fake.sent_messages()[-1]
    await bot.press(reply, _buttons(reply)["👎"])
    db = bot.settings.feedback_db
    assert await bot.fake.until(lambda: _count(db, "unanswered") == 1)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        [(kind, passage_id)] = connection.execute("SELECT kind, passage_id FROM unanswered").fetchall()
    assert kind == "thumbs_down" and passage_id


async def test_forget_deletes_votes_and_questions_of_that_chat_and_says_so(start_bot) -> None:  # noqa: F811
    bot = await start_bot()
    db = bot.settings.feedback_db
    for chat in (501, 502):
        await bot.ask(OFF_TOPIC, user_id=chat)
        await bot.ask(QUESTION, user_id=chat)
        reply = bot.fake.sent_messages(chat)[-1]
        await bot.press(reply, _buttons(reply)["👎"])
    assert await bot.fake.until(lambda: _count(db, "unanswered") == 4 and _count(db, "feedback") == 2)
    [reply] = await bot.ask("/forget", user_id=501)
    text = _text(reply)
    assert "1 vote, 2 unanswered questions" in text and text.endswith(DISCLAIMER)
    with FeedbackStore(db) as store:
        assert {r.chat_hash for r in store.rows()} == {store.chat_hash(502)}
        left = store.run("SELECT DISTINCT chat_hash FROM unanswered")
        assert left == [(store.chat_hash(502),)]
    [again] = await bot.ask("/forget", user_id=501)
    assert "nothing to delete" in _text(again)


async def test_expired_rows_are_deleted_at_start(start_bot, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "feedback.sqlite3"
    old = datetime.now(UTC) - timedelta(days=31)
    with FeedbackStore(db, clock=lambda: old) as store:
        store.record(question="old question", passage_id=None, vote="down", chat_id=1)
        store.record(
            question="recent",
            passage_id=None,
            vote="down",
            chat_id=1,
            at=datetime.now(UTC) - timedelta(days=29),
        )
    bot = await start_bot(feedback_db=db)
    await bot.ask("/help")  # the bot is up: start-up is over
    with FeedbackStore(db) as store:
        assert [r.question for r in store.rows()] == ["recent"]


async def test_retention_is_enforced_again_while_the_bot_runs(start_bot) -> None:  # noqa: F811
    bot = await start_bot(retention_days=1)
    limber = bot.app.bot_data["limber"]
    limber.feedback.record(question="asked today", passage_id=None, vote="down", chat_id=1)
    assert _count(bot.settings.feedback_db, "feedback") == 1
    later = datetime.now(UTC) + timedelta(days=2)
    limber.feedback.clock = lambda: later  # two days pass
    task = asyncio.ensure_future(_enforce_retention(limber, 0.05))
    try:
        assert await bot.fake.until(lambda: _count(bot.settings.feedback_db, "feedback") == 0)
    finally:
        task.cancel()
