"""The precise rules: symptom patterns with the context that makes them count.

Each rule names one reason (``"cauda_equina:bladder"``) and an urgency. Rules are the
high-precision half of triage; the classifier (bot.triage.classifier) is the half that
generalises to wording nobody wrote a pattern for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.triage.reading import (
    CLAUSE_BREAK,
    Doc,
    after_last,
    is_information,
    is_negated,
    is_over,
    is_study_question,
)
from bot.triage.text import rx
from bot.triage.types import Category, Urgency

__all__ = [
    "BENIGN_CONTEXT",
    "CRISIS_FOREIGN",
    "CRISIS_RULES",
    "FEVER_SIGNS",
    "INTENTIONAL_WEIGHT_LOSS",
    "RED_FLAG_RULES",
    "Rule",
]

EMERGENCY = Urgency.EMERGENCY
URGENT = Urgency.URGENT

# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One reason: a symptom pattern plus the context that makes it count."""

    reason: str
    pattern: re.Pattern[str]
    urgency: Urgency | None = None  # None for crisis rules
    requires: tuple[re.Pattern[str], ...] = ()  # each must also occur, un-negated
    unless: re.Pattern[str] | None = None  # benign context in the same sentence
    unless_before: re.Pattern[str] | None = None  # benign context earlier in the clause
    unless_anywhere: re.Pattern[str] | None = None  # benign context anywhere in the message
    negatable: bool = True
    resolvable: bool = True  # told as over ("fully recovered"), it no longer counts
    report_only: bool = True  # ignore inside general questions and hypotheticals

    def fires(self, doc: Doc) -> bool:
        if self.unless_anywhere and self.unless_anywhere.search(doc.text):
            return False
        return any(True for _ in self._live(doc)) and all(occurs(p, doc) for p in self.requires)

    def _live(self, doc: Doc) -> Iterator[re.Match[str]]:
        for m in self.pattern.finditer(doc.text):
            if self._counts(doc, m):
                yield m

    def _counts(self, doc: Doc, m: re.Match[str]) -> bool:
        start, end = m.span()
        sent_start, sent_end = doc.sentence(start)
        if self.unless and self.unless.search(doc.text, sent_start, sent_end):
            return False
        if self.unless_before:
            clause = after_last(CLAUSE_BREAK, doc.text[sent_start:start])
            if self.unless_before.search(clause):
                return False
        if self.negatable and is_negated(doc, start, end):
            return False
        if self.negatable and self.resolvable and is_over(doc, start):
            return False
        if not self.report_only and is_study_question(doc, start):
            return False  # "suicide rates in chronic pain, for my essay": asks, reports nothing
        return not (self.report_only and is_information(doc, start))


def occurs(pattern: re.Pattern[str], doc: Doc) -> bool:
    """``pattern`` occurs somewhere in the message, at least once not negated."""
    return any(not is_negated(doc, *m.span()) for m in pattern.finditer(doc.text))


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

_BACK = rx(
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
_PAIN = rx(
    r"\b(?:pain\w*|hurt\w*|ache\w*|aching|sore\w*|agony|agoni[sz]ing|injur\w*|numb\w*|"
    r"tingl\w*|swollen|swelling|bruis\w*|crack\w*|snap\w*|broke\w*|fractur\w*|stiff\w*|"
    r"throb\w*|wrecked|killing me|excruciating|messed up|screwed up|in bits|in pieces|jacked)\b",
    rf"\b{_CANT} move\b|\bcan (?:barely|hardly) move\b",
)
# What makes an accident worth an emergency check: pain, or a hard landing on the spine.
_INJURY = rx(
    _PAIN.pattern,
    r"\blanded (?:hard |heavily |flat )?on (?:my |his |her |their )?(?:back|neck|head|spine|"
    r"tailbone)\b",
    r"\b(?:can'?t|cannot|couldn'?t|unable to) (?:get up|stand up|stand|walk)\b",
)
# An older person: an age of 65 or more, a decade of life, or a word for the elderly.
_AGE_65_PLUS = r"(?:6[5-9]|[7-9]\d|10\d)"
_OLDER_PERSON = rx(
    rf"\b{_AGE_65_PLUS} ?(?:years?[- ]old|year|yrs?|yo|y/o|y\.o\.)\b|\baged? {_AGE_65_PLUS}\b",
    rf"\b(?:i'?m|i am|is|was|turned|turning|he'?s|she'?s|they'?re|who'?s|now|at)\W+(?:nearly |almost "
    rf"|over |just )?{_AGE_65_PLUS}\b(?! ?(?:kg|kgs|lbs?|pounds|mins?|minutes|percent|%|degrees|"
    r"mg|miles|km|metres|meters|feet|ft|steps|times))",
    rf"\b(?:mum|mom|mother|dad|father|nan|nana|gran|granny|grandma|grandad|granddad|grandpa|"
    rf"grandmother|grandfather|husband|wife|partner|uncle|aunt|auntie|neighbou?r|patient)\W+"
    rf"{_AGE_65_PLUS}\b",
    r"\bin (?:my|his|her|their|our) (?:late |mid |early )?(?:seventies|eighties|nineties|70s|80s|"
    r"90s|70's|80's|90's)\b",
    r"\b(?:elderly|pensioner|oap|frail|care home|nursing home|old age|grandm\w*|grandf\w*|"
    r"grandad|granddad|grandpa|granny|nan|nana|gran)\b",
)
_OLD = rx(
    r"\b(?:\d+|a few|few|several|many|two|three|four|five|six|seven|eight|nine|ten|some|"
    r"a couple of|couple of|a couple) (?:years?|yrs?|decades?|months?) ago\b",
    r"\b(?:a|one) (?:year|decade) ago\b|\blast year\b|\byears? back\b",
    r"\b(?:in|back in) (?:19|20)\d\d\b|\bas a (?:kid|child|teen\w*)\b",
    r"\bwhen i was (?:a kid|a child|young|younger|little|\d+|a teen\w*)\b",
    r"\bold injury\b|\bfor (?:many |several |a few |\d+ )?years\b",
)
# "after a long ...", "from the gym": an activity named as the cause of what follows.
_AFTER = r"\b(?:after|from|during|post|since|following)\b[^.?!]{0,30}?\b"
_EXERTION = rx(
    _AFTER + r"(?:runs?|running|jog\w*|"
    r"squat\w*|gym|workouts?|work ?outs?|working out|leg day|train\w*|exercis\w*|hik\w*|"
    r"marathon|cycl\w*|rides?|lift\w*|deadlift\w*|lunges?|class|session|football|soccer|"
    r"sports?|match|game|walk\w*|yoga|pilates|stair\w*|climb\w*|dancing|skiing|treadmill|"
    r"elliptical|spin|rowing|cardio|swim\w*|tennis|golf|boxing|crossfit|hiit|bootcamp|"
    r"circuits?|weights|cross ?trainer|peloton|zumba|spinning)\b",
    r"\b(?:tired|exhausted|fatigued|doms|leg day|worn out)\b",
)
_POSITIONAL = rx(
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
_FEELS_FINE = rx(
    r"\bcan (?:still )?feel (?:everything|touch|it|them|things|my \w+)(?: [\w']+){0,5}? "
    r"(?:fine|normally|ok|okay|properly|normal|just fine)\b",
    r"\bcan still feel (?:everything|touch|it|them)\b|\b(?:sensation|feeling) is (?:fine|normal|"
    r"ok)\b",
    r"\bfeel everything when i touch\b",
)
_CYCLING = rx(r"\b(?:bike|bicycle|cycl\w*|saddle sores?|spin class|spinning|peloton|ride|riding)\b")

# ---- crisis --------------------------------------------------------------------------

# What people take, by kind and by name, where a plan to take them all is a crisis.
_MEDICINES = (
    r"(?:pills|tablets|meds|medication|painkillers|sleeping pills|tramadol|codeine|co-?codamol|oxy\w*|"
    r"morphine|amitriptyline|gabapentin|pregabalin|diazepam|paracetamol|ibuprofen|naproxen|fentanyl|"
    r"zopiclone|sertraline)"
)

# "I hope I don't wake up stiff tomorrow" is about pain, not about dying.
_NOT_WAKE_UP_SORE = (
    r"(?! (?:stiff|sore|in pain|with|early|late|at|feeling|aching|hurting|in the night|during|"
    r"every|so|because|from|like))"
)

CRISIS_RULES: tuple[Rule, ...] = (
    Rule(
        "crisis:suicidal_ideation",
        rx(
            # "suicide sprints" / "suicide runs" are a conditioning drill.
            r"\bsuicid\w*\b(?! (?:sprints?|runs?|drills?|squats?|doors?|lines?|shuttles?|"
            r"burpees?|squad|grip|king|seat))",
            r"\b(?:kill|killing|killed|end|ending|off|offing|top|topping|murder) "
            r"(?:myself|my ?self)\b(?! (?:at|in|with|over|doing|trying|working|laughing|to get)\b)",
            r"\b(?:wanna|want to|gonna|going to|about to|should|might|i'll|ill|to)"
            r"(?: just| literally| actually| honestly| prob(?:ably)?)? kms\b",
            # Internet slang for suicide is unmistakable on its own ("kms fr", "unalive myself").
            r"\bkms\b(?! (?:race|run|ride|walk|away|from|to|of|in|on|per|a day))|\bk\.m\.s\b",
            r"\bunaliv\w*\b|\bsewer ?slide\b|\bself[- ]delet\w*\b|\bctb\b",
            r"\b(?:end|ending|take|taking) my (?:own )?life\b|\bend it all\b|\bending it all\b",
            r"\bend (?:it|things|everything) (?:now|tonight|today|here|for good|forever)\b",
            r"\b(?:want|wanna|wanted|wanting|ready|decided|planning|plan|going|gonna) to end "
            r"(?:it|things|everything)\b",
            r"\b(?:want|wanna|wanted|wanting|wish|wishing|ready|planning|plan|tempted|longing|"
            r"i'?d like) (?:to )?(?:just |simply |really |honestly )?(?:die|be dead|not be "
            r"(?:alive|here)|not exist|disappear forever)\b"
            r"(?! (?:of|from|with) (?:embarrassment|shame|laughing|laughter|boredom|cuteness))",
            # Asked to help someone die, or asking for it: "she wants me to help her die".
            r"\b(?:wants?|wanted|asked|asks|asking|begged|begging|beg|pleaded|pleading|(?:can|could|would|"
            r"will) (?:you|someone|anyone|somebody)) (?:me |us )?(?:to )?help (?:her|him|them|me|my \w+) "
            r"(?:to )?(?:die|end (?:it|her life|his life|my life|their life))\b",
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
            r"\b(?:don'?t|do not|dont|no longer) (?:really |honestly |even |actually |just )?(?:want|wanna|"
            r"wish) (?:to )?(?:be alive|exist|"
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
            # Asking how, or whether it would be quick: "quickest way to go", "would it be painless".
            r"\b(?:quickest|easiest|fastest|least painful|most painless|painless|surest|simplest) "
            r"(?:way|method) to (?:go|die|end it|do it|check out|not wake up)\b(?! (?:to|from|back|home|"
            r"about|through|up|down|out|for|on|in|with|into|over|the|a|my)\b)",
            r"\bwould (?:it|that|death|dying|i) (?:be|die) (?:quick|quickly|painless|peaceful|instant\w*)\b"
            r"(?! to\b)",
            # How long bleeding to death takes is a question about a method.
            r"\bhow (?:long|quick\w*|fast)\b[^.?!]{0,30}\b(?:bleed(?:ing)? out|bleed(?:ing)? to death)\b",
            # Not being around: "not sticking around", "don't see myself being around much longer".
            r"\b(?:i'?m|im|i am|i'?ll|ill|i will|i) (?:\w+ )?not (?:sticking|being|staying|gonna be|going to "
            r"be) around\b|\bthoughts? (?:about|of) not (?:sticking|being|staying) around\b",
            r"\b(?:don'?t|do not|can'?t|cannot) see myself (?:being )?(?:around|here|alive)\b",
            r"\blife insurance\b[^.?!]{0,60}\bif i (?:wasn'?t|weren'?t|was not|were not|died|was gone)\b",
            r"\bif i (?:got|get|was|were) (?:hit|run over|killed)\b[^.?!]{0,50}\b(?:wouldn'?t|would not|"
            r"won'?t) (?:mind|care)\b",
            r"\b(?:wouldn'?t|would not|won'?t) (?:mind|care)\b[^.?!]{0,10}\bif\b[^.?!]{0,30}\b(?:hit|killed|"
            r"ran over|run over|took) me\b",
        ),
        unless_before=rx(r"\b(?:nearly|almost|practically|basically|literally)\s*$"),
        report_only=False,
    ),
    Rule(
        "crisis:self_harm",
        rx(
            r"\bself[- ]?harm\w*|\bself[- ]?injur\w*|\bself[- ]?mutilat\w*",
            r"\bcutting (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin))\b"
            r"(?! (?:shaving|while|by accident|accidentally|on))",
            r"\bcut (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?)) "
            r"(?:on purpose|deliberately|again|to)\b",
            r"\b(?:been|started|start|keep|am|i'?m) cutting again\b",
            r"\b(?:want|wanna|urge|urges|tempted|thinking about|thoughts of|need) (?:to )?"
            r"(?:hurt\w*|harm\w*|cut\w*|burn\w*|punish\w*) (?:myself|my ?self)\b",
            r"\b(?:hurt|hurting|harm|harming|burn|burning|punch|punching|hit|hitting) myself "
            r"(?:on purpose|deliberately|to (?:feel|cope|distract|punish))",
            r"\bharm(?:ing)? myself\b",
            # Burning on purpose: with what people burn themselves with, not a kitchen accident.
            r"\b(?:burn(?:ed|t|ing|s)?|mark(?:ed|ing)?) (?:myself|my (?:arms?|wrists?|skin|legs?|thighs?|"
            r"hands?|stomach|belly|hips?))\b[^.?!]{0,25}\b(?:with|using) (?:a |the |my )?(?:lighters?|"
            r"cigarettes?|ciggies?|fags?|matches|match|hot (?:knife|spoon|metal|coin)|candles?)\b",
            r"\b(?:press\w*|hold|holding|held|put|putting|stub\w*) (?:a |the |my )?(?:hot |lit )?"
            r"(?:iron|lighter|cigarette|ciggie|fag|match|knife|spoon|hair straighteners|straighteners|"
            r"curling iron|candle)\b[^.?!]{0,20}\b(?:on|onto|against|to|into) my (?:arms?|wrists?|skin|"
            r"legs?|thighs?|hands?|stomach|belly|hips?)\b",
            # Hitting or scratching until it bleeds, or to feel another pain.
            r"\b(?:punch\w*|hit|hitting|bang\w*|scratch\w*|bit|bite|biting|pick\w*)\b[^.?!]{0,40}\b(?:until|"
            r"till|til) (?:my \w+ |they |it )?(?:split|bleed\w*|bled|bruis\w*|broke|break)\b",
            # Hitting oneself on purpose, hard enough to leave a mark ("hitting my own back with
            # my fist ... leaves bruises"), not a knock against a door.
            r"\b(?:punch\w*|hit|hits|hitting|bang\w*|slap\w*|smack\w*|thump\w*) (?:myself|my own \w+)\b"
            r"[^.?!]{0,40}\b(?:with (?:my|his|her|their) (?:fists?|hands?)|on purpose|deliberately)\b"
            r"[^.?!]{0,40}\b(?:bruis\w*|marks?|bleed\w*|bled|welts?)\b",
            r"\bi (?:wanted|want|needed|need) (?:it|myself) to hurt\b",
            r"\bso (?:that )?i (?:don'?t|do not|can'?t|won'?t) (?:have to )?feel (?:my|the) (?:back|pain)\b",
        ),
        unless=rx(
            r"\b(?:accident\w*|by mistake|while (?:ironing|cooking|baking)|ironing a|cooking|itch\w*|rash|"
            r"eczema|bites|hives|mosquito\w*|psoriasis|chickenpox)\b"
        ),
        report_only=False,
    ),
    Rule(
        # Preparations: getting affairs in order, or goodbyes, with the means at hand; and
        # thinking about it at a high place ("stand on the bridge and think how easy it would be").
        "crisis:preparations",
        rx(
            r"\b(?:put|putting|puts|got|getting|get|sort\w*) (?:all |everything |his |her |my |their )?"
            r"(?:affairs |things |stuff |papers |life )?in order\b",
            r"\b(?:said|saying|says|say|texted|sent|wrote|written) (?:his |her |their |my )?goodbyes?\b",
            r"\b(?:bridge|edge|cliff|roof|rooftop|ledge|platform|tracks|car park roof|multi-?stor(?:e)?y)\b"
            r"[^.?!]{0,80}\b(?:think\w*|thought|wonder\w*|imagin\w*|picture)\b[^.?!]{0,50}\b(?:how easy|"
            r"one step|just step|jump\w*|let go|no more pain|never come back|end (?:it|the pain))",
            # The means kept at hand, in passing: "looking at the shotgun more than I should".
            r"\b(?:guns?|rifles?|shotguns?|pistols?|rope|noose)\b[^.?!]{0,40}\b(?:more than i should|for if|"
            r"just in case|in case|if (?:it|this|neither|nothing) (?:works?|helps?|gets better|doesn'?t))",
            r"\b(?:platform edge|edge of the platform|edge of the tracks)\b[^.?!]{0,60}\b(?:train|lean\w*|"
            r"step\w*|jump\w*)\b",
        ),
        requires=(
            rx(
                r"\b(?:guns?|rifles?|shotguns?|pistols?|firearms?|rope|noose|pills|tablets|stash\w*|"
                r"stockpil\w*|bridge|edge|cliff|roof|rooftop|ledge|platform|tracks|no more pain|how easy|"
                r"one step|not answering|won'?t answer|isn'?t answering|can'?t reach)\b"
            ),
        ),
        report_only=False,
    ),
    Rule(
        "crisis:overdose",
        rx(
            r"\b(?:want|wanna|going|gonna|planning|plan|thinking about|think about|thought "
            r"about|tempted|considering|about|ready) (?:to )?(?:take (?:an? )?)?(?:overdos\w*|"
            r"od)\b",
            r"\boverdos\w* (?:on purpose|deliberately|intentionally)\b|\btook an overdose\b",
            r"\b(?:took|taken|swallowed|take|taking) (?:a bunch of|a load of|loads of|lots of|"
            r"too many|all (?:of )?my|a handful of|the whole)\b[^.?!]{0,30}\b(?:to (?:end it|die|"
            r"not wake up|kill myself|end my life|sleep forever)|on purpose)\b",
            # Saving up tablets for a purpose: "saved up about 40 of my co-codamol, just in case".
            r"\b(?:sav(?:e|ed|ing)|stockpil\w*|hoard\w*|stash\w*|collect\w*|kept|keeping) (?:up )?"
            r"(?:about |around |nearly |over )?(?:\d+ |all |loads |a lot )?(?:of )?(?:my |the |them |these )?"
            rf"{_MEDICINES}\b[^.?!]{{0,40}}\b(?:just in case|in case|all at once|at once|in one go|"
            r"when i'?m ready|"
            r"for when|if it never|if (?:this|it) (?:doesn'?t|never|gets worse))",
            rf"\bhow many (?:of )?(?:my |the |these |those )?{_MEDICINES}\b[^.?!]{{0,25}}\b"
            r"(?:it would take|would it take|it'?d take|it takes)\b",
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
            # "Enough" said of medicines with no purpose named is enough to die: "which of my
            # meds would be enough", not "is one tablet enough to help".
            rf"\b(?:which|what|how many|how much)\b[^.?!]{{0,25}}\b{_MEDICINES}\b[^.?!]{{0,20}}"
            r"\b(?:would|will|'?d|could) be enough\b"
            r"(?! (?:for|to (?:help|ease|relieve|sleep|work|last|take)))",
            r"\bhow (?:many|much)\b[^.?!]{0,50}?\b(?:would|will|could|does it take to|would it "
            r"take to) (?:kill|end) (?:me|myself|a person|someone|you)\b",
        ),
        report_only=False,
    ),
)

# Crisis phrases in other languages: a crisis must not be missed because it is not English.
CRISIS_FOREIGN = rx(
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
_STRESS_INCONTINENCE = rx(
    r"\b(?:when|if|while|whenever) (?:i )?(?:sneez\w*|cough\w*|laugh\w*|jump\w*|run|running|"
    r"lift\w*|exercis\w*|trampolin\w*)",
    r"\b(?:laugh\w*|sneez\w*|cough\w*)\b",
    r"\b(?:pregnan\w*|postpartum|post-partum|after (?:giving birth|birth|having (?:a |my )?"
    r"(?:baby|kids|children))|pelvic floor|stress incontinence|menopaus\w*|prostate)\b",
)
# The everyday causes of a category's symptoms. A red flag the classifier raises alone, on a
# message that names one ("numb after kneeling", "weak after leg day", "numb bum after a long
# ride", "leaks when I sneeze"), has to be sure: the embedding hears the symptom, not its cause.
BENIGN_CONTEXT: dict[Category, re.Pattern[str]] = {
    Category.NEURO_DEFICIT: rx(_POSITIONAL.pattern, _EXERTION.pattern),
    # Cycling as the cause ("after a long ride"), not a bike named to say where ("the area
    # that would touch a bike seat has gone numb").
    Category.CAUDA_EQUINA: rx(
        _AFTER + r"(?:cycl\w*|rides?|riding|bike|bicycle|spin\w*|peloton|saddle)\b",
        _STRESS_INCONTINENCE.pattern,
    ),
}

EMERGENCY_RULES: tuple[Rule, ...] = (
    Rule(
        "cauda_equina:bladder",
        rx(
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
    Rule(
        "cauda_equina:bladder",
        rx(
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
    Rule(
        "cauda_equina:bowel",
        rx(
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
        unless=rx(r"\b(?:scared|fright\w*|terrif\w*|laugh\w*)\b"),
    ),
    Rule(
        "cauda_equina:saddle_numbness",
        rx(
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
    Rule(
        "cauda_equina:saddle_numbness",
        rx(
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
        unless=rx(
            r"\b(?:sit\w*|sat|seat\w*|chair|bench|bleachers?|couch|sofa|toilet|drive|driving|"
            r"flight|car|long day|meetings?|lectures?|class|desk|office|cinema|movies?|films?|"
            r"concerts?|church|hours)\b",
            _CYCLING.pattern,
            _POSITIONAL.pattern,
        ),
        unless_anywhere=_FEELS_FINE,
    ),
    Rule(
        "cauda_equina:sexual_dysfunction",
        rx(
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
    Rule(
        "cauda_equina:bilateral_sciatica",
        rx(
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
        unless=rx(_EXERTION.pattern, _OLD.pattern, r"\bused to\b"),
    ),
    Rule(
        "cauda_equina:suspected",
        rx(
            r"\b(?:i|i'?m|i am|im)\b(?: [\w']+){0,5}? (?:have|got|getting|developing|having)\b"
            r"(?: [\w']+){0,2}? cauda equina\b",
        ),
        EMERGENCY,
        unless=rx(
            r"\b(?:do i|could i|might i|how (?:do|would|can|will) i (?:know|tell)|"
            r"had surgery|years ago|history of)\b"
        ),
    ),
    Rule(
        "neuro:foot_drop",
        rx(
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
        unless=rx(r"\b(?:dropped (?:a|the|something)|kerb|curb|rug|carpet|stairs)\b"),
    ),
    Rule(
        "neuro:leg_weakness",
        rx(
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
    Rule(
        "neuro:leg_numbness",
        rx(
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
        unless=rx(_POSITIONAL.pattern, _EXERTION.pattern),
        unless_anywhere=_FEELS_FINE,
    ),
    Rule(
        "trauma:major",
        rx(
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
        unless=rx(
            _OLD.pattern,
            r"\bno accident\b|\bdidn'?t (?:fall|crash)\b|\b(?:long[- ]term|chronic|ongoing)\b",
            # "back pain ever since my car accident" is a long story, unless it was today.
            r"\bsince (?:my|the|a|that) (?:\w+ )?(?:accident|crash|fall)\b(?![^.?!]{0,25}\b(?:"
            r"today|yesterday|this morning|last night|tonight|hours? ago|an hour))",
        ),
    ),
    Rule(
        "cardiac:chest_pain",
        rx(
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
        unless=rx(r"\bchest (?:muscles?|wall)\b|\bpec(?:s|toral\w*)?\b"),
    ),
    Rule(
        "cardiac:chest_pain",
        rx(
            r"\bchest (?:tightness|discomfort)\b|\bchest (?:is |feels |feeling |has been |'s )"
            r"(?:really |very |so |quite |a bit |kind of )?tight\b",
            r"\b(?:tight|tightness|discomfort)\b(?: \w+){0,2}? (?:in|across|on|around) "
            r"(?:my |the )?chest\b",
            r"\b(?:pain|ache|pressure|tightness)\b[^.?!;]{0,30}?\b(?:spread\w*|radiat\w*|going|"
            r"goin|goes|shoot\w*|mov\w*|travel+\w*|up|down|into)\b[^.?!;]{0,40}?\b(?:(?:my )?left "
            r"arm|arm|jaw)\b",
        ),
        EMERGENCY,
        requires=(
            rx(
                r"\b(?:chest|heart|sweat\w*|breath\w*|jaw|left arm|nause\w*|sick|"
                r"dizz\w*|faint\w*|clammy)\b"
            ),
        ),
        # A tight chest from hunching at a desk is posture; stretches are the answer.
        unless=rx(
            r"\b(?:stretch\w*|pecs?|pectoral\w*|posture|hunch\w*|slouch\w*|muscles?|opener|"
            r"opening|open|push[- ]?ups?|bench press|workout|gym|backbends?|camel)\b"
        ),
    ),
    Rule(
        # Jaw and left-arm pain together (with back pain) is a heart attack pattern too.
        "cardiac:chest_pain",
        rx(r"\bjaw\b[^.?!]{0,40}\bleft arm\b|\bleft arm\b[^.?!]{0,40}\bjaw\b"),
        EMERGENCY,
        requires=(_PAIN,),
    ),
    Rule(
        "vascular:tearing_pain",
        rx(r"\b(?:tearing|ripping|tear-like|rip-like)\b"),
        EMERGENCY,
        requires=(
            rx(r"\b(?:sudden\w*|severe|worst|excruciating|out of nowhere)\b"),
            rx(r"\b(?:chest|shoulder ?blades|upper back|abdomen|tummy|stomach|belly)\b"),
        ),
    ),
    Rule(
        "breathing_difficulty",
        rx(
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
_AFTER_PROCEDURE = rx(
    rf"\b(?:after|since|following|post|post-op|from|had|have had|'ve had|ve had|got|getting|"
    rf"received|having)\b(?: [\w']+){{0,4}}? {_PROCEDURE}\b",
    r"\b(?:after|since|following) (?:my |the |an |a |this |that )?(?:\w+ )?(?:injection|"
    r"surgery|operation|op)\b",
    # "back surgery 2 weeks ago, now ...": a recent procedure named with its date.
    rf"\b{_PROCEDURE}\b(?: [\w']+){{0,3}}? (?:ago|yesterday|last (?:week|month|night|\w+day)|"
    r"this (?:week|morning)|recently|earlier)\b",
)
_POSTOP_WARNING = rx(
    r"\b(?:worse|worsening|getting worse|increas\w*|fever\w*|feverish|temp\w*|chills|swell\w*|"
    r"swollen|red|redness|hot|warm|leak\w*|discharg\w*|pus|ooz\w*|weep\w*|fluid|numb\w*|"
    r"weak\w*|tingl\w*|headaches?|infect\w*|severe|unbearable|agony|excruciating|killing me|"
    r"terrible|awful|intense|really (?:bad|painful|sore))\b",
)
# Signs of a fever other than a number.
FEVER_SIGNS = rx(
    r"\b(?:fever\w*|fevre|feaver|feverish|chills|shivers|shivering|shivery|rigou?rs|night sweats?|"
    r"sweating at night|sweats at night|sweaty at night|drenched in sweat|soaked in sweat|"
    r"burning up|hot and cold|cold sweats?)\b",
)
_FEVER = rx(
    r"\b(?:fever\w*|fevre|feaver|feverish|high (?:temp\w*|temprature)|(?:a|running a|got a|"
    r"have a|with a|had a|slight|mild) (?:temp|temperature|temprature)\b)",
    # A stated temperature counts when it is a fever: 38 C and above, or 100 F and above.
    r"\btemp(?:erature)? (?:of|is|was|at|around|about|over|above|reading|reads) "
    r"(?:(?:3[89]|4[0-2]|10[0-5])(?!\d)|a hundred)",
    r"\b(?:3[89]|4[01])(?:[.,]\d)? ?(?:°|degrees|deg)? ?c\b|\b(?:3[89]|4[01])(?:[.,]\d)? ?"
    r"(?:°|degrees)|\b10[0-5](?:\.\d)? ?(?:°|degrees|deg|f\b)",
    FEVER_SIGNS.pattern,
)
# Weaker than a fever: "I feel hot" also follows a hot bath or a workout.
_FEEL_HOT = rx(r"\bfeel(?:ing|s)? (?:really |very |so )?(?:hot|shivery|clammy)\b")
_CANCER = (
    r"(?:cancer|tumou?rs?|lymphoma|leuka?emia|myeloma|melanoma|sarcoma|carcinoma|"
    r"malignan\w*|metasta\w*|oncolog\w*)"
)
_OTHER_PERSON = rx(
    r"\b(?:mum|mom|mother|dad|father|wife|husband|partner|friend|sister|brother|aunt|uncle|"
    r"gran\w*|son|daughter|family|relative|cousin|dog|cat|colleague|boss|neighbou?r|he|she|"
    r"they|someone|somebody|people|patients?)\b",
)
_UNSURE = rx(
    r"\b(?:if|whether|do|does|could|might|may|scared|afraid|worried|worry|fear\w*|think|"
    r"wonder\w*|signs? of|caused by|mean|means|rule out|ruled out|test(?:ed)? for|"
    r"check(?:ed)? for|be|risk of)\b",
)
_NIGHT_OR_REST = rx(
    r"\b(?:at night|night ?time|nights?|when (?:i'?m |i am )?(?:lying|resting|in bed|asleep|"
    r"sleeping)|at rest|even (?:when|while) (?:lying|resting|sleeping)|lying down|in bed)\b"
)

INTENTIONAL_WEIGHT_LOSS = rx(
    r"(?<!not )(?<!n't )(?<!nt )\b(?:trying to lose|want to lose|need to lose|should i lose|"
    r"calorie\w*|ozempic|wegovy|"
    r"mounjaro|semaglutide|tirzepatide|bariatric|gastric (?:band|sleeve|bypass)|helped my back|"
    r"to help my back|slimming|fasting)\b",
    r"\bweight ?loss (?:programme|program|plan|journey|goals?|surgery|jabs?|injections?|drugs?|"
    r"medication|tips|app|group|club|class)\b",
    r"(?<!not )(?<!without )(?<!n't been )(?<!not been )(?<!nt been )\b(?:dieting|on a diet)\b",
)

URGENT_RULES: tuple[Rule, ...] = (
    Rule(
        "fever_with_back_pain",
        _FEVER,
        URGENT,
        requires=(_BACK,),
        unless=rx(
            r"\bchills? (?:down|up) my spine\b|\bgives? me (?:the )?chills\b",
            # A fever that has already gone.
            r"\b(?:fever|temp\w*|chills)\b[^.?!]{0,25}\b(?:gone|went away|cleared|passed|broke|"
            r"resolved|over|back to normal|normal now)\b",
            r"\b(?:heat (?:pad|pack|patch)|heating pad|hot water bottle|bath|shower|sauna|"
            r"hot tub|deep heat|heat rub|weather|summer|heatwave)\b",
        ),
    ),
    Rule(
        "fever_with_back_pain",
        _FEEL_HOT,
        URGENT,
        requires=(_BACK,),
        unless=rx(
            _EXERTION.pattern,
            r"\b(?:heat (?:pad|pack|patch)|heating pad|hot water bottle|bath|shower|sauna|"
            r"hot tub|deep heat|heat rub|weather|summer|heatwave|hot yoga|sweaty|menopaus\w*|"
            r"hot flush\w*|hot flash\w*)\b",
        ),
    ),
    Rule(
        "post_procedure",
        _AFTER_PROCEDURE,
        URGENT,
        requires=(_POSTOP_WARNING,),
        unless=_OLD,
    ),
    Rule(
        "post_procedure",
        _AFTER_PROCEDURE,
        URGENT,
        requires=(_PAIN,),
        # Mild soreness that is settling, or an injection that helped, is expected.
        unless=rx(
            _OLD.pattern,
            r"\b(?:helped|helping|better|improv\w*|relie\w*|worked|working|eased|healing|"
            r"recovering|a bit sore|slightly sore|a little sore|mild\w*|normal)\b",
        ),
    ),
    Rule(
        "cancer_history_with_back_pain",
        rx(
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
        # A cancer treated and "all clear" is still a history of cancer; one ruled out is not.
        unless=rx(r"\bfamily history\b|\b(?:came back (?:clear|negative)|ruled out|scare)\b"),
        unless_before=rx(_OTHER_PERSON.pattern, _UNSURE.pattern),
        resolvable=False,
    ),
    Rule(
        "weight_loss_with_back_pain",
        rx(
            r"\b(?:lost|losing|lose|dropped|dropping|shed|shedding)\b(?: [\w'.]+){0,4}? "
            r"(?:\d+(?:[.,]\d+)? ?)?(?:weight|kgs?|kilos?|lbs?|pounds|stones?|st)\b",
            r"\bunexplained weight\b",
            r"\b(?:clothes|trousers|jeans|pants|belt) (?:are |is |have |has )?(?:got(?:ten)? |"
            r"been |getting )?(?:loose|looser|falling off|baggy)\b",
        ),
        URGENT,
        requires=(
            _BACK,
            rx(
                r"\b(?:without (?:trying|dieting|meaning to|a reason|any reason|changing|doing "
                r"anything|even trying)|not (?:trying|dieting|on a diet|even trying)|(?:haven'?t|"
                r"have not|didn'?t|did not) (?:been )?(?:trying|dieting|changed|change)|"
                r"unexplain\w*|unintention\w*|unintended|for no (?:apparent |obvious )?reason|"
                r"no idea why|(?:don'?t|do not) know why|can'?t explain|no reason|mysterious\w*|"
                r"out of nowhere|randomly)\b"
            ),
        ),
        unless=INTENTIONAL_WEIGHT_LOSS,
    ),
    Rule(
        # "weight loss and back pain": the noun, listed as a symptom, needs no "unexplained".
        "weight_loss_with_back_pain",
        rx(r"\bweight ?loss\b"),
        URGENT,
        requires=(_BACK,),
        unless=rx(INTENTIONAL_WEIGHT_LOSS.pattern, r"\b(?:help|helps|helped|good for|lose)\b"),
    ),
    Rule(
        "infection_risk:iv_drug_use",
        rx(
            r"\b(?:iv|intravenous|injecting|injectable) drugs?\b|\binject(?:ing|s|ed)? (?:drugs|"
            r"heroin|meth\w*|crack|speed|steroids)\b|\bheroin\b|"
            # "Shoot up" is drug slang only beside a drug: "my hips shoot up first" is a lift.
            r"\bshoot(?:ing)? up\b(?=[^.?!]{0,40}\b(?:drugs?|heroin|gear|smack|meth|dope)\b)|"
            r"\b(?:drugs?|heroin|gear|smack|meth|dope)\b[^.?!]{0,40}\bshoot(?:ing)? up\b|"
            r"\b(?:drug|needle) (?:user|use)\b|\b(?:use|using|used|share|sharing|shared) needles\b",
        ),
        URGENT,
        requires=(_BACK,),
        unless_before=_OTHER_PERSON,
    ),
    Rule(
        "infection_risk:immunosuppression",
        rx(
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
    Rule(
        # A fall or a knock at an advanced age can break a hip or a vertebra: "dad 79 fell in
        # the garden, back really hurts", "gran took a tumble, sore hip".
        "fracture_risk:fall_in_older_person",
        rx(
            r"\b(?:fell|fallen|falling)\b(?! (?:asleep|apart|for|in love|behind|ill|sick|pregnant|"
            r"out with|through))",
            r"\b(?:had|has|took|taken|had taken) (?:a |another )?(?:\w+ )?(?:fall|tumble|spill)\b",
            r"\b(?:tumbled|slipped|tripped|stumbled|keeled over|collapsed)\b",
        ),
        URGENT,
        requires=(_OLDER_PERSON, _INJURY),
        # Long ago, or at a younger age: "fell off my bike at 8 years old, now 70".
        unless=rx(_OLD.pattern, r"\bat (?:the age of |age )?(?:[1-9]|[1-5]\d)(?: ?(?:years? old|yo))?\b"),
    ),
    Rule(
        "fracture_risk:osteoporosis_or_steroids",
        rx(
            r"\b(?:osteoporo\w*|osteopeni\w*|brittle bones|thin(?:ning)? bones|low bone density|"
            r"weak bones)\b",
            r"\b(?:long[- ]term|years of|long term use of|been on|on) (?:oral )?(?:steroids|"
            r"prednisone|prednisolone|corticosteroids|cortisone|steroid tablets)\b",
        ),
        URGENT,
        requires=(
            _BACK,
            rx(
                r"\b(?:fell|fall|falls|fallen|falling|slipped|slip|tripped|trip|stumbled|bumped|"
                r"knocked|sat down (?:hard|heavily)|landed|cough\w*|sneez\w*|lift\w*|twist\w*|"
                r"bent|bending|sudden\w*|out of nowhere|all of a sudden)\b"
            ),
        ),
    ),
    Rule(
        "night_pain:unremitting",
        rx(
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
    Rule(
        "night_pain:unremitting",
        rx(
            r"\b(?:constant|unrelenting|relentless|non-?stop|never stops|doesn'?t stop|does not "
            r"stop|unremitting|24/7|day and night|night and day|all day and all night)\b",
        ),
        URGENT,
        requires=(_PAIN, _NIGHT_OR_REST),
        negatable=False,
    ),
)

RED_FLAG_RULES = EMERGENCY_RULES + URGENT_RULES
