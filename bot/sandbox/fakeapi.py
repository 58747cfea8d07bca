"""A local, in-memory fake of the Telegram Bot API plus a sandbox web page.

An unmodified aiogram 3 ``Bot`` talks to it exactly as it talks to Telegram::

    async with FakeTelegramServer() as srv:          # 127.0.0.1, free port
        session = AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url))
        bot = Bot("123456:TEST", session=session)
        user = srv.fake.add_user("Ivan", language_code="ru")
        srv.fake.user_sends(user["id"], "hello")      # queued as a `message` update
        replies = await srv.fake.wait_for_bot_message(user["id"])

Run it by hand with ``python -m bot.sandbox.fakeapi --port 8081`` (a demo group with two
operators and a customer is created) and open http://127.0.0.1:8081/ in a browser.

Protocol (like api.telegram.org)
--------------------------------
* ``GET|POST /bot{token}/{method}`` -- query string, JSON, urlencoded or multipart bodies
  (complex fields JSON-encoded, files as ``attach://<part>`` or a part named like the field).
  Any token ``"<digits>:<anything>"`` works; the bot id is the digits. Answers are
  ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "...",
  "parameters": {"retry_after": N}}``. Method names are case-insensitive; an unknown
  method answers 404 ``Not Found``.
* ``GET /file/bot{token}/{file_path}`` -- file download (``file_path`` from ``getFile``).
* Methods: getMe, logOut, close, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
  sendMessage, copyMessage, copyMessages, forwardMessage, sendPhoto, sendDocument, sendVoice,
  sendMediaGroup, sendChatAction, editMessageText, editMessageReplyMarkup,
  editMessageCaption, deleteMessage, deleteMessages, pinChatMessage, unpinChatMessage,
  unpinAllChatMessages, createForumTopic, editForumTopic, closeForumTopic,
  reopenForumTopic, deleteForumTopic, unpinAllForumTopicMessages, answerCallbackQuery,
  getChat, getChatMember, getChatAdministrators, getFile, setMyCommands,
  deleteMyCommands, getMyCommands, setChatMenuButton, getChatMenuButton,
  setMessageReaction.
* ``parse_mode`` HTML, MarkdownV2 and Markdown are parsed into entities, with Telegram's
  "can't parse entities" errors (unescaped ``<`` in HTML, reserved characters in MarkdownV2).
  Photos must be real PNG/JPEG/GIF/WebP bytes (see :func:`make_png`), as on Telegram.

The world holds one logical bot: updates are queued for every bot token seen so far (or
kept until the first token appears). Bots are admins of the groups made by ``add_group``
and receive every group message (privacy mode off). Service messages (topic created /
edited / closed / reopened, pinned) are stored like Telegram does; the bot gets no updates
for its own actions.

Python API (tests)
------------------
``FakeTelegram(token=None, bot_username="supportbot_sandbox_bot", bot_first_name="Support Bot")``:
``register_bot(token) -> dict``, ``add_user(first_name="Customer", last_name=None,
username=None, language_code="en", user_id=None, is_bot=False, started=True) -> dict``,
``add_group(title, is_forum=True, members=(), admins=(), chat_id=None, username=None,
bot_is_member=True, join_to_send=True) -> dict``, ``user_sends(user_id, text=None, chat_id=None, photo=False,
document=None, voice=False, caption=None, message_thread_id=None, reply_to_message_id=None,
media_group_id=None, forwarded_from=None, sticker=None, send_as=None, location=None,
venue=None, contact=None, video_note=False, animation=False, poll=None, dice=None, game=None,
stranger=False) -> dict``, ``user_edits(chat_id, message_id, text) -> dict``,
``user_presses(user_id, chat_id, message_id, data) -> str``, ``user_blocks_bot(user_id,
blocked=True)``, ``member_changes(chat_id, user_id, status="left", by=None, update=True,
service_message=True)``, ``delete_topic(chat_id, thread_id)``, ``redeliver(update_id)``,
``add_fault(method, status=None, description=None, retry_after=None, delay=0.0, times=1,
after=0)``,
``messages(chat_id, thread_id=None, from_bot=None, include_service=False,
include_deleted=False) -> list[dict]``, ``get_message(chat_id, message_id)``,
``topics(chat_id) -> list[dict]``, ``pinned(chat_id, thread_id=None) -> list[int]``,
``file_bytes(file_id) -> bytes``, ``calls`` (list of ``ApiCall(method, params)``),
``calls_of(method) -> list[dict]``, ``callback_answers``, ``snapshot() -> dict``,
``await wait_for(predicate, timeout=10)``, ``await wait_for_bot_message(chat_id,
thread_id=None, count=1, timeout=10, text_contains=None, after_message_id=None)``.
``thread_id=None`` means "any thread" in ``messages``/``wait_for_bot_message``.

HTTP control API for the page (JSON in, ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}`` with status 400 out)
------------------------------------------------------------------------------------
* ``GET  /sandbox/api/state`` -- :meth:`FakeTelegram.snapshot`.
* ``GET  /sandbox/api/file/{file_id}`` -- raw bytes of a stored file.
* ``POST /sandbox/api/users`` ``{first_name, last_name?, username?, language_code?}``.
* ``POST /sandbox/api/groups`` ``{title, members?, admins?, is_forum?}``.
* ``POST /sandbox/api/send`` ``{user_id, text?, chat_id?, message_thread_id?, photo?: bool,
  photo_base64?, document?: {filename, content_base64 | text}, voice?: bool, caption?,
  reply_to_message_id?, forwarded_from?: name, sticker?: emoji, location?: [lat, lon] |
  {latitude, longitude}, venue?: {latitude, longitude, title, address}, contact?: true |
  {phone_number, first_name?, last_name?, user_id?}, video_note?: bool, animation?: bool,
  poll?: question | {question, options?}, dice?: emoji, game?: short_name, stranger?: bool}``
  (one kind of content a message; ``stranger``: a non-member posts in a group, see
  ``user_sends``).
* ``POST /sandbox/api/edit`` ``{chat_id, message_id, text}``.
* ``POST /sandbox/api/press`` ``{user_id, chat_id, message_id, data, forged?: bool}`` ->
  callback query id (``forged``: data no button of the message has, as a modified client).
* ``POST /sandbox/api/block`` ``{user_id, blocked?: true}``.
* ``POST /sandbox/api/delete_topic`` ``{chat_id, message_thread_id}``.
* ``POST /sandbox/api/fault`` ``{method, status?, description?, retry_after?, delay?, times?}``.
* ``POST /sandbox/api/redeliver`` ``{update_id}``.

Sandbox page (``/``; static files under ``/static/``) -- stable selectors
----------------------------------------------------------------------
Customer side: ``#customer-select``, ``#new-customer``, ``#new-customer-name``,
``#new-customer-lang``, ``#new-customer-create``, ``#customer-messages``,
``[data-testid=customer-message]`` (``data-from=user|bot``, ``data-message-id``,
``data-edited``, ``data-deleted``), ``[data-testid=inline-button]`` (``data-callback``),
``[data-testid=reply-button]``, ``#customer-input``, ``#customer-send``,
``#customer-photo``, ``#customer-document`` (+ hidden ``#customer-document-file``),
``#customer-block``, ``#typing-indicator``, ``#toast``.
Operators' side: ``#group-select``, ``#topics``, ``[data-testid=topic]`` (``data-thread-id``,
``data-closed``, ``data-deleted``, ``.selected``), ``#topic-title``, ``#topic-messages``,
``[data-testid=topic-message]`` (``data-from``, ``data-message-id``, ``data-pinned``),
``[data-testid=pinned-card]``, ``#operator-select``, ``#operator-input``, ``#operator-send``.
Both sides: ``[data-testid=service-message]`` (topic created/closed, pinned, ...), ``#bot-status``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import email.parser
import email.policy
import hashlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

log = logging.getLogger(__name__)

Json = dict[str, Any]
T = TypeVar("T")

STATIC_DIR = Path(__file__).with_name("static")
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MEDIA_KEYS = ("photo", "document", "voice", "audio", "video", "animation", "sticker")
# what a user can send besides text and files; copied like Telegram copies them (a game
# can't be: "message can't be copied")
SHARED_KEYS = ("video_note", "location", "venue", "contact", "poll", "dice")
CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", *MEDIA_KEYS, *SHARED_KEYS)
SERVICE_KEYS = (
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "pinned_message",
    "new_chat_members",
    "left_chat_member",
)
# Form fields that are plain strings and must never be JSON-decoded.
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "data",
        "name",
        "title",
        "description",
        "short_description",
        "url",
        "secret_token",
        "callback_query_id",
        "action",
        "parse_mode",
        "language_code",
        "icon_custom_emoji_id",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "thumbnail",
        "custom_title",
        "emoji",
    }
)
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------- errors


class TelegramError(Exception):
    """An error answered to the bot exactly as Telegram would."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> Json:
        body: Json = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class SandboxError(ValueError):
    """Misuse of the Python / control API (unknown user, missing button, ...)."""


def bad_request(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


def forbidden(description: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {description}")


# --------------------------------------------------------------------------- helpers


# a button's message older than this is sent with its query as an InaccessibleMessage
INACCESSIBLE_AFTER = 48 * 3600


def _now() -> int:
    return int(time.time())


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def make_png(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    """A small valid PNG (a coloured gradient); ``seed`` varies the colour."""
    base = hashlib.sha256(str(seed).encode()).digest()
    r0, g0, b0 = base[0] // 2 + 64, base[1] // 2 + 64, base[2] // 2 + 64
    rows = []
    for y in range(height):
        shade = int(60 * y / max(1, height - 1))
        pixel = bytes((min(255, r0 + shade), min(255, g0 + shade), min(255, b0 + shade)))
        rows.append(b"\x00" + pixel * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def make_voice(seconds: int = 2) -> bytes:
    """Bytes that look like an OGG/Opus voice note (header only; enough for a fake)."""
    return b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + secrets.token_bytes(32 * seconds)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of PNG/JPEG/GIF/WebP bytes, or None if it is not an image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


def _mime_of(data: bytes, filename: str | None = None) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[:4] == b"OggS":
        return "audio/ogg"
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return "application/octet-stream"


# --------------------------------------------------------------------------- entities


class EntityParseError(Exception):
    pass


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z_-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z_-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_HTML_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(src: str) -> tuple[str, list[Json]]:
    out: list[str] = []
    pos = 0  # in UTF-16 code units
    stack: list[tuple[str, Json | None, int]] = []
    entities: list[Json] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "<":
            match = _TAG_RE.match(src, i)
            offset = _byte_offset(src, i)
            if match is None:
                raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
            closing, name = match.group(1) == "/", match.group(2).lower()
            if closing:
                if not stack or stack[-1][0] != name:
                    raise EntityParseError(f"Unmatched end tag at byte offset {offset}")
                _, entity, start = stack.pop()
                if entity is not None and pos > start:
                    entity["offset"], entity["length"] = start, pos - start
                    entities.append(entity)
            else:
                if name not in _HTML_TAGS:
                    raise EntityParseError(
                        f'Unsupported start tag "{name}" at byte offset {offset}'
                    )
                attrs = {
                    m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
                    for m in _ATTR_RE.finditer(match.group(3))
                }
                entity: Json | None = {"type": _HTML_TAGS[name]}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityParseError(f'Unsupported start tag "span" at byte offset {offset}')
                if name == "a":
                    href = attrs.get("href", "")
                    entity = {"type": "text_link", "url": href} if href else None
                elif name == "blockquote" and "expandable" in attrs:
                    entity = {"type": "expandable_blockquote"}
                elif name == "tg-emoji":
                    entity["custom_emoji_id"] = attrs.get("emoji-id", "")
                elif name == "code" and stack and stack[-1][0] == "pre" and stack[-1][1]:
                    language = attrs.get("class", "")
                    if language.startswith("language-"):
                        pre_entity = stack[-1][1]
                        assert pre_entity is not None
                        pre_entity["language"] = language[len("language-") :]
                        entity = None
                stack.append((name, entity, pos))
            i = match.end()
            continue
        if ch == "&":
            match = _HTML_ENTITY_RE.match(src, i)
            if match:
                token = match.group(1)
                if token.startswith(("#x", "#X")):
                    char = chr(int(token[2:], 16))
                elif token.startswith("#"):
                    char = chr(int(token[1:]))
                else:
                    char = _HTML_NAMED[token]
                out.append(char)
                pos += utf16_len(char)
                i = match.end()
                continue
        out.append(ch)
        pos += utf16_len(ch)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_MDV2_TYPES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def parse_markdown_v2(src: str) -> tuple[str, list[Json]]:
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, int]] = []  # marker, utf16 start, byte offset
    entities: list[Json] = []
    quote_start: int | None = None
    i, n = 0, len(src)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    def read_until(end: str, start: int, allow_escape: bool = True) -> tuple[str, int]:
        buf: list[str] = []
        j = start
        while j < n:
            if allow_escape and src[j] == "\\" and j + 1 < n:
                buf.append(src[j + 1])
                j += 2
                continue
            if src.startswith(end, j):
                return "".join(buf), j
            buf.append(src[j])
            j += 1
        raise EntityParseError(f"Can't find end of the entity starting at byte offset {start}")

    while i < n:
        ch = src[i]
        at_line_start = i == 0 or src[i - 1] == "\n"
        if ch == "\n" and quote_start is not None:
            if not src.startswith(">", i + 1):
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": pos - quote_start}
                )
                quote_start = None
        if ch == "\\":
            if i + 1 < n and ord(src[i + 1]) <= 126:
                emit(src[i + 1])
                i += 2
                continue
            raise EntityParseError(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == ">" and at_line_start:
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        if src.startswith("```", i):
            body, end = read_until("```", i + 3)
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and re.fullmatch(r"[\w+#-]+", first):
                    language, body = first, rest
            start = pos
            emit(body)
            entity: Json = {"type": "pre", "offset": start, "length": pos - start}
            if language:
                entity["language"] = language
            if pos > start:
                entities.append(entity)
            i = end + 3
            continue
        if ch == "`":
            body, end = read_until("`", i + 1)
            start = pos
            emit(body)
            if pos > start:
                entities.append({"type": "code", "offset": start, "length": pos - start})
            i = end + 1
            continue
        marker = None
        if src.startswith("__", i):
            marker = "__"
        elif src.startswith("||", i):
            marker = "||"
        elif ch in "*_~":
            marker = ch
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                if pos > start:
                    entities.append(
                        {"type": _MDV2_TYPES[marker], "offset": start, "length": pos - start}
                    )
            elif any(item[0] == marker for item in stack):
                raise EntityParseError(
                    f"Can't find end of {_MDV2_NAMES[stack[-1][0]]} entity at byte offset {stack[-1][2]}"
                )
            else:
                stack.append((marker, pos, _byte_offset(src, i)))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", pos, _byte_offset(src, i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            _, start, _ = stack.pop()
            if not src.startswith("(", i + 1):
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            url, end = read_until(")", i + 2)
            if pos > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": pos - start, "url": url}
                )
            i = end + 1
            continue
        if ch in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if stack:
        marker, _, offset = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[marker]} entity at byte offset {offset}"
        )
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    return "".join(out), entities


def parse_markdown(src: str) -> tuple[str, list[Json]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    pos = 0
    entities: list[Json] = []
    i, n = 0, len(src)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            pos += 1
            i += 2
            continue
        if src.startswith("```", i) or ch in kinds or ch == "[":
            opener = "```" if src.startswith("```", i) else ch
            closer = "]" if opener == "[" else opener
            end = src.find(closer, i + len(opener))
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
                )
            body = src[i + len(opener) : end]
            start = pos
            out.append(body)
            pos += utf16_len(body)
            i = end + len(closer)
            if opener == "[":
                if src.startswith("(", i) and (close := src.find(")", i)) > 0:
                    url = src[i + 1 : close]
                    i = close + 1
                    if pos > start:
                        entities.append(
                            {
                                "type": "text_link",
                                "offset": start,
                                "length": pos - start,
                                "url": url,
                            }
                        )
                continue
            kind = "pre" if opener == "```" else kinds[opener]
            if pos > start:
                entities.append({"type": kind, "offset": start, "length": pos - start})
            continue
        out.append(ch)
        pos += utf16_len(ch)
        i += 1
    return "".join(out), entities


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[Json]]:
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            text, entities = parse_html(text)
        elif mode == "markdownv2":
            text, entities = parse_markdown_v2(text)
        elif mode == "markdown":
            text, entities = parse_markdown(text)
        elif mode:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        else:
            entities = []
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return text, entities


def strip_text(text: str, entities: list[Json]) -> tuple[str, list[Json]]:
    """Trim surrounding whitespace like Telegram does, shifting entity offsets."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(size, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


_COMMAND_RE = re.compile(r"/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,64})?")


def command_entities(text: str) -> list[Json]:
    """bot_command entities as Telegram adds them to users' messages."""
    entities = []
    for match in _COMMAND_RE.finditer(text):
        if match.start() > 0 and not text[match.start() - 1].isspace():
            continue
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


# --------------------------------------------------------------------------- state


class ApiCall(NamedTuple):
    method: str
    params: Json


@dataclass
class Fault:
    method: str
    status: int | None
    description: str | None
    retry_after: int | None
    delay: float
    times: int
    after: int = 0  # calls let through before the fault starts


@dataclass
class Upload:
    filename: str
    data: bytes


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo | document | voice
    data: bytes
    file_path: str
    mime_type: str
    api: Any  # Telegram object (list of PhotoSize for photos)


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    api: Json
    from_bot: bool
    bot_id: int | None = None
    thread_id: int | None = None
    service: bool = False
    deleted: bool = False
    deleted_date: int | None = None
    history: list[Json] = field(default_factory=list)
    reactions: list[Json] = field(default_factory=list)

    def to_api(self) -> Json:
        return copy.deepcopy(self.api)

    def shallow(self) -> Json:
        """The message as nested into reply_to_message (one level, like Telegram)."""
        data = copy.deepcopy(self.api)
        data.pop("reply_to_message", None)
        return data

    def text_or_caption(self) -> str:
        return str(self.api.get("text") or self.api.get("caption") or "")


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked: bool = False
    started: bool = True

    def api(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass
class Topic:
    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def api(self) -> Json:
        data: Json = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass
class Chat:
    id: int
    type: str  # private | supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: User | None = None
    members: list[int] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)
    # members an admin restricted: whether each may still send messages
    restricted: dict[int, bool] = field(default_factory=dict)
    bot_is_member: bool = True
    # a public group with "join to send messages" off: anyone may post, members or not
    join_to_send: bool = True
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, Topic] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)
    reply_keyboard: Json | None = None
    menu_button: Json | None = None
    action: Json | None = None

    def api(self) -> Json:
        if self.type == "private" and self.user is not None:
            data: Json = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: Json
    redelivery: bool = False

    def api(self) -> Json:
        return {"update_id": self.update_id, self.kind: copy.deepcopy(self.payload)}


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    task: asyncio.Task[None] | None = None


@dataclass
class BotState:
    id: int
    username: str
    first_name: str
    updates: list[PendingUpdate] = field(default_factory=list)
    history: dict[int, PendingUpdate] = field(default_factory=dict)
    # ids go on across restarts, as Telegram's do (a sandbox restarted on the same database
    # numbered from 1 again, and the bot skipped every message as already handled)
    next_update_id: int = field(default_factory=lambda: int(time.time() * 1000))
    allowed_updates: list[str] | None = None
    webhook: Webhook | None = None
    commands: dict[str, list[Json]] = field(default_factory=dict)
    default_menu_button: Json | None = None
    poll_generation: int = 0
    last_poll: float | None = None

    def user(self) -> Json:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


class Params:
    """Decoded request parameters with Telegram-like validation errors."""

    def __init__(self, values: Json, files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def has(self, key: str) -> bool:
        return self.values.get(key) not in (None, "")

    def get_int(self, key: str, required: bool = False) -> int | None:
        value = self.values.get(key)
        if value is None or value == "":
            if required:
                raise bad_request(f"{key} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {key} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise bad_request(f"invalid {key} specified")

    def req_int(self, key: str) -> int:
        value = self.get_int(key, required=True)
        assert value is not None
        return value

    def get_str(self, key: str, required: bool = False) -> str | None:
        value = self.values.get(key)
        if value is None:
            if required:
                raise bad_request(f"{key} is empty")
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def get_bool(self, key: str) -> bool:
        value = self.values.get(key)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def get_json(self, key: str, what: str = "JSON object") -> Any:
        value = self.values.get(key)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what}") from None
        return value

    def chat_id(self, key: str = "chat_id") -> int | str:
        value = self.values.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        number = self.get_int(key)
        assert number is not None
        return number


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, (dict, list, bool, int, float)):
        return decoded
    return value


# --------------------------------------------------------------------------- the fake


class FakeTelegram:
    """In-memory Telegram: users, chats, topics, messages, files and update queues."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_username: str = "supportbot_sandbox_bot",
        bot_first_name: str = "Support Bot",
        webhook_retry_delay: float = 0.2,
        webhook_max_retry_delay: float = 5.0,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_retry_delay = webhook_max_retry_delay
        self.webhook_timeout = webhook_timeout
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.bots: dict[int, BotState] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[ApiCall] = []
        self.faults: list[Fault] = []
        self.callback_queries: dict[str, Json] = {}
        self.callback_answers: list[Json] = []
        self.version = 0
        self._files_by_path: dict[str, StoredFile] = {}
        self._backlog: list[tuple[str, Json]] = []
        self._user_ids = itertools.count(100001)
        self._group_ids = itertools.count(1)
        self._file_seq = itertools.count(1)
        self._png_seed = itertools.count(1)
        self._waiters: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        if token:
            self.register_bot(token)

    # ----------------------------------------------------------------- change notification

    def _notify(self) -> None:
        self.version += 1
        loop = self._loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop and loop.is_running():
            loop.call_soon_threadsafe(self._wake)
            return
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, seconds: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked on every change); return it."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout:.1f}s")
            await self._wait_change(min(remaining, 0.5))

    async def wait_for_bot_message(
        self,
        chat_id: int,
        thread_id: int | None = None,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
        text_contains: str | None = None,
        after_message_id: int | None = None,
    ) -> list[Json]:
        """Wait for ``count`` (non-service) bot messages in a chat/thread and return them all."""

        def found() -> list[Json]:
            matching = [
                m
                for m in self.messages(
                    chat_id, thread_id=thread_id, from_bot=True, include_deleted=True
                )
                if (after_message_id is None or m["message_id"] > after_message_id)
                and (
                    text_contains is None
                    or text_contains in (m.get("text") or m.get("caption") or "")
                )
            ]
            return matching if len(matching) >= count else []

        try:
            return await self.wait_for(found, timeout=timeout)
        except TimeoutError:
            seen = [
                m.get("text") or m.get("caption")
                for m in self.messages(chat_id, thread_id=thread_id, from_bot=True)
            ]
            raise TimeoutError(
                f"expected {count} bot message(s) in chat {chat_id} thread {thread_id}"
                f" containing {text_contains!r} within {timeout}s; bot messages: {seen!r}"
            ) from None

    async def aclose(self) -> None:
        """Wake long polls and stop webhook deliveries (called when the server stops)."""
        self._closing = True
        self._wake()
        tasks = list(self._tasks)
        for bot in self.bots.values():
            if bot.webhook and bot.webhook.task:
                tasks.append(bot.webhook.task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # ----------------------------------------------------------------- bots & updates

    def register_bot(self, token: str) -> Json:
        """Make a bot known (done automatically on its first API call); returns its User."""
        return self._bot_for_token(token).user()

    def _bot_for_token(self, token: str) -> BotState:
        match = re.fullmatch(r"(\d+):(.+)", token)
        if not match:
            raise TelegramError(401, "Unauthorized")
        bot_id = int(match.group(1))
        bot = self.bots.get(bot_id)
        if bot is None:
            first = not self.bots
            bot = BotState(
                id=bot_id,
                username=self.bot_username if first else f"sandbox_{bot_id}_bot",
                first_name=self.bot_first_name,
            )
            self.bots[bot_id] = bot
            if first:
                backlog, self._backlog = self._backlog, []
                for kind, payload in backlog:
                    self._enqueue(bot, kind, payload)
        return bot

    @property
    def primary_bot(self) -> BotState | None:
        return next(iter(self.bots.values()), None)

    def _bot_user(self, bot: BotState | None = None) -> Json:
        bot = bot or self.primary_bot
        if bot is None:
            return {
                "id": 0,
                "is_bot": True,
                "first_name": self.bot_first_name,
                "username": self.bot_username,
            }
        return bot.user()

    def _enqueue(self, bot: BotState, kind: str, payload: Json) -> PendingUpdate:
        update = PendingUpdate(bot.next_update_id, kind, copy.deepcopy(payload))
        bot.next_update_id += 1
        bot.updates.append(update)
        bot.history[update.update_id] = update
        if len(bot.history) > 5000:
            bot.history.pop(next(iter(bot.history)))
        return update

    def _queue_update(self, kind: str, payload: Json) -> None:
        if not self.bots:
            self._backlog.append((kind, copy.deepcopy(payload)))
        for bot in self.bots.values():
            self._enqueue(bot, kind, payload)
        self._notify()

    def _allowed(self, bot: BotState, kind: str) -> bool:
        allowed = bot.webhook.allowed_updates if bot.webhook else bot.allowed_updates
        if not allowed:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in allowed

    def _deliverable(self, bot: BotState, limit: int) -> list[PendingUpdate]:
        kept = [u for u in bot.updates if self._allowed(bot, u.kind)]
        bot.updates = kept
        return kept[:limit]

    def pending_updates(self, bot_id: int | None = None) -> list[Json]:
        bot = self.bots.get(bot_id) if bot_id else self.primary_bot
        return (
            [u.api() for u in bot.updates]
            if bot
            else [{"update_id": 0, k: p} for k, p in self._backlog]
        )

    def redeliver(self, update_id: int, bot_id: int | None = None) -> None:
        """Queue an already delivered update again with the same update_id."""
        bots = [self.bots[bot_id]] if bot_id else list(self.bots.values())
        found = False
        for bot in bots:
            original = bot.history.get(update_id)
            if original is None:
                continue
            found = True
            bot.updates.append(
                PendingUpdate(update_id, original.kind, copy.deepcopy(original.payload), True)
            )
        if not found:
            raise SandboxError(f"unknown update_id {update_id}")
        self._notify()

    # ----------------------------------------------------------------- faults & log

    def add_fault(
        self,
        method: str,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail and/or be delayed
        (``after``: once that many calls have gone through)."""
        if status is None and delay <= 0:
            raise SandboxError("a fault needs a status or a delay")
        if status is not None and status < 400:
            raise SandboxError("fault status must be an HTTP error code (>= 400)")
        if status == 429 and not retry_after:
            retry_after = 1
        self.faults.append(
            Fault(method.lower(), status, description, retry_after, delay, times, after)
        )
        self._notify()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in ("*", method.lower()):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def calls_of(self, method: str) -> list[Json]:
        """Params of every logged call of ``method`` (case-insensitive)."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    # ----------------------------------------------------------------- world setup

    def add_user(
        self,
        first_name: str = "Customer",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
        is_bot: bool = False,
        started: bool = True,
    ) -> Json:
        """Create a Telegram user and the private chat with the bot; returns the User."""
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id in self.users or user_id in self.chats:
            raise SandboxError(f"user {user_id} already exists")
        user = User(
            user_id,
            first_name or "Customer",
            last_name,
            username,
            language_code,
            is_bot,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = Chat(id=user_id, type="private", user=user)
        self._notify()
        return user.api()

    def add_group(
        self,
        title: str,
        is_forum: bool = True,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        chat_id: int | None = None,
        username: str | None = None,
        bot_is_member: bool = True,
        join_to_send: bool = True,
    ) -> Json:
        """Create a supergroup (a forum by default); the bot is an admin in it.
        ``join_to_send=False``: a public group where anyone may post without joining
        (getChatMember still says 'left' for them)."""
        if chat_id is None:
            chat_id = -1001000000000 - next(self._group_ids)
            while chat_id in self.chats:
                chat_id = -1001000000000 - next(self._group_ids)
        if chat_id in self.chats:
            raise SandboxError(f"chat {chat_id} already exists")
        admin_ids = list(dict.fromkeys(admins))
        member_ids = list(dict.fromkeys([*admin_ids, *members]))
        for uid in member_ids:
            self._user(uid)
        chat = Chat(
            id=chat_id,
            type="supergroup",
            title=title,
            username=username,
            is_forum=is_forum,
            members=member_ids,
            admins=admin_ids,
            bot_is_member=bot_is_member,
            join_to_send=join_to_send,
        )
        self.chats[chat_id] = chat
        self._notify()
        return chat.api()

    def _user(self, user_id: int) -> User:
        user = self.users.get(int(user_id))
        if user is None:
            raise SandboxError(f"unknown user {user_id}")
        return user

    def _chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(int(chat_id))
        if chat is None:
            raise SandboxError(f"unknown chat {chat_id}")
        return chat

    # ----------------------------------------------------------------- user actions

    def user_sends(
        self,
        user_id: int,
        text: str | None = None,
        chat_id: int | None = None,
        photo: bool | bytes = False,
        document: tuple[str, bytes] | None = None,
        voice: bool | bytes = False,
        caption: str | None = None,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
        forwarded_from: str | None = None,
        sticker: str | None = None,
        send_as: Json | None = None,
        location: tuple[float, float] | None = None,
        venue: Json | None = None,
        contact: Json | None = None,
        video_note: bool | bytes = False,
        animation: bool | bytes = False,
        poll: Json | None = None,
        dice: str | None = None,
        game: str | None = None,
        stranger: bool = False,
    ) -> Json:
        """A user sends a message (text and/or one media); queues a ``message`` update.
        ``forwarded_from``: they forward it, from someone who hides their account;
        ``sticker``: a sticker of this emoji (no text); ``send_as``: in a group, posted as
        a chat, as Telegram shows it: ``{"type": "group"}`` an anonymous admin (as the group
        itself), ``{"type": "channel", "id": ..., "title": ...}`` as their channel.
        With no text either (a caption only for ``animation``): ``location`` ``(latitude,
        longitude)``; ``venue`` ``{latitude, longitude, title, address}``; ``contact``
        ``{phone_number, first_name?, last_name?, user_id?}`` (their own when empty: the
        "share my phone" button); ``video_note`` / ``animation`` (a round video, a GIF);
        ``poll`` ``{question, options?: [str]}``; ``dice`` its emoji (a random value);
        ``game`` a game's short name. ``stranger``: a group's non-member posts anyway, as
        anyone may in a public group that does not ask to join first."""
        user = self._user(user_id)
        chat = self._chat(user.id if chat_id is None else chat_id)
        if chat.type == "private":
            if chat.id != user.id:
                raise SandboxError("a user can only write to their own private chat with the bot")
            if user.blocked:
                self.user_blocks_bot(user.id, blocked=False)
            user.started = True
        elif user.id not in chat.members and chat.join_to_send and not stranger:
            raise SandboxError(f"user {user.id} is not a member of chat {chat.id}")
        elif chat.restricted.get(user.id) is False:
            raise SandboxError(f"user {user.id} may not send messages in chat {chat.id}")
        thread_id: int | None = None
        reply_to: StoredMessage | None = None
        if reply_to_message_id is not None:
            reply_to = chat.messages.get(int(reply_to_message_id))
            if reply_to is None or reply_to.deleted:
                raise SandboxError(f"message {reply_to_message_id} not found in chat {chat.id}")
            thread_id = reply_to.thread_id
        if message_thread_id is not None and chat.type != "private":
            thread_id = int(message_thread_id)
            if chat.is_forum:
                topic = chat.topics.get(thread_id)
                if topic is None or topic.deleted:
                    raise SandboxError(f"topic {thread_id} not found in chat {chat.id}")
                if topic.closed and user.id not in chat.admins:
                    raise SandboxError(f"topic {thread_id} is closed")
        content: Json = {}
        media = photo is not False or document is not None or voice is not False
        media = media or animation is not False
        shared = self._shared_content(user, location, venue, contact, video_note, poll, dice, game)
        if shared:
            content.update(shared)
        elif sticker is not None:
            file_id, unique = self._new_file_ids(sticker.encode(), "CAAC")
            content["sticker"] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": sticker,
            }
        elif media:
            caption = caption if caption is not None else text
            if photo is not False:
                data = (
                    photo if isinstance(photo, bytes) else make_png(320, 200, next(self._png_seed))
                )
                content["photo"] = self._store_photo(data).api
            elif document is not None:
                filename, data = document
                content["document"] = self._store_file("document", data, filename).api
            elif animation is not False:  # a GIF comes as both, as on Telegram
                data = animation if isinstance(animation, bytes) else b"GIF89a" + bytes(32)
                stored = self._store_file("document", data, "animation.gif")
                content["animation"] = {**stored.api, "width": 240, "height": 180, "duration": 2}
                content["document"] = stored.api
            else:
                data = voice if isinstance(voice, bytes) else make_voice()
                content["voice"] = self._store_file("voice", data, None, duration=2).api
            if caption:
                content["caption"] = caption
                if ents := command_entities(caption):
                    content["caption_entities"] = ents
        else:
            if not text:
                raise SandboxError("nothing to send: give text or a media")
            content["text"] = text
            if ents := command_entities(text):
                content["entities"] = ents
        if media_group_id:
            content["media_group_id"] = media_group_id
        if forwarded_from:
            content["forward_origin"] = {
                "type": "hidden_user",
                "date": _now(),
                "sender_user_name": forwarded_from,
            }
        sender = user.api()
        if send_as is not None and chat.type != "private":
            if send_as.get("type") == "channel":
                sender = {"id": 136817688, "is_bot": True, "first_name": "Channel"}
                sender["username"] = "Channel_Bot"
                content["sender_chat"] = {
                    "id": int(send_as.get("id", -1002000000001)),
                    "type": "channel",
                    "title": send_as.get("title", "Channel"),
                }
            else:
                if user.id not in chat.admins:
                    raise SandboxError("only an admin can post anonymously, as the group")
                sender = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
                sender["username"] = "GroupAnonymousBot"
                content["sender_chat"] = chat.api()
        msg = self._new_message(chat, sender, False, None, thread_id, content, reply_to)
        self._queue_update("message", msg.api)
        return msg.to_api()

    def _shared_content(
        self,
        user: User,
        location: tuple[float, float] | None,
        venue: Json | None,
        contact: Json | None,
        video_note: bool | bytes,
        poll: Json | None,
        dice: str | None,
        game: str | None,
    ) -> Json:
        """The content of a message with no text: a place, a contact, a round video, a
        poll, a dice or a game, as Telegram sends each (empty when none is given)."""
        if location is not None:
            latitude, longitude = (float(x) for x in location)
            return {"location": {"latitude": latitude, "longitude": longitude}}
        if venue is not None:
            place = {"latitude": float(venue["latitude"]), "longitude": float(venue["longitude"])}
            return {
                "venue": {
                    "location": place,
                    "title": str(venue.get("title") or "Place"),
                    "address": str(venue.get("address") or ""),
                },
                "location": place,
            }
        if contact is not None:
            shared: Json = {
                "phone_number": str(contact.get("phone_number") or f"+4860{user.id:07d}"),
                "first_name": str(contact.get("first_name") or user.first_name),
            }
            if contact.get("last_name"):
                shared["last_name"] = str(contact["last_name"])
            if contact.get("user_id") or not contact.get("phone_number"):
                shared["user_id"] = int(contact.get("user_id") or user.id)
            return {"contact": shared}
        if video_note is not False:
            data = video_note if isinstance(video_note, bytes) else make_voice()
            stored = self._store_file("voice", data, None, duration=3)
            api = {k: v for k, v in stored.api.items() if k != "mime_type"}
            return {"video_note": {**api, "length": 240}}
        if poll is not None:
            options = [str(o) for o in poll.get("options") or ("Yes", "No")]
            return {
                "poll": {
                    "id": str(secrets.randbits(62)),
                    "question": str(poll.get("question") or "?"),
                    "options": [
                        {"persistent_id": str(i), "text": o, "voter_count": 0}
                        for i, o in enumerate(options)
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            }
        if dice is not None:
            top = 64 if dice == "🎰" else 5 if dice in ("⚽", "🏀") else 6
            return {"dice": {"emoji": dice or "🎲", "value": secrets.randbelow(top) + 1}}
        if game is not None:
            photo = self._store_photo(make_png(64, 40, 3)).api
            return {
                "game": {"title": game.title(), "description": f"Play {game}", "photo": photo},
                "via_bot": {"id": 777000123, "is_bot": True, "first_name": "Games"},
            }
        return {}

    def user_edits(self, chat_id: int, message_id: int, text: str) -> Json:
        """A user edits their text (or caption; ``""`` takes a photo's or a file's caption
        off, as Telegram lets one); queues an ``edited_message`` update."""
        chat = self._chat(chat_id)
        msg = chat.messages.get(int(message_id))
        if msg is None or msg.deleted or msg.from_bot or msg.service:
            raise SandboxError(f"message {message_id} in chat {chat_id} can't be edited by a user")
        key = "text" if "text" in msg.api else "caption"
        if not text and key == "text":
            raise SandboxError("text must not be empty")
        msg.history.append(msg.to_api())
        if text:
            msg.api[key] = text
        else:
            msg.api.pop(key, None)
        ents = command_entities(text)
        ent_key = "entities" if key == "text" else "caption_entities"
        if ents:
            msg.api[ent_key] = ents
        else:
            msg.api.pop(ent_key, None)
        msg.api["edit_date"] = _now()
        self._queue_update("edited_message", msg.api)
        return msg.to_api()

    def user_presses(
        self, user_id: int, chat_id: int, message_id: int, data: str, *, forged: bool = False
    ) -> str:
        """A user presses an inline button with ``callback_data == data``; returns the query id.

        ``forged=True`` sends ``data`` even if no such button exists, as a modified client can.
        A message older than 48 hours comes as Telegram sends it then, an InaccessibleMessage:
        its chat and id only, ``date`` 0 (no thread, no text, no buttons).
        """
        user = self._user(user_id)
        chat = self._chat(chat_id)
        msg = chat.messages.get(int(message_id))
        if msg is None or msg.deleted:
            raise SandboxError(f"message {message_id} not found in chat {chat_id}")
        buttons = [
            button
            for row in (msg.api.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
        if not forged and not any(b.get("callback_data") == data for b in buttons):
            raise SandboxError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(secrets.randbits(63))
        shown = msg.to_api()
        if _now() - int(shown.get("date") or 0) > INACCESSIBLE_AFTER:
            shown = {"chat": chat.api(), "message_id": msg.message_id, "date": 0}
        payload: Json = {
            "id": query_id,
            "from": user.api(),
            "message": shown,
            "chat_instance": str(abs(hash(("chat_instance", chat.id))) % 10**18),
            "data": data,
        }
        self.callback_queries[query_id] = {
            "id": query_id,
            "user_id": user.id,
            "chat_id": chat.id,
            "message_id": msg.message_id,
            "data": data,
            "answered": False,
            "date": _now(),
        }
        self._queue_update("callback_query", payload)
        return query_id

    def user_blocks_bot(self, user_id: int, blocked: bool = True) -> None:
        """Block/unblock the bot; queues a ``my_chat_member`` update like Telegram."""
        user = self._user(user_id)
        if user.blocked == blocked:
            return
        user.blocked = blocked
        bot_user = self._bot_user()
        kicked = {"status": "kicked", "user": bot_user, "until_date": 0}
        member = {"status": "member", "user": bot_user}
        self._queue_update(
            "my_chat_member",
            {
                "chat": self.chats[user.id].api(),
                "from": user.api(),
                "date": _now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )

    def member_changes(
        self,
        chat_id: int,
        user_id: int,
        status: str = "left",
        by: int | None = None,
        *,
        update: bool = True,
        service_message: bool = True,
        can_send: bool = False,
    ) -> None:
        """A group member leaves (``status="left"``, ``by`` None), is removed (``"left"``
        or ``"kicked"`` by an admin ``by``; a ban is not kept), promoted (``"administrator"``),
        demoted (``"member"``, which also lifts a restriction) or restricted by an admin
        (``"restricted"``: still a member, who may send messages only if ``can_send``). Queues a ``chat_member`` update (``update``; delivered only
        when the bot's ``allowed_updates`` name it, as on Telegram) and, for one who is no
        longer in the group, the ``left_chat_member`` service message (``service_message``;
        a group may hide them)."""
        user = self._user(user_id)
        chat = self._chat(chat_id)
        if chat.type == "private":
            raise SandboxError("a private chat has no members to change")
        if status not in ("member", "administrator", "left", "kicked", "restricted"):
            raise SandboxError(f"unknown member status {status!r}")
        old = (
            "administrator"
            if user.id in chat.admins
            else "restricted"
            if user.id in chat.restricted
            else "member"
            if user.id in chat.members
            else "left"
        )
        old_member = self._member(chat, user.api(), old)
        chat.admins = [u for u in chat.admins if u != user.id]
        chat.restricted.pop(user.id, None)
        if status == "restricted":
            chat.restricted[user.id] = can_send
        if status in ("left", "kicked"):
            chat.members = [u for u in chat.members if u != user.id]
        elif user.id not in chat.members:
            chat.members.append(user.id)
        if status == "administrator":
            chat.admins.append(user.id)
        actor = self._user(by).api() if by is not None else user.api()
        if update:
            self._queue_update(
                "chat_member",
                {
                    "chat": chat.api(),
                    "from": actor,
                    "date": _now(),
                    "old_chat_member": old_member,
                    "new_chat_member": self._member(chat, user.api(), status),
                },
            )
        if service_message and status in ("left", "kicked") and old != "left":
            msg = self._new_message(
                chat, actor, False, None, None, {"left_chat_member": user.api()}, service=True
            )
            self._queue_update("message", msg.api)
        self._notify()

    def user_closes_topic(self, user_id: int, chat_id: int, thread_id: int) -> Json:
        """A group admin closes a forum topic by hand; queues its service message."""
        user = self._user(user_id)
        chat = self._chat(chat_id)
        if user.id not in chat.admins:
            raise SandboxError(f"user {user.id} is not an admin of chat {chat.id}")
        topic = chat.topics.get(int(thread_id))
        if topic is None or topic.deleted or topic.closed:
            raise SandboxError(f"topic {thread_id} is not open in chat {chat_id}")
        topic.closed = True
        msg = self._new_message(
            chat,
            user.api(),
            False,
            None,
            topic.message_thread_id,
            {"forum_topic_closed": {}},
            service=True,
        )
        self._queue_update("message", msg.api)
        return msg.to_api()

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A human admin deletes a forum topic (and all its messages)."""
        chat = self._chat(chat_id)
        topic = chat.topics.get(int(thread_id))
        if topic is None:
            raise SandboxError(f"topic {thread_id} not found in chat {chat_id}")
        self._delete_topic(chat, topic)
        self._notify()

    def _delete_topic(self, chat: Chat, topic: Topic) -> None:
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.message_thread_id and not msg.deleted:
                msg.deleted, msg.deleted_date = True, _now()
        chat.pinned = [
            m for m in chat.pinned if chat.messages[m].thread_id != topic.message_thread_id
        ]

    # ----------------------------------------------------------------- queries

    def messages(
        self,
        chat_id: int,
        thread_id: int | None = None,
        from_bot: bool | None = None,
        include_service: bool = False,
        include_deleted: bool = False,
    ) -> list[Json]:
        """Messages of a chat (Telegram dicts), oldest first; thread_id None = all threads."""
        chat = self._chat(chat_id)
        return [
            m.to_api()
            for m in chat.messages.values()
            if (thread_id is None or m.thread_id == thread_id)
            and (from_bot is None or m.from_bot == from_bot)
            and (include_service or not m.service)
            and (include_deleted or not m.deleted)
        ]

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage:
        msg = self._chat(chat_id).messages.get(int(message_id))
        if msg is None:
            raise SandboxError(f"message {message_id} not found in chat {chat_id}")
        return msg

    def topics(self, chat_id: int) -> list[Json]:
        return [
            {**t.api(), "closed": t.closed, "deleted": t.deleted}
            for t in self._chat(chat_id).topics.values()
        ]

    def pinned(self, chat_id: int, thread_id: int | None = None) -> list[int]:
        chat = self._chat(chat_id)
        return [
            m for m in chat.pinned if thread_id is None or chat.messages[m].thread_id == thread_id
        ]

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.files.get(file_id)
        if stored is None:
            raise SandboxError(f"unknown file_id {file_id}")
        return stored.data

    def snapshot(self) -> Json:
        """Everything the sandbox page shows, JSON-able."""
        now = time.time()
        primary = self.primary_bot
        bots = []
        for bot in self.bots.values():
            bots.append(
                {
                    **bot.user(),
                    "mode": "webhook" if bot.webhook else "polling",
                    "webhook_url": bot.webhook.url if bot.webhook else "",
                    "pending_update_count": len(bot.updates),
                    "last_poll_age": None
                    if bot.last_poll is None
                    else round(now - bot.last_poll, 1),
                    "next_update_id": bot.next_update_id,
                }
            )
        chats = []
        for chat in self.chats.values():
            action = None
            if chat.action and now - chat.action["at"] < 5:
                action = {k: v for k, v in chat.action.items() if k != "at"}
            pinned = set(chat.pinned)
            chats.append(
                {
                    **chat.api(),
                    "members": list(chat.members),
                    "admins": list(chat.admins),
                    "bot_is_member": chat.bot_is_member,
                    "pinned": list(chat.pinned),
                    "reply_keyboard": chat.reply_keyboard,
                    "action": action,
                    "topics": self.topics(chat.id),
                    "messages": [
                        {
                            "message_id": m.message_id,
                            "thread_id": m.thread_id,
                            "from_bot": m.from_bot,
                            "service": m.service,
                            "deleted": m.deleted,
                            "edited": bool(m.history),
                            "history": [h.get("text") or h.get("caption") or "" for h in m.history],
                            "pinned": m.message_id in pinned,
                            "reactions": m.reactions,
                            "message": m.api,
                        }
                        for m in chat.messages.values()
                    ],
                }
            )
        return {
            "version": self.version,
            "bot": self._bot_user(primary),
            "bots": bots,
            "users": [
                {
                    **u.api(),
                    "full_name": u.full_name,
                    "blocked": u.blocked,
                    "started": u.started,
                }
                for u in self.users.values()
            ],
            "chats": chats,
            "callback_answers": self.callback_answers[-50:],
            "faults": [f.__dict__ for f in self.faults],
            "calls": len(self.calls),
        }

    # ----------------------------------------------------------------- files

    def _new_file_ids(self, data: bytes, prefix: str) -> tuple[str, str]:
        n = next(self._file_seq)
        unique = "AQAD" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:9]).decode()
        file_id = f"{prefix}{n:06d}" + base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
        return file_id, unique

    def _register_file(self, stored: StoredFile) -> StoredFile:
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _store_photo(self, data: bytes) -> StoredFile:
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        sizes: list[Json] = []
        variants = [(width, height)]
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            variants.insert(0, (max(1, round(width * scale)), max(1, round(height * scale))))
        stored: StoredFile | None = None
        for w, h in variants:
            file_id, unique = self._new_file_ids(data + f"{w}x{h}".encode(), "AgAC")
            path = f"photos/file_{len(self.files)}.{_mime_of(data).split('/')[-1]}"
            stored = self._register_file(
                StoredFile(file_id, unique, "photo", data, path, _mime_of(data), sizes)
            )
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "width": w,
                    "height": h,
                    "file_size": len(data),
                }
            )
        assert stored is not None
        return stored

    def _store_file(
        self, kind: str, data: bytes, filename: str | None, duration: int = 1
    ) -> StoredFile:
        if not data:
            raise bad_request("file must be non-empty")
        prefix = "BQAC" if kind == "document" else "AwAC"
        file_id, unique = self._new_file_ids(data, prefix)
        mime = _mime_of(data, filename) if kind == "document" else "audio/ogg"
        ext = Path(filename).suffix if filename else ".oga"
        folder = "documents" if kind == "document" else "voice"
        path = f"{folder}/file_{len(self.files)}{ext}"
        api: Json = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data),
            "mime_type": mime,
        }
        if kind == "document":
            api["file_name"] = filename or "file"
        else:
            api["duration"] = duration
        return self._register_file(StoredFile(file_id, unique, kind, data, path, mime, api))

    def _input_file(self, p: Params, key: str, kind: str) -> Any:
        """Resolve an InputFile parameter into the Telegram object of the message."""
        value = p.values.get(key)
        upload: Upload | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {key} in the request")
        elif value in (None, "") and key in p.files:
            upload = p.files[key]
        elif value in (None, ""):
            raise bad_request(f"there is no {key} in the request")
        if upload is not None:
            if kind == "photo":
                return self._store_photo(upload.data).api
            duration = p.get_int("duration") or 1
            return self._store_file(kind, upload.data, upload.filename, duration).api
        assert isinstance(value, str)
        stored = self.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return copy.deepcopy(stored.api)

    # ----------------------------------------------------------------- message building

    def _new_message(
        self,
        chat: Chat,
        sender: Json,
        from_bot: bool,
        bot: BotState | None,
        thread_id: int | None,
        content: Json,
        reply_to: StoredMessage | None = None,
        reply_markup: Json | None = None,
        service: bool = False,
        message_id: int | None = None,
    ) -> StoredMessage:
        if message_id is None:
            message_id = chat.next_message_id
        chat.next_message_id = max(chat.next_message_id, message_id + 1)
        api: Json = {"message_id": message_id, "from": sender, "chat": chat.api(), "date": _now()}
        if thread_id is not None:
            api["message_thread_id"] = thread_id
            if chat.is_forum:
                api["is_topic_message"] = True
        if reply_to is not None:
            api["reply_to_message"] = reply_to.shallow()
        elif thread_id is not None and chat.is_forum and not service:
            origin = chat.messages.get(thread_id)
            if origin is not None:
                api["reply_to_message"] = origin.shallow()
        api.update(copy.deepcopy(content))
        if reply_markup:
            api["reply_markup"] = reply_markup
        msg = StoredMessage(
            chat_id=chat.id,
            message_id=message_id,
            api=api,
            from_bot=from_bot,
            bot_id=bot.id if bot else None,
            thread_id=thread_id,
            service=service,
        )
        chat.messages[message_id] = msg
        return msg

    def _text(self, p: Params, key: str, entities_key: str, limit: int) -> tuple[str, list[Json]]:
        raw = p.get_str(key) or ""
        explicit = p.get_json(entities_key, "entities JSON object")
        if explicit:
            text, entities = raw, list(explicit)
        else:
            text, entities = parse_formatted(raw, p.get_str("parse_mode"))
        text, entities = strip_text(text, entities)
        if utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))

    def _markup(self, chat: Chat, p: Params) -> Json | None:
        """Validate reply_markup; keep reply keyboards on the chat, return inline markup."""
        markup = p.get_json("reply_markup", "reply keyboard markup JSON object")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            actions = (
                "url",
                "callback_data",
                "web_app",
                "login_url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "copy_text",
                "callback_game",
                "pay",
            )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request(
                            "can't parse inline keyboard button: Text must be non-empty"
                        )
                    if not any(k in button for k in actions):
                        raise bad_request(
                            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not (1 <= len(str(data).encode()) <= 64):
                        raise bad_request("BUTTON_DATA_INVALID")
                    url = button.get("url")
                    if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
                        raise bad_request("BUTTON_URL_INVALID")
            return {"inline_keyboard": rows}
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        return None

    def _resolve_chat(self, value: int | str) -> Chat:
        chat: Chat | None = None
        if isinstance(value, str):
            name = value.lstrip("@").lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if (c.username or (c.user.username if c.user else "") or "").lower() == name
                ),
                None,
            )
        else:
            chat = self.chats.get(value)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_can_send(self, chat: Chat) -> None:
        if chat.type == "private":
            assert chat.user is not None
            if chat.user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_is_member:
            raise forbidden("bot is not a member of the supergroup chat")

    def _resolve_reply(self, chat: Chat, p: Params) -> StoredMessage | None:
        params = p.get_json("reply_parameters", "reply parameters JSON object") or {}
        message_id = params.get("message_id") if isinstance(params, dict) else None
        allow = (
            bool(params.get("allow_sending_without_reply")) if isinstance(params, dict) else False
        )
        if message_id is None:
            message_id = p.get_int("reply_to_message_id")
            allow = allow or p.get_bool("allow_sending_without_reply")
        if message_id is None:
            return None
        other_chat = params.get("chat_id") if isinstance(params, dict) else None
        source = chat if other_chat in (None, chat.id) else self._resolve_chat(other_chat)
        msg = source.messages.get(int(message_id))
        if msg is None or msg.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return msg

    def _resolve_thread(self, chat: Chat, p: Params, reply_to: StoredMessage | None) -> int | None:
        thread_id = p.get_int("message_thread_id")
        if chat.type == "private":
            return None
        if thread_id is None:
            return (
                reply_to.thread_id if reply_to is not None and reply_to.chat_id == chat.id else None
            )
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.deleted:
                raise bad_request("message thread not found")
            return thread_id
        origin = chat.messages.get(thread_id)
        if origin is None or origin.deleted:
            raise bad_request("message thread not found")
        return thread_id

    def _send(
        self, bot: BotState, p: Params, content: Json, chat: Chat | None = None
    ) -> StoredMessage:
        chat = chat or self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        reply_to = self._resolve_reply(chat, p)
        thread_id = self._resolve_thread(chat, p, reply_to)
        markup = self._markup(chat, p)
        if p.get_bool("protect_content"):
            content["has_protected_content"] = True
        msg = self._new_message(chat, bot.user(), True, bot, thread_id, content, reply_to, markup)
        chat.action = None
        return msg

    def _own_message(self, bot: BotState, p: Params, not_found: str) -> StoredMessage:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(p.chat_id())
        msg = chat.messages.get(p.req_int("message_id"))
        if msg is None or msg.deleted:
            raise bad_request(not_found)
        if msg.service or not msg.from_bot or (msg.bot_id is not None and msg.bot_id != bot.id):
            raise bad_request("message can't be edited")
        return msg

    def _apply_edit(self, msg: StoredMessage, changes: Json, markup: Json | None) -> Json:
        current = {k: msg.api.get(k) for k in changes}
        if current == changes and msg.api.get("reply_markup") == markup:
            raise bad_request(MESSAGE_NOT_MODIFIED)
        msg.history.append(msg.to_api())
        for key, value in changes.items():
            if value in (None, [], ""):
                msg.api.pop(key, None)
            else:
                msg.api[key] = value
        if markup:
            msg.api["reply_markup"] = markup
        else:
            msg.api.pop("reply_markup", None)
        msg.api["edit_date"] = _now()
        return msg.to_api()

    def _service(
        self,
        bot: BotState,
        chat: Chat,
        thread_id: int | None,
        content: Json,
        message_id: int | None = None,
    ) -> StoredMessage:
        return self._new_message(
            chat, bot.user(), True, bot, thread_id, content, service=True, message_id=message_id
        )

    def _topic(self, chat: Chat, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request("TOPIC_ID_INVALID")
        return topic

    def _forum(self, p: Params) -> Chat:
        chat = self._resolve_chat(p.chat_id())
        if chat.type == "private" or not chat.is_forum:
            raise bad_request("the chat is not a forum")
        if not chat.bot_is_member:
            raise forbidden("bot is not a member of the supergroup chat")
        return chat

    def _member(self, chat: Chat, user: Json, status: str) -> Json:
        if status == "administrator":
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_send_welcome_messages": False,
                "can_pin_messages": True,
                "can_manage_topics": True,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status == "restricted":
            can_send = chat.restricted.get(user["id"], False)
            rights = {
                f"can_{right}": can_send
                for right in (
                    "send_messages", "send_audios", "send_documents", "send_photos",
                    "send_videos", "send_video_notes", "send_voice_notes", "send_polls",
                    "send_other_messages", "add_web_page_previews", "react_to_messages",
                )
            }  # fmt: skip
            return {
                "status": "restricted",
                "user": user,
                "is_member": True,
                **rights,
                "can_edit_tag": False,
                "can_change_info": False,
                "can_invite_users": False,
                "can_pin_messages": False,
                "can_manage_topics": False,
                "until_date": 0,
            }
        return {"status": status, "user": user}

    # ----------------------------------------------------------------- dispatch

    async def call(
        self,
        bot: BotState,
        method: str,
        values: Json,
        files: dict[str, Upload] | None = None,
        alive: Callable[[], bool] | None = None,
    ) -> Any:
        """Run one Bot API method (logged, with faults); raises :class:`TelegramError`."""
        self._loop = asyncio.get_running_loop()
        params = {k: _decode_value(k, v) for k, v in values.items()}
        logged = dict(params)
        for name, upload in (files or {}).items():
            logged[f"file:{name}"] = {"filename": upload.filename, "size": len(upload.data)}
        handler = self._METHODS.get(method.lower())
        self.calls.append(ApiCall(method, logged))
        if handler is None:
            raise TelegramError(404, "Not Found")
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                log.info("fake telegram: injected %s for %s", fault.status, method)
                raise TelegramError(
                    fault.status,
                    fault.description or _default_description(fault),
                    fault.retry_after,
                )
        p = Params(params, files)
        if handler is FakeTelegram._m_get_updates:
            return await self._m_get_updates(bot, p, alive)
        try:
            result = handler(self, bot, p)
        finally:
            self._notify()
        if asyncio.iscoroutine(result):
            result = await result
        return result

    def _m_get_me(self, bot: BotState, p: Params) -> Json:
        return {
            **bot.user(),
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_ok(self, bot: BotState, p: Params) -> bool:
        return True

    async def _m_get_updates(
        self, bot: BotState, p: Params, alive: Callable[[], bool] | None = None
    ) -> list[Json]:
        if bot.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset")
        limit = max(1, min(100, p.get_int("limit") or 100))
        timeout = max(0, p.get_int("timeout") or 0)
        allowed = p.get_json("allowed_updates")
        if isinstance(allowed, list):
            bot.allowed_updates = [str(a) for a in allowed] or None
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.last_poll = time.time()
        if offset is not None:
            if offset < 0:
                normal = [u for u in bot.updates if not u.redelivery]
                keep = {id(u) for u in normal[offset:]}
                bot.updates = [u for u in bot.updates if u.redelivery or id(u) in keep]
            else:
                bot.updates = [u for u in bot.updates if u.redelivery or u.update_id >= offset]
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            ready = self._deliverable(bot, limit)
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                break
            await self._wait_change(remaining)
            if alive is not None and not alive():
                return []  # the client went away: deliver nothing, confirm nothing
            bot.last_poll = time.time()
            if bot.poll_generation != generation:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if bot.webhook is not None:
                raise TelegramError(409, "Conflict: webhook was set while getUpdates was waiting")
        for update in ready:
            if update.redelivery:
                bot.updates.remove(update)
        return [u.api() for u in ready]

    def _m_set_webhook(self, bot: BotState, p: Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            return self._m_delete_webhook(bot, p)
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        allowed = p.get_json("allowed_updates")
        old = bot.webhook
        bot.webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=p.get_int("max_connections") or 40,
            allowed_updates=[str(a) for a in allowed]
            if isinstance(allowed, list) and allowed
            else None,
            ip_address="127.0.0.1",
        )
        if old is not None and old.task is not None:
            old.task.cancel()
        bot.webhook.task = asyncio.get_running_loop().create_task(
            self._webhook_worker(bot, bot.webhook)
        )
        return True

    def _m_delete_webhook(self, bot: BotState, p: Params) -> bool:
        if bot.webhook is not None and bot.webhook.task is not None:
            bot.webhook.task.cancel()
        bot.webhook = None
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        return True

    def _m_get_webhook_info(self, bot: BotState, p: Params) -> Json:
        info: Json = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        wh = bot.webhook
        if wh is not None:
            info.update(url=wh.url, max_connections=wh.max_connections)
            if wh.ip_address:
                info["ip_address"] = wh.ip_address
            if wh.allowed_updates:
                info["allowed_updates"] = wh.allowed_updates
            if wh.last_error_date:
                info["last_error_date"] = wh.last_error_date
                info["last_error_message"] = wh.last_error_message
        return info

    async def _webhook_worker(self, bot: BotState, wh: Webhook) -> None:
        delay = self.webhook_retry_delay
        timeout = ClientTimeout(total=self.webhook_timeout)
        async with ClientSession(timeout=timeout) as session:
            while bot.webhook is wh and not self._closing:
                ready = self._deliverable(bot, 1)
                if not ready:
                    await self._wait_change(1.0)
                    continue
                update = ready[0]
                headers = {"Content-Type": "application/json"}
                if wh.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = wh.secret_token
                error: str | None = None
                reply: tuple[str, bytes] | None = None
                try:
                    async with session.post(
                        wh.url, data=json.dumps(update.api()), headers=headers
                    ) as resp:
                        body = await resp.read()
                        if 200 <= resp.status < 300:
                            reply = (resp.headers.get("Content-Type", ""), body)
                        else:
                            error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (ClientError, TimeoutError, OSError) as exc:
                    error = f"Connection error: {type(exc).__name__}: {exc}"
                if bot.webhook is not wh:
                    break
                if error is not None:
                    log.info(
                        "fake telegram: webhook delivery of update %s failed: %s",
                        update.update_id,
                        error,
                    )
                    wh.last_error_date, wh.last_error_message = _now(), error
                    self._notify()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.webhook_max_retry_delay)
                    continue
                delay = self.webhook_retry_delay
                wh.delivered += 1
                with contextlib.suppress(ValueError):
                    bot.updates.remove(update)
                self._notify()
                if reply is not None:
                    await self._webhook_reply(bot, *reply)

    async def _webhook_reply(self, bot: BotState, content_type: str, body: bytes) -> None:
        """Run a Bot API method answered in the webhook response, as Telegram does."""
        values: Json = {}
        files: dict[str, Upload] = {}
        try:
            if "multipart/form-data" in content_type:
                values, files = parse_multipart(content_type, body)
            elif body.strip():
                decoded = json.loads(body)
                if isinstance(decoded, dict):
                    values = decoded
        except ValueError:
            return
        method = values.pop("method", None)
        if not method:
            return
        try:
            await self.call(bot, str(method), values, files)
        except TelegramError as exc:
            log.info("fake telegram: webhook reply %s failed: %s", method, exc.description)

    # messages ---------------------------------------------------------------

    def _m_send_message(self, bot: BotState, p: Params) -> Json:
        chat = self._resolve_chat(p.chat_id())
        text, entities = self._text(p, "text", "entities", MAX_TEXT_LENGTH)
        if not text:
            raise bad_request("message text is empty")
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        return self._send(bot, p, content, chat).to_api()

    def _media(self, bot: BotState, p: Params, kind: str) -> Json:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        caption, entities = self._text(p, "caption", "caption_entities", MAX_CAPTION_LENGTH)
        content: Json = {kind: self._input_file(p, kind, kind)}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        if kind == "photo" and p.get_bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._send(bot, p, content, chat).to_api()

    def _m_send_photo(self, bot: BotState, p: Params) -> Json:
        return self._media(bot, p, "photo")

    def _m_send_document(self, bot: BotState, p: Params) -> Json:
        return self._media(bot, p, "document")

    def _m_send_voice(self, bot: BotState, p: Params) -> Json:
        return self._media(bot, p, "voice")

    def _m_send_media_group(self, bot: BotState, p: Params) -> list[Json]:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        media = p.get_json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must be between 2 and 10")
        group_id = str(secrets.randbits(62))
        contents = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "document",
                "video",
                "audio",
            ):
                raise bad_request("unsupported media type in the album")
            kind = item["type"]
            sub = Params(
                {
                    kind: item.get("media"),
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                },
                p.files,
            )
            content: Json = {kind: self._input_file(sub, kind, kind), "media_group_id": group_id}
            caption, entities = self._text(sub, "caption", "caption_entities", MAX_CAPTION_LENGTH)
            if caption:
                content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
            contents.append(content)
        no_markup = Params({k: v for k, v in p.values.items() if k != "reply_markup"}, p.files)
        return [self._send(bot, no_markup, content, chat).to_api() for content in contents]

    def _copy_content(self, msg: StoredMessage, p: Params, keep_caption: bool = True) -> Json:
        if msg.service or "game" in msg.api:
            raise bad_request("message can't be copied")
        content = {k: copy.deepcopy(msg.api[k]) for k in CONTENT_KEYS if k in msg.api}
        if p.values.get("caption") is not None and "text" not in content:
            caption, entities = self._text(p, "caption", "caption_entities", MAX_CAPTION_LENGTH)
            content.pop("caption_entities", None)
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
            if not caption:
                content.pop("caption")
        if not keep_caption:
            content.pop("caption", None)
            content.pop("caption_entities", None)
        return content

    def _source_message(self, p: Params, message_id: int, not_found: str) -> StoredMessage:
        source = self._resolve_chat(p.chat_id("from_chat_id"))
        msg = source.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request(not_found)
        return msg

    def _m_copy_message(self, bot: BotState, p: Params) -> Json:
        msg = self._source_message(p, p.req_int("message_id"), "message to copy not found")
        content = self._copy_content(msg, p)
        return {"message_id": self._send(bot, p, content).message_id}

    def _m_copy_messages(self, bot: BotState, p: Params) -> list[Json]:
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message_ids is empty")
        chat = self._resolve_chat(p.chat_id())
        source = self._resolve_chat(p.chat_id("from_chat_id"))
        plain = Params(
            {k: v for k, v in p.values.items() if k not in ("reply_markup", "caption")}, p.files
        )
        result = []
        albums: dict[str, str] = {}  # album grouping is kept, as on Telegram: a new group id
        for mid in sorted(int(i) for i in ids):
            msg = source.messages.get(mid)
            if msg is None or msg.deleted or msg.service:
                continue
            content = self._copy_content(msg, plain, keep_caption=not p.get_bool("remove_caption"))
            if group := msg.api.get("media_group_id"):
                content["media_group_id"] = albums.setdefault(group, str(secrets.randbits(62)))
            result.append({"message_id": self._send(bot, plain, content, chat).message_id})
        if not result:
            raise bad_request("message to copy not found")
        return result

    def _m_forward_message(self, bot: BotState, p: Params) -> Json:
        msg = self._source_message(p, p.req_int("message_id"), "message to forward not found")
        if msg.service:
            raise bad_request("message can't be forwarded")
        content = {k: copy.deepcopy(msg.api[k]) for k in CONTENT_KEYS if k in msg.api}
        content["forward_origin"] = copy.deepcopy(msg.api.get("forward_origin")) or {
            "type": "user",
            "date": msg.api["date"],
            "sender_user": copy.deepcopy(msg.api["from"]),
        }
        plain = Params({k: v for k, v in p.values.items() if k != "reply_markup"}, p.files)
        return self._send(bot, plain, content).to_api()

    def _m_send_chat_action(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        action = p.get_str("action", required=True)
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        thread_id = self._resolve_thread(chat, p, None)
        chat.action = {"action": action, "thread_id": thread_id, "at": time.time()}
        return True

    def _m_edit_message_text(self, bot: BotState, p: Params) -> Json:
        msg = self._own_message(bot, p, "message to edit not found")
        text, entities = self._text(p, "text", "entities", MAX_TEXT_LENGTH)
        if not text:
            raise bad_request("message text is empty")
        if "text" not in msg.api:
            raise bad_request("there is no text in the message to edit")
        markup = self._markup(self.chats[msg.chat_id], p)
        return self._apply_edit(msg, {"text": text, "entities": entities or None}, markup)

    def _m_edit_message_caption(self, bot: BotState, p: Params) -> Json:
        msg = self._own_message(bot, p, "message to edit not found")
        if not any(k in msg.api for k in MEDIA_KEYS):
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._text(p, "caption", "caption_entities", MAX_CAPTION_LENGTH)
        markup = self._markup(self.chats[msg.chat_id], p)
        return self._apply_edit(
            msg, {"caption": caption or None, "caption_entities": entities or None}, markup
        )

    def _m_edit_message_reply_markup(self, bot: BotState, p: Params) -> Json:
        msg = self._own_message(bot, p, "message to edit not found")
        markup = self._markup(self.chats[msg.chat_id], p)
        return self._apply_edit(msg, {}, markup)

    def _m_delete_message(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        self._delete_one(bot, chat, p.req_int("message_id"))
        return True

    def _delete_one(self, bot: BotState, chat: Chat, message_id: int) -> None:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        if "forum_topic_created" in msg.api:
            raise bad_request("message can't be deleted")
        if chat.type != "private" and not msg.from_bot and not chat.bot_is_member:
            raise bad_request("message can't be deleted")
        msg.deleted, msg.deleted_date = True, _now()
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)

    def _m_delete_messages(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message_ids is empty")
        for mid in ids:
            with contextlib.suppress(TelegramError):
                self._delete_one(bot, chat, int(mid))
        return True

    def _m_pin_chat_message(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        msg = chat.messages.get(p.req_int("message_id"))
        if msg is None or msg.deleted:
            raise bad_request("message to pin not found")
        if msg.service:
            raise bad_request("message can't be pinned")
        if msg.message_id in chat.pinned:
            chat.pinned.remove(msg.message_id)
        chat.pinned.append(msg.message_id)
        self._service(bot, chat, msg.thread_id, {"pinned_message": msg.shallow()})
        return True

    def _m_unpin_chat_message(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        message_id = p.get_int("message_id")
        if message_id is None:
            if chat.pinned:
                chat.pinned.pop()
        elif message_id in chat.pinned:
            chat.pinned.remove(message_id)
        return True

    def _m_unpin_all_chat_messages(self, bot: BotState, p: Params) -> bool:
        self._resolve_chat(p.chat_id()).pinned.clear()
        return True

    def _m_unpin_all_forum_topic_messages(self, bot: BotState, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p.req_int("message_thread_id"))
        chat.pinned = [
            m for m in chat.pinned if chat.messages[m].thread_id != topic.message_thread_id
        ]
        return True

    def _m_set_message_reaction(self, bot: BotState, p: Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        msg = chat.messages.get(p.req_int("message_id"))
        if msg is None or msg.deleted:
            raise bad_request("message to react not found")
        reaction = p.get_json("reaction") or []
        if not isinstance(reaction, list):
            raise bad_request("can't parse reaction types JSON object")
        msg.reactions = reaction
        return True

    # topics ---------------------------------------------------------------------

    def _m_create_forum_topic(self, bot: BotState, p: Params) -> Json:
        chat = self._forum(p)
        name = (p.get_str("name") or "").strip()
        if not name:
            raise bad_request("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise bad_request("TOPIC_TITLE_INVALID")
        color = p.get_int("icon_color") or TOPIC_COLORS[0]
        if color not in TOPIC_COLORS:
            raise bad_request("TOPIC_ICON_COLOR_INVALID")
        emoji = p.get_str("icon_custom_emoji_id") or None
        thread_id = chat.next_message_id
        topic = Topic(thread_id, name, color, emoji)
        chat.topics[thread_id] = topic
        created: Json = {"name": name, "icon_color": color}
        if emoji:
            created["icon_custom_emoji_id"] = emoji
        self._service(bot, chat, thread_id, {"forum_topic_created": created}, message_id=thread_id)
        return topic.api()

    def _m_edit_forum_topic(self, bot: BotState, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p.req_int("message_thread_id"))
        edited: Json = {}
        name = p.get_str("name")
        if name is not None and name.strip() and name.strip() != topic.name:
            if len(name) > 128:
                raise bad_request("TOPIC_TITLE_INVALID")
            topic.name = edited["name"] = name.strip()
        emoji = p.get_str("icon_custom_emoji_id")
        if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = emoji or None
            edited["icon_custom_emoji_id"] = emoji
        if not edited:
            raise bad_request("TOPIC_NOT_MODIFIED")
        self._service(bot, chat, topic.message_thread_id, {"forum_topic_edited": edited})
        return True

    def _set_closed(self, p: Params, closed: bool, bot: BotState) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p.req_int("message_thread_id"))
        if topic.closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._service(bot, chat, topic.message_thread_id, {key: {}})
        return True

    def _m_close_forum_topic(self, bot: BotState, p: Params) -> bool:
        return self._set_closed(p, True, bot)

    def _m_reopen_forum_topic(self, bot: BotState, p: Params) -> bool:
        return self._set_closed(p, False, bot)

    def _m_delete_forum_topic(self, bot: BotState, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p.req_int("message_thread_id"))
        self._delete_topic(chat, topic)
        return True

    # chats, members, callbacks, files, commands ----------------------------------

    def _m_answer_callback_query(self, bot: BotState, p: Params) -> bool:
        query_id = p.get_str("callback_query_id", required=True) or ""
        query = self.callback_queries.get(query_id)
        if query is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        answer = {
            "callback_query_id": query_id,
            "user_id": query["user_id"],
            "chat_id": query["chat_id"],
            "message_id": query["message_id"],
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "date": time.time(),
        }
        query["answer"] = answer
        self.callback_answers.append(answer)
        return True

    def _m_get_chat(self, bot: BotState, p: Params) -> Json:
        chat = self._resolve_chat(p.chat_id())
        info: Json = {
            **chat.api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat.pinned:
            info["pinned_message"] = chat.messages[chat.pinned[-1]].shallow()
        if chat.type != "private":
            info["permissions"] = {"can_send_messages": True, "can_manage_topics": False}
        return info

    def _m_get_chat_member(self, bot: BotState, p: Params) -> Json:
        chat = self._resolve_chat(p.chat_id())
        user_id = p.req_int("user_id")
        if user_id == bot.id:
            if chat.type == "private":
                assert chat.user is not None
                return self._member(chat, bot.user(), "kicked" if chat.user.blocked else "member")
            return self._member(chat, bot.user(), "administrator" if chat.bot_is_member else "left")
        if chat.type != "private" and not chat.bot_is_member:
            raise forbidden("bot is not a member of the supergroup chat")
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            return self._member(chat, user.api(), "member")
        if user_id in chat.admins:
            return self._member(chat, user.api(), "administrator")
        if user_id in chat.restricted:
            return self._member(chat, user.api(), "restricted")
        return self._member(chat, user.api(), "member" if user_id in chat.members else "left")

    def _m_get_chat_administrators(self, bot: BotState, p: Params) -> list[Json]:
        chat = self._resolve_chat(p.chat_id())
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [self._member(chat, self.users[uid].api(), "administrator") for uid in chat.admins]
        if chat.bot_is_member:
            admins.append(self._member(chat, bot.user(), "administrator"))
        return admins

    def _m_get_file(self, bot: BotState, p: Params) -> Json:
        stored = self.files.get(p.get_str("file_id", required=True) or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    @staticmethod
    def _commands_key(p: Params) -> str:
        scope = p.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + (p.get_str("language_code") or "")

    def _m_set_my_commands(self, bot: BotState, p: Params) -> bool:
        commands = p.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _m_get_my_commands(self, bot: BotState, p: Params) -> list[Json]:
        return copy.deepcopy(bot.commands.get(self._commands_key(p), []))

    def _m_delete_my_commands(self, bot: BotState, p: Params) -> bool:
        bot.commands.pop(self._commands_key(p), None)
        return True

    def _m_set_chat_menu_button(self, bot: BotState, p: Params) -> bool:
        button = p.get_json("menu_button") or {"type": "default"}
        chat_id = p.get_int("chat_id")
        if chat_id is None:
            bot.default_menu_button = button
        else:
            self._resolve_chat(chat_id).menu_button = button
        return True

    def _m_get_chat_menu_button(self, bot: BotState, p: Params) -> Json:
        chat_id = p.get_int("chat_id")
        if chat_id is not None:
            button = self._resolve_chat(chat_id).menu_button
            if button:
                return button
        return bot.default_menu_button or {"type": "commands"}

    _METHODS: dict[str, Callable[..., Any]] = {}


def _default_description(fault: Fault) -> str:
    status = fault.status or 500
    if status == 429:
        return f"Too Many Requests: retry after {fault.retry_after}"
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"Error {status}")


FakeTelegram._METHODS = {
    "getme": FakeTelegram._m_get_me,
    "logout": FakeTelegram._m_ok,
    "close": FakeTelegram._m_ok,
    "getupdates": FakeTelegram._m_get_updates,
    "setwebhook": FakeTelegram._m_set_webhook,
    "deletewebhook": FakeTelegram._m_delete_webhook,
    "getwebhookinfo": FakeTelegram._m_get_webhook_info,
    "sendmessage": FakeTelegram._m_send_message,
    "copymessage": FakeTelegram._m_copy_message,
    "copymessages": FakeTelegram._m_copy_messages,
    "forwardmessage": FakeTelegram._m_forward_message,
    "sendphoto": FakeTelegram._m_send_photo,
    "senddocument": FakeTelegram._m_send_document,
    "sendvoice": FakeTelegram._m_send_voice,
    "sendmediagroup": FakeTelegram._m_send_media_group,
    "sendchataction": FakeTelegram._m_send_chat_action,
    "editmessagetext": FakeTelegram._m_edit_message_text,
    "editmessagecaption": FakeTelegram._m_edit_message_caption,
    "editmessagereplymarkup": FakeTelegram._m_edit_message_reply_markup,
    "deletemessage": FakeTelegram._m_delete_message,
    "deletemessages": FakeTelegram._m_delete_messages,
    "pinchatmessage": FakeTelegram._m_pin_chat_message,
    "unpinchatmessage": FakeTelegram._m_unpin_chat_message,
    "unpinallchatmessages": FakeTelegram._m_unpin_all_chat_messages,
    "createforumtopic": FakeTelegram._m_create_forum_topic,
    "editforumtopic": FakeTelegram._m_edit_forum_topic,
    "closeforumtopic": FakeTelegram._m_close_forum_topic,
    "reopenforumtopic": FakeTelegram._m_reopen_forum_topic,
    "deleteforumtopic": FakeTelegram._m_delete_forum_topic,
    "unpinallforumtopicmessages": FakeTelegram._m_unpin_all_forum_topic_messages,
    "answercallbackquery": FakeTelegram._m_answer_callback_query,
    "getchat": FakeTelegram._m_get_chat,
    "getchatmember": FakeTelegram._m_get_chat_member,
    "getchatadministrators": FakeTelegram._m_get_chat_administrators,
    "getfile": FakeTelegram._m_get_file,
    "setmycommands": FakeTelegram._m_set_my_commands,
    "getmycommands": FakeTelegram._m_get_my_commands,
    "deletemycommands": FakeTelegram._m_delete_my_commands,
    "setchatmenubutton": FakeTelegram._m_set_chat_menu_button,
    "getchatmenubutton": FakeTelegram._m_get_chat_menu_button,
    "setmessagereaction": FakeTelegram._m_set_message_reaction,
}


# --------------------------------------------------------------------------- HTTP


def parse_multipart(content_type: str, body: bytes) -> tuple[Json, dict[str, Upload]]:
    """Parse a multipart/form-data body held in memory (used for webhook replies)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    values: Json = {}
    files: dict[str, Upload] = {}
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = Upload(filename, payload)
        else:
            values[str(name)] = payload.decode("utf-8", "replace")
    return values, files


async def _read_params(request: web.Request) -> tuple[Json, dict[str, Upload]]:
    values: Json = dict(request.query)
    files: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON body") from None
            if isinstance(body, dict):
                values.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = Upload(value.filename or key, value.file.read())
                else:
                    values[key] = value
    return values, files


def _telegram_response(result: Any = None, error: TelegramError | None = None) -> web.Response:
    if error is not None:
        return web.json_response(error.payload(), status=error.error_code)
    return web.json_response({"ok": True, "result": result})


FAKE_KEY = web.AppKey("fake_telegram", FakeTelegram)


async def _bot_api(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    try:
        bot = fake._bot_for_token(request.match_info["token"])
        values, files = await _read_params(request)
        result = await fake.call(
            bot,
            request.match_info["method"],
            values,
            files,
            alive=lambda: request.transport is not None and not request.transport.is_closing(),
        )
    except TelegramError as exc:
        log.debug(
            "fake telegram: %s -> %s %s",
            request.match_info["method"],
            exc.error_code,
            exc.description,
        )
        return _telegram_response(error=exc)
    return _telegram_response(result)


async def _download(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    try:
        fake._bot_for_token(request.match_info["token"])
    except TelegramError as exc:
        return _telegram_response(error=exc)
    stored = fake._files_by_path.get(request.match_info["path"])
    if stored is None:
        return _telegram_response(error=TelegramError(404, "Not Found"))
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


# control API ----------------------------------------------------------------------


def _control(func: Callable[[FakeTelegram, Json], Any]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        fake = request.app[FAKE_KEY]
        fake._loop = asyncio.get_running_loop()
        body: Json = {}
        if request.can_read_body:
            try:
                decoded = await request.json()
            except ValueError:
                return web.json_response({"ok": False, "error": "body must be JSON"}, status=400)
            if isinstance(decoded, dict):
                body = decoded
        try:
            result = func(fake, body)
        except (SandboxError, TelegramError, KeyError, TypeError, ValueError) as exc:
            message = exc.description if isinstance(exc, TelegramError) else str(exc)
            return web.json_response({"ok": False, "error": message}, status=400)
        return web.json_response({"ok": True, "result": result})

    return handler


def _opt_int(body: Json, key: str) -> int | None:
    value = body.get(key)
    return None if value in (None, "") else int(value)


def _ctl_state(fake: FakeTelegram, body: Json) -> Json:
    return fake.snapshot()


def _ctl_users(fake: FakeTelegram, body: Json) -> Json:
    return fake.add_user(
        first_name=str(body.get("first_name") or "Customer"),
        last_name=body.get("last_name") or None,
        username=body.get("username") or None,
        language_code=body.get("language_code") or "en",
        user_id=_opt_int(body, "user_id"),
    )


def _ctl_groups(fake: FakeTelegram, body: Json) -> Json:
    return fake.add_group(
        title=str(body.get("title") or "Operators"),
        is_forum=bool(body.get("is_forum", True)),
        members=[int(m) for m in body.get("members") or []],
        admins=[int(m) for m in body.get("admins") or []],
        chat_id=_opt_int(body, "chat_id"),
    )


def _ctl_send(fake: FakeTelegram, body: Json) -> Json:
    document = None
    doc = body.get("document")
    if isinstance(doc, dict):
        if doc.get("content_base64") is not None:
            data = base64.b64decode(doc["content_base64"])
        else:
            data = str(doc.get("text") or "").encode()
        document = (str(doc.get("filename") or "document.txt"), data)
    photo: bool | bytes = bool(body.get("photo"))
    if body.get("photo_base64"):
        photo = base64.b64decode(body["photo_base64"])
    location = body.get("location")
    if isinstance(location, dict):
        location = (location["latitude"], location["longitude"])
    contact = body.get("contact")
    if contact is True:
        contact = {}  # their own number, as the "share my phone" button sends it
    poll = body.get("poll")
    if isinstance(poll, str):
        poll = {"question": poll}
    return fake.user_sends(
        int(body["user_id"]),
        body.get("text") or None,
        chat_id=_opt_int(body, "chat_id"),
        photo=photo,
        document=document,
        voice=bool(body.get("voice")),
        caption=body.get("caption") or None,
        message_thread_id=_opt_int(body, "message_thread_id"),
        reply_to_message_id=_opt_int(body, "reply_to_message_id"),
        forwarded_from=body.get("forwarded_from") or None,
        sticker=body.get("sticker") or None,
        location=tuple(location) if location else None,
        venue=body.get("venue") or None,
        contact=contact if isinstance(contact, dict) else None,
        video_note=bool(body.get("video_note")),
        animation=bool(body.get("animation")),
        poll=poll or None,
        dice=body.get("dice") or None,
        game=body.get("game") or None,
        stranger=bool(body.get("stranger")),
    )


def _ctl_edit(fake: FakeTelegram, body: Json) -> Json:
    return fake.user_edits(
        int(body["chat_id"]), int(body["message_id"]), str(body.get("text") or "")
    )


def _ctl_press(fake: FakeTelegram, body: Json) -> str:
    return fake.user_presses(
        int(body["user_id"]),
        int(body["chat_id"]),
        int(body["message_id"]),
        str(body["data"]),
        forged=bool(body.get("forged")),
    )


def _ctl_block(fake: FakeTelegram, body: Json) -> bool:
    fake.user_blocks_bot(int(body["user_id"]), blocked=bool(body.get("blocked", True)))
    return True


def _ctl_delete_topic(fake: FakeTelegram, body: Json) -> bool:
    thread = body.get("message_thread_id", body.get("thread_id"))
    fake.delete_topic(int(body["chat_id"]), int(thread))
    return True


def _ctl_fault(fake: FakeTelegram, body: Json) -> bool:
    fake.add_fault(
        str(body.get("method") or "*"),
        status=_opt_int(body, "status"),
        description=body.get("description") or None,
        retry_after=_opt_int(body, "retry_after"),
        delay=float(body.get("delay") or 0.0),
        times=int(body.get("times") or 1),
    )
    return True


def _ctl_redeliver(fake: FakeTelegram, body: Json) -> bool:
    fake.redeliver(int(body["update_id"]))
    return True


async def _ctl_file(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    stored = fake.files.get(request.match_info["file_id"])
    if stored is None:
        return web.json_response({"ok": False, "error": "unknown file"}, status=404)
    headers = {"Cache-Control": "max-age=3600"}
    if stored.kind == "document":
        name = stored.api.get("file_name", "file") if isinstance(stored.api, dict) else "file"
        headers["Content-Disposition"] = f'inline; filename="{name}"'
    return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)


def create_app(fake: FakeTelegram) -> web.Application:
    """The aiohttp application: Bot API, file downloads, control API and the page."""
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[FAKE_KEY] = fake
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", _download)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC_DIR)
    api = "/sandbox/api/"
    app.router.add_get(api + "state", _control(_ctl_state))
    app.router.add_get(api + "file/{file_id}", _ctl_file)
    for name, func in (
        ("users", _ctl_users),
        ("groups", _ctl_groups),
        ("send", _ctl_send),
        ("edit", _ctl_edit),
        ("press", _ctl_press),
        ("block", _ctl_block),
        ("delete_topic", _ctl_delete_topic),
        ("fault", _ctl_fault),
        ("redeliver", _ctl_redeliver),
    ):
        app.router.add_post(api + name, _control(func))

    async def on_startup(app: web.Application) -> None:
        fake._closing = False
        fake._loop = asyncio.get_running_loop()
        for bot in fake.bots.values():  # a restarted server resumes webhook deliveries
            wh = bot.webhook
            if wh is not None and (wh.task is None or wh.task.done()):
                wh.task = fake._loop.create_task(fake._webhook_worker(bot, wh))

    async def on_shutdown(app: web.Application) -> None:
        await fake.aclose()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


class FakeTelegramServer:
    """Runs :func:`create_app` on a loopback port: ``async with FakeTelegramServer() as srv``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, fake: FakeTelegram | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.fake = fake or FakeTelegram()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(create_app(self.fake), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=1.0)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        log.info("fake telegram listening on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def seed_demo(fake: FakeTelegram) -> Json:
    """A forum group with two operators (admins) and one customer, for manual runs."""
    anna = fake.add_user("Anna", "Operator", username="anna_ops", language_code="en")
    piotr = fake.add_user("Piotr", "Operator", username="piotr_ops", language_code="pl")
    customer = fake.add_user("Ivan", "Petrov", username="ivan_p", language_code="ru")
    group = fake.add_group(
        "Support operators", members=[anna["id"], piotr["id"]], admins=[anna["id"], piotr["id"]]
    )
    return {"group": group, "operators": [anna, piotr], "customer": customer}


async def _serve(host: str, port: int, demo: bool) -> None:
    fake = FakeTelegram()
    if demo:
        seeded = seed_demo(fake)
        print(f"operators group chat id: {seeded['group']['id']}")
    async with FakeTelegramServer(host, port, fake) as server:
        print(f"fake Telegram Bot API: {server.base_url}  (sandbox page: {server.base_url}/)")
        print(f"aiogram: AiohttpSession(api=TelegramAPIServer.from_base({server.base_url!r}))")
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server + sandbox page")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--no-demo", action="store_true", help="start with no users and groups")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, not args.no_demo))


if __name__ == "__main__":
    main()
