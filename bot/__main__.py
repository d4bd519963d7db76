"""Limber's command line.

python -m bot                      Telegram when TELEGRAM_BOT_TOKEN is set, else a console chat
python -m bot ask "question"       answer one question (--json for the JSON contract)
python -m bot ask --json           answer questions from stdin, one JSON object per line
python -m bot search "query"       the retriever's ranked passages (--json, -k N)
python -m bot console              the console chat, even with a token set
python -m bot telegram             the Telegram bot (needs TELEGRAM_BOT_TOKEN)
python -m bot report [--days N] [--html FILE]   unanswered questions, 👎 and replies per day
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from limber.errors import LimberError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, help="index directory (default: LIMBER_INDEX_DIR or var/index)")
    commands = parser.add_subparsers(dest="command")
    ask = commands.add_parser("ask", help="answer a question, or questions from stdin with --json")
    ask.add_argument("question", nargs="?", help="the question; omit it to read stdin (with --json)")
    ask.add_argument("--index", type=Path, default=argparse.SUPPRESS)
    ask.add_argument("--json", action="store_true", help="print the JSON object of the CLI contract")
    search = commands.add_parser("search", help="ranked passages, without triage or no-answer decisions")
    search.add_argument("query", nargs="?", help="the query; omit it to read stdin (with --json)")
    search.add_argument("--index", type=Path, default=argparse.SUPPRESS)
    search.add_argument("--json", action="store_true", help="one JSON object per query")
    search.add_argument("-k", type=int, default=10, help="passages per query (default: %(default)s)")
    report = commands.add_parser("report", help="what went unanswered, 👎 votes and replies per day")
    report.add_argument("--index", type=Path, default=argparse.SUPPRESS)
    report.add_argument(
        "--days", type=int, default=7, help="days to cover, today included (default: %(default)s)"
    )
    report.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the report as one self-contained HTML page"
    )
    for name, text in (("console", "chat in the terminal"), ("telegram", "run the Telegram bot")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--index", type=Path, default=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.telegram.logs import add_secret, install_excepthook, redact

    install_excepthook()  # whatever escapes is printed with every secret blanked out
    for variable in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        add_secret(os.environ.get(variable, "").strip())
    args = _parser().parse_args(argv)
    from bot.config import Settings

    try:
        settings = Settings.from_env(index_dir=getattr(args, "index", None))
        add_secret(settings.telegram_token)  # read from TELEGRAM_BOT_TOKEN_FILE, perhaps
        add_secret(settings.webhook_secret)
        command = args.command or ("telegram" if settings.telegram_token else "console")
        if command == "ask":
            return _ask(args, settings)
        if command == "search":
            return _search(args, settings)
        if command == "report":
            return _report(args, settings)
        if command == "telegram":
            from bot.telegram.app import run

            settings.require_token()
            return run(settings)
        from bot.console import run_console

        return run_console(settings)
    except LimberError as error:
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


def _lines(stream: TextIO) -> Iterable[str]:
    for line in stream:
        yield line.rstrip("\n")


def _each_line(handle: Callable[[str], dict], out: TextIO | None = None) -> int:
    """One JSON object per stdin line, in order, each flushed at once (to ``out``, else stdout)."""
    out = out or sys.stdout  # looked up now, not at import: whoever called main may have swapped it
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # a stray non-UTF-8 byte must not end the run
    for line in _lines(sys.stdin):
        out.write(json.dumps(handle(line), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def _question_and_conversation(line: str) -> tuple[str, str | None]:
    """A stdin line of ``ask --json``: plain text is a question on its own; a JSON object
    ``{"question": ..., "conversation": ID}`` is one turn of conversation ID."""
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return line, None
        if isinstance(data, dict) and isinstance(data.get("question"), str):
            conversation = data.get("conversation")
            return data["question"], None if conversation is None else str(conversation)
    return line, None


def _ask(args: argparse.Namespace, settings) -> int:
    from bot.conversation import ConversationStore
    from bot.render import answer_json, console_text
    from bot.service import open_pipeline

    if args.question is None and not args.json:
        print("error: give a question, or --json to read questions from stdin", file=sys.stderr)
        return 2
    pipeline = open_pipeline(settings)
    if args.question is None:
        conversations = ConversationStore()

        def turn(line: str) -> dict:
            question, conversation_id = _question_and_conversation(line)
            if conversation_id is None:
                return answer_json(pipeline.answer(question))
            conversation = conversations.get(conversation_id)
            answer = pipeline.answer(question, conversation)
            conversation.record(answer)
            return answer_json(answer)

        return _each_line(turn)
    answer = pipeline.answer(args.question)
    print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json else console_text(answer))
    return 0


def _report(args: argparse.Namespace, settings) -> int:
    from bot.feedback import FeedbackStore
    from bot.report import build_report, report_html, report_text
    from bot.service import open_retriever

    if args.days < 1:
        print("error: --days must be at least 1", file=sys.stderr)
        return 2
    if not settings.feedback_db.is_file():
        print(
            f"error: no feedback database at {settings.feedback_db} (the Telegram bot creates it; "
            "set LIMBER_FEEDBACK_DB to the one it uses)",
            file=sys.stderr,
        )
        return 2
    retriever = open_retriever(settings)
    with FeedbackStore(settings.feedback_db) as store:
        report = build_report(store, retriever, days=args.days)
    print(report_text(report))
    if args.html:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(report_html(report), encoding="utf-8")
        except OSError as error:
            print(
                f"error: cannot write {args.html} ({error.strerror}); pass another --html FILE",
                file=sys.stderr,
            )
            return 2
        print(f"\nHTML report written to {args.html}")
    return 0


def _search(args: argparse.Namespace, settings) -> int:
    from bot.service import open_retriever

    if args.k < 1:
        print("error: -k must be at least 1", file=sys.stderr)
        return 2
    if args.query is None and not args.json:
        print("error: give a query, or --json to read queries from stdin", file=sys.stderr)
        return 2
    retriever = open_retriever(settings)

    def ranked(query: str) -> dict:
        result = retriever.search(query, k=args.k)
        return {
            "question": query,
            "passages": [
                {
                    "id": sp.passage.id,
                    "text": sp.passage.text,
                    "score": round(sp.score, 6),
                    "source": sp.passage.source,
                }
                for sp in result.passages
            ],
        }

    if args.query is None:
        return _each_line(ranked)
    result = retriever.search(args.query, k=args.k)
    if args.json:
        print(json.dumps(ranked(args.query), ensure_ascii=False))
        return 0
    if result.understood_as != result.query:
        print(f"(searched for: {result.understood_as})")
    if result.focus:
        print(f"(weighted as the question: {result.focus})")
    for rank, sp in enumerate(result.passages, start=1):
        first_line = sp.passage.text if len(sp.passage.text) <= 100 else sp.passage.text[:97] + "..."
        print(f"{rank:>2}. {sp.score:.3f}  {sp.passage.source}\n    {first_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
