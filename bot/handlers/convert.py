"""Turn aiogram updates into the engine's channel-agnostic :class:`Incoming`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram.types import CallbackQuery, Message

from bot.dialogs.types import Attachment, Incoming


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        found.append(Attachment("photo", message.photo[-1].file_id))
    if message.document and not message.animation:  # a GIF comes as both: one thing sent
        found.append(Attachment("document", message.document.file_id, message.document.file_name))
    if message.voice:
        found.append(Attachment("voice", message.voice.file_id))
    if message.audio:
        found.append(Attachment("audio", message.audio.file_id, message.audio.file_name))
    if message.video:
        found.append(Attachment("video", message.video.file_id))
    if message.video_note:
        found.append(Attachment("video_note", message.video_note.file_id))
    if message.animation:
        found.append(Attachment("animation", message.animation.file_id))
    if message.sticker:
        found.append(Attachment("sticker", message.sticker.file_id, message.sticker.emoji))
    if message.location:
        loc = message.location
        place = f"{loc.latitude},{loc.longitude}"
        if message.venue:  # a place picked on the map: its name and address said too
            named = ", ".join(p for p in (message.venue.title, message.venue.address) if p)
            place = f"{place} ({named})" if named else place
        found.append(Attachment("location", None, place))
    if message.contact:
        found.append(Attachment("contact", None, message.contact.phone_number))
    if message.poll:
        found.append(Attachment("poll", None, message.poll.question))
    if message.dice:
        found.append(Attachment("dice", None, f"{message.dice.emoji} {message.dice.value}"))
    if message.game:  # sent from a game bot: Telegram will not copy it, so it is named
        found.append(Attachment("game", None, message.game.title))
    if message.media_group_id:  # kept with the message: copied later as the album it was
        found = [replace(a, album=message.media_group_id) for a in found]
    return tuple(found)


def forwarded_from(message: Message) -> str | None:
    """Whom a forwarded message came from ("someone" when they hide it); None if not one."""
    origin: Any = message.forward_origin
    if origin is None:
        return None
    user = getattr(origin, "sender_user", None)
    chat = getattr(origin, "sender_chat", None) or getattr(origin, "chat", None)
    name = (
        (user.full_name if user is not None else None)
        or getattr(origin, "sender_user_name", None)
        or (chat.title if chat is not None else None)
    )
    return name or "someone"


def incoming_from_message(message: Message, *, edited: bool = False) -> Incoming:
    user = message.from_user
    assert user is not None
    answered = replied_to_bot(message)
    return Incoming(
        external_user_id=str(user.id),
        text=message.text or message.caption,
        attachments=attachments_of(message),
        chat_id=message.chat.id,
        message_id=message.message_id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        edited=edited,
        media_group_id=message.media_group_id,
        forwarded_from=forwarded_from(message),
        reply_to=(answered.text or answered.caption) if answered is not None else None,
        reply_to_id=answered.message_id if answered is not None else None,
    )


def replied_to_bot(message: Message) -> Message | None:
    """The bot's message the customer replied to (Telegram's reply_to_message), or None: not
    a reply, or a reply to their own message."""
    answered = message.reply_to_message
    if answered is None or answered.from_user is None or not answered.from_user.is_bot:
        return None
    return answered


def incoming_from_callback(query: CallbackQuery) -> Incoming:
    user = query.from_user
    chat_id = query.message.chat.id if query.message is not None else user.id
    return Incoming(
        external_user_id=str(user.id),
        callback_data=query.data or "",
        chat_id=chat_id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
