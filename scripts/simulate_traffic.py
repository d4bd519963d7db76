"""Simulate days of Telegram traffic through the fake Bot API, then print the operator's report.

    python scripts/simulate_traffic.py [--days 1] [--per-day 80] [--db FILE] [--html FILE] [--index DIR]

Users' questions (from tests/data/eval.jsonl: answerable, off-topic, red flags,
crises, benign) go as Telegram updates to the real bot, which answers them with
the real pipeline; some users tap 👎 or 👍, one asks /privacy and then /forget.
The feedback database's clock is moved through the simulated day(s), so the
report's daily counts and retention behave as in production. Nothing leaves
this machine: the fake Bot API listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MIX = {"answerable": 0.55, "off_topic": 0.15, "benign": 0.12, "red_flag": 0.12, "crisis": 0.06}


def _questions() -> dict[str, list[str]]:
    by_category: dict[str, list[str]] = {}
    for line in (ROOT / "tests" / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            by_category.setdefault(case["category"], []).append(case["question"])
    return by_category


def _buttons(message: dict) -> dict[str, str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def simulate(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.feedback import FeedbackStore
    from bot.report import build_report, report_html, report_text
    from bot.service import open_pipeline
    from bot.telegram.app import build_application, polling
    from limber.fake_bot_api import FakeBotApi

    rng = random.Random(args.seed)
    questions = _questions()
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=args.days - 1)
    clock = [start]
    store = FeedbackStore(args.db, clock=lambda: clock[0])
    settings_env = Settings.from_env(index_dir=args.index)
    pipeline = open_pipeline(settings_env)
    with FakeBotApi() as fake:
        settings = Settings(
            index_dir=settings_env.index_dir,
            telegram_token=fake.token,
            telegram_api_base_url=fake.base_url,
            feedback_db=args.db,
            reload_interval=0.0,
            per_chat_max_rate=100.0,
            overall_max_rate=0.0,
            user_rate_limit=0,
            typing_delay=5.0,
        )
        application = build_application(settings, pipeline, feedback=store, request_timeout=1.0)

        def counted() -> int:
            return sum(row[0] for row in store.run("SELECT count FROM daily_answers"))

        sent_questions = 0
        asked: dict[int, int] = {}
        async with polling(application, timeout=1):
            for day in range(args.days):
                times = sorted(rng.uniform(7, 23.5) for _ in range(args.per_day))
                for hour in times:
                    clock[0] = start + timedelta(days=day, hours=hour)
                    category = rng.choices(list(MIX), weights=list(MIX.values()))[0]
                    text = rng.choice(questions[category])
                    chat = rng.randrange(100, 140)
                    asked[chat] = asked.get(chat, 0) + 1
                    before = len(fake.sent())
                    fake.message(text, user_id=chat)
                    await fake.replies(before + 1)
                    reply = fake.sent_messages(chat)[-1]
                    sent_questions += 1

                    def reached(n: int = sent_questions) -> bool:
                        return counted() >= n

                    await fake.until(reached)
                    buttons = _buttons(reply)
                    if "👎" in buttons and rng.random() < (0.5 if category == "off_topic" else 0.12):
                        fake.press(reply, buttons["👎"])
                    elif "👍" in buttons and rng.random() < 0.2:
                        fake.press(reply, buttons["👍"])
                    await asyncio.sleep(0.05)  # the vote is recorded at this simulated time
            clock[0] = start + timedelta(days=args.days - 1, hours=23, minutes=50)
            busiest = max(asked, key=lambda c: (asked[c], -c))
            for command, chat in (("/privacy", 4242), ("/forget", busiest)):
                before = len(fake.sent())
                fake.message(command, user_id=chat)
                await fake.replies(before + 1)
                reply = fake.sent_messages(chat)[-1]["text"]
                print(f"{command} (chat {chat}): {reply.splitlines()[0]}", file=sys.stderr)
            report = build_report(store, pipeline.retriever, days=args.days, now=clock[0])
    print(
        f"simulated {sent_questions} questions from {len(asked)} chats over {args.days} day(s); "
        f"chat {busiest} then sent /forget\n"
    )
    print(report_text(report))
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(report_html(report), encoding="utf-8")
        print(f"\nHTML report written to {args.html}")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--per-day", type=int, default=80, help="questions a day")
    parser.add_argument(
        "--db", type=Path, default=None, help="feedback database to fill (default: a temporary one)"
    )
    parser.add_argument("--html", type=Path, help="also write the HTML report here")
    parser.add_argument("--index", type=Path, help="index directory (default: LIMBER_INDEX_DIR)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.db is None:
            args.db = Path(scratch) / "feedback" / "feedback.sqlite3"
        return asyncio.run(simulate(args))


if __name__ == "__main__":
    sys.exit(main())
