"""Telegram's service messages in a customer's chat, through the real dispatcher against the
local fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from aiogram.types import (
    BackgroundFillSolid,
    BackgroundTypeFill,
    Chat,
    ChatBackground,
    Update,
    User,
)
from aiogram.types import Message as TgMessage

from bot.app import create_dispatcher
from bot.sandbox.fakeapi import FakeTelegramServer
from bot.services import Services
from tests.test_delivery import bot, server  # noqa: F401  (fixtures)


async def test_pinning_a_message_or_a_new_wallpaper_gets_no_reply(
    services: Services,
    server: FakeTelegramServer,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    """Anna pinned the bot's answer in her chat (or set a wallpaper for it): Telegram tells
    the bot with a service message, which was read as a message without words, and she got
    'Спасибо, получил. Напишите в двух словах, что случилось'. Only what she writes or
    sends is answered."""
    fake = server.fake
    user = fake.add_user("Anna", language_code="ru")
    dp = create_dispatcher(services.settings, services)
    chat = Chat(id=user["id"], type="private")
    anna = User(id=user["id"], is_bot=False, first_name="Anna", language_code="ru")
    now = datetime.now(UTC)
    answer = TgMessage(message_id=1, date=now, chat=chat, text="Доставка занимает 2-3 дня.")
    wallpaper = ChatBackground(
        type=BackgroundTypeFill(fill=BackgroundFillSolid(color=1), dark_theme_dimming=0)
    )
    service = [
        TgMessage(message_id=2, date=now, chat=chat, from_user=anna, pinned_message=answer),
        TgMessage(message_id=3, date=now, chat=chat, from_user=anna, chat_background_set=wallpaper),
    ]
    for i, message in enumerate(service, start=1):
        await dp.feed_update(bot, Update(update_id=i, message=message))
    assert fake.messages(user["id"], from_bot=True) == []
    hello = TgMessage(message_id=4, date=now, chat=chat, from_user=anna, text="Здравствуйте!")
    await dp.feed_update(bot, Update(update_id=9, message=hello))
    assert len(fake.messages(user["id"], from_bot=True)) == 1
