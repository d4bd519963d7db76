"""What a question asks for, and how the sentences that answer it look.

Extractive help for retrieval and highlights, in plain English (no corpus knowledge):
``ask_type_bonus`` lifts the sentence that states the kind of fact asked for (the hold
time for "how long", the count for "how many", the caution for "is it safe", the cause
for "why", the advice on seeing a doctor for "when should I get it checked", the steps
for "how do I").
"""

from __future__ import annotations

import re

__all__ = ["ask_type_bonus", "states_the_number_asked"]

# A sentence that says what to do opens on a verb of movement or position.
_INSTRUCTION = re.compile(
    r"^\W*(?:(?:\w+ly|then|now|next|and|to start|first|finally|from here|how to)[\s,:]+)*"
    r"(?:lie|sit|stand|kneel|place|put|bring|hold|keep|bend|lift|raise|lower|pull|push|extend|"
    r"straighten|repeat|start|begin|rest|press|inhale|exhale|breathe|tuck|reach|lean|step|"
    r"slide|cross|rotate|twist|draw|squeeze|grab|hug|roll|shift|return|relax|walk|engage|"
    r"clasp|interlace|round|arch|drop|sink|open|flex|point|get|aim|perform|try|switch|"
    r"brace|gently|slowly)\b"
)

# What a question asks for, and how a sentence that answers it looks.
_ASKS = (
    (
        re.compile(r"\bhow long\b|\bfor how long\b|\bhow many (?:seconds|minutes|breaths)\b"),
        re.compile(
            r"\b(?:\d+|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty|thirty|"
            r"sixty)\b[^.]{0,15}\b(?:seconds?|secs?|minutes?|mins?|breaths?|hours?)\b|\bhold\b"
        ),
    ),
    (
        re.compile(r"\bhow (?:many|often|much)\b|\bhow many times\b|\breps?\b|\bsets?\b"),
        re.compile(
            r"\b(?:\d+|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty)\b[^.]{0,15}"
            r"\b(?:times?|reps?|repetitions?|sets?|breaths?|rounds?|days?|a day|per day|each side)\b"
        ),
    ),
    (
        re.compile(r"\b(?:safe|ok|okay|dangerous|hurt|harm|bad for|avoid|pregnan\w*|injur\w*)\b"),
        re.compile(
            r"\b(?:avoid|careful|caution|stop|don'?t|do not|never|gentle|gently|pain|injur\w*|"
            r"safe|risk)\b"
        ),
    ),
    (
        re.compile(r"\b(?:other side|other leg|both sides|each side|left|right)\b"),
        re.compile(r"\b(?:other side|both sides|each side|switch sides|repeat on|opposite)\b"),
    ),
    (
        re.compile(r"\b(?:why|what causes?|causes?|caused|reasons?|due to)\b"),
        re.compile(r"\b(?:caus\w*|due to|because|result\w* (?:of|from)|leads? to|trigger\w*|comes? from)\b"),
    ),
    (
        re.compile(
            r"\b(?:doctor|gp|physician|checked out|check(?:ed)? by|medical (?:help|attention)|"
            r"see (?:a|my|someone)|when should i (?:worry|get|go))\b"
        ),
        re.compile(r"\b(?:doctor|physician|gp|medical\w*|investigat\w*|consult\w*|seek|see (?:a|your))\b"),
    ),
    # "How do I do it?": the sentences that say what to do.
    (
        re.compile(r"\bhow (?:do|should|can|would) (?:i|you|we)\b(?! know)|\bhow to\b|\bsteps?\b"),
        _INSTRUCTION,
    ),
)
_BONUS = 0.15  # enough to lift a sentence that answers the ask over one that names the topic
_FACTS = _ASKS[:2]  # "how long?" and "how many?" ask for one number, which a sentence states or not


def ask_type_bonus(question: str, sentence: str) -> float:
    """A lift for ``sentence`` when it has the kind of fact ``question`` asks for."""
    q, s = question.lower(), sentence.lower()
    return _BONUS if any(ask.search(q) and looks.search(s) for ask, looks in _ASKS) else 0.0


def states_the_number_asked(question: str, sentence: str) -> bool:
    """Does ``sentence`` give the duration or count that ``question`` asks for ("how long?":
    "Hold for eight to 12 breaths")? Such a sentence is the answer, not the set-up around it."""
    q, s = question.lower(), sentence.lower()
    return any(ask.search(q) and looks.search(s) for ask, looks in _FACTS)
