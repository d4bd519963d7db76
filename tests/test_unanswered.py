"""The unanswered-questions log, retention, /forget and the owner-only feedback database."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.answer import AnswerKind
from bot.feedback import FeedbackStore, Vote
from bot.privacy import forget_chat
from bot.replies import forgotten, privacy
from bot.unanswered import UnansweredKind, UnansweredLog, unanswered_kind

OFF_TOPIC = "What is the capital of France?"
DOSE = "How many ibuprofen can I take for my back?"
RED_FLAG_ONLY = "I suddenly can't control my bladder and my lower back pain is terrible"
ANSWERABLE = "How do I stretch tight hip flexors?"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    with FeedbackStore(tmp_path / "feedback" / "feedback.sqlite3", clock=clock) as opened:
        yield opened


def test_only_questions_the_documents_could_not_answer_are_kept(pipeline, store) -> None:
    log = UnansweredLog(store)
    kinds = {
        q: log.observe(pipeline.answer(q), chat_id=7)
        for q in (OFF_TOPIC, DOSE, RED_FLAG_ONLY, ANSWERABLE, "hello")
    }
    assert kinds == {
        OFF_TOPIC: UnansweredKind.NO_ANSWER,
        DOSE: None,
        RED_FLAG_ONLY: UnansweredKind.RED_FLAG_ONLY,
        ANSWERABLE: None,
        "hello": None,
    }
    rows = log.rows()
    assert [(r.question, r.kind, r.passage_id) for r in rows] == [
        (OFF_TOPIC, UnansweredKind.NO_ANSWER, ""),
        (RED_FLAG_ONLY, UnansweredKind.RED_FLAG_ONLY, ""),
    ]
    assert all(r.chat_hash == store.chat_hash(7) for r in rows)
    assert rows[0].created_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    counts = log.daily_counts()["2026-11-20"]
    assert counts[AnswerKind.ANSWER] == 1 and counts[AnswerKind.NO_ANSWER] == 2


def test_red_flag_with_a_passage_after_the_advice_is_not_kept(pipeline) -> None:
    answer = pipeline.answer("I have numbness in my groin and can't pee, what stretches help sciatica?")
    assert answer.kind is AnswerKind.RED_FLAG
    assert unanswered_kind(answer) == (None if answer.passages else UnansweredKind.RED_FLAG_ONLY)


def test_thumbs_down_keeps_the_passage_shown_and_thumbs_up_takes_it_back(pipeline, store) -> None:
    log = UnansweredLog(store)
    answer = pipeline.answer(ANSWERABLE)
    log.vote(answer, 0, Vote.DOWN, chat_id=7)
    [row] = log.rows()
    assert (row.kind, row.passage_id) == (UnansweredKind.THUMBS_DOWN, answer.passages[0].passage.id)
    assert row.passage_source == answer.passages[0].passage.source
    log.vote(answer, 0, Vote.DOWN, chat_id=7)  # tapped twice: still one row
    assert len(log.rows()) == 1
    log.vote(answer, 0, Vote.UP, chat_id=7)
    assert log.rows() == []


def test_the_log_can_be_turned_off_but_still_counts_replies(pipeline, store) -> None:
    log = UnansweredLog(store, enabled=False)
    assert log.observe(pipeline.answer(OFF_TOPIC), chat_id=7) is None
    assert log.rows() == [] and log.daily_counts()["2026-11-20"] == {"no_answer": 1}


def test_retention_deletes_votes_questions_and_counts_older_than_the_period(
    pipeline, store, clock: Clock
) -> None:
    log = UnansweredLog(store)
    log.observe(pipeline.answer(OFF_TOPIC), chat_id=7)
    store.record(question=OFF_TOPIC, passage_id=None, vote="down", chat_id=7)
    clock.now += timedelta(days=29)
    log.observe(pipeline.answer("best laptop for programming"), chat_id=8)
    assert store.purge_expired(30) == 0  # 29 days old: kept
    clock.now += timedelta(days=2)
    assert store.purge_expired(30) == 3  # the vote, the question and the day's count
    assert [r.question for r in log.rows()] == ["best laptop for programming"]
    assert store.rows() == [] and list(log.daily_counts()) == ["2026-12-19"]
    with pytest.raises(ValueError):
        store.purge_expired(0)


def test_forget_deletes_votes_and_questions_of_that_chat_only(pipeline, store) -> None:
    log = UnansweredLog(store)
    for chat in (7, 8):
        log.observe(pipeline.answer(OFF_TOPIC), chat_id=chat)
        store.record(question=ANSWERABLE, passage_id="doc:1", vote="down", chat_id=chat)
    report = forget_chat(7, [store])
    assert report.deleted == {"votes": 1, "unanswered questions": 1}
    assert {r.chat_hash for r in log.rows()} == {store.chat_hash(8)}
    assert {r.chat_hash for r in store.rows()} == {store.chat_hash(8)}
    assert "1 vote, 1 unanswered question" in forgotten(report.deleted)[0].text
    assert "nothing to delete" in forgotten(forget_chat(7, [store]).deleted)[0].text


def test_forget_covers_every_store_it_is_given() -> None:
    class Context:  # a later store (conversation context) joins by implementing forget_chat
        def forget_chat(self, chat_id: int) -> dict[str, int]:
            return {"remembered messages": 3 if chat_id == 7 else 0}

    report = forget_chat(7, [Context(), Context()])
    assert report.deleted == {"remembered messages": 6} and report.total == 6


def test_privacy_text_says_what_is_kept_and_for_how_long() -> None:
    text = "\n".join(b.text for b in privacy(45))
    assert "45 days" in text and "/forget" in text and "chat id" in text
    assert "could not answer" in text
    assert "could not answer" not in "\n".join(b.text for b in privacy(45, keep_unanswered=False))


def _mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_journal_and_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private" / "nested" / "feedback.sqlite3"
    with FeedbackStore(path) as store:
        store.record(question="q", passage_id="p", vote="up", chat_id=5)
        # The journal (write-ahead log and its index) holds recent rows: it gets the database's mode.
        for journal in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert journal.exists()
            assert _mode(journal) == 0o600
    assert _mode(path) == 0o600
    assert _mode(f"{path}.salt") == 0o600
    assert _mode(path.parent) == 0o700  # the folder that holds it


def test_a_world_readable_database_from_before_is_made_owner_only(tmp_path: Path, caplog) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).close()
    os.chmod(path, 0o644)
    os.chmod(tmp_path, 0o755)
    FeedbackStore(path).close()
    assert _mode(path) == 0o600
    assert "chmod 700" in caplog.text  # a folder we did not create is not changed, but named


def test_thumbs_down_on_a_no_answer_reply_is_not_kept_twice(pipeline, store) -> None:
    log = UnansweredLog(store)
    answer = pipeline.answer(OFF_TOPIC)
    log.observe(answer, chat_id=7)
    log.vote(answer, None, Vote.DOWN, chat_id=7)
    assert [r.kind for r in log.rows()] == [UnansweredKind.NO_ANSWER]
