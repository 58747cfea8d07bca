"""Channel-agnostic messages in and out of the conversation engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ATTACHMENT_KINDS = (
    "photo",
    "document",
    "voice",
    "video",
    "audio",
    "sticker",
    "animation",
    "video_note",
    "location",
    "contact",
    "poll",
    "dice",
    "game",
)
# a voice message, an audio file or a round video: words the bot does not hear
SPOKEN_KINDS = frozenset({"voice", "audio", "video_note"})


@dataclass(frozen=True)
class Attachment:
    kind: str
    file_id: str | None = None
    name: str | None = None
    album: str | None = None  # the album (Telegram's media group) it came in, if any

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Incoming:
    """One thing the customer did: a message (text and/or media), an edit, or a button press."""

    external_user_id: str
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    channel: str = "telegram"
    chat_id: int | None = None
    message_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    callback_data: str | None = None
    edited: bool = False
    media_group_id: str | None = None
    # a forwarded message: whom it came from (the transcript marks it; its text is not the
    # customer's own words)
    forwarded_from: str | None = None
    # a reply (Telegram's reply_to_message) to one of the bot's messages: its words, the
    # context of what the customer asks ("а где мой возврат?" to "Готово: оформил возврат...")
    reply_to: str | None = None
    reply_to_id: int | None = None  # that message's id in the chat

    @property
    def has_media(self) -> bool:
        return bool(self.attachments)


# the knowledge base's topic buttons carry "kb:<entry id>" (knowledge.flow answers them;
# other flows let them through)
FAQ_BUTTON_PREFIX = "kb:"


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    message_id: int | None = None  # the outbox row holding it

    def buttons_json(self) -> list[list[dict[str, str]]] | None:
        if not self.buttons:
            return None
        return [[{"text": b.text, "data": b.data} for b in row] for row in self.buttons]


@dataclass
class Outcome:
    """What the engine decided: replies to send to the customer and events that happened."""

    conversation_id: int
    customer_id: int
    replies: list[Reply] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    incoming_message_id: int | None = None
    relay_to_operator: bool = False  # a person owns the chat: pass the message on
    ticket_id: int | None = None
    details_changed: bool = False  # new or corrected details (order, amount, contact...)
    # the album (Telegram's media group) the customer's message is an item of: the items
    # are relayed to the operators together, as one album
    media_group_id: str | None = None
