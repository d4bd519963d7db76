"""Build (or rebuild) Limber's search index from the corpus directory.

    python scripts/build_index.py [--corpus corpus] [--out var/index] [--cache var/cache]

The new index replaces the old one only when it is complete; a failed build
leaves the previous index serving. A running bot picks the new index up by itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from bot.config import DEFAULT_CACHE_DIR, DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR
from index.errors import LimberError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=Path(env.get("LIMBER_CORPUS_DIR", DEFAULT_CORPUS_DIR)),
                        help="directory of documents (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path(env.get("LIMBER_INDEX_DIR", DEFAULT_INDEX_DIR)),
                        help="where to write the index (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=Path(env.get("LIMBER_CACHE_DIR", DEFAULT_CACHE_DIR)),
                        help="embedding cache and exported model (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--if-stale", action="store_true",
                        help="do nothing when the index is complete and the corpus unchanged")
    return parser.parse_args(argv)


def print_summary(report) -> None:
    ingest = report.ingest
    kept = len(ingest.passages)
    dropped = len(ingest.dropped)
    print(f"files read:       {len(ingest.files)}")
    print(f"passages kept:    {kept}")
    print(f"passages dropped: {dropped}")
    for reason, count in ingest.dropped_by_reason().items():
        print(f"  {reason + ':':<18}{count}")
    if ingest.skipped_links:
        shown = ", ".join(ingest.skipped_links[:5])
        more = f" and {len(ingest.skipped_links) - 5} more" if len(ingest.skipped_links) > 5 else ""
        print(f"links skipped:    {len(ingest.skipped_links)} (they lead outside the corpus folder: "
              f"{shown}{more})")
    print(f"texts embedded:   {report.embedded} (reused from the cache: {report.cached})")
    if report.windowed:
        print(f"long passages:    {report.windowed} (embedded in overlapping windows)")
    print(f"index:            {report.manifest.data['faiss_index']} FAISS, "
          f"{report.manifest.dimension} dimensions")
    print(f"seconds:          {report.seconds:.1f}")


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from index.build import build_index

        if args.if_stale and index_is_current(args.out, args.corpus):
            print(f"index is up to date: {args.out}")
            return 0
        report = build_index(args.corpus, args.out, cache_dir=args.cache, show_progress=not args.quiet)
    except LimberError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted: the previous index is untouched", file=sys.stderr)
        return 130
    print_summary(report)
    print(f"written to:       {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
