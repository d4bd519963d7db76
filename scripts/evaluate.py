"""Evaluate Limber on a labelled question set.

    python scripts/evaluate.py tests/data/eval.jsonl [--index DIR] [--json] [--ablation] [--curve]
    python scripts/evaluate.py --triage MESSAGES.jsonl [--index DIR] [--misses]
    python scripts/evaluate.py --conversations CONVERSATIONS.jsonl [--index DIR] [--misses]
    python scripts/evaluate.py --answers QUESTIONS.jsonl [--index DIR] [--misses]

Prints recall@1, recall@3, MRR@10 (retrieval, answerable questions), the share of
answerable questions answered, no-answer precision and recall, red-flag recall
and false-alarm rate. --ablation adds the same retrieval metrics for BM25 alone,
dense alone and each step of the hybrid; --curve adds the no-answer trade-off.

--triage reads messages labelled by category (``{"text", "category"}``: a red-flag
category, ``crisis``, or a non-urgent one such as ``lookalike``) and prints red-flag
recall, crisis recall and false alarms of the whole pipeline, with a confusion table of
category against the kind of reply each message got.

--conversations plays conversations (``{"id", "turns": [{"text", "kind", "expect"}]}``,
kind ``first``, ``follow_up`` or ``switch``; expect a snippet of the passage that
answers the turn in context, or null for an honest no-answer) turn by turn, with
and without the conversation, and prints the share right per kind of turn and how
often each kind was resolved as a follow-up.

--answers reads questions labelled with the passage that answers them
(``{"question", "type", "style", "expect"}``, type ``answerable`` with expect a verbatim
snippet of that passage, or ``uncovered`` with expect null) and prints the share of
answerable questions answered, whose first passage holds the answer (per style), and
the share of uncovered ones that got an honest "I don't have information on that".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from limber.errors import LimberError

# Retrieval settings compared by --ablation: RetrievalParams fields and their values.
ABLATION: list[tuple[str, dict[str, object]]] = [
    ("BM25 alone", {"mode": "lexical", "expand": False, "repair": False}),
    ("BM25 + spelling + synonyms", {"mode": "lexical"}),
    ("dense: paragraph only", {"mode": "dense", "sentence_weight": 0.0, "repair": False, "expand": False}),
    ("dense: paragraph + best sentence", {"mode": "dense", "repair": False, "expand": False}),
    ("hybrid, no query repair", {"repair": False, "expand": False}),
    ("hybrid + spelling", {"expand": False}),
    ("hybrid + spelling + synonyms (shipped)", {}),
]


def _table(rows: list[tuple[str, object]]) -> str:
    def show(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {show(value)}" for name, value in rows)


def _print_misses(misses: Sequence[Mapping[str, object]], header: str | None = "\nmisses:") -> None:
    """One JSON object a line, under ``header``."""
    if header is not None:
        print(header)
    for miss in misses:
        print(f"  {json.dumps(miss, ensure_ascii=False)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", type=Path, help="JSONL question set (or messages, with --triage)")
    parser.add_argument("--triage", action="store_true", help="triage report by category")
    parser.add_argument("--conversations", action="store_true", help="follow-up report by turn kind")
    parser.add_argument("--answers", action="store_true", help="answer quality: helpful, honest no-answer")
    parser.add_argument("--index", type=Path, help="index directory (default: LIMBER_INDEX_DIR or var/index)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--ablation", action="store_true", help="retrieval metrics per retrieval setting")
    parser.add_argument("--curve", action="store_true", help="no-answer trade-off by threshold")
    parser.add_argument("--misses", action="store_true", help="list the questions that went wrong")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from bot.config import Settings
    from bot.evaluation import (
        confusion_table,
        evaluate,
        evaluate_answers,
        evaluate_conversations,
        evaluate_triage,
        load_answer_cases,
        load_cases,
        load_conversations,
        load_triage_cases,
        no_answer_curve,
    )
    from bot.pipeline import Pipeline
    from bot.service import open_pipeline

    try:
        pipeline = open_pipeline(Settings.from_env(index_dir=args.index))
        if args.triage:
            triage_cases = load_triage_cases(args.cases)
        elif args.conversations:
            conversations = load_conversations(args.cases)
        elif args.answers:
            answer_cases = load_answer_cases(args.cases)
        else:
            cases = load_cases(args.cases)
    except (LimberError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.answers:
        quality = evaluate_answers(pipeline, answer_cases)
        print(f"questions: {quality.counts}")
        print(
            _table(
                [
                    ("answered", quality.answered),
                    ("helpful_first", quality.helpful_first),
                    *(
                        (f"helpful_first ({style})", share)
                        for style, share in quality.helpful_by_style.items()
                    ),
                    ("honest_no_answer", quality.honest_no_answer),
                ]
            )
        )
        if args.misses:
            _print_misses(quality.misses)
        return 0
    if args.conversations:
        print(f"conversations: {len(conversations)}")
        print("turn kind     n    alone  with context  resolved as follow-up")
        alone = evaluate_conversations(pipeline, conversations, with_context=False)
        together = evaluate_conversations(pipeline, conversations)
        for kind in ("first", "follow_up", "switch"):
            if kind in together.counts:
                print(
                    f"{kind:<12}{together.counts[kind]:>3}    {alone.correct[kind]:.3f}  "
                    f"{together.correct[kind]:>12.3f}  {together.resolved_as_follow_up[kind]:>21.3f}"
                )
        if args.misses:
            _print_misses(together.misses, header=None)
        return 0
    if args.triage:
        triage = evaluate_triage(pipeline, triage_cases)
        print(f"messages: {len(triage_cases)}")
        print(
            _table(
                [
                    ("red_flag_recall", triage.red_flag_recall),
                    ("crisis_recall", triage.crisis_recall),
                    ("false_alarm_rate", triage.false_alarm_rate),
                    ("disclaimer_rate", triage.disclaimer_rate),
                ]
            )
        )
        print("\nreplies by category\n" + confusion_table(triage))
        if args.misses:
            _print_misses(triage.misses)
        return 0
    report = evaluate(pipeline, cases)
    summary = report.as_dict()
    if not args.misses:
        summary.pop("misses")
    ablation: dict[str, dict[str, float | None]] = {}
    if args.ablation:
        for name, changes in ABLATION:
            variant = Pipeline(pipeline.retriever.with_params(**changes), pipeline.policy)
            sub = evaluate(variant, [c for c in cases if c.category == "answerable"])
            ablation[name] = {
                "recall_at_1": sub.recall_at_1,
                "recall_at_3": sub.recall_at_3,
                "mrr_at_10": sub.mrr_at_10,
            }
    curve: list[dict[str, float]] = []
    if args.curve:
        thresholds = [round(0.30 + 0.02 * i, 2) for i in range(13)]
        curve = no_answer_curve(pipeline, cases, thresholds)
    if args.json:
        output: dict[str, object] = {"report": summary}
        if args.ablation:
            output["ablation"] = ablation
        if args.curve:
            output["curve"] = curve
        print(json.dumps(output, indent=2))
        return 0
    metrics = {k: v for k, v in report.as_dict().items() if k not in ("counts", "misses")}
    print(f"cases: {report.counts}")
    print(_table(list(metrics.items())))
    if args.ablation:
        print("\nablation (answerable questions)        R@1    R@3    MRR@10")
        for name, values in ablation.items():
            print(
                f"  {name:<38}{values['recall_at_1']:.3f}  {values['recall_at_3']:.3f}  "
                f"{values['mrr_at_10']:.3f}"
            )
    if args.curve:
        print("\nno-answer threshold   answered (answerable)   rejected (off-topic)")
        for row in curve:
            print(
                f"  {row['threshold']:.2f}                {row['answered']:.3f}"
                f"                   {row['rejected']:.3f}"
            )
    if args.misses:
        _print_misses(report.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
