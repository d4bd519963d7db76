"""What Limber keeps about its users, in one local SQLite file; chats as salted hashes only.

Votes (👍/👎): one row per chat, question and passage; voting again changes the
vote. Unanswered questions (``bot.unanswered``): the question, its kind and the
passage shown. Daily counts of answers by kind, with nothing about who asked.

The chat id is never written: ``chat_hash`` is SHA-256 over a random salt and
the id. The salt lives in a separate file next to the database (``<db>.salt``),
so a copy of the database alone cannot be matched back to chat ids; delete the
salt file and the hashes of old rows can no longer be linked to new ones.

The database, its journal and the salt are created owner-only (0600), in a
folder created owner-only (0700). Rows older than the retention period are
deleted (``purge_expired``), and ``forget_chat`` deletes every row of one chat.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from limber.errors import LimberError

__all__ = ["FeedbackError", "FeedbackRow", "FeedbackStore", "Vote"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    passage_id TEXT NOT NULL,            -- '' when the reply quoted no passage (no answer)
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    chat_hash TEXT NOT NULL,             -- sha256(salt || chat id), never the id itself
    created_at TEXT NOT NULL,            -- ISO 8601, UTC
    UNIQUE (chat_hash, question, passage_id)
);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('no_answer', 'thumbs_down', 'red_flag_only')),
    passage_id TEXT NOT NULL,            -- the passage shown, '' when none was
    passage_source TEXT NOT NULL,        -- its source as the user read it, '' when none
    chat_hash TEXT NOT NULL,             -- sha256(salt || chat id), never the id itself
    created_at TEXT NOT NULL             -- ISO 8601, UTC
);
CREATE TABLE IF NOT EXISTS daily_answers (   -- counts only: nothing about who asked or what
    day TEXT NOT NULL,                   -- YYYY-MM-DD, UTC
    kind TEXT NOT NULL,                  -- bot.answer.AnswerKind
    count INTEGER NOT NULL,
    PRIMARY KEY (day, kind)
);
"""
# Tables with rows about one chat: what /forget deletes, with the words the reply uses.
_CHAT_TABLES = {"feedback": "votes", "unanswered": "unanswered questions"}
_JOURNALS = ("-journal", "-wal", "-shm")


class FeedbackError(LimberError):
    """The feedback store or its salt file cannot be used."""


class Vote(StrEnum):
    """What the 👍 and 👎 buttons record."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class FeedbackRow:
    """One stored vote."""

    question: str
    passage_id: str
    vote: Vote
    chat_hash: str
    created_at: str


class FeedbackStore:
    """Votes and unanswered questions in one SQLite file; one connection shared under a lock.

    ``clock`` gives the time rows are stamped with and retention counts from (UTC).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        salt: bytes | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock or (lambda: datetime.now(UTC))
        in_memory = str(path) == ":memory:"
        if not in_memory:
            _private_folder(self.path.parent)
            _private_file(self.path)
        if salt is None:
            salt = secrets.token_bytes(32) if in_memory else _load_salt(Path(f"{self.path}.salt"))
        self._salt = salt
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            with self._lock:
                if not in_memory:
                    # Write-ahead log: a write per answer costs no fsync of its own, and the
                    # report can read while the bot writes. -wal and -shm get the database's mode.
                    self._db.execute("PRAGMA journal_mode=WAL")
                    self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise FeedbackError(
                f"the feedback store {path} cannot be opened ({error}); check LIMBER_FEEDBACK_DB and the disk"
            ) from None

    def run(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement under the lock (for ``bot.unanswered`` and ``bot.report``)."""
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def now(self) -> str:
        """The current time as stored: ISO 8601, UTC, seconds."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def forget_chat(self, chat_id: int) -> dict[str, int]:
        """Delete every row about ``chat_id``; how many of each kind were deleted."""
        chat_hash = self.chat_hash(chat_id)
        deleted = {}
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for table, words in _CHAT_TABLES.items():
                cursor = self._db.execute(f"DELETE FROM {table} WHERE chat_hash = ?", (chat_hash,))
                deleted[words] = cursor.rowcount
        return deleted

    def purge_expired(self, retention_days: int) -> int:
        """Delete votes, unanswered questions and daily counts older than ``retention_days``."""
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        cutoff = self.clock().astimezone(UTC) - timedelta(days=retention_days)
        stamp = cutoff.isoformat(timespec="seconds")
        deleted = 0
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for table in _CHAT_TABLES:
                deleted += self._db.execute(f"DELETE FROM {table} WHERE created_at < ?", (stamp,)).rowcount
            deleted += self._db.execute(
                "DELETE FROM daily_answers WHERE day < ?", (cutoff.date().isoformat(),)
            ).rowcount
        return deleted

    def chat_hash(self, chat_id: int) -> str:
        """The salted SHA-256 of a chat id, as stored."""
        return hashlib.sha256(self._salt + str(int(chat_id)).encode()).hexdigest()

    def record(
        self,
        *,
        question: str,
        passage_id: str | None,
        vote: Vote | str,
        chat_id: int,
        at: datetime | None = None,
    ) -> None:
        """Store a vote; a second vote of the same chat on the same passage replaces the first."""
        when = at.astimezone(UTC).isoformat(timespec="seconds") if at else self.now()
        row = (question, passage_id or "", Vote(vote).value, self.chat_hash(chat_id), when)
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (question, passage_id, vote, chat_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_hash, question, passage_id)"
                " DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at",
                row,
            )

    def rows(self) -> list[FeedbackRow]:
        """Every stored vote, oldest first."""
        with self._lock:
            found = self._db.execute(
                "SELECT question, passage_id, vote, chat_hash, created_at FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRow(q, p, Vote(v), h, t) for q, p, v, h, t in found]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only (0700); warn when an existing one is open to others."""
    if not folder.exists():
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        return
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        logger.warning(
            "the feedback folder %s is readable by other users (mode %o); run: chmod 700 %s",
            folder,
            mode,
            folder,
        )


def _private_file(path: Path) -> None:
    """The database owner-only (0600) before SQLite opens it; its journals get the same mode."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    for name in (str(path), *(f"{path}{suffix}" for suffix in _JOURNALS)):
        if os.path.exists(name):
            os.chmod(name, 0o600)  # also tightens a database made world-readable by an older Limber


def _load_salt(path: Path) -> bytes:
    """The salt in ``path``, created (32 random bytes, owner-only) on first use."""
    try:
        return _read_salt(path)
    except FileNotFoundError:
        pass
    salt = secrets.token_bytes(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_salt(path)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(salt.hex() + "\n")
    return salt


def _read_salt(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise FeedbackError(
            f"the feedback salt file {path} cannot be read ({error.strerror}); check its permissions"
        ) from None
    try:
        salt = bytes.fromhex(text)
    except ValueError:
        salt = b""
    if len(salt) < 16:
        raise FeedbackError(
            f"{path} does not hold a feedback salt (hex, 32 bytes); delete it to "
            "start a new one (old votes then no longer link to their chats)"
        )
    return salt
