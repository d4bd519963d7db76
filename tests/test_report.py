"""The operator's report: grouped unanswered questions, 👎 by passage, replies per day."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import screenshot

from bot.__main__ import main
from bot.feedback import FeedbackStore
from bot.report import DAILY_KINDS, build_report, report_html, report_text
from bot.unanswered import UnansweredLog

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
TENNIS = ("tennis elbow brace recommendations", "which brace is best for tennis elbow?")


class Clock:
    def __init__(self) -> None:
        self.now = NOW - timedelta(days=2)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def filled(tmp_path: Path, pipeline) -> Path:
    """Three days of replies, unanswered questions and votes, as the bot records them."""
    clock = Clock()
    path = tmp_path / "feedback" / "feedback.sqlite3"
    with FeedbackStore(path, clock=clock) as store:
        log = UnansweredLog(store)
        days = [
            [*TENNIS, "How do I stretch tight hip flexors?", "What stretches help sciatica?"],
            [
                "What is the capital of France?",
                "How do I stretch tight hip flexors?",
                "I want to kill myself",
            ],
            [
                "I suddenly can't control my bladder and my lower back pain is terrible",
                TENNIS[0],
                "What stretches help sciatica?",
            ],
        ]
        for day, questions in enumerate(days):
            clock.now = NOW - timedelta(days=2 - day, hours=2)
            for chat, question in enumerate(questions):
                answer = pipeline.answer(question)
                log.observe(answer, chat_id=chat)
                if question == "What stretches help sciatica?":
                    store.record(
                        question=question, passage_id=answer.passages[0].passage.id, vote="down", chat_id=chat
                    )
                    log.vote(answer, 0, "down", chat_id=chat)
    return path


def test_report_groups_similar_questions_and_counts_replies_per_day(filled: Path, retriever) -> None:
    with FeedbackStore(filled) as store:
        report = build_report(store, retriever, days=3, now=NOW)
    tennis = [g for g in report.groups if set(g.questions) == set(TENNIS)]
    assert len(tennis) == 1 and tennis[0].count == 3
    assert tennis[0].closest_id and 0 < tennis[0].closest_score < 0.36
    assert report.groups[0] is tennis[0]  # the largest group first
    france = [g for g in report.groups if g.example == "What is the capital of France?"]
    assert france and france[0].kinds == {"no answer": 1}
    assert any(g.kinds == {"red flag only": 1} for g in report.groups)
    assert any(g.kinds == {"thumbs down": 2} for g in report.groups)
    [down] = report.down_votes
    assert down.count == 2 and down.questions == ("What stretches help sciatica?",)
    assert down.source.endswith(down.passage_id.split(":")[1])  # "..., paragraph N"
    assert [d.day for d in report.daily] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert [d.get("answer") for d in report.daily] == [2, 1, 1]
    assert [d.get("crisis") for d in report.daily] == [0, 1, 0]
    assert [d.get("red_flag") for d in report.daily] == [0, 0, 1]


def test_report_leaves_out_what_is_older_than_the_days_asked_for(filled: Path, retriever) -> None:
    with FeedbackStore(filled) as store:
        report = build_report(store, retriever, days=1, now=NOW)
    assert [d.day for d in report.daily] == ["2026-11-30"]
    assert {q for g in report.groups for q in g.questions} == {
        TENNIS[0],
        "I suddenly can't control my bladder and my lower back pain is terrible",
        "What stretches help sciatica?",
    }


def test_terminal_report_is_three_tables(filled: Path, retriever) -> None:
    with FeedbackStore(filled) as store:
        text = report_text(build_report(store, retriever, days=3, now=NOW))
    assert "Unanswered questions: 7 in 4 groups" in text
    assert "Thumbs-down votes by passage: 2" in text
    assert "2026-11-29  1          1          0          1" in text
    assert text.splitlines()[-1].split() == ["total", "4", "4", "1", "1"]


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)


def test_html_report_is_one_self_contained_page(filled: Path, retriever) -> None:
    with FeedbackStore(filled) as store:
        page = report_html(build_report(store, retriever, days=3, now=NOW))
    parser = _Resources()
    parser.feed(page)
    assert parser.external == [] and "script" not in parser.tags  # nothing fetched, nothing run
    assert page.count('class="bar"') == 3 * len(DAILY_KINDS)
    assert 'data-day="2026-11-29" data-kind="crisis" data-value="1"' in page
    assert "&lt;" not in TENNIS[1] and "which brace is best for tennis elbow?" in page


def test_html_report_escapes_what_users_wrote(tmp_path: Path, retriever) -> None:
    with FeedbackStore(tmp_path / "f" / "f.sqlite3", clock=lambda: NOW) as store:
        store.record(
            question="<script>alert(1)</script> & my back?", passage_id="x:1", vote="down", chat_id=1
        )
        page = report_html(build_report(store, retriever, days=1, now=NOW))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; my back?" in page


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_html_report_renders_in_a_real_browser_with_its_chart(
    filled: Path, retriever, tmp_path: Path
) -> None:
    from PIL import Image

    with FeedbackStore(filled) as store:
        page = tmp_path / "report.html"
        page.write_text(report_html(build_report(store, retriever, days=3, now=NOW)), encoding="utf-8")
    png = screenshot(page, tmp_path / "report.png", width=1200, height=900)
    assert _png_size(png) == (1200, 900)
    assert png.stat().st_size > 20_000  # text, tables and a chart, not a blank page
    image = Image.open(png).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    for _, _, colour in DAILY_KINDS:  # every kind's bars were drawn
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"no {colour} bar in the screenshot"


def test_report_command_prints_tables_and_writes_the_page(
    filled: Path, seed_index: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LIMBER_FEEDBACK_DB", str(filled))
    html_file = tmp_path / "out" / "report.html"
    assert main(["report", "--index", str(seed_index), "--days", "30", "--html", str(html_file)]) == 0
    out = capsys.readouterr().out
    assert "Unanswered questions:" in out and f"HTML report written to {html_file}" in out
    assert html_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_without_a_feedback_database_is_one_clear_line(
    tmp_path: Path, seed_index: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LIMBER_FEEDBACK_DB", str(tmp_path / "none.sqlite3"))
    assert main(["report", "--index", str(seed_index)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LIMBER_FEEDBACK_DB" in err
    assert not (tmp_path / "none.sqlite3").exists()
