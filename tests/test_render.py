"""Rendering: Telegram HTML that is always valid, split under the limit, disclaimer last."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import Answer, AnswerKind, Block, Span
from bot.render import TELEGRAM_LIMIT, blocks_parts, split_html, telegram_parts
from bot.replies import DISCLAIMER

ALLOWED_TAGS = {"b", "i", "a", "blockquote"}


class _TagChecker(HTMLParser):
    """Fails on tags Telegram does not accept and on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(markup: str) -> str:
    """The text Telegram shows for ``markup``; asserts the markup is valid on the way."""
    checker = _TagChecker()
    checker.feed(markup)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack}"
    return "".join(checker.text)


def _answer(*blocks: Block) -> Answer:
    return Answer(
        question="q",
        kind=AnswerKind.ANSWER,
        blocks=(*blocks, Block((Span(DISCLAIMER, italic=True),))),
        disclaimer=DISCLAIMER,
    )


def test_document_text_is_escaped_so_it_cannot_break_formatting() -> None:
    hostile = '<b>bold</b> </pre> [x](javascript:alert(1)) & <a href="x">'
    parts = telegram_parts(_answer(Block((Span(hostile),), quote=True)))
    assert "<b>bold</b>" not in parts[0]
    assert visible_text(parts[0]).startswith(hostile)


def test_long_replies_are_split_between_blocks_and_end_with_the_disclaimer() -> None:
    blocks = [Block.plain(f"Paragraph {i}. " + "stretch gently " * 60) for i in range(30)]
    parts = telegram_parts(_answer(*blocks))
    assert len(parts) > 1
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert visible_text(parts[-1]).endswith(DISCLAIMER)
    for part in parts:  # no block is cut in two
        assert visible_text(part).startswith("Paragraph") or DISCLAIMER in part


def test_a_single_block_longer_than_the_limit_is_cut_at_words() -> None:
    giant = Block((Span("word & more " * 1000, bold=True),))
    parts = telegram_parts(_answer(giant))
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    for part in parts:
        visible_text(part)
    assert "".join(visible_text(p) for p in parts).count("word") == 1000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text(max_size=1500), st.booleans(), st.booleans()), min_size=1, max_size=12))
def test_any_text_renders_as_valid_html_under_the_limit(pieces) -> None:
    blocks = [Block((Span(text, bold=bold),), quote=quote) for text, bold, quote in pieces]
    parts = telegram_parts(_answer(*blocks))
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert visible_text(parts[-1]).endswith(DISCLAIMER)
    for part in parts:
        visible_text(part)


@pytest.fixture(scope="module")
def shared_pipeline(pipeline):
    return pipeline


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=400))
def test_any_unicode_question_gets_a_valid_reply_with_the_disclaimer(shared_pipeline, question) -> None:
    answer = shared_pipeline.answer(question)
    assert answer.reply.endswith(DISCLAIMER)
    parts = telegram_parts(answer)
    assert visible_text(parts[-1]).endswith(DISCLAIMER)
    for part in parts:
        assert 0 < len(part) <= TELEGRAM_LIMIT
        visible_text(part)


@pytest.mark.parametrize(
    "question",
    [
        "   ",
        "\n\t",
        "🦴🧘‍♀️💥",
        "مرحبا، ظهري يؤلمني",
        "שלום כואב לי הגב",
        "\u202eevil rtl text",
        "<b>hip</b> </pre> [x](javascript:alert(1))",
        "**sciatica** _stretches_ `code`",
        "/start@LimberBot extra words",
        "a" * 100_000,
        "\x00\x01\x02 psoas \x7f",
        "Rückenschmerzen, was tun?",
        "腰痛のストレッチ",
    ],
)
def test_hostile_and_odd_messages_are_answered_with_the_disclaimer(pipeline, question) -> None:
    answer = pipeline.answer(question)
    parts = telegram_parts(answer)
    assert visible_text(parts[-1]).endswith(DISCLAIMER)
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        visible_text(part)


def test_parts_are_measured_in_utf16_units_as_telegram_counts_them() -> None:
    # Before: code points were counted, so 2,040 emoji (4,080 units) plus text went out as one
    # message and Telegram answered 400 "message is too long".
    from bot.render import utf16_length

    emoji = "😀" * 2040
    parts = split_html([f"I don't know the command /a{emoji}.", "Try /help.", DISCLAIMER])
    assert all(utf16_length(part) <= 4096 for part in parts)
    assert len(parts) >= 2 and parts[-1].endswith(DISCLAIMER)
    pieces = split_html(["😀" * 5000])
    assert all(utf16_length(p) <= 4096 for p in pieces) and "".join(pieces) == "😀" * 5000


def test_every_reply_of_bot_replies_ends_with_the_disclaimer_and_the_renderer_adds_none() -> None:
    from bot import replies

    for blocks in (
        replies.welcome(),
        replies.help_text("limber_bot"),
        replies.about(3, ["a.txt", "medquad.txt"], "m"),
        replies.privacy(30),
        replies.forgotten({}),
        replies.forgotten({"votes": 1}),
        replies.unknown_command("/x"),
        replies.busy(),
        replies.only_text(),
        replies.rate_limited(5),
        replies.apology(),
    ):
        assert blocks[-1] == replies.disclaimer_block()
        assert sum(DISCLAIMER in block.text for block in blocks) == 1
    assert DISCLAIMER not in "".join(blocks_parts([Block.plain("no disclaimer here")]))
