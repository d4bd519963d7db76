"""The question inside a long message: its subject line and the sentences that ask.

A consumer message is often a story around a question ("My mother is 74 ... she
was told she has X. What is the treatment? We live in ..."). The retriever weights
what this finds (``RetrievalParams.focus_weight``) while the whole message still
counts, so a question at the end of a long story is not lost in it, and is not cut
off at ``MAX_QUERY_CHARS`` either: the focus is looked for in the whole message.

No corpus knowledge here: only how English asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from limber.text import split_message_sentences

__all__ = ["FOCUS_SCAN_CHARS", "QueryFocus", "find_focus"]

FOCUS_SCAN_CHARS = 20_000  # how much of a message is read for its question (a safety cap)
_SUBJECT_MAX_WORDS = 15
_MIN_MESSAGE_WORDS = 25  # a message shorter than this is all question: no focus is needed

_SUBJECT_PREFIX = re.compile(r"^\s*(?:subject|re|fwd?|topic|title)\s*:\s*", re.IGNORECASE)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|to whom it may concern"
    r"|sir|madam|doctor|dr)\b[\w .,'!-]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(r"^(?:thanks?|thank you|many thanks|thx|cheers|regards|best|sincerely)\b", re.IGNORECASE)
_ASK_OPENING = re.compile(
    r"^(?:(?:and|but|so|also|now|then|please|ok|okay|well)[, ]+)*"
    r"(?:(?:what|what's|whats|how|why|when|where|which|who|whom|whose|any)\b"
    r"|(?:is|are|am|was|were|can|could|do|does|did|should|shall|would|will|may|might|has|have"
    r"|must|isn't|aren't|can't|doesn't|don't|won't|wouldn't|shouldn't)\s+"
    r"(?:i|you|we|it|there|this|that|these|those|my|your|our|he|she|they|his|her|their|the|a|an"
    r"|anyone|anybody|someone|somebody|anything|something|any|some)\b)",
    re.IGNORECASE,
)
_ASK_PHRASE = re.compile(
    r"\b(?:i (?:would|'d|d) (?:like|love) to (?:know|learn|find out|understand)"
    r"|(?:i )?(?:want|need|wish|hope) to (?:know|learn|find out|understand)"
    r"|(?:i (?:am|'m|m) )?(?:wondering|curious)|i wonder"
    r"|please (?:tell|help|advise|explain|send|let|give|provide|inform)"
    r"|(?:can|could|would) (?:you|someone|anyone) (?:please )?(?:tell|help|advise|explain|send|give)"
    r"|looking for (?:information|info|advice|help|answers?)"
    r"|(?:need|want|seeking|seek|request(?:ing)?) (?:some |any |more )?(?:information|info|advice|help)"
    r"|any (?:information|info|advice|suggestions?|ideas?|help|recommendations?)"
    r"|(?:information|info) (?:on|about|regarding|concerning)"
    r"|tell me (?:about|what|how|why|if|whether)"
    r"|(?:do not|don't|dont) (?:know|understand) (?:what|how|why|if|whether)"
    r"|(?:know|understand|learn) (?:more )?(?:about|if|whether|what|how|why)"
    r"|is it (?:possible|normal|safe|true)|what (?:can|should) (?:i|we) do)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QueryFocus:
    """What a message asks: its subject line and asking sentences (either may be missing)."""

    subject: str = ""
    asking: tuple[str, ...] = ()
    words: int = 0  # words in the whole message

    @property
    def text(self) -> str:
        """The focus as one text: subject first, then the asking sentences."""
        return " ".join(part for part in (self.subject, *self.asking) if part)

    @property
    def applies(self) -> bool:
        """Worth weighting: a long message with a subject or an asking sentence in it."""
        return self.words >= _MIN_MESSAGE_WORDS and bool(self.text)


def asks(sentence: str) -> bool:
    """Does this sentence ask something (a question, or a request for information)?"""
    stripped = sentence.strip().strip("\"“”'‘’()[]-* ")
    if not stripped or _THANKS.match(stripped):
        return False  # "Thanks for any help you can give" asks nothing
    if stripped.endswith("?"):
        return True
    return bool(_ASK_OPENING.match(stripped)) or bool(_ASK_PHRASE.search(stripped))


def _subject(lines: list[str]) -> tuple[str, list[str]]:
    """A short first line above more text is a subject ("Glaucoma", "Subject: knee pain")."""
    if len(lines) < 2:
        return "", lines
    first = lines[0].strip()
    prefixed = bool(_SUBJECT_PREFIX.match(first))
    first = _SUBJECT_PREFIX.sub("", first).strip()
    words = first.split()
    rest = " ".join(lines[1:]).split()
    if not words or _GREETING.match(first) or len(words) > _SUBJECT_MAX_WORDS:
        return "", lines
    if not prefixed and len(rest) < 2 * len(words):
        return "", lines  # two short lines are one question written on two lines
    return first.rstrip(" .:;,-"), lines[1:]


def find_focus(message: str) -> QueryFocus:
    """The subject line and asking sentences of ``message``, in order, without repeats."""
    message = message[:FOCUS_SCAN_CHARS]
    lines = [" ".join(line.split()) for line in message.splitlines() if line.strip()]
    subject, body = _subject(lines)
    asking: list[str] = []
    for sentence in split_message_sentences("\n".join(body)):
        if asks(sentence) and sentence not in asking and sentence != subject:
            asking.append(sentence)
    return QueryFocus(subject, tuple(asking), len(message.split()))
