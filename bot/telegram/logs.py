"""Logging, and secrets that never reach a log line, stderr or a traceback.

Every secret Limber learns (the bot token, the webhook secret, a random webhook
secret made for one run) is registered with ``add_secret``. The logging formatter
and ``sys.excepthook`` blank each one out of whatever they print, so even an
exception nobody expected shows no token. ``configure_logging`` sets up the bot's
log lines (that formatter, the level); ``quiet_libraries`` keeps httpx's request
URLs (the token) and PTB's debug lines (users' text) out of them.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType

from bot.config import ConfigError, Settings

__all__ = [
    "RedactingFormatter",
    "add_secret",
    "configure_logging",
    "install_excepthook",
    "quiet_libraries",
    "redact",
]

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


def quiet_libraries(settings: Settings) -> None:
    """httpx logs request URLs, which contain the token; PTB's debug logs contain users' text."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    telegram_logger = logging.getLogger("telegram")
    if not settings.log_questions and telegram_logger.getEffectiveLevel() < logging.INFO:
        telegram_logger.setLevel(logging.INFO)


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ConfigError(
            f"LIMBER_LOG_LEVEL={settings.log_level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)"
        )
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            [settings.telegram_token, settings.webhook_secret],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # CPU feature probing, at start
