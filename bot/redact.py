"""Secrets never reach a log line, stderr or a traceback: one registry, one formatter, one hook.

Every secret Limber learns (the bot token, the webhook secret, a random webhook
secret made for one run) is registered with ``add_secret``. The logging formatter
and ``sys.excepthook`` blank each one out of whatever they print, so even an
exception nobody expected shows no token.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType

__all__ = ["RedactingFormatter", "add_secret", "install_excepthook", "redact"]

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
REDACTED = "<redacted>"


def add_secret(secret: str | None) -> None:
    """Blank ``secret`` out of every later log line and traceback (and a token's key part too)."""
    if not secret or len(secret) < 4:
        return
    with _LOCK:
        _SECRETS.add(secret)
        if ":" in secret:  # a bot token: its key part alone is as secret as the whole
            key = secret.split(":", 1)[1]
            if len(key) >= 8:
                _SECRETS.add(key)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by <redacted>, longest first."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter that blanks secrets out of every line, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        for secret in secrets:
            add_secret(secret)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(redact(text))
    sys.stderr.flush()


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    sys.stderr.write(f"Exception in {name}:\n")
    _hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def install_excepthook() -> None:
    """Route uncaught exceptions (main thread and others) through ``redact``."""
    sys.excepthook = _hook
    threading.excepthook = _thread_hook
