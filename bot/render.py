"""Render an Answer for each transport: Telegram HTML parts, console text, JSON.

Renderers never decide anything; they only lay out what the pipeline composed.
They never add text of their own either: the disclaimer is already the last block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from bot.answer import Answer, Block, Span

__all__ = [
    "TELEGRAM_LIMIT",
    "answer_json",
    "block_html",
    "blocks_parts",
    "console_text",
    "split_html",
    "telegram_parts",
    "utf16_length",
    "utf16_prefix",
]

TELEGRAM_LIMIT = 4096  # Telegram's limit on one message's text, counted after entity parsing


def _span_html(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.bold:
        text = f"<b>{text}</b>"
    if span.italic:
        text = f"<i>{text}</i>"
    if span.url:
        text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
    return text


def block_html(block: Block) -> str:
    """One block as Telegram HTML; every piece of text is escaped."""
    body = "".join(_span_html(span) for span in block.spans)
    return f"<blockquote>{body}</blockquote>" if block.quote else body


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_prefix(text: str, limit: int) -> int:
    """The longest prefix of ``text`` (in characters) that is at most ``limit`` UTF-16 units."""
    cut = min(len(text), limit)
    while cut > 0 and utf16_length(text[:cut]) > limit:
        cut -= max(1, (utf16_length(text[:cut]) - limit) // 2)
    return cut


def split_html(blocks: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack rendered blocks into messages of at most ``limit`` UTF-16 units (Telegram's count).

    Splits only between blocks; a single block longer than the limit is cut at
    sentence or word boundaries by the pipeline before it gets here, but as a last
    resort it is sent as plain escaped text in pieces (tags cannot span messages).
    Markup counts too, so a part is never over the limit Telegram applies to its text.
    """
    parts: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block] if utf16_length(block) <= limit else _hard_split(block, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if utf16_length(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _hard_split(block_markup: str, limit: int) -> list[str]:
    # Drop the markup so that no tag is cut in half, then cut at whitespace.
    text = html.escape(html.unescape(re.sub(r"<[^>]+>", "", block_markup)), quote=False)
    pieces: list[str] = []
    while utf16_length(text) > limit:
        room = utf16_prefix(text, limit)
        cut = text.rfind(" ", 0, room)
        cut = cut if cut > room // 2 else room
        while "&" in text[max(0, cut - 6) : cut] and ";" not in text[text.rfind("&", 0, cut) : cut]:
            cut -= 1  # never cut an entity such as &amp; in half
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def telegram_parts(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The answer as Telegram HTML messages, the disclaimer (its last block) closing the last one."""
    return blocks_parts(answer.blocks, limit)


def blocks_parts(blocks: Iterable[Block], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A reply's blocks (``bot.replies``: the disclaimer already last) as Telegram HTML messages."""
    return split_html([block_html(block) for block in blocks], limit)


def console_text(answer: Answer) -> str:
    """The answer as terminal text: bold spans as **text**, quotes indented."""
    lines = []
    for block in answer.blocks:
        text = "".join(f"**{s.text}**" if s.bold else s.text for s in block.spans)
        lines.append("  " + text.replace("\n", "\n  ") if block.quote else text)
    return "\n\n".join(lines)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer as the JSON object of the CLI contract."""
    return {
        "question": answer.question,
        "kind": answer.kind.value,
        "passages": [
            {
                "id": sp.passage.id,
                "text": sp.passage.text,
                "score": round(float(sp.score), 6),
                "source": sp.passage.source,
            }
            for sp in answer.passages
        ],
        "reply": answer.reply,
        "disclaimer": answer.disclaimer,
    }
