"""Word documents (.docx) with python-docx: paragraphs in order, headings become titles."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from index.formats import DocumentText, Section, answer_text

__all__ = ["read_docx"]

_SPACE_RE = re.compile(r"\s+")


def _heading_level(style_name: str) -> int | None:
    if style_name == "Title":
        return 0
    match = re.fullmatch(r"Heading (\d)", style_name)
    return int(match.group(1)) if match else None


def read_docx(path: Path) -> DocumentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        return DocumentText(path.name, skipped="not a readable .docx file (re-save it from Word)")
    title = _SPACE_RE.sub(" ", document.core_properties.title or "").strip()
    sections: list[Section] = []
    heading: str | None = None
    first = False
    for paragraph in document.paragraphs:
        text = _SPACE_RE.sub(" ", paragraph.text).strip()
        if not text:
            continue
        level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
        if level is not None:
            if level == 0 and not title:
                title = text
            else:
                heading, first = text, True
            continue
        sections.append(
            Section(
                text=answer_text(heading, text, first), title=heading or title or None, location=heading or ""
            )
        )
        first = False
    for table in document.tables:  # each row of a table reads as one line: "cell | cell"
        for row in table.rows:
            cells = [_SPACE_RE.sub(" ", cell.text).strip() for cell in row.cells]
            text = " | ".join(dict.fromkeys(c for c in cells if c))  # merged cells repeat
            if text:
                sections.append(Section(text=text, title=title or None, location="table"))
    if not sections:
        return DocumentText(title or path.name, skipped="no text in the document")
    return DocumentText(title or path.name, sections)
