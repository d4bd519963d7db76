"""The answer pipeline: a question in, a typed Answer out. Knows nothing of Telegram.

Order matters: safety triage runs before retrieval, so a person describing an
emergency reads the instruction to seek care before anything else, and a
person in crisis gets help lines and no document text. The question is encoded
once; triage and retrieval share the vector. Neither a failed encode nor a
failed search can take the care instruction away: triage's rules need neither.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace

import numpy as np

from bot import replies
from bot.answer import Answer, AnswerKind, Block, Offer, Span
from bot.answerability import AnswerabilityModel, load_answerability
from bot.asks import ask_type_bonus, states_the_number_asked
from bot.conversation import Conversation, Turn
from bot.followup import (
    DependenceModel,
    Resolution,
    announces_new_topic,
    load_answer_check,
    load_dependence,
    looks_dependent,
)
from bot.passage_quality import is_pointer_passage, points_elsewhere
from bot.replies import DISCLAIMER
from bot.triage import (
    Source,
    Triage,
    TriageKind,
    assess,
    crisis_message,
    passage_fits_red_flag,
    red_flag_message,
)
from bot.triage.classifier import load_classifier
from index.passage import ScoredPassage
from index.search import Retriever
from limber.text import normalise

__all__ = ["Pipeline", "Policy"]

_EXCERPT_CHARS = 1200  # a longer paragraph is quoted around its best sentences
# Words of a follow-up that say what kind of fact it wants, not what it is about (stemmed).
_ASK_TERMS = frozenset(
    "long often much mani time safe ok okay normal bad better wors easier harder way thing one "
    "els anyth someth also els more again tell explain mean".split()
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How retrieval scores become decisions; defaults are calibrated by scripts/evaluate.py."""

    answer_threshold: float = 0.36  # fused score of the best passage below which: no answer
    more_threshold: float = 0.34  # further passages offered through "More" must reach this
    near_duplicate: float = 0.92  # passages this similar to a shown one are not shown again
    red_flag_passage_threshold: float = 0.45  # a passage shown after red-flag advice must reach this
    highlight_margin: float = 0.08  # sentences this close to the best one are marked too
    own_topic_margin: float = 0.06  # a message this far above the answer bar stands on its own
    shown_margin: float = 0.05  # the passage already shown wins when this close to the best
    sure_alarm: float = 0.6  # a classifier red flag this confident stands whatever the context
    short_message_words: int = 6  # a message this short may lean on the context without a pronoun
    pointer_penalty: float = 0.08  # ranking cost of a passage that only points elsewhere
    nearby_threshold: float = 0.30  # a passage this close to an unanswered question is named as nearby
    follow_up_evidence: float = 0.45  # a sentence this close to a follow-up (with its ask) answers it
    max_highlights: int = 3


@dataclass(frozen=True)
class _Judgement:
    answers: bool  # the best passage answers the question
    note: str  # why, for the answer's notes: the best score, and the model's probability


class Pipeline:
    """Answers questions from one retriever under one policy."""

    def __init__(
        self,
        retriever: Retriever,
        policy: Policy | None = None,
        top_k: int = 5,
        *,
        answerability: AnswerabilityModel | None = None,
        dependence: DependenceModel | None = None,
        answer_check: AnswerabilityModel | None = None,
        shipped_models: bool = True,
    ) -> None:
        """The learned decisions, by default the shipped ones (none with ``shipped_models``
        False): ``answerability``, whether the best passage answers, and ``answer_check``,
        whether the passage a follow-up is answered from says what it asks (both only on an
        index of the documents they were trained on; else the score bar and coverage), and
        ``dependence``, whether a message is a follow-up (else its form decides)."""
        self.retriever = retriever
        self.policy = policy or Policy()
        self.top_k = top_k
        self._answerability = answerability or (load_answerability() if shipped_models else None)
        self._dependence = dependence or (load_dependence() if shipped_models else None)
        self._answer_check = answer_check or (load_answer_check() if shipped_models else None)
        self._models_for: tuple[str, AnswerabilityModel | None, AnswerabilityModel | None] = ("", None, None)
        load_classifier()  # triage's model (1 MB of numbers): read now, not on the first message

    def answer(self, question: str, conversation: Conversation | None = None) -> Answer:
        """The reply to ``question``, always ending with the disclaimer.

        With a ``conversation``, a message that depends on what came before is searched
        with its context, and triage reads it with its context too. The conversation is
        not changed here: the caller records the answer (``Conversation.record``).
        """
        text = normalise(question)
        if not re.search(r"\w", text):
            return self._reply(question, AnswerKind.HELP, replies.question_help(replies.EMPTY_QUESTION))
        vector = self._encode(text)
        verdict = assess(text, vector, encode_spans=self._encode_spans)
        context = conversation.context() if conversation is not None else None
        if context is not None and self._alarm_fades_in_context(text, verdict, context):
            verdict = None
        if verdict is None and context is not None:
            return self._answer_in_context(question, text, vector, context)
        if verdict is None:
            return self._answer_from_documents(question, text, vector)
        kind = verdict.kind
        if kind is TriageKind.CRISIS:
            return self._reply(
                question, AnswerKind.CRISIS, (Block.plain(crisis_message(verdict)),), notes=(verdict.reason,)
            )
        if kind is TriageKind.RED_FLAG:
            return self._red_flag(question, text, vector, verdict)
        if kind is TriageKind.GREETING:
            return self._reply(question, AnswerKind.GREETING, replies.greeting())
        if kind is TriageKind.ACKNOWLEDGEMENT:
            return self._reply(
                question,
                AnswerKind.ACKNOWLEDGEMENT,
                (Block.plain(replies.acknowledgement_text(verdict.reason)),),
            )
        if kind is TriageKind.HELP:
            return self._reply(question, AnswerKind.HELP, replies.question_help())
        if kind is TriageKind.DOSE:
            return self._refuse_dose(question, verdict.reason)
        return self._reply(question, AnswerKind.NO_ANSWER, replies.not_english(), notes=(verdict.reason,))

    def offers(self, query: str, limit: int = 5) -> tuple[Offer, ...]:
        """Inline mode ("@limber_bot sciatica stretch"): the best passages, each a message of
        its own with its source and the disclaimer. Triage applies: a red flag or a crisis
        offers the care instruction, never passages."""
        answer = self.answer(query)
        if answer.kind is AnswerKind.ANSWER:
            return tuple(
                Offer(
                    title=scored.passage.source,
                    description=_opening(scored),
                    blocks=replies.reply(self.quote_blocks(scored)),
                )
                for scored in answer.passages[:limit]
            )
        title = replies.OFFER_TITLES.get(answer.kind, "Limber")
        return (Offer(title=title, description=_clip(answer.blocks[0].text), blocks=answer.blocks),)

    def ranked(self, question: str) -> tuple[np.ndarray | None, list[ScoredPassage]]:
        """The question's embedding and the passages it would be answered from, best first
        (what the answerability model learns from: scripts/train_answers.py)."""
        text = normalise(question)
        vector = self._encode(text)
        return vector, self._relevant(text, vector)

    def scored_alone(self, question: str, passage_id: str) -> tuple[np.ndarray | None, ScoredPassage | None]:
        """The question's embedding and one passage scored for the question alone (what the
        answer check of a follow-up reads: scripts/train_answers.py)."""
        text = normalise(question)
        vector = self._encode(text)
        return vector, self._scored_for(text, vector, passage_id)

    def _scored_for(self, text: str, vector: np.ndarray | None, passage_id: str) -> ScoredPassage | None:
        return next(
            (p for p in self._relevant(text, vector, keep=(passage_id,)) if p.passage.id == passage_id), None
        )

    def forgot(self) -> Answer:
        """The reply to /forget, once the caller has cleared the conversation."""
        return self._reply("/forget", AnswerKind.ACKNOWLEDGEMENT, (Block.plain(replies.FORGOT_CONVERSATION),))

    # -- kinds -----------------------------------------------------------------------------

    def _encode(self, text: str) -> np.ndarray | None:
        """The question's embedding, or None when the encoder fails (triage's rules still run)."""
        try:
            return self.retriever.encode(text)
        except Exception:
            log.exception("encoding the question failed; triage falls back to its rules")
            return None

    def _refuse_dose(self, question: str, *notes: str) -> Answer:
        return self._reply(question, AnswerKind.NO_ANSWER, replies.dose_refusal(), notes=notes)

    def _encode_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
        """Sentences of ``text`` read in context, for triage (see ``bot.triage.assess``)."""
        return self.retriever.index.encoder.encode_spans(text, spans)

    def _answer_from_documents(
        self,
        question: str,
        text: str,
        vector: np.ndarray | None,
        found: list[ScoredPassage] | None = None,
        resolution: Resolution | None = None,
        *,
        sure: bool = False,
    ) -> Answer:
        """``sure``: the evidence is settled already (a follow-up judged with its context)."""
        found = self._relevant(text, vector) if found is None else found
        follow_up = resolution is not None and resolution.follow_up
        searched_for = resolution.query if resolution is not None else None
        judged = self._judge(found, vector)
        if not found or not (sure or judged.answers):
            return self._reply(
                question,
                AnswerKind.NO_ANSWER,
                replies.no_answer(self._nearby(found)),
                notes=(judged.note,),
                searched_for=searched_for,
                follow_up=follow_up,
            )
        # The highlight answers what is asked ("how long?" marks the hold time, not the
        # sentence that repeats the topic word); for a follow-up, the follow-up itself.
        if follow_up and vector is not None:
            found = [self._refocus(found[0], text, vector), *found[1:]]
        else:
            found = [_with_ask(found[0], text), *found[1:]]
        blocks = (
            *self.quote_blocks(found[0], asked=text),
            *((replies.more_hint(len(found) - 1),) if len(found) > 1 else ()),
        )
        return self._reply(
            question,
            AnswerKind.ANSWER,
            blocks,
            passages=tuple(found),
            searched_for=searched_for,
            follow_up=follow_up,
        )

    def _answer_in_context(
        self, question: str, text: str, vector: np.ndarray | None, context: Turn
    ) -> Answer:
        """A message after earlier turns: on its own, or as a follow-up of the last one."""
        alone = self._relevant(text, vector)
        alone_best = max((p.score for p in alone), default=0.0)
        dependent = self._depends(text, vector, alone_best)
        if announces_new_topic(text) or (
            not dependent and alone_best >= self.policy.answer_threshold + self.policy.own_topic_margin
        ):
            return self._answer_from_documents(question, text, vector, alone)  # a topic of its own
        combined = f"{context.question} {text}"
        # Safety reads the message with its context ("and now I can't feel my legs"), by the
        # precise rules: the earlier question's words must not raise a classifier alarm.
        verdict = assess(combined) if context.kind is not AnswerKind.RED_FLAG else None
        if verdict is not None and verdict.kind in (TriageKind.CRISIS, TriageKind.RED_FLAG):
            if verdict.kind is TriageKind.CRISIS:
                return self._reply(
                    question,
                    AnswerKind.CRISIS,
                    (Block.plain(crisis_message(verdict)),),
                    notes=(verdict.reason, "with context"),
                )
            return self._red_flag(question, text, vector, verdict)
        if verdict is not None and verdict.kind is TriageKind.DOSE:
            # "how much should I take?" after a question about ibuprofen asks for a dose.
            return self._refuse_dose(question, verdict.reason, "with context")
        combined_vector = self._encode(combined)  # the one extra encode of a follow-up
        shown = context.passage_ids[:1]
        together = self._prefer_shown(self._relevant(combined, combined_vector, keep=shown), context, text)
        # Judged with its context by the score bar: the model learnt standalone questions, and
        # the earlier question's words would make any follow-up look answerable to it.
        strong = self._judge(together, None).answers
        # A message that does not point back keeps its own answer when it has one; context
        # only rescues it from "no answer" when it was too weak alone to say. One the model
        # refused though it scored as an answer asks what the documents don't say: its
        # context must not drag an answer back to the old topic.
        rescuable = not self._judge(alone, vector).answers and alone_best < self.policy.answer_threshold
        if dependent or (strong and rescuable):
            covered = bool(together) and self._covers(together[0], text, vector)
            refused = bool(together) and not self._checks_out(text, vector, together[0], alone)
            if (not covered and not strong) or refused:
                together = []  # it asks about something the passage on the table does not say
            return self._answer_from_documents(
                question, text, vector, together, Resolution(True, combined), sure=covered or strong
            )
        return self._answer_from_documents(question, text, vector, alone, Resolution(False, text))

    def _checks_out(
        self, text: str, vector: np.ndarray | None, found: ScoredPassage, alone: list[ScoredPassage]
    ) -> bool:
        """Does the answer check (when it knows these documents) agree that ``found`` says
        what the follow-up asks? Read on the follow-up alone (``alone``: its own search, which
        holds the passage's scores unless it ranked too low): its context found the passage."""
        check = self._models_of_index()[1]
        if check is None or vector is None:
            return True
        scored = next((p for p in alone if p.passage.id == found.passage.id), None)
        scored = scored or self._scored_for(text, vector, found.passage.id)
        return scored is not None and check.probability(vector, scored) >= check.threshold

    def _depends(self, text: str, vector: np.ndarray | None, alone_best: float) -> bool:
        """Does the message lean on the conversation? The model decides; without it (or a
        vector), the message's form."""
        if self._dependence is None or vector is None:
            return looks_dependent(text)
        return self._dependence.follows(text, vector, alone_best)

    def _judge(self, found: list[ScoredPassage], vector: np.ndarray | None) -> _Judgement:
        """Does the best of ``found`` answer the question searched with ``vector``? The
        answerability model decides on the documents it knows; elsewhere (or with no
        ``vector``), the score bar."""
        if not found:
            return _Judgement(False, "no passages")
        top_score = max(p.score for p in found)  # ranking may demote the best
        model = self._models_of_index()[0]
        if model is None or vector is None:
            return _Judgement(top_score >= self.policy.answer_threshold, f"best score {top_score:.3f}")
        probability = model.probability(vector, found[0])
        answers = top_score >= self.policy.nearby_threshold and probability >= model.threshold
        return _Judgement(answers, f"best score {top_score:.3f}, answerable {probability:.2f}")

    def _models_of_index(self) -> tuple[AnswerabilityModel | None, AnswerabilityModel | None]:
        """The answerability model and the answer check, each if it was trained on the
        documents of the index now served (checked once per index: a reload may bring others)."""
        manifest = self.retriever.index.manifest
        build, answerability, check = self._models_for
        if build != manifest.build_id:
            hashes = manifest.data.get("corpus_file_hashes") or {}
            answerability, check = (
                model if model is not None and model.applies_to(hashes) else None
                for model in (self._answerability, self._answer_check)
            )
            self._models_for = (manifest.build_id, answerability, check)
        return answerability, check

    def _covers(self, scored: ScoredPassage, text: str, vector: np.ndarray | None) -> bool:
        """Does the passage say what a follow-up asks? Most of its content words are there,
        or one sentence is close to it in meaning and states the kind of fact it asks for."""
        analyzer = self.retriever.index.lexical.analyzer
        asked = set(analyzer.query_terms(text)) - _ASK_TERMS
        have = set(analyzer.terms(scored.passage.text))
        if asked and len(asked & have) * 2 >= len(asked):
            return True
        if vector is None:
            return False
        focused = self._refocus(scored, text, vector).sentence_scores
        return bool(focused) and max(focused) >= self.policy.follow_up_evidence

    def _nearby(self, found: list[ScoredPassage]) -> list[str]:
        """What the documents have close to a question they don't answer: the opening words
        of up to two passages near the bar, named as nearby, never shown as the answer."""
        return [
            _opening(p, 80)
            for p in found[:2]
            if p.score >= self.policy.nearby_threshold and not is_pointer_passage(p.passage)
        ]

    def _pointer_penalty(self, scored: ScoredPassage) -> float:
        """A passage that only introduces content elsewhere ranks behind real instructions."""
        return self.policy.pointer_penalty if is_pointer_passage(scored.passage) else 0.0

    def _alarm_fades_in_context(self, text: str, verdict: Triage | None, context: Turn) -> bool:
        """A follow-up that only the classifier flagged, weakly, and not once read in context.

        "I can't reach my heels" after a stretch is about the stretch; the same words with
        no conversation keep their alarm. Rules' alarms and confident ones always stand.
        """
        if verdict is None or verdict.kind is not TriageKind.RED_FLAG:
            return False
        if verdict.source is not Source.CLASSIFIER or (verdict.confidence or 0.0) >= self.policy.sure_alarm:
            return False
        if not looks_dependent(text) and len(text.split()) > self.policy.short_message_words:
            return False
        combined = f"{context.question} {text}"
        again = assess(combined, self._encode(combined))
        return again is None or again.kind is not TriageKind.RED_FLAG

    def _prefer_shown(self, found: list[ScoredPassage], context: Turn, text: str) -> list[ScoredPassage]:
        """The passage already on the table first, when the follow-up asks about it."""
        if not found or not context.passage_ids:
            return found
        shown = context.passage_ids[0]
        for i, candidate in enumerate(found):
            if candidate.passage.id != shown:
                continue
            # "How long?" after a stretch: its hold time is in the passage already shown.
            asks_about_it = any(ask_type_bonus(text, s) for s in candidate.passage.sentences)
            if asks_about_it or candidate.score >= found[0].score - self.policy.shown_margin:
                return [candidate, *found[:i], *found[i + 1 :]]
        return found

    def _refocus(self, scored: ScoredPassage, text: str, vector: np.ndarray) -> ScoredPassage:
        """``scored`` with its sentences scored against the follow-up alone and what it asks."""
        index = self.retriever.index
        sentences = scored.passage.sentences
        vectors = index.sentence_vectors_of(scored.passage.id)
        if vectors is None or len(vectors) != len(sentences):
            return scored
        return _with_ask(replace(scored, sentence_scores=tuple(float(v @ vector) for v in vectors)), text)

    def _red_flag(self, question: str, text: str, vector: np.ndarray | None, verdict: Triage) -> Answer:
        """The instruction to seek care first; then a passage, only one about that symptom."""
        blocks: list[Block] = [Block((Span(red_flag_message(verdict), bold=True),))]
        try:
            found = self._relevant(text, vector)
        except Exception:
            # The instruction above never depends on search: answer with it alone.
            log.exception("search failed after a red flag; answering with the instruction only")
            found = []
        index = self.retriever.index
        useful = [
            p
            for p in found
            if p.score >= self.policy.red_flag_passage_threshold
            and passage_fits_red_flag(verdict, p.passage.text, index.vector(p.passage.id))
        ][:1]
        if useful:
            blocks.append(Block.plain(replies.RELATED_AFTER_CARE))
            blocks += self.quote_blocks(useful[0])
        return self._reply(
            question, AnswerKind.RED_FLAG, tuple(blocks), passages=tuple(useful), notes=(verdict.reason,)
        )

    def _relevant(
        self, text: str, vector: np.ndarray | None = None, *, keep: tuple[str, ...] = ()
    ) -> list[ScoredPassage]:
        """Ranked passages worth showing: no near-duplicates, the rest above the "More" bar.

        Passages in ``keep`` (the one already on the table) stay however they score.
        """
        k = max(self.top_k * 3, 10) if not keep else max(self.top_k * 3, 50)
        result = self.retriever.search(text, k=k, vector=vector)
        # The score shown is the one ranked by: a pointer passage's is lowered, not just moved.
        ranked = sorted(
            (
                replace(p, score=p.score - penalty) if (penalty := self._pointer_penalty(p)) else p
                for p in result.passages
            ),
            key=lambda p: -p.score,
        )
        kept: list[ScoredPassage] = []
        seen: list[np.ndarray] = []
        index = self.retriever.index
        for candidate in ranked:
            if candidate.passage.id in keep:
                kept.append(candidate)
                continue
            if len(kept) >= self.top_k + len(keep) or (kept and candidate.score < self.policy.more_threshold):
                if keep:
                    continue  # a kept passage may still come further down
                break
            own = index.vector(candidate.passage.id)
            if own is not None:
                if any(float(own @ v) >= self.policy.near_duplicate for v in seen):
                    continue
                seen.append(own)
            kept.append(candidate)
        return kept

    # -- composing -------------------------------------------------------------------------

    def quote_blocks(self, scored: ScoredPassage, *, asked: str | None = None) -> tuple[Block, ...]:
        """The passage as a quotation with its best sentences in bold, then its source.
        With the question ``asked``, a sentence that gives the number it asks for ("Hold for
        eight to 12 breaths" for "how long?") is bold alone, not beside the set-up around it."""
        passage = scored.passage
        sentences = passage.sentences or (passage.text,)
        answering = {i for i, s in enumerate(sentences) if asked and states_the_number_asked(asked, s)}
        marked = self._highlights(scored, answering)
        shown = _excerpt(sentences, marked)
        # A sentence that only points at stretches elsewhere on its page is left out.
        dropped = {i for i, s in enumerate(sentences) if points_elsewhere(s) and i not in marked}
        if len(dropped) == len(sentences):
            dropped = set()
        kept = [i for i in range(shown[0], shown[1]) if i not in dropped]
        spans: list[Span] = []
        if kept[0] > 0:
            spans.append(Span("… "))
        for position, i in enumerate(kept):
            if position:
                spans.append(Span(" … " if i != kept[position - 1] + 1 else " "))
            spans.append(Span(sentences[i], bold=i in marked))
        if kept[-1] < len(sentences) - 1:
            spans.append(Span(" …"))
        return (Block(tuple(spans), quote=True), replies.source(passage.source, passage.url))

    def more_blocks(self, answer: Answer, index: int) -> tuple[Block, ...]:
        """Passage ``index`` of ``answer`` as a reply of its own, the disclaimer last."""
        count = len(answer.passages)
        if not 0 <= index < count:
            return replies.reply([Block.plain(replies.NO_MORE_PASSAGES)])
        return replies.reply(
            [replies.passage_heading(index, count), *self.quote_blocks(answer.passages[index])]
        )

    def _highlights(self, scored: ScoredPassage, answering: Set[int] = frozenset()) -> set[int]:
        """The best sentence, and up to two more nearly as close to the question; when one of
        those gives the number asked for (``answering``), only the ones that do."""
        scores = scored.sentence_scores
        if not scores:
            return set()
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        close = [i for i in order if scores[i] >= scores[order[0]] - self.policy.highlight_margin]
        if any(i in answering for i in close):
            order = [i for i in order if i in answering]
        best = scores[order[0]]
        return {
            i for i in order[: self.policy.max_highlights] if scores[i] >= best - self.policy.highlight_margin
        }

    def _reply(
        self,
        question: str,
        kind: AnswerKind,
        blocks: tuple[Block, ...],
        *,
        passages: tuple[ScoredPassage, ...] = (),
        notes: tuple[str, ...] = (),
        searched_for: str | None = None,
        follow_up: bool = False,
    ) -> Answer:
        return Answer(
            question=question,
            kind=kind,
            blocks=replies.reply(blocks),
            disclaimer=DISCLAIMER,
            passages=passages,
            notes=(*notes, "follow-up") if follow_up else notes,
            searched_for=searched_for,
            follow_up=follow_up,
        )


# -- helpers ---------------------------------------------------------------------------------


def _with_ask(scored: ScoredPassage, question: str) -> ScoredPassage:
    """``scored`` with its sentences that state the kind of fact ``question`` asks lifted."""
    sentences = scored.passage.sentences
    if len(scored.sentence_scores) != len(sentences):
        return scored
    lifted = tuple(
        score + ask_type_bonus(question, sentence)
        for score, sentence in zip(scored.sentence_scores, sentences, strict=True)
    )
    return replace(scored, sentence_scores=lifted)


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


def _opening(scored: ScoredPassage, limit: int = 100) -> str:
    """A passage's first sentence as a one-line preview."""
    passage = scored.passage
    return _clip(passage.sentences[0] if passage.sentences else passage.text, limit)


def _clip(text: str, limit: int = 100) -> str:
    """A one-line preview of at most ``limit`` characters, cut at a word."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit - 1)].rstrip(",;:") + "…"
