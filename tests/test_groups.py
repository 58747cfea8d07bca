"""A group (not the operators') the bot was added to, through the real dispatcher against
the local fake Bot API."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message, Update

from bot.app import create_dispatcher
from bot.sandbox.fakeapi import FakeTelegramServer
from bot.services import Services
from tests.test_delivery import bot, server  # noqa: F401  (fixtures)


async def test_a_customer_asking_the_bot_in_a_group_is_pointed_to_a_private_chat(
    services: Services,
    server: FakeTelegramServer,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    """The shop's bot is in its customers' group; Anna wrote '@shop_bot где мой заказ?' (or
    /start) there and nothing happened. Now she is told, once per message addressed to the
    bot, to write in private; the group's other talk is left alone."""
    fake = server.fake
    anna = fake.add_user("Anna", language_code="ru")
    group = fake.add_group("Покупатели магазина", is_forum=False, members=[anna["id"]])
    me = await bot.me()
    dp = create_dispatcher(services.settings, services)
    ids = iter(range(1, 100))

    async def says(text: str) -> list[str]:
        before = len(fake.messages(group["id"], from_bot=True))
        sent = fake.user_sends(anna["id"], text, chat_id=group["id"])
        message = Message.model_validate(sent, context={"bot": bot})
        await dp.feed_update(bot, Update(update_id=next(ids), message=message))
        return [m["text"] for m in fake.messages(group["id"], from_bot=True)[before:]]

    assert await says("всем привет, кто брал этот чайник?") == []
    [answer] = await says(f"@{me.username} где мой заказ 5531207?")
    assert f"@{me.username}" in answer and "личн" in answer, answer
    assert len(await says(f"/start@{me.username}")) == 1
