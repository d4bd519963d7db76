"""The operator's report: what users asked that went unanswered, 👎 by passage, answers per day.

``python -m bot report [--days N] [--html FILE]`` builds one ``Report`` from the
feedback database and the serving index, prints it as terminal tables and, with
``--html``, writes it as one self-contained HTML page (inline CSS and an inline
SVG chart of the daily counts: no script, no file or network access).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.answer import AnswerKind
from bot.feedback import FeedbackStore
from bot.unanswered import UnansweredKind, UnansweredLog
from index.search import Retriever

__all__ = [
    "DAILY_KINDS",
    "DayCounts",
    "DownVotes",
    "QuestionGroup",
    "Report",
    "build_report",
    "report_html",
    "report_text",
]

SIMILAR = 0.75  # questions whose embeddings are at least this close share a group
DAILY_KINDS: tuple[tuple[str, str, str], ...] = (  # kind, column label, chart colour
    (AnswerKind.ANSWER.value, "answers", "#2f7d4f"),
    (AnswerKind.NO_ANSWER.value, "no answer", "#c98a1b"),
    (AnswerKind.RED_FLAG.value, "red flags", "#c0392b"),
    (AnswerKind.CRISIS.value, "crises", "#6c3483"),
)
_KIND_WORDS = {
    UnansweredKind.NO_ANSWER: "no answer",
    UnansweredKind.THUMBS_DOWN: "thumbs down",
    UnansweredKind.RED_FLAG_ONLY: "red flag only",
}


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: how many, one example, the closest passage now."""

    count: int
    example: str
    questions: tuple[str, ...]
    kinds: dict[str, int]  # kind -> count
    closest_id: str | None
    closest_source: str | None
    closest_score: float | None


@dataclass(frozen=True)
class DownVotes:
    """👎 votes on one passage and the questions behind them."""

    passage_id: str  # '' for votes on "no answer" replies
    source: str
    count: int
    questions: tuple[str, ...]


@dataclass(frozen=True)
class DayCounts:
    """Replies of one day by kind."""

    day: str
    counts: dict[str, int]

    def get(self, kind: str) -> int:
        return self.counts.get(kind, 0)


@dataclass(frozen=True)
class Report:
    days: int
    since: datetime
    until: datetime
    groups: tuple[QuestionGroup, ...]
    down_votes: tuple[DownVotes, ...]
    daily: tuple[DayCounts, ...]
    unanswered_total: int


def _group(questions: Sequence[str], vectors: np.ndarray) -> list[list[int]]:
    """Greedy grouping: each question joins the first group whose first question is close enough."""
    groups: list[list[int]] = []
    heads: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        for group, head in zip(groups, heads, strict=True):
            if float(vector @ head) >= SIMILAR:
                group.append(i)
                break
        else:
            groups.append([i])
            heads.append(vector)
    return groups


def build_report(
    store: FeedbackStore, retriever: Retriever, *, days: int = 7, now: datetime | None = None
) -> Report:
    """The report over the last ``days`` days (today included)."""
    until = (now or store.clock()).astimezone(UTC)
    since = (until - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    log = UnansweredLog(store)
    rows = log.rows(since)
    index = retriever.index
    distinct = list(dict.fromkeys(r.question for r in rows))
    groups: list[QuestionGroup] = []
    if distinct:
        vectors = index.encoder.encode(distinct)
        by_question: dict[str, list] = {}
        for row in rows:
            by_question.setdefault(row.question, []).append(row)
        for members in _group(distinct, vectors):
            questions = [distinct[i] for i in members]
            kept = [r for q in questions for r in by_question[q]]
            kinds: dict[str, int] = {}
            for r in kept:
                kinds[_KIND_WORDS[r.kind]] = kinds.get(_KIND_WORDS[r.kind], 0) + 1
            # The example: the question asked most often in the group, the first asked on a tie.
            example = max(questions, key=lambda q: len(by_question[q]))
            found = retriever.search(example, k=1).passages
            best = found[0] if found else None
            groups.append(
                QuestionGroup(
                    count=len(kept),
                    example=example,
                    questions=tuple(questions),
                    kinds=kinds,
                    closest_id=best.passage.id if best else None,
                    closest_source=best.passage.source if best else None,
                    closest_score=round(best.score, 3) if best else None,
                )
            )
    groups.sort(key=lambda g: (-g.count, g.example))
    votes = store.run(
        "SELECT passage_id, question FROM feedback WHERE vote = 'down' AND created_at >= ?"
        " ORDER BY created_at, id",
        (since.isoformat(timespec="seconds"),),
    )
    by_passage: dict[str, list[str]] = {}
    for passage_id, question in votes:
        by_passage.setdefault(passage_id, []).append(question)
    down = []
    for passage_id, questions in by_passage.items():
        number = index.positions.get(passage_id)
        if not passage_id:
            source = "(“no answer” replies)"
        elif number is not None:
            source = index.passages[number].source
        else:
            source = f"{passage_id} (no longer in the index)"
        down.append(DownVotes(passage_id, source, len(questions), tuple(dict.fromkeys(questions))))
    down.sort(key=lambda d: (-d.count, d.passage_id))
    counts = log.daily_counts(since)
    daily = tuple(
        DayCounts(day, counts.get(day, {}))
        for day in ((since + timedelta(days=n)).date().isoformat() for n in range(days))
    )
    return Report(days, since, until, tuple(groups), tuple(down), daily, len(rows))


# -- terminal ----------------------------------------------------------------------------------


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _cut(c, w).ljust(w) if i < len(cells) - 1 else _cut(c, w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def report_text(report: Report) -> str:
    """The report as plain-text tables for a terminal."""
    days = "1 day" if report.days == 1 else f"{report.days} days"
    out = [f"Limber report: {report.since.date()} to {report.until.date()} ({days})", ""]
    out.append(f"Unanswered questions: {report.unanswered_total} in {len(report.groups)} groups")
    if report.groups:
        out += _table(
            ["count", "example question", "kinds", "closest passage", "score"],
            [
                [
                    str(g.count),
                    g.example,
                    ", ".join(f"{k} {n}" for k, n in g.kinds.items()),
                    g.closest_source or "-",
                    "-" if g.closest_score is None else f"{g.closest_score:.3f}",
                ]
                for g in report.groups
            ],
            [5, 44, 30, 40, 5],
        )
    else:
        out.append("  (none)")
    out += ["", f"Thumbs-down votes by passage: {sum(d.count for d in report.down_votes)}"]
    if report.down_votes:
        out += _table(
            ["count", "passage", "questions behind them"],
            [[str(d.count), d.source, " | ".join(d.questions)] for d in report.down_votes],
            [5, 44, 70],
        )
    else:
        out.append("  (none)")
    out += ["", "Replies per day"]
    labels = [label for _, label, _ in DAILY_KINDS]
    rows = [[d.day, *(str(d.get(kind)) for kind, _, _ in DAILY_KINDS)] for d in report.daily]
    totals = ["total", *(str(sum(d.get(kind) for d in report.daily)) for kind, _, _ in DAILY_KINDS)]
    out += _table(["day", *labels], [*rows, totals], [10, *(max(9, len(x)) for x in labels)])
    return "\n".join(out)


# -- HTML ------------------------------------------------------------------------------------


def _chart_svg(daily: Sequence[DayCounts]) -> str:
    """Grouped bars: one group per day, one bar per kind, with axis, values and a legend."""
    width, height, left, bottom, top = 760, 300, 44, 54, 20
    plot_w, plot_h = width - left - 16, height - top - bottom
    peak = max([d.get(kind) for d in daily for kind, _, _ in DAILY_KINDS] + [1])
    step = max(1, -(-peak // 5))
    ceiling = step * -(-peak // step)
    slot = plot_w / max(len(daily), 1)
    bar = min(18.0, slot * 0.8 / len(DAILY_KINDS))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="daily-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Replies per day by kind">'
    ]
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    for n, day in enumerate(daily):
        x0 = left + n * slot + (slot - bar * len(DAILY_KINDS)) / 2
        for k, (kind, label, colour) in enumerate(DAILY_KINDS):
            value = day.get(kind)
            h = plot_h * value / ceiling
            x = x0 + k * bar
            parts.append(
                f'<rect class="bar" data-day="{day.day}" data-kind="{kind}" '
                f'data-value="{value}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar - 1:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{day.day}: {value} {label}</title></rect>"
            )
        parts.append(
            f'<text x="{left + n * slot + slot / 2:.1f}" y="{top + plot_h + 16}" '
            f'text-anchor="middle" font-size="11">{day.day[5:]}</text>'
        )
    legend_y = height - 14
    for k, (_, label, colour) in enumerate(DAILY_KINDS):
        x = left + k * 130
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{legend_y}" font-size="12">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
.muted { color: #666; }
table { border-collapse: collapse; width: 100%; margin-top: 0.5em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.daily { width: auto; min-width: 480px; } td.kinds { white-space: nowrap; }
ul.q { margin: 0; padding-left: 1.1em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def report_html(report: Report) -> str:
    """The report as one self-contained HTML page (no scripts, no external resources)."""
    title = f"Limber report, {report.since.date()} to {report.until.date()}"
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{report.days} days; generated '
        f"{_e(report.until.isoformat(timespec='minutes'))} UTC. Questions as users wrote "
        "them; chats are never named.</p>",
        "<h2>Replies per day</h2>",
        _chart_svg(report.daily),
        '<table class="daily"><tr><th>day</th>'
        + "".join(f'<th class="n">{_e(label)}</th>' for _, label, _ in DAILY_KINDS)
        + "</tr>",
    ]
    for d in report.daily:
        body.append(
            f"<tr><td>{d.day}</td>"
            + "".join(f'<td class="n">{d.get(kind)}</td>' for kind, _, _ in DAILY_KINDS)
            + "</tr>"
        )
    body.append("</table>")
    body.append(
        f"<h2>Unanswered questions ({report.unanswered_total}, in {len(report.groups)} "
        "groups of similar questions)</h2>"
    )
    if report.groups:
        body.append(
            '<table id="unanswered"><tr><th>count</th><th>example</th><th>kinds</th>'
            "<th>closest passage now</th><th>score</th><th>all questions</th></tr>"
        )
        for g in report.groups:
            score = "-" if g.closest_score is None else f"{g.closest_score:.3f}"
            questions = "".join(f"<li>{_e(q)}</li>" for q in g.questions)
            body.append(
                f'<tr><td class="n">{g.count}</td><td>{_e(g.example)}</td>'
                f'<td class="kinds">{"<br>".join(_e(f"{k} {n}") for k, n in g.kinds.items())}</td>'
                f'<td>{_e(g.closest_source or "-")}</td><td class="n">{score}</td>'
                f'<td><ul class="q">{questions}</ul></td></tr>'
            )
        body.append("</table>")
    else:
        body.append("<p>None.</p>")
    body.append(f"<h2>👎 votes by passage ({sum(d.count for d in report.down_votes)})</h2>")
    if report.down_votes:
        body.append(
            '<table id="down-votes"><tr><th>count</th><th>passage</th><th>questions behind them</th></tr>'
        )
        for vote in report.down_votes:
            questions = "".join(f"<li>{_e(q)}</li>" for q in vote.questions)
            body.append(
                f'<tr><td class="n">{vote.count}</td><td>{_e(vote.source)}</td>'
                f'<td><ul class="q">{questions}</ul></td></tr>'
            )
        body.append("</table>")
    else:
        body.append("<p>None.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
