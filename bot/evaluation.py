"""Measure the pipeline on a labelled question set (the metrics of scripts/evaluate.py).

A case is one JSON line: ``{"question", "category", "relevant"}`` where category
is ``answerable``, ``off_topic``, ``red_flag``, ``crisis`` or ``benign`` and
``relevant`` lists the passage ids that answer it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.answer import Answer, AnswerKind
from bot.conversation import Conversation
from bot.jsonl import read_jsonl
from bot.pipeline import Pipeline
from limber.text import squash

__all__ = [
    "AnswerCase",
    "AnswerQualityReport",
    "ConversationReport",
    "ConversationTurn",
    "EvalCase",
    "EvalReport",
    "TriageCase",
    "TriageReport",
    "confusion_table",
    "evaluate",
    "evaluate_answers",
    "evaluate_conversations",
    "evaluate_triage",
    "first_passage_holds",
    "load_answer_cases",
    "load_cases",
    "load_conversations",
    "load_triage_cases",
    "no_answer_curve",
]

URGENT_KINDS = {AnswerKind.RED_FLAG, AnswerKind.CRISIS}


@dataclass(frozen=True)
class EvalCase:
    question: str
    category: str
    relevant: tuple[str, ...] = ()
    style: str = ""


@dataclass
class EvalReport:
    """The metrics, each a fraction from 0 to 1 (None where the set has no such case)."""

    counts: dict[str, int]
    recall_at_1: float | None
    recall_at_3: float | None
    mrr_at_10: float | None
    answered_rate: float | None  # answerable questions that got an answer
    no_answer_precision: float | None  # of the no_answer replies, how many had no answer to give
    no_answer_recall: float | None  # of the off-topic questions, how many got no_answer
    red_flag_recall: float | None  # red-flag and crisis reports triaged as urgent
    crisis_recall: float | None  # crisis reports triaged as crisis
    false_alarm_rate: float | None  # benign and answerable questions triaged as urgent
    disclaimer_rate: float  # replies ending with the disclaimer
    misses: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_cases(path: Path) -> list[EvalCase]:
    return read_jsonl(
        path,
        lambda data: EvalCase(
            question=data["question"],
            category=data["category"],
            relevant=tuple(data.get("relevant") or ()),
            style=data.get("style", ""),
        ),
        "an evaluation case",
    )


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _rank(ids: list[str], relevant: tuple[str, ...]) -> int | None:
    return next((i for i, pid in enumerate(ids, start=1) if pid in relevant), None)


def evaluate(pipeline: Pipeline, cases: list[EvalCase]) -> EvalReport:
    """Run every case through ``pipeline`` and its retriever."""
    answers: list[Answer] = [pipeline.answer(c.question) for c in cases]
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.category] = counts.get(case.category, 0) + 1
    hits1 = hits3 = answered = 0
    reciprocal = 0.0
    misses: list[dict[str, object]] = []
    answerable = [(c, a) for c, a in zip(cases, answers, strict=True) if c.category == "answerable"]
    for case, answer in answerable:
        ranked = pipeline.retriever.search(case.question, k=10).passages
        rank = _rank([sp.passage.id for sp in ranked], case.relevant)
        hits1 += rank == 1
        hits3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        answered += answer.kind is AnswerKind.ANSWER
        if rank != 1 or answer.kind is not AnswerKind.ANSWER:
            misses.append(
                {
                    "question": case.question,
                    "kind": answer.kind.value,
                    "rank": rank,
                    "top": ranked[0].passage.id if ranked else None,
                    "score": round(ranked[0].score, 3) if ranked else None,
                }
            )
    off_topic = [a for c, a in zip(cases, answers, strict=True) if c.category == "off_topic"]
    rejected = [c for c, a in zip(cases, answers, strict=True) if a.kind is AnswerKind.NO_ANSWER]
    urgent = [(c, a) for c, a in zip(cases, answers, strict=True) if c.category in ("red_flag", "crisis")]
    crisis = [a for c, a in urgent if c.category == "crisis"]
    ordinary = [(c, a) for c, a in zip(cases, answers, strict=True) if c.category in ("benign", "answerable")]
    for case, answer in [*urgent, *ordinary]:
        wrong = (answer.kind in URGENT_KINDS) != (case.category in ("red_flag", "crisis"))
        if wrong:
            misses.append({"question": case.question, "kind": answer.kind.value, "expected": case.category})
    for case, answer in zip(cases, answers, strict=True):
        if case.category == "off_topic" and answer.kind is not AnswerKind.NO_ANSWER:
            misses.append({"question": case.question, "kind": answer.kind.value, "expected": "no_answer"})
    return EvalReport(
        counts=counts,
        recall_at_1=_ratio(hits1, len(answerable)),
        recall_at_3=_ratio(hits3, len(answerable)),
        mrr_at_10=reciprocal / len(answerable) if answerable else None,
        answered_rate=_ratio(answered, len(answerable)),
        # A "no answer" is right for any question no passage answers (off-topic, or benign
        # questions the documents happen not to cover).
        no_answer_precision=_ratio(sum(not c.relevant for c in rejected), len(rejected)),
        no_answer_recall=_ratio(sum(a.kind is AnswerKind.NO_ANSWER for a in off_topic), len(off_topic)),
        red_flag_recall=_ratio(sum(a.kind in URGENT_KINDS for _, a in urgent), len(urgent)),
        crisis_recall=_ratio(sum(a.kind is AnswerKind.CRISIS for a in crisis), len(crisis)),
        false_alarm_rate=_ratio(sum(a.kind in URGENT_KINDS for _, a in ordinary), len(ordinary)),
        disclaimer_rate=sum(a.reply.endswith(a.disclaimer) for a in answers) / max(len(answers), 1),
        misses=misses,
    )


def no_answer_curve(
    pipeline: Pipeline, cases: list[EvalCase], thresholds: list[float]
) -> list[dict[str, float]]:
    """Answered share of answerable and rejected share of off-topic questions per threshold.

    Uses the best fused score of each question, so it shows the trade-off the
    ``answer_threshold`` of the policy chooses from.
    """

    def best(question: str) -> float:
        ranked = pipeline.retriever.search(question, k=1).passages
        return ranked[0].score if ranked else 0.0

    answerable = [best(c.question) for c in cases if c.category == "answerable"]
    off_topic = [best(c.question) for c in cases if c.category == "off_topic"]
    return [
        {
            "threshold": t,
            "answered": sum(s >= t for s in answerable) / max(len(answerable), 1),
            "rejected": sum(s < t for s in off_topic) / max(len(off_topic), 1),
        }
        for t in thresholds
    ]


# -- triage ---------------------------------------------------------------------------------

_RED_FLAG_CATEGORIES = frozenset(
    {
        "cauda_equina",
        "neuro_deficit",
        "infection",
        "fracture",
        "major_trauma",
        "cancer",
        "vascular",
        "cardiac",
    }
)


@dataclass(frozen=True)
class TriageCase:
    """A message with its category (a red-flag category, ``crisis``, or a non-urgent one)."""

    text: str
    category: str

    @property
    def expected(self) -> str:
        if self.category == "crisis":
            return "crisis"
        return "red_flag" if self.category in _RED_FLAG_CATEGORIES else "none"


@dataclass
class TriageReport:
    """Triage as users meet it: what kind of reply each category of message got."""

    red_flag_recall: float | None  # red-flag reports answered as red flag or crisis
    crisis_recall: float | None  # crisis messages answered as crisis
    false_alarm_rate: float | None  # non-urgent messages answered as red flag or crisis
    disclaimer_rate: float
    by_category: dict[str, dict[str, int]]  # category -> reply kind -> count
    misses: list[dict[str, str]] = field(default_factory=list)


def load_triage_cases(path: Path) -> list[TriageCase]:
    return read_jsonl(
        path, lambda data: TriageCase(str(data["text"]), str(data["category"])), "a triage case"
    )


def evaluate_triage(pipeline: Pipeline, cases: list[TriageCase]) -> TriageReport:
    """Answer each message through the whole pipeline and tally the kinds of reply."""
    by_category: dict[str, dict[str, int]] = {}
    misses: list[dict[str, str]] = []
    hits = {"red_flag": 0, "crisis": 0, "none": 0}
    totals = {"red_flag": 0, "crisis": 0, "none": 0}
    disclaimed = 0
    for case in cases:
        answer = pipeline.answer(case.text)
        disclaimed += answer.reply.endswith(answer.disclaimer)
        got = answer.kind.value
        row = by_category.setdefault(case.category, {})
        row[got] = row.get(got, 0) + 1
        expected = case.expected
        totals[expected] += 1
        urgent = answer.kind in URGENT_KINDS
        right = {
            "crisis": answer.kind is AnswerKind.CRISIS,
            "red_flag": urgent,
            "none": not urgent,
        }[expected]
        hits[expected] += right
        if not right:
            misses.append(
                {"category": case.category, "got": got, "text": case.text, "why": ", ".join(answer.notes)}
            )
    return TriageReport(
        red_flag_recall=_ratio(hits["red_flag"], totals["red_flag"]),
        crisis_recall=_ratio(hits["crisis"], totals["crisis"]),
        false_alarm_rate=_ratio(totals["none"] - hits["none"], totals["none"]),
        disclaimer_rate=disclaimed / max(len(cases), 1),
        by_category=by_category,
        misses=misses,
    )


def confusion_table(report: TriageReport) -> str:
    """Categories down, reply kinds across: the counts of ``report.by_category``."""
    kinds = sorted({k for row in report.by_category.values() for k in row})
    width = max([len(c) for c in report.by_category] + [8])
    lines = [" " * width + "".join(f"{k[:10]:>11}" for k in kinds) + "     n  correct"]
    for category in sorted(report.by_category, key=lambda c: (c not in _RED_FLAG_CATEGORIES, c)):
        row = report.by_category[category]
        case = TriageCase("", category)
        good = {"crisis": ("crisis",), "red_flag": ("red_flag", "crisis")}.get(case.expected)
        n = sum(row.values())
        correct = sum(v for k, v in row.items() if (k in good if good else k not in ("red_flag", "crisis")))
        lines.append(
            f"{category:<{width}}"
            + "".join(f"{row.get(k, 0):>11}" for k in kinds)
            + f"{n:>6}  {correct / n:.3f}"
        )
    return "\n".join(lines)


# -- conversations --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationTurn:
    text: str
    kind: str  # "first", "follow_up" or "switch"
    expect: str | None  # a snippet of the passage that answers it in context; None: no answer


@dataclass
class ConversationReport:
    """Per kind of turn: the share answered right, and how follow-ups were resolved."""

    correct: dict[str, float]  # kind -> right passage first, or an honest no-answer
    counts: dict[str, int]
    resolved_as_follow_up: dict[str, float]  # kind -> share the pipeline treated as a follow-up
    misses: list[dict[str, object]] = field(default_factory=list)


def load_conversations(path: Path) -> list[list[ConversationTurn]]:
    return read_jsonl(
        path,
        lambda data: [
            ConversationTurn(str(t["text"]), str(t["kind"]), t.get("expect")) for t in data["turns"]
        ],
        "a conversation",
    )


def evaluate_conversations(
    pipeline: Pipeline, conversations: list[list[ConversationTurn]], *, with_context: bool = True
) -> ConversationReport:
    """Play each conversation in order; ``with_context=False`` answers every turn alone."""
    right: dict[str, int] = {}
    counts: dict[str, int] = {}
    follow: dict[str, int] = {}
    misses: list[dict[str, object]] = []
    for turns in conversations:
        conversation = Conversation()
        for turn in turns:
            answer = pipeline.answer(turn.text, conversation if with_context else None)
            conversation.record(answer)
            if turn.expect is None:
                ok = answer.kind is AnswerKind.NO_ANSWER
            else:
                ok = first_passage_holds(answer, turn.expect)
            counts[turn.kind] = counts.get(turn.kind, 0) + 1
            right[turn.kind] = right.get(turn.kind, 0) + ok
            follow[turn.kind] = follow.get(turn.kind, 0) + answer.follow_up
            if not ok:
                got = answer.passages[0].passage.text[:80] if answer.passages else answer.kind.value
                misses.append(
                    {
                        "text": turn.text,
                        "kind": turn.kind,
                        "expect": turn.expect,
                        "got": got,
                        "follow_up": answer.follow_up,
                    }
                )
    return ConversationReport(
        correct={k: right[k] / counts[k] for k in counts},
        counts=counts,
        resolved_as_follow_up={k: follow[k] / counts[k] for k in counts},
        misses=misses,
    )


# -- answer quality -------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerCase:
    """A question and what a good reply is: ``expect`` is a verbatim snippet of the passage
    that answers it (``type`` "answerable"), or None when the documents do not ("uncovered")."""

    question: str
    expect: str | None
    style: str = ""  # "precise" or "vague"

    @property
    def answerable(self) -> bool:
        return self.expect is not None


@dataclass
class AnswerQualityReport:
    """Shares from 0 to 1 (None where the set has no such question)."""

    counts: dict[str, int]
    answered: float | None  # answerable questions that got an answer
    helpful_first: float | None  # answerable questions whose first passage holds the answer
    helpful_by_style: dict[str, float]  # the same, per style
    honest_no_answer: float | None  # uncovered questions that got "I don't have information"
    misses: list[dict[str, object]] = field(default_factory=list)


def load_answer_cases(path: Path) -> list[AnswerCase]:
    def case(data: dict[str, object]) -> AnswerCase:
        expect = data.get("expect")
        if data.get("type") == "uncovered":
            expect = None
        return AnswerCase(str(data["question"]), str(expect) if expect else None, str(data.get("style", "")))

    return read_jsonl(path, case, "an answer-quality case")


def first_passage_holds(answer: Answer, snippet: str) -> bool:
    """Did ``answer`` quote, first, the passage that contains ``snippet``?"""
    return (
        answer.kind is AnswerKind.ANSWER
        and bool(answer.passages)
        and (squash(snippet) in squash(answer.passages[0].passage.text))
    )


def evaluate_answers(pipeline: Pipeline, cases: list[AnswerCase]) -> AnswerQualityReport:
    answerable = [c for c in cases if c.answerable]
    uncovered = [c for c in cases if not c.answerable]
    answered = helpful = honest = 0
    by_style: dict[str, list[int]] = {}
    misses: list[dict[str, object]] = []
    for case in cases:
        answer = pipeline.answer(case.question)
        top = answer.passages[0].passage.text[:80] if answer.passages else None
        if case.expect is None:
            ok = answer.kind is AnswerKind.NO_ANSWER
            honest += ok
        else:
            answered += answer.kind is AnswerKind.ANSWER
            ok = first_passage_holds(answer, case.expect)
            helpful += ok
            tally = by_style.setdefault(case.style, [0, 0])
            tally[0] += ok
            tally[1] += 1
        if not ok:
            misses.append(
                {
                    "question": case.question,
                    "expect": case.expect,
                    "kind": answer.kind.value,
                    "top": top,
                    "notes": list(answer.notes),
                }
            )
    return AnswerQualityReport(
        counts={"answerable": len(answerable), "uncovered": len(uncovered)},
        answered=_ratio(answered, len(answerable)),
        helpful_first=_ratio(helpful, len(answerable)),
        helpful_by_style={style: hits / total for style, (hits, total) in sorted(by_style.items())},
        honest_no_answer=_ratio(honest, len(uncovered)),
        misses=misses,
    )
