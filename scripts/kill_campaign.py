"""SIGKILL the real bot at random moments, many times: is every update answered, and once?

    python scripts/kill_campaign.py [--runs 30] [--updates 24] [--seed 17] [--index DIR]

Each run: a fresh fake Bot API (tests/fake_bot_api.py) and a fresh inbox; a bot
process (``python -m bot telegram``) gets a stream of questions from several
chats and is killed (SIGKILL) at a random moment; a second process starts on the
same inbox and gets the rest; the run ends when every question has a reply and
the second process has stopped (SIGTERM). Then each user message is counted:
lost (no reply) or duplicated (two replies). A duplicate whose first reply reached
the fake in the last 0.5 s before the kill, and which the inbox had not marked, is
the documented exception (a reply whose outcome the killed process never read);
any other duplicate is a bug. Prints one line per run and a summary; exit 1 on a
loss or an unexplained duplicate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from limber.bench import ONE_MESSAGE_QUESTIONS, seed_index
from limber.fake_bot_api import TEST_TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


QUESTIONS = ONE_MESSAGE_QUESTIONS
IN_FLIGHT = 0.5


def _start(environment: dict[str, str], log: Path, fake: FakeBotApi) -> tuple[subprocess.Popen, float]:
    menus = len(fake.requests("setMyCommands"))
    started = time.monotonic()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "telegram"],
            cwd=ROOT,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    if (
        not fake.wait_until(
            lambda: len(fake.requests("setMyCommands")) > menus or process.poll() is not None, timeout=60
        )
        or process.poll() is not None
    ):
        raise RuntimeError(f"the bot did not start:\n{log.read_text()[-2000:]}")
    return process, started


def _replies(fake: FakeBotApi, start: float = -1.0, end: float = float("inf")) -> Counter:
    counts: Counter = Counter()
    for call in fake.requests("sendMessage"):
        if call.ok and start <= call.at < end:
            reply = call.params.get("reply_parameters") or {}
            counts[(int(call.params["chat_id"]), int(reply.get("message_id", 0)))] += 1
    return counts


def one_run(number: int, rng: random.Random, index: Path, updates: int, scratch: Path) -> dict:
    run_dir = scratch / f"run{number}"
    run_dir.mkdir()
    with FakeBotApi() as fake:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
            "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "LIMBER_INDEX_DIR": str(index),
            "LIMBER_FEEDBACK_DB": str(run_dir / "feedback.sqlite3"),
            "LIMBER_RELOAD_INTERVAL": "0",
            "LIMBER_PER_CHAT_MAX_RATE": "1",
            "HF_HUB_OFFLINE": "1",
        }
        log = run_dir / "bot.log"
        first, _ = _start(environment, log, fake)
        keys = []
        kill_after = rng.uniform(0.1, 5.0)
        chats = rng.randint(2, 6)
        started = time.monotonic()
        killed_at = None
        sent_before = 0
        for n in range(updates):
            if killed_at is None and time.monotonic() - started >= kill_after:
                first.send_signal(signal.SIGKILL)
                first.wait()
                killed_at = time.monotonic()
            message = fake.message(
                QUESTIONS[rng.randrange(len(QUESTIONS))], user_id=50_000 + number * 100 + n % chats
            )
            keys.append((message["chat"]["id"], message["message_id"]))
            if killed_at is None:
                sent_before += 1
            time.sleep(rng.uniform(0.0, 0.08))
        if killed_at is None:
            time.sleep(max(0.0, kill_after - (time.monotonic() - started)))
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed_at = time.monotonic()
        with sqlite3.connect(run_dir / "inbox.sqlite3") as db:
            unanswered = {
                row[0] for row in db.execute("SELECT update_id FROM updates WHERE answered_at IS NULL")
            }
        second, _ = _start(environment, log, fake)
        fake.wait_until(lambda: set(keys) <= set(_replies(fake)), timeout=90)
        second.send_signal(signal.SIGTERM)
        status = second.wait(timeout=30)
        ids = {}
        for call in fake.requests("getUpdates"):
            for update in call.result or []:
                message = update.get("message") or {}
                if message:
                    ids[(message["chat"]["id"], message["message_id"])] = update["update_id"]
        replies = _replies(fake)
        recent = _replies(fake, killed_at - IN_FLIGHT, killed_at)
        lost = [key for key in keys if replies[key] == 0]
        twice = [key for key in keys if replies[key] > 1]
        excused = [key for key in twice if key in recent and ids.get(key) in unanswered]
        before_kill = sum(_replies(fake, -1.0, killed_at).values())
    return {
        "run": number,
        "updates": len(keys),
        "kill_after_s": round(kill_after, 2),
        "sent_before_kill": sent_before,
        "answered_before_kill": before_kill,
        "unanswered_in_inbox_at_kill": len(unanswered),
        "lost": len(lost),
        "duplicated": len(twice),
        "duplicated_in_flight": len(excused),
        "second_exit": status,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--updates", type=int, default=24, help="questions per run")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        help="index to serve (default: build the seed corpus into a temp dir)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="limber-kill-") as scratch_name:
        scratch = Path(scratch_name)
        index = seed_index(args.index, scratch)
        results = []
        for number in range(1, args.runs + 1):
            result = one_run(number, rng, index, args.updates, scratch)
            results.append(result)
            print(json.dumps(result), flush=True)
    total = {
        key: sum(r[key] for r in results) for key in ("updates", "lost", "duplicated", "duplicated_in_flight")
    }
    summary = {
        "runs": len(results),
        **total,
        "unexplained_duplicates": total["duplicated"] - total["duplicated_in_flight"],
    }
    print(json.dumps({"summary": summary}))
    return 1 if summary["lost"] or summary["unexplained_duplicates"] else 0


if __name__ == "__main__":
    sys.exit(main())
