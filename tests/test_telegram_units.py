"""The Telegram adapter's pure parts: callback data, the per-user limit, feedback, fallbacks.

The end-to-end behaviour is in test_telegram_e2e.py; these pin down the pieces
whose edge cases are cheaper to reach directly.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.answer import Answer, AnswerKind, Block
from bot.config import ConfigError, Settings
from bot.feedback import FeedbackStore, Vote
from bot.replies import DISCLAIMER
from bot.telegram.app import file_url as _file_url
from bot.telegram.buttons import ButtonData, answer_tag, parse_button
from bot.telegram.delivery import as_plain_text as _as_plain_text
from bot.telegram.delivery import transient as _transient
from bot.telegram.limits import Admission, UserRateLimiter
from bot.telegram.webhook import webhook_options
from limber.fake_bot_api import TEST_TOKEN, html_problem

TAG = "0123456789ab"
# PTB itself warns when it builds a RetryAfter while retry_after is still an int (v22.2+).
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# -- callback data -----------------------------------------------------------------------------


@given(st.text(max_size=200))
def test_parse_button_never_crashes_on_arbitrary_data(data: str) -> None:
    parsed = parse_button(data)
    assert parsed is None or parsed.encode() == data


@given(
    st.sampled_from(["more", "vote"]),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(list(Vote)),
)
def test_button_data_round_trips_within_telegrams_64_bytes(action: str, index: int, vote: Vote):
    data = ButtonData(action, index, vote if action == "vote" else None, TAG)
    encoded = data.encode()
    assert len(encoded.encode()) <= 64
    assert parse_button(encoded) == data


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "more:1",
        f"v2:more:1:{TAG}",  # a future or past version
        f"v1:more:1:{TAG.upper()}",
        f"v1:more:-1:{TAG}",
        f"v1:more:100:{TAG}",
        f"v1:more:1:{TAG}0",
        f"v1:vote:1:maybe:{TAG}",
        f"v1:vote:1:up:{TAG}:extra",
        f"v1:more:1:{TAG}\n",
    ],
)
def test_forged_or_foreign_callback_data_is_rejected(data: object) -> None:
    assert parse_button(data) is None


def test_answer_tag_changes_with_the_question_and_the_passages(pipeline) -> None:
    answer = pipeline.answer("How do I stretch tight hip flexors?")
    assert answer_tag(answer) == answer_tag(pipeline.answer("How do I stretch tight hip flexors?"))
    assert answer_tag(answer) != answer_tag(pipeline.answer("What stretches help sciatica?"))
    fewer = Answer(answer.question, answer.kind, answer.blocks, answer.disclaimer, answer.passages[:1])
    assert answer_tag(fewer) != answer_tag(answer)  # the index changed: old buttons go stale


# -- per-user rate limit -----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_warns_once_per_window_then_stays_silent() -> None:
    clock = Clock()
    limiter = UserRateLimiter(3, window=60, clock=clock)
    verdicts = [limiter.check(1) for _ in range(6)]
    assert verdicts == [Admission.ALLOW] * 3 + [Admission.WARN] + [Admission.SILENT] * 2
    assert limiter.check(2) is Admission.ALLOW  # another user is not affected


def test_rate_limit_window_slides_and_a_new_excess_is_told_again() -> None:
    clock = Clock()
    limiter = UserRateLimiter(2, window=60, clock=clock)
    assert [limiter.check(1) for _ in range(3)] == [Admission.ALLOW, Admission.ALLOW, Admission.WARN]
    clock.now += 30
    assert limiter.check(1) is Admission.SILENT
    clock.now += 31  # the first two answers are more than a minute old
    assert [limiter.check(1) for _ in range(4)] == [
        Admission.ALLOW,
        Admission.ALLOW,
        Admission.WARN,
        Admission.SILENT,
    ]


def test_rate_limit_of_zero_means_no_limit() -> None:
    limiter = UserRateLimiter(0)
    assert all(limiter.check(1) is Admission.ALLOW for _ in range(100))


def test_rate_limiter_memory_stays_bounded_with_many_users() -> None:
    clock = Clock()
    limiter = UserRateLimiter(5, window=60, clock=clock)
    for user in range(10_001):
        limiter.check(user)
    clock.now += 61
    limiter.check(-1)
    limiter.check(-2)
    assert len(limiter._hits) < 10


# -- feedback store ----------------------------------------------------------------------------


def test_feedback_survives_a_restart_and_never_stores_the_chat_id(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "feedback.sqlite3"
    chat_id = 987_654_321
    with FeedbackStore(path) as store:
        store.record(question="hips?", passage_id="doc:3", vote=Vote.UP, chat_id=chat_id)
        first_hash = store.chat_hash(chat_id)
    with FeedbackStore(path) as store:
        rows = store.rows()
        assert store.chat_hash(chat_id) == first_hash  # the salt survived too
    assert [(r.question, r.passage_id, r.vote) for r in rows] == [("hips?", "doc:3", Vote.UP)]
    assert rows[0].chat_hash == first_hash and str(chat_id) not in first_hash
    assert str(chat_id).encode() not in path.read_bytes()


def test_feedback_salt_file_is_private_and_separate_from_the_database(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).close()
    salt = Path(f"{path}.salt")
    assert stat.S_IMODE(os.stat(salt).st_mode) == 0o600
    assert salt.read_text().strip() not in path.read_bytes().decode("latin-1")


def test_same_chat_same_passage_votes_again_replaces_the_vote(tmp_path: Path) -> None:
    with FeedbackStore(tmp_path / "f.sqlite3") as store:
        store.record(question="q", passage_id="p", vote="up", chat_id=5)
        store.record(question="q", passage_id="p", vote="down", chat_id=5)
        store.record(question="q", passage_id=None, vote="down", chat_id=5)
        store.record(question="q", passage_id=None, vote="up", chat_id=5)
        store.record(question="q", passage_id="p", vote="up", chat_id=6)
        votes = [(r.passage_id, r.vote.value) for r in store.rows()]
    assert votes == [("p", "down"), ("", "up"), ("p", "up")]


def test_feedback_store_rejects_an_unknown_vote(tmp_path: Path) -> None:
    with FeedbackStore(tmp_path / "f.sqlite3") as store, pytest.raises(ValueError):
        store.record(question="q", passage_id="p", vote="meh", chat_id=5)


def test_damaged_salt_file_is_a_clear_error(tmp_path: Path) -> None:
    # Before: a bare ValueError, which the command line printed as a traceback (exit 1).
    from limber.errors import LimberError

    path = tmp_path / "f.sqlite3"
    Path(f"{path}.salt").write_text("not hex at all")
    with pytest.raises(LimberError, match="delete it"):
        FeedbackStore(path)
    Path(f"{path}.salt").unlink()
    Path(f"{path}.salt").mkdir()
    with pytest.raises(LimberError, match="cannot be read"):
        FeedbackStore(path)


def test_feedback_schema_is_what_the_readme_promises(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "f.sqlite3").close()
    with sqlite3.connect(tmp_path / "f.sqlite3") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    assert columns == ["id", "question", "passage_id", "vote", "chat_hash", "created_at"]


# -- delivery helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (NetworkError("Bad Gateway"), True),
        (TimedOut(), True),
        (BadRequest("Can't parse entities"), False),  # a NetworkError subclass: never retried
        (Forbidden("bot was blocked by the user"), False),
        (RetryAfter, False),  # the rate limiter's job (built in the test: PTB warns on build)
        (TelegramError("something else"), False),
    ],
)
def test_only_transient_errors_are_retried(error: TelegramError | type, retry: bool) -> None:
    if error is RetryAfter:
        error = RetryAfter(dt.timedelta(seconds=3))
    assert _transient(error) is retry


def test_garbled_server_response_counts_as_transient() -> None:
    try:
        try:
            raise ValueError("Expecting value")
        except ValueError as cause:
            raise TelegramError("Invalid server response") from cause
    except TelegramError as error:
        assert _transient(error)


def test_plain_text_fallback_keeps_the_text_links_and_disclaimer() -> None:
    markup = (
        "<blockquote><b>Stretch</b> &lt;gently&gt; &amp; slowly</blockquote>\n\n"
        'Source: <a href="https://example.org/a?b=1&amp;c=2">Example</a>'
    )
    plain = _as_plain_text(markup)
    assert plain.startswith("Stretch <gently> & slowly")
    assert "Example (https://example.org/a?b=1&c=2)" in plain
    assert plain.endswith(DISCLAIMER)
    assert _as_plain_text(f"<i>{DISCLAIMER}</i>").count(DISCLAIMER) == 1
    assert len(_as_plain_text("x" * 4096)) <= 4096


def test_self_hosted_bot_api_url_gives_the_matching_file_url() -> None:
    assert _file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert _file_url("https://h/bot{token}/x") is None
    assert _file_url("https://h/api/bot{token}") == "https://h/api/file/bot{token}"


def test_webhook_gets_the_path_of_its_url_and_a_secret_even_when_none_is_set() -> None:
    settings = Settings(
        telegram_token=TEST_TOKEN, webhook_url="https://example.org/hooks/limber", webhook_port=8443
    )
    options = webhook_options(settings)
    assert options["url_path"] == "hooks/limber"
    assert options["secret_token"] and len(options["secret_token"]) >= 32
    assert options["drop_pending_updates"] is False
    chosen = webhook_options(Settings(webhook_url="https://e/x", webhook_secret="s3cret_-X"))
    assert chosen["secret_token"] == "s3cret_-X"
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        webhook_options(Settings(webhook_url="https://e/x", webhook_secret="no spaces!"))


# -- the fake server's HTML check is as strict as Telegram ----------------------------------------


@pytest.mark.parametrize(
    ("markup", "ok"),
    [
        ("<b>bold</b> &amp; <i>italic</i> &lt;3", True),
        ('<a href="https://x">x</a><blockquote>q</blockquote>', True),
        ("<b>unclosed", False),
        ("<b><i>crossed</b></i>", False),
        ("<p>paragraph</p>", False),
        ("<br>", False),
        ("fish & chips", False),
        ("1 < 2", False),
        ("&nbsp;", False),
        ("<blockquote><blockquote>x</blockquote></blockquote>", False),
    ],
)
def test_fake_server_refuses_html_that_telegram_refuses(markup: str, ok: bool) -> None:
    assert (html_problem(markup) is None) is ok


def test_every_block_the_renderer_makes_is_valid_telegram_html(pipeline) -> None:
    from bot.render import telegram_parts

    for question in [
        "How do I stretch tight hip flexors?",
        "hello",
        "help",
        "<b>&amp;</b> & <",
        "I can't feel my groin and I can't pee",
        "quelle heure est-il",
    ]:
        answer = pipeline.answer(question)
        for part in telegram_parts(answer):
            assert html_problem(part) is None, part
    long = Answer("q", AnswerKind.ANSWER, (Block.plain("<&>" * 3000), Block.plain(DISCLAIMER)), DISCLAIMER)
    assert all(html_problem(p) is None and len(p) <= 4096 for p in telegram_parts(long))


def test_log_lines_are_scrubbed_of_the_token_even_in_tracebacks() -> None:
    import logging

    from bot.telegram.logs import RedactingFormatter as _RedactingFormatter

    formatter = _RedactingFormatter("%(message)s", [TEST_TOKEN, ""])
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TEST_TOKEN}/getMe failed")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url was %s", (TEST_TOKEN,), sys.exc_info()
        )
    line = formatter.format(record)
    assert TEST_TOKEN not in line and line.count("<redacted>") == 2


def test_the_webhook_listens_on_localhost_unless_told_otherwise() -> None:
    # Before: 0.0.0.0, reachable by anyone who can reach the machine.
    assert Settings().webhook_listen == "127.0.0.1"
    assert Settings.from_env({}).webhook_listen == "127.0.0.1"


def test_the_random_webhook_secret_never_reaches_a_debug_log_line(capsys) -> None:
    import logging

    from bot.telegram.logs import configure_logging as _configure_logging

    settings = Settings(telegram_token=TEST_TOKEN, webhook_url="https://e/x", log_level="DEBUG")
    _configure_logging(settings)
    try:
        secret = webhook_options(settings)["secret_token"]
        logging.getLogger("limber.test.ExtBot").debug(  # as PTB's debug line would say it
            "Calling Bot API endpoint `setWebhook` with parameters `{'secret_token': '%s'}`", secret
        )
        logged = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
    assert "setWebhook" in logged and secret not in logged


def test_out_of_descriptors_the_accept_loop_pauses_and_logs_once_a_second(caplog) -> None:
    # Before: EMFILE from accept() gave a traceback on every turn of the event loop (185 MB in 16 s).
    import asyncio
    import errno
    import logging
    import socket

    from bot.telegram.webhook import _accept_handler, _OncePerSecond

    class Exhausted:
        def __init__(self, real: socket.socket) -> None:
            self.real = real
            self.calls = 0

        def fileno(self) -> int:
            return self.real.fileno()

        def accept(self):
            self.calls += 1
            raise OSError(errno.EMFILE, "Too many open files")

    async def run() -> Exhausted:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        client = socket.create_connection(listener.getsockname())  # keeps the listener readable
        exhausted = Exhausted(listener)
        remove = _accept_handler(exhausted, lambda *_: None, _OncePerSecond())  # type: ignore[arg-type]
        await asyncio.sleep(0.5)
        remove()
        client.close()
        listener.close()
        return exhausted

    caplog.set_level(logging.DEBUG, logger="bot.telegram.webhook")
    exhausted = asyncio.run(run())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert exhausted.calls == 1  # paused for a second after the first failure, not spinning
    assert len(errors) == 1 and "EMFILE" in errors[0].getMessage()
