"""All of Limber's configuration in one dataclass, filled from the environment and flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from limber.errors import LimberError

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_CORPUS_DIR",
    "DEFAULT_INDEX_DIR",
    "ConfigError",
    "Settings",
]

DEFAULT_CORPUS_DIR = "corpus"
DEFAULT_INDEX_DIR = "var/index"
DEFAULT_CACHE_DIR = "var/cache"
_TOKEN_RE = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,}$")


class ConfigError(LimberError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Every knob, with its environment variable in the comment."""

    index_dir: Path = Path(DEFAULT_INDEX_DIR)  # LIMBER_INDEX_DIR
    # LIMBER_CORPUS_DIR: the corpus the index is checked against (unset: the folder the index
    # was built from, as its manifest says)
    corpus_dir: Path | None = None
    feedback_db: Path = Path("var/feedback/feedback.sqlite3")  # LIMBER_FEEDBACK_DB (folder 0700)
    retention_days: int = 30  # LIMBER_RETENTION_DAYS: votes and unanswered questions kept this long
    keep_unanswered: bool = True  # LIMBER_KEEP_UNANSWERED: the unanswered-questions log
    log_level: str = "INFO"  # LIMBER_LOG_LEVEL
    log_questions: bool = False  # LIMBER_LOG_QUESTIONS: log users' text (off for privacy)
    top_k: int = 5  # LIMBER_TOP_K: passages behind one answer (the first shown, the rest via "More")
    encoder_threads: int = 0  # LIMBER_ENCODER_THREADS: cores one question may use (0: all)
    # Telegram
    telegram_token: str = ""  # TELEGRAM_BOT_TOKEN, or a file named by TELEGRAM_BOT_TOKEN_FILE
    telegram_api_base_url: str = ""  # TELEGRAM_API_BASE_URL, e.g. http://127.0.0.1:8081/bot
    webhook_url: str = ""  # TELEGRAM_WEBHOOK_URL: webhook mode when set
    webhook_listen: str = "127.0.0.1"  # TELEGRAM_WEBHOOK_LISTEN: a reverse proxy in front
    webhook_port: int = 8443  # TELEGRAM_WEBHOOK_PORT
    webhook_secret: str = ""  # TELEGRAM_WEBHOOK_SECRET: updates without it are refused
    user_rate_limit: int = 20  # LIMBER_USER_RATE_LIMIT: questions per user per minute
    overall_max_rate: float = 30.0  # LIMBER_OVERALL_MAX_RATE: requests per second, all chats
    per_chat_max_rate: float = 1.0  # LIMBER_PER_CHAT_MAX_RATE: messages per second, one chat
    send_retries: int = 3  # LIMBER_SEND_RETRIES: attempts after a failed send
    typing_delay: float = 0.3  # LIMBER_TYPING_DELAY: seconds before "typing…" is shown
    reload_interval: float = 2.0  # LIMBER_RELOAD_INTERVAL: seconds between index checks
    inbox_db: Path | None = None  # LIMBER_INBOX_DB: the update journal (default: beside feedback_db)
    chat_queue_limit: int = 10  # LIMBER_CHAT_QUEUE_LIMIT: updates one chat may have waiting

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``env`` (default: os.environ), then non-None ``overrides`` (flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, variable in _ENVIRONMENT.items():
            if env.get(variable, "").strip():
                values[name] = env[variable].strip()
        if not values.get("telegram_token") and env.get("TELEGRAM_BOT_TOKEN_FILE"):
            values["telegram_token"] = _read_token_file(Path(env["TELEGRAM_BOT_TOKEN_FILE"]))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._with(values)

    def _with(self, values: Mapping[str, object]) -> Settings:
        converted: dict[str, Any] = {}  # Any: each value now has its field's type (_convert)
        types = {f.name: f.type for f in fields(self)}
        for name, raw in values.items():
            converted[name] = _convert(name, types[name], raw)
        settings = replace(self, **converted)
        if settings.retention_days < 1:
            raise ConfigError(
                f"LIMBER_RETENTION_DAYS={settings.retention_days} must be at least 1 "
                "(days that votes and unanswered questions are kept)"
            )
        return settings

    @property
    def inbox_path(self) -> Path:
        """The update inbox: LIMBER_INBOX_DB, or inbox.sqlite3 beside the feedback store."""
        if self.inbox_db is not None:
            return Path(self.inbox_db)
        if str(self.feedback_db) == ":memory:":
            return Path(":memory:")
        return Path(self.feedback_db).with_name("inbox.sqlite3")

    def require_token(self) -> str:
        """The bot token, checked for shape; a clear ConfigError when it is wrong."""
        if not self.telegram_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather")
        if not _TOKEN_RE.match(self.telegram_token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and about 35 "
                "characters, as @BotFather gives it"
            )
        return self.telegram_token


_ENVIRONMENT = {
    "index_dir": "LIMBER_INDEX_DIR",
    "corpus_dir": "LIMBER_CORPUS_DIR",
    "feedback_db": "LIMBER_FEEDBACK_DB",
    "retention_days": "LIMBER_RETENTION_DAYS",
    "keep_unanswered": "LIMBER_KEEP_UNANSWERED",
    "log_level": "LIMBER_LOG_LEVEL",
    "log_questions": "LIMBER_LOG_QUESTIONS",
    "top_k": "LIMBER_TOP_K",
    "encoder_threads": "LIMBER_ENCODER_THREADS",
    "telegram_token": "TELEGRAM_BOT_TOKEN",
    "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "webhook_url": "TELEGRAM_WEBHOOK_URL",
    "webhook_listen": "TELEGRAM_WEBHOOK_LISTEN",
    "webhook_port": "TELEGRAM_WEBHOOK_PORT",
    "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "user_rate_limit": "LIMBER_USER_RATE_LIMIT",
    "overall_max_rate": "LIMBER_OVERALL_MAX_RATE",
    "per_chat_max_rate": "LIMBER_PER_CHAT_MAX_RATE",
    "send_retries": "LIMBER_SEND_RETRIES",
    "typing_delay": "LIMBER_TYPING_DELAY",
    "reload_interval": "LIMBER_RELOAD_INTERVAL",
    "inbox_db": "LIMBER_INBOX_DB",
    "chat_queue_limit": "LIMBER_CHAT_QUEUE_LIMIT",
}


def _read_token_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(
            f"TELEGRAM_BOT_TOKEN_FILE names {path}, which cannot be read ({error.strerror})"
        ) from None


def _convert(name: str, kind: object, raw: object) -> object:
    variable = _ENVIRONMENT.get(name, name)
    if not isinstance(raw, str):
        return raw
    try:
        if kind in ("Path", Path, "Path | None"):
            return Path(raw)
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if kind in ("bool", bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"{variable}={raw!r} is not a valid {kind}") from None
    return raw
