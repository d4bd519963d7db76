"""Long messages: the subject line and the sentences that ask are found and weighted."""

from __future__ import annotations

from index.focus import asks, find_focus
from index.search import MAX_QUERY_CHARS

SEED = "000_eb9de0a5e431290b"

STORY = (
    "Last spring I started a new job at a warehouse across town and my days changed a lot. "
    "I get up at five, make coffee, feed the cat and catch the early bus with my neighbour. "
    "We talk about football, the weather and whatever our kids did at the weekend. "
    "The shifts are long and the canteen food is not great, so I bring sandwiches from home. "
    "On my days off I like to garden, and this year we grew tomatoes, beans and far too many courgettes. "
)


def test_a_subject_line_and_asking_sentences_make_the_focus() -> None:
    focus = find_focus(
        "Glaucoma\nMy father is 70 and was diagnosed last year. Had surgery in May. "
        "He uses drops every day but his vision keeps getting worse. is there any new treatment "
        "for this? We live in Ohio. I would like to know if laser works. Thanks for any help."
    )
    assert focus.subject == "Glaucoma"
    assert focus.asking == ("is there any new treatment for this?", "I would like to know if laser works.")
    assert focus.applies


def test_a_greeting_on_the_first_line_is_not_a_subject() -> None:
    focus = find_focus(
        "Hi there,\nI have had knee pain for a month after a fall on the ice outside "
        "my house and it is not getting better at all. What should I do about it?"
    )
    assert focus.subject == ""
    assert focus.asking == ("What should I do about it?",)


def test_statements_that_start_like_questions_do_not_ask() -> None:
    assert not asks("Had surgery in May.")
    assert not asks("Have been on these pills for a year.")
    assert not asks("Thank you for any help you can give.")
    assert asks("Can you tell me what causes it")
    assert asks("Any advice would be appreciated.")


def test_a_short_question_is_searched_as_it_is() -> None:
    assert not find_focus("how do I stretch my psoas?").applies


def test_a_question_after_a_story_longer_than_the_cut_is_still_found(retriever) -> None:
    question = "Which muscle in the buttock can squeeze the sciatic nerve and cause sciatica?"
    message = STORY * 6 + question
    assert len(message) > MAX_QUERY_CHARS  # the question lies beyond the part the model reads
    found = retriever.search(message, k=3)
    assert found.focus == question
    assert found.passages[0].passage.id == f"{SEED}:15"


def test_the_story_still_counts_when_the_question_is_vague(retriever) -> None:
    message = (
        "My trainer showed me a warm-up where you start with one foot behind you, take an extra step "
        "back while squeezing your glutes, and reach the opposite arm over your head. I forgot the "
        "details. How is it done, and how many reps and sets should I do?"
    )
    assert retriever.search(message, k=1).passages[0].passage.id == f"{SEED}:39"
