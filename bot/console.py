"""The console chat: the same answers as Telegram, in a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.config import Settings
from bot.pipeline import Pipeline
from bot.render import console_text

__all__ = ["chat", "run_console"]

_QUIT = {"quit", "exit", ":q", "/quit", "bye!"}


def chat(pipeline: Pipeline, stdin: TextIO, stdout: TextIO, *, prompt: str = "you> ") -> None:
    """Answer lines from ``stdin`` until end of input or "quit"."""
    greeting = pipeline.answer("hello")
    stdout.write(console_text(greeting) + "\n\n(type quit or press Ctrl-D to leave)\n")
    while True:
        stdout.write("\n" + prompt)
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return
        if line.strip().lower() in _QUIT:
            return
        if not line.strip():
            continue
        stdout.write("\n" + console_text(pipeline.answer(line)) + "\n")


def run_console(settings: Settings) -> int:
    """Open the index named by ``settings`` and chat on the terminal."""
    from bot.service import open_pipeline

    pipeline = open_pipeline(settings)
    try:
        chat(pipeline, sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    return 0
