"""Someone else's symptoms: "my dad can't feel his legs" is read as "i can't feel my legs".

The rules were written for first-person reports. When a message is only about another
person (a parent, a child, a partner, a patient; "he", "she", "they"), triage also reads a
copy in the first person, so every rule applies whoever the symptoms belong to. A message
that also speaks of the writer ("my mum had cancer and my back hurts") is left as it is:
there the other person's history is not the writer's.
"""

from __future__ import annotations

import re

__all__ = ["about_someone_else", "as_first_person"]

_RELATION = (
    r"(?:mum|mom|mommy|mummy|mother|mam|ma|dad|daddy|father|papa|pa|parents?|wife|husband|hubby|"
    r"partner|spouse|boyfriend|girlfriend|bf|gf|fianc[eé]e?|son|daughter|kid|kids|child|"
    r"children|baby|toddler|boy|girl|teen|teenager|brother|bro|sister|sis|sibling|aunt|auntie|"
    r"uncle|cousin|nephew|niece|gran|granny|grandma|grandmother|nan|nana|nanna|grandad|"
    r"granddad|grandpa|grandfather|grandparent|grandson|granddaughter|friend|mate|buddy|"
    r"flatmate|roommate|housemate|neighbou?r|colleague|coworker|co-worker|boss|client|patient|"
    r"resident|carer|father-in-law|mother-in-law|in-law|step-?dad|step-?mum|step-?mom|"
    r"step-?son|step-?daughter|old man|old lady|other half|missus|missis|wifey)"
)
# "my dad", "my 89 year old grandad", "our son": the other person as the subject.
_RELATION_PHRASE = re.compile(
    rf"\b(?:my|our|me)\s+(?:(?:\w+[- ]?(?:year|yr)s?[- ]?old|little|elderly|old|older|"
    rf"younger|eldest|oldest|youngest|best|teenage|baby|\d+\s*(?:yo|y/o|yrs?|years?)?)\s+)*"
    rf"{_RELATION}\b(?:\s*\(\s*\d+\s*\))?(?:'s)?"
)
_THIRD_PERSON = re.compile(r"\b(?:he|she|they|he's|she's|they're|hes|shes|theyre|his|her|him|them|their)\b")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself)\b")

# Third person -> first person, longest forms first; verbs agree where the rules care.
_SWAPS = (
    (r"\b(?:he|she|they) (?:is|are|'s)\b", "i am"),
    (r"\b(?:he's|she's|hes|shes|they're|theyre)\b", "i'm"),
    (r"\b(?:he|she|they) (?:has|have)\b", "i have"),
    (r"\b(?:he|she|they) (?:was|were)\b", "i was"),
    (r"\b(?:he|she|they) (?:doesn't|doesnt|don't|dont)\b", "i don't"),
    (r"\b(?:he|she|they) (?:does|do)\b", "i do"),
    (r"\b(?:he|she|they) (?:hasn't|hasnt|haven't|havent)\b", "i haven't"),
    (r"\b(?:he|she|they) (?:isn't|isnt|aren't|arent)\b", "i'm not"),
    (r"\b(?:himself|herself|themselves|themself)\b", "myself"),
    (r"\b(?:he|she|they)\b", "i"),
    (r"\b(?:his|their)\b", "my"),
    (r"\b(?:him|them)\b", "me"),
    # "her" is "my" before a noun and "me" after a verb; "my" suits the rules' patterns best.
    (r"\bher\b", "my"),
)
_SWAP_PATTERNS = tuple((re.compile(p), r) for p, r in _SWAPS)


def about_someone_else(text: str) -> bool:
    """The message speaks of another person's body and not of the writer's own.

    ``text`` is normalised (lowercase, straight quotes).
    """
    without_relations = _RELATION_PHRASE.sub(" someone ", text)
    mentions_other = without_relations != text or bool(_THIRD_PERSON.search(text))
    return mentions_other and not _FIRST_PERSON.search(without_relations)


def as_first_person(text: str) -> str:
    """``text`` retold in the first person (for messages ``about_someone_else``)."""
    text = _RELATION_PHRASE.sub(lambda m: "my" if m.group().endswith("'s") else "i", text)
    for pattern, replacement in _SWAP_PATTERNS:
        text = pattern.sub(replacement, text)
    # "i has", "i feels": third-person verbs left behind by a subject swap.
    text = re.sub(r"\bi (has|does|is)\b", lambda m: _IRREGULAR[m.group(1)], text)
    return _VERB_S.sub(lambda m: m.group() if m.group(1) in _NOT_VERBS else f"i {m.group(1)}", text)


_IRREGULAR = {"has": "i have", "does": "i do", "is": "i am"}
_VERB_S = re.compile(r"\bi ([a-z]{2,}[^s'])s\b")
_NOT_VERBS = frozenset({"alway", "sometime", "perhap", "nevertheles", "nowaday"})
