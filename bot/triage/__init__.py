"""Medical safety triage: which messages must not be answered from the documents alone.

``assess`` runs before retrieval and decides, in this order:

* CRISIS: thoughts of suicide or self-harm, the writer's or someone else's. Always wins.
* RED_FLAG: a report of symptoms that need care now (emergency) or today (urgent),
  whoever they belong to; the category chooses the message.
* GREETING, ACKNOWLEDGEMENT, HELP, NOT_ENGLISH, DOSE: small talk, questions about the bot,
  other languages, requests for a medicine dose.

``None`` means an ordinary question: go to retrieval.

Crisis and red flags are decided by two halves OR'ed together:

* precise rules (``bot.triage.rules``) with negation, hypothetical and information-question
  handling, read on the text, a typo-repaired copy, and, for a message about someone else,
  a copy retold in the first person (``bot.triage.perspective``);
* a calibrated classifier on the message's embedding (``bot.triage.classifier``), trained
  on labelled examples, which generalises to wording no rule lists.

The embedding is the one retrieval uses: the pipeline encodes a message once and passes the
vector here. Without a vector (an encoder failure, or a caller with no model) the rules
still run, so an emergency instruction never depends on the model or on search.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import numpy as np

from bot.triage.chat import dose, greeting, help_request, not_english
from bot.triage.classifier import ClassifierVerdict, TriageClassifier, load_classifier
from bot.triage.messages import crisis_message, red_flag_message
from bot.triage.perspective import about_someone_else, as_first_person
from bot.triage.reading import Doc, is_information, is_negated, is_over, is_resolved, is_study_question
from bot.triage.rules import (
    BENIGN_CONTEXT,
    CRISIS_FOREIGN,
    CRISIS_RULES,
    FEVER_SIGNS,
    INTENTIONAL_WEIGHT_LOSS,
    RED_FLAG_RULES,
)
from bot.triage.text import normalise, repair_typos, rx
from bot.triage.types import Category, Source, Triage, TriageKind, Urgency, category_of_reason

__all__ = [
    "MAX_TRIAGE_CHARS",
    "Category",
    "Source",
    "Triage",
    "TriageKind",
    "Urgency",
    "assess",
    "crisis_message",
    "passage_fits_red_flag",
    "red_flag_message",
]

log = logging.getLogger(__name__)

# Rules read at most this much of a message: it bounds their work on hostile input (a
# Telegram message is at most 4,096 characters; the CLI accepts more).
MAX_TRIAGE_CHARS = 8000


# Reads sentences of a text in context: (text, character spans) -> one vector per span.
SpanEncoder = Callable[[str, Sequence[tuple[int, int]]], Sequence[np.ndarray | None]]


def assess(
    question: str,
    vector: np.ndarray | None = None,
    *,
    classifier: TriageClassifier | None = None,
    encode_spans: SpanEncoder | None = None,
) -> Triage | None:
    """Triage one message; ``vector`` is its unit embedding, when the caller has one.

    ``encode_spans`` (the encoder's, when the caller has one) lets the classifier read the
    sentences of a longer message one by one, where despair may sit in a single sentence.
    """
    text = normalise(question[: MAX_TRIAGE_CHARS * 2])[:MAX_TRIAGE_CHARS]
    if not any(c.isalnum() for c in text):
        return None
    other = about_someone_else(text)
    views = _safety_views(text, other)
    verdict, sentence = None, None
    if vector is not None:
        classifier = classifier or load_classifier()
        verdict = classifier.predict(vector, text)
        if encode_spans is not None and verdict.crisis >= _SENTENCE_FLOOR and not verdict.crisis_alarm:
            sentence = _crisis_in_a_sentence(views[0], classifier, encode_spans)
    # A crisis heard in one sentence only does not take the place of a red flag: "I lost
    # control of my bladder. I am 79 and live alone." needs the emergency instruction.
    urgent = _crisis(views, verdict, other) or _red_flag(views, verdict, other)
    if urgent is None and sentence is not None:
        urgent = Triage(
            TriageKind.CRISIS,
            "crisis",
            category=Category.CRISIS,
            source=Source.CLASSIFIER,
            about_someone_else=other,
            confidence=sentence.crisis,
        )
    if urgent is not None:
        return urgent
    doc = views[0]
    for step in (greeting, help_request, not_english, dose):
        result = step(doc)
        if result is not None:
            return result
    return None


def _safety_views(text: str, other: bool) -> list[Doc]:
    """The readings the safety rules see: as written, typos repaired, retold in the first person."""
    texts = [text]
    repaired = repair_typos(text)
    texts.append(repaired)
    if other:
        texts.append(as_first_person(repaired))
    return [Doc.of(t) for t in dict.fromkeys(texts)]


def _source(rule: bool, model: bool) -> Source:
    if rule and model:
        return Source.BOTH
    return Source.RULE if rule else Source.CLASSIFIER


def _crisis(views: list[Doc], verdict: ClassifierVerdict | None, other: bool) -> Triage | None:
    reason = next((r.reason for doc in views for r in CRISIS_RULES if r.fires(doc)), None)
    if reason is None and CRISIS_FOREIGN.search(views[0].text):
        reason = "crisis:suicidal_ideation"
    model = verdict is not None and verdict.crisis_alarm
    if reason is None and model and verdict is not None:
        aimed_elsewhere = bool(_VIOLENCE_AT_OTHERS.search(views[0].text))
        model = not aimed_elsewhere and _classifier_crisis_stands(views[-1], verdict)
    if reason is None and not model:
        return None
    return Triage(
        TriageKind.CRISIS,
        reason or "crisis",
        category=Category.CRISIS,
        source=_source(reason is not None, model),
        about_someone_else=other,
        confidence=verdict.crisis if verdict else None,
    )


_SENTENCE_WORDS = 3  # shorter sentences ("anyway.", "not joking") say too little alone
# Sentences are read only when the whole message leans this little toward a crisis: 0.3% of
# crisis messages fall below it on held-out authors (examples.jsonl, leave-one-author-out),
# and half of the ordinary ones, whose extra model run it saves.
_SENTENCE_FLOOR = 0.003


def _crisis_in_a_sentence(
    doc: Doc, classifier: TriageClassifier, encode_spans: SpanEncoder
) -> ClassifierVerdict | None:
    """A crisis told in one sentence of a longer message ("what's the best stretch for
    piriformis? btw I've saved up 40 of my tablets, just in case") is diluted in the whole
    message's vector. The sentences that hold a live word of despair, death or harm are read
    in context, one vector each, and the first the classifier is sure of (p >= 0.6: a
    sentence alone says less than a message), with nothing in it aimed at someone else,
    stands, unless the message also holds a red flag (that instruction comes first). One more
    run of the model, only for such messages."""
    spans = [(s, e) for s, e in doc.sentences if len(doc.text[s:e].split()) >= _SENTENCE_WORDS]
    if len(spans) < 2:
        return None
    live = _live_distress(doc)
    candidates = [
        (s, e)
        for s, e in spans
        if any(s <= w < e for w in live) and not _VIOLENCE_AT_OTHERS.search(doc.text, s, e)
    ]
    if not candidates:
        return None
    try:
        vectors = encode_spans(doc.text, candidates)
    except Exception:  # the rules and the whole-message reading have already run
        log.exception("reading the message's sentences failed; triage goes on without them")
        return None
    for (start, end), sentence_vector in zip(candidates, vectors, strict=True):
        if sentence_vector is not None:
            verdict = classifier.predict(sentence_vector, doc.text[start:end])
            if verdict.crisis >= _SURE:
                return verdict
    return None


def _classifier_crisis_stands(doc: Doc, verdict: ClassifierVerdict) -> bool:
    """A crisis the classifier raised alone must lean on a live word of despair, death or
    harm, or be sure: "how long do I hold it?" is close in meaning to "how long can I go on?"
    but has none. A word in a sentence told as over ("she tried to end it years ago, doing
    really well now") or in a study question ("for my essay") is not live. Negation is no
    reason here: "can't go on" and "no point" are how despair is said."""
    if _live_distress(doc):
        return True
    return not _DISTRESS.search(doc.text) and verdict.crisis >= _SURE_OF_CRISIS


def _live_distress(doc: Doc) -> list[int]:
    """Where the words of despair, death or harm stand that count: not in a sentence told as
    over, not in a study question."""
    live = []
    for m in _DISTRESS.finditer(doc.text):
        if is_over(doc, m.start()) or is_study_question(doc, m.start()):
            continue
        if _CRISIS_TERM.fullmatch(m.group()) and is_negated(doc, *m.span()):
            continue  # "not suicidal or anything, just sick of it" (but "can't go on" stays)
        live.append(m.start())
    return live


def _not_a_current_report(doc: Doc, verdict: ClassifierVerdict) -> bool:
    """What the rules' reading says against a classifier-only red flag.

    The embedding hears the symptom but not its grammar: the writer says they only ask
    for information ("for my nursing assignment"), tells it as over ("all clear since"),
    or explains a weight loss as intended.
    """
    if doc.info_message:
        return True
    if verdict.category is Category.CANCER and INTENTIONAL_WEIGHT_LOSS.search(doc.text):
        return True
    if verdict.category is Category.INFECTION and _only_normal_temperatures(doc.text):
        return True
    if verdict.category is Category.CANCER:
        return False  # a cancer treated and "all clear" is still a history of cancer
    return any(is_resolved(doc, start) for start, _ in doc.sentences)


def _classifier_red_flag_stands(doc: Doc, verdict: ClassifierVerdict) -> bool:
    """A red flag the classifier raised alone: the rules' reading must not contradict it,
    and unless sure it must hear at least one word of a body's alarm signs ("this pain is
    killing me, best stretch?" is close to emergencies in tone only)."""
    if _not_a_current_report(doc, verdict):
        return False
    if verdict.red_flag >= _SURE:
        return True
    context = BENIGN_CONTEXT.get(verdict.category) if verdict.category else None
    if context is not None and context.search(doc.text):
        return False
    # A sign counts where it is reported: not negated ("bladder's fine"), not in a general
    # question ("how rare is it for back pain to be caused by cancer?").
    return any(
        not is_negated(doc, *m.span()) and not is_information(doc, m.start())
        for m in _ALARM_SIGNS.finditer(doc.text)
    )


# A temperature as people write it: "37.1", "36.8C", "98.6 F", "99 degrees".
_TEMPERATURE = re.compile(r"\b(\d{2,3}(?:[.,]\d+)?) ?(?:°|degrees?|deg|c\b|f\b)?")


def _only_normal_temperatures(text: str) -> bool:
    """The message states a temperature, every one below a fever (38 C, 100.4 F), and no
    other sign of one ("chills", "burning up"): "temp is 37.1, normal" is not an infection."""
    if not re.search(r"\btemp\w*\b", text) or FEVER_SIGNS.search(text):
        return False
    readings = [float(m.group(1).replace(",", ".")) for m in _TEMPERATURE.finditer(text)]
    readings = [r for r in readings if 34 <= r <= 43 or 93 <= r <= 110]
    return bool(readings) and all(r < 38 if r < 50 else r < 100.4 for r in readings)


def _red_flag(views: list[Doc], verdict: ClassifierVerdict | None, other: bool) -> Triage | None:
    # Emergency rules are listed first, so the most urgent reason wins.
    rule = next((r for doc in views for r in RED_FLAG_RULES if r.fires(doc)), None)
    model = verdict is not None and verdict.red_flag_alarm
    if rule is None and model and verdict is not None:
        model = _classifier_red_flag_stands(views[-1], verdict)
    if rule is None and not model:
        return None
    if rule is not None:
        reason, urgency, category = rule.reason, rule.urgency, category_of_reason(rule.reason)
    else:
        assert verdict is not None and verdict.category is not None
        category = verdict.category
        reason, urgency = category.value, category.urgency
    return Triage(
        TriageKind.RED_FLAG,
        reason,
        urgency,
        category=category,
        source=_source(rule is not None, model),
        about_someone_else=other,
        confidence=verdict.red_flag if verdict else None,
    )


# Passages that tell a reader to wait, watch or not seek care yet: never shown after a red flag.
_SAYS_TO_WAIT = rx(
    r"\b(?:wait|waiting|until|settle\w*|on (?:its|their) own|goes? away|self[- ]limiting|"
    r"don'?t (?:\w+ )?(?:investigate|worry|panic|rush)|no need to|rarely serious|harmless|"
    r"(?:get|gets|getting) better (?:by itself|without))\b"
)
_ABOUT_THRESHOLD = 0.5  # the classifier's probability that a passage is about the flagged category


def passage_fits_red_flag(
    verdict: Triage,
    passage_text: str,
    passage_vector: np.ndarray | None,
    *,
    classifier: TriageClassifier | None = None,
) -> bool:
    """May this passage follow the instruction to seek care for ``verdict``?

    Only when it is about the flagged symptom (the classifier, read on the passage's own
    embedding, puts it in the same category) and it never advises waiting.
    """
    if verdict.category is None or passage_vector is None:
        return False
    if _SAYS_TO_WAIT.search(normalise(passage_text)):
        return False
    probabilities = (classifier or load_classifier()).category_probabilities(
        passage_vector, normalise(passage_text)
    )
    return probabilities.get(verdict.category, 0.0) >= _ABOUT_THRESHOLD


# The semantic field of despair, death and self-harm (not phrasings: single words and stems).
_DISTRESS = rx(
    r"\b(?:die|dies|died|dying|dead|death|deaths|suicid\w*|kill\w*|unaliv\w*|kms|sewerslide|"
    r"end(?! up)|ends|ending|ended|over|gone|disappear\w*|vanish\w*|burden\w*|goodbye\w*|farewell|"
    r"notes?|letters?|will|rope|noose|pills?|tablets?|meds|overdos\w*|od|jump\w*|bridge|cliff|"
    r"train|cut|cuts|cutting|burn\w*|blades?|razors?|bleed\w*|bled|hurt\w* myself|harm\w*|"
    r"worthless|hopeless|"
    r"pointless|point|anymore|give up|giving up|gave up|done|go on|carry on|take it|tired|sick of|"
    r"live|living|alive|life|exist\w*|forever|wake up|better off|without me|miss me|notice|nobody|"
    r"no one|alone|give away|giving away|gave away|rid of|escape|stockpil\w*|stash\w*|lethal|"
    r"fatal|enough|plan\w*|tonight|myself|self|sleep)\b",
    # Taking a whole supply at once, whatever the medicine is called.
    r"\b(?:at once|in one go|all at the same time|whole (?:box|bottle|packet|pack|strip|lot)|"
    r"all (?:of )?(?:them|my|the) (?:\w+ )?(?:at once|together))\b",
)
# The crisis words a denial really cancels: "not suicidal", "no self-harm".
_CRISIS_TERM = re.compile(r"suicid\w*|self|harm\w*|kill\w*|kms|unaliv\w*|overdos\w*")
_SURE = 0.6  # a classifier-only alarm without a single such word needs this probability
# ...but despair is often said in no such word ("every morning I'm sorry I woke up"), and the
# classifier reads its n-grams too: for a crisis 0.4 is enough. Chosen as the lowest that kept
# crisis alarms on ordinary questions (the 1,729 of corpus/answerability.jsonl and the
# follow-up turns) within 1% (0.9% at 0.4, 1.1% at 0.3, 2.1% with no floor), with the model
# trained before the three sets of 2026-12-02's afternoon joined its examples; with the
# shipped model it is 0.7% at 0.4 and 0.9% at 0.3.
_SURE_OF_CRISIS = 0.4

# The semantic field of the red flags (single words and stems, not phrasings): the bladder
# and bowel, the saddle area, feeling and strength, fever and infection, falls and injuries,
# cancer and weight, the chest and heart, tearing pain, swelling, age. Not "car": a car ride
# is no alarm, and a crash says "crash", "hit" or "accident".
_ALARM_SIGNS = rx(
    r"\b(?:bladder|bowel\w*|pee\w*|wee\w*|urin\w*|piss\w*|toilet|loo|wet|wetting|leak\w*|pants|"
    r"poo\w*|incontinen\w*|accident\w*|catheter|wip\w*|bum|butt|arse|ass|bottom|groin|genital\w*|"
    r"privates|saddle|crotch|inner thighs?|penis|vagina\w*|sex\w*|erect\w*|numb\w*|tingl\w*|"
    r"feel\w*|sensation|dead|weak\w*|gave|give|giving|buckl\w*|collaps\w*|drag\w*|foot|feet|toes?|"
    r"trip\w*|walk\w*|stand\w*|legs?|both|paralys\w*|fever\w*|temp\w*|hot|chills?|shiver\w*|"
    r"sweat\w*|infect\w*|red|swell\w*|swollen|pus|wound|injection|surgery|operation|needle\w*|"
    r"drug\w*|steroid\w*|immun\w*|chemo\w*|fell|fall\w*|slip\w*|tripped|crash\w*|collision|wreck\w*|"
    r"hit|knock\w*|tackl\w*|thrown|landed|broke\w*|broken|fractur\w*|crack\w*|osteopor\w*|bone\w*|"
    r"hip|weight|kg|kgs|lbs?|pounds|stone|thin\w*|appetite|cancer|tumou?r\w*|lump\w*|chest|heart|"
    r"arm|jaw|breath\w*|tear\w*|ripp\w*|rip|sudden\w*|belly|stomach|abdom\w*|puls\w*|"
    r"throb\w*|faint\w*|dizz\w*|grey|pale|vomit\w*|sick|nause\w*|night\w*|old|elderly|\d{2})\b"
)

# Violence aimed at someone or something else ("I could murder a curry", "going to kill my
# husband for moving the pillow") is an idiom, not a crisis: when no rule saw a crisis, a
# classifier alarm resting on such words is not enough. "Kill himself" is not violence at
# others: it is the harm of the one it names, as "kill myself" is the writer's.
_VIOLENCE_AT_OTHERS = rx(
    r"\b(?:kill|killing|murder|murdering|strangle|throttle|slap|punch)\b"
    r"(?! (?:myself|my ?self|me\b|it all|everything|(?:him|her|them|their|his|one) ?(?:self|selves)))"
)
