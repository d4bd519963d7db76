"""Turn the MedQuAD XML collections into a Limber corpus ``.jsonl``: one passage per answer.

Usage:
    python scripts/import_medquad.py PATH [--out corpus_medquad/medquad.jsonl]
        [--questions-out FILE] [--limit N]

PATH is the MedQuAD folder (its collection folders such as ``1_CancerGov_QA``
hold the XML files), one collection folder, or one XML file.

Each output line is one passage::

    {"id", "text", "title", "url", "question", "collection", "qtype", "focus", "qid"}

``text`` is the answer (Unicode NFKC, whitespace runs collapsed to one space);
``title`` and ``question`` are the question text; ``collection`` is the folder
the XML file sits in. MedQuAD repeats qids (collections number their documents
independently, and some CancerGov files share their qids), so ``id`` is
``<collection>:<qid>`` and a qid that still repeats inside one collection gets
``~2``, ``~3``... in file order; ``qid`` keeps the dataset's own value.

``--questions-out`` writes ``{"question", "id"}`` per passage: the query whose
right answer is that passage, for a retrieval benchmark. It must lie outside the
output's folder, which the index build reads as the corpus (every file in it).

MedQuAD is CC BY 4.0: an ``ATTRIBUTION.md`` is written next to the output.
Malformed XML files are reported on stderr, counted and skipped. A missing PATH
or one without XML files is a one-line error with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from limber.errors import LimberError, UsageError
from limber.text import normalise

DEFAULT_OUT = Path("corpus_medquad/medquad.jsonl")
EXIT_USAGE = 2

# MedQuAD uses two schemas: Document/QAPairs/QAPair/Question/Answer with <Focus>,
# and (four NINDS files) doc/qaPairs/pair/question/answer with <doctitle-focus>.
PAIR_TAGS = frozenset({"qapair", "pair"})
FOCUS_TAGS = frozenset({"focus", "doctitle-focus"})

ATTRIBUTION = """\
# Attribution

`{name}` is derived from **MedQuAD** (Medical Question Answering Dataset):

Asma Ben Abacha and Dina Demner-Fushman. "A Question-Entailment Approach to
Question Answering". BMC Bioinformatics 20, 511 (2019).
https://doi.org/10.1186/s12859-019-3119-4

Source: https://github.com/abachaa/MedQuAD (collections 1-9, the ones that ship
answers). License: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/

Changes made by `scripts/import_medquad.py`: one passage per question-answer
pair; answer and question text Unicode NFKC-normalised with whitespace runs
collapsed; pairs with an empty answer left out; ids prefixed with the collection
name (and suffixed where a qid repeats) so that they are unique.
"""


@dataclass
class Stats:
    files_read: int = 0
    files_malformed: int = 0
    pairs_written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # by collection
    ids_renamed: int = 0  # qids repeated inside one collection, suffixed with ~N


def element_text(element: ET.Element | None) -> str:
    return normalise("".join(element.itertext()), compatibility=True) if element is not None else ""


def child(element: ET.Element, names: Iterable[str]) -> ET.Element | None:
    """The first direct child whose tag, lower-cased, is one of ``names``."""
    wanted = set(names)
    return next((c for c in element if c.tag.lower() in wanted), None)


def find_xml_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())


def parse_document(path: Path) -> Iterator[dict[str, str]]:
    """Yield one raw record per QA pair of one MedQuAD XML file (answers may be empty).

    Raises ``ET.ParseError`` for malformed XML.
    """
    root = ET.parse(path).getroot()
    focus = element_text(child(root, FOCUS_TAGS))
    url = root.get("url", "")
    for number, pair in enumerate((e for e in root.iter() if e.tag.lower() in PAIR_TAGS), start=1):
        question = child(pair, ["question"])
        qattrs = question.attrib if question is not None else {}
        yield {
            "qid": qattrs.get("qid") or f"{path.stem}-{pair.get('pid') or number}",
            "question": element_text(question),
            "answer": element_text(child(pair, ["answer"])),
            "qtype": qattrs.get("qtype", ""),
            "focus": focus,
            "url": url,
        }


def unique_id(base: str, seen: Counter[str]) -> str:
    seen[base] += 1
    return base if seen[base] == 1 else f"{base}~{seen[base]}"


def to_passage(raw: dict[str, str], collection: str, passage_id: str) -> dict[str, str]:
    question = raw["question"]
    return {
        "id": passage_id,
        "text": raw["answer"],
        "title": question or raw["focus"],
        "url": raw["url"],
        "question": question,
        "collection": collection,
        "qtype": raw["qtype"],
        "focus": raw["focus"],
        "qid": raw["qid"],
    }


def read_passages(files: list[Path], stats: Stats, limit: int | None) -> Iterator[dict[str, str]]:
    """Passages from all files in order, skipping empty answers and malformed files."""
    seen: Counter[str] = Counter()
    for path in files:
        if limit is not None and stats.pairs_written >= limit:
            return
        collection = path.parent.name
        try:
            raws = list(parse_document(path))
        except (ET.ParseError, OSError) as exc:
            stats.files_malformed += 1
            kind = "malformed XML" if isinstance(exc, ET.ParseError) else "unreadable file"
            print(f"skipped {kind}: {path}: {exc}", file=sys.stderr)
            continue
        stats.files_read += 1
        for raw in raws:
            if limit is not None and stats.pairs_written >= limit:
                return
            if not raw["answer"]:
                stats.skipped[collection] += 1
                continue
            passage_id = unique_id(f"{collection}:{raw['qid']}", seen)
            stats.ids_renamed += passage_id.count("~")
            stats.pairs_written += 1
            yield to_passage(raw, collection, passage_id)


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, str]]) -> None:
    """Write rows to a temporary file next to ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def import_medquad(root: Path, out: Path, questions_out: Path | None, limit: int | None) -> Stats:
    if not root.exists():
        raise UsageError(
            f"MedQuAD path not found: {root}; clone it (git clone "
            "https://github.com/abachaa/MedQuAD) and pass its folder"
        )
    files = find_xml_files(root)
    if not files:
        raise UsageError(f"no .xml files under {root}: pass the MedQuAD folder")
    if questions_out is not None and questions_out.resolve().is_relative_to(out.resolve().parent):
        raise UsageError(
            f"--questions-out {questions_out} is inside the corpus folder {out.parent}, "
            "where the index build would read it as a document: write it elsewhere"
        )
    stats = Stats()
    passages = list(read_passages(files, stats, limit))
    if not passages:
        raise UsageError(f"no question-answer pair with an answer in the XML files under {root}")
    write_jsonl_atomic(out, passages)
    if questions_out is not None:
        write_jsonl_atomic(questions_out, ({"question": p["question"], "id": p["id"]} for p in passages))
    (out.parent / "ATTRIBUTION.md").write_text(ATTRIBUTION.format(name=out.name), encoding="utf-8")
    return stats


def summary(stats: Stats, out: Path, seconds: float) -> str:
    skipped = sum(stats.skipped.values())
    by_collection = ", ".join(f"{c}: {n}" for c, n in sorted(stats.skipped.items()))
    lines = [
        f"files read: {stats.files_read}  malformed/unreadable (skipped): {stats.files_malformed}",
        f"pairs written: {stats.pairs_written} -> {out} ({out.stat().st_size:,} bytes)",
        f"skipped (empty answer): {skipped}" + (f" ({by_collection})" if by_collection else ""),
        f"repeated qids given a ~N suffix within a collection: {stats.ids_renamed}",
        f"seconds: {seconds:.2f}",
    ]
    return "\n".join(lines)


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return number


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="MedQuAD folder, a collection folder or an XML file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--questions-out", type=Path, default=None, help='write {"question", "id"} lines here'
    )
    parser.add_argument("--limit", type=positive_int, default=None, help="stop after N passages")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        stats = import_medquad(args.path, args.out, args.questions_out, args.limit)
    except (LimberError, OSError) as exc:  # a UsageError among them: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary(stats, args.out, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
