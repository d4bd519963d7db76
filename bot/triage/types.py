"""The closed sets and the typed result of triage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Category", "Source", "Triage", "TriageKind", "Urgency", "category_of_reason"]


class TriageKind(StrEnum):
    """Why a message bypasses (or is answered before) retrieval."""

    CRISIS = "crisis"  # thoughts of suicide or self-harm
    RED_FLAG = "red_flag"  # symptoms needing urgent care
    GREETING = "greeting"  # hello: the whole message is a greeting
    ACKNOWLEDGEMENT = "acknowledgement"  # thanks, ok, cool, bye: a short reply is enough
    HELP = "help"  # a question about the bot itself
    DOSE = "dose"  # asks for a medication dose, amount or frequency
    NOT_ENGLISH = "not_english"  # mostly another language or script


class Urgency(StrEnum):
    EMERGENCY = "emergency"  # call the emergency number or go to the emergency department now
    URGENT = "urgent"  # see a doctor today


class Category(StrEnum):
    """What a red flag is about; the category chooses the urgency and the message."""

    CAUDA_EQUINA = "cauda_equina"
    NEURO_DEFICIT = "neuro_deficit"
    INFECTION = "infection"
    FRACTURE = "fracture"
    MAJOR_TRAUMA = "major_trauma"
    CANCER = "cancer"
    VASCULAR = "vascular"
    CARDIAC = "cardiac"
    CRISIS = "crisis"

    @property
    def urgency(self) -> Urgency | None:
        if self is Category.CRISIS:
            return None
        if self in (Category.INFECTION, Category.CANCER):
            return Urgency.URGENT
        return Urgency.EMERGENCY


class Source(StrEnum):
    """Which half of triage decided: the precise rules, the classifier, or both."""

    RULE = "rule"
    CLASSIFIER = "classifier"
    BOTH = "both"


# A rule's reason starts with one of these; the rest names the symptom.
_CATEGORY_OF_PREFIX = {
    "cauda_equina": Category.CAUDA_EQUINA,
    "neuro": Category.NEURO_DEFICIT,
    "trauma": Category.MAJOR_TRAUMA,
    "cardiac": Category.CARDIAC,
    "breathing_difficulty": Category.CARDIAC,
    "vascular": Category.VASCULAR,
    "fever_with_back_pain": Category.INFECTION,
    "post_procedure": Category.INFECTION,
    "infection_risk": Category.INFECTION,
    "cancer_history_with_back_pain": Category.CANCER,
    "weight_loss_with_back_pain": Category.CANCER,
    "night_pain": Category.CANCER,
    "fracture_risk": Category.FRACTURE,
    "crisis": Category.CRISIS,
}


def category_of_reason(reason: str) -> Category | None:
    """The category a rule's reason belongs to (``"neuro:foot_drop"`` -> NEURO_DEFICIT)."""
    prefix = reason.split(":", 1)[0]
    if prefix in Category.__members__.values():
        return Category(prefix)
    return _CATEGORY_OF_PREFIX.get(prefix)


@dataclass(frozen=True)
class Triage:
    """The triage decision for one message.

    ``reason`` is short and machine-ish (``"cauda_equina:bladder"``, or the category when
    only the classifier spoke); ``urgency`` is set for RED_FLAG only. ``confidence`` is the
    classifier's probability for the decision, when it was consulted.
    """

    kind: TriageKind
    reason: str
    urgency: Urgency | None = None
    category: Category | None = None
    source: Source = Source.RULE
    about_someone_else: bool = False
    confidence: float | None = None
