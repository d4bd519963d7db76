"""The answer pipeline: a question in, a typed Answer out. Knows nothing of Telegram.

Order matters: safety triage runs before retrieval, so a person describing an
emergency reads the instruction to seek care before anything else, and a
person in crisis gets help lines and no document text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.answer import Answer, AnswerKind, Block, Span
from bot.safety import DISCLAIMER, Triage, TriageKind, crisis_message, red_flag_message, triage
from index.ingest import normalise
from index.passage import ScoredPassage
from index.search import Retriever

__all__ = ["EXAMPLE_QUESTIONS", "TOPICS", "Pipeline", "Policy", "disclaimer_block", "examples_block"]

TOPICS = "back pain, hip flexors, stretches, sciatica and the SI joint"
EXAMPLE_QUESTIONS = (
    "How do I stretch tight hip flexors?",
    "What stretches help sciatica?",
    "Why does my SI joint hurt when I sit?",
)
_EXCERPT_CHARS = 1200  # a longer paragraph is quoted around its best sentences


@dataclass(frozen=True)
class Policy:
    """How retrieval scores become decisions; defaults are calibrated by scripts/evaluate.py."""

    answer_threshold: float = 0.36  # fused score of the best passage below which: no answer
    more_threshold: float = 0.34  # further passages offered through "More" must reach this
    near_duplicate: float = 0.92  # passages this similar to a shown one are not shown again
    red_flag_passage_threshold: float = 0.45  # a passage shown after red-flag advice must reach this
    highlight_margin: float = 0.08  # sentences this close to the best one are marked too
    max_highlights: int = 3


class Pipeline:
    """Answers questions from one retriever under one policy."""

    def __init__(self, retriever: Retriever, policy: Policy | None = None, top_k: int = 5) -> None:
        self.retriever = retriever
        self.policy = policy or Policy()
        self.top_k = top_k

    def answer(self, question: str) -> Answer:
        """The reply to ``question``, always ending with the disclaimer."""
        text = normalise(question)
        if not re.search(r"\w", text):
            return self._reply(question, AnswerKind.HELP, _help_blocks("Send me a question in words."))
        verdict = triage(text)
        if verdict is None:
            return self._answer_from_documents(question, text)
        kind = verdict.kind
        if kind is TriageKind.CRISIS:
            return self._reply(question, AnswerKind.CRISIS, (Block.plain(crisis_message()),),
                               notes=(verdict.reason,))
        if kind is TriageKind.RED_FLAG:
            return self._red_flag(question, text, verdict)
        if kind is TriageKind.GREETING:
            return self._reply(question, AnswerKind.GREETING, _greeting_blocks())
        if kind is TriageKind.HELP:
            return self._reply(question, AnswerKind.HELP, _help_blocks())
        if kind is TriageKind.DOSE:
            return self._reply(question, AnswerKind.NO_ANSWER, _dose_blocks(), notes=(verdict.reason,))
        return self._reply(question, AnswerKind.NO_ANSWER, _not_english_blocks(), notes=(verdict.reason,))

    # -- kinds -----------------------------------------------------------------------------

    def _answer_from_documents(self, question: str, text: str) -> Answer:
        found = self._relevant(text)
        if not found or found[0].score < self.policy.answer_threshold:
            best = f"best score {found[0].score:.3f}" if found else "no passages"
            return self._reply(question, AnswerKind.NO_ANSWER, _no_answer_blocks(),
                               notes=(best,))
        blocks = (
            *self.quote_blocks(found[0]),
            *(_more_hint(len(found) - 1) if len(found) > 1 else ()),
        )
        return self._reply(question, AnswerKind.ANSWER, blocks, passages=tuple(found))

    def _red_flag(self, question: str, text: str, verdict: Triage) -> Answer:
        """The instruction to seek care first; then, if one fits well, a passage."""
        blocks: list[Block] = [Block((Span(red_flag_message(verdict), bold=True),))]
        found = self._relevant(text)
        useful = [p for p in found if p.score >= self.policy.red_flag_passage_threshold][:1]
        if useful:
            blocks.append(Block.plain("Related information from my documents:"))
            blocks += self.quote_blocks(useful[0])
        return self._reply(question, AnswerKind.RED_FLAG, tuple(blocks), passages=tuple(useful),
                           notes=(verdict.reason,))

    def _relevant(self, text: str) -> list[ScoredPassage]:
        """Ranked passages worth showing: no near-duplicates, the rest above the "More" bar."""
        result = self.retriever.search(text, k=max(self.top_k * 3, 10))
        kept: list[ScoredPassage] = []
        vectors: list[np.ndarray] = []
        index = self.retriever.index
        for candidate in result.passages:
            if kept and candidate.score < self.policy.more_threshold:
                break
            vector = index.vector(candidate.passage.id)
            if vector is not None:
                if any(float(vector @ v) >= self.policy.near_duplicate for v in vectors):
                    continue
                vectors.append(vector)
            kept.append(candidate)
            if len(kept) == self.top_k:
                break
        return kept

    # -- composing -------------------------------------------------------------------------

    def quote_blocks(self, scored: ScoredPassage) -> tuple[Block, ...]:
        """The passage as a quotation with its best sentences in bold, then its source."""
        passage = scored.passage
        sentences = passage.sentences or (passage.text,)
        marked = self._highlights(scored)
        shown = _excerpt(sentences, marked)
        spans: list[Span] = []
        if shown[0] > 0:
            spans.append(Span("… "))
        for i in range(shown[0], shown[1]):
            separator = " " if i < shown[1] - 1 else ""
            spans.append(Span(sentences[i], bold=i in marked))
            if separator:
                spans.append(Span(separator))
        if shown[1] < len(sentences):
            spans.append(Span(" …"))
        return (Block(tuple(spans), quote=True), _source_block(scored))

    def more_blocks(self, answer: Answer, index: int) -> tuple[Block, ...]:
        """Passage ``index`` of ``answer`` as a reply of its own, the disclaimer last."""
        count = len(answer.passages)
        if not 0 <= index < count:
            return (
                Block.plain("There are no more related passages for that question. "
                            "Ask me another one, in other words."),
                disclaimer_block(),
            )
        return (
            Block.plain(f"Passage {index + 1} of {count}:", bold=True),
            *self.quote_blocks(answer.passages[index]),
            disclaimer_block(),
        )

    def _highlights(self, scored: ScoredPassage) -> set[int]:
        """The best sentence, and up to two more nearly as close to the question."""
        scores = scored.sentence_scores
        if not scores:
            return set()
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        best = scores[order[0]]
        return {
            i
            for i in order[: self.policy.max_highlights]
            if scores[i] >= best - self.policy.highlight_margin
        }

    def _reply(
        self,
        question: str,
        kind: AnswerKind,
        blocks: tuple[Block, ...],
        *,
        passages: tuple[ScoredPassage, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Answer:
        return Answer(
            question=question,
            kind=kind,
            blocks=(*blocks, disclaimer_block()),
            disclaimer=DISCLAIMER,
            passages=passages,
            notes=notes,
        )


# -- helpers ---------------------------------------------------------------------------------


def disclaimer_block() -> Block:
    """The disclaimer as the closing block of every reply."""
    return Block((Span(DISCLAIMER, italic=True),))


def _excerpt(sentences: tuple[str, ...], marked: set[int]) -> tuple[int, int]:
    """The range of sentences to quote: all of them, or a window around the marked ones."""
    if sum(len(s) + 1 for s in sentences) <= _EXCERPT_CHARS or not marked:
        return 0, len(sentences)
    start = end = min(marked)
    length = 0
    while end < len(sentences) and (length + len(sentences[end]) <= _EXCERPT_CHARS or end == start):
        length += len(sentences[end]) + 1
        end += 1
    while start > 0 and length + len(sentences[start - 1]) <= _EXCERPT_CHARS:
        start -= 1
        length += len(sentences[start]) + 1
    return start, end


def _source_block(scored: ScoredPassage) -> Block:
    passage = scored.passage
    name = passage.source
    return Block((Span("Source: "), Span(name, url=passage.url)))


def _more_hint(count: int) -> tuple[Block, ...]:
    noun = "passage" if count == 1 else "passages"
    return (Block.plain(f"{count} more related {noun}: tap “More” to read on."),)


def _topics_block() -> Block:
    return Block.plain(f"I can answer questions about {TOPICS}, quoting my documents.")


def examples_block() -> Block:
    """Three example questions, as a bulleted block."""
    return Block.plain("For example:\n" + "\n".join(f"• {q}" for q in EXAMPLE_QUESTIONS))


def _greeting_blocks() -> tuple[Block, ...]:
    return (Block.plain("Hello! I'm Limber. 👋"), _topics_block(), examples_block())


def _help_blocks(lead: str | None = None) -> tuple[Block, ...]:
    blocks = [Block.plain(lead)] if lead else []
    blocks += [
        _topics_block(),
        Block.plain("Ask in your own words, in English. I quote the passage that fits best "
                    "and say where it comes from."),
        examples_block(),
    ]
    return tuple(blocks)


def _no_answer_blocks() -> tuple[Block, ...]:
    return (
        Block.plain("I don't have information on that in my documents."),
        _topics_block(),
        Block.plain("Try asking about one of those, in other words."),
    )


def _dose_blocks() -> tuple[Block, ...]:
    return (
        Block.plain("I can't tell you a medicine dose. A pharmacist or your doctor can say what "
                    "is safe for you, with your other medicines and conditions in mind."),
        _topics_block(),
    )


def _not_english_blocks() -> tuple[Block, ...]:
    return (
        Block.plain("Sorry, my documents are in English, so I can only answer questions "
                    "asked in English."),
        _topics_block(),
    )
