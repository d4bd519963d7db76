"""Medical safety: the one disclaimer text, and triage of questions before retrieval.

``triage`` is a pure, rule-based pass (regexes only: no model, no network, well under
a millisecond for a chat-sized message) that runs before retrieval. It decides whether
a message must not be answered from the documents at all:

* CRISIS: thoughts of suicide or self-harm. Always wins.
* RED_FLAG: a first-person report of symptoms that need urgent or emergency care
  (NHS / NICE CKS / BMJ Best Practice red flags for back pain and sciatica).
* GREETING, HELP: small talk and questions about the bot itself.
* NOT_ENGLISH: the documents are English.
* DOSE: requests for a medication dose, amount or frequency (the bot never gives one).

``None`` means an ordinary question: go to retrieval.

Design notes (the rules are scored on paraphrases we never see, so they aim to generalise):

* Text is normalised first (NFKC, lowercase, straight quotes, collapsed spaces) so one
  regex covers curly apostrophes, full-width letters and odd spacing.
* A symptom only counts when it is *reported*: not negated ("no fever", "I can feel
  touch fine"), not inside a general question ("does back pain cause fever?"), not
  hypothetical ("what should I do if I can't pee?"), and not explained by a benign
  context (numb foot after sitting cross-legged, weak legs after leg day).
* Symptoms that are benign on their own (fever, weight loss, a cancer history) only
  count together with back pain (co-occurrence rules).
* Idioms are not crises: "this pain is killing me", "I could kill for a massage",
  "dying to know", "suicide sprints".
* Safety checks also read a typo-repaired copy of the text: a word one edit away from a
  key term ("blader", "suicde", "givin way") is read as that term, unless it is a real
  word itself ("ladder", "never").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "DISCLAIMER",
    "Triage",
    "TriageKind",
    "crisis_message",
    "red_flag_message",
    "triage",
]

DISCLAIMER = (
    "⚕️ Limber shares general information from its documents. It is not medical advice, "
    "a diagnosis or a treatment plan. If you are worried about your symptoms, see a "
    "doctor or physiotherapist; in an emergency, call your local emergency number."
)

EMERGENCY = "emergency"
URGENT = "urgent"


class TriageKind(StrEnum):
    """Why a message bypasses (or is answered before) retrieval."""

    CRISIS = "crisis"  # thoughts of suicide or self-harm
    RED_FLAG = "red_flag"  # symptoms needing urgent care
    GREETING = "greeting"  # the whole message is a greeting, thanks or farewell
    HELP = "help"  # a question about the bot itself
    DOSE = "dose"  # asks for a medication dose, amount or frequency
    NOT_ENGLISH = "not_english"  # mostly another language or script


@dataclass(frozen=True)
class Triage:
    """The triage decision for one message.

    ``reason`` is short and machine-ish (e.g. ``"cauda_equina:bladder"``); ``urgency``
    is ``"emergency"`` or ``"urgent"`` for RED_FLAG and empty otherwise.
    """

    kind: TriageKind
    reason: str
    urgency: str = ""


# --------------------------------------------------------------------------------------
# Normalisation and sentence / clause structure
# --------------------------------------------------------------------------------------


def _rx(*parts: str) -> re.Pattern[str]:
    """One compiled alternation of the given regex parts."""
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _words(text: str) -> frozenset[str]:
    """A vocabulary written as one space-separated string (easier to read and extend)."""
    return frozenset(text.split())


_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'",
        "\u2032": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"',
        "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    }
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def _normalise(text: str) -> str:
    """Lowercase NFKC text with straight quotes and single spaces (newlines kept)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _INVISIBLE.sub("", text).lower()
    return _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()


# ---- typo repair ------------------------------------------------------------------------
# Users misspell exactly the words the rules key on ("blader", "suicde", "givin way",
# "crahs"). A word one edit away (a letter missing, extra, wrong or two letters swapped)
# from one of these targets is read as the target, unless it is a real word itself.
_TYPO_TARGETS = _words(
    "bladder bowel bowels control urinate urinating urine incontinence incontinent peeing "
    "pissing toilet numbness numbed tingling tingly tingle sensation feeling privates genitals "
    "groin saddle buttocks buttock thighs vagina penis testicles scrotum perineum sciatica "
    "sciatic weakness giving buckled buckling collapsed collapsing dragging tripping floppy "
    "paralysed paralyzed crash crashed accident collision ladder scaffolding motorbike "
    "motorcycle chest spreading radiating crushing pressure breath breathe breathing fever "
    "feverish temperature chills shivering sweats cancer chemotherapy tumour epidural injection "
    "surgery operation weight unexplained dieting constant osteoporosis steroids prednisone "
    "heroin injecting suicide suicidal myself killing dying alive living anymore ending overdose "
    "tablets harming cutting hurting thinking erection wiping emergency"
)
# Short words are only repaired when two letters are swapped ("pian", "nubm").
_SHORT_TARGETS = _words("numb weak kill pain legs feel foot feet pills chemo")
_TYPO_EXTRA = {"kil": "kill", "kll": "kill", "pee'd": "peed"}
# Real words one edit away from a target (from the MedQuAD vocabulary plus everyday words):
# never "corrected", so "fell off a ladder" stays a ladder and "never" never becomes "fever".
_REAL_NEIGHBOURS = _words(
    "accidents addle alike bending billing bladders blander bowed bowen bowls bragging brash "
    "breadth breathed breathes breaths brushing buckles buckley butting cancel cancers canker "
    "canter charming cheat chess chests childs chill clash collapse collapses controls crashes "
    "crass crest crush crusting cushing dancer doing dowel dripping drugging drying dyeing eight "
    "election emergence endings erections eying farming feeding feelings fending fevers fewer "
    "filling fiver genital grain gripping groan grown gutting harping heeling height heroic "
    "heroine highs hills hissing humour hunting hurling hurtling infecting infection injections "
    "jingling jutting keeling kissing lancer lander lending lever liking lining lying madder "
    "mending milling mingling missing motorcycles never number olive operations overdoes paddle "
    "paralyses paralyze passing peeking peeping peering peeving pending piping pressures "
    "primates private purine putting reeling rending ripping rumour rushing sadder saddles seats "
    "seeing sending sensations sever single singling sloppy steroid stripping swats swears sweat "
    "sweaty sweets swiping tables tablet tangle temperatures tending testicle thanking thigh "
    "thinning tilling tingles tinkling towel towels trapping trash tripling tumor tumours tying "
    "urinated urinates vaginal vending vowel vying waddle warming weigh weighs weights wending "
    "willing wiring"
)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_substitution_or_swap(a: str, b: str) -> bool:
    """Same-length words that differ in one letter, or in two adjacent swapped letters."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    i, j = diff if len(diff) == 2 else (0, 0)
    return j == i + 1 and a[i] == b[j] and a[j] == b[i]


def _deletion_index() -> dict[str, str | None]:
    """Each target with one letter deleted -> the target (None when two targets share it)."""
    index: dict[str, str | None] = {}
    for target in _TYPO_TARGETS:
        for variant in _deletions(target):
            index[variant] = target if index.get(variant, target) == target else None
    return index


_TARGET_BY_DELETION = _deletion_index()
_SWAPPED_SHORT = {
    t[:i] + t[i + 1] + t[i] + t[i + 2:]: t
    for t in _SHORT_TARGETS
    for i in range(len(t) - 1)
    if t[i] != t[i + 1]
}


@lru_cache(maxsize=8192)
def _repair_word(word: str) -> str:
    """The target that ``word`` misspells by one edit, else ``word`` unchanged."""
    if word in _TYPO_EXTRA:
        return _TYPO_EXTRA[word]
    if word in _SWAPPED_SHORT:
        return _SWAPPED_SHORT[word]
    if len(word) < 5 or word in _TYPO_TARGETS or word in _REAL_NEIGHBOURS:
        return word
    found: set[str] = set()
    if missing := _TARGET_BY_DELETION.get(word):  # a letter missing: "blader"
        found.add(missing)
    for variant in _deletions(word):
        if variant in _TYPO_TARGETS:  # a letter too many: "controll"
            found.add(variant)
        target = _TARGET_BY_DELETION.get(variant)
        if target and len(target) == len(word) and _one_substitution_or_swap(word, target):
            found.add(target)  # a letter wrong or two swapped: "crahs"
    # Two candidate targets: too ambiguous to guess.
    return found.pop() if len(found) == 1 else word


def _repair_typos(text: str) -> str:
    """``text`` with each misspelt key term replaced by the term itself."""
    return re.sub(r"[a-z]+(?:'d)?", lambda m: _repair_word(m.group()), text)


# A "." followed by a digit is a decimal point ("38.5"), not a sentence end.
_SENTENCE_END = re.compile(r"[?!;\n]+|\.(?!\d)")
# Negation does not reach across these (so "no fever and my legs are numb" keeps "numb").
_CLAUSE_BREAK = re.compile(
    r"[,:()\[\]/+&]|\s[-\u2013\u2014]\s|"
    r"\b(?:but|however|although|though|except|yet|whereas|and|also|plus|then|so|because|cause|"
    r"cuz|coz|since|while|which|who|n)\b"
)
# A hypothetical "if" reaches across "and" but not across a comma or "but".
_HYPO_BREAK = re.compile(
    r"[,:()]|\s[-\u2013\u2014]\s|\b(?:but|however|although|though|because|cuz)\b"
)

_NEGATORS = _words(
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

_HYPOTHETICAL = re.compile(
    r"\b(?:if|what if|in case|suppose|supposing|unless|whether|should i ever|when would)\b"
)
_NOT_HYPOTHETICAL = re.compile(
    r"\b(?:not sure|unsure|wonder\w*|know|see|check|tell|ask\w*|even|as|idk) if\b"
)
_POST_NEGATION = re.compile(
    r"\s*(?:[:?]|\s[-\u2013\u2014])\s*(?:no|none|nope|nil|negative|not really)\b"
)

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
_INFO_REQUEST = _rx(
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
    r"asking)|out of curiosity|hypothetical\w*|for (?:my |an? )?(?:research|essay|homework|"
    r"assignment|class|exam|course|project|studies|study)|not (?:because|cuz|cause|coz|cos|"
    r"'cause) i (?:have|got|am)|(?:i )?don'?t have (?:it|this|that|them|any of (?:these|those"
    r"|them|that))|no symptoms)\b"
)
# "Does X cause numbness? I have it." The general question is about the user after all.
_ANAPHORIC_REPORT = re.compile(
    r"\bi(?:'ve| have)?(?: got| had| have| am having| m having|'m having| get)? "
    r"(?:it|this|that|these|those|them|both)\b(?! (?:way|is|was|stretch))(?<!get it)|"
    r"\bhappening to me\b|\bthat'?s (?:what|exactly what) i(?:'m| am)? (?:have|having|feel)"
)


@dataclass(frozen=True)
class _Doc:
    """A normalised message with its sentence spans, so rules can look around a match."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    info_message: bool  # the user says they are only asking for information
    anaphoric_report: bool  # "I have it" elsewhere turns a general question into a report

    @classmethod
    def of(cls, text: str) -> _Doc:
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


def _after_last(pattern: re.Pattern[str], text: str) -> str:
    """The part of ``text`` after the last match of ``pattern`` (all of it if none)."""
    end = 0
    for match in pattern.finditer(text):
        end = match.end()
    return text[end:]


def _tokens(text: str) -> list[str]:
    return [t.replace("'", "") for t in re.findall(r"[a-z']+", text)]


def _is_negated(doc: _Doc, start: int, end: int) -> bool:
    """A negator shortly before the match in its clause, or a "symptom? no" answer after."""
    sent_start, _ = doc.sentence(start)
    clause = _after_last(_CLAUSE_BREAK, doc.text[sent_start:start])
    tokens = _tokens(_PSEUDO_NEGATION.sub(" ", clause))
    negators = [i for i, t in enumerate(tokens) if t in _NEGATORS]
    if negators and negators[-1] >= len(tokens) - _NEG_WINDOW:
        # "I can't walk without my leg giving way": a double negative is still a report.
        nearest = negators[-1]
        return not (tokens[nearest] == "without" and len(negators) > 1)
    return bool(_POST_NEGATION.match(doc.text, end))


def _is_information(doc: _Doc, start: int) -> bool:
    """True when the match sits in a general question, a hypothetical or an info request."""
    if doc.info_message:
        return True
    sent_start, sent_end = doc.sentence(start)
    sentence = doc.text[sent_start:sent_end]
    if _FIRST_PERSON.search(_ADDRESSED_ME.sub(" ", sentence)):
        prefix = _after_last(_HYPO_BREAK, doc.text[sent_start:start])
        return bool(_HYPOTHETICAL.search(_NOT_HYPOTHETICAL.sub(" ", prefix)))
    if doc.anaphoric_report:
        return False
    return bool(_INTERROGATIVE_START.search(sentence) or _INFO_REQUEST.search(sentence))


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One reason: a symptom pattern plus the context that makes it count."""

    reason: str
    pattern: re.Pattern[str]
    urgency: str = ""  # "" for crisis rules
    requires: tuple[re.Pattern[str], ...] = ()  # each must also occur, un-negated
    unless: re.Pattern[str] | None = None  # benign context in the same sentence
    unless_before: re.Pattern[str] | None = None  # benign context earlier in the clause
    unless_anywhere: re.Pattern[str] | None = None  # benign context anywhere in the message
    negatable: bool = True
    report_only: bool = True  # ignore inside general questions and hypotheticals

    def fires(self, doc: _Doc) -> bool:
        if self.unless_anywhere and self.unless_anywhere.search(doc.text):
            return False
        return any(True for _ in self._live(doc)) and all(
            _occurs(p, doc) for p in self.requires
        )

    def _live(self, doc: _Doc) -> Iterator[re.Match[str]]:
        for m in self.pattern.finditer(doc.text):
            if self._counts(doc, m):
                yield m

    def _counts(self, doc: _Doc, m: re.Match[str]) -> bool:
        start, end = m.span()
        sent_start, sent_end = doc.sentence(start)
        if self.unless and self.unless.search(doc.text, sent_start, sent_end):
            return False
        if self.unless_before:
            clause = _after_last(_CLAUSE_BREAK, doc.text[sent_start:start])
            if self.unless_before.search(clause):
                return False
        if self.negatable and _is_negated(doc, start, end):
            return False
        return not (self.report_only and _is_information(doc, start))


def _occurs(pattern: re.Pattern[str], doc: _Doc) -> bool:
    """``pattern`` occurs somewhere in the message, at least once not negated."""
    return any(not _is_negated(doc, *m.span()) for m in pattern.finditer(doc.text))


# ---- shared vocabulary ---------------------------------------------------------------

_CANT = (
    r"(?:can'?t|cannot|can not|couldn'?t|could not|unable to|not able to|can'?t seem to|"
    r"can no longer|no longer able to|(?:haven'?t|hasn'?t|have not|has not) been able to)"
)
_NEG_WORD = (
    r"(?:not|no|never|without|nor|none|can'?t|cannot|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|"
    r"wasn'?t|weren'?t|won'?t|wouldn'?t|haven'?t|hasn'?t|hadn'?t|couldn'?t|ain'?t|but)"
)


def _gap(n: int) -> str:
    """Up to n filler words, none a negator ("my legs don't feel weak" is not a report)."""
    return rf"(?:(?!{_NEG_WORD}\b)[\w'-]+ ){{0,{n}}}?"



_LEG = r"(?:legs?|feet|foot|thighs?|calf|calves|shins?|ankles?|toes?|heels?)"
_LEG_W = r"(?:legs?|feet|foot|ankles?)"
_SADDLE = (
    r"(?:groin|genitals?|genital area|crotch|privates|private parts?|private area|vagina|"
    r"vaginal area|vulva|labia|penis|scrotum|testicles|balls|anus|anal area|back passage|"
    r"rectum|perineum|perineal area|taint|inner thighs?|saddle(?: area| region)?|"
    r"between my legs|down there|down below|nether regions?|undercarriage|lady parts|man parts|"
    r"groin area|pubic area|genital region|perianal area|sit bones|sitting bones|fanny|"
    r"bum ?hole|butt ?hole|arse ?hole|willy|dick|cock|junk)"
)
_BUTT = r"(?:bum|butt|buttocks?|butt cheeks?|bottom(?! of)|backside|arse|booty|behind)"
_NUMB = (
    r"(?:numb\w*|tingl\w*|tingel\w*|pins and needles|no feeling|no sensation|"
    r"lost (?:all |the |some )?(?:feeling|sensation)|loss of (?:feeling|sensation)|"
    r"(?:reduced|less|altered|weird|strange|odd|funny) (?:feeling|sensation))"
)
_LINK = (
    r"(?:is|are|feels?|felt|has|have|had|went|goes|go|gone|going|getting|got|become|becomes|"
    r"became|turned|turning|been|seems?|keeps?|kept|still)"
)

_BACK = _rx(
    # "the back" / "your back" are often not the body ("back to work", "the back of my knee").
    r"\b(?:(?:my|lower|upper|mid|middle|low|bad|sore|stiff|whole|his|her) back|(?:the|your) "
    r"back(?! (?:to|then|home|in|at|up|on|of|from|when|and forth)\b))\b"
    r"(?! (?:is|feels|was|has been|'s) (?:fine|ok|okay|good|better|great|normal|all right)\b)",
    r"\bback ?(?:pain|ache|aches|hurts?|hurting|spasms?|problems?|injury|issues?)\b",
    r"\bback'?s\b(?! (?:fine|ok|okay|good|better|great|normal)\b)",
    # Non-native and terse phrasing: "strong pain in back", "ache in lower back".
    r"\b(?:pain|pains|ache|aches|aching|hurt\w*|spasms?) in (?:the |my )?(?:lower |upper |low )?back\b",
    r"\b(?:backache|backpain|spine|spinal|lumbar|sciatica|sciatic|s[c]?iati\w*|tailbone|"
    r"coccyx|sacroiliac|si joint|sacrum|discs?|disks?|vertebra\w*|flank|kidneys?|hips?|"
    r"buttocks?|neck)\b",
)
_PAIN = _rx(
    r"\b(?:pain\w*|hurt\w*|ache\w*|aching|sore\w*|agony|agoni[sz]ing|injur\w*|numb\w*|"
    r"tingl\w*|swollen|swelling|bruis\w*|crack\w*|snap\w*|broke\w*|fractur\w*|stiff\w*|"
    r"throb\w*|wrecked|killing me|excruciating|messed up|screwed up|in bits|in pieces|jacked)\b",
    rf"\b{_CANT} move\b|\bcan (?:barely|hardly) move\b",
)
# What makes an accident worth an emergency check: pain, or a hard landing on the spine.
_INJURY = _rx(
    _PAIN.pattern,
    r"\blanded (?:hard |heavily |flat )?on (?:my |his |her |their )?(?:back|neck|head|spine|"
    r"tailbone)\b",
    r"\b(?:can'?t|cannot|couldn'?t|unable to) (?:get up|stand up|stand|walk)\b",
)
_OLD = _rx(
    r"\b(?:\d+|a few|few|several|many|two|three|four|five|six|seven|eight|nine|ten|some|"
    r"a couple of|couple of|a couple) (?:years?|yrs?|decades?|months?) ago\b",
    r"\b(?:a|one) (?:year|decade) ago\b|\blast year\b|\byears? back\b",
    r"\b(?:in|back in) (?:19|20)\d\d\b|\bas a (?:kid|child|teen\w*)\b",
    r"\bwhen i was (?:a kid|a child|young|younger|little|\d+|a teen\w*)\b",
    r"\bold injury\b|\bfor (?:many |several |a few |\d+ )?years\b",
)
_EXERTION = _rx(
    r"\b(?:after|from|during|post|since|following)\b[^.?!]{0,30}?\b(?:runs?|running|jog\w*|"
    r"squat\w*|gym|workouts?|work ?outs?|working out|leg day|train\w*|exercis\w*|hik\w*|"
    r"marathon|cycl\w*|rides?|lift\w*|deadlift\w*|lunges?|class|session|football|soccer|"
    r"sports?|match|game|walk\w*|yoga|pilates|stair\w*|climb\w*|dancing|skiing|treadmill|"
    r"elliptical|spin|rowing|cardio|swim\w*|tennis|golf|boxing|crossfit|hiit|bootcamp|"
    r"circuits?|weights|cross ?trainer|peloton|zumba|spinning)\b",
    r"\b(?:tired|exhausted|fatigued|doms|leg day|worn out)\b",
)
_POSITIONAL = _rx(
    r"\b(?:cross[- ]?legged|crossed|crossing|kneel\w*|squatting|asleep|fall asleep|"
    r"falls asleep|fell asleep|pins and needles after|toilet|in the cold|cold weather|freezing|"
    r"winter|snow|frost\w*|raynaud\w*|when it'?s cold|"
    r"ice pack|icing|tight shoes|shoes|boots|socks|heels on|jeans|tight (?:trousers|pants|"
    r"clothes|belt)|wear\w*|comes and goes|on and off|drives?|driving|flight|plane)\b",
    r"\b(?:sit\w*|sat|stand\w*|stood) (?:on|for|too|cross|in|at)\b|\bafter sitting\b|"
    r"\bwhen i (?:sit|stand)\b|\b(?:sitting|standing) (?:makes?|made|causes?)\b",
    r"\b(?:goes|went|go|going|wears?|wore) (?:off|away)\b|\bcomes? back\b|\bcame back\b",
    r"\bfor (?:many |several |a few |\d+ )?years\b|\bfor as long as\b",
)
# "I can still feel everything when I touch it": the user is describing heaviness, not numbness.
_FEELS_FINE = _rx(
    r"\bcan (?:still )?feel (?:everything|touch|it|them|things|my \w+)(?: [\w']+){0,5}? "
    r"(?:fine|normally|ok|okay|properly|normal|just fine)\b",
    r"\bcan still feel (?:everything|touch|it|them)\b|\b(?:sensation|feeling) is (?:fine|normal|"
    r"ok)\b",
    r"\bfeel everything when i touch\b",
)
_CYCLING = _rx(
    r"\b(?:bike|bicycle|cycl\w*|saddle sores?|spin class|spinning|peloton|ride|riding)\b"
)

# ---- crisis --------------------------------------------------------------------------

# "I hope I don't wake up stiff tomorrow" is about pain, not about dying.
_NOT_WAKE_UP_SORE = (
    r"(?! (?:stiff|sore|in pain|with|early|late|at|feeling|aching|hurting|in the night|during|"
    r"every|so|because|from|like))"
)

_CRISIS_RULES: tuple[_Rule, ...] = (
    _Rule(
        "crisis:suicidal_ideation",
        _rx(
            # "suicide sprints" / "suicide runs" are a conditioning drill.
            r"\bsuicid\w*\b(?! (?:sprints?|runs?|drills?|squats?|doors?|lines?|shuttles?|"
            r"burpees?|squad|grip|king|seat))",
            r"\b(?:kill|killing|killed|end|ending|off|offing|top|topping|murder) "
            r"(?:myself|my ?self)\b(?! (?:at|in|with|over|doing|trying|working|laughing|to get)\b)",
            r"\b(?:wanna|want to|gonna|going to|about to|should|might|i'll|ill|to)"
            r"(?: just| literally| actually| honestly| prob(?:ably)?)? kms\b",
            r"\b(?:end|ending|take|taking) my (?:own )?life\b|\bend it all\b|\bending it all\b",
            r"\bend (?:it|things|everything) (?:now|tonight|today|here|for good|forever)\b",
            r"\b(?:want|wanna|wanted|wanting|ready|decided|planning|plan|going|gonna) to end "
            r"(?:it|things|everything)\b",
            r"\b(?:want|wanna|wanted|wanting|wish|wishing|ready|planning|plan|tempted|longing|"
            r"i'?d like) (?:to )?(?:just |simply |really |honestly )?(?:die|be dead|not be "
            r"(?:alive|here)|not exist|disappear forever)\b"
            r"(?! (?:of|from|with) (?:embarrassment|shame|laughing|laughter|boredom|cuteness))",
            # "I want it all to end" (but not "I want the pain to end").
            r"\bwant (?:it all|everything|my life|life|things) to (?:end|be over)\b",
            r"\b(?:can'?t|cannot) (?:take|stand|bear|handle|face) (?:living|being alive|life)\b",
            r"\bwish (?:i|i'd) (?:was|were|could be|had been|had) (?:dead|never been born|gone|"
            r"not (?:here|alive|born))\b",
            r"\bwish i could (?:just )?(?:die|disappear|not wake up|go to sleep and not wake up)\b",
            r"\b(?:think\w*|thought\w*|want\w*|wanna|going|gonna|plan\w*|tempted|urge) (?:about "
            r"|of |to )?(?:jump\w*|throw\w* myself|step\w*) (?:off|from|in front of|under)\b",
            r"\bthrow(?:ing)? myself (?:off|in front of|under)\b|\bnoose\b",
            r"\b(?:rope|gun|pills|blades?|razor)\b[^.?!]{0,40}\b(?:thinking about|thought about|"
            r"going to|gonna|want to|wanna|tempted to|plan to|planning to) us(?:e|ing) (?:it|"
            r"them)\b",
            r"\bdone with (?:life|living|it all|everything|this life|being alive)\b",
            r"\b(?:happier|better|easier|fine|relieved)\b[^.?!]{0,25}\bif i (?:just |simply )?"
            r"(?:died|disappeared|(?:was|were|am|'m) (?:dead|gone)|(?:wasn'?t|weren'?t) (?:here|"
            r"around|alive))\b",
            r"\b(?:tired|sick|weary) of (?:living|life|being alive|existing)\b",
            r"\bbetter off (?:not (?:existing|being (?:here|alive|around))|dead|without me|"
            r"if i (?:was|were|wasn'?t|weren'?t) (?:dead|gone|here|around|alive))\b",
            r"\b(?:i'd|i would) rather be dead\b|\b(?:might|may) as well (?:be dead|die|end it)\b",
            r"\bbetter (?:off )?without me\b",
            r"\b(?:feel like|thinking (?:of|about)|considering|contemplating) ending (?:it|it all|"
            r"things|everything|my life)\b",
            r"\bno point (?:in )?(?:living|being alive|going on|carrying on)\b",
            r"\b(?:no|nothing|no reason|no point) (?:left )?(?:for me )?(?:to live for|in living|"
            rf"to (?:live|keep going|go on|carry on|be alive|keep living|stay alive|wake up"
            rf"{_NOT_WAKE_UP_SORE})|"
            r"in (?:being alive|going on|carrying on|life))\b",
            r"\b(?:life (?:is not|isn'?t|is no longer|ain'?t|doesn'?t feel|does not feel) "
            r"worth (?:living|it)|not worth living)\b",
            r"\b(?:can'?t|cannot|can not) (?:go on|carry on|keep going|keep living)"
            r"(?= like this| anymore| any more| living| with (?:life|this)|\s*[.,!?]|\s*$)",
            # "I don't want to live" / "to wake up" (but not "live in London", "wake up sore").
            r"\b(?:don'?t|do not|dont|no longer) (?:want|wanna|wish) (?:to )?(?:be alive|exist|"
            rf"wake up{_NOT_WAKE_UP_SORE}|go on living|carry on living|keep living|"
            # "I don't want to live like this" counts: a caring reply with help lines costs little
            # if it was only frustration, and missing despair costs too much.
            r"be here (?:anymore|any more)|live(?! with| in| near| there| here| alone))\b",
            r"\b(?:hope|wish|want|pray)\b[^.?!]{0,15}\b(?:don'?t|do not|never|not|wouldn'?t|"
            rf"won'?t|didn'?t) wake up\b{_NOT_WAKE_UP_SORE}",
            r"\b(?:sleep|go to sleep|fall asleep)(?: forever)? and (?:never|not) wake up\b",
            r"\bsleep forever\b|\bnever wake up again\b",
            r"\b(?:no ?one|nobody) would (?:even |really |ever )?(?:care|notice|miss me)\b"
            r"[^.?!]{0,25}\bif i (?:died|was gone|were gone|disappeared|wasn'?t here)",
            r"\b(?:think\w*|thought\w*|fantasi[sz]\w*|dream\w*) (?:about|of) (?:suicide|dying|"
            r"ending (?:it|my life|things)|killing myself|not being (?:here|alive|around)|"
            r"taking my (?:own )?life)\b",
            r"\b(?:don'?t|do not|can'?t|cannot|no longer) see (?:the |any )?point (?:of|in) "
            r"(?:any of it|anything|living|life|going on|carrying on|it all|being alive|being "
            r"here|trying anymore|it anymore)\b",
            r"\bwhat(?:'?s| is) the point (?:of|in) (?:living|life|going on|being alive|carrying on|"
            r"it all|anything)\b",
            r"\bgiv(?:e|ing|en) away (?:all )?(?:of )?(?:my|most of my) (?:things|stuff|"
            r"possessions|belongings|pets?)\b",
            r"\b(?:writ\w*|wrote|left|leave) (?:a |my )?(?:goodbye|farewell|suicide) "
            r"(?:notes?|letters?)\b",
        ),
        unless_before=_rx(r"\b(?:nearly|almost|practically|basically|literally)\s*$"),
        report_only=False,
    ),
    _Rule(
        "crisis:self_harm",
        _rx(
            r"\bself[- ]?harm\w*|\bself[- ]?injur\w*|\bself[- ]?mutilat\w*",
            r"\bcutting (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin))\b"
            r"(?! (?:shaving|while|by accident|accidentally|on))",
            r"\bcut (?:myself|my (?:arms?|wrists?)) (?:on purpose|deliberately|again|to)\b",
            r"\b(?:been|started|start|keep|am|i'?m) cutting again\b",
            r"\b(?:want|wanna|urge|urges|tempted|thinking about|thoughts of|need) (?:to )?"
            r"(?:hurt\w*|harm\w*|cut\w*|burn\w*|punish\w*) (?:myself|my ?self)\b",
            r"\b(?:hurt|hurting|harm|harming|burn|burning|punch|punching|hit|hitting) myself "
            r"(?:on purpose|deliberately|to (?:feel|cope|distract|punish))",
            r"\bharm(?:ing)? myself\b",
        ),
        report_only=False,
    ),
    _Rule(
        "crisis:overdose",
        _rx(
            r"\b(?:want|wanna|going|gonna|planning|plan|thinking about|think about|thought "
            r"about|tempted|considering|about|ready) (?:to )?(?:take (?:an? )?)?(?:overdos\w*|"
            r"od)\b",
            r"\boverdos\w* (?:on purpose|deliberately|intentionally)\b|\btook an overdose\b",
            r"\b(?:took|taken|swallowed|take|taking) (?:a bunch of|a load of|loads of|lots of|"
            r"too many|all (?:of )?my|a handful of|the whole)\b[^.?!]{0,30}\b(?:to (?:end it|die|"
            r"not wake up|kill myself|end my life|sleep forever)|on purpose)\b",
            r"\b(?:stockpil\w*|hoard\w*|saving up|stash\w*) (?:all )?(?:my |of |the )?(?:pills|"
            r"tablets|meds|painkillers|medication|tramadol|codeine|oxy\w*)\b",
            # Taking everything at once is a plan when said with intent ("can I take all my
            # meds at once?" is a dosing question).
            r"\b(?:think\w* (?:about|of)|going to|gonna|want to|wanna|plan\w* to|tempted to|"
            r"about to|ready to|consider\w*) (?:just )?(?:take|taking|swallow\w*|down\w*) (?:all|"
            r"the whole|every|the rest)\b[^.?!]{0,30}\b(?:pills|tablets|meds|medications?|"
            r"painkillers|bottle|box|packet|pack|at once|in one go|together)\b",
            r"\b(?:swallow\w*|down\w*|neck\w*) (?:a|the) (?:whole|entire) (?:bottle|box|packet|"
            r"pack)\b",
            r"\bhow (?:many|much)\b[^.?!]{0,50}?\b(?:to (?:overdose|od|die|kill (?:myself|me|a "
            r"person|someone|you)|not wake up|never wake up|end it|end my life|be fatal|be "
            r"lethal)|(?:is|would be|are) (?:lethal|fatal|deadly|enough to (?:die|kill)))",
            r"\b(?:lethal|fatal|deadly) (?:dose|amount|quantity|number)\b",
            r"\bhow (?:many|much)\b[^.?!]{0,50}?\b(?:would|will|could|does it take to|would it "
            r"take to) (?:kill|end) (?:me|myself|a person|someone|you)\b",
        ),
        report_only=False,
    ),
)

# Crisis phrases in other languages: a crisis must not be missed because it is not English.
_CRISIS_FOREIGN = _rx(
    r"\b(?:quiero morir(?:me)?|me quiero morir|quiero matarme|me quiero matar|suicidarme|"
    r"suicidio|no quiero vivir|je veux mourir|me suicider|envie de mourir|ich will sterben|"
    r"ich möchte sterben|mich umbringen|selbstmord|suizid\w*|quero morrer|me matar|suicídio|"
    r"voglio morire|uccidermi|suicidarmi|ik wil dood|nicht mehr leben|no quiero vivir m[aá]s|"
    r"ne veux plus vivre|n'ai plus envie de vivre|quero mais viver|non voglio pi[uù] vivere)\b",
    # Russian, Japanese, Chinese, Arabic, Hindi (other scripts on purpose).
    r"хочу умереть|покончить с собой|суицид|死にたい|自殺|自杀|想死|انتحار|आत्महत्या",
)

# ---- red flags: emergency -------------------------------------------------------------

_BLADDER_VERB = (
    r"(?:pee|peeing|wee|weeing|urinate|urinating|pass urine|passing urine|pass water|piss|"
    r"pissing|empty (?:my |the |his |her )?bladder|emptying (?:my |the |his |her )?bladder)"
)
# Leaks when sneezing, laughing or after childbirth are stress incontinence, not nerve damage.
_STRESS_INCONTINENCE = _rx(
    r"\b(?:when|if|while|whenever) (?:i )?(?:sneez\w*|cough\w*|laugh\w*|jump\w*|run|running|"
    r"lift\w*|exercis\w*|trampolin\w*)",
    r"\b(?:laugh\w*|sneez\w*|cough\w*)\b",
    r"\b(?:pregnan\w*|postpartum|post-partum|after (?:giving birth|birth|having (?:a |my )?"
    r"(?:baby|kids|children))|pelvic floor|stress incontinence|menopaus\w*|prostate)\b",
)

_EMERGENCY_RULES: tuple[_Rule, ...] = (
    _Rule(
        "cauda_equina:bladder",
        _rx(
            r"\b(?:lost|losing|lose|loss of|reduced|less|poor|no longer (?:have )?)\b (?:any |all "
            r"|the |my |some |full |of )*(?:control (?:of|over) (?:my |the )?)?(?:bladder|urine|"
            r"pee|wee)(?: control| function| sensation)?\b(?! (?:is|are|feels?) (?:fine|ok|okay|"
            r"normal))",
            rf"\b{_CANT} (?:control|hold(?: in)?) (?:my |the )?(?:bladder|pee|wee|urine)\b",
            r"\b(?:no|zero|little|poor) (?:real )?control (?:of|over|with) (?:my |the )?(?:bladder|"
            r"pee|wee|urine|peeing)\b",
            rf"\b{_CANT} (?:really )?feel (?:myself |it )?(?:going|peeing|weeing|urinating|"
            r"passing urine|pee|wee)\b",
            rf"\b{_CANT} (?:control|tell|feel) when (?:i )?(?:pee|wee|urinate|need to go)\b",
            rf"\b{_CANT} (?:tell|feel|know|sense) (?:when|if) (?:my )?bladder "
            r"(?:is|gets|'s) full\b",
            r"\b(?:peeing|weeing|urinating|passing urine) (?:has )?(?:become|is|feels|got|gone) "
            r"(?:really |very |so |a bit )?(?:weird|strange|different|difficult|hard|slow|odd)\b",
            r"\b(?:have to|need to|having to) (?:push|strain) (?:hard )?to (?:pee|wee|urinate)\b",
            r"\b(?:went|go|going|tried|try|trying) to (?:pee|wee|urinate)\b[^.?!]{0,20}?"
            r"\b(?:nothing|won'?t|wouldn'?t|can'?t|couldn'?t)\b",
            r"\bnothing (?:comes|came|will come) out when i (?:try to )?(?:pee|wee|urinate)\b",
            r"\b(?:pee|wee|urine) (?:won'?t|wouldn'?t|doesn'?t|will not|isn'?t|is not) "
            r"(?:come|coming) out\b",
            r"\bbladder (?:feels |is )?(?:so |really |very )?(?:full|bursting)\b[^.?!]{0,25}?"
            r"\b(?:can'?t|cannot|unable to|not able to) (?:go|pee|wee|empty|get it out)\b",
            rf"\b(?:{_CANT}|(?:haven'?t|havent|have not|hasn'?t|not) been able to|struggl\w* to|"
            r"trouble|difficulty|difficult to|hard to|problems?|straining to|can'?t seem to|"
            r"(?:a )?(?:hard|difficult|tough) time)"
            r"(?: even| really| properly| actually| fully| to)?"
            rf" (?:start(?:ing)? (?:to )?|get(?:ting)? |to )?{_BLADDER_VERB}\b",
            r"\b(?:haven'?t|havent|have not|hasn'?t|not) (?:peed|weed|urinated|passed urine|"
            r"had a (?:wee|pee))\b (?:in|for|since|all)\b",
            r"\b(?:urinary|urine) retention\b|\bretaining urine\b|\bbladder (?:won'?t|isn'?t|"
            r"is not|doesn'?t) (?:empty|emptying|work\w*)\b|\bbladder (?:control|function) "
            r"(?:is |has )?(?:gone|lost|weird|changed|off|different|not right)\b",
            rf"\b(?:{_CANT}|don'?t|do not|no longer) (?:feel|notice|tell|sense|know|get)\b"
            rf"[^.?!]{{0,25}}\b(?:need(?:s)? (?:to|a)|have to|urge to|when to|when i need to) "
            rf"(?:pee|wee|urinate|go)\b",
            r"\bno (?:urge|sensation|feeling) (?:to|when|of needing to) (?:pee|wee|urinate)\b",
        ),
        EMERGENCY,
    ),
    _Rule(
        "cauda_equina:bladder",
        _rx(
            r"\bincontin\w*",
            r"\b(?:wet|wetting|wetted|peed|peeing|pissed|pissing|wee'?d|weeing) (?:myself|my "
            r"(?:pants|trousers|underwear|knickers|bed)|the bed)\b",
            r"\b(?:leak|dribbl)(?:ing|s|ed|e)? (?:urine|pee|wee)\b|\b(?:urine|pee|wee|"
            r"bladder) leak\w*",
            r"\bbladder accidents?\b|\baccidents? (?:in|with) my (?:pants|underwear|knickers|"
            r"trousers)\b",
            r"\b(?:a few|a couple of|couple of|some|had|having|little|small) (?:little |small )?"
            r"leaks\b",
        ),
        EMERGENCY,
        unless=_STRESS_INCONTINENCE,
    ),
    _Rule(
        "cauda_equina:bowel",
        _rx(
            r"\b(?:lost|losing|lose|loss of|reduced|poor|no longer (?:have )?)\b (?:any |all |the "
            r"|my |some |full |of )*(?:control (?:of|over) (?:my |the )?)?(?:bowels?|poo|poop|"
            r"stools?)(?: control| function| movements)?\b",
            rf"\b{_CANT} (?:control|hold(?: in)?) (?:my |the )?(?:bowels?|poo|poop)\b",
            r"\b(?:no|zero|little|poor) (?:real )?control (?:of|over|with) (?:my |the )?"
            r"(?:bowels?|poo|poop)\b",
            r"\b(?:pooed|pooped|pooing|pooping|soiled|soiling|shat|crapped|messed) (?:myself|my "
            r"(?:pants|trousers|underwear|knickers))\b",
            r"\bshit myself\b(?<!nearly shit myself)(?<!almost shit myself)",
            rf"\b(?:bowels?|bladder) {_gap(2)}(?:let go|gave way|gave out|emptied|opened)\b",
            r"\bbowel (?:incontin\w*|accidents?|leak\w*)\b|\bleak(?:ing|s|ed)? (?:poo|stool|"
            r"faeces|feces)\b",
            rf"\b(?:{_CANT}|don'?t|do not|no longer) (?:feel|notice|tell|sense|know)\b"
            rf"[^.?!]{{0,25}}\b(?:need(?:s)? (?:to|a)|have to|urge to|when to|when i need to) "
            r"(?:poo|poop|number two)\b",
        ),
        EMERGENCY,
        unless=_rx(r"\b(?:scared|fright\w*|terrif\w*|laugh\w*)\b"),
    ),
    _Rule(
        "cauda_equina:saddle_numbness",
        _rx(
            rf"\b{_NUMB}\b[^.?!,;]{{0,25}}?\b(?:in|around|round|on|of|down|between|at|across)\b"
            rf" {_gap(3)}{_SADDLE}\b",
            rf"\b{_SADDLE}\b(?: (?:and|&|or) (?:my |the )?(?:{_SADDLE}|{_BUTT}|{_LEG}))? "
            rf"{_gap(2)}{_LINK} {_gap(3)}(?:numb\w*|tingl\w*|dead|without feeling)\b",
            rf"\bnumb\w*(?: \w+)? {_SADDLE}\b|\b{_NUMB} (?:between my legs|down there)\b",
            r"\bnumb\w* (?:where |in the (?:area|place) (?:where )?)(?:i|you) (?:sit|would sit)\b",
            rf"\b{_CANT} (?:really |properly |even |fully )?feel\b[^.?!;]{{0,30}}?\b(?:wip\w*|"
            r"toilet (?:paper|roll|tissue)|loo roll|tissue|(?:(?:sit|sitting|when i'?m) )?on the "
            r"(?:toilet|loo))",
            r"\bwhen i wipe\b[^.?!]{0,25}\b(?:numb|weird|strange|different|nothing|odd|someone "
            r"else)",
            r"\bno (?:feeling|sensation) when (?:i )?wip\w*|\bsaddle (?:numb\w*|an(?:a)?esthesia|"
            r"sensation|tingl\w*)",
            rf"\b{_CANT} (?:really |properly )?feel (?:my |the |anything (?:(?:in|around|at) )?"
            rf"(?:my )?)?{_SADDLE}",
        ),
        EMERGENCY,
        unless=_CYCLING,
        unless_anywhere=_FEELS_FINE,
    ),
    _Rule(
        "cauda_equina:saddle_numbness",
        _rx(
            rf"\b{_NUMB}\b[^.?!,;]{{0,25}}?\b(?:in|around|on|of|across)\b {_gap(3)}{_BUTT}\b",
            rf"\b{_BUTT}\b(?: (?:and|&|or) (?:my |the )?(?:{_SADDLE}|{_BUTT}|{_LEG}))? "
            rf"{_gap(2)}{_LINK} {_gap(3)}(?:numb\w*|dead|without feeling)\b",
            rf"\bnumb(?:ness)? {_BUTT}\b",
            rf"\b{_BUTT} (?:(?:completely|totally|all|really|so|very|a bit|kind of|kinda|gone|"
            r"went|going|feels?) )+numb\w*",
            rf"\b{_CANT} (?:really |properly )?feel (?:my |the )?{_BUTT}",
        ),
        EMERGENCY,
        # A numb bum from a hard seat or a bike saddle is pressure, not nerve damage.
        unless=_rx(
            r"\b(?:sit\w*|sat|seat\w*|chair|bench|bleachers?|couch|sofa|toilet|drive|driving|"
            r"flight|car|long day|meetings?|lectures?|class|desk|office|cinema|movies?|films?|"
            r"concerts?|church|hours)\b",
            _CYCLING.pattern,
            _POSITIONAL.pattern,
        ),
        unless_anywhere=_FEELS_FINE,
    ),
    _Rule(
        "cauda_equina:sexual_dysfunction",
        _rx(
            r"\berectile dysfunction\b|\bimpoten\w*",
            rf"\b{_CANT} (?:get|keep|maintain|have) (?:an? |my )?(?:erection|hard[- ]?on|"
            r"boner|it up)\b",
            r"\b(?:no|lost|losing|loss of|lack of) (?:my )?(?:erections?|sensation during sex|"
            r"feeling during sex|sexual (?:function|sensation|feeling))\b",
            r"\b(?:numb|no feeling|no sensation|can'?t feel anything) (?:during|when having|"
            r"while having) sex\b",
            rf"\b{_CANT} (?:orgasm|climax|ejaculate)\b|\bsex (?:feels|is|has been) (?:numb|"
            r"different|weird)\b|\bproblems? (?:with|getting) (?:an? )?erections?\b",
        ),
        EMERGENCY,
        requires=(_BACK,),
    ),
    _Rule(
        "cauda_equina:bilateral_sciatica",
        _rx(
            rf"\b(?:sciatica|sciatic|s[c]?iati\w*|nerve pain|shooting pain|radiating pain|pins and "
            rf"needles|tingl\w*|numb\w*|weak\w*|pain shooting|pain running|pain going|burning)\b"
            rf" {_gap(6)}(?:in |down |into |on |through |of |to )?(?:both (?:of )?(?:my )?(?:legs|"
            rf"feet|sides|buttocks|thighs|calves)|each leg|two legs|(?:left and right|right and "
            rf"left) (?:legs?|sides?))\b",
            r"\bboth (?:of )?(?:my )?(?:legs|feet|buttocks|thighs|calves)\b"
            rf"(?: {_gap(3)}(?:are|is|have|has|feel|keep|went|going|getting|started))? "
            rf"{_gap(3)}(?:sciatica|s[c]?iati\w*|nerve pain|shooting|radiat\w*|pins and needles|"
            r"tingl\w*|numb\w*|weak\w*|burning|go(?:ing)? dead|gave way|giving way|give way)",
            r"\bbilateral (?:sciatica|leg (?:pain|numbness|weakness)|radiculopathy)\b",
            r"\bsciatica (?:on|in|down) both\b",
        ),
        EMERGENCY,
        unless=_rx(_EXERTION.pattern, _OLD.pattern, r"\bused to\b"),
    ),
    _Rule(
        "cauda_equina:suspected",
        _rx(
            r"\b(?:i|i'?m|i am|im)\b(?: [\w']+){0,5}? (?:have|got|getting|developing|having)\b"
            r"(?: [\w']+){0,2}? cauda equina\b",
        ),
        EMERGENCY,
        unless=_rx(r"\b(?:do i|could i|might i|how (?:do|would|can|will) i (?:know|tell)|"
                   r"had surgery|years ago|history of)\b"),
    ),
    _Rule(
        "neuro:foot_drop",
        _rx(
            r"\bfoot ?drop\b|\bdrop ?foot\b|\bdropped foot\b",
            r"\b(?:drag\w*|scuff\w*|catch\w*|caught|trip\w* (?:over|on)|stumbl\w* (?:over|on)) "
            r"(?:my |the |one |own |left |right |of my )*(?:foot|feet|toes?|leg)\b",
            rf"\blegs? {_gap(2)}(?:drag\w*|scuff\w*)\b",
            rf"\b(?:foot|feet|toes?|ankles?)\b {_gap(3)}(?:drag\w*|flop\w*|slap\w*|drop\w*|"
            r"scuff\w*|catch\w*|scrap\w*|trip\w*|hang\w* down|won'?t (?:lift|come up|go up|"
            r"move))\b",
            rf"\b(?:{_CANT}|can (?:barely|hardly|only just)) (?:really |properly |even )?(?:lift|"
            r"raise|pick|pull up|pull back|point|flex|bend up|move|wiggle|cock) (?:up )?"
            r"(?:my |the |left |right |big )*(?:foot|feet|toes?|big toe|ankle)\b",
            rf"\b{_CANT} (?:walk|stand|balance) on (?:my )?(?:heels?|toes|tiptoes?|tip toes)\b",
        ),
        EMERGENCY,
        unless=_rx(r"\b(?:dropped (?:a|the|something)|kerb|curb|rug|carpet|stairs)\b"),
    ),
    _Rule(
        "neuro:leg_weakness",
        _rx(
            rf"\b(?:weak\w*|no strength|(?:lost|losing|loss of) (?:the |all |my )?(?:strength|"
            rf"power|use|control))\b {_gap(2)}(?:in|of|down)\b (?:both |my |one |the |either |"
            rf"left |right |whole |lower |of )*{_LEG_W}\b",
            rf"\b{_LEG_W}\b(?: (?:and|&|or) (?:my |the )?{_LEG_W})? {_gap(4)}(?:weak|weaker|"
            r"weakness|weakening|weakened|like jelly|jelly|jello|floppy|useless|limp|gave way|"
            r"give way|giving way|gives way|gave out|give out|giving out|gives out|buckl\w*|"
            r"collaps\w*|went from under me|go(?:es|ing)? from under me|(?:won'?t|doesn'?t|don'?t|"
            r"will not) (?:work|hold me|move|support me|do what|respond|obey|listen)|"
            r"stopped working|not working|paraly[sz]\w*)\b",
            rf"\b(?:{_CANT}|can (?:barely|hardly|only just)) (?:really |properly |even )?(?:move|"
            r"control|use) (?:my |the |both |either |one |left |right )*legs?\b",
            rf"\bweak(?:ened)? (?:left |right )?{_LEG_W}\b",
            r"\bparaly[sz]ed (?:from the (?:waist|hips?) down|in (?:my|both|one) legs?)\b",
        ),
        EMERGENCY,
        unless=_EXERTION,
    ),
    _Rule(
        "neuro:leg_numbness",
        _rx(
            rf"\b(?:numb\w*|no feeling|no sensation|lost (?:all |the |some )?(?:feeling|"
            rf"sensation)|loss of (?:feeling|sensation))\b {_gap(3)}(?:in|of|down|on|into|"
            rf"through|around)\b (?:both |my |one |the |either |left |right |whole |entire |"
            rf"lower |upper |of )*{_LEG}\b",
            rf"\b{_LEG}\b(?: (?:and|&|or) (?:my |the )?{_LEG})? {_gap(4)}(?:numb\w*|"
            r"(?:gone|went|going|goes|go) dead|without feeling)\b",
            rf"\b{_CANT} (?:really |properly |fully |even )?feel (?:my |the |both |one |"
            rf"either |left |right )*{_LEG}\b",
            rf"\bnumb(?:ish)? (?:left |right )?{_LEG}\b",
            rf"\b{_CANT} (?:really |properly )?feel (?:the )?(?:floor|ground) (?:under|with|"
            r"through)\b",
        ),
        EMERGENCY,
        unless=_rx(_POSITIONAL.pattern, _EXERTION.pattern),
        unless_anywhere=_FEELS_FINE,
    ),
    _Rule(
        "trauma:major",
        _rx(
            r"\b(?:car|road|traffic|motorbike|motorcycle|motor ?bike|moped|scooter|bike|bicycle|"
            r"cycling|skiing|ski|snowboard\w*|horse ?riding|riding|rugby|diving|trampoline|"
            r"quad ?bike|atv|bus|truck|lorry|rta|rtc) (?:crash|accident|wreck|collision|smash|"
            r"pile-?up)\b",
            r"\b(?:crash\w*|wreck\w*|smash\w*|totall?ed|rolled) (?:my |the |our |a |his |her |"
            r"into )?(?:\w+ )?(?:car|bike|motorbike|motorcycle|scooter|moped|truck|van|vehicle)\b",
            r"\b(?:hit|knocked (?:down|over|off)|run over|ran over|struck|clipped|mowed down|"
            r"ploughed into|plowed into|totall?ed|wiped out|flattened|taken out|rammed)"
            r"(?: (?:my|the|his|her) (?:bike|bicycle|motorbike|scooter|feet))? by "
            r"(?:a |an |the |some )?(?:\w+ )?(?:car|bus|truck|lorry|van|vehicle|motorbike|"
            r"motorcycle|cyclist|bike|train|driver|taxi|cab|motorist|tractor)\b",
            r"\brear[- ]?ended\b|\bt[- ]?boned\b|\bhead[- ]?on collision\b|\bwhiplash\b",
            r"\b(?:car|vehicle|van|truck|bike|motorbike|scooter) (?:was |got )?(?:hit|struck|"
            r"smashed|written off|totall?ed|rolled)\b|\bhit from (?:behind|the side)\b",
            r"\b(?:fell|fall|falling|fallen|came off|come off|thrown|jumped|slipped|tumbled)\b"
            r"(?: [\w']+){0,4}? (?:off|from|down|out of|through|of)\b(?: [\w']+){0,3}? "
            r"(?:(?:step ?)?ladders?|roofs?|scaffold\w*|heights?|balcon\w*|trees?|horses?|walls?|"
            r"cliffs?|windows?|stairs|staircase|loft|attic|bunk ?beds?|motorbikes?|motorcycles?|"
            r"buildings?|stories|storeys|ledge|bridge|ravine|gorge|embankment|crevasse|quarry|"
            r"rock face)\b",
            r"\b(?:came|come|coming|thrown|flew|fallen|fell) off (?:my |the |a |his |her |of )?"
            r"(?:motorbike|motorcycle|moped|scooter|horse|quad ?bike|dirt ?bike|bike at speed)\b",
            r"\bfell (?:about |around |over |like |almost |nearly )?(?:\d+|a few|several|ten|"
            r"six|eight|five|twelve|fifteen|twenty) ?(?:feet|foot|ft|metres|meters|m|stories|"
            r"storeys|floors)\b",
        ),
        EMERGENCY,
        requires=(_INJURY,),
        unless=_rx(
            _OLD.pattern,
            r"\bno accident\b|\bdidn'?t (?:fall|crash)\b|\b(?:long[- ]term|chronic|ongoing)\b",
            # "back pain ever since my car accident" is a long story, unless it was today.
            r"\bsince (?:my|the|a|that) (?:\w+ )?(?:accident|crash|fall)\b(?![^.?!]{0,25}\b(?:"
            r"today|yesterday|this morning|last night|tonight|hours? ago|an hour))",
        ),
    ),
    _Rule(
        "cardiac:chest_pain",
        _rx(
            r"\bchest (?:pains?|aches?|hurts?|hurting|pressure|heaviness|squeez\w*|crush\w*)\b",
            r"\bchest (?:is |feels |feeling |has been |'s )(?:really |very |so |quite |a bit |"
            r"kind of )?(?:heavy|crushing|crushed|hurting|killing me|squeezed|like (?:it'?s being|"
            r"someone|an elephant))\b",
            r"\b(?:pain|ache|pressure|heaviness)\b(?: \w+){0,2}? (?:in|across|on|around|from) "
            r"(?:my |the )?(?:chest|centre of my chest|center of my chest)\b",
            r"\b(?:crushing|squeezing|vice-like|elephant)\b(?: \w+){0,3}? (?:in |on |around |"
            r"across )?(?:my |the )?chest\b|\bheart attack\b(?<!fear of a heart attack)",
        ),
        EMERGENCY,
        unless=_rx(r"\bchest (?:muscles?|wall)\b|\bpec(?:s|toral\w*)?\b"),
    ),
    _Rule(
        "cardiac:chest_pain",
        _rx(
            r"\bchest (?:tightness|discomfort)\b|\bchest (?:is |feels |feeling |has been |'s )"
            r"(?:really |very |so |quite |a bit |kind of )?tight\b",
            r"\b(?:tight|tightness|discomfort)\b(?: \w+){0,2}? (?:in|across|on|around) "
            r"(?:my |the )?chest\b",
            r"\b(?:pain|ache|pressure|tightness)\b[^.?!;]{0,30}?\b(?:spread\w*|radiat\w*|going|"
            r"goin|goes|shoot\w*|mov\w*|travel+\w*|up|down|into)\b[^.?!;]{0,40}?\b(?:(?:my )?left "
            r"arm|arm|jaw)\b",
        ),
        EMERGENCY,
        requires=(_rx(r"\b(?:chest|heart|sweat\w*|breath\w*|jaw|left arm|nause\w*|sick|"
                      r"dizz\w*|faint\w*|clammy)\b"),),
        # A tight chest from hunching at a desk is posture; stretches are the answer.
        unless=_rx(
            r"\b(?:stretch\w*|pecs?|pectoral\w*|posture|hunch\w*|slouch\w*|muscles?|opener|"
            r"opening|open|push[- ]?ups?|bench press|workout|gym|backbends?|camel)\b"
        ),
    ),
    _Rule(
        # Jaw and left-arm pain together (with back pain) is a heart attack pattern too.
        "cardiac:chest_pain",
        _rx(r"\bjaw\b[^.?!]{0,40}\bleft arm\b|\bleft arm\b[^.?!]{0,40}\bjaw\b"),
        EMERGENCY,
        requires=(_PAIN,),
    ),
    _Rule(
        "vascular:tearing_pain",
        _rx(r"\b(?:tearing|ripping|tear-like|rip-like)\b"),
        EMERGENCY,
        requires=(
            _rx(r"\b(?:sudden\w*|severe|worst|excruciating|out of nowhere)\b"),
            _rx(r"\b(?:chest|shoulder ?blades|upper back|abdomen|tummy|stomach|belly)\b"),
        ),
    ),
    _Rule(
        "breathing_difficulty",
        _rx(
            r"\b(?:short(?:ness)? of breath|breathless\w*|gasping)\b",
            r"\b(?:can'?t|cannot|can not|struggling to|struggle to|hard to|difficult to|trouble|"
            r"difficulty|problems?) (?:catch (?:my )?breath|breath\w*|get (?:my )?breath)\b",
        ),
        EMERGENCY,
        requires=(_PAIN,),
        unless=_EXERTION,
    ),
)

# ---- red flags: urgent ----------------------------------------------------------------

_PROCEDURE = (
    r"(?:epidural(?: steroid)?(?: injection| shot| block)?|spinal (?:injection|tap|block|"
    r"surgery|op|operation|fusion|an(?:a)?esthetic|decompression|cord stimulator)|(?:steroid|"
    r"cortisone|facet(?: joint)?|nerve root|si joint|sacroiliac|back|spine|spinal|lumbar|"
    r"epidural steroid|radiofrequency|trigger point)(?: joint)? (?:injections?|shots?|blocks?|"
    r"ablation)|nerve block|(?:back|spine|spinal|disc|disk|lumbar|hip) (?:surgery|op|"
    r"operation)|discectomy|microdiscectomy|laminectomy|laminotomy|foraminotomy|fusion|"
    r"decompression|lumbar puncture|kyphoplasty|vertebroplasty|rhizotomy)"
)
_AFTER_PROCEDURE = _rx(
    rf"\b(?:after|since|following|post|post-op|from|had|have had|'ve had|ve had|got|getting|"
    rf"received|having)\b(?: [\w']+){{0,4}}? {_PROCEDURE}\b",
    r"\b(?:after|since|following) (?:my |the |an |a |this |that )?(?:\w+ )?(?:injection|"
    r"surgery|operation|op)\b",
    # "back surgery 2 weeks ago, now ...": a recent procedure named with its date.
    rf"\b{_PROCEDURE}\b(?: [\w']+){{0,3}}? (?:ago|yesterday|last (?:week|month|night|\w+day)|"
    r"this (?:week|morning)|recently|earlier)\b",
)
_POSTOP_WARNING = _rx(
    r"\b(?:worse|worsening|getting worse|increas\w*|fever\w*|feverish|temp\w*|chills|swell\w*|"
    r"swollen|red|redness|hot|warm|leak\w*|discharg\w*|pus|ooz\w*|weep\w*|fluid|numb\w*|"
    r"weak\w*|tingl\w*|headaches?|infect\w*|severe|unbearable|agony|excruciating|killing me|"
    r"terrible|awful|intense|really (?:bad|painful|sore))\b",
)
_FEVER = _rx(
    r"\b(?:fever\w*|fevre|feaver|feverish|high (?:temp\w*|temprature)|(?:a|running a|got a|"
    r"have a|with a|had a|slight|mild) (?:temp|temperature|temprature)\b)",
    r"\btemp(?:erature)? (?:of|is|was|at|around|about|over|above) (?:\d|a hundred)",
    r"\b(?:3[89]|4[01])(?:[.,]\d)? ?(?:°|degrees|deg)? ?c\b|\b(?:3[89]|4[01])(?:[.,]\d)? ?"
    r"(?:°|degrees)|\b10[0-5](?:\.\d)? ?(?:°|degrees|deg|f\b)",
    r"\b(?:chills|shivers|shivering|shivery|rigou?rs|night sweats?|sweating at night|sweats at"
    r" night|sweaty at night|drenched in sweat|soaked in sweat|burning up|hot and cold|cold "
    r"sweats?)\b",
)
# Weaker than a fever: "I feel hot" also follows a hot bath or a workout.
_FEEL_HOT = _rx(r"\bfeel(?:ing|s)? (?:really |very |so )?(?:hot|shivery|clammy)\b")
_CANCER = (
    r"(?:cancer|tumou?rs?|lymphoma|leuka?emia|myeloma|melanoma|sarcoma|carcinoma|"
    r"malignan\w*|metasta\w*|oncolog\w*)"
)
_OTHER_PERSON = _rx(
    r"\b(?:mum|mom|mother|dad|father|wife|husband|partner|friend|sister|brother|aunt|uncle|"
    r"gran\w*|son|daughter|family|relative|cousin|dog|cat|colleague|boss|neighbou?r|he|she|"
    r"they|someone|somebody|people|patients?)\b",
)
_UNSURE = _rx(
    r"\b(?:if|whether|do|does|could|might|may|scared|afraid|worried|worry|fear\w*|think|"
    r"wonder\w*|signs? of|caused by|mean|means|rule out|ruled out|test(?:ed)? for|"
    r"check(?:ed)? for|be|risk of)\b",
)
_NIGHT_OR_REST = _rx(
    r"\b(?:at night|night ?time|nights?|when (?:i'?m |i am )?(?:lying|resting|in bed|asleep|"
    r"sleeping)|at rest|even (?:when|while) (?:lying|resting|sleeping)|lying down|in bed)\b"
)

_INTENTIONAL_WEIGHT_LOSS = _rx(
    r"\b(?:trying to lose|want to lose|need to lose|should i lose|calorie\w*|ozempic|wegovy|"
    r"mounjaro|semaglutide|tirzepatide|bariatric|gastric (?:band|sleeve|bypass)|helped my back|"
    r"to help my back|slimming|fasting)\b",
    r"\bweight ?loss (?:programme|program|plan|journey|goals?|surgery|jabs?|injections?|drugs?|"
    r"medication|tips|app|group|club|class)\b",
    r"(?<!not )(?<!without )(?<!n't been )(?<!not been )(?<!nt been )\b(?:dieting|on a diet)\b",
)

_URGENT_RULES: tuple[_Rule, ...] = (
    _Rule(
        "fever_with_back_pain",
        _FEVER,
        URGENT,
        requires=(_BACK,),
        unless=_rx(
            r"\bchills? (?:down|up) my spine\b|\bgives? me (?:the )?chills\b",
            # A fever that has already gone.
            r"\b(?:fever|temp\w*|chills)\b[^.?!]{0,25}\b(?:gone|went away|cleared|passed|broke|"
            r"resolved|over|back to normal|normal now)\b",
            r"\b(?:heat (?:pad|pack|patch)|heating pad|hot water bottle|bath|shower|sauna|"
            r"hot tub|deep heat|heat rub|weather|summer|heatwave)\b",
        ),
    ),
    _Rule(
        "fever_with_back_pain",
        _FEEL_HOT,
        URGENT,
        requires=(_BACK,),
        unless=_rx(
            _EXERTION.pattern,
            r"\b(?:heat (?:pad|pack|patch)|heating pad|hot water bottle|bath|shower|sauna|"
            r"hot tub|deep heat|heat rub|weather|summer|heatwave|hot yoga|sweaty|menopaus\w*|"
            r"hot flush\w*|hot flash\w*)\b",
        ),
    ),
    _Rule(
        "post_procedure",
        _AFTER_PROCEDURE,
        URGENT,
        requires=(_POSTOP_WARNING,),
        unless=_OLD,
    ),
    _Rule(
        "post_procedure",
        _AFTER_PROCEDURE,
        URGENT,
        requires=(_PAIN,),
        # Mild soreness that is settling, or an injection that helped, is expected.
        unless=_rx(
            _OLD.pattern,
            r"\b(?:helped|helping|better|improv\w*|relie\w*|worked|working|eased|healing|"
            r"recovering|a bit sore|slightly sore|a little sore|mild\w*|normal)\b",
        ),
    ),
    _Rule(
        "cancer_history_with_back_pain",
        _rx(
            r"\b(?:history of|hx of|had|have had|'ve had|ve had|have|has|got|survived|survivor of|"
            r"beat|beaten|remission from|in remission|treated for|treatment for|diagnosed with|"
            r"recovering from|finished|battled|battling|fighting|living with|being treated for)"
            rf"\b(?: [\w']+){{0,4}}? {_CANCER}\b(?! (?:screening|tests?|scans?|checks?|scare|"
            r"risk|free|clear|negative|ruled out))",
            rf"\b{_CANCER} (?:survivor|patient|history|in remission|treatment)\b",
            r"\b(?:my|previous|prior|past) (?:\w+ )?(?:cancer|tumou?r|chemo\w*|radiotherapy|"
            r"oncologist)\b|\b(?:chemo\w*|radiotherapy|radiation therapy)\b",
        ),
        URGENT,
        requires=(_BACK,),
        unless=_rx(r"\bfamily history\b|\b(?:all clear|was clear|came back (?:clear|negative)|"
                   r"ruled out|cancer[- ]free)\b"),
        unless_before=_rx(_OTHER_PERSON.pattern, _UNSURE.pattern),
    ),
    _Rule(
        "weight_loss_with_back_pain",
        _rx(
            r"\b(?:lost|losing|lose|dropped|dropping|shed|shedding)\b(?: [\w'.]+){0,4}? "
            r"(?:\d+(?:[.,]\d+)? ?)?(?:weight|kgs?|kilos?|lbs?|pounds|stones?|st)\b",
            r"\bunexplained weight\b",
            r"\b(?:clothes|trousers|jeans|pants|belt) (?:are |is |have |has )?(?:got(?:ten)? |"
            r"been |getting )?(?:loose|looser|falling off|baggy)\b",
        ),
        URGENT,
        requires=(
            _BACK,
            _rx(
                r"\b(?:without (?:trying|dieting|meaning to|a reason|any reason|changing|doing "
                r"anything|even trying)|not (?:trying|dieting|on a diet|even trying)|(?:haven'?t|"
                r"have not|didn'?t|did not) (?:been )?(?:trying|dieting|changed|change)|"
                r"unexplain\w*|unintention\w*|unintended|for no (?:apparent |obvious )?reason|"
                r"no idea why|(?:don'?t|do not) know why|can'?t explain|no reason|mysterious\w*|"
                r"out of nowhere|randomly)\b"
            ),
        ),
        unless=_INTENTIONAL_WEIGHT_LOSS,
    ),
    _Rule(
        # "weight loss and back pain": the noun, listed as a symptom, needs no "unexplained".
        "weight_loss_with_back_pain",
        _rx(r"\bweight ?loss\b"),
        URGENT,
        requires=(_BACK,),
        unless=_rx(_INTENTIONAL_WEIGHT_LOSS.pattern, r"\b(?:help|helps|helped|good for|lose)\b"),
    ),
    _Rule(
        "infection_risk:iv_drug_use",
        _rx(
            r"\b(?:iv|intravenous|injecting|injectable) drugs?\b|\binject(?:ing|s|ed)? (?:drugs|"
            r"heroin|meth\w*|crack|speed|steroids)\b|\bshoot(?:ing)? up\b|\bheroin\b|"
            r"\b(?:drug|needle) (?:user|use)\b|\b(?:use|using|used|share|sharing|shared) needles\b",
        ),
        URGENT,
        requires=(_BACK,),
        unless_before=_OTHER_PERSON,
    ),
    _Rule(
        "infection_risk:immunosuppression",
        _rx(
            r"\bimmuno-?(?:suppress\w*|compromised|deficien\w*)",
            r"\b(?:weak(?:ened)?|low|poor|compromised|suppressed) immune(?: system)?\b",
            r"\bon (?:chemo\w*|methotrexate|biologics?|humira|adalimumab|infliximab|etanercept|"
            r"enbrel|rituximab|tacrolimus|cyclosporine|ciclosporin|azathioprine|mycophenolate|"
            r"immunosuppressants?|high[- ]dose steroids)\b",
            r"\b(?:kidney|liver|heart|lung|organ|bone marrow|stem cell) transplant\b|"
            r"\btransplant (?:patient|recipient)\b|\bhiv\b(?! (?:negative|test))|\bneutropeni\w*",
        ),
        URGENT,
        requires=(_BACK,),
        unless_before=_OTHER_PERSON,
    ),
    _Rule(
        "fracture_risk:osteoporosis_or_steroids",
        _rx(
            r"\b(?:osteoporo\w*|osteopeni\w*|brittle bones|thin(?:ning)? bones|low bone density|"
            r"weak bones)\b",
            r"\b(?:long[- ]term|years of|long term use of|been on|on) (?:oral )?(?:steroids|"
            r"prednisone|prednisolone|corticosteroids|cortisone|steroid tablets)\b",
        ),
        URGENT,
        requires=(
            _BACK,
            _rx(
                r"\b(?:fell|fall|falls|fallen|falling|slipped|slip|tripped|trip|stumbled|bumped|"
                r"knocked|sat down (?:hard|heavily)|landed|cough\w*|sneez\w*|lift\w*|twist\w*|"
                r"bent|bending|sudden\w*|out of nowhere|all of a sudden)\b"
            ),
        ),
    ),
    _Rule(
        "night_pain:unremitting",
        _rx(
            r"\b(?:rest|resting|lying(?: down)?|lie down|laying(?: down)?|lay down|sleep|in bed|"
            r"any position|changing position|no matter how i (?:lie|lay|sleep|sit))\b"
            r"[^.?!]{0,20}?\b(?:doesn'?t|does not|don'?t|do not|won'?t|never|not|nothing)\b"
            r"[^.?!]{0,10}?\b(?:help|helps|ease|eases|relieve|relieves|change|changes|make "
            r"(?:it|any) (?:better|difference)|stop|stops)\b",
            r"\b(?:not|never|isn'?t|doesn'?t|does not|won'?t|nothing)\b[^.?!]{0,20}?\b(?:eased|"
            r"relieved|better|helped|ease|eases|relieves|help|helps|go away|goes away|change|"
            r"changes)\b[^.?!]{0,15}?\b(?:by|with|when|even when|if|while|no matter)\b"
            r"[^.?!]{0,15}?(?:rest|resting|lying|lie|laying|lay|sleep|sleeping|in bed)\b",
            r"\b(?:no matter (?:how|what position) i (?:lie|lay|sleep))\b",
            r"\b(?:not even|even when) (?:lying(?: down)?|laying(?: down)?|resting|sleeping|"
            r"in bed)\b[^.?!]{0,20}?\b(?:helps|eases|relieves|stops it|it doesn'?t (?:ease|stop|"
            r"change))\b",
            r"\bnot even (?:when )?(?:i'?m )?(?:lying(?: down)?|laying(?: down)?|resting|rest|"
            r"sleeping|in bed)\b",
        ),
        URGENT,
        requires=(_PAIN,),
        negatable=False,
    ),
    _Rule(
        "night_pain:unremitting",
        _rx(
            r"\b(?:constant|unrelenting|relentless|non-?stop|never stops|doesn'?t stop|does not "
            r"stop|unremitting|24/7|day and night|night and day|all day and all night)\b",
        ),
        URGENT,
        requires=(_PAIN, _NIGHT_OR_REST),
        negatable=False,
    ),
)

_RED_FLAG_RULES = _EMERGENCY_RULES + _URGENT_RULES

# --------------------------------------------------------------------------------------
# Greetings, help, other languages, doses
# --------------------------------------------------------------------------------------

_HELLO = (
    r"h+i+|h+e+y+a?|hiya|hel+o+|helo|hallo|howdy|yo+|sup|wassup|whats up|what's up|greetings|"
    r"good (?:morning|afternoon|evening|day)|morning|evening|gm|g'?day|hola|bonjour|ciao|"
    r"salut|namaste|aloha|how are (?:you|u|ya)(?: doing| today)?|how'?s it going|hru|"
    r"(?:nice|pleased|good) to meet (?:you|u)|long time no see|hi+ again|hello again"
)
_THANKS = (
    r"thanks+|thank (?:you|u|ya)|thx|thnx|tnx|tks|ty|tysm|tyvm|cheers|ta|much appreciated|"
    r"appreciate (?:it|that|you|this)|many thanks|gracias|merci|danke|grazie|obrigad[oa]|"
    r"that (?:was |is |'s )?(?:really |very |so |super )?(?:helpful|useful|great|perfect|"
    r"brilliant)|(?:that|it|they|this|these) (?:really )?help(?:s|ed)|"
    r"you'?re (?:the best|great|awesome|a star|amazing)|"
    r"great help|very helpful|so helpful|helpful"
)
_BYE = (
    r"bye+|goodbye|good bye|bye bye|see (?:you|ya|u)(?: later| soon| tomorrow)?|cya|later|"
    r"laters|take care|good ?night|gn|nighty? night|have a (?:good|nice|great|lovely) (?:day|one|"
    r"evening|night|weekend)|talk (?:to you )?(?:later|soon)|ttyl"
)
_ACK = (
    r"ok+|okay|okey|k|kk|okie|alright|all right|got it|understood|noted|sounds good|will do|"
    r"fair enough|makes sense|brilliant|lovely|awesome|perfect|great|cool|nice|sweet"
)
_FILLER = (
    r"and|again|so|very|much|a lot|lots|for (?:the|your|all (?:the|your)) (?:help|info|"
    r"information|answers?|advice|reply|replies|tips|support|stretches|exercises|suggestions|"
    r"ideas)|for (?:that|this|everything|all)|"
    r"everyone|everybody|all|guys|there|bot|limber|friend|mate|buddy|pal|doc|dear|folks|you|"
    r"too|to you|oh|ah|well|yes|yeah|yep|no|nope|lol|haha+|x+|please|pls|man|sir|just|really|"
    r"tons|loads|heaps|a million|a bunch|today|yesterday|earlier|for now|then|ok|my friend"
)
_SMALL_TALK = re.compile(rf"(?:(?:{_HELLO}|{_THANKS}|{_BYE}|{_ACK}|{_FILLER})(?: |$))+")
_GREETING_KINDS = (
    ("greeting:thanks", re.compile(rf"\b(?:{_THANKS})\b")),
    ("greeting:farewell", re.compile(rf"\b(?:{_BYE})\b")),
    ("greeting:hello", re.compile(rf"\b(?:{_HELLO})\b")),
    ("greeting:acknowledgement", re.compile(rf"\b(?:{_ACK})\b")),
)

# Questions about the bot itself (the whole message, after an optional "hi").
_HELP_ASKS = (
    r"help|help me|help please|i need help|need help|can (?:you|u) help(?: me)?",
    r"how can (?:you|u) help(?: me)?|what can (?:you|u|i) (?:do|help (?:me )?with|ask(?: you)?)",
    r"what do (?:you|u) do|what are (?:you|u)(?: for)?|who are (?:you|u)",
    r"who (?:made|built|created|wrote|runs|owns) (?:you|u|this|this bot|limber)",
    r"how do (?:you|u) work|how does (?:this|it|limber|this bot|this thing) work",
    r"what(?: is|'?s) (?:this|limber)(?: bot| thing| for)?",
    r"how (?:do (?:i|you) use|to use) (?:this|you|it|limber|this bot)|how to use",
    r"what (?:(?:kinds?|sorts?|types?) of )?(?:topics|subjects|questions|things|stuff)"
    r"(?: do (?:you|u)| can (?:you|u|i)| could i| should i| are (?:you|u))?(?: \w+){0,3}",
    r"what do (?:you|u) know(?: about)?(?: (?:anything|stuff|things|topics))?",
    r"what do (?:you|u) cover|what can i ask(?: you)?",
    r"are (?:you|u) (?:a |an )?(?:real |actual )?(?:bot|robot|human|real|person|doctor|ai|nurse)",
    r"what are your sources|where (?:does|do) your (?:info|information|answers) come from",
    r"commands?|menu|start|info|about|instructions|options|features",
)
_HELP = re.compile(
    rf"(?:(?:{_HELLO}|please|pls|bot|limber|so|ok|okay|um+|uh+) )*"
    rf"(?:{'|'.join(_HELP_ASKS)})"
    r"(?: (?:please|pls|bot|limber|then|thanks|thx))*"
)

_ENGLISH_WORDS = _words(
    "the a an i my me is are to of and in on for with it this that what how do does can have "
    "has be you your pain back hip hips not at from when after but or so if should will hurts "
    "hurt been was am im get got feel leg legs why which any some there just really very my "
    "much many its it's stretch stretches exercise exercises sciatica lower help please thanks "
    "hi hello was"
)
_FOREIGN_WORDS = {
    "es": _words(
        "el la los las del que por para con una uno es está estoy tengo mi mis muy pero cuando "
        "como qué cómo dolor espalda duele duelen puedo hacer también porque desde hace cadera "
        "pierna piernas ciático nervio hola gracias ayuda tengo lumbar baja sí"
    ),
    "fr": _words(
        "le les des du une est et je j ai mal au aux dos mon ma mes avec dans sur pas qui très "
        "depuis douleur douleurs hanche jambe jambes quoi faire comment bonjour merci ça c il "
        "elle nous vous suis sciatique qu"
    ),
    "de": _words(
        "der das und ich nicht mit ist ein eine einen mein meine mir mich habe hab tun wie "
        "schmerzen rücken rückenschmerzen hüfte bein beine auch aber oder seit sehr kann bitte "
        "danke hallo guten tag warum wenn ischias"
    ),
    "pt": _words(
        "não dor costas estou tenho minha meu muito você obrigado obrigada olá com uma está "
        "quando como perna quadril nas dos"
    ),
    "it": _words(
        "il lo gli della sono ho di schiena dolore mi fa male che una molto ciao grazie anca "
        "gamba mal"
    ),
    "nl": _words("ik het een niet mijn rug pijn heb met van wat hoe doe rugpijn"),
}
_DIACRITIC_LANG = (("ñ", "es"), ("ß", "de"), ("ä", "de"), ("ö", "de"), ("ü", "de"), ("ã", "pt"),
                   ("õ", "pt"), ("ç", "fr"))

_DRUG = (
    r"ibuprofen|ibuprofin|ibuprophen|advil|motrin|nurofen|naproxen|naproxin|aleve|naprosyn|"
    r"paracetamol|acetaminophen|acetominophen|tylenol|panadol|calpol|aspirin|diclofenac|"
    r"voltaren|voltarol|celecoxib|celebrex|meloxicam|etoricoxib|nsaids?|prednisone|"
    r"prednisolone|methylprednisolone|medrol|dexamethasone|corticosteroids?|steroids?|"
    r"cortisone|gabapentin|neurontin|pregabalin|lyrica|amitriptyline|nortriptyline|duloxetine|"
    r"cymbalta|cyclobenzaprine|flexeril|methocarbamol|robaxin|tizanidine|zanaflex|baclofen|"
    r"diazepam|valium|carisoprodol|soma|orphenadrine|muscle relax(?:ant|ants|er|ers)|tramadol|"
    r"ultram|codeine|co-?codamol|co-?dydramol|oxycodone|oxycontin|hydrocodone|vicodin|percocet|"
    r"morphine|opioids?|painkillers?|pain killers?|pain relievers?|pain meds|pain pills|"
    r"anti-?inflammator(?:y|ies)|lidocaine|cbd|vitamin d|magnesium|turmeric|glucosamine"
)
_DRUG_RX = re.compile(rf"\b(?:{_DRUG})\b")
_AUX = r"(?:does|do|did|will|would|is|are|was|were|can(?! i)|could(?! i)|should(?! i)|has|have)"
_DOSE_ASK = _rx(
    rf"\bhow (?:much|many)\b(?! {_AUX}\b)",
    r"\b(?:dose|doses|dosage|dosages|dosing|milligrams?|mgs?)\b",
    r"\b\d+(?:\.\d+)? ?(?:mg|mcg|milligrams?|g|ml)\b",
    r"\bmax(?:imum)? (?:amount|dose|daily|per day|a day|i can)\b|\b(?:per|a) day\b|\bdaily "
    r"limit\b|\bevery day\b|\beveryday\b|\bdaily\b",
    r"\bhow (?:often|frequently|long can i (?:take|keep taking|be on|stay on|use))\b",
    r"\b(?:times|x) (?:a|per) day\b|\bevery (?:\d+|few|four|six|eight|two|three|twelve) hours\b",
    r"\b(?:can|should|could|may) i (?:take|have|use) (?:\d+|one|two|three|four|five|six|another|"
    r"more|extra|double|a double|a second|a higher)\b",
    r"\b(?:is|are) (?:\d+|one|two|three|four|five|six)\b[^.?!]{0,25}\b(?:too much|too many|safe|"
    r"ok|okay|alright|fine)\b",
    r"\btoo (?:much|many)\b|\bdouble (?:up|the dose)\b|\bhow (?:strong|high)\b|\bstrength of\b|"
    r"\boverdos\w*",
)
_DOSE_NO_DRUG = _rx(
    r"\bwhat (?:dose|dosage)\b|\b(?:dose|dosage) should i\b|\bhow many (?:mg|milligrams|pills|"
    r"tablets|capsules)\b|\bhow much (?:medication|medicine|meds)\b"
)
_DOSE_UNLESS = _rx(
    r"\b(?:cost|costs|price|pay|expensive|cheap|insurance|nhs prescription)\b",
    r"\bhow many (?:people|persons|patients|americans|cases|adults|children|users)\b",
)

# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def triage(question: str) -> Triage | None:
    """Classify one user message before retrieval; ``None`` means an ordinary question.

    Order matters: a crisis wins over everything, a red flag over small talk and
    doses (so "hi, I can't pee and my back hurts" is a red flag). Empty or emoji-only
    messages return ``None``; the pipeline handles them.
    """
    text = _normalise(question)
    if not any(c.isalnum() for c in text):
        return None
    doc = _Doc.of(text)
    repaired = _Doc.of(fixed) if (fixed := _repair_typos(text)) != text else doc
    # Safety checks read the typo-repaired text; the rest read what the user wrote.
    for step, view in (
        (_crisis, repaired),
        (_red_flag, repaired),
        (_greeting, doc),
        (_help, doc),
        (_not_english, doc),
        (_dose, doc),
    ):
        result = step(view)
        if result is not None:
            return result
    return None


def _crisis(doc: _Doc) -> Triage | None:
    for rule in _CRISIS_RULES:
        if rule.fires(doc):
            return Triage(TriageKind.CRISIS, rule.reason)
    if _CRISIS_FOREIGN.search(doc.text):
        return Triage(TriageKind.CRISIS, "crisis:suicidal_ideation")
    return None


def _red_flag(doc: _Doc) -> Triage | None:
    # Emergency rules are listed first, so the most urgent reason wins.
    for rule in _RED_FLAG_RULES:
        if rule.fires(doc):
            return Triage(TriageKind.RED_FLAG, rule.reason, rule.urgency)
    return None


def _words_only(text: str) -> str:
    """Letters and apostrophes only, single-spaced: emoji and punctuation dropped."""
    return " ".join(re.sub(r"[^a-z' ]+", " ", text).split())


def _greeting(doc: _Doc) -> Triage | None:
    words = _words_only(doc.text)
    # Length cap: small talk is short, and it bounds the regex's work.
    if not words or len(words) > 80 or not _SMALL_TALK.fullmatch(words + " "):
        return None
    for reason, pattern in _GREETING_KINDS:
        if pattern.search(words):
            return Triage(TriageKind.GREETING, reason)
    return None  # only fillers ("yes", "lol"): not a greeting


def _help(doc: _Doc) -> Triage | None:
    words = _words_only(doc.text)
    if len(words) > 100 or not _HELP.fullmatch(words):
        return None
    reason = "help:command" if doc.text.startswith("/") else "help:about_bot"
    return Triage(TriageKind.HELP, reason)


def _not_english(doc: _Doc) -> Triage | None:
    letters = [c for c in doc.text if c.isalpha()]
    if not letters:
        return None
    non_latin = 0 if doc.text.isascii() else sum(
        not unicodedata.name(c, "").startswith("LATIN") for c in letters
    )
    if non_latin * 2 > len(letters):
        return Triage(TriageKind.NOT_ENGLISH, "not_english:non_latin_script")
    words = re.findall(r"[^\W\d_]+", doc.text)
    english = sum(w in _ENGLISH_WORDS for w in words)
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _FOREIGN_WORDS.items()}
    for char, lang in _DIACRITIC_LANG:  # a word with ñ/ß/ü... that no stop list knows
        scores[lang] += sum(char in w and w not in _FOREIGN_WORDS[lang] for w in words)
    lang, foreign = max(scores.items(), key=lambda kv: kv[1])
    if (foreign >= 2 and foreign > english) or (foreign and not english and len(words) <= 2):
        return Triage(TriageKind.NOT_ENGLISH, f"not_english:{lang}")
    return None


def _dose(doc: _Doc) -> Triage | None:
    if _DOSE_UNLESS.search(doc.text):
        return None
    drug = _DRUG_RX.search(doc.text)
    if drug and _DOSE_ASK.search(doc.text):
        return Triage(TriageKind.DOSE, "dose:" + re.sub(r"\W+", "_", drug.group()))
    if _DOSE_NO_DRUG.search(doc.text):
        return Triage(TriageKind.DOSE, "dose:unspecified")
    return None


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

_EMERGENCY_ACTION = (
    "Please call your local emergency number (911 in the US, 999 in the UK, 112 in the EU) "
    "or go to the emergency department now. Don't wait to see if it settles."
)
_URGENT_ACTION = (
    "Please see a doctor today (a same-day appointment, urgent care, or NHS 111 in the UK). "
    "If it gets much worse, or you notice new weakness or numbness in your legs, numbness "
    "around your genitals or bottom, or problems controlling your bladder or bowels, call "
    "your local emergency number (911 in the US, 999 in the UK, 112 in the EU)."
)
_CES = "cauda equina syndrome, where the nerves at the bottom of the spine are squeezed"
_WHY = {
    "cauda_equina:bladder": (
        "Loss of bladder control, leaking urine or being unable to pee, together with back "
        f"pain, can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:bowel": (
        "Loss of bowel control together with back pain can be a sign of "
        f"{_CES}. It needs emergency care."
    ),
    "cauda_equina:saddle_numbness": (
        "Numbness or tingling around your genitals, bottom, anus or inner thighs (the "
        f"'saddle' area) can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:sexual_dysfunction": (
        "New problems with sexual function, such as loss of sensation or erections, together "
        f"with back pain can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:bilateral_sciatica": (
        "Sciatica, numbness or weakness in both legs can be a sign of "
        f"{_CES}. It needs emergency care."
    ),
    "cauda_equina:suspected": (
        f"If you think you might have {_CES}, it needs to be checked in an emergency "
        "department straight away, not at a routine appointment."
    ),
    "neuro:foot_drop": (
        "A foot that drags, slaps or that you can't lift (foot drop) can mean a nerve is being "
        "badly squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "neuro:leg_weakness": (
        "New weakness in your legs, or a leg that gives way, can mean a nerve is being badly "
        "squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "neuro:leg_numbness": (
        "New numbness or loss of feeling in your leg or foot can mean a nerve is being badly "
        "squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "trauma:major": (
        "Back or neck pain after a serious accident, such as a car crash, being hit by a "
        "vehicle or a fall from a height, can mean an injury to the spine. Move as little as "
        "you can until you have been checked."
    ),
    "cardiac:chest_pain": (
        "Chest pain, pressure or tightness, especially if it spreads to your arm, jaw, neck or "
        "back, can be a sign of a heart attack or another serious problem."
    ),
    "vascular:tearing_pain": (
        "Sudden, severe tearing or ripping pain in the chest, back or belly can be a sign of a "
        "problem with the body's main blood vessel (the aorta)."
    ),
    "breathing_difficulty": (
        "Pain together with difficulty breathing can be a sign of a serious problem with the "
        "heart or lungs, such as a blood clot, and needs checking straight away."
    ),
    "fever_with_back_pain": (
        "Back pain together with a fever, chills or night sweats can be a sign of an infection "
        "that needs treatment."
    ),
    "post_procedure": (
        "New or worsening back pain, fever, redness, swelling, leaking or a bad headache after "
        "an epidural, a spinal injection or spinal surgery can be a sign of an infection or "
        "another complication."
    ),
    "cancer_history_with_back_pain": (
        "New back pain in someone who has had cancer needs to be checked by a doctor soon, to "
        "rule out anything spreading to the spine."
    ),
    "weight_loss_with_back_pain": (
        "Back pain together with weight loss you can't explain needs to be checked by a doctor "
        "soon."
    ),
    "infection_risk:iv_drug_use": (
        "Back pain in someone who injects drugs can be a sign of an infection in the spine."
    ),
    "infection_risk:immunosuppression": (
        "Back pain in someone with a weakened immune system can be a sign of an infection in "
        "the spine."
    ),
    "fracture_risk:osteoporosis_or_steroids": (
        "Back pain after a fall, or that comes on suddenly, in someone with osteoporosis or who "
        "has taken steroids for a long time, can be a sign of a fracture in the spine."
    ),
    "night_pain:unremitting": (
        "Back pain that is constant, or that doesn't ease with rest or lying down, needs to be "
        "checked by a doctor soon."
    ),
}
_WHY_DEFAULT = "The symptoms you describe need to be checked by a doctor."


def red_flag_message(t: Triage) -> str:
    """Plain text telling the user to seek care now, specific to ``t.reason``.

    It explains the concern without a diagnosis ("can be a sign of") and says exactly
    what to do for the urgency. It never mentions a dose.
    """
    why = _WHY.get(t.reason, _WHY_DEFAULT)
    action = _URGENT_ACTION if t.urgency == URGENT else _EMERGENCY_ACTION
    return (
        f"{why}\n\n{action}\n\nLimber is an automated bot: it can't examine you, so please "
        "don't rely on it for these symptoms."
    )


def crisis_message() -> str:
    """A caring reply to thoughts of suicide or self-harm: people and helplines first."""
    return (
        "I'm really sorry you're going through this. You don't have to face it alone, and "
        "talking to someone can help right now.\n\n"
        "If you are in immediate danger, call your local emergency number (911 in the US, "
        "999 in the UK, 112 in the EU).\n\n"
        "You can talk to someone any time, for free:\n"
        "• US: call or text 988 (Suicide & Crisis Lifeline)\n"
        "• UK and Ireland: call Samaritans on 116 123\n"
        "• UK: text SHOUT to 85258\n"
        "• Elsewhere: find a local helpline at findahelpline.com\n\n"
        "If you can, please reach out to someone you trust, like a friend, a family member or "
        "your doctor, and tell them how you're feeling.\n\n"
        "I'm an automated bot, not a counsellor, so I can't give you the support you deserve, "
        "but the people at these services can."
    )
