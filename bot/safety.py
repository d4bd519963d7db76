"""Medical safety: the one disclaimer text, and triage of questions before retrieval."""

from __future__ import annotations

__all__ = ["DISCLAIMER"]

DISCLAIMER = (
    "⚕️ Limber shares general information from its documents. It is not medical advice, "
    "a diagnosis or a treatment plan. If you are worried about your symptoms, see a "
    "doctor or physiotherapist; in an emergency, call your local emergency number."
)
