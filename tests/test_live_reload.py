"""Rebuilding while the bot answers: no failed request, no mixed answers, no bad index served."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.answer import AnswerKind
from bot.pipeline import Pipeline
from index.build import build_index
from index.search import IndexReloadError, Retriever

pytestmark = pytest.mark.slow  # rebuilds and swaps the index while answering: `make test-all`

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"


@pytest.fixture
def live(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    return corpus, out


def test_questions_keep_being_answered_while_the_index_is_rebuilt_and_swapped(live) -> None:
    corpus, out = live
    pipeline = Pipeline(Retriever.open(out))
    stop = threading.Event()
    failures: list[BaseException] = []
    answered = 0

    def ask_forever() -> None:
        nonlocal answered
        questions = ["psoas stretch", "SI joint pain when sitting", "piriformis syndrome", "hi"]
        while not stop.is_set():
            for question in questions:
                try:
                    answer = pipeline.answer(question)
                    assert answer.reply.endswith(answer.disclaimer)
                    answered += 1
                except BaseException as error:  # any failure at all is what this test is about
                    failures.append(error)

    workers = [threading.Thread(target=ask_forever) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        additions = [
            "Walking for twenty minutes a day helps many people with lower back pain feel less stiff.",
            "Swimming takes weight off the spine while the back and core muscles keep working.",
            "A firm mattress is not always better; choose the one you sleep on most comfortably.",
        ]
        for addition in additions:
            with (corpus / "000_eb9de0a5e431290b.txt").open("a", encoding="utf-8") as handle:
                handle.write(addition + "\n")
            build_index(corpus, out, cache_dir=CACHE, show_progress=False)
            assert pipeline.retriever.reload_if_changed()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert failures == []
    assert answered > 0
    assert pipeline.retriever.index.manifest.passage_count == 38 + 3


def test_a_damaged_new_index_is_refused_and_the_old_one_keeps_serving(live) -> None:
    corpus, out = live
    retriever = Retriever.open(out)
    (corpus / "more.txt").write_text(
        "Gentle yoga can ease stiffness in the lower back and hips when practised a few times a week.\n"
    )
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    faiss_file = out / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexReloadError):
        retriever.reload_if_changed()
    assert retriever.index.manifest.passage_count == 38
    assert retriever.search("psoas", k=1).passages


def test_answers_from_many_threads_are_never_mixed_up(pipeline) -> None:
    questions = {
        "what is piriformis syndrome?": "000_eb9de0a5e431290b:15",
        "SI joint injection": "000_eb9de0a5e431290b:12",
        "spinal epidural abscess": "000_eb9de0a5e431290b:2",
        "gluteus medius tear": "000_eb9de0a5e431290b:45",
    }
    asked = list(questions) * 25
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(pipeline.answer, asked))
    for question, answer in zip(asked, answers, strict=True):
        assert answer.question == question
        assert answer.kind is AnswerKind.ANSWER
        assert answer.passages[0].passage.id == questions[question]
