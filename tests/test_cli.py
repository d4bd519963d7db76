"""The command line is a contract other tools rely on.

Most tests run ``bot.__main__.main(argv)`` in this process (the ``cli`` fixture: the same
code, stdin, stdout, stderr and exit code, without starting an interpreter each time); the
tests marked "from outside" run ``python -m bot`` as other tools do: exit code and stderr of a
real process, a pipe flushed line by line, bytes on stdin that are not UTF-8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun

from bot.replies import DISCLAIMER

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"question", "kind", "passages", "reply", "disclaimer"}
PASSAGE_KEYS = {"id", "text", "score", "source"}


Cli = Callable[..., CliRun]


def _bot(
    *args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` as a process of its own (the tests from outside)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    environment.update({"HF_HUB_OFFLINE": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=environment,
    )


def test_ask_json_answers_one_question_with_the_contract(cli: Cli, seed_index: Path) -> None:
    done = cli("ask", "what stretches help sciatica?", "--index", str(seed_index), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == KEYS
    assert answer["kind"] == "answer"
    assert answer["reply"].endswith(answer["disclaimer"]) and answer["disclaimer"] == DISCLAIMER
    assert all(set(p) == PASSAGE_KEYS for p in answer["passages"])
    scores = [p["score"] for p in answer["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_reads_stdin_and_writes_one_line_per_question_in_order(cli: Cli, seed_index: Path) -> None:
    questions = ["hi", "sciatica stretches", "", "capital of France?", "I want to end my life"]
    done = cli("ask", "--json", "--index", str(seed_index), stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(questions)
    answers = [json.loads(line) for line in lines]
    assert [a["question"] for a in answers] == questions
    assert [a["kind"] for a in answers] == ["greeting", "answer", "help", "no_answer", "crisis"]
    assert all(a["reply"].endswith(DISCLAIMER) for a in answers)


def test_ask_json_flushes_each_answer_before_the_next_question(seed_index: Path) -> None:
    # From outside: a real process, as other tools run it.
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "--index", str(seed_index)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert process.stdin and process.stdout
        process.stdin.write("psoas stretch\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())  # blocks forever if not flushed
        assert first["question"] == "psoas stretch"
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        process.wait(timeout=60)
    assert process.returncode == 0


def test_passage_text_is_the_whole_source_paragraph(cli: Cli, seed_index: Path) -> None:
    done = cli("ask", "SI joint injection", "--index", str(seed_index), "--json")
    best = json.loads(done.stdout)["passages"][0]
    assert best["text"].startswith("A diagnostic SI joint injection may be performed")
    assert best["text"].endswith("relieved by the injection.") or len(best["text"]) > 300


def test_plain_ask_prints_the_reply_a_person_reads(cli: Cli, seed_index: Path) -> None:
    done = cli("ask", "piriformis syndrome", "--index", str(seed_index))
    assert done.returncode == 0, done.stderr
    assert "Source: Back pain, hip flexor and sciatica stretches" in done.stdout  # the title, not the file
    assert done.stdout.strip().endswith(DISCLAIMER)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_search_json_returns_exactly_k_passages(cli: Cli, seed_index: Path, k: int) -> None:
    done = cli(
        "search",
        "--json",
        "-k",
        str(k),
        "--index",
        str(seed_index),
        stdin="hip flexor stretch\nwhat is the capital of France\n",
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in results] == ["hip flexor stretch", "what is the capital of France"]
    for result in results:
        assert set(result) == {"question", "passages"}
        assert len(result["passages"]) == k
        assert all(set(p) == PASSAGE_KEYS for p in result["passages"])


def test_search_returns_fewer_only_when_the_index_holds_fewer(cli: Cli, seed_index: Path) -> None:
    done = cli("search", "--json", "-k", "500", "--index", str(seed_index), stdin="hips\n")
    assert len(json.loads(done.stdout)["passages"]) == 38


def test_search_survives_a_query_of_thousands_of_characters(cli: Cli, seed_index: Path) -> None:
    query = "I have had pain in my lower back and right hip for months, worse when sitting, " * 80
    done = cli("search", "--json", "-k", "2", "--index", str(seed_index), stdin=query + "\n")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["passages"]) == 2


def test_search_prints_a_readable_ranking(cli: Cli, seed_index: Path) -> None:
    done = cli("search", "psoas", "-k", "3", "--index", str(seed_index))
    lines = [ln for ln in done.stdout.splitlines() if ln[:3].strip().rstrip(".").isdigit()]
    assert [ln.split(".")[0].strip() for ln in lines] == ["1", "2", "3"]
    assert "paragraph" in done.stdout


def test_missing_index_is_one_line_naming_the_build_command(tmp_path: Path) -> None:
    # From outside: a real process, as other tools run it.
    done = _bot("ask", "hi", "--index", str(tmp_path / "none"))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: no index at {tmp_path / 'none'}; build it with: python scripts/build_index.py"
    )


def test_a_malformed_token_is_one_clear_line(cli: Cli, seed_index: Path) -> None:
    done = cli("telegram", "--index", str(seed_index), env={"TELEGRAM_BOT_TOKEN": "not-a-token"})
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is malformed" in done.stderr
    assert "not-a-token" not in done.stderr
    assert "Traceback" not in done.stderr


def test_console_chats_until_end_of_input(cli: Cli, seed_index: Path) -> None:
    done = cli("console", "--index", str(seed_index), stdin="psoas stretch\nquit\nnever read\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(DISCLAIMER) == 2  # the greeting and one answer
    assert "Source:" in done.stdout


def test_console_more_shows_the_next_passage_then_says_there_is_no_more(cli: Cli, seed_index: Path) -> None:
    mores = "more\n" * 5  # the answer offers at most four more passages (top_k 5)
    done = cli("console", "--index", str(seed_index), stdin=f"sciatica stretches\n{mores}quit\n")
    assert done.returncode == 0, done.stderr
    assert "Passage 2 of" in done.stdout
    assert "no more related passages" in done.stdout
    assert done.stdout.count(DISCLAIMER) == 7  # greeting, answer, and each "more"


def test_ask_json_survives_bytes_that_are_not_utf8(seed_index: Path) -> None:
    # From outside: a real process, as other tools run it.
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--index", str(seed_index)],
        input=b"psoas stretch\n\xff\xfe broken \xc3\n",
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(answers) == 2
    assert all(a["reply"].endswith(DISCLAIMER) for a in answers)
