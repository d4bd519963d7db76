"""User-facing texts of the core that every reply path shares: the disclaimer, short replies."""

from __future__ import annotations

__all__ = ["BUSY", "DISCLAIMER", "FORGOT_CONVERSATION", "acknowledgement_text"]

# One sentence, short enough not to crowd the answer (at most 140 characters), on every reply.
DISCLAIMER = (
    "⚕️ General information from my documents, not medical advice: "
    "in an emergency, call your local emergency number."
)

# The one notice a user gets when their chat already has as many questions waiting as it may.
BUSY = "I'm busy with the questions already asked in this chat. Please ask again shortly."

FORGOT_CONVERSATION = "Done: I've forgotten our conversation, so your next message starts afresh."

_ACKNOWLEDGEMENTS = {
    "greeting:thanks": "You're welcome! Ask me another question whenever you like.",
    "greeting:farewell": "Take care! I'm here whenever you have another question.",
}
_ACKNOWLEDGEMENT_DEFAULT = "👍 Ask me another question whenever you like."


def acknowledgement_text(reason: str) -> str:
    """The short reply to "thanks", "ok", "cool" or "bye" (triage's ``reason``)."""
    return _ACKNOWLEDGEMENTS.get(reason, _ACKNOWLEDGEMENT_DEFAULT)
