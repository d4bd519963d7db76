"""Every text a user reads that is not a passage of the documents, each once, in one place.

Replies that are messages of their own come as blocks that already end with the
disclaimer: ``reply`` is the one place that appends it, and no renderer adds it.
Short notices that are not messages (the toast a button tap shows) are strings.

Care instructions are triage's (``bot/triage/messages.py``): each category's text
lives with the category.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.answer import AnswerKind, Block, Span

__all__ = [
    "ANSWER_OUT_OF_DATE",
    "BUSY",
    "BUTTON_NO_LONGER_WORKS",
    "BUTTON_OUT_OF_DATE",
    "CONSOLE_HINT",
    "DISCLAIMER",
    "EMPTY_QUESTION",
    "EXAMPLE_QUESTIONS",
    "FORGOT_CONVERSATION",
    "NO_MORE_PASSAGES",
    "OFFER_TITLES",
    "QUESTION_GONE",
    "RELATED_AFTER_CARE",
    "TAPPING_TOO_FAST",
    "TOPICS",
    "about",
    "acknowledgement_text",
    "apology",
    "busy",
    "disclaimer_block",
    "dose_refusal",
    "examples_block",
    "forgotten",
    "greeting",
    "help_text",
    "more_hint",
    "no_answer",
    "not_english",
    "only_text",
    "passage_heading",
    "privacy",
    "question_help",
    "rate_limited",
    "reply",
    "source",
    "topics_block",
    "unknown_command",
    "vote_noted",
    "welcome",
]

# One sentence, short enough not to crowd the answer (at most 140 characters), on every reply.
DISCLAIMER = (
    "⚕️ General information from my documents, not medical advice: "
    "in an emergency, call your local emergency number."
)

MEDQUAD_ATTRIBUTION = "MedQuAD, Ben Abacha & Demner-Fushman 2019, CC BY 4.0"
MEDQUAD_URL = "https://github.com/abachaa/MedQuAD"


def disclaimer_block() -> Block:
    """The disclaimer as the closing block of a reply."""
    return Block((Span(DISCLAIMER, italic=True),))


def reply(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """``blocks`` as a reply of their own: the disclaimer appended (the one place that does)."""
    return (*blocks, disclaimer_block())


# -- short replies of the answer pipeline ------------------------------------------------------

FORGOT_CONVERSATION = "Done: I've forgotten our conversation, so your next message starts afresh."

_ACKNOWLEDGEMENTS = {
    "greeting:thanks": "You're welcome! Ask me another question whenever you like.",
    "greeting:farewell": "Take care! I'm here whenever you have another question.",
}
_ACKNOWLEDGEMENT_DEFAULT = "👍 Ask me another question whenever you like."


def acknowledgement_text(reason: str) -> str:
    """The short reply to "thanks", "ok", "cool" or "bye" (triage's ``reason``)."""
    return _ACKNOWLEDGEMENTS.get(reason, _ACKNOWLEDGEMENT_DEFAULT)


TOPICS = "back pain, hip flexors, stretches, sciatica and the SI joint"
EXAMPLE_QUESTIONS = (
    "How do I stretch tight hip flexors?",
    "What stretches help sciatica?",
    "Why does my SI joint hurt when I sit?",
)
EMPTY_QUESTION = "Send me a question in words."
NO_MORE_PASSAGES = "There are no more related passages for that question. Ask me another one, in other words."
RELATED_AFTER_CARE = "Related information from my documents:"
# Inline mode's titles for replies that are not passages.
OFFER_TITLES = {
    AnswerKind.RED_FLAG: "⚠️ Please seek medical care",
    AnswerKind.CRISIS: "You don't have to face this alone",
    AnswerKind.NO_ANSWER: "No information on that",
}


def topics_block() -> Block:
    return Block.plain(f"I can answer questions about {TOPICS}, quoting my documents.")


def examples_block() -> Block:
    """Three example questions, as a bulleted block."""
    return Block.plain("For example:\n" + "\n".join(f"• {q}" for q in EXAMPLE_QUESTIONS))


def greeting() -> tuple[Block, ...]:
    """The reply to "hello" typed as a message; /start adds the commands (``welcome``)."""
    return (
        Block.plain("Hello! I'm Limber. 👋", bold=True),
        Block.plain(
            f"I answer questions about {TOPICS}, quoting my documents and saying where "
            "each passage comes from."
        ),
        examples_block(),
    )


def question_help(lead: str | None = None) -> tuple[Block, ...]:
    """How to ask: the reply to "help" typed as a message; /help adds the chat's controls (``help_text``)."""
    blocks = [Block.plain(lead)] if lead else []
    blocks += [
        Block.plain("How to ask", bold=True),
        Block.plain(
            f"Ask about {TOPICS} in your own words, in English. I quote the passage that "
            "fits best and name its source."
        ),
        examples_block(),
    ]
    return tuple(blocks)


def no_answer(nearby: Sequence[str] = ()) -> tuple[Block, ...]:
    """The honest "I don't know"; ``nearby`` names what the documents have close to it."""
    blocks = [Block.plain("I don't have information on that in my documents.")]
    if nearby:
        blocks.append(
            Block.plain(
                "The closest they come, which does not answer it:\n"
                + "\n".join(f"• {text}" for text in nearby)
            )
        )
        blocks.append(Block.plain(f"Ask me about one of those, or about {TOPICS}."))
    else:
        blocks += [topics_block(), Block.plain("Try asking about one of those, in other words.")]
    return tuple(blocks)


def dose_refusal() -> tuple[Block, ...]:
    return (
        Block.plain(
            "I can't tell you a medicine dose. A pharmacist or your doctor can say what "
            "is safe for you, with your other medicines and conditions in mind."
        ),
        topics_block(),
    )


def not_english() -> tuple[Block, ...]:
    return (
        Block.plain("Sorry, my documents are in English, so I can only answer questions asked in English."),
        topics_block(),
    )


def source(name: str, url: str | None) -> Block:
    """Where a quoted passage comes from (a link when the document has one)."""
    return Block((Span("Source: "), Span(name, url=url)))


def more_hint(count: int) -> Block:
    noun = "passage" if count == 1 else "passages"
    # One wording for every front end: Telegram has a "More" button, the console a "more" command.
    return Block.plain(f"{count} more related {noun}: choose “More” to read on.")


def passage_heading(index: int, count: int) -> Block:
    return Block.plain(f"Passage {index + 1} of {count}:", bold=True)


# -- commands ----------------------------------------------------------------------------------


def welcome() -> tuple[Block, ...]:
    """The reply to /start: the greeting and the commands."""
    return reply(
        [
            *greeting(),
            Block.plain(
                "Just type your question. /help shows how to ask; /about lists my sources; "
                "/privacy says what I keep."
            ),
        ]
    )


def help_text(bot_username: str) -> tuple[Block, ...]:
    """The reply to /help: how to ask, and the buttons and commands of Telegram."""
    return reply(
        [
            *question_help(),
            Block.plain(
                "Under an answer, “More” shows the next related passage, and 👍/👎 tell the "
                "maintainers whether it helped."
            ),
            Block.plain(f"In a group, mention me (@{bot_username}) or reply to one of my messages."),
            Block.plain("Commands: /start, /help, /about, /privacy, /forget"),
        ]
    )


def about(passage_count: int, files: list[str], model: str) -> tuple[Block, ...]:
    """The reply to /about: the documents behind the index, their licences, the model."""
    shown = files[:15]
    listing = "\n".join(f"• {name}" for name in shown)
    if len(files) > len(shown):
        listing += f"\n• … and {len(files) - len(shown)} more"
    noun = "document" if len(files) == 1 else "documents"
    blocks = [
        Block.plain("About Limber", bold=True),
        Block.plain(f"I answer from {passage_count} passages of {len(files)} {noun}:\n" + listing),
    ]
    if any("medquad" in name.lower() for name in files):
        blocks.append(
            Block(
                (
                    Span("Includes "),
                    Span(MEDQUAD_ATTRIBUTION, url=MEDQUAD_URL),
                    Span(" (questions and answers from NIH websites)."),
                )
            )
        )
    blocks += [
        Block.plain(
            "Every quoted passage names its source. I only quote my documents; I do not "
            "write advice of my own."
        ),
        Block.plain(f"Search model: {model}."),
    ]
    return reply(blocks)


def privacy(retention_days: int, *, keep_unanswered: bool = True) -> tuple[Block, ...]:
    """The reply to /privacy: what is kept and for how long, in a few lines."""
    kept = ["• your 👍/👎 votes: the question, the passage voted on and the time"]
    if keep_unanswered:
        kept.append(
            "• questions I could not answer, answered only with advice to seek care, "
            "or that got a 👎: the question, the passage shown and the time"
        )
    kept.append("• how many questions I answer each day, with nothing about who asked")
    kept.append(
        "• our last few messages, in memory only (never on disk), so that follow-up "
        "questions make sense: forgotten after 30 minutes of silence, on /start or /forget"
    )
    return reply(
        [
            Block.plain("Privacy", bold=True),
            Block.plain("So that the documents can be improved, I keep:\n" + "\n".join(kept)),
            Block.plain(
                "I never store your chat id or your name, only a code made from the chat id "
                f"that cannot be turned back into it. Everything is deleted after "
                f"{retention_days} days."
            ),
            Block.plain("Send /forget to delete everything I keep about this chat now."),
        ]
    )


def forgotten(deleted: Mapping[str, int]) -> tuple[Block, ...]:
    """The reply to /forget: what was deleted, by kind ("votes": 2, ...)."""
    if sum(deleted.values()) == 0:
        return reply(
            [Block.plain("Done: I had nothing kept about this chat, and there is nothing to delete.")]
        )
    parts = [
        f"{count} {kind[:-1] if count == 1 and kind.endswith('s') else kind}"
        for kind, count in deleted.items()
        if count
    ]
    return reply(
        [
            Block.plain(
                f"Done: I deleted everything I kept about this chat "
                f"({', '.join(parts)}). New questions and votes are kept again "
                "as /privacy describes."
            )
        ]
    )


def unknown_command(command: str) -> tuple[Block, ...]:
    """The reply to a command that does not exist."""
    return reply(
        [
            Block.plain(
                f"I don't know the command {command}. Try /start, /help, /about "
                "or /privacy, or just type your question."
            )
        ]
    )


# -- notices -----------------------------------------------------------------------------------

# The one notice a user gets when their chat already has as many questions waiting as it may.
BUSY = "I'm busy with the questions already asked in this chat. Please ask again shortly."


def busy() -> tuple[Block, ...]:
    """``BUSY`` as a message (a tap gets it as a toast)."""
    return reply([Block.plain(BUSY)])


def only_text() -> tuple[Block, ...]:
    """The reply to a photo, a voice message, a sticker, a file, a place..."""
    return reply([Block.plain("Sorry, I can only read text. Please type your question in words.")])


def rate_limited(limit: int) -> tuple[Block, ...]:
    """The one notice per window for a user over the per-user limit."""
    return reply(
        [
            Block.plain(
                f"You're asking faster than I can keep up with: I answer up to "
                f"{limit} messages a minute. Please wait a moment and ask again."
            )
        ]
    )


def apology() -> tuple[Block, ...]:
    """The reply when answering failed on Limber's side."""
    return reply(
        [Block.plain("Sorry, something went wrong on my side while answering. Please try again in a moment.")]
    )


# What a button tap shows (a toast above the chat, not a message: no disclaimer).
TAPPING_TOO_FAST = "One moment, please: you're tapping faster than I can answer."
BUTTON_NO_LONGER_WORKS = "This button no longer works. Please ask your question again."
BUTTON_OUT_OF_DATE = "This button is out of date. Please ask your question again."
ANSWER_OUT_OF_DATE = "This answer is out of date. Please ask your question again."
QUESTION_GONE = "I can't find the question of this answer any more. Please ask it again."


def vote_noted(up: bool) -> str:
    """The toast after 👍 (``up``) or 👎."""
    return "Thanks, noted 👍" if up else "Thanks, noted 👎"


# -- the console -------------------------------------------------------------------------------

CONSOLE_HINT = "(type more for the next passage of an answer; quit or Ctrl-D to leave)"
