"""A durable inbox of Telegram updates: SQLite in WAL mode, one row per update id.

Polling confirms an update to Telegram with the *next* ``getUpdates`` (its offset).
Limber writes every fetched update here, and commits, before that next call, so
an update Telegram forgets is never one Limber has not stored. Updates are answered
from the inbox and marked answered as soon as their reply is sent; at start the
bot answers whatever the inbox holds unanswered (a crash, a SIGKILL, a power cut
mid-answer). An update id already in the inbox is never stored, nor answered, a
second time, however often Telegram hands it out.

The one repeat left: a reply Telegram received but whose confirmation the process
died before reading (and recording). Nothing on the client side can tell that send
from one that never arrived.

Answered rows are kept for ``KEEP_SECONDS`` (Telegram keeps an unconfirmed update
for 24 hours, so a redelivery comes within that), then pruned.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from limber.errors import LimberError

__all__ = ["Inbox", "InboxEntry", "InboxError"]

KEEP_SECONDS = 48 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,                 -- the update as Telegram sent it (JSON)
    received_at REAL NOT NULL,          -- Unix time it was stored
    answered_at REAL                    -- NULL until it was answered
);
CREATE INDEX IF NOT EXISTS unanswered ON updates (update_id) WHERE answered_at IS NULL;
"""


class InboxError(LimberError):
    """The inbox file cannot be opened or written."""


@dataclass(frozen=True)
class InboxEntry:
    """One stored update."""

    update_id: int
    body: dict[str, Any]


class Inbox:
    """The journal; thread-safe (one connection under a lock), every write committed at once."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the call returns, so a power cut loses nothing
            # either (NORMAL would survive a killed process, not a lost machine).
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise InboxError(
                f"the update inbox {self.path} cannot be opened ({error}); check the disk and "
                "LIMBER_INBOX_DB, or move the file away to start a new inbox"
            ) from None

    def add(self, updates: list[dict[str, Any]]) -> list[int]:
        """Store ``updates`` (Telegram's JSON) in one transaction; the ids that were new."""
        now = time.time()
        new: list[int] = []
        with self._lock, self._write():
            self._db.execute("BEGIN IMMEDIATE")
            for body in updates:
                update_id = int(body["update_id"])
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO updates (update_id, body, received_at) VALUES (?, ?, ?)",
                    (update_id, json.dumps(body, ensure_ascii=False), now),
                )
                if cursor.rowcount:
                    new.append(update_id)
            self._db.execute("COMMIT")
        return new

    def mark_answered(self, update_id: int) -> None:
        """Record that ``update_id`` has been answered (idempotent)."""
        with self._lock, self._write():
            # No fsync for this one: a killed process loses no committed mark (WAL), only a
            # power cut can, and that costs a repeated answer, never a lost one.
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute(
                    "UPDATE updates SET answered_at = ? WHERE update_id = ? AND answered_at IS NULL",
                    (time.time(), update_id),
                )
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def answered(self, update_id: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT answered_at FROM updates WHERE update_id = ?", (update_id,)
            ).fetchone()
        return row is not None and row[0] is not None

    def unanswered(self) -> list[InboxEntry]:
        """Every stored update not yet answered, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT update_id, body FROM updates WHERE answered_at IS NULL ORDER BY update_id"
            ).fetchall()
        entries = []
        for update_id, body in rows:
            try:
                entries.append(InboxEntry(int(update_id), json.loads(body)))
            except ValueError:  # a damaged row: it can never be answered, so stop trying
                self.mark_answered(int(update_id))
        return entries

    def next_offset(self) -> int:
        """The ``getUpdates`` offset that confirms everything stored (0: nothing stored yet)."""
        with self._lock:
            (highest,) = self._db.execute("SELECT MAX(update_id) FROM updates").fetchone()
        return 0 if highest is None else int(highest) + 1

    def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Forget answered updates older than ``keep_seconds``, but always the newest one."""
        cutoff = time.time() - keep_seconds
        with self._lock, self._write():
            cursor = self._db.execute(
                "DELETE FROM updates WHERE answered_at IS NOT NULL AND answered_at < ? "
                "AND update_id < (SELECT MAX(update_id) FROM updates)",
                (cutoff,),
            )
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self) -> _Writing:
        return _Writing(self)


class _Writing:
    """Turns a failed write (disk full, read-only file) into one clear InboxError."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: object, tb: object) -> Literal[False]:
        if isinstance(error, sqlite3.Error):
            if self._inbox._db.in_transaction:
                self._inbox._db.execute("ROLLBACK")
            raise InboxError(
                f"cannot write the update inbox {self._inbox.path} ({error}); check the free "
                "disk space and the file's permissions"
            ) from None
        return False
