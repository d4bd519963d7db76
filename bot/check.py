"""The rebuild check: score a new index on a labelled question set before it may serve.

``scripts/build_index.py --check EVAL.jsonl`` runs it on the finished index
before it is renamed into place. A metric below its floor, or more than
``margin`` below the index serving now, refuses the build (exit 3); the old
index keeps serving. The metrics are those of ``bot.evaluation``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bot.evaluation import EvalCase, evaluate, load_cases
from bot.pipeline import Pipeline
from index.search import Retriever
from index.store import load_index
from limber.errors import LimberError

__all__ = [
    "DEFAULT_MARGIN",
    "FLOORS",
    "CheckRefused",
    "CheckResult",
    "MetricCheck",
    "judge",
    "load_check_cases",
    "record_refusal",
    "refusal_covers",
    "score_index",
]

# Under today's numbers on tests/data/eval.jsonl (README "Evaluation"), as in tests/test_quality.py.
FLOORS: dict[str, float] = {"recall@1": 0.90, "answered": 0.95, "triage recall": 1.0}
DEFAULT_MARGIN = 0.02
# Left in the serving index's folder when a rebuild of a changed corpus was refused: the bot and
# ``build_index.py --if-stale`` then keep serving that index instead of calling it stale.
REFUSED_FILE = "check-refused.json"


class CheckRefused(LimberError):
    """The new index scores below a floor or below the serving index: it is not published."""

    exit_code = 3

    def __init__(
        self, result: CheckResult, corpus_hash: str = "", changes: dict[str, int] | None = None
    ) -> None:
        self.result = result
        self.corpus_hash = corpus_hash  # of the corpus whose index was refused
        self.changes = changes  # what the refused build changed (index.changes.IndexChanges)
        super().__init__("; ".join(m.verdict() for m in result.failed))


@dataclass(frozen=True)
class MetricCheck:
    """One metric of the new index against its floor and the serving index."""

    name: str
    new: float
    serving: float | None
    floor: float
    margin: float

    @property
    def below_floor(self) -> bool:
        return self.new < self.floor - 1e-9

    @property
    def below_serving(self) -> bool:
        return self.serving is not None and self.new < self.serving - self.margin - 1e-9

    @property
    def failed(self) -> bool:
        return self.below_floor or self.below_serving

    def verdict(self) -> str:
        """One line: why this metric fails (or that it passes)."""
        if self.below_floor:
            return f"{self.name} {self.new:.3f} is below the floor {self.floor:.3f}"
        if self.below_serving and self.serving is not None:  # below_serving says it is not None
            return (
                f"{self.name} {self.new:.3f} is {self.serving - self.new:.3f} below the "
                f"serving index's {self.serving:.3f} (margin {self.margin:.3f})"
            )
        return f"{self.name} {self.new:.3f} passes"


@dataclass(frozen=True)
class CheckResult:
    """Every metric of one check run."""

    cases_file: Path
    cases: int
    metrics: tuple[MetricCheck, ...]

    @property
    def failed(self) -> tuple[MetricCheck, ...]:
        return tuple(m for m in self.metrics if m.failed)

    def to_json(self) -> dict[str, object]:
        return {
            "cases_file": str(self.cases_file),
            "cases": self.cases,
            "metrics": {m.name: {"new": m.new, "serving": m.serving, "floor": m.floor} for m in self.metrics},
        }


def load_check_cases(path: Path) -> list[EvalCase]:
    """The check set, or a clear error naming the flag that chooses it."""
    try:
        cases = load_cases(path)
    except OSError as error:
        raise LimberError(
            f"cannot read the check set {path} ({error.strerror}); pass an existing file to --check"
        ) from None
    except ValueError as error:
        raise LimberError(f"{error}; fix the line or pass another file to --check") from None
    if not cases:
        raise LimberError(f"the check set {path} holds no questions; pass another file to --check")
    return cases


def score_index(index_dir: Path, cases: list[EvalCase]) -> dict[str, float]:
    """recall@1, answered and triage recall of the index in ``index_dir`` (absent: no such cases)."""
    pipeline = Pipeline(Retriever(load_index(index_dir, threads=1), threads=1))
    report = evaluate(pipeline, cases)
    values = {
        "recall@1": report.recall_at_1,
        "answered": report.answered_rate,
        "triage recall": report.red_flag_recall,
    }
    return {name: value for name, value in values.items() if value is not None}


def judge(
    cases_file: Path,
    cases: list[EvalCase],
    new: dict[str, float],
    serving: dict[str, float] | None,
    *,
    floors: dict[str, float] | None = None,
    margin: float = DEFAULT_MARGIN,
) -> CheckResult:
    """Compare the new index's metrics with the floors and the serving index's."""
    floors = FLOORS if floors is None else floors
    metrics = tuple(
        MetricCheck(name, value, (serving or {}).get(name), floors.get(name, 0.0), margin)
        for name, value in new.items()
    )
    return CheckResult(cases_file, len(cases), metrics)


def record_refusal(index_dir: Path, refused: CheckRefused) -> None:
    """Note in the serving index's folder that this corpus's rebuild was refused, and why."""
    note = {
        "corpus_hash": refused.corpus_hash,
        "refused_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "failed": [m.verdict() for m in refused.result.failed],
        "check": refused.result.to_json(),
    }
    (index_dir / REFUSED_FILE).write_text(json.dumps(note, indent=2), encoding="utf-8")


def refusal_covers(index_dir: Path, corpus_dir: Path) -> bool:
    """True when the corpus as it is now is the one whose rebuild the check refused."""
    from index.ingest import corpus_files, corpus_hash

    try:
        note = json.loads((index_dir / REFUSED_FILE).read_text(encoding="utf-8"))
        return bool(note.get("corpus_hash")) and note["corpus_hash"] == corpus_hash(
            corpus_files(corpus_dir), corpus_dir
        )
    except (OSError, ValueError, LimberError, AttributeError):
        return False
