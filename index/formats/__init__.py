"""Readers for documents as operators have them: HTML pages, PDF leaflets, Word files.

Each reader turns one file into a ``DocumentText``: its paragraphs, each with a
title (the heading it sits under), a human-readable source and a link; or a
reason why the file holds no text to index (a scanned PDF, an encrypted one),
which the build prints instead of indexing an empty document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["READERS", "DocumentText", "Section", "answer_text", "read_document"]


@dataclass(frozen=True)
class Section:
    """One paragraph of a document, with where it sits."""

    text: str
    title: str | None = None  # the heading above it, or the document's title
    location: str = ""  # where in the document: "page 4", a heading; shown in the source
    url: str | None = None


@dataclass(frozen=True)
class DocumentText:
    """What a reader found in one file: paragraphs, or why there are none."""

    title: str  # the document's own title, or its file name
    sections: list[Section] = field(default_factory=list)
    skipped: str | None = None  # why the document gives no passages (shown in the build summary)


def answer_text(heading: str | None, text: str, first_under_heading: bool) -> str:
    """``text``, led by its heading when the heading is a question (an FAQ's "Do I need a
    referral?" over "No, you can book directly."): the answer alone would not be found."""
    if first_under_heading and heading and heading.rstrip().endswith("?"):
        return f"{heading} {text}"
    return text


def _html(path: Path) -> DocumentText:
    from index.formats.html import read_html

    return read_html(path)


def _pdf(path: Path) -> DocumentText:
    from index.formats.pdf import read_pdf

    return read_pdf(path)


def _docx(path: Path) -> DocumentText:
    from index.formats.docx import read_docx

    return read_docx(path)


# Imported lazily: a corpus of .txt files never loads lxml or pypdf.
READERS: dict[str, Callable[[Path], DocumentText]] = {
    ".html": _html,
    ".htm": _html,
    ".pdf": _pdf,
    ".docx": _docx,
}


def read_document(path: Path) -> DocumentText:
    """The text of ``path`` with the reader for its suffix."""
    return READERS[path.suffix.lower()](path)
