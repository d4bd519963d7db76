"""Train triage's classifier from its labelled examples and write bot/triage/model.json.

    python scripts/train_triage.py [--examples FILE] [--out FILE] [--cache DIR] [--check]

The examples (``bot/triage/data/examples.jsonl``: text, category, author) are embedded
with the same model and normalisation as users' questions, then a multinomial logistic
regression is fitted on them (scikit-learn). The alarm thresholds are calibrated out of
sample: each author's examples are scored by a model trained on the other authors only,
and each threshold is the lowest that keeps false alarms on those held-out non-urgent
messages within its budget. The model file records the examples' hash, so the tests can
tell when it is stale. ``--check`` trains in memory and exits 1 if the shipped model
differs, without writing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.triage.classifier import EXAMPLES_PATH, MODEL_PATH, examples_digest
from bot.triage.training import train
from limber.errors import LimberError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=Path, default=EXAMPLES_PATH)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache", type=Path, default=Path("var/cache"), help="model export cache")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is not what training gives")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.embed import MODEL_NAME

    try:
        classifier, notes = train(args.examples, args.cache)
    except (LimberError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = classifier.to_json(model_name=MODEL_NAME, digest=examples_digest(args.examples), notes=notes)
    print(json.dumps(notes, indent=1))
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print("the shipped model is up to date" if same else f"{args.out} is stale: retrain")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
