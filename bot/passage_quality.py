"""Whether a passage stands on its own: pointers to content that is not there.

Web text introduces what follows on its page ("the following piriformis stretches",
"a broad selection ... below", "this sequence of eight hip-opening stretches"). In a
corpus of paragraphs the stretches may never follow, so such a paragraph is a poor
first answer, and a sentence that only points is a poor part of a quote.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.passage import Passage

__all__ = ["is_pointer_passage", "points_elsewhere"]

_POINTER = re.compile(
    r"\b(?:the following|below|listed here|shown here|shown above|pictured|here are|"
    r"this (?:sequence|list|selection|collection) of|we'?ve put together|in the (?:picture|photo|"
    r"image|video|illustration)|the above)\b",
    re.IGNORECASE,
)
_WHAT_FOLLOWS = re.compile(
    r"\b(?:stretch(?:es)?|exercises?|poses?|moves?|tips|steps|sequence|series|selection|concept|"
    r"list|order)\b",
    re.IGNORECASE,
)


def points_elsewhere(sentence: str) -> bool:
    """The sentence points at stretches, steps or pictures elsewhere on its page."""
    return bool(_POINTER.search(sentence)) and bool(_WHAT_FOLLOWS.search(sentence))


# A sentence that tells the reader what to do ("Hold for 30 seconds", "How to: Lie on...").
_INSTRUCTION = re.compile(
    r"^\W*(?:how to:\s*|step \d+\W*)?(?:hold|lie|start|bring|place|put|keep|repeat|stand|sit|"
    r"kneel|step|lean|reach|press|pull|push|raise|lift|lower|bend|extend|rotate|turn|slide|walk|"
    r"breathe|inhale|exhale|tighten|brace|relax|rest|return|switch|cross|grab|hug|roll|squeeze|"
    r"engage|drop|move|begin|get|try|perform|gently|slowly)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)  # a passage's text never changes: read it once
def is_pointer_passage(passage: Passage) -> bool:
    """The passage introduces content elsewhere and gives no instruction of its own."""
    sentences = passage.sentences or (passage.text,)
    return any(points_elsewhere(s) for s in sentences) and not any(
        _INSTRUCTION.search(s) and not points_elsewhere(s) for s in sentences
    )
