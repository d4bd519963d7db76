"""HTML pages (saved health articles, a clinic's FAQ): the main text, without the site around it.

trafilatura finds the article among navigation, cookie banners, footers and
scripts. The page title names the document, each heading becomes the title of
the paragraphs under it, and the canonical URL (``<link rel="canonical">``,
``og:url``, or the ``saved from url`` comment a browser writes when it saves a
page) becomes the link of every passage.
"""

from __future__ import annotations

import re
from pathlib import Path

from index.formats import DocumentText, Section, answer_text

__all__ = ["read_html"]

# Chromium, Firefox and Edge mark a saved page with its address: <!-- saved from url=(0042)https://... -->
_SAVED_FROM_RE = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")


def _clean(text: str | None) -> str:
    return _SPACE_RE.sub(" ", text or "").strip()


def _saved_from(raw: bytes) -> str | None:
    match = _SAVED_FROM_RE.search(raw[:4096])
    if not match:
        return None
    url = match.group(1).decode("ascii", errors="replace")
    return url if url.startswith(("http://", "https://")) else None


def read_html(path: Path) -> DocumentText:
    import trafilatura
    from lxml import etree

    raw = path.read_bytes()
    saved_from = _saved_from(raw)
    extracted = trafilatura.extract(
        raw,
        output_format="xml",
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        url=saved_from,
    )
    metadata = trafilatura.extract_metadata(raw, default_url=saved_from)
    page_title = _clean(metadata.title if metadata else None) or path.name
    if not extracted:
        return DocumentText(page_title, skipped="no main text found in the page")
    root = etree.fromstring(extracted.encode("utf-8"))
    url = root.get("url") or (metadata.url if metadata else None) or saved_from
    if url and not url.startswith(("http://", "https://")):
        url = None
    title = _clean(root.get("title")) or page_title
    sections: list[Section] = []
    heading: str | None = None
    first = False
    main = root.find("main")
    for element in main.iter("head", "p", "list", "quote", "row") if main is not None else ():
        if element.tag == "head":
            heading = _clean("".join(element.itertext()))
            first = True
            continue
        if element.getparent() is not None and element.getparent().tag in ("list", "quote", "cell"):
            continue  # read as part of the list or quotation it belongs to
        if element.tag == "list":
            text = "; ".join(_clean("".join(item.itertext())) for item in element.iter("item"))
        elif element.tag == "row":
            text = " | ".join(_clean("".join(cell.itertext())) for cell in element.iter("cell"))
        else:
            text = _clean("".join(element.itertext()))
        if not text:
            continue
        shown_heading = heading if heading and heading != title else None
        sections.append(
            Section(
                text=answer_text(heading, text, first),
                title=heading or title,
                location=shown_heading or "",
                url=url,
            )
        )
        first = False
    return DocumentText(title, sections)
