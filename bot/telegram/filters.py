"""Which messages are for Limber: private chats always; in groups, a mention or a reply to it."""

from __future__ import annotations

import re

from telegram import Message
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import filters

__all__ = ["AddressedToBot", "CommandForBot", "mentions_bot", "question_text"]


def mentions_bot(message: Message, username: str, bot_id: int) -> bool:
    wanted = f"@{username}".lower()
    for entities in (
        message.parse_entities([MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]),
        message.parse_caption_entities([MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]),
    ):
        for entity, text in entities.items():
            if entity.type == MessageEntityType.MENTION and text.lower() == wanted:
                return True
            if entity.user is not None and entity.user.id == bot_id:
                return True
    return False


class AddressedToBot(filters.MessageFilter):
    """Private chats always; in groups, a reply to the bot or a message that mentions it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        return mentions_bot(message, bot.username, bot.id)


class CommandForBot(filters.MessageFilter):
    """In groups, only ``/command@thisbot``: a bare unknown command may be another bot's."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        command = (message.text or "").split(maxsplit=1)[0]
        return command.lower().endswith(f"@{message.get_bot().username.lower()}")


def question_text(message: Message, username: str) -> str:
    """The question in ``message``: its text without the @mention of the bot."""
    text = message.text or message.caption or ""
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()
