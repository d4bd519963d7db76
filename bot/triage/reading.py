"""Reading a message's structure: sentences, clauses, negation, questions and hypotheticals.

A symptom only counts when it is *reported*: not negated ("no fever"), not inside a general
question ("does back pain cause fever?"), not hypothetical ("what should I do if I can't pee?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.text import rx, words

__all__ = [
    "CLAUSE_BREAK",
    "Doc",
    "after_last",
    "is_information",
    "is_negated",
    "is_over",
    "is_resolved",
    "is_study_question",
    "word_tokens",
]

# A "." followed by a digit is a decimal point ("38.5"), not a sentence end.
_SENTENCE_END = re.compile(r"[?!;\n]+|\.(?!\d)")
# Negation does not reach across these (so "no fever and my legs are numb" keeps "numb").
CLAUSE_BREAK = re.compile(
    r"[,:()\[\]/+&]|\s[-\u2013\u2014]\s|"
    r"\b(?:but|however|although|though|except|yet|whereas|and|also|plus|then|so|because|cause|"
    r"cuz|coz|since|while|which|who|n)\b"
)
# A hypothetical "if" reaches across "and" but not across a comma or "but".
_HYPO_BREAK = re.compile(r"[,:()]|\s[-\u2013\u2014]\s|\b(?:but|however|although|though|because|cuz)\b")

_NEGATORS = words(
    "no not never without nor neither none zero denies deny denied cannot cant dont "
    "doesnt didnt isnt arent wasnt werent havent hasnt hadnt wont wouldnt couldnt "
    "shouldnt aint"
)
# Phrases that contain a negator but do not negate what follows.
_PSEUDO_NEGATION = re.compile(
    r"\b(?:no longer|not sure|not certain|not only|not just|no idea|no doubt|not even sure|"
    r"(?:do not|don'?t|dont|didn'?t) (?:know|understand|get|think it'?s normal)|"
    r"can'?t (?:tell why|stop|help|explain|figure out)|cannot (?:stop|explain)|"
    r"couldn'?t stop|never mind|no matter|not long ago|no reason|without (?:warning|reason|"
    r"any warning|any reason|trying)|not until|nothing (?:else )?(?:helps|works))\b"
)
_NEG_WINDOW = 5  # tokens before a symptom that a negator may govern
# A new subject after a negator starts a clause of its own, even with no comma or "and":
# in "if this pain doesnt stop im going to kms" the "doesnt" is about the pain, not the plan.
_SUBJECTS = words("i im ive id he hes she shes they theyre theyve we weve youre")
# ...except after a verb that lifts the negation out of the clause it governs: "I don't
# think I have numbness" denies the numbness.
_RAISING = words("think believe reckon suppose expect imagine guess feel")

_HYPOTHETICAL = re.compile(
    r"\b(?:if|what if|in case|suppose|supposing|unless|whether|should i ever|when would)\b"
)
_NOT_HYPOTHETICAL = re.compile(r"\b(?:not sure|unsure|wonder\w*|know|see|check|tell|ask\w*|even|as|idk) if\b")
_POST_NEGATION = re.compile(r"\s*(?:[:?]|\s[-\u2013\u2014])\s*(?:no|none|nope|nil|negative|not really)\b")
# A normal state said right after a finding: "saddle sensation normal", "bladder's totally
# fine". Not after a finding that is itself a loss: "can't pee ok" is a report.
_POST_NORMAL = re.compile(
    r"(?:(?:'s|\s+(?:is|are|was|were|feels?|felt|seems?))\s+(?:totally |completely |perfectly |"
    r"entirely |all |absolutely )?(?:normal|fine|ok|okay|intact|unaffected)|\s+(?:normal|intact|"
    r"unaffected))\b"
)
_LOSS_WORDS = words("unable lost loss losing lose numb numbness weak weakness")

_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|we|we're|we've|our)\b"
    r"|\bis (?:it|this|that) normal\b|\bnormal to\b"
)
# "Tell me about ..." asks for information; its "me" is not a report.
_ADDRESSED_ME = re.compile(
    r"\b(?:tell|show|give|explain to|teach|let) me\b|\bhelp me (?:understand|know|learn)\b"
)
_INTERROGATIVE_START = re.compile(
    r"^\W*(?:(?:so|and|but|also|ok|okay|hi|hey|hello|quick question|question|q)\W+)?"
    r"(?:what|what's|whats|wat|which|when|why|how|who|where|does|do|did|can|could|is|"
    r"are|was|were|will|would|should|may|might|has|have|any|r)\b(?!')"
)
_INFO_REQUEST = rx(
    r"\b(?:tell me|explain|describe|info(?:rmation)? (?:on|about)|signs? (?:of|that)|"
    r"symptoms? (?:of|that)|red flags?|warning signs?|causes? of|exercises? for|"
    r"stretch(?:es)? for|tips (?:for|on)|ways to|how to|best way|meaning of|definition of)\b",
    # A bare topic: "foot drop exercises", "sciatica both legs treatment".
    r"\b(?:exercises?|stretch(?:es)?|treatments?|causes?|symptoms?|signs?|meaning|definition|"
    r"recovery|prognosis|tips|remed(?:y|ies)|physio(?:therapy)?|rehab|info|information)\W*$",
)
# Said anywhere, these make the whole message an information request.
_INFO_MARKER = re.compile(
    r"\b(?:asking for (?:info\w*|a friend|someone else|curiosity)|just (?:curious|wondering|"
    r"asking)|out of curiosity|hypothetical\w*|for (?:my |an? )?(?:\w+ )?(?:research|essay|homework|"
    r"assignment|class|exam|course|project|studies|study|dissertation|thesis|revision|module)|"
    r"(?:writing|doing|taking|studying for|"
    r"revising for|working on) (?:a|an|my|our|the) (?:\w+ ){0,2}(?:essay|assignment|course|exam|"
    r"dissertation|thesis|project|presentation|module)|not (?:because|cuz|cause|coz|cos|"
    r"'cause) i (?:have|got|am)|(?:i )?don'?t have (?:it|this|that|them|any of (?:these|those"
    r"|them|that))|no symptoms)\b"
)
# "Does X cause numbness? I have it." The general question is about the user after all.
_ANAPHORIC_REPORT = re.compile(
    r"\bi(?:'ve| have)?(?: got| had| have| am having| m having|'m having| get)? "
    r"(?:it|this|that|these|those|them|both)\b(?! (?:way|is|was|stretch))(?<!get it)|"
    r"\bhappening to me\b|\bthat'?s (?:what|exactly what) i(?:'m| am)? (?:have|having|feel)|"
    # "Is chiropractic ok after a car accident? Mine was this morning."
    r"\bmine (?:was|is|happened|started|began)\b"
)


@dataclass(frozen=True)
class Doc:
    """A normalised message with its sentence spans, so rules can look around a match."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    info_message: bool  # the user says they are only asking for information
    anaphoric_report: bool  # "I have it" elsewhere turns a general question into a report

    @classmethod
    def of(cls, text: str) -> Doc:
        spans, start = [], 0
        for end in _SENTENCE_END.finditer(text):
            spans.append((start, end.end()))
            start = end.end()
        spans.append((start, len(text)))
        return cls(
            text,
            tuple(spans),
            bool(_INFO_MARKER.search(text)),
            bool(_ANAPHORIC_REPORT.search(text)),
        )

    def sentence(self, pos: int) -> tuple[int, int]:
        """The (start, end) span of the sentence containing ``pos``."""
        return next(((s, e) for s, e in self.sentences if s <= pos < e), self.sentences[-1])


def after_last(pattern: re.Pattern[str], text: str) -> str:
    """The part of ``text`` after the last match of ``pattern`` (all of it if none)."""
    end = 0
    for match in pattern.finditer(text):
        end = match.end()
    return text[end:]


def word_tokens(text: str) -> list[str]:
    return [t.replace("'", "") for t in re.findall(r"[a-z']+", text)]


def is_negated(doc: Doc, start: int, end: int) -> bool:
    """A negator shortly before the match in its clause, or a "symptom? no" answer after."""
    sent_start, _ = doc.sentence(start)
    clause = after_last(CLAUSE_BREAK, doc.text[sent_start:start])
    tokens = word_tokens(_PSEUDO_NEGATION.sub(" ", clause))
    negators = [i for i, t in enumerate(tokens) if t in _NEGATORS]
    if negators and negators[-1] >= len(tokens) - _NEG_WINDOW and _reaches(tokens, negators[-1]):
        # "I can't walk without my leg giving way": a double negative is still a report.
        nearest = negators[-1]
        return not (tokens[nearest] == "without" and len(negators) > 1)
    if _POST_NEGATION.match(doc.text, end):
        return True
    found = word_tokens(doc.text[start:end])
    return bool(_POST_NORMAL.match(doc.text, end)) and not any(
        t in _NEGATORS or t in _LOSS_WORDS for t in found
    )


def _reaches(tokens: list[str], negator: int) -> bool:
    """Does the negator at ``negator`` govern the end of ``tokens`` (no new subject between)?"""
    between = tokens[negator + 1 :]
    if between[:1] and between[0] in _RAISING:
        return True
    return not any(t in _SUBJECTS for t in between)


# A symptom told as over: "fully recovered", "it settled", "the ECG was normal", "all clear".
_RESOLVED = re.compile(
    r"\b(?:(?:fully |completely |totally )?(?:recovered|resolved)|went away|gone now|cleared up|"
    r"(?:has |have |had |it )?settled(?: down)?|all clear|turned out (?:to be|it was)|"
    r"(?:was|were|came back|all) (?:normal|fine|clear|negative)|got better|healed|"
    r"(?:been |is |was )?fine (?:ever )?since|(?:all |much |feeling |loads )?better now|fine now|"
    r"back to normal|(?:well|long|years|far|all|(?:that|it|this)(?:'s| is)) behind (?:me|her|him|them|us)|"
    r"(?:in )?a (?:really |"
    r"much |very )?(?:good|better|great) place (?:now|these days)|"
    r"(?:doing|feeling) (?:really |very |so )?(?:well|great|fine|good|ok|okay) now|"
    r"(?:tests?|scans?|results?|ecgs?|x-?rays?|bloods?|mri) (?:were |was |came back |all |both )?"
    r"(?:normal|fine|clear|negative|ok|okay)|"
    # A check that found nothing, or a professional who explained it: "x-rayed, nothing
    # broken", "no fracture", "the GP confirmed it", "midwife says it's normal".
    r"nothing (?:broken|serious|sinister|wrong|found|showed up)|no (?:fractures?|breaks?)|"
    r"(?:gp|doctor|dr|midwife|physio|nurse|consultant|specialist)s? (?:has |have )?"
    r"(?:confirmed|checked|cleared|(?:says?|said) (?:it'?s |its |it is |it was |that'?s )?"
    r"(?:normal|fine|nothing|harmless|ok|okay)))\b"
)
# ...unless it is back: "it went away but now it's back". A bare "now" is not a return:
# "healed now" and "fully recovered now" say it is over.
_RETURNED = re.compile(
    r"\b(?:(?:but|and) now|now (?:it'?s|its|it is|i'?m|im|i am|i have|i've|ive|i can'?t|i cant|"
    r"there'?s|theres|my)|again|came back|come back|coming back|returned|back again|recurr\w*|"
    r"worse|still (?:there|numb|weak|leak\w*|can'?t|cant|have|having|got|no feeling)|"
    r"since (?:yesterday|today|this morning|last night|then)|today|tonight|this morning)\b"
)


_RESOLUTION_NEGATED = 3  # words before a resolution phrase that a negator may govern
_UNDONE = words("no not never nowhere isnt arent wasnt werent hasnt havent hadnt didnt doesnt dont longer")


def _tells_resolution(text: str) -> bool:
    """A resolution phrase that is not itself negated: "in a good place now" says it is
    over, "not in a good place now" and "never got better" say the opposite."""
    for match in _RESOLVED.finditer(text):
        before = word_tokens(text[max(0, match.start() - 40) : match.start()])[-_RESOLUTION_NEGATED:]
        if not any(t in _UNDONE for t in before):
            return True
    return False


def is_resolved(doc: Doc, start: int) -> bool:
    """The sentence around ``start`` tells the symptom as over and not come back."""
    sent_start, sent_end = doc.sentence(start)
    sentence = doc.text[sent_start:sent_end]
    return _tells_resolution(sentence) and not _RETURNED.search(sentence)


# Who asks in their work or studies: "I'm a physio", "nursing student here".
_ROLE = (
    r"(?:\w+ )?(?:student|undergrad\w*|postgrad\w*|nurse|physio\w*|doctor|gp|paramedic|pharmacist|"
    r"psychologist|psychiatrist|counsel+or|therapist|social worker|carer|teacher|lecturer|researcher|"
    r"trainee|first aider|volunteer)"
)
_SAYS_ROLE = re.compile(rf"\b(?:i'?m|i am|im) (?:an? |the )?{_ROLE}\b|\b{_ROLE} here\b")


def is_study_question(doc: Doc, start: int) -> bool:
    """The message asks for study or work ("for my essay", "I'm a physio"), and the sentence
    around ``start`` says nothing of the writer beyond their role: a question about crisis,
    not a crisis. "I'm a nurse and I want to die" keeps its "I want"."""
    if not (doc.info_message or _SAYS_ROLE.search(doc.text)):
        return False
    sent_start, sent_end = doc.sentence(start)
    sentence = _SAYS_ROLE.sub(" ", _ADDRESSED_ME.sub(" ", doc.text[sent_start:sent_end]))
    return not _FIRST_PERSON.search(sentence)


# When a crisis was: "back in 2019", "five years ago", "as a teenager", "used to".
_PAST_TIME = re.compile(
    r"\b(?:\d+|a few|few|several|many|two|three|four|five|six|seven|eight|nine|ten|some|a couple of)"
    r" (?:years?|yrs?|decades?) (?:ago|back)\b|\b(?:back )?in (?:19|20)\d\d\b|\blast year\b|"
    r"\bas a (?:kid|child|teen\w*|student)\b|\bwhen i was (?:younger|a teen\w*|a kid|\d+)\b|\bused to\b"
)


def is_over(doc: Doc, start: int) -> bool:
    """Told as over: in its own sentence ("fully recovered"), or dated in the past with a
    later sentence saying so ("Back in 2019 I thought about ending it. Got help and I'm
    doing really well now.") and nothing after it saying it is back."""
    if is_resolved(doc, start):
        return True
    sent_start, sent_end = doc.sentence(start)
    if not _PAST_TIME.search(doc.text, sent_start, sent_end):
        return False
    rest = doc.text[sent_end:]
    return _tells_resolution(rest) and not _RETURNED.search(rest)


def is_information(doc: Doc, start: int) -> bool:
    """True when the match sits in a general question, a hypothetical or an info request."""
    if doc.info_message:
        return True
    sent_start, sent_end = doc.sentence(start)
    sentence = doc.text[sent_start:sent_end]
    if _FIRST_PERSON.search(_ADDRESSED_ME.sub(" ", sentence)):
        prefix = after_last(_HYPO_BREAK, doc.text[sent_start:start])
        return bool(_HYPOTHETICAL.search(_NOT_HYPOTHETICAL.sub(" ", prefix)))
    if doc.anaphoric_report:
        return False
    return bool(_INTERROGATIVE_START.search(sentence) or _INFO_REQUEST.search(sentence))
