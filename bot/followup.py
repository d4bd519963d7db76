"""Follow-up questions: does a message lean on the conversation, and what does it ask?

``looks_dependent`` reads the message's form: a pronoun or "the other one" pointing back,
an opening "and"/"what about", or a bare question fragment ("how long?"). The pipeline
combines it with evidence: a message that is not dependent in form and retrieves well on
its own is a new topic; otherwise it is searched together with the previous question, and
used that way when the context helps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Resolution", "looks_dependent"]


@dataclass(frozen=True)
class Resolution:
    """How a message in a conversation was searched."""

    follow_up: bool
    query: str  # what was searched for: the message, or the context plus the message


_POINTS_BACK = re.compile(
    r"\b(?:it|its|it's|that|this|those|these|them|they|there|one|ones|the other|other side|"
    r"he|she|him|her|his|hers|"
    r"same|also|too|instead|else|another|again|the stretch|the exercise|the pose|the move|"
    r"the movement|the position|the muscles?)\b"
)
_OPENS_ON_CONTEXT = re.compile(
    r"^\W*(?:and|but|so|also|or|then|what about|how about|what if|and if|ok so|okay so|"
    r"same for|any other|anything else|more)\b"
)
# A closing "then" carries on from the last answer: "what happens to my hips over time then?"
_CLOSES_ON_CONTEXT = re.compile(r"\bthen\W*$")
_FRAGMENT = re.compile(
    r"^\W*(?:how (?:long|many|often|much|far|soon)|why|when|where|which|for how long|"
    r"is (?:it|that) (?:safe|ok|okay|normal|bad)|can i|should i|do i|what else)\b"
)
_FRAGMENT_WORDS = 6  # a wh-fragment longer than this usually names its own topic


def looks_dependent(text: str) -> bool:
    """The message's form says it continues the conversation (``text`` is normalised)."""
    lowered = text.lower()
    if _OPENS_ON_CONTEXT.search(lowered) or _CLOSES_ON_CONTEXT.search(lowered):
        return True
    # "what is an epidural abscess and what causes it?" names what its "it" points to.
    if _POINTS_BACK.search(lowered) and _content_words(lowered) <= _OWN_TOPIC_WORDS:
        return True
    return bool(_FRAGMENT.search(lowered)) and len(lowered.split()) <= _FRAGMENT_WORDS


_FUNCTION_WORDS = frozenset(
    "what when where which while with would could should about does have this that these those "
    "there their them they then than your from into just like really make much many long often "
    "good best also more other same thing things stuff want need help tell know okay".split()
)
_OWN_TOPIC_WORDS = 2  # more content words than this: the message names its own topic


def _content_words(text: str) -> int:
    return sum(len(w) >= 4 and w not in _FUNCTION_WORDS for w in re.findall(r"[a-z']+", text))
