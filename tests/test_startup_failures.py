"""Start-up failures: one line on stderr, exit 2, never the token (issue 17).

Before: a rejected token raised ``InvalidToken`` through 120 lines of traceback
(exit 1) that ended with the token itself; an unreachable server gave 238 lines.

Each start-up is ``python -m bot telegram`` in a process of its own (about 1.5 s to
start); the ``started`` fixture launches all of them at once, and each test reads its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from limber.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
WRONG_TOKEN = "987654321:WRONG-TOKEN-abcdefghijklmnopqrstuvwxyz9"  # the right shape, refused


def _telegram(seed_index: Path, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    environment.update(
        {
            "HF_HUB_OFFLINE": "1",
            "LIMBER_INDEX_DIR": str(seed_index),
            "LIMBER_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "LIMBER_RELOAD_INTERVAL": "0",
            **env,
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "telegram"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    )


def _finished(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _one_redacted_line(done: subprocess.CompletedProcess[str], secret: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert secret not in output and secret.split(":")[1] not in output
    assert "Traceback" not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@dataclass(frozen=True)
class StartUps:
    """The fake Telegram the start-ups talked to, and how each one ended, by case."""

    fake: FakeBotApi
    done: dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def started(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartUps]:
    # The probe holds a port from the OS, bound but never listening, until every start-up has
    # ended: connecting to it is refused, and no other server (another test worker's) can take it.
    with FakeBotApi() as fake, socket.socket() as probe:
        folders = {
            name: tmp_path_factory.mktemp(name)
            for name in ("rejected", "token-file", "wrong-path", "unreachable", "salt")
        }
        token_file = folders["token-file"] / "token"
        token_file.write_text(WRONG_TOKEN + "\n")
        (folders["salt"] / "feedback.sqlite3.salt").write_text("not hex at all")
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        cases = {
            "rejected": {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url},
            "token-file": {
                "TELEGRAM_BOT_TOKEN_FILE": str(token_file),
                "TELEGRAM_API_BASE_URL": fake.base_url,
            },
            "wrong-path": {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE_URL": fake.base_url.replace("/bot", "/wrong/bot"),
            },
            "unreachable": {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
            },
            "salt": {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url},
        }
        processes = {name: _telegram(seed_index, folders[name], **env) for name, env in cases.items()}
        yield StartUps(fake, {name: _finished(process) for name, process in processes.items()})


def test_a_rejected_token_is_one_line_without_the_token(started: StartUps) -> None:
    done = started.done["rejected"]
    assert "rejected the bot token" in _one_redacted_line(done, WRONG_TOKEN)


def test_a_rejected_token_from_the_token_file_is_one_line_too(started: StartUps) -> None:
    done = started.done["token-file"]
    assert "TELEGRAM_BOT_TOKEN_FILE" in _one_redacted_line(done, WRONG_TOKEN)


def test_a_wrong_api_path_reads_as_a_rejected_token_and_is_one_line(started: StartUps) -> None:
    done = started.done["wrong-path"]
    assert "TELEGRAM_API_BASE_URL" in _one_redacted_line(done, started.fake.token)


def test_an_unreachable_server_is_one_line(started: StartUps) -> None:
    done = started.done["unreachable"]
    assert "cannot reach the Telegram Bot API" in _one_redacted_line(done, started.fake.token)


def test_whatever_escapes_is_printed_with_the_token_blanked_out(tmp_path) -> None:
    # The last resort: an exception nobody expected still goes through the redaction.
    script = (
        "import os, sys\n"
        "from bot.telegram.logs import add_secret, install_excepthook\n"
        "install_excepthook(); add_secret(os.environ['TELEGRAM_BOT_TOKEN'])\n"
        "raise RuntimeError('boom with ' + os.environ['TELEGRAM_BOT_TOKEN'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 1
    assert "RuntimeError: boom with <redacted>" in done.stderr
    assert WRONG_TOKEN.split(":")[1] not in done.stderr


def test_a_corrupt_feedback_salt_file_is_one_line(started: StartUps) -> None:
    done = started.done["salt"]
    assert "feedback salt" in _one_redacted_line(done, started.fake.token)
