"""Build (or rebuild) Limber's search index from the corpus directory.

    python scripts/build_index.py [--corpus corpus] [--out var/index] [--cache var/cache]
                                  [--check [EVAL.jsonl] [--margin 0.02] [--force]]

The new index replaces the old one only when it is complete; a failed build
leaves the previous index serving. A running bot picks the new index up by itself.

With --check, the finished index is scored on a labelled question set before it
is renamed into place: recall@1, answered and triage recall must reach their
floors and stay within --margin of the index serving now. Otherwise the build is
refused with one line per failed metric and exit code 3, and the old index keeps
serving; --force publishes it anyway and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.config import DEFAULT_CACHE_DIR, DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR
from limber.errors import LimberError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECK = ROOT / "tests" / "data" / "eval.jsonl"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(env.get("LIMBER_CORPUS_DIR", DEFAULT_CORPUS_DIR)),
        help="directory of documents (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(env.get("LIMBER_INDEX_DIR", DEFAULT_INDEX_DIR)),
        help="where to write the index (default: %(default)s)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(env.get("LIMBER_CACHE_DIR", DEFAULT_CACHE_DIR)),
        help="embedding cache and exported model (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--if-stale",
        action="store_true",
        help="do nothing when the index is complete and the corpus unchanged",
    )
    parser.add_argument(
        "--check",
        type=Path,
        nargs="?",
        const=DEFAULT_CHECK,
        metavar="EVAL.jsonl",
        help="score the new index on this question set before publishing it "
        f"(default set: {DEFAULT_CHECK.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=None,
        help="how far below the serving index a metric may fall (default: 0.02)",
    )
    parser.add_argument(
        "--force", action="store_true", help="publish the new index even when the check fails"
    )
    return parser.parse_args(argv)


def print_summary(report, check=None) -> None:
    ingest = report.ingest
    kept = len(ingest.passages)
    dropped = len(ingest.dropped)
    print(f"files read:       {len(ingest.files)}")
    for skipped in ingest.skipped:
        print(f"  no passages from {skipped.file}: {skipped.reason}")
    print_changes(report.changes.to_json() if report.changes else None)
    print(f"passages kept:    {kept}")
    print(f"passages dropped: {dropped}")
    for reason, count in ingest.dropped_by_reason().items():
        print(f"  {reason + ':':<18}{count}")
    if ingest.skipped_links:
        shown = ", ".join(ingest.skipped_links[:5])
        more = f" and {len(ingest.skipped_links) - 5} more" if len(ingest.skipped_links) > 5 else ""
        print(
            f"links skipped:    {len(ingest.skipped_links)} (they lead outside the corpus folder: "
            f"{shown}{more})"
        )
    known = report.known
    if known.questions or known.unmatched:
        print(f"known questions:  {len(known.questions)} (each lifts the passage that answers it)")
    if known.unmatched:
        shown = "; ".join(f'"{s[:60]}"' for s in known.unmatched[:3])
        more = f" and {len(known.unmatched) - 3} more" if len(known.unmatched) > 3 else ""
        print(
            f"  {len(known.unmatched)} answers found in no single indexed paragraph (left out: "
            f"their paragraph changed, was dropped as junk, or repeats the snippet): {shown}{more}"
        )
    print(f"texts embedded:   {report.embedded} (reused from the cache: {report.cached})")
    if report.windowed:
        print(f"long passages:    {report.windowed} (embedded in overlapping windows)")
    print(
        f"index:            {report.manifest.data['faiss_index']} FAISS, "
        f"{report.manifest.dimension} dimensions"
    )
    print(f"seconds:          {report.seconds:.1f}")
    if check is not None:
        print_check(check)


def print_changes(changes: dict[str, int] | None) -> None:
    """What the build changed against the index it replaces (IndexChanges as JSON)."""
    if changes is None:
        print("changes:          first build here (nothing to compare with)")
        return
    c = changes
    print(
        f"documents:        {c['documents_added']} added, {c['documents_removed']} removed, "
        f"{c['documents_changed']} changed, {c['documents_renamed']} renamed"
    )
    print(
        f"passages:         {c['passages_added']} added, {c['passages_removed']} removed, "
        f"{c['passages_changed']} changed, {c['passages_moved']} kept under a new id, "
        f"{c['passages_unchanged']} unchanged"
    )


def print_check(check) -> None:
    """The check's numbers, the serving (previous) build's beside them."""
    try:
        shown = check.cases_file.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = check.cases_file
    print(f"check:            {shown}, {check.cases} questions")
    print(f"  {'metric':<16}{'new':>7}{'previous':>10}{'floor':>8}")
    for metric in check.metrics:
        previous = "-" if metric.serving is None else f"{metric.serving:.3f}"
        mark = "  FAILED" if metric.failed else ""
        print(f"  {metric.name:<16}{metric.new:>7.3f}{previous:>10}{metric.floor:>8.3f}{mark}")


def index_is_current(out: Path, corpus: Path) -> bool:
    """True when ``out`` holds an intact index of the corpus as it is now."""
    from index.store import check_fresh, read_manifest, verify_files

    try:
        manifest = read_manifest(out)
        verify_files(manifest, out)
        check_fresh(manifest, corpus)
    except LimberError:
        return False
    return True


def _check_hook(args: argparse.Namespace, checks: list):
    """The check to run on the finished index before it is renamed into place (or None)."""
    if args.check is None:
        return None
    from bot.check import DEFAULT_MARGIN, CheckRefused, judge, load_check_cases, score_index
    from index.store import read_manifest

    cases = load_check_cases(args.check)
    serving = None
    if (args.out / "manifest.json").is_file():
        try:
            read_manifest(args.out)
            serving = score_index(args.out, cases)
        except LimberError as error:
            print(
                f"note: the serving index cannot be scored ({error}); checking floors only", file=sys.stderr
            )
    margin = DEFAULT_MARGIN if args.margin is None else args.margin

    def before_commit(staging: Path) -> None:
        result = judge(args.check, cases, score_index(staging, cases), serving, margin=margin)
        checks.append(result)
        (staging / "check.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
        if result.failed and not args.force:
            built = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
            raise CheckRefused(result, str(built.get("corpus_hash", "")), built.get("changes"))

    return before_commit


def _refused_already(out: Path, corpus: Path) -> bool:
    """True when the check already refused an index of the corpus as it is now."""
    from bot.check import refusal_covers
    from index.store import read_manifest, verify_files

    try:
        verify_files(read_manifest(out), out)
    except LimberError:
        return False
    return refusal_covers(out, corpus)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    checks: list = []
    try:
        from bot.check import CheckRefused
        from index.build import build_index

        if args.force and args.check is None:
            print("error: --force only makes sense with --check", file=sys.stderr)
            return 2
        if args.if_stale and index_is_current(args.out, args.corpus):
            print(f"index is up to date: {args.out}")
            return 0
        if args.if_stale and not args.force and _refused_already(args.out, args.corpus):
            print(
                f"the check refused a rebuild of this corpus before; the index at {args.out} "
                "keeps serving (fix the documents, or publish with --check --force)"
            )
            return 0
        hook = _check_hook(args, checks)
        report = build_index(
            args.corpus, args.out, cache_dir=args.cache, show_progress=not args.quiet, before_commit=hook
        )
    except CheckRefused as refused:
        print_changes(refused.changes)
        print_check(refused.result)
        if (args.out / "manifest.json").is_file():
            from bot.check import record_refusal

            record_refusal(args.out, refused)
            serving = f"the index at {args.out} keeps serving"
        else:
            serving = f"no index is published at {args.out}"
        print(
            f"refused: the new index fails the check; {serving} "
            "(fix the documents, or publish anyway with --force)",
            file=sys.stderr,
        )
        for metric in refused.result.failed:
            print(f"  {metric.verdict()}", file=sys.stderr)
        return refused.exit_code
    except LimberError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted: the previous index is untouched", file=sys.stderr)
        return 130
    check = checks[0] if checks else None
    print_summary(report, check)
    if check is not None and check.failed:
        print(f"published anyway (--force), although {len(check.failed)} metric(s) failed the check:")
        for metric in check.failed:
            print(f"  {metric.verdict()}")
    print(f"written to:       {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
