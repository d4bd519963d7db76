"""Follow-up questions: does a message lean on the conversation, and what does it ask?

``looks_dependent`` reads the message's form: a pronoun or "the other one" pointing back,
an opening "and"/"what about", or a bare question fragment ("how long?"). The pipeline
combines it with evidence: a message that is not dependent in form and retrieves well on
its own is a new topic; otherwise it is searched together with the previous question, and
used that way when the context helps.

``ask_type_bonus`` lets the highlight answer what a question asks: the hold time for
"how long", the count for "how many", the caution for "is it safe", the cause for "why",
the advice on seeing a doctor for "when should I get it checked", the steps for "how do I".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Resolution", "ask_type_bonus", "looks_dependent"]


@dataclass(frozen=True)
class Resolution:
    """How a message in a conversation was searched."""

    follow_up: bool
    query: str  # what was searched for: the message, or the context plus the message


_POINTS_BACK = re.compile(
    r"\b(?:it|its|it's|that|this|those|these|them|they|there|one|ones|the other|other side|"
    r"same|also|too|instead|else|another|again|the stretch|the exercise|the pose)\b"
)
_OPENS_ON_CONTEXT = re.compile(
    r"^\W*(?:and|but|so|also|or|then|what about|how about|what if|and if|ok so|okay so|"
    r"same for|any other|anything else|more)\b"
)
_FRAGMENT = re.compile(
    r"^\W*(?:how (?:long|many|often|much|far|soon)|why|when|where|which|for how long|"
    r"is (?:it|that) (?:safe|ok|okay|normal|bad)|can i|should i|do i|what else)\b"
)
_FRAGMENT_WORDS = 6  # a wh-fragment longer than this usually names its own topic


def looks_dependent(text: str) -> bool:
    """The message's form says it continues the conversation (``text`` is normalised)."""
    lowered = text.lower()
    if _OPENS_ON_CONTEXT.search(lowered):
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


# What a question asks for, and how a sentence that answers it looks.
_ASKS = (
    (re.compile(r"\bhow long\b|\bfor how long\b|\bhow many (?:seconds|minutes|breaths)\b"),
     re.compile(r"\b(?:\d+|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty|thirty|"
                r"sixty)\b[^.]{0,15}\b(?:seconds?|secs?|minutes?|mins?|breaths?|hours?)\b|\bhold\b")),
    (re.compile(r"\bhow (?:many|often|much)\b|\bhow many times\b|\breps?\b|\bsets?\b"),
     re.compile(r"\b(?:\d+|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty)\b[^.]{0,15}"
                r"\b(?:times?|reps?|repetitions?|sets?|breaths?|rounds?|days?|a day|per day|each side)\b")),
    (re.compile(r"\b(?:safe|ok|okay|dangerous|hurt|harm|bad for|avoid|pregnan\w*|injur\w*)\b"),
     re.compile(r"\b(?:avoid|careful|caution|stop|don'?t|do not|never|gentle|gently|pain|injur\w*|"
                r"safe|risk)\b")),
    (re.compile(r"\b(?:other side|other leg|both sides|each side|left|right)\b"),
     re.compile(r"\b(?:other side|both sides|each side|switch sides|repeat on|opposite)\b")),
    (re.compile(r"\b(?:why|what causes?|causes?|caused|reasons?|due to)\b"),
     re.compile(r"\b(?:caus\w*|due to|because|result\w* (?:of|from)|leads? to|trigger\w*|comes? from)\b")),
    (re.compile(r"\b(?:doctor|gp|physician|checked out|check(?:ed)? by|medical (?:help|attention)|"
                r"see (?:a|my|someone)|when should i (?:worry|get|go))\b"),
     re.compile(r"\b(?:doctor|physician|gp|medical\w*|investigat\w*|consult\w*|seek|see (?:a|your))\b")),
    # "How do I do it?": the sentences that say what to do (they open on a verb of movement).
    (re.compile(r"\bhow (?:do|should|can|would) (?:i|you|we)\b(?! know)|\bhow to\b|\bsteps?\b"),
     re.compile(r"^\W*(?:\w+ly\s+)?(?:lie|sit|stand|kneel|place|put|bring|hold|keep|bend|lift|raise|lower|"
                r"pull|push|extend|straighten|repeat|start|begin|rest|press|inhale|exhale|breathe|tuck|"
                r"reach|lean|step|slide|cross|rotate|twist|draw|squeeze|grab|hug|roll|shift|return|"
                r"relax|walk|engage|clasp|interlace|round|arch|drop|sink|open|flex|point)\b")),
)
_BONUS = 0.15  # enough to lift a sentence that answers the ask over one that names the topic


def ask_type_bonus(question: str, sentence: str) -> float:
    """A lift for ``sentence`` when it has the kind of fact ``question`` asks for."""
    q, s = question.lower(), sentence.lower()
    return _BONUS if any(ask.search(q) and looks.search(s) for ask, looks in _ASKS) else 0.0
