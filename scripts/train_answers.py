"""Train the three learned decisions of answering and write their models.

    python scripts/train_answers.py [--index DIR] [--check]

- Answerability (``bot/answerability/model.json``): do the documents answer a question?
  From ``corpus/answerability.jsonl`` (question, answerable, author). The model records
  the documents' hashes and is used only on an index of those documents: after changing
  them, label questions for what changed and run this again.
- Follow-up dependence (``bot/followup/model.json``): does a message lean on the
  conversation? From ``bot/followup/data/turns.jsonl`` (context, message, follows, author).
- The follow-up answer check (``bot/followup/answer_check.json``): does the passage a
  follow-up was answered from say what it asks? From ``bot/followup/data/conversations.jsonl``
  (conversations with the snippet answering each turn, or null), played through the two
  models above.

Each question or message is asked of the index (default: LIMBER_INDEX_DIR, else var/index)
as users' are, but without its own writer's known questions (index.known), and a logistic
regression is fitted on its embedding and evidence; each threshold is calibrated on writers
held out. ``--check`` trains in memory and exits 1 if a
shipped model differs, without writing.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from limber.errors import LimberError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: LIMBER_INDEX_DIR)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a shipped model is not what training gives"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bot import answerability, followup
    from bot.answerability import AnswerabilityModel
    from bot.answerability.training import train as train_answerability
    from bot.config import Settings
    from bot.followup import DependenceModel
    from bot.followup.training import train as train_followup
    from bot.followup.training import train_answer_check
    from bot.linear import file_digest
    from bot.pipeline import Pipeline
    from bot.service import open_retriever
    from index.embed import MODEL_NAME

    settings = Settings.from_env(index_dir=args.index)
    questions = (settings.corpus_dir or Path("corpus")) / answerability.QUESTIONS_FILE
    try:
        retriever = open_retriever(settings)

        def held_out(
            answerability: AnswerabilityModel | None = None, dependence: DependenceModel | None = None
        ) -> Callable[[str], Pipeline]:
            """Pipelines that search as a new writer would: without that writer's own known
            questions (one per writer, made once)."""

            @functools.cache
            def pipeline_for(author: str) -> Pipeline:
                return Pipeline(
                    retriever.with_params(known_exclude=author),
                    answerability=answerability,
                    dependence=dependence,
                    shipped_models=False,
                )

            return pipeline_for

        bare = held_out()
        answers = train_answerability(questions, bare)
        dependence = train_followup(followup.TURNS_PATH, bare)
        # The answer check learns from follow-ups as the two models just trained answer them.
        check = train_answer_check(followup.CONVERSATIONS_PATH, held_out(answers, dependence))
        outputs = [
            (path, model.to_json(model_name=MODEL_NAME, digest=file_digest(data)))
            for path, model, data in (
                (answerability.MODEL_PATH, answers, questions),
                (followup.MODEL_PATH, dependence, followup.TURNS_PATH),
                (followup.ANSWER_CHECK_PATH, check, followup.CONVERSATIONS_PATH),
            )
        ]
    except (LimberError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = False
    for path, text in outputs:
        print(f"{path}: {_summary(text)}")
        if args.check:
            same = path.is_file() and path.read_text(encoding="utf-8") == text
            print("  up to date" if same else "  stale: retrain")
            stale |= not same
        else:
            path.write_text(text, encoding="utf-8")
    return 1 if stale else 0


def _summary(text: str) -> str:
    data = json.loads(text)
    return ", ".join(
        f"{k} {v}" for k, v in {"threshold": data["threshold"], **data["notes"]}.items() if k != "authors"
    )


if __name__ == "__main__":
    sys.exit(main())
