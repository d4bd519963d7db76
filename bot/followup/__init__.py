"""Follow-up questions: does a message lean on the conversation, and what does it ask?

``looks_dependent`` reads the message's form: a pronoun or "the other one" pointing back,
an opening "and"/"what about", or a bare question fragment ("how long?"). Form alone
misses half of real follow-ups ("reps?", "arching back ok?", "how's it usually treated?"),
so the decision is learnt: a logistic regression over the message's embedding, its form
and how well it retrieves alone (``DependenceModel``), trained on conversation turns
labelled by people who never saw the code (``data/turns.jsonl``) by
``scripts/train_answers.py``. The pipeline combines it with evidence: a message that is
not dependent and retrieves well on its own is a new topic; otherwise it is searched
together with the previous question, and used that way when the context helps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.answerability import AnswerabilityModel, load_answerability
from bot.linear import LinearModel, read_model_file

__all__ = [
    "ANSWER_CHECK_PATH",
    "CONVERSATIONS_PATH",
    "MODEL_PATH",
    "TURNS_PATH",
    "DependenceModel",
    "Resolution",
    "announces_new_topic",
    "dependence_features",
    "load_answer_check",
    "load_dependence",
    "looks_dependent",
]

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.json"
TURNS_PATH = HERE / "data" / "turns.jsonl"
# The answer check: does the passage a follow-up is answered from say what it asks? ("is it
# ok if I'm pregnant?" after cat-cow finds cat-cow again, which says nothing of pregnancy.)
# An answerability model (bot.answerability: the follow-up's embedding and that passage's
# scores for it alone), learnt from conversations people wrote (``data/conversations.jsonl``).
ANSWER_CHECK_PATH = HERE / "answer_check.json"
CONVERSATIONS_PATH = HERE / "data" / "conversations.jsonl"
FORMAT = 1
RETRAIN = "retrain with: python scripts/train_answers.py"
_FORM_SCALE = 4.0  # the three form and evidence numbers weigh like the embedding's coordinates
_LONG_MESSAGE = 20  # words: longer messages count as this long


@dataclass(frozen=True)
class Resolution:
    """How a message in a conversation was searched."""

    follow_up: bool
    query: str  # what was searched for: the message, or the context plus the message


_POINTS_BACK = re.compile(
    r"\b(?:it|its|it's|that|this|those|these|them|they|there|one|ones|the other|other side|"
    r"he|she|him|her|his|hers|"
    r"same|also|too|instead|else|another|again|the stretch|the exercise|the pose|the move|"
    r"the movement|the position|the muscles?)\b"
)
_OPENS_ON_CONTEXT = re.compile(
    r"^\W*(?:and|but|so|also|or|then|what about|how about|what if|and if|ok so|okay so|"
    r"same for|any other|anything else|more)\b"
)
# A closing "then" carries on from the last answer: "what happens to my hips over time then?"
_CLOSES_ON_CONTEXT = re.compile(r"\bthen\W*$")
_FRAGMENT = re.compile(
    r"^\W*(?:how (?:long|many|often|much|far|soon)|why|when|where|which|for how long|"
    r"is (?:it|that) (?:safe|ok|okay|normal|bad)|can i|should i|do i|what else)\b"
)
_FRAGMENT_WORDS = 6  # a wh-fragment longer than this usually names its own topic
# A message that says it changes the subject stands on its own, whatever its pronouns:
# "New question: does massage help loosen them?", "Unrelated, but ...", "Something else: ...".
_ANNOUNCES_NEW_TOPIC = re.compile(
    r"^\W*(?:ok(?:ay)?\W+|also\W+|and\W+)?(?:(?:a|one|my)\s+)?"
    r"(?:(?:totally|completely|slightly|something)\s+)?"
    r"(?:(?:new|different|separate|unrelated|other|another|random|diff)\s+(?:question|topic|thing|subject|q)\b"
    r"|unrelated\b|off[- ]topic\b|(?:something (?:else|different)|different)\b(?=\s*[:,-])"
    r"|switching (?:topics?|gears|subjects?)\b|chang(?:e|ing) (?:of |the )?(?:subject|topic)\b"
    r"|on (?:an?\s+)?(?:other|another|different|unrelated|separate) (?:note|topic)\b)"
)


def announces_new_topic(text: str) -> bool:
    """The message opens by saying it asks about something else (``text`` is normalised)."""
    return bool(_ANNOUNCES_NEW_TOPIC.search(text.lower()))


def looks_dependent(text: str) -> bool:
    """The message's form says it continues the conversation (``text`` is normalised)."""
    lowered = text.lower()
    if announces_new_topic(lowered):
        return False
    if _OPENS_ON_CONTEXT.search(lowered) or _CLOSES_ON_CONTEXT.search(lowered):
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


def dependence_features(text: str, vector: np.ndarray, alone_best: float) -> np.ndarray:
    """The model's input: form (pointing back, length), the best score alone, the embedding."""
    words = min(len(text.split()), _LONG_MESSAGE) / _LONG_MESSAGE
    form = np.array([float(looks_dependent(text)), words, alone_best], dtype=np.float32)
    return np.concatenate([_FORM_SCALE * form, vector.astype(np.float32)])


@dataclass(frozen=True)
class DependenceModel:
    """Does a message continue the conversation? (a follow-up, not a new topic)"""

    model: LinearModel

    def probability(self, text: str, vector: np.ndarray, alone_best: float) -> float:
        return self.model.probability(dependence_features(text, vector, alone_best))

    def follows(self, text: str, vector: np.ndarray, alone_best: float) -> bool:
        return self.probability(text, vector, alone_best) >= self.model.threshold

    def to_json(self, *, model_name: str, digest: str) -> str:
        return self.model.file_text(format=FORMAT, embedding_model=model_name, turns_sha256=digest)


def load_answer_check(path: Path = ANSWER_CHECK_PATH) -> AnswerabilityModel | None:
    """The shipped answer check, or None when there is none (then coverage and score decide)."""
    return load_answerability(path)


@lru_cache(maxsize=4)
def load_dependence(path: Path = MODEL_PATH) -> DependenceModel | None:
    """The shipped model, or None when there is none (then the form decides alone)."""
    model: DependenceModel | None = read_model_file(
        path, FORMAT, RETRAIN, lambda data: DependenceModel(LinearModel.from_dict(data))
    )
    return model
