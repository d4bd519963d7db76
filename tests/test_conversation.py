"""Conversations: follow-ups use the last turn, new topics do not, state stays bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import replies
from bot.answer import AnswerKind
from bot.answerability import load_answerability
from bot.asks import ask_type_bonus
from bot.conversation import Conversation, ConversationStore
from bot.followup import (
    ANSWER_CHECK_PATH,
    CONVERSATIONS_PATH,
    MODEL_PATH,
    TURNS_PATH,
    announces_new_topic,
    load_answer_check,
    load_dependence,
    looks_dependent,
)
from bot.linear import file_digest
from bot.pipeline import Pipeline
from bot.replies import DISCLAIMER
from index.embed import MODEL_NAME
from limber.errors import LimberError


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_conversation_is_forgotten_after_thirty_minutes_of_silence(pipeline) -> None:
    clock = _Clock()
    store = ConversationStore(clock=clock)
    store.get("chat").record(pipeline.answer("how do I stretch my psoas?"))
    clock.now += 29 * 60
    assert store.get("chat").context() is not None
    clock.now += 31 * 60
    assert store.get("chat").context() is None


def test_the_store_is_bounded_and_drops_the_least_recent_chat(pipeline) -> None:
    store = ConversationStore(capacity=2)
    answer = pipeline.answer("how do I stretch my psoas?")
    for key in ("a", "b", "c"):
        store.get(key).record(answer)
    assert len(store) == 2
    assert store.get("a").context() is None  # dropped, so a fresh one
    assert store.forget("c") and not store.forget("never-seen")


def test_greetings_and_crises_are_not_context_for_a_follow_up(pipeline) -> None:
    conversation = Conversation()
    conversation.record(pipeline.answer("hello"))
    assert conversation.context() is None


def test_form_of_a_follow_up_is_recognised() -> None:
    assert looks_dependent("how long should i hold it?")
    assert looks_dependent("and the other side?")
    assert looks_dependent("how many times")
    assert looks_dependent("where can i find more of her stuff")  # the trainer just named
    assert looks_dependent("what happens to my hip flexors over time then")
    assert not looks_dependent("what causes si joint pain when sitting for a long time at work")


def test_how_long_lifts_the_sentence_with_the_hold_time() -> None:
    assert ask_type_bonus("how long do i hold it", "Hold for eight to 12 breaths.") > 0
    assert ask_type_bonus("how long do i hold it", "Kneel on the floor.") == 0


def test_a_follow_up_is_answered_from_the_passage_already_on_the_table(pipeline) -> None:
    conversation = Conversation()
    first = pipeline.answer("how do I do the frog stretch for my hips?", conversation)
    conversation.record(first)
    assert first.kind is AnswerKind.ANSWER
    follow = pipeline.answer("how long do I hold it?", conversation)
    assert follow.kind is AnswerKind.ANSWER and follow.follow_up
    assert follow.passages[0].passage.id == first.passages[0].passage.id
    bold = [s.text for b in follow.blocks for s in b.spans if s.bold]
    assert any("breaths" in text.lower() for text in bold)  # the hold time is highlighted
    assert follow.reply.endswith(DISCLAIMER)


def test_the_same_follow_up_without_a_conversation_is_not_answered_from_nowhere(pipeline) -> None:
    alone = pipeline.answer("how long do I hold it?")
    assert not alone.follow_up


def test_a_new_topic_is_answered_on_its_own_not_dragged_back(pipeline) -> None:
    conversation = Conversation()
    conversation.record(pipeline.answer("how do I do the frog stretch for my hips?", conversation))
    switch = pipeline.answer("what is a spinal epidural abscess and what causes it?", conversation)
    assert not switch.follow_up
    assert "abscess" in switch.passages[0].passage.text.lower()


def test_safety_reads_a_follow_up_with_its_context(pipeline) -> None:
    conversation = Conversation()
    conversation.record(pipeline.answer("what stretches help sciatica?", conversation))
    answer = pipeline.answer("and now I can't feel my legs", conversation)
    assert answer.kind is AnswerKind.RED_FLAG


def test_a_dose_asked_as_a_follow_up_of_a_medicine_question_is_refused(pipeline) -> None:
    conversation = Conversation()
    conversation.record(pipeline.answer("does ibuprofen help with sciatica?", conversation))
    refusal = replies.dose_refusal()[0]
    assert pipeline.answer("how much should I take?", conversation).blocks[0] == refusal
    assert pipeline.answer("how much should I take?").blocks[0] != refusal  # alone, no medicine is named


def test_ask_json_keeps_one_conversation_per_id_and_plain_lines_stand_alone(cli, seed_index: Path) -> None:
    lines = [
        json.dumps({"question": "how do I do the frog stretch for my hips?", "conversation": "a"}),
        json.dumps({"question": "how do I stretch my hamstrings?", "conversation": "b"}),
        json.dumps({"question": "how long do I hold it?", "conversation": "a"}),
        "how long do I hold it?",
    ]
    done = cli("ask", "--json", stdin="\n".join(lines) + "\n", env={"LIMBER_INDEX_DIR": str(seed_index)})
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 4
    assert out[2]["question"] == "how long do I hold it?"
    assert out[2]["passages"] and out[2]["passages"][0]["id"] == out[0]["passages"][0]["id"]
    assert out[3]["kind"] != "answer" or out[3]["passages"][0]["id"] != out[0]["passages"][0]["id"]


def test_the_conversation_report_scores_follow_ups_with_and_without_context(pipeline, tmp_path: Path) -> None:
    from bot.evaluation import evaluate_conversations, load_conversations

    hold = "Hold for eight to 12 breaths"
    line = {
        "id": "c1",
        "turns": [
            {"text": "how do I do the frog stretch for my hips?", "kind": "first", "expect": hold},
            {"text": "how long do I hold it?", "kind": "follow_up", "expect": hold},
        ],
    }
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    conversations = load_conversations(path)
    together = evaluate_conversations(pipeline, conversations)
    assert together.counts == {"first": 1, "follow_up": 1}
    assert together.correct["follow_up"] == 1.0 and together.resolved_as_follow_up["follow_up"] == 1.0
    alone = evaluate_conversations(pipeline, conversations, with_context=False)
    assert alone.resolved_as_follow_up["follow_up"] == 0.0


def test_a_one_word_follow_up_leans_on_the_conversation_though_its_form_does_not_say_so(pipeline) -> None:
    assert not looks_dependent("breaths?")  # no pronoun, no fragment: the form alone misses it
    by_form = Pipeline(pipeline.retriever, answerability=load_answerability(), shipped_models=False)
    for each in (pipeline, by_form):
        conversation = Conversation()
        conversation.record(each.answer("how do I get into frog pose", conversation))
        follow = each.answer("breaths?", conversation)
        frog = "widen your knees" in follow.passages[0].passage.text
        assert (follow.follow_up and frog) is (each is pipeline)  # by form: another pose's breaths


def test_a_message_that_announces_a_new_topic_stands_alone_whatever_its_pronouns(pipeline) -> None:
    assert announces_new_topic("different question: is it bad to sit all day?")
    assert announces_new_topic("on another note, what causes it")
    assert not announces_new_topic("something else i can do for it?")  # asks for more of the same
    conversation = Conversation()
    conversation.record(pipeline.answer("how do I do the frog stretch for my hips?", conversation))
    switch = pipeline.answer("Unrelated, but what causes it, the pain in my SI joint?", conversation)
    assert not switch.follow_up


def test_the_shipped_follow_up_model_was_trained_on_the_shipped_turns() -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model["turns_sha256"] == file_digest(TURNS_PATH), (
        "bot/followup/data/turns.jsonl changed: retrain with python scripts/train_answers.py"
    )
    assert model["embedding_model"] == MODEL_NAME
    assert load_dependence() is not None


def test_a_damaged_follow_up_model_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(LimberError, match=r"scripts/train_answers\.py"):
        load_dependence(broken)


# Follow-ups on the topic whose answer the documents don't have: the context finds the
# passage of the first turn again, which says nothing of what is asked now.
UNCOVERED_FOLLOW_UPS = (
    ("how do I do cat cow?", "is it still ok if I'm pregnant?"),
    ("how do I do the seated forward fold?", "can I use a strap if I can't reach?"),
    ("what is the SI joint", "can a massage gun help it?"),
)


@pytest.mark.parametrize(("first", "follow"), UNCOVERED_FOLLOW_UPS)
def test_a_follow_up_the_passage_on_the_table_does_not_answer_gets_no_quote(pipeline, first, follow) -> None:
    unchecked = Pipeline(
        pipeline.retriever,
        answerability=load_answerability(),
        dependence=load_dependence(),
        shipped_models=False,
    )
    for each in (pipeline, unchecked):
        conversation = Conversation()
        conversation.record(each.answer(first, conversation))
        answer = each.answer(follow, conversation)
        assert answer.follow_up
        # What the check is for: without it, the context's passage is quoted as the answer.
        assert (answer.kind is AnswerKind.NO_ANSWER) is (each is pipeline), answer.passages[:1]


def test_the_answer_check_keeps_a_follow_up_the_passage_answers(pipeline) -> None:
    conversation = Conversation()
    conversation.record(pipeline.answer("how do I do cat cow?", conversation))
    follow = pipeline.answer("how many breaths?", conversation)
    assert follow.kind is AnswerKind.ANSWER and "10-15 breaths" in follow.passages[0].passage.text


def test_the_shipped_answer_check_was_trained_on_the_shipped_conversations() -> None:
    model = json.loads(ANSWER_CHECK_PATH.read_text(encoding="utf-8"))
    assert model["questions_sha256"] == file_digest(CONVERSATIONS_PATH), (
        "bot/followup/data/conversations.jsonl changed: retrain with python scripts/train_answers.py"
    )
    assert model["embedding_model"] == MODEL_NAME
    assert load_answer_check() is not None


def test_a_follow_up_after_one_the_documents_could_not_answer_keeps_the_earlier_topic(pipeline) -> None:
    conversation = Conversation()
    for message in ("how do I do cat cow?", "is it still ok if I'm pregnant?"):
        conversation.record(pipeline.answer(message, conversation))
    assert conversation.turns[-1].kind is AnswerKind.NO_ANSWER and conversation.turns[-1].follow_up
    follow = pipeline.answer("how many breaths?", conversation)
    # Not the pregnancy question's search ("...pregnant how many breaths" found frog pose).
    assert follow.kind is AnswerKind.ANSWER and "10-15 breaths" in follow.passages[0].passage.text
