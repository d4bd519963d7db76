"""Messages that are not questions for the documents: small talk, help, other languages, doses."""

from __future__ import annotations

import re
import unicodedata

from bot.triage.reading import Doc
from bot.triage.text import rx, words
from bot.triage.types import Triage, TriageKind

__all__ = ["dose", "greeting", "help_request", "not_english"]

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

_ENGLISH_WORDS = words(
    "the a an i my me is are to of and in on for with it this that what how do does can have "
    "has be you your pain back hip hips not at from when after but or so if should will hurts "
    "hurt been was am im get got feel leg legs why which any some there just really very my "
    "much many its it's stretch stretches exercise exercises sciatica lower help please thanks "
    "hi hello was"
)
_FOREIGN_WORDS = {
    "es": words(
        "el la los las del que por para con una uno es está estoy tengo mi mis muy pero cuando "
        "como qué cómo dolor espalda duele duelen puedo hacer también porque desde hace cadera "
        "pierna piernas ciático nervio hola gracias ayuda tengo lumbar baja sí"
    ),
    "fr": words(
        "le les des du une est et je j ai mal au aux dos mon ma mes avec dans sur pas qui très "
        "depuis douleur douleurs hanche jambe jambes quoi faire comment bonjour merci ça c il "
        "elle nous vous suis sciatique qu"
    ),
    "de": words(
        "der das und ich nicht mit ist ein eine einen mein meine mir mich habe hab tun wie "
        "schmerzen rücken rückenschmerzen hüfte bein beine auch aber oder seit sehr kann bitte "
        "danke hallo guten tag warum wenn ischias"
    ),
    "pt": words(
        "não dor costas estou tenho minha meu muito você obrigado obrigada olá com uma está "
        "quando como perna quadril nas dos"
    ),
    "it": words(
        "il lo gli della sono ho di schiena dolore mi fa male che una molto ciao grazie anca gamba mal"
    ),
    "nl": words("ik het een niet mijn rug pijn heb met van wat hoe doe rugpijn"),
}
_DIACRITIC_LANG = (
    ("ñ", "es"),
    ("ß", "de"),
    ("ä", "de"),
    ("ö", "de"),
    ("ü", "de"),
    ("ã", "pt"),
    ("õ", "pt"),
    ("ç", "fr"),
)

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
_DOSE_ASK = rx(
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
_DOSE_NO_DRUG = rx(
    r"\bwhat (?:dose|dosage)\b|\b(?:dose|dosage) should i\b|\bhow many (?:mg|milligrams|pills|"
    r"tablets|capsules)\b|\bhow much (?:medication|medicine|meds)\b"
)
_DOSE_UNLESS = rx(
    r"\b(?:cost|costs|price|pay|expensive|cheap|insurance|nhs prescription)\b",
    r"\bhow many (?:people|persons|patients|americans|cases|adults|children|users)\b",
)


def _words_only(text: str) -> str:
    """Letters and apostrophes only, single-spaced: emoji and punctuation dropped."""
    return " ".join(re.sub(r"[^a-z' ]+", " ", text).split())


def greeting(doc: Doc) -> Triage | None:
    words = _words_only(doc.text)
    # Length cap: small talk is short, and it bounds the regex's work.
    if not words or len(words) > 80 or not _SMALL_TALK.fullmatch(words + " "):
        return None
    for reason, pattern in _GREETING_KINDS:
        if pattern.search(words):
            # "hello" gets the full introduction; "thanks", "ok", "bye" a short reply.
            kind = TriageKind.GREETING if reason == "greeting:hello" else TriageKind.ACKNOWLEDGEMENT
            return Triage(kind, reason)
    return None  # only fillers ("yes", "lol"): not a greeting


def help_request(doc: Doc) -> Triage | None:
    words = _words_only(doc.text)
    if len(words) > 100 or not _HELP.fullmatch(words):
        return None
    reason = "help:command" if doc.text.startswith("/") else "help:about_bot"
    return Triage(TriageKind.HELP, reason)


def not_english(doc: Doc) -> Triage | None:
    letters = [c for c in doc.text if c.isalpha()]
    if not letters:
        return None
    non_latin = (
        0 if doc.text.isascii() else sum(not unicodedata.name(c, "").startswith("LATIN") for c in letters)
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


def dose(doc: Doc) -> Triage | None:
    if _DOSE_UNLESS.search(doc.text):
        return None
    drug = _DRUG_RX.search(doc.text)
    if drug and _DOSE_ASK.search(doc.text):
        return Triage(TriageKind.DOSE, "dose:" + re.sub(r"\W+", "_", drug.group()))
    if _DOSE_NO_DRUG.search(doc.text):
        return Triage(TriageKind.DOSE, "dose:unspecified")
    return None
