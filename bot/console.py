"""The console chat: the same answers as Telegram, in a terminal."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TextIO

from bot.answer import Answer
from bot.config import Settings
from bot.conversation import Conversation
from bot.pipeline import Pipeline
from bot.render import console_text
from bot.replies import CONSOLE_HINT

__all__ = ["chat", "run_console"]

_QUIT = {"quit", "exit", ":q", "/quit"}
_MORE = {"more", "/more", "m"}
_FORGET = {"/forget", "forget"}


def chat(pipeline: Pipeline, stdin: TextIO, stdout: TextIO, *, prompt: str = "you> ") -> None:
    """Answer lines from ``stdin`` until end of input or "quit"; "more" reads on."""
    greeting = pipeline.answer("hello")
    stdout.write(console_text(greeting) + "\n\n" + CONSOLE_HINT + "\n")
    last: Answer | None = None
    shown = 0
    conversation = Conversation()  # follow-ups ("how long do I hold it?") use the last turns
    while True:
        stdout.write("\n" + prompt)
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return
        command = line.strip().lower()
        if command in _QUIT:
            return
        if not command:
            continue
        if command in _MORE and last is not None:
            shown = min(shown + 1, len(last.passages))
            blocks = pipeline.more_blocks(last, shown)
            stdout.write("\n" + console_text(replace(last, blocks=blocks)) + "\n")
            continue
        if command in _FORGET:
            conversation.clear()
            stdout.write("\n" + console_text(pipeline.forgot()) + "\n")
            continue
        last, shown = pipeline.answer(line, conversation), 0
        conversation.record(last)
        stdout.write("\n" + console_text(last) + "\n")


def run_console(settings: Settings) -> int:
    """Open the index named by ``settings`` and chat on the terminal."""
    from bot.service import open_pipeline

    pipeline = open_pipeline(settings)
    try:
        chat(pipeline, sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    return 0
