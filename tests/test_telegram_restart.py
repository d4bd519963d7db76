"""Kill the real bot mid-run and restart it: what is lost, what is repeated (issue 7).

Every test runs ``python -m bot telegram`` as a subprocess (the seed index, a
fake Bot API over HTTP, the test token), stops it the hard way (SIGKILL) or the
graceful way (SIGTERM), starts a new process against the same fake server and
checks every reply against the update it answers (``chat_id`` + the
``reply_parameters.message_id`` it replies to).

Delivery semantics, as Telegram defines them and as python-telegram-bot uses them:

* Telegram keeps an update (for up to 24 hours) until a ``getUpdates`` whose
  ``offset`` is higher than its ``update_id`` takes effect. That call, not the
  fetch, confirms it. Until then every ``getUpdates`` hands it out again, to
  whichever process asks: at least once, not exactly once.
* PTB's ``Updater`` puts the fetched updates on its queue and immediately makes
  the next ``getUpdates(offset=last + 1)``, long before a handler has answered
  them. So an update is confirmed almost as soon as it is fetched, and a hard kill
  (SIGKILL, OOM, power loss) loses every update that was fetched and confirmed
  but not yet answered. Telegram will not send those again.
* The only window for a repeat is a kill between a fetch and the next
  ``getUpdates`` that takes effect, for example while that call hangs or fails and
  PTB backs off. Telegram then sends the update again to the restarted process.
  If the killed process had already answered it, the user sees the answer twice
  (``test_hard_kill_before_the_fetch_is_confirmed_redelivers_and_may_answer_twice``).
* A graceful stop (SIGTERM/SIGINT) confirms what was fetched with one last
  ``getUpdates`` and answers everything already fetched before it exits, so
  nothing is lost or repeated (unless that last call fails; PTB then logs it).

The fake confirms like Telegram: it drops an update only when a ``getUpdates``
with a higher ``offset`` is dispatched. Its recorded calls give the ledger: each
getUpdates call's ``offset`` (``params``), the updates it returned (``result``),
whether it took effect (``ok``) and when it arrived (``at``). What the fake does
not model: Telegram's 409 "Conflict" for two pollers at once. A killed process's
long poll is simply answered into a dead socket.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fake_bot_api import TEST_TOKEN, Call, FakeBotApi, Fault, html_problem, texts

from bot.replies import DISCLAIMER

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "How do I stretch tight hip flexors?",
    "What stretches help sciatica?",
    "/help",
    "Why does my SI joint hurt?",
    "hello",
    "How can I loosen tight hamstrings?",
]  # every reply to these fits one message, so a kill cannot cut a reply in two
STARTUP_TIMEOUT = 30.0  # index + model load takes about 1.5 s when the model cache is warm
ANSWER_TIMEOUT = 15.0

Key = tuple[int, int]  # (chat_id, message_id) of the user's message: one update each


# -- harness -----------------------------------------------------------------------------------


@dataclass
class BotProcess:
    """One ``python -m bot telegram`` process; its output goes to a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started: float  # time.monotonic() just before it was spawned
    ended: float | None = None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or confirmed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.ended = time.monotonic()

    def terminate(self) -> int:
        """SIGTERM: PTB's graceful stop. Returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=ANSWER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.name} did not stop on SIGTERM:\n{self.log()}") from None
        self.ended = time.monotonic()
        return status

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Harness:
    fake: FakeBotApi
    environment: dict[str, str]
    tmp_path: Path
    processes: list[BotProcess] = field(default_factory=list)

    def start(self) -> BotProcess:
        """Spawn a bot process; returns once it is up (its command menu is registered)."""
        name = f"bot{len(self.processes) + 1}"
        log_path = self.tmp_path / f"{name}.log"
        menus = len(self.fake.requests("setMyCommands"))
        started = time.monotonic()
        with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall the bot
            process = subprocess.Popen([sys.executable, "-m", "bot", "telegram"], cwd=ROOT,
                                       env=self.environment, stdout=log, stderr=subprocess.STDOUT)
        bot = BotProcess(name, process, log_path, started)
        self.processes.append(bot)
        up = self.fake.wait_until(
            lambda: len(self.fake.requests("setMyCommands")) > menus or process.poll() is not None,
            timeout=STARTUP_TIMEOUT,
        )
        assert up and process.poll() is None, f"{name} did not come up:\n{bot.log()}"
        return bot

    def ask(self, count: int, *, first_chat: int, chats: int) -> list[Key]:
        """``count`` users' messages, round-robin over ``chats`` private chats."""
        keys = []
        for number in range(count):
            message = self.fake.message(QUESTIONS[(number + number // chats) % len(QUESTIONS)],
                                        user_id=first_chat + number % chats)
            keys.append((message["chat"]["id"], message["message_id"]))
        return keys

    def wait_answered(self, keys: list[Key], *, by: BotProcess | None = None,
                      timeout: float = ANSWER_TIMEOUT) -> None:
        """Until each of ``keys`` has a reply (sent by the process ``by``, if given)."""
        wanted = set(keys)
        since = -1.0 if by is None else by.started

        def answered() -> set[Key]:
            return set(answers_between(self.fake, since, float("inf")))

        if not self.fake.wait_until(lambda: wanted <= answered(), timeout=timeout):
            missing = sorted(wanted - answered())
            logs = "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in self.processes)
            raise AssertionError(f"{len(missing)} of {len(wanted)} not answered: {missing}\n{logs}")


@pytest.fixture
def harness(seed_index: Path, tmp_path: Path) -> Iterator[Harness]:
    """A fresh fake server for the test and whatever bot processes it starts (killed after)."""
    fake = FakeBotApi().start()
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LIMBER_INDEX_DIR": str(seed_index),
        "LIMBER_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),  # shared by both runs
        "LIMBER_PER_CHAT_MAX_RATE": "1",  # Telegram's pace: a batch takes seconds, a kill lands mid-way
        "LIMBER_RELOAD_INTERVAL": "0",
        "LIMBER_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
    }
    for variable in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_BOT_TOKEN_FILE"):
        environment.pop(variable, None)  # polling, with the test token
    harness = Harness(fake, environment, tmp_path)
    try:
        yield harness
    finally:
        for bot in harness.processes:
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait()
        fake.stop()
    for bot in harness.processes:
        assert TEST_TOKEN not in bot.log(), f"{bot.name} logged the token"


def answers(fake: FakeBotApi) -> Counter[Key]:
    """How many replies each user message got (every reply here is a single message)."""
    counts: Counter[Key] = Counter()
    for params in fake.sent():
        reply_to = params.get("reply_parameters") or {}
        assert reply_to.get("message_id"), f"a message that replies to nothing: {params['text'][:80]!r}"
        counts[(int(params["chat_id"]), int(reply_to["message_id"]))] += 1
    return counts


def answers_between(fake: FakeBotApi, start: float, end: float) -> Counter[Key]:
    """``answers`` counting only sendMessage calls that arrived in [start, end)."""
    counts: Counter[Key] = Counter()
    for call in fake.requests("sendMessage"):
        if call.ok and start <= call.at < end:
            counts[(int(call.params["chat_id"]), int(call.params["reply_parameters"]["message_id"]))] += 1
    return counts


def update_ids(fake: FakeBotApi) -> dict[Key, int]:
    """The update_id of each user message, from what getUpdates handed out."""
    ids = {}
    for call in fake.requests("getUpdates"):
        for update in call.result or []:
            message = update.get("message")
            if message is not None:
                ids[(message["chat"]["id"], message["message_id"])] = update["update_id"]
    return ids


@dataclass(frozen=True)
class Ledger:
    """What Telegram (the fake) knew about one process's polling, from its recorded calls."""

    fetched: frozenset[int]  # update ids some getUpdates returned to the process
    offset: int  # the highest offset of a getUpdates that took effect: ids below it are confirmed

    @classmethod
    def of(cls, fake: FakeBotApi, start: float, end: float) -> Ledger:
        """The getUpdates calls that arrived in [start, end), i.e. from one process.

        A call is recorded when it returns, but stamped (``at``) when it arrived, so a
        long poll the process left open when it died counts as its own, as it should:
        its offset confirmed updates the moment it arrived.
        """
        calls: list[Call] = [c for c in fake.requests("getUpdates") if start <= c.at < end]
        fetched = frozenset(u["update_id"] for c in calls for u in c.result or [])
        offset = max((int(c.params.get("offset") or 0) for c in calls if c.ok), default=0)
        return cls(fetched, offset)

    def confirmed(self, ids: set[int]) -> set[int]:
        return {i for i in ids if i < self.offset}


def check_every_reply(fake: FakeBotApi) -> None:
    """Valid HTML and the disclaimer at the end of each reply (none is split here)."""
    for params in fake.sent():
        if params.get("parse_mode") == "HTML":
            assert html_problem(params["text"]) is None
        [text] = texts([params])
        assert text.rstrip().endswith(DISCLAIMER), f"a reply without the disclaimer: {text[:200]!r}"


# -- tests -------------------------------------------------------------------------------------


def test_hard_kill_and_restart_never_answers_an_update_twice(harness: Harness) -> None:
    """SIGKILL mid-batch, restart, a second batch: no update answered twice, losses explained.

    Semantics checked (see the module docstring): Telegram counts an update as
    delivered when a getUpdates with a higher offset takes effect; PTB makes that
    call right after each fetch, before the handlers run. So a hard kill loses the
    updates that were fetched (and by then confirmed) but not yet answered. In
    practice Telegram never sends an answered update again; the narrow window in
    which it would is pinned down by the last test. Updates Telegram had not handed
    out, or had handed out without a confirmation, go to the restarted process. A
    graceful stop loses none (``test_updates_sent_while_the_bot_is_down...``
    with SIGTERM, and ``test_sigterm_still_answers_updates_already_fetched``).
    """
    fake = harness.fake
    first = harness.start()
    batch1 = harness.ask(30, first_chat=7100, chats=6)  # 5 a chat: at 1 a second, about 4 s
    assert fake.wait_until(lambda: sum(answers(fake).values()) >= 3, timeout=ANSWER_TIMEOUT), first.log()
    first.kill()
    killed_at = first.ended
    answered_before_kill = sum(answers(fake).values())
    assert 0 < answered_before_kill < len(batch1), "the kill must land mid-batch"

    second = harness.start()
    batch2 = harness.ask(12, first_chat=7200, chats=6)
    harness.wait_answered(batch2)
    # Anything of batch 1 that Telegram had not confirmed goes to the new process too.
    ids = update_ids(fake)
    ledger = Ledger.of(fake, first.started, second.started)
    batch1_ids = {ids[key] for key in batch1 if key in ids}
    unconfirmed = [key for key in batch1 if ids.get(key) not in ledger.confirmed(batch1_ids)]
    harness.wait_answered(unconfirmed, by=second)  # answered before the kill or not
    assert second.terminate() == 0, second.log()

    replies = answers(fake)
    by_first = answers_between(fake, first.started, second.started)
    twice = {key: n for key, n in replies.items() if n > 1}
    assert not twice, f"answered more than once: {twice}"
    assert all(replies[key] == 1 for key in batch2)
    assert all(replies[key] <= 1 for key in batch1)
    assert set(replies) <= set(batch1) | set(batch2), "a reply to a message nobody sent"

    lost = [key for key in batch1 if replies[key] == 0]
    assert len(ids) == len(batch1) + len(batch2), "every update was handed out to some process"
    lost_ids = {ids[key] for key in lost}
    # Nothing is lost that Telegram had not handed out to the killed process and been
    # told (by its offset) that it had: exactly the confirmed, unanswered ones are lost.
    assert lost_ids <= ledger.fetched, "lost an update the killed process never fetched"
    assert lost_ids == ledger.confirmed(batch1_ids) - {ids[key] for key in by_first}
    assert fake.pending_updates() == 0  # the graceful stop confirmed all of batch 2

    redelivered = len(batch1) - len(ledger.confirmed(batch1_ids))
    check_every_reply(fake)
    print(f"\nhard kill: {len(batch1)} asked, {sum(by_first.values())} answered before the kill "
          f"(kill {killed_at - first.started:.1f} s after start), {len(lost)} lost, "
          f"{redelivered} redelivered to the new process, 0 twice; "
          f"batch 2: {len(batch2)} answered once each")


@pytest.mark.parametrize("stop", ["SIGKILL", "SIGTERM"])
def test_updates_sent_while_the_bot_is_down_are_answered_after_restart(
    harness: Harness, stop: str
) -> None:
    """Telegram keeps undelivered updates (up to 24 h): the next process answers each once.

    With SIGKILL the dead process's open long poll is still answered, into a dead
    socket, with the new updates. Handing an update out confirms nothing, so
    they reach the restarted process all the same.
    """
    fake = harness.fake
    first = harness.start()
    [warm_up] = harness.ask(1, first_chat=8100, chats=1)
    harness.wait_answered([warm_up])
    if stop == "SIGKILL":
        first.kill()
    else:
        assert first.terminate() == 0, first.log()
    assert fake.pending_updates() == 0  # the warm-up was confirmed either way

    down = harness.ask(12, first_chat=8200, chats=4)
    time.sleep(0.3)  # nothing is running: nothing may happen, whatever the dead poll saw
    assert answers(fake)[down[0]] == 0
    assert fake.pending_updates() == len(down)

    second = harness.start()
    harness.wait_answered(down)
    assert second.terminate() == 0, second.log()
    replies = answers(fake)
    assert all(replies[key] == 1 for key in down), {k: replies[k] for k in down}
    assert replies[warm_up] == 1  # and the update before the stop was not repeated
    assert fake.pending_updates() == 0
    check_every_reply(fake)
    print(f"\n{stop} then restart: {len(down)} updates sent while down, each answered once "
          f"within {max(c.at for c in fake.requests('sendMessage')) - second.started:.1f} s "
          f"of the restart")


def test_hard_kill_before_the_fetch_is_confirmed_redelivers_and_may_answer_twice(
    harness: Harness,
) -> None:
    """The one window Telegram's semantics leave for a repeat, pinned down on purpose.

    The first process fetches a batch, but the getUpdates that would confirm it
    hangs without taking effect (a network fault). It answers some updates and is
    killed. Telegram never saw a higher offset, so it hands every update of the
    batch to the next process, which answers them all. The users whose question the
    first process had already answered see the answer twice. Nothing is lost. This
    is at-least-once delivery: a repeat without a preceding fetch that went
    unconfirmed would be a bug, and the first test shows there is none.
    """
    fake = harness.fake
    batch = harness.ask(12, first_chat=9100, chats=3)  # waiting before the bot starts
    fake.fail("getUpdates", Fault.hang(0, deliver=True))  # the first poll: works, fetches all 12
    fake.fail("getUpdates", Fault.hang(ANSWER_TIMEOUT + 15, deliver=False))  # the next: no effect
    first = harness.start()
    assert fake.wait_until(lambda: sum(answers(fake).values()) >= 2, timeout=ANSWER_TIMEOUT), first.log()
    first.kill()
    assert 0 < sum(answers(fake).values()) < len(batch), "the kill must land mid-batch"
    assert fake.pending_updates() == len(batch)  # Telegram still holds every one

    second = harness.start()
    by_first = answers_between(fake, first.started, second.started)
    ids = update_ids(fake)
    ledger = Ledger.of(fake, first.started, second.started)
    assert ledger.fetched == {ids[key] for key in batch}
    assert ledger.offset == 0, "nothing was confirmed"
    harness.wait_answered(batch, by=second)
    assert second.terminate() == 0, second.log()
    replies = answers(fake)
    by_second = answers_between(fake, second.started, time.monotonic())
    assert all(by_second[key] == 1 for key in batch)  # all redelivered, each answered once
    twice = {key for key in batch if replies[key] > 1}
    assert twice == {key for key in batch if by_first[key]}  # exactly what the killed one answered
    assert all(replies[key] <= 2 for key in batch)
    assert fake.pending_updates() == 0
    check_every_reply(fake)
    print(f"\nkill before confirmation: {len(batch)} fetched, none confirmed, "
          f"{len(twice)} answered twice, 0 lost")
