"""Feedback on answers (👍/👎) in a local SQLite file; chats are kept as salted hashes only.

One row per chat, question and passage: voting again changes the vote. The chat
id is never written: ``chat_hash`` is SHA-256 over a random salt and the id. The
salt lives in a separate file next to the database (``<db>.salt``, mode 0600),
so a copy of the database alone cannot be matched back to chat ids; delete the
salt file and the hashes of old rows can no longer be linked to new ones.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from index.errors import LimberError

__all__ = ["FeedbackError", "FeedbackRow", "FeedbackStore", "Vote"]

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
"""


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
    """Votes in one SQLite file; one connection, shared by threads under a lock."""

    def __init__(self, path: Path | str, *, salt: bytes | None = None) -> None:
        self.path = Path(path)
        in_memory = str(path) == ":memory:"
        if not in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if salt is None:
            salt = secrets.token_bytes(32) if in_memory else _load_salt(Path(f"{self.path}.salt"))
        self._salt = salt
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            with self._lock:
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise FeedbackError(f"the feedback store {path} cannot be opened ({error}); check "
                                "LIMBER_FEEDBACK_DB and the disk") from None

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
        when = (at or datetime.now(UTC)).isoformat(timespec="seconds")
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
        raise FeedbackError(f"the feedback salt file {path} cannot be read ({error.strerror}); "
                            "check its permissions") from None
    try:
        salt = bytes.fromhex(text)
    except ValueError:
        salt = b""
    if len(salt) < 16:
        raise FeedbackError(f"{path} does not hold a feedback salt (hex, 32 bytes); delete it to "
                            "start a new one (old votes then no longer link to their chats)")
    return salt
