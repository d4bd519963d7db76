"""The answer pipeline as a user meets it: kinds, quotes, sources, the disclaimer, honesty."""

from __future__ import annotations

import pytest

from bot.answer import AnswerKind
from bot.render import answer_json, console_text, telegram_parts
from bot.replies import DISCLAIMER
from index.passage import ScoredPassage

SEED = "000_eb9de0a5e431290b"

EVERY_KIND = {
    "how do I stretch my hip flexors?": AnswerKind.ANSWER,
    "what is the capital of France?": AnswerKind.NO_ANSWER,
    "I suddenly can't control my bladder and my back is killing me": AnswerKind.RED_FLAG,
    "I want to kill myself": AnswerKind.CRISIS,
    "hi": AnswerKind.GREETING,
    "help": AnswerKind.HELP,
    "": AnswerKind.HELP,
    "🙂🙂": AnswerKind.HELP,
    "how many mg of ibuprofen can I take for sciatica?": AnswerKind.NO_ANSWER,
    "me duele mucho la espalda, qué estiramientos puedo hacer?": AnswerKind.NO_ANSWER,
}


@pytest.mark.parametrize(("question", "kind"), EVERY_KIND.items())
def test_every_kind_of_reply_ends_with_the_disclaimer(pipeline, question: str, kind) -> None:
    answer = pipeline.answer(question)
    assert answer.kind is kind
    assert answer.disclaimer == DISCLAIMER
    assert answer.reply.endswith(DISCLAIMER)
    assert console_text(answer).endswith(DISCLAIMER)
    assert telegram_parts(answer)[-1].endswith(f"<i>{DISCLAIMER}</i>")
    assert answer_json(answer)["reply"] == answer.reply


def test_an_answer_quotes_the_best_paragraph_with_its_source(pipeline) -> None:
    answer = pipeline.answer("what is piriformis syndrome?")
    assert answer.kind is AnswerKind.ANSWER
    best = answer.passages[0].passage
    assert best.id == f"{SEED}:15"
    assert best.text in answer.reply.replace("… ", "")
    assert f"Source: {best.source}" in answer.reply


def test_the_sentences_that_answer_are_bold_and_verbatim(pipeline) -> None:
    answer = pipeline.answer("what is piriformis syndrome?")
    quote = next(block for block in answer.blocks if block.quote)
    bold = [span.text for span in quote.spans if span.bold]
    assert 1 <= len(bold) <= 3
    assert all(text in answer.passages[0].passage.text for text in bold)
    assert any("piriformis syndrome" in text for text in bold)


@pytest.mark.parametrize(
    ("question", "answering_sentence"),
    [
        ("how long do I hold frog pose", "Hold for eight to 12 breaths"),
        ("why do my hip flexors get tight", "can also be causes of tight hip flexors"),
    ],
)
def test_the_bold_sentence_states_what_was_asked_not_the_topic(
    pipeline, question: str, answering_sentence: str
) -> None:
    answer = pipeline.answer(question)
    bold = " ".join(span.text for span in answer.blocks[0].spans if span.bold)
    assert answering_sentence in bold


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("how long do I hold frog pose", "Hold for eight to 12 breaths (c)."),
        ("how many breaths for cat cow", "Oscillate between these two poses for 10-15 breaths."),
    ],
)
def test_the_number_asked_for_is_bold_alone_not_beside_the_set_up(
    pipeline, question: str, number: str
) -> None:
    answer = pipeline.answer(question)
    assert [span.text for span in answer.blocks[0].spans if span.bold] == [number]


def test_near_identical_passages_are_never_shown_twice(pipeline) -> None:
    answer = pipeline.answer("piriformis stretches for sciatica relief")
    texts = [sp.passage.text for sp in answer.passages]
    assert len(texts) == len(set(texts))
    vectors = [pipeline.retriever.index.vector(sp.passage.id) for sp in answer.passages]
    for i, a in enumerate(vectors):
        for b in vectors[i + 1 :]:
            assert float(a @ b) < pipeline.policy.near_duplicate


def test_junk_is_never_served(pipeline) -> None:
    for question in (
        "how do I verify my military account?",
        "who is Kelly the yoga teacher?",
        "is this information medical advice?",
        "Hi John, thanks for the video",
    ):
        answer = pipeline.answer(question)
        ids = {sp.passage.id for sp in answer.passages}
        assert not ids & {f"{SEED}:{n}" for n in (8, 10, 28, 32, 35, 38, 41)}


def test_an_unanswerable_question_gets_an_honest_no(pipeline) -> None:
    answer = pipeline.answer("what is a good diet for kidney stones?")
    assert answer.kind is AnswerKind.NO_ANSWER
    assert answer.passages == ()
    assert answer.reply.startswith("I don't have information on that in my documents.")
    assert "back pain" in answer.reply  # says what it can help with


def test_an_on_topic_question_the_documents_miss_names_what_is_nearby_not_as_an_answer(pipeline) -> None:
    answer = pipeline.answer("is a standing desk better for my back")
    assert answer.kind is AnswerKind.NO_ANSWER and not answer.passages
    assert "The closest they come, which does not answer it:" in answer.reply
    assert not any(block.quote for block in answer.blocks)  # named, never quoted as an answer
    off_topic = pipeline.answer("what is the capital of peru")
    assert "closest" not in off_topic.reply


def test_a_dose_question_gets_no_dose(pipeline) -> None:
    answer = pipeline.answer("how much naproxen should I take for my back?")
    assert answer.kind is AnswerKind.NO_ANSWER
    assert "pharmacist" in answer.reply
    assert not any(ch.isdigit() for ch in answer.reply.replace(DISCLAIMER, ""))


def test_a_crisis_gets_help_lines_and_no_document_text(pipeline) -> None:
    answer = pipeline.answer("I don't want to be alive anymore, the back pain never stops")
    assert answer.kind is AnswerKind.CRISIS
    assert answer.passages == ()
    assert "988" in answer.reply and "116 123" in answer.reply


def test_a_red_flag_is_answered_first_with_seeking_care_now(pipeline) -> None:
    answer = pipeline.answer("I have numbness around my groin and back pain since this morning")
    assert answer.kind is AnswerKind.RED_FLAG
    first = answer.blocks[0]
    assert first.spans[0].bold
    assert "emergency" in first.text.lower()


def test_a_greeting_says_what_the_bot_knows(pipeline) -> None:
    answer = pipeline.answer("hello!")
    assert "sciatica" in answer.reply and "hip flexors" in answer.reply
    assert answer.reply.count("• ") == 3  # three example questions


def test_long_questions_are_answered_not_crashed(pipeline) -> None:
    question = "my lower back hurts when I sit at my desk all day " * 2000
    answer = pipeline.answer(question)
    assert answer.reply.endswith(DISCLAIMER)


def test_control_and_zero_width_characters_do_not_change_the_answer(pipeline) -> None:
    clean = pipeline.answer("sciatica stretches")
    noisy = pipeline.answer("\u200bsci\u200batica\x00 stretches\u202e")
    assert noisy.kind is clean.kind
    assert [sp.passage.id for sp in noisy.passages][:1] == [sp.passage.id for sp in clean.passages][:1]


def test_an_introduction_pointing_at_stretches_elsewhere_is_not_the_first_answer(pipeline) -> None:
    from bot.passage_quality import is_pointer_passage

    index = pipeline.retriever.index
    pointers = [p for p in index.passages if is_pointer_passage(p)]
    assert any("the following piriformis stretches" in p.text for p in pointers)
    answer = pipeline.answer("hip stretches")
    assert answer.kind is AnswerKind.ANSWER
    assert not is_pointer_passage(answer.passages[0].passage)


def test_a_quote_leaves_out_sentences_that_only_point_elsewhere(pipeline) -> None:
    from bot.passage_quality import points_elsewhere

    index = pipeline.retriever.index
    passage = next(p for p in index.passages if "listed here" in p.text)
    scores = (0.9,) + (0.1,) * (len(passage.sentences) - 1)
    scored = ScoredPassage(passage=passage, score=0.5, sentence_scores=scores)
    quote = pipeline.quote_blocks(scored)[0].text
    assert not any(points_elsewhere(s) and s in quote for s in passage.sentences[1:])
