"""Text as triage reads it: one normal form, and key terms with their typos repaired.

The normal form (``fold``) and one-letter deletions are the shared text toolkit's
(``limber.text``); what is triage's own is here: the key terms, the real words near them,
how a typo of a key term is told (one edit from exactly one term), the regex helpers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from limber.text import deletions
from limber.text import fold as normalise  # the name bot/triage/__init__.py imports

__all__ = ["normalise", "repair_typos", "rx", "words"]


def rx(*parts: str) -> re.Pattern[str]:
    """One compiled alternation of the given regex parts."""
    return re.compile("|".join(f"(?:{p})" for p in parts))


def words(text: str) -> frozenset[str]:
    """A vocabulary written as one space-separated string (easier to read and extend)."""
    return frozenset(text.split())


# ---- typo repair ------------------------------------------------------------------------
# Users misspell exactly the words the rules key on ("blader", "suicde", "givin way",
# "crahs"). A word one edit away (a letter missing, extra, wrong or two letters swapped)
# from one of these targets is read as the target, unless it is a real word itself.
_TYPO_TARGETS = words(
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
_SHORT_TARGETS = words("numb weak kill pain legs feel foot feet pills chemo")
_TYPO_EXTRA = {"kil": "kill", "kll": "kill", "pee'd": "peed"}
# Real words one edit away from a target (from the MedQuAD vocabulary plus everyday words):
# never "corrected", so "fell off a ladder" stays a ladder and "never" never becomes "fever".
_REAL_NEIGHBOURS = words(
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
        for variant in deletions(target):
            index[variant] = target if index.get(variant, target) == target else None
    return index


_TARGET_BY_DELETION = _deletion_index()
_SWAPPED_SHORT = {
    t[:i] + t[i + 1] + t[i] + t[i + 2 :]: t
    for t in _SHORT_TARGETS
    for i in range(len(t) - 1)
    if t[i] != t[i + 1]
}


_LONGEST_REPAIRED = 24  # longer than any key term and its typo: a 1 MB "word" costs nothing


@lru_cache(maxsize=8192)
def _repair_word(word: str) -> str:
    """The target that ``word`` misspells by one edit, else ``word`` unchanged."""
    if word in _TYPO_EXTRA:
        return _TYPO_EXTRA[word]
    if word in _SWAPPED_SHORT:
        return _SWAPPED_SHORT[word]
    if len(word) < 5 or len(word) > _LONGEST_REPAIRED or word in _TYPO_TARGETS or word in _REAL_NEIGHBOURS:
        return word
    found: set[str] = set()
    if missing := _TARGET_BY_DELETION.get(word):  # a letter missing: "blader"
        found.add(missing)
    for variant in deletions(word):
        if variant in _TYPO_TARGETS:  # a letter too many: "controll"
            found.add(variant)
        target = _TARGET_BY_DELETION.get(variant)
        if target and len(target) == len(word) and _one_substitution_or_swap(word, target):
            found.add(target)  # a letter wrong or two swapped: "crahs"
    # Two candidate targets: too ambiguous to guess.
    return found.pop() if len(found) == 1 else word


def repair_typos(text: str) -> str:
    """``text`` with each misspelt key term replaced by the term itself."""
    return re.sub(r"[a-z]+(?:'d)?", lambda m: _repair_word(m.group()), text)
