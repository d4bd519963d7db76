"""Attack the real bot's webhook as a stranger would, and measure what it costs the bot.

    python scripts/webhook_attack.py [--idle 1100] [--big 8] [--seconds 15] [--index DIR]

Starts a fake Bot API (tests/fake_bot_api.py) and ``python -m bot telegram`` in
webhook mode with the usual limit of 1,024 open files, then, at once:

* ``--idle`` connections that never finish their headers (held open);
* ``--big`` unauthenticated POSTs that announce and try to send 99 MB each;
* a real update (with the secret) every 0.25 s, as Telegram would send them.

Samples the bot's open descriptors (/proc/PID/fd) and resident memory while it
lasts, and prints one JSON object: the peaks, memory afterwards, the log's size,
and how many real updates were accepted (200) and answered during the attack.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from limber.bench import rss_mb, seed_index
from limber.fake_bot_api import TEST_TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


SECRET = "attack-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def _limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _post(port: int, body: bytes, secret: str | None, timeout: float = 5.0) -> int:
    head = (
        f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    )
    if secret:
        head += f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(head.encode() + b"\r\n" + body)
            status = conn.recv(64).split(b" ", 2)
            return int(status[1]) if len(status) > 1 else -1
    except OSError:
        return -1


def _big_post(port: int, stop: threading.Event, results: list[str]) -> None:
    size = 99 * 1024 * 1024
    chunk = b"x" * (1 << 20)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(
                (
                    f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {size}\r\n\r\n"
                ).encode()
            )
            sent = 0
            while sent < size and not stop.is_set():
                conn.sendall(chunk)
                sent += len(chunk)
            results.append(f"sent {sent >> 20} MB")
    except OSError as error:
        results.append(f"refused after headers ({type(error).__name__})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--big", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--index", type=Path, default=None)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle + 512)), hard))
    with tempfile.TemporaryDirectory(prefix="limber-attack-") as scratch_name:
        scratch = Path(scratch_name)
        index = seed_index(args.index, scratch)
        port = _free_port()
        with FakeBotApi() as fake:
            environment = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org:{port}/hook",
                "TELEGRAM_WEBHOOK_PORT": str(port),
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "LIMBER_INDEX_DIR": str(index),
                "LIMBER_FEEDBACK_DB": str(scratch / "feedback.sqlite3"),
                "LIMBER_RELOAD_INTERVAL": "0",
                "HF_HUB_OFFLINE": "1",
            }
            log_path = scratch / "bot.log"
            with log_path.open("wb") as log:
                bot = subprocess.Popen(
                    [sys.executable, "-m", "bot", "telegram"],
                    cwd=ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_limit_files,
                )
            try:
                if not fake.wait_until(lambda: bool(fake.requests("setWebhook")), timeout=60):
                    raise SystemExit(f"the bot did not start:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.5)
                baseline = {"fds": _fds(bot.pid), "rss_mb": round(rss_mb(bot.pid), 1)}
                stop = threading.Event()
                idle: list[socket.socket] = []
                refused_idle = 0
                for _ in range(args.idle):
                    try:
                        idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
                    except OSError:
                        refused_idle += 1
                big_results: list[str] = []
                big = [
                    threading.Thread(target=_big_post, args=(port, stop, big_results))
                    for _ in range(args.big)
                ]
                for thread in big:
                    thread.start()
                peaks = {"fds": 0, "rss_mb": 0.0}
                statuses: list[int] = []
                update_id = 1000
                started = time.monotonic()
                next_update = started
                while time.monotonic() - started < args.seconds:
                    peaks["fds"] = max(peaks["fds"], _fds(bot.pid))
                    peaks["rss_mb"] = max(peaks["rss_mb"], rss_mb(bot.pid))
                    if time.monotonic() >= next_update:
                        update_id += 1
                        message = fake.message(
                            "How do I stretch tight hip flexors?", user_id=20_000 + update_id
                        )
                        fake._updates.clear()  # delivered by the webhook, not by getUpdates
                        body = json.dumps({"update_id": update_id, "message": message}).encode()
                        statuses.append(_post(port, body, SECRET))
                        next_update += 0.25
                    time.sleep(0.02)
                answered_during = len(fake.sent())
                stop.set()
                for thread in big:
                    thread.join(timeout=10)
                for conn in idle:
                    conn.close()
                time.sleep(2)
                after = {"fds": _fds(bot.pid), "rss_mb": round(rss_mb(bot.pid), 1)}
            finally:
                bot.terminate()
                try:
                    bot.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    bot.kill()
            log_text = log_path.read_text(errors="replace")
    result = {
        "idle_connections_opened": len(idle),
        "idle_refused_at_connect": refused_idle,
        "big_posts": big_results,
        "baseline": baseline,
        "peak": {"fds": peaks["fds"], "rss_mb": round(peaks["rss_mb"], 1)},
        "after": after,
        "real_updates_sent": len(statuses),
        "real_updates_accepted": statuses.count(200),
        "answered_during_attack": answered_during,
        "log_bytes": len(log_text),
        "log_tracebacks": log_text.count("Traceback"),
        "bot_exit": bot.returncode,
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
