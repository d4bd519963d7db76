"""Known questions: a labelled question lifts the paragraph that answers it (index.known)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index
from index.ingest import corpus_files, corpus_hash
from index.known import QUESTIONS_FILE
from index.search import Retriever
from limber.errors import CorpusError

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"

STRETCH = (
    "Kneel on your right knee with the left foot flat in front of you. Lean forward so that "
    "your weight is on the front foot until you feel a stretch in the front of the right hip."
)
WEIGHT = (
    "Body weight matters for your back: every extra kilo you carry puts more load on the "
    "lumbar spine, so losing weight often eases back pain."
)
QUESTION = "where should my weight be?"


def _corpus(root: Path, known: list[dict[str, object]]) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "guide.txt").write_text(f"{STRETCH}\n\n{WEIGHT}\n", encoding="utf-8")
    (corpus / QUESTIONS_FILE).write_text("".join(json.dumps(r) + "\n" for r in known), encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    root = tmp_path_factory.mktemp("known")
    known = [
        {
            "question": "in the kneeling hip stretch where do I put my weight",
            "answerable": True,
            "author": "writer-a",
            "answer": "so that your weight is on the front foot",
        },
        {"question": "is a standing desk better", "answerable": False, "author": "writer-a"},
        {
            "question": "why is my knee clicking",
            "answerable": True,
            "author": "writer-b",
            "answer": "not here",
        },
    ]
    corpus = _corpus(root, known)
    report = build_index(corpus, root / "index", cache_dir=CACHE, show_progress=False)
    assert report.known.unmatched == ("not here",)  # reported, and the build goes on
    return Retriever.open(root / "index")


def test_a_question_worded_as_someone_asked_before_finds_the_paragraph_that_answered_them(
    guide: Retriever,
) -> None:
    assert guide.search(QUESTION, k=2).passages[0].passage.id == "guide:1"


def test_without_known_questions_the_shared_word_wins_which_is_what_they_are_for(guide: Retriever) -> None:
    assert guide.with_params(known_weight=0.0).search(QUESTION, k=2).passages[0].passage.id == "guide:2"


def test_a_writer_held_out_gets_no_lift_from_their_own_questions(guide: Retriever) -> None:
    held_out = guide.with_params(known_exclude="writer-a")
    assert held_out.search(QUESTION, k=2).passages[0].passage.id == "guide:2"


def test_only_answered_questions_whose_answer_is_found_are_kept(guide: Retriever) -> None:
    known = guide.index.known
    assert known.questions == ("in the kneeling hip stretch where do I put my weight",)
    assert known.authors == ("writer-a",) and list(known.owners) == [0]


def test_changing_the_known_questions_makes_the_index_stale(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [{"question": "a", "answerable": False, "author": "x"}])
    files = corpus_files(corpus)
    before = corpus_hash(files, corpus)
    (corpus / QUESTIONS_FILE).write_text(
        '{"question": "b", "answerable": false, "author": "x"}\n', encoding="utf-8"
    )
    assert corpus_hash(files, corpus) != before
    assert all(f.name != QUESTIONS_FILE for f in files)  # data about the documents, not one of them


def test_a_malformed_line_stops_the_build_naming_the_file_line_and_command(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [])
    (corpus / QUESTIONS_FILE).write_text(
        '{"question": "ok", "answerable": true, "author": "x"}\n[1, 2]\n', encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r"answerability\.jsonl, line 2.*scripts/build_index\.py"):
        build_index(corpus, tmp_path / "index", cache_dir=CACHE, show_progress=False)


def test_the_seed_index_carries_the_corpus_known_questions(retriever: Retriever) -> None:
    known = retriever.index.known
    assert len(known.questions) > 500 and len(set(known.authors)) > 10
    assert retriever.index.known_vectors is not None and len(retriever.index.known_vectors) == len(
        known.questions
    )


def test_a_known_follow_up_is_embedded_as_searched_with_its_context_and_never_trains_alone(
    tmp_path: Path,
) -> None:
    from bot.answerability.training import load_questions
    from limber.text import normalise

    follow_up = {
        "question": "and where does my weight go?",
        "answerable": True,
        "author": "writer-c",
        "answer": "so that your weight is on the front foot",
        "context": "how do I do the kneeling hip stretch",
    }
    standalone = {"question": "is a standing desk better", "answerable": False, "author": "writer-c"}
    corpus = _corpus(tmp_path, [follow_up, standalone])
    report = build_index(corpus, tmp_path / "index", cache_dir=CACHE, show_progress=False)
    # The pipeline searches a follow-up as its context then the message: so is it known.
    searched = "how do I do the kneeling hip stretch and where does my weight go?"
    assert report.known.questions == (normalise(searched),)
    # The answerability model learns standalone questions: the follow-up is not one.
    assert [q.question for q in load_questions(corpus / QUESTIONS_FILE)] == ["is a standing desk better"]
