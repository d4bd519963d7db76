"""The shared text toolkit (limber/text.py): one normal form each, spelling distances."""

from __future__ import annotations

from limber.text import (
    SpellingIndex,
    deletions,
    edit_distance,
    fold,
    fold_words,
    normalise,
    split_message_sentences,
    split_sentences,
)


def test_edit_distance_counts_a_swap_of_neighbours_as_one_edit() -> None:
    assert edit_distance("crahs", "crash") == 1  # swapped
    assert edit_distance("hamstings", "hamstrings") == 1  # a letter missing
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("ca", "abc") == 3  # optimal string alignment, as the query repair expects


def test_the_spelling_index_finds_known_words_within_the_limit_and_no_other() -> None:
    index = SpellingIndex(["hamstrings", "hamstring", "sciatica", "pelvis"], min_length=4)
    assert index.within("hamstings", 1) == [(1, "hamstrings")]
    assert sorted(index.within("hamstings", 2)) == [(1, "hamstrings"), (2, "hamstring")]
    assert index.within("sciatica", 2) == []  # the word itself is no correction
    assert index.within("pelvix", 1) == [(1, "pelvis")]
    assert index.within("plevsi", 2) == []  # three edits away


def test_the_spelling_index_leaves_out_words_too_short_or_too_long() -> None:
    index = SpellingIndex(["hip", "x" * 50, "spine"], min_length=4, max_length=40)
    assert max(len(key) for key in index) == len("spine")
    assert index.within("hop", 1) == []


def test_each_normal_form_keeps_what_its_readers_need() -> None:
    text = "Hip\u200b  Flexor’s\n stretch\x07"
    assert normalise(text) == "Hip Flexor’s stretch"  # case and quotes kept: what is stored
    assert normalise("ﬁbro\u00a0ＳＴＲＥＴＣＨ", compatibility=True) == "fibro STRETCH"  # imports
    assert fold(text) == "hip flexor's\nstretch\x07"  # lowercase, straight quotes, lines kept
    assert fold_words("Flexor’s ＳＴＲＥＴＣＨ") == "flexor's stretch"
    assert deletions("hip") == {"ip", "hp", "hi"}


def test_typed_messages_split_at_lower_case_sentences_and_line_breaks() -> None:
    message = 'my back hurts. what helps? "it burns!" she said\nany stretch'
    assert split_message_sentences(message) == [
        "my back hurts.",
        "what helps?",
        '"it burns!',
        "she said",
        "any stretch",
    ]
    assert len(split_sentences("my back hurts. what helps?")) == 1  # documents' splitter wants a capital
