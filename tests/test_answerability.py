"""Answerability: the documents' own questions decide what they answer, and only for them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.answer import AnswerKind
from bot.answerability import MODEL_PATH, QUESTIONS_FILE, load_answerability
from bot.linear import file_digest
from bot.pipeline import Pipeline
from index.embed import MODEL_NAME
from index.ingest import corpus_files
from limber.errors import LimberError

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def test_the_shipped_model_was_trained_on_the_shipped_questions_and_documents(seed_index: Path) -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model["questions_sha256"] == file_digest(CORPUS / QUESTIONS_FILE), (
        "corpus/answerability.jsonl changed: retrain with python scripts/train_answers.py"
    )
    manifest = json.loads((seed_index / "manifest.json").read_text(encoding="utf-8"))
    assert model["documents"] == manifest["corpus_file_hashes"], (
        "the documents changed: label questions for what changed, then retrain with "
        "python scripts/train_answers.py"
    )
    assert model["embedding_model"] == MODEL_NAME


def test_the_labelled_questions_are_data_beside_the_documents_never_one_of_them() -> None:
    names = {path.name for path in corpus_files(CORPUS)}
    assert QUESTIONS_FILE not in names and names
    rows = [json.loads(line) for line in (CORPUS / QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()]
    fields = {"question", "answerable", "author", "answer", "context"}
    assert all({"question", "answerable", "author"} <= set(r) <= fields for r in rows)
    assert all(r["answerable"] for r in rows if "answer" in r)  # the snippet that answers (index.known)
    assert len({r["author"] for r in rows}) >= 5  # several writers: the threshold is held out by writer


# Asked in our own words; each scores above the fused-score bar, as an answer would.
UNCOVERED = ("does kinesio tape help sciatica?", "is a chiropractor good for a stiff SI joint")


@pytest.mark.parametrize("question", UNCOVERED)
def test_a_question_on_topic_the_documents_do_not_answer_gets_no_unrelated_quote(
    pipeline: Pipeline, question: str
) -> None:
    by_score = Pipeline(pipeline.retriever, shipped_models=False).answer(question)
    assert by_score.kind is AnswerKind.ANSWER  # the score alone would quote a passage
    answer = pipeline.answer(question)
    assert answer.kind is AnswerKind.NO_ANSWER and not answer.passages
    assert any("answerable" in note for note in answer.notes)


# The two examples: the best passage is the answer, yet scores under the bar (by its
# text: the known questions of index.known lift it over since).
BELOW_THE_BAR = {
    "when should I get my back pain checked out by a doctor?": "Don’t medically investigate back pain",
    "I slept funny and now my back hurts, is that normal": "sleeping in an awkward position",
}


@pytest.mark.parametrize(("question", "answer_text"), BELOW_THE_BAR.items())
def test_an_answerable_question_below_the_score_bar_is_answered(
    pipeline: Pipeline, question: str, answer_text: str
) -> None:
    by_text = Pipeline(pipeline.retriever.with_params(known_weight=0.0), shipped_models=False)
    assert by_text.answer(question).kind is AnswerKind.NO_ANSWER
    answer = pipeline.answer(question)
    assert answer.kind is AnswerKind.ANSWER
    assert answer_text in answer.passages[0].passage.text


def test_the_model_never_decides_on_documents_it_was_not_trained_on(pipeline: Pipeline) -> None:
    shipped = load_answerability()
    assert shipped is not None
    elsewhere = replace(shipped, documents={"other-leaflet.txt": "0" * 64})
    other = Pipeline(pipeline.retriever, answerability=elsewhere)
    by_score = Pipeline(pipeline.retriever, shipped_models=False)
    for question in (*UNCOVERED, *BELOW_THE_BAR):
        assert other.answer(question).kind is by_score.answer(question).kind


def test_a_damaged_model_file_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text('{"format": 1, "weights": [1, 2]}', encoding="utf-8")
    with pytest.raises(LimberError, match=r"scripts/train_answers\.py"):
        load_answerability(broken)
    assert load_answerability(tmp_path / "absent.json") is None  # then the score bar decides


def test_training_calibrates_on_held_out_writers_and_records_the_documents(
    pipeline: Pipeline, seed_index: Path, tmp_path: Path
) -> None:
    from bot.answerability.training import train

    answerable = ["how do I stretch my hip flexors", "what causes sciatica", "what is the SI joint"]
    uncovered = [
        "is swimming good for sciatica",
        "what mattress is best for my back",
        "does acupuncture work",
    ]
    rows = [
        {"question": f"{q} {author}", "answerable": ok, "author": author}
        for author in ("one", "two")
        for ok, questions in ((True, answerable), (False, uncovered))
        for q in questions
    ]
    questions = tmp_path / "answerability.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    held_out: list[str] = []

    def pipeline_for(author: str) -> Pipeline:
        held_out.append(author)
        return Pipeline(pipeline.retriever.with_params(known_exclude=author), shipped_models=False)

    model = train(questions, pipeline_for)
    assert {"one", "two"} <= set(held_out)  # each question searched without its own writer's
    manifest = json.loads((seed_index / "manifest.json").read_text(encoding="utf-8"))
    assert model.documents == manifest["corpus_file_hashes"]
    assert 0.0 < model.threshold < 1.0 and model.model.weights.shape == (388,)
    assert model.model.notes["rows"] == len(rows)
    assert np.isfinite(model.model.weights).all()
