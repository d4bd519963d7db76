"""PDF leaflets and guidelines with pypdf: text page by page, the page number in the source.

Paragraphs are the blocks that pypdf's layout mode separates with blank lines.
Running headers and footers (a line that recurs at the top or bottom of most
pages, page numbers ignored) and bare page numbers are removed; a word
hyphenated at the end of a line is joined again; a paragraph cut by a page
break is joined to its end on the next page. A PDF without a text layer (a
scanned image) or one that needs a password gives no passages and a line in the
build summary saying why.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from index.formats import DocumentText, Section

__all__ = ["read_pdf"]

_SPACE_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d+")
_PAGE_NUMBER_RE = re.compile(r"(?:page\s*)?\d+(?:\s*(?:of|/)\s*\d+)?", re.IGNORECASE)
_HYPHEN_END_RE = re.compile(r"[A-Za-z]{2}-$")
_EDGE_LINES = 3  # lines at the top and at the bottom of a page where running heads live


@dataclass
class _Block:
    page: int
    lines: list[str]


def _clean(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (digits ignored) at a page's edge on at least half the pages, and on two or more."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = [_DIGITS_RE.sub("#", _clean(line)) for line in (*lines[:_EDGE_LINES], *lines[-_EDGE_LINES:])]
        counts.update(set(e for e in edge if e))
    return {line for line, count in counts.items() if count >= max(2, len(pages) / 2)}


def _join_lines(lines: list[str]) -> str:
    """The lines of one paragraph as one text, words hyphenated at a line's end joined again."""
    text = ""
    for line in (_clean(line) for line in lines):
        if not line:
            continue
        if text and _HYPHEN_END_RE.search(text) and line[:1].islower():
            text = text[:-1] + line  # "physio-" + "therapy"
        else:
            text = f"{text} {line}" if text else line
    return text


def _page_blocks(number: int, text: str, running: set[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    for line in text.splitlines():
        cleaned = _clean(line)
        if not cleaned or _DIGITS_RE.sub("#", cleaned) in running or _PAGE_NUMBER_RE.fullmatch(cleaned):
            if current:
                blocks.append(_Block(number, current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(_Block(number, current))
    return blocks


def _title(reader, path: Path) -> str:
    try:
        title = _clean(str((reader.metadata or {}).get("/Title") or ""))
    except Exception:  # a damaged info dictionary is no reason to lose the text
        title = ""
    # Word processors often leave "Untitled" or the temporary file name as the title.
    if (
        not title
        or title.lower() in {"untitled", "untitled document"}
        or title.lower().endswith((".doc", ".docx", ".pdf", ".tmp"))
    ):
        return path.name
    return title


def read_pdf(path: Path) -> DocumentText:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-but-readable files warn a lot
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # An empty user password only restricts printing or copying: the text can be read.
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                return DocumentText(
                    path.name,
                    skipped="encrypted with a cipher this reader "
                    "cannot open; save an unencrypted copy to index it",
                )
            if not opened:
                return DocumentText(
                    path.name, skipped="encrypted with a password; save an unencrypted copy to index it"
                )
        raw_pages = [
            page.extract_text(extraction_mode="layout", layout_mode_space_vertically=True)
            for page in reader.pages
        ]
    except FileNotDecryptedError:
        return DocumentText(
            path.name, skipped="encrypted with a password; save an unencrypted copy to index it"
        )
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        return DocumentText(path.name, skipped=f"not a readable PDF ({type(error).__name__})")
    title = _title(reader, path)
    page_lines = [[line for line in text.splitlines() if line.strip()] for text in raw_pages]
    if not any(page_lines):
        return DocumentText(
            title,
            skipped=f"no text layer in its {len(raw_pages)} page(s) "
            "(a scanned image?); run OCR on it (e.g. ocrmypdf) to index it",
        )
    running = _running_lines(page_lines)
    blocks: list[_Block] = []
    for number, text in enumerate(raw_pages, start=1):
        for block in _page_blocks(number, text, running):
            previous = blocks[-1] if blocks else None
            opening = _clean(block.lines[0])
            if (
                previous is not None
                and previous.page == number - 1
                and not re.search(r"[.!?:;\"”)]$", _clean(previous.lines[-1]))
                and opening[:1].islower()
            ):
                previous.lines += block.lines  # a paragraph cut by the page break
                continue
            blocks.append(block)
    sections = [
        Section(text=text, title=title, location=f"page {block.page}")
        for block in blocks
        if (text := _join_lines(block.lines))
    ]
    return DocumentText(title, sections)
