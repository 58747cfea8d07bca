"""The kind answer when handling an update fails, through the real dispatcher against the
local fake Bot API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from aiogram.types import Message as TgMessage
from sqlalchemy import select

from bot.app import create_dispatcher
from bot.db.models import Message as MessageRow
from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer
from bot.services import Services
from tests.test_delivery import bot, server  # noqa: F401  (fixtures)


@dataclass
class Broken:
    """Anna (Russian) writing to a bot whose engine breaks on every update."""

    fake: FakeTelegram
    dp: Dispatcher
    chat: Chat
    anna: User


def _anna(fake: FakeTelegram) -> User:
    """Anna, who writes Russian, known to the fake Telegram."""
    user = fake.add_user("Anna", language_code="ru")
    return User(id=user["id"], is_bot=False, first_name="Anna", language_code="ru")


def _says(user: User, message_id: int, text: str) -> TgMessage:
    """A message ``user`` sends the bot in their private chat."""
    return TgMessage(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
    )


@pytest.fixture
def broken(
    services: Services,
    server: FakeTelegramServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Broken:
    fake = server.fake
    anna = _anna(fake)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(services.engine, "handle", broken)
    return Broken(
        fake, create_dispatcher(services.settings, services), Chat(id=anna.id, type="private"), anna
    )


async def test_a_button_press_that_failed_is_not_said_to_be_saved(
    broken: Broken,
    bot: Bot,  # noqa: F811
) -> None:
    """Pressing 'Вернуть деньги' broke on the bot's side: the customer was told 'Ваше
    сообщение сохранено, скоро вернусь с ответом', but a press is no message and nothing
    was kept, so nobody came back. Now they are asked to press it again or write."""
    fake, dp, chat, anna = broken.fake, broken.dp, broken.chat, broken.anna
    refund = InlineKeyboardButton(text="Вернуть деньги", callback_data="cmp:opt:refund")
    offer = TgMessage(
        message_id=5,
        date=datetime.now(UTC),
        chat=chat,
        text="Как мне это исправить?",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[refund]]),
    )
    press = CallbackQuery(
        id="q1", from_user=anna, chat_instance="c1", message=offer, data="cmp:opt:refund"
    )
    await dp.feed_update(bot, Update(update_id=1, callback_query=press))
    [sorry] = [m["text"] for m in fake.messages(anna.id, from_bot=True)]
    assert "Извините" in sorry and "сохранено" not in sorry, sorry
    assert "нажмите" in sorry.lower() or "напишите" in sorry.lower(), sorry


async def test_an_edit_that_failed_is_not_said_to_be_saved(
    broken: Broken,
    bot: Bot,  # noqa: F811
) -> None:
    """Anna corrected the order number in her message with Telegram's edit, and handling the
    edit broke: she was told 'Ваше сообщение сохранено, скоро вернусь с ответом', but the
    correction was neither kept nor read. Now she is asked to send it as a new message."""
    fake, dp, chat, anna = broken.fake, broken.dp, broken.chat, broken.anna
    edited = TgMessage(
        message_id=3,
        date=datetime.now(UTC),
        edit_date=int(datetime.now(UTC).timestamp()),
        chat=chat,
        from_user=anna,
        text="заказ 5531208",
    )
    await dp.feed_update(bot, Update(update_id=2, edited_message=edited))
    [sorry] = [m["text"] for m in fake.messages(anna.id, from_bot=True)]
    assert "сохранено" not in sorry and "новым сообщением" in sorry, sorry


async def test_an_error_after_the_answer_was_sent_brings_no_apology(
    services: Services,
    server: FakeTelegramServer,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    """Anna's 'Здравствуйте!' was answered, then something on the bot's side broke after
    the turn was saved (the operators' side of it): she got the greeting and, right under
    it, 'Извините, у меня что-то пошло не так. Ваше сообщение сохранено, скоро вернусь с
    ответом', an apology and a promise for a message already answered. Now she gets the
    greeting alone."""
    fake = server.fake
    anna = _anna(fake)

    async def broken_hook(*args: object) -> None:
        raise RuntimeError("the operators' side broke")

    services.after_turn.append(broken_hook)
    dp = create_dispatcher(services.settings, services)
    await dp.feed_update(bot, Update(update_id=3, message=_says(anna, 7, "Здравствуйте!")))
    got = [m["text"] for m in fake.messages(anna.id, from_bot=True)]
    assert len(got) == 1 and "пошло не так" not in got[0], got
    async with services.sessionmaker() as session:
        kept = (await session.scalars(select(MessageRow).where(MessageRow.direction == "in"))).all()
    assert [(m.text, m.delivery_error) for m in kept] == [("Здравствуйте!", None)]


async def test_a_message_the_database_could_not_keep_is_not_said_to_be_saved(
    services: Services,
    server: FakeTelegramServer,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    """The database failed on Anna's 'Где мой заказ 5531207?' and failed again when the
    bot tried to keep it: she was told 'Ваше сообщение сохранено, скоро вернусь с ответом',
    but nothing was saved and nobody came back. Now she is asked to send it again."""
    fake = server.fake
    anna = _anna(fake)
    async with services.db.begin() as conn:  # the messages can be neither read nor written
        await conn.exec_driver_sql("ALTER TABLE messages RENAME TO messages_lost")
    dp = create_dispatcher(services.settings, services)
    asked = _says(anna, 8, "Где мой заказ 5531207?")
    await dp.feed_update(bot, Update(update_id=4, message=asked))
    [sorry] = [m["text"] for m in fake.messages(anna.id, from_bot=True)]
    assert "Извините" in sorry and "сохранено" not in sorry, sorry
    assert "ещё раз" in sorry, sorry
