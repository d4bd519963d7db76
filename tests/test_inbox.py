"""The update inbox: stored once, answered once, replayed until answered (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.telegram.inbox import Inbox, InboxError


def _update(update_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": "hi"}}


def test_an_update_id_is_stored_once_however_often_telegram_hands_it_out(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    assert inbox.add([_update(5), _update(6)]) == [5, 6]
    assert inbox.add([_update(6), _update(7)]) == [7]  # 6 again: not new, not answered again
    assert [e.update_id for e in inbox.unanswered()] == [5, 6, 7]
    assert inbox.next_offset() == 8


def test_answered_updates_are_not_replayed_and_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite3"
    inbox = Inbox(path)
    inbox.add([_update(1), _update(2), _update(3)])
    inbox.mark_answered(2)
    inbox.mark_answered(2)  # idempotent
    inbox.close()
    again = Inbox(path)
    assert [e.update_id for e in again.unanswered()] == [1, 3]
    assert again.answered(2) and not again.answered(1)
    assert again.add([_update(2)]) == []


def test_pruning_forgets_old_answers_but_keeps_the_offset(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    inbox.add([_update(1), _update(2)])
    inbox.mark_answered(1)
    inbox.mark_answered(2)
    assert inbox.prune(keep_seconds=-1) == 1  # the newest row stays: it carries the offset
    assert inbox.next_offset() == 3


def test_an_inbox_that_cannot_be_opened_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(InboxError, match="LIMBER_INBOX_DB"):
        Inbox(blocker / "inbox.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InboxError, match="cannot be opened"):
        Inbox(garbage)


def test_a_write_that_fails_is_one_clear_error(tmp_path: Path) -> None:
    # A full disk or a read-only file: the poller then does not confirm the batch to Telegram.
    import sqlite3

    inbox = Inbox(tmp_path / "inbox.sqlite3")
    inbox._db.close()
    inbox._db = sqlite3.connect(
        f"file:{tmp_path / 'inbox.sqlite3'}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
    )
    with pytest.raises(InboxError, match="free disk space"):
        inbox.add([_update(1)])
    with pytest.raises(InboxError, match="cannot write"):
        inbox.mark_answered(1)
