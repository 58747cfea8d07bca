"""The conversation engine through its one interface: Incoming in, Outcome out."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Classification, Conversation, Message
from bot.dialogs.types import Attachment, Incoming
from bot.nlu.lang import detect_lang
from bot.services import Services, build_services
from knowledge.models import UnansweredQuestion

_ids = itertools.count(1)
DEMO_KB = Path(__file__).resolve().parents[1] / "knowledge" / "demo" / "shop.yaml"
CYRILLIC = re.compile(r"[а-яё]", re.I)


async def say(services: Services, user: str, text: str | None = None, **kw):
    async with services.sessionmaker() as session:
        outcome = await services.engine.handle(
            session,
            Incoming(
                external_user_id=user, text=text, chat_id=int(user), message_id=next(_ids), **kw
            ),
        )
        await session.commit()
    return outcome


def texts(outcome) -> str:
    return " ".join(r.text for r in outcome.replies)


def events(outcome, kind: str) -> list[dict]:
    return [e for e in outcome.events if e["type"] == kind]


async def test_greets_in_the_customers_language(services: Services) -> None:
    ru = await say(services, "101", "Здравствуйте!", first_name="Анна")
    assert "Анна" in texts(ru)
    assert any(w in texts(ru) for w in ("Здравствуйте", "Приветствую", "Рад"))
    en = await say(services, "102", "Hi there, good morning")
    assert any(w in texts(en) for w in ("Hello", "Hi", "Good to see"))
    pl = await say(services, "103", "Dzień dobry, mam pytanie")
    assert events(pl, "classified")[0]["lang"] == "pl"


async def test_a_short_first_message_in_no_clear_language(services: Services) -> None:
    """A Polish customer's first message is one word the detector cannot place ("zwroty?",
    "blik"): the reply is in their Telegram language, not English; a word in another
    alphabet than that language still sets its own."""
    from bot.nlu.lang import detect_lang

    for user, word in (("104", "zwroty?"), ("105", "blik")):
        out = await say(services, user, word, language_code="pl")
        assert detect_lang(texts(out)) == "pl", texts(out)
    out = await say(services, "106", "hello", language_code="ru")
    assert not CYRILLIC.search(texts(out)), texts(out)


async def test_a_customer_writing_german_gets_the_order_taken_in_english(
    services: Services,
) -> None:
    """A customer writes in a language the bot does not speak, with the order number: the
    number is taken, not asked for again, and a Latin-script language is answered in
    English, not in the shop's Russian."""
    out = await say(services, "107", "Hallo, wo ist meine Bestellung 5512345?")
    assert "5512345" in texts(out), texts(out)
    assert not events(out, "asked_for"), out.events
    assert not CYRILLIC.search(texts(out)), texts(out)


@pytest.mark.parametrize(
    "question",
    [
        "Когда будет в наличии iPhone 16?",
        "When will the iPhone 16 be back in stock?",
        "Kiedy będzie dostępny iPhone 16?",
    ],
)
async def test_when_a_product_comes_into_stock_is_no_order_number_question(
    shop: Services, question: str
) -> None:
    """'Когда будет в наличии iPhone 16?' (a status question to the model) was asked for an
    order number the customer never had: it is a question for the knowledge base (which
    answers it, or offers its closest topics when it is not sure)."""
    out = await say(shop, "7320", question)
    assert not events(out, "asked_for"), texts(out)
    assert events(out, "faq_answered") or events(out, "faq_declined"), texts(out)


async def test_thanks_and_goodbye_and_start(services: Services) -> None:
    start = await say(services, "110", "/start", language_code="en")
    assert start.replies and any(w in texts(start) for w in ("delivery", "order"))
    thanks = await say(services, "110", "thank you so much!")
    assert events(thanks, "classified")[0]["intent"] == "thanks"
    assert any(w in texts(thanks) for w in ("welcome", "Glad", "pleasure"))
    bye = await say(services, "110", "bye, have a nice day")
    assert events(bye, "classified")[0]["intent"] == "goodbye"


@pytest.mark.parametrize(
    ("user", "text", "lang", "word"),
    [
        ("111", "help", "en", "happened"),
        ("112", "Help me please!", "en", "happened"),
        ("113", "помогите", "ru", "случилось"),
        ("114", "нужна помощь", "ru", "случилось"),
        ("117", "pomocy", "pl", "stało"),
        ("118", "pomóżcie mi, proszę", "pl", "stało"),
        ("119", "I have a question", "en", "happened"),
        ("127", "у меня вопрос", "ru", "случилось"),
        ("128", "mam pytanie", "pl", "stało"),
        ("129", "Potrzebuję pomocy", "pl", "stało"),
        ("130", "potrzebuję pomocy, proszę", "pl", "stało"),
    ],
)
async def test_a_bare_call_for_help_is_asked_what_happened(
    services: Services, user: str, text: str, lang: str, word: str
) -> None:
    """'help' got 'Glad to help! Write any time.', 'pomocy' 'Cieszę się, że mogłem pomóc!'
    (read as thanks, as if the chat were over), 'помогите' 'Кажется, я не совсем понял';
    'I have a question' got 'Bye! Write any time', 'mam pytanie' 'Chyba nie do końca
    rozumiem'; 'Potrzebuję pomocy' (a person to the model) brought a person at once.
    A customer calling for help is asked, warmly, what happened, with the topics to tap."""
    out = await say(services, user, text, language_code=lang)
    said = texts(out)
    assert word in said and not re.search(r"Glad to help|mogłem pomóc|не совсем понял", said)
    tapped = {b.data for r in out.replies for row in r.buttons for b in row}
    assert {"topic:delivery", "topic:human"} <= tapped, said
    assert not events(out, "escalated") and not events(out, "fallback")


@pytest.mark.parametrize(
    ("user", "text", "lang", "word"),
    [
        ("137", "Мне нужна помощь", "ru", "случилось"),
        ("138", "I need help", "en", "happened"),
        ("139", "Potrzebuję pomocy", "pl", "stało"),
    ],
)
async def test_a_bare_call_for_help_gets_no_faq_answer_with_the_shops_kb(
    shipped_shop: Services, user: str, text: str, lang: str, word: str
) -> None:
    """With the demo shop's FAQ, 'Мне нужна помощь' (off-topic to the model) got the shop's
    phone numbers and e-mail, the knowledge base sure of its contacts entry: the customer is
    asked what happened, the topics to tap."""
    out = await say(shipped_shop, user, text, language_code=lang)
    said = texts(out)
    assert word in said and not events(out, "faq_answered"), said


@pytest.mark.parametrize(
    ("user", "text", "lang"),
    [
        ("140", "Я не помню номер заказа", "ru"),
        ("141", "I don't know my order number, where is my parcel?", "en"),
        ("142", "Nie pamiętam numeru zamówienia", "pl"),
        ("143", "Где мой заказ? Номер не помню", "ru"),
    ],
)
async def test_an_order_number_not_known_is_not_asked_for(
    shipped_shop: Services, user: str, text: str, lang: str
) -> None:
    """'Я не помню номер заказа' got 'Подскажите, пожалуйста, номер заказа?', the very thing
    the customer said they do not have; 'Nie pamiętam numeru zamówienia' (a "no" to the model)
    the FAQ's answer on missing items. A colleague finds the order by the customer."""
    out = await say(shipped_shop, user, text, language_code=lang)
    assert [e["reason"] for e in events(out, "escalated")] == ["order_status"], texts(out)
    assert not events(out, "asked_for") and not events(out, "faq_answered"), texts(out)


async def test_where_to_find_a_forgotten_order_number_is_not_followed_by_send_it(
    shipped_shop: Services,
) -> None:
    """'Я не помню номер заказа, как его узнать?' got the answer on where orders are seen, then
    'Если вопрос про уже оформленный заказ, пришлите его номер': the number they do not have."""
    out = await say(shipped_shop, "144", "Я не помню номер заказа, как его узнать?")
    assert events(out, "faq_answered") and not events(out, "order_check_offered"), texts(out)
    assert "пришлите его номер" not in texts(out)


async def test_help_of_a_person_with_a_topic_is_a_person(services: Services) -> None:
    """A person named in the call for help is still a request for a person."""
    out = await say(services, "136", "Potrzebuję pomocy konsultanta z zamówieniem")
    assert [e["reason"] for e in events(out, "escalated")] == ["customer_request"], texts(out)


@pytest.mark.parametrize(
    ("user", "text", "asked", "question"),
    [
        ("131", "Potrzebuję pomocy z zamówieniem", "order_ref", False),
        ("132", "Proszę o pomoc z zamówieniem", "order_ref", False),
        ("133", "Potrzebuję pomocy ze zwrotem", None, True),
        ("134", "I need help with my order", "order_ref", False),
        ("135", "Помогите с заказом", "order_ref", False),
        ("137", "Мне нужна помощь с заказом", "order_ref", False),
    ],
)
async def test_help_with_a_topic_is_that_topic(
    services: Services, user: str, text: str, asked: str | None, question: bool
) -> None:
    """'Potrzebuję pomocy z zamówieniem' and 'Proszę o pomoc z zamówieniem' (a person to the
    model) brought a person at once ('Nasz zespół jest teraz niedostępny...'), while 'I need
    help with my order' and 'Помогите с заказом' are asked for the order number, and
    'Potrzebuję pomocy ze zwrotem' did the same, while 'Нужна помощь с возвратом' gets the
    returns answer; 'Мне нужна помощь с заказом' got 'Кажется, я не совсем понял'. Help with a topic is that topic, in every language."""
    out = await say(services, user, text)
    assert not events(out, "escalated"), texts(out)
    assert [e["slot"] for e in events(out, "asked_for")] == ([asked] if asked else [])
    # the question goes to the knowledge base (this engine has none: it says it has no answer)
    assert events(out, "classified")[0]["intent"] == ("faq" if question else "order_status")


@pytest.mark.parametrize(
    ("user", "text", "lang", "word"),
    [
        ("121", "who am I talking to?", "en", "bot"),
        ("122", "are you a real person?", "en", "bot"),
        ("123", "с кем я говорю?", "ru", "бот"),
        ("124", "ты бот?", "ru", "бот"),
        ("125", "z kim rozmawiam?", "pl", "bot"),
        ("126", "jesteś botem?", "pl", "bot"),
    ],
)
async def test_who_am_i_talking_to_is_answered_plainly(
    services: Services, user: str, text: str, lang: str, word: str
) -> None:
    """'who am I talking to?', 'с кем я говорю?', 'z kim rozmawiam?' handed the chat to a
    person at once ('I'm connecting you with a colleague ... within about 30 minutes'), and
    'jesteś botem?' got 'Znam się tylko na sprawach sklepu...'. The customer asked a
    question: the bot says what it is, and a person is one tap away."""
    out = await say(services, user, text, language_code=lang)
    said = texts(out)
    assert word in said.lower() and not events(out, "escalated"), said
    tapped = {b.data for r in out.replies for row in r.buttons for b in row}
    assert "topic:human" in tapped, said
    # asking for a person in the same breath is still a request for one
    out = await say(
        services, str(int(user) + 100), f"{text} I want a real person", language_code=lang
    )
    assert events(out, "escalated")


@pytest.mark.parametrize(
    ("user", "first", "ask", "then", "lang"),
    [
        ("131", "Привет", "Can you answer in English please?", "ok", "en"),
        ("132", "Привет", "а можно по-английски?", "ok", "en"),
        ("133", "Hi", "Czy możesz pisać po polsku?", "ok", "pl"),
        ("134", "Dzień dobry", "можно по-русски?", "хорошо", "ru"),
    ],
)
async def test_a_language_asked_for_is_the_one_the_bot_writes_in(
    services: Services, user: str, first: str, ask: str, then: str, lang: str
) -> None:
    """'Can you answer in English please?' got 'I'm only good at shop matters: orders,
    delivery, payment, returns, complaints.', 'Czy możesz pisać po polsku?' the same in
    Polish, and 'а можно по-английски?' its Russian: a customer asking for a language is
    told yes, in it, and the bot keeps to it."""
    from bot.nlu.lang import detect_lang

    await say(services, user, first)
    out = await say(services, user, ask)
    said = texts(out)
    assert not events(out, "fallback") and detect_lang(said) == lang, said
    assert not re.search(r"only good at|Znam się tylko|Я разбираюсь только", said), said
    later = await say(services, user, then)
    assert detect_lang(texts(later)) == lang, texts(later)


def test_a_language_said_not_to_be_known_is_not_asked_for() -> None:
    from bot.dialogs.engine import language_asked

    assert language_asked("a możesz po angielsku?") == "en"
    for text in ("Sorry, I don't speak Polish", "я не понимаю по-польски", "nie mówię po rosyjsku"):
        assert language_asked(text) is None, text


async def test_a_deep_link_start_greets_in_the_customers_language(services: Services) -> None:
    """t.me/shop_bot?start=promo_winter arrives as "/start promo_winter": the code of the
    link is not the customer's words, so a Russian customer was greeted in English."""
    for user, link in (("115", "/start ref123"), ("116", "/start promo_winter")):
        start = await say(services, user, link, language_code="ru", first_name="Анна")
        greeting = texts(start)
        assert "Анна" in greeting and CYRILLIC.search(greeting.replace("Анна", "")), greeting


async def test_replies_vary_between_turns(services: Services) -> None:
    first = await say(services, "120", "привет")
    second = await say(services, "120", "привет ещё раз")
    thanks1 = await say(services, "120", "спасибо")
    thanks2 = await say(services, "120", "спасибо большое")
    assert texts(first) != texts(second)
    assert texts(thanks1) != texts(thanks2)


async def test_not_understood_twice_hands_over(services: Services) -> None:
    first = await say(services, "130", "фыва олдж прол")
    second = await say(services, "130", "ъъъ ыыы ффф")
    kinds = [e["type"] for e in first.events + second.events]
    assert "escalated" not in [e["type"] for e in first.events]
    if "fallback" in kinds:
        assert first.replies[0].buttons, "the first fallback offers topics as buttons"
    escalated = events(second, "escalated") or events(first, "escalated")
    assert kinds.count("fallback") == 2 and escalated
    assert escalated[0]["reason"] == "not_understood"


async def test_media_without_text_and_albums(services: Services) -> None:
    photo = await say(
        services, "140", attachments=(Attachment("photo", "p1"),), media_group_id="g1"
    )
    assert len(photo.replies) == 1
    rest = await say(services, "140", attachments=(Attachment("photo", "p2"),), media_group_id="g1")
    assert rest.replies == [], "one answer per album"
    voice = await say(services, "140", attachments=(Attachment("voice", "v1"),))
    assert "voice" in texts(voice).lower() or "голос" in texts(voice).lower()
    sticker = await say(services, "140", attachments=(Attachment("sticker", "s1"),))
    assert sticker.replies


async def test_everything_is_stored_and_survives_a_restart(
    services: Services, settings, classifier
) -> None:
    out = await say(services, "150", "Здравствуйте", first_name="Ира")
    assert out.replies[0].message_id is not None
    # a second process with the same database continues the same conversation
    other = await build_services(settings, classifier=classifier, seed=0)
    try:
        again = await say(other, "150", "добрый день")
        assert again.conversation_id == out.conversation_id
        assert any(w in texts(again) for w in ("Снова", "на связи"))  # remembers the greeting
        async with other.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == out.conversation_id)
                    .order_by(Message.id)
                )
            ).all()
            assert [r.direction for r in rows] == ["in", "out", "in", "out"]
            assert rows[1].delivered_at is None, "replies wait in the outbox until delivered"
            n = await session.scalar(select(func.count()).select_from(Classification))
            assert n == 2
    finally:
        await other.close()


async def test_edit_updates_the_stored_message(services: Services) -> None:
    async with services.sessionmaker() as session:
        first = await services.engine.handle(
            session, Incoming(external_user_id="160", text="Здраствуйте", chat_id=160, message_id=7)
        )
        await session.commit()
        edit = await services.engine.handle(
            session,
            Incoming(
                external_user_id="160", text="Здравствуйте", chat_id=160, message_id=7, edited=True
            ),
        )
        await session.commit()
        assert edit.replies == [] and events(edit, "edited")[0]["old_text"] == "Здраствуйте"
        row = await session.get(Message, first.incoming_message_id)
        assert row is not None and row.text == "Здравствуйте" and row.edited_at is not None


async def test_an_order_number_corrected_by_an_edit_is_the_one_on_the_card(
    services: Services,
) -> None:
    from bot.db.models import Ticket
    from escalation.service import render_card

    user = "161"

    async def send(text: str, mid: int, edited: bool = False) -> None:
        async with services.sessionmaker() as session:
            await services.engine.handle(
                session,
                Incoming(
                    external_user_id=user, text=text, chat_id=161, message_id=mid, edited=edited
                ),
            )
            await session.commit()

    await send("Привезли разбитую вазу, очень расстроена", 1)
    await send("заказ 5531207", 2)
    await send("заказ 5531208", 2, edited=True)  # a typo fixed with Telegram's edit
    await send("Позовите оператора, пожалуйста", 3)
    async with services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        card = await render_card(session, services.settings, ticket)
    details = next(line for line in card.text.splitlines() if line.startswith("Details"))
    # the number now, and what it replaced (the bot may have used it already)
    assert "order 5531208 (corrected from 5531207)" in details, card.full
    assert "заказ 5531208 (edited; was: заказ 5531207)" in card.full, card.full


async def test_an_order_number_corrected_by_an_edit_is_said_and_kept_on_the_case(
    services: Services,
) -> None:
    """'заказ 5531210 не пришел, жду 10 дней' edited to 5531211 after the bot had passed the
    case to the delivery team was taken in silence, the case's record and its promise keeping
    the old number: the customer hears it is corrected, and the record has the new one."""
    from bot.db.models import Complaint

    user = "4303"

    async def send(text: str, mid: int, edited: bool = False):
        async with services.sessionmaker() as session:
            out = await services.engine.handle(
                session,
                Incoming(
                    external_user_id=user, text=text, chat_id=4303, message_id=mid, edited=edited
                ),
            )
            await session.commit()
        return out

    first = await send("заказ 5531210 не пришел, жду 10 дней", 1)
    assert events(first, "promised")
    fixed = await send("заказ 5531211 не пришел, жду 10 дней", 1, edited=True)
    assert "5531211" in texts(fixed) and "исправил" in texts(fixed), texts(fixed)
    async with services.sessionmaker() as session:
        record = await session.scalar(select(Complaint))
        assert record.details["order_ref"] == "5531211", record.details
    status = await send("???", 2)
    assert "5531211" in texts(status) and "5531210" not in texts(status), texts(status)


async def test_an_order_number_corrected_twice_is_not_said_the_same_way_twice(
    services: Services,
) -> None:
    """'заказ 5531220 не пришел' edited to 5531221, then to 5531222: the bot said the very
    same 'Спасибо, исправил...' both times (that text's rotation was not kept). The second
    correction is said in other words, as every other reply is."""
    user = "4391"

    async def send(text: str, edited: bool = False):
        async with services.sessionmaker() as session:
            out = await services.engine.handle(
                session,
                Incoming(
                    external_user_id=user, text=text, chat_id=4391, message_id=1, edited=edited
                ),
            )
            await session.commit()
        return out

    await send("заказ 5531220 не пришел, жду 10 дней")
    said = []
    for order in ("5531221", "5531222"):
        fixed = await send(f"заказ {order} не пришел, жду 10 дней", edited=True)
        assert order in texts(fixed), texts(fixed)
        said.append(texts(fixed).replace(order, "N"))
    assert said[0] != said[1], said


async def test_the_card_keeps_the_complaint_and_its_anger_over_a_bare_order_number(
    services: Services,
) -> None:
    """An angry late-parcel complaint, then the order number asked for alone ('where is my
    order · calm' to the model), then a person asked for: the card said 'Intent: where is my
    order · emotion: calm'. It says the complaint, with the anger."""
    from bot.db.models import Ticket
    from escalation.service import render_card

    user = "4304"
    first = await say(services, user, "где мой заказ??? жду уже 2 недели")
    assert events(first, "classified")[0]["emotion"] == "angry", events(first, "classified")
    await say(services, user, "номер 3400161")
    await say(services, user, "позовите оператора пожалуйста")
    async with services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        card = await render_card(session, services.settings, ticket)
    assert "Intent: complaint" in card.full and "emotion: angry" in card.full, card.full


async def test_a_problem_told_after_a_person_was_asked_for_is_apologised_for_and_carded(
    services: Services,
) -> None:
    """'chcę rozmawiać z człowiekiem', then 'zamówienie 3400162 nie doszło': 'thanks, and sorry
    for the wait' (no apology for the problem), and the card stayed 'complaint type: -'. The
    problem is apologised for, and the card names it."""
    from bot.db.models import Ticket
    from escalation.service import render_card

    user = "4305"
    await say(services, user, "chcę rozmawiać z człowiekiem")
    told = await say(services, user, "zamówienie 3400162 nie doszło")
    assert "przepraszam, że tak się stało" in texts(told), texts(told)
    async with services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        card = await render_card(session, services.settings, ticket)
    assert "(delivery_delay)" in card.full, card.full


async def test_huge_message_is_kept_and_answered(services: Services) -> None:
    text = "Здравствуйте! " + "очень длинное сообщение " * 3000
    out = await say(services, "170", text)
    assert out.replies
    async with services.sessionmaker() as session:
        row = await session.get(Message, out.incoming_message_id)
        assert row is not None and len(row.text or "") >= 20000


async def test_conversation_state_is_in_the_database(services: Services) -> None:
    out = await say(services, "180", "Привет")
    async with services.sessionmaker() as session:
        conv = await session.get(Conversation, out.conversation_id)
        assert conv is not None and conv.state["lang"] == "ru" and conv.state["greeted"] is True


async def test_a_flood_is_stored_but_answered_once(services: Services) -> None:
    outs = [await say(services, "190", f"привет {i}") for i in range(10)]
    flood_replies = [o for o in outs[6:] if o.replies]
    assert len(flood_replies) == 1 and "секунду" in texts(flood_replies[0])
    async with services.sessionmaker() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in", Message.conversation_id == outs[0].conversation_id)
        )
    assert stored == 10, "nothing is lost"


async def test_a_request_for_a_person_in_a_flood_is_acted_on(services: Services) -> None:
    for i in range(6):
        await say(services, "191", f"привет {i}")
    out = await say(services, "191", "Позовите живого оператора")
    escalated = events(out, "escalated")
    assert escalated and escalated[0]["reason"] == "customer_request", texts(out)
    assert "секунду" not in texts(out)


async def test_what_was_held_in_a_flood_is_answered_when_the_burst_ends(
    services: Services,
) -> None:
    start = services.engine.clock()
    services.engine.clock = lambda: start
    for i in range(6):
        await say(services, "192", f"привет {i}")
    held = await say(services, "192", "Привезли сломанный чайник, крышка треснула, заказ 5531207")
    assert events(held, "flood") and not events(held, "complaint_opened")
    services.engine.clock = lambda: start + timedelta(seconds=40)
    later = await say(services, "192", "ну что?")
    assert events(later, "complaint_opened"), texts(later)
    assert "5531207" not in texts(later) and "фото" in texts(later), "asks only what is missing"


@pytest.mark.parametrize(
    ("first", "second", "answer"),
    [
        ("Где мой заказ?", None, "AB-77812"),
        (
            "Сайт выдаёт ошибку при оплате картой",
            "страница оплаты просто зависает и выдаёт ошибку 500",
            "kirill@mail.ru",
        ),
    ],
    ids=["order_number", "email"],
)
async def test_a_latin_order_number_or_email_keeps_the_dialogue_russian(
    services: Services, first: str, second: str | None, answer: str
) -> None:
    user = str(200 + len(first))
    await say(services, user, first)
    if second:
        await say(services, user, second)
    out = await say(services, user, answer)
    assert CYRILLIC.search(texts(out)), texts(out)


async def test_a_sentence_in_english_still_switches_the_language(services: Services) -> None:
    await say(services, "230", "Где мой заказ?")
    out = await say(services, "230", "Sorry, I don't speak Russian, my order number is AB-77812")
    assert not CYRILLIC.search(texts(out)), texts(out)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("Здравствуйте, мой заказ AirPods Pro пришёл сломанный", "order 5512345"),
        ("Привет", "ok, thanks"),
        ("Привет", "Samsung Galaxy Buds 2 Pro Graphite"),
        ("Где мой заказ?", "iPhone 15 Pro Max, order A-5512346"),
        ("Мой заказ Samsung Galaxy Buds Pro Graphite Edition не пришёл", None),
    ],
)
async def test_brand_names_and_a_latin_word_or_two_keep_the_dialogue_russian(
    services: Services, first: str, then: str | None
) -> None:
    """A Russian customer who typed 'order 5512345', 'ok, thanks' or 'Samsung Galaxy Buds 2 Pro
    Graphite' was answered in English from then on ('Thank you, got it. Just send me a photo
    of the problem as well...'), and 'Мой заказ Samsung Galaxy Buds Pro Graphite Edition не
    пришёл' (more Latin letters than Cyrillic) was answered in English at once. The dialogue
    stays Russian; a sentence in English still switches it."""
    user = str(240 + next(_ids))
    out = await say(services, user, first)
    if then is not None:
        out = await say(services, user, then)
    assert texts(out) and CYRILLIC.search(texts(out)), texts(out)
    out = await say(services, user, "Sorry, can you answer in English? Where is my order?")
    assert not CYRILLIC.search(texts(out)), texts(out)


@pytest.mark.parametrize("first_contact", [True, False])
async def test_messages_sent_at_once_are_all_read(services: Services, first_contact: bool) -> None:
    """A customer's quick messages handled at the same time (several webhook workers, the
    Rasa action server, the held-messages pass beside a new message; within one aiogram
    process they already wait for each other). Each turn must see the one before it: none
    is lost (a new customer's second message was refused as a duplicate on PostgreSQL) and
    none overwrites what the other collected."""
    import asyncio

    user = str(700_000 + next(_ids))
    if not first_contact:
        await say(services, user, "Здравствуйте")
    outs = await asyncio.gather(
        say(services, user, "Заказ 7781420 пришёл с разбитой кружкой"),
        say(services, user, "Мой телефон +7 912 345-67-89"),
        say(services, user, "Очень обидно, это был подарок"),
    )
    assert all(o.replies for o in outs)
    async with services.sessionmaker() as session:
        conversations = (await session.scalars(select(Conversation))).all()
        assert len(conversations) == 1
        state = conversations[0].state
        inbound = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert state["turns"] == 3 + (0 if first_contact else 1), state["turns"]
    assert inbound == 3 + (0 if first_contact else 1)


async def test_a_staff_command_from_a_customer_opens_nothing(services: Services) -> None:
    """A manager not (yet) in ADMIN_IDS typed '/report 7' in the bot's chat: it was read as
    a complaint ('Thank you for writing to us... I'm really sorry about this... what
    exactly happened?') and '/kb_list' got 'I'm not sure I understood'. An admin's or
    operator's command from anyone else now gets a short, kind word that it is for the
    shop's team, in the customer's language, and opens no case."""
    out = await say(services, "130", "/report 7", language_code="en")
    assert not events(out, "complaint_opened") and not events(out, "classified"), out.events
    assert "shop's team" in texts(out), texts(out)
    assert events(out, "staff_command") == [{"type": "staff_command", "command": "report"}]
    out = await say(services, "131", "/kb_list", language_code="ru")
    assert "для сотрудников магазина" in texts(out), texts(out)
    out = await say(services, "132", "/resolve@shop_bot done", language_code="pl")
    assert "dla zespołu sklepu" in texts(out), texts(out)
    # a customer's own words are read as before
    out = await say(services, "130", "My parcel for order 7781420 is a week late")
    assert events(out, "complaint_opened"), out.events


async def test_a_button_pressed_in_a_flood_is_answered(services: Services) -> None:
    """Six quick messages, then a press of 'Delivery' under the bot's question: the press was
    held like a text, and with the 'I'm reading' notice said once already, the customer
    pressed and nothing happened. A button is an answer, not more of the burst."""
    first = await say(services, "193", "фывфыв олрол")
    assert any(b.data == "topic:delivery" for row in first.replies[0].buttons for b in row)
    for i in range(6):
        await say(services, "193", f"привет {i}")
    pressed = await say(services, "193", callback_data="topic:delivery")
    assert "достав" in texts(pressed).lower(), texts(pressed)


async def test_a_gif_is_not_the_photo_the_complaint_asked_for(services: Services) -> None:
    """Asked for a photo of the broken kettle, the customer sent a GIF (a reaction from
    Telegram's GIF search): it was taken as the photo, counted twice ('photos/files: 2': a
    GIF comes as an animation and a document), and the bot went on to the fix with nothing
    to show the team. A GIF is a reaction; the photo is still welcome."""
    from datetime import UTC, datetime

    from aiogram.types import Animation, Chat, Document, User
    from aiogram.types import Message as TgMessage

    from bot.handlers.convert import incoming_from_message

    gif = dict(file_id="CgAD-gif", file_unique_id="gif1")
    message = TgMessage(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(id=194, type="private"),
        from_user=User(id=194, is_bot=False, first_name="Anna"),
        animation=Animation(**gif, width=320, height=240, duration=2),
        document=Document(**gif, file_name="facepalm.mp4", mime_type="video/mp4"),
    )
    incoming = incoming_from_message(message)
    assert [a.kind for a in incoming.attachments] == ["animation"]

    opened = await say(services, "194", "Привезли сломанный чайник, заказ 5531207")
    assert "фото" in texts(opened)
    async with services.sessionmaker() as session:
        after_gif = await services.engine.handle(session, incoming)
        await session.commit()
        conversation = await session.get(Conversation, after_gif.conversation_id)
        assert conversation is not None
        assert not conversation.state.get("known", {}).get("photos")
    assert not any(r.buttons for r in after_gif.replies), texts(after_gif)
    photo = await say(services, "194", attachments=(Attachment("photo", "p-kettle"),))
    assert any(r.buttons for r in photo.replies), texts(photo)


@pytest.mark.parametrize(
    ("first", "edited", "expect"),
    [
        ("Where is my order?", "Where is my order 5531207?", "5531207"),
        ("Hi, the kettle arrived broken", "Hi, the kettle arrived broken, order 5531207", "photo"),
    ],
    ids=["order_status", "complaint"],
)
async def test_an_order_number_added_by_editing_the_message_is_taken(
    services: Services, first: str, edited: str, expect: str
) -> None:
    """Asked for the order number, the customer added it to the message they had sent (with
    Telegram's edit) instead of writing it again: the bot said nothing and went on waiting
    for the number they believed they had given. The number added is read as if sent."""
    user = "195" if expect == "5531207" else "196"

    async def send(text: str, *, edit: bool = False):
        async with services.sessionmaker() as session:
            incoming = Incoming(user, text, chat_id=int(user), message_id=9001, edited=edit)
            outcome = await services.engine.handle(session, incoming)
            await session.commit()
        return outcome

    asked = await send(first)
    assert "order number" in texts(asked), texts(asked)
    out = await send(edited, edit=True)
    assert out.replies, "the edit is answered"
    assert "order number" not in texts(out), texts(out)
    assert expect in texts(out) or expect == "photo", texts(out)
    async with services.sessionmaker() as session:
        conversation = await session.get(Conversation, out.conversation_id)
        assert conversation is not None
        assert conversation.state["known"]["order_ref"] == "5531207"
        stored = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in")
            .where(Message.conversation_id == out.conversation_id)
        )
    assert stored == 1, "the edited message is not stored twice"


@pytest.mark.parametrize("kind", ["voice", "audio", "video_note"])
async def test_a_voice_message_in_a_complaint_is_not_taken_as_heard(
    services: Services, kind: str
) -> None:
    """Asked for a photo of the broken kettle, the customer explained by voice and got
    'Не спешите, я на связи.', as if it had been heard; the bot does not listen to voice
    messages, and says so, with what it still needs."""
    user = {"voice": "197", "audio": "198", "video_note": "199"}[kind]
    opened = await say(services, user, "Привезли сломанный чайник, заказ 5531207")
    assert "фото" in texts(opened)
    out = await say(services, user, attachments=(Attachment(kind, "v1"),))
    assert "голосов" in texts(out).lower() and "фото" in texts(out), texts(out)


async def test_a_screenshot_sent_for_the_order_number_is_thanked_for(services: Services) -> None:
    """Asked for the order number, the customer sent a screenshot of the order (or said it
    by voice) and was told 'Ничего страшного!', as if they had said they did not have it."""
    asked = await say(services, "200", "Где мой заказ?")
    assert "номер заказа" in texts(asked)
    out = await say(services, "200", attachments=(Attachment("photo", "screenshot"),))
    assert events(out, "escalated")
    assert "Ничего страшного" not in texts(out) and "Спасибо" in texts(out), texts(out)


async def test_a_live_location_moving_is_no_edit_for_the_operator(services: Services) -> None:
    """While waiting for a person the customer shared their live location; Telegram sends
    each move as an edit of that message, and the operators' topic got '✏️ The customer
    edited a message:' (with nothing after it) every few seconds. Only an edit that changes
    the words is one."""
    user = "201"
    await say(services, user, "Позовите оператора, пожалуйста")
    where = Attachment("location", None, "55.75,37.61")
    async with services.sessionmaker() as session:
        shared = await services.engine.handle(
            session, Incoming(user, None, (where,), chat_id=201, message_id=9101)
        )
        await session.commit()
    assert shared.relay_to_operator
    moved = Attachment("location", None, "55.76,37.62")
    async with services.sessionmaker() as session:
        edit = Incoming(user, None, (moved,), chat_id=201, message_id=9101, edited=True)
        out = await services.engine.handle(session, edit)
        await session.commit()
    assert not out.relay_to_operator and not events(out, "edited"), out


async def test_photos_sent_one_by_one_are_answered_once(services: Services) -> None:
    """Eight photos of the damage sent one by one (not as an album): each got the same
    'Спасибо, получил. Напишите в двух словах, что случилось', six times over, then 'Я читаю
    все ваши сообщения, дайте мне секунду', and nothing after it. The first is answered;
    the rest are kept with it, and the words asked for are read with all of them."""
    start = services.engine.clock()
    services.engine.clock = lambda: start
    outs = [
        await say(services, "202", attachments=(Attachment("photo", f"p{i}"),)) for i in range(8)
    ]
    said = [texts(o) for o in outs if o.replies]
    assert len(said) == 1 and "что случилось" in said[0], said
    services.engine.clock = lambda: start + timedelta(seconds=30)
    told = await say(services, "202", "Привезли разбитую кружку, заказ 5531207")
    assert events(told, "complaint_opened") and "фото" not in texts(told), texts(told)


async def test_more_photos_after_the_offer_do_not_repeat_it(services: Services) -> None:
    """Four photos of the broken kettle sent one by one: the first completed the case and
    brought the offer (replacement / refund / repair); each of the other three brought the
    same offer again. They are kept with the first; the offer stands, once."""
    user = "203"
    await say(services, user, "Привезли сломанный чайник, заказ 5531207")
    outs = [
        await say(services, user, attachments=(Attachment("photo", f"k{i}"),)) for i in range(4)
    ]
    offers = [o for o in outs if any(r.buttons for r in o.replies)]
    assert len(offers) == 1 and offers[0] is outs[0], [texts(o) for o in outs]
    assert all(not o.replies for o in outs[1:]), [texts(o) for o in outs]
    chosen = await say(services, user, callback_data="cmp:opt:refund")
    assert events(chosen, "fix_chosen"), texts(chosen)


async def test_a_button_tapped_twice_is_answered_once(services: Services) -> None:
    """John tapped 'Replace the item' twice (a slow connection: the first tap seemed to do
    nothing): under 'Done: I've arranged a replacement... Is that OK for you?' came 'That
    button is no longer active. Just write what you need.', as if the replacement had not
    been arranged. The second tap of the same button is kept and needs no answer."""
    user = "204"
    await say(
        services,
        user,
        "The kettle arrived broken, order 5531207",
        attachments=(Attachment("photo", "k1"),),
    )
    chosen = await say(services, user, callback_data="cmp:opt:replacement")
    assert events(chosen, "fix_chosen"), texts(chosen)
    again = await say(services, user, callback_data="cmp:opt:replacement")
    assert not again.replies, texts(again)
    later = await say(services, user, callback_data="cmp:sat:yes")
    assert later.replies, "another button is answered as before"


async def test_a_voice_message_after_a_sticker_is_not_taken_for_going_on(
    services: Services,
) -> None:
    """Asked for the order number and a photo of the broken kettle, John sent a 😢 sticker,
    then a voice message (telling the number aloud): the bot went on without them, 'How
    would you like me to fix it: Replace the item / Refund the money / Repair under
    warranty?', as if he had said nothing. A voice message is told it is not heard, with
    what is still needed."""
    user = "205"
    await say(services, user, "The kettle arrived broken")
    await say(services, user, attachments=(Attachment("sticker", "s1", "😢"),))
    voice = await say(services, user, attachments=(Attachment("voice", "v1"),))
    assert "voice" in texts(voice) and "order number" in texts(voice), texts(voice)
    assert not any(r.buttons for r in voice.replies), texts(voice)


@pytest.mark.parametrize(
    ("message", "ctype"),
    [
        ("I didn't get a damaged item, I got the wrong one", "wrong_item"),
        ("I didn't receive a broken kettle, I received the wrong model", "wrong_item"),
        ("Nie dostałam uszkodzonego czajnika, tylko zły model", "wrong_item"),
        ("Пришло без задержек, но без пульта", "missing_item"),
        ("Заказ пришёл без задержек, но без пульта", "missing_item"),
        ("Заказ пришёл без задержек, но курьер нахамил", "staff_behavior"),
        ("Doszło bez opóźnień, ale bez ładowarki, zamówienie 5512302", "missing_item"),
        ("Arrived without any delay, but without a charger, order 5512301", "missing_item"),
        ("Doszło bez problemów, ale bez ładowarki", "missing_item"),
        ("Arrived without any problems, but without the charger", "missing_item"),
        ("Деньги не списали дважды, но заказ так и не пришёл", "delivery_delay"),
        ("I wasn't charged twice, but the order never arrived", "delivery_delay"),
        ("Nie pobrano pieniędzy dwa razy, ale paczka nie dotarła", "delivery_delay"),
        ("Nothing was missing, but the lamp doesn't turn on", "damaged_defective"),
        ("Niczego nie brakowało, ale lampka się nie włącza", "damaged_defective"),
        (
            "Not complaining about the courier, he was lovely, but the mug is chipped",
            "damaged_defective",
        ),
        ("Курьер был очень приятный, но кружка пришла со сколом", "damaged_defective"),
        ("Kurier był miły, ale kubek jest wyszczerbiony", "damaged_defective"),
        ("The courier was lovely, but the plate has a small chip", "damaged_defective"),
        ("Курьер был вежливый, но на тарелке скол", "damaged_defective"),
        ("No complaints about delivery, but the jacket has a hole in it", "damaged_defective"),
        ("Претензий к доставке нет, но в куртке дырка", "damaged_defective"),
        ("Dostawa bez zarzutu, ale kurtka ma dziurę", "damaged_defective"),
        ("The app works fine, the problem is my order never came", "delivery_delay"),
        ("Сайт работает нормально, проблема в том, что заказ не пришёл", "delivery_delay"),
        ("Aplikacja działa, ale paczka nie dotarła", "delivery_delay"),
        ("The courier wasn't rude, he just never showed up", "delivery_delay"),
        ("It didn't come late, it came broken", "damaged_defective"),
        ("Не опоздало, а пришло сломанным", "damaged_defective"),
        ("Nie spóźniło się, tylko przyszło zepsute", "damaged_defective"),
        ("Курьер не грубил, просто так и не приехал", "delivery_delay"),
        ("Kurier nie był niemiły, po prostu w ogóle nie przyjechał", "delivery_delay"),
        ("I wasn't overcharged, but I never got my refund for order 5512877", "billing"),
        ("Лишнего не списали, но возврат так и не пришёл, заказ 4471889", "billing"),
        ("Nie pobrano za dużo, ale zwrotu nadal nie dostałam, zamówienie 5512889", "billing"),
    ],
)
async def test_a_problem_the_customer_denies_is_not_their_case(
    services: Services, message: str, ctype: str
) -> None:
    """'I didn't get a damaged item, I got the wrong one' queued a damaged-item case after the
    wrong item (two words between the "not" and "damaged" hid the denial); 'Пришло без
    задержек, но без чека' with its order number told the delivery team the parcel was late
    (and 'Заказ пришёл без задержек, но без пульта' without one; 'Doszło bez problemów, ale bez
    ładowarki' got 'thanks for the kind words'),
    and 'Doszło bez problemów, ale bez paragonu' was praise (a receipt is the receipts answer
    now); 'Деньги не списали дважды, но
    заказ так и не пришёл' opened a billing case, 'Nothing was missing, but the lamp doesn't
    turn on' a missing-item one, and 'he was lovely' recorded a complaint about the courier;
    'Заказ пришёл без задержек, но курьер нахамил' was a late parcel with the courier recorded
    besides: the case is the problem told, alone."""
    outcome = await say(services, "7301", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == [ctype], texts(outcome)
    assert not events(outcome, "complaint_queued"), texts(outcome)
    assert not events(outcome, "complaint_also_recorded"), texts(outcome)


@pytest.mark.parametrize(
    ("message", "ctype"),
    [
        # a site problem, one of stock, a missing item, praise, a "no" to the model
        ("Товар не соответствует описанию на сайте", "wrong_item"),
        ("Produkt nie zgadza się z opisem", "wrong_item"),
        ("The item doesn't match the description", "wrong_item"),
        ("Towar niezgodny z opisem", "wrong_item"),
        ("Цвет не как на фото", "wrong_item"),
        # praise and off-topic to the model ("I didn't quite understand")
        ("Прислали б/у товар, следы использования", "damaged_defective"),
        ("The item looks used", "damaged_defective"),
        # unsure (0.3): asked what happened
        ("Товар был в употреблении", "wrong_item"),
    ],
)
async def test_an_item_not_as_described_or_used_is_its_case(
    services: Services, message: str, ctype: str
) -> None:
    """An item other than the shop showed it came other than ordered; one already used is
    faulty: the case opens (the details it needs asked for), not a site or stock case, thanks
    for kind words or "I didn't quite understand"."""
    outcome = await say(services, "7303", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == [ctype], texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "Do you sell used phones?",
        "А если товар не соответствует описанию, можно вернуть?",
        "Can I return an item that doesn't match the description?",
    ],
)
async def test_a_question_about_used_or_misdescribed_goods_is_no_case(
    services: Services, message: str
) -> None:
    outcome = await say(services, "7304", message)
    assert not events(outcome, "complaint_opened"), texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "Где мой возврат? Прошло 10 дней",
        "Where is my refund? It has been 2 weeks",
        "Gdzie jest mój zwrot? Minęło 10 dni",
        "где деньги за возврат? уже неделя прошла",
    ],
)
async def test_where_is_my_refund_with_the_days_gone_by_is_a_refund_not_received(
    services: Services, message: str
) -> None:
    """'Где мой возврат? Прошло 10 дней' opened a late-parcel case (its second part read as a
    late parcel), 'Where is my refund? It has been 2 weeks' a service one ('you'll hear back
    within 24 hours'), 'Gdzie jest mój zwrot? Minęło 10 dni' was asked what went wrong: money
    that has not come back is a refund not received (labels.md: billing)."""
    outcome = await say(services, "7302", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["billing"], texts(outcome)
    assert not events(outcome, "clarify"), texts(outcome)


@pytest.mark.parametrize(
    ("user", "message", "asked", "told"),
    [
        ("7311", "Ничего не сломано, но я недоволен", "Что случилось?", "Курьер нахамил"),
        (
            "7312",
            "Nic nie jest zepsute, ale jestem niezadowolony",
            "Co się stało?",
            "Kurier był niemiły",
        ),
        ("7313", "Nothing is broken, but I'm not happy", "What happened?", "The courier was rude"),
        (
            "7314",
            "Nothing is damaged, but I'm disappointed",
            "What happened?",
            "The courier was rude",
        ),
        # a missing item to the model
        (
            "7315",
            "Ничего не разбито, но я очень недоволен заказом",
            "Что случилось?",
            "Курьер нахамил",
        ),
        # a late parcel to the model, then a case of no type for a colleague
        ("7316", "Заказ пришёл без задержек, но я недоволен", "Что случилось?", "Курьер нахамил"),
    ],
)
async def test_unhappy_with_only_a_problem_denied_is_asked_what_went_wrong(
    services: Services, user: str, message: str, asked: str, told: str
) -> None:
    """'Ничего не сломано, но я недоволен' opened a damaged-item case asking for the order
    number and a photo of the problem, though it says nothing is broken ('Заказ пришёл без
    задержек, но я недоволен' went to a colleague, who would only have to ask). Unhappy, with
    no problem named but one denied: thanks, sorry, and what went wrong; the answer opens the
    case."""
    first = await say(services, user, message)
    assert asked in texts(first), texts(first)
    assert not events(first, "complaint_opened"), texts(first)
    assert not events(first, "asked_for"), texts(first)
    assert not events(first, "escalated"), texts(first)
    answer = await say(services, user, told)
    opened = [e["complaint_type"] for e in events(answer, "complaint_opened")]
    assert opened == ["staff_behavior"], texts(answer)


@pytest.mark.parametrize(
    ("problem", "still", "number"),
    [
        ("Заказ не пришёл", "ещё не решилось, жду", "номер заказа"),
        ("My parcel never arrived", "not sorted yet, still waiting", "order number"),
        ("Paczka nie dotarła", "jeszcze nie rozwiązane, czekam", "numer zamówienia"),
    ],
)
async def test_still_waiting_while_the_order_number_is_awaited_is_no_no(
    services: Services, problem: str, still: str, number: str
) -> None:
    """'ещё не решилось, жду' in answer to 'please send the order number' was a plain "no":
    the bot went on without the number ('I've passed everything to our delivery team'). The
    problem still stands: the number is asked for again, kindly, and taken when it comes."""
    first = await say(services, "7302", problem)
    assert [e["slot"] for e in events(first, "asked_for")] == ["order_ref"], texts(first)
    waiting = await say(services, "7302", still)
    assert not events(waiting, "promised"), texts(waiting)
    assert number in texts(waiting), texts(waiting)
    fixed = await say(services, "7302", "4471033")
    assert events(fixed, "promised"), texts(fixed)
    assert not events(fixed, "asked_for"), texts(fixed)


@pytest.mark.parametrize(
    ("message", "glad"),
    [
        ("The box was a bit dented but the TV is fine, thanks", "glad the item itself is fine"),
        ("Коробка немного помята, но телевизор цел, спасибо", "сам товар в порядке"),
        ("Karton trochę zgnieciony, ale telewizor jest cały, dziękuję", "produkt jest cały"),
        ("Коробка помята, товар цел, скидка не нужна, просто сообщаю", "сам товар в порядке"),
        (
            "The box was dented but the TV is fine, I don't want a discount, just letting you know",
            "glad the item itself is fine",
        ),
    ],
)
async def test_a_dented_box_with_the_item_fine_is_thanked_not_a_case(
    services: Services, message: str, glad: str
) -> None:
    """'The box was a bit dented but the TV is fine, thanks' opened a damaged-item case and
    asked for the order number and a photo of the problem: the customer says the TV is fine
    and thanks us; they are thanked, the box is noted for the warehouse (a complaint about
    the packing, closed at once), and nothing is asked for, repaired or offered (a discount
    said not to be wanted is not given either)."""
    outcome = await say(services, "7303", message)
    assert glad in texts(outcome), texts(outcome)
    assert events(outcome, "packaging_noted"), texts(outcome)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["other"], texts(outcome)
    for kind in ("asked_for", "compensation_offered", "escalated"):
        assert not events(outcome, kind), texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "Ну спасибо, очень быстро, всего три недели ждала",
        "Спасибо, очень удобно, курьер так и не приехал",
        "Dzięki, gratuluję, trzy tygodnie czekałam na paczkę 👏👏",
        "Thanks a lot, super fast delivery, just 3 weeks",
        "Dzięki, super szybka dostawa, tylko 3 tygodnie",
        "Супер быстрая доставка, всего три недели",
    ],
)
async def test_thanks_said_in_sarcasm_about_a_late_parcel_is_an_angry_complaint(
    services: Services, message: str
) -> None:
    """'Ну спасибо, очень быстро, всего три недели ждала' was not understood ('Не совсем понял'),
    and 'Спасибо, очень удобно, курьер так и не приехал' was thanked for the kind words: thanks
    said about a parcel that is late or never came is sarcasm, an angry customer's complaint.
    'Thanks a lot, super fast delivery, just 3 weeks' got the delivery times: speed praised
    with weeks of waiting told is the same sarcasm."""
    outcome = await say(services, "7304", message)
    opened = events(outcome, "complaint_opened")
    assert [e["complaint_type"] for e in opened] == ["delivery_delay"], texts(outcome)
    assert [e["customer_kind"] for e in opened] == ["angry"], texts(outcome)


async def test_a_question_after_a_greeting_is_answered_as_without_it(
    shipped_shop: Services,
) -> None:
    """'Do you have gift cards?' was answered, but 'Good morning! Do you have gift cards?'
    got 'I want to answer this correctly. Is your question about one of these topics?': the
    greeting weighed on the search. A polite customer gets the same answer. (The shipped
    encoder and re-ranker, as the bot runs: the tests' USE alone did not show it.)"""
    for user, question, answer_id in (
        ("181", "Good morning! Do you have gift cards?", "gift_cards"),
        ("182", "Здравствуйте, можно оплатить картой?", "payment_methods"),
        ("183", "Dzień dobry! Jak mogę zapłacić?", "payment_methods"),
    ):
        out = await say(shipped_shop, user, question)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == [answer_id], (question, texts(out))


@pytest.mark.parametrize(
    "message", ["My order has a problem", "С заказом проблема", "Z zamówieniem jest problem"]
)
async def test_an_order_said_to_have_a_problem_is_asked_what_happened(
    services: Services, message: str
) -> None:
    """'My order has a problem' was thanked for the kind words (praise to the model): a problem
    is announced, and the customer is asked what happened."""
    outcome = await say(services, "7305", message)
    assert events(outcome, "clarify"), texts(outcome)


@pytest.mark.parametrize(
    ("user", "question", "ok", "no", "said"),
    [
        ("191", "How do I return an item?", "ok", "no", "If anything else comes up"),
        ("192", "Как вернуть товар?", "ок", "нет", "Если появятся вопросы"),
        ("193", "Jak zwrócić towar?", "ok", "nie, dzięki", "Gdyby coś jeszcze"),
        ("194", None, "yes", "no", "If anything else comes up"),
    ],
)
async def test_no_to_is_there_anything_else_ends_kindly(
    shop: Services, user: str, question: str | None, ok: str, no: str, said: str
) -> None:
    """After an answer, 'ok' got 'Good. Is there anything else?', and 'no' then got 'Sorry
    that didn't help. Perhaps this is what you need:' and another answer (without one: 'All
    right. Tell me in a few words what you need'): the customer said there was nothing
    else."""
    lang = {"H": "en", "К": "ru", "J": "pl"}[question[0]] if question else "en"
    if question:
        await say(shop, user, question, language_code=lang)
    asked = await say(shop, user, ok, language_code=lang)
    assert "?" in texts(asked), texts(asked)
    out = await say(shop, user, no, language_code=lang)
    assert said in texts(out), texts(out)
    assert not events(out, "faq_not_helpful") and not events(out, "faq_answered")


@pytest.mark.parametrize(
    ("turns", "sorry"),
    [
        (["this shop is garbage, where is my order 55123"], True),
        (["this shop is garbage, where is my order", "55123"], True),
        (["Ужасный магазин, где мой заказ 55123?"], "простите"),
        (["Beznadziejny sklep, gdzie jest moje zamówienie?", "55123"], "przepraszam"),
        (["where is my order 55123"], False),
        (["where is my order?", "55123"], False),
    ],
)
async def test_an_upset_customer_asking_where_their_order_is_hears_sorry(
    services: Services, turns: list[str], sorry: bool | str
) -> None:
    """'this shop is garbage, where is my order 55123' got 'Thank you! I'm passing order 55123
    to a colleague...', as a calm question does: no word of regret to an upset customer. The
    mood of the question is kept while the number is asked for; a bare number (which the
    classifier reads as anything) makes no one upset."""
    for turn in turns:
        outcome = await say(services, "7390", turn)
    said = texts(outcome)
    assert "55123" in said, said
    if isinstance(sorry, str):
        assert sorry in said.lower(), said
    else:
        assert "passing order 55123" in said, said
        assert ("sorry" in said.lower()) is sorry, said
    assert events(outcome, "escalated"), said


@pytest.mark.parametrize(
    "message",
    [
        "Not a big deal but the mug has a small chip",
        "kubek jest wyszczerbiony",
        "на кружке скол",
    ],
)
async def test_a_chipped_mug_is_damage(services: Services, message: str) -> None:
    """'Not a big deal but the mug has a small chip' was a complaint of no type, handed to a
    person at night ('A colleague will reply here today at 09:00'), 'kubek jest wyszczerbiony'
    got the FAQ's answer on damaged parcels and 'на кружке скол' 'Я разбираюсь только в делах
    магазина': a chip told in plain words is damage, and the photo and order number are asked
    for at once."""
    outcome = await say(services, "7306", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)
    assert {e["slot"] for e in events(outcome, "asked_for")} >= {"order_ref", "photo"}
    assert not events(outcome, "escalated"), texts(outcome)


@pytest.mark.parametrize(
    ("message", "noted"),
    [
        ("The box was crushed and the TV is fine but the remote is missing", "sorry about the box"),
        ("Коробка помята, телевизор цел, но пульта не хватает", "простите за коробку"),
        ("Karton był zgnieciony, telewizor cały, ale brakuje pilota", "Za karton też przepraszam"),
        ("Коробка помята, а пульта нет", "простите за коробку"),
        ("The box was dented and the charger was not in it", "sorry about the box"),
    ],
)
async def test_a_crushed_box_beside_a_missing_part_is_no_damage_case(
    services: Services, message: str, noted: str
) -> None:
    """'The box was crushed and the TV is fine but the remote is missing' opened a missing-item
    case and queued a damaged-item one ('And what came damaged: I'll sort that out with you
    right after this.'): nothing in the box is broken. The remote is the case, and the box is
    noted for the warehouse, as when the box is all there is. 'Коробка помята, а пульта нет'
    and 'The box was dented and the charger was not in it' were damaged-item cases asking for
    a photo: a part said not to be there is missing."""
    outcome = await say(services, "7307", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["missing_item"], texts(outcome)
    assert not events(outcome, "complaint_queued"), texts(outcome)
    assert events(outcome, "packaging_noted"), texts(outcome)
    assert noted in texts(outcome), texts(outcome)


@pytest.mark.parametrize(
    ("turns", "sorry"),
    [
        (["this shop is garbage, where is my order", "I don't have the number"], "sorry"),
        (["Ужасный магазин, где мой заказ?", "у меня нет номера заказа"], "простите"),
        (["Beznadziejny sklep, gdzie jest moje zamówienie?", "nie mam numeru"], "przepraszam"),
        (["where is my order?", "I don't have the number"], None),
    ],
)
async def test_an_upset_customer_without_the_order_number_hears_sorry_too(
    services: Services, turns: list[str], sorry: str | None
) -> None:
    """'this shop is garbage, where is my order' - 'I don't have the number' got 'No problem!
    I'm passing your question to a colleague...' with no word of regret (it was said only
    when the number was known); a calm question still gets no apology."""
    for turn in turns:
        outcome = await say(services, "7391", turn)
    said = texts(outcome)
    assert events(outcome, "escalated"), said
    if sorry is None:
        assert not re.search(r"sorry|простите|przepraszam", said, re.I), said
    else:
        assert sorry in said.lower(), said


@pytest.mark.parametrize(
    ("user", "question", "sorry", "lang", "said"),
    [
        ("7401", "How much is shipping?", "sorry for my rude message earlier", "en", "No worries"),
        ("7402", "Сколько стоит доставка?", "извините, что нагрубил", "ru", "Ничего страшного"),
        (
            "7403",
            "Ile kosztuje dostawa?",
            "przepraszam za wcześniejszą wiadomość",
            "pl",
            "Nic nie szkodzi",
        ),
    ],
)
async def test_an_apology_for_ones_own_words_is_accepted(
    shop: Services, user: str, question: str, sorry: str, lang: str, said: str
) -> None:
    """'sorry for my rude message earlier' opened a complaint about staff ('Thank you for
    writing to us... could you help me with the order number?'), 'извините, что нагрубил' got
    the damaged-parcel answer, 'przepraszam za wcześniejszą wiadomość' 'coś poszło nie tak z
    zamówieniem?': the apology is accepted warmly and the conversation goes on."""
    await say(shop, user, question, language_code=lang)
    out = await say(shop, user, sorry, language_code=lang)
    assert said in texts(out), texts(out)
    assert not events(out, "complaint_opened") and not events(out, "clarify")
    assert not events(out, "faq_answered") and not events(out, "escalated")


async def test_an_apology_mid_case_keeps_the_question_asked(services: Services) -> None:
    """An apology while the bot waits for the order number: accepted, and the number that
    comes next is the case's."""
    first = await say(services, "7404", "My parcel is two weeks late, this is ridiculous!!")
    assert events(first, "asked_for"), texts(first)
    out = await say(services, "7404", "Sorry for being rude, I was just upset")
    assert "No worries" in texts(out) and not events(out, "complaint_opened"), texts(out)
    out = await say(services, "7404", "5512377")
    assert "passed everything" in texts(out) and "5512377" in texts(out), texts(out)


@pytest.mark.parametrize(
    ("message", "person"),
    [
        ("Коробка помята, товар вроде цел, но хочу скидку", False),
        ("The box was dented, the TV is fine, but can I get a discount?", False),
        ("Karton był zgnieciony, telewizor jest cały, ale chcę rabat", False),
        ("The box was dented but the TV is fine, I'd like some compensation in cash", True),
    ],
)
async def test_a_dented_box_and_a_discount_asked_for(
    services: Services, message: str, person: bool
) -> None:
    """'Коробка помята, товар вроде цел, но хочу скидку' got 'Хочу ответить точно. Ваш вопрос
    про одну из этих тем?' (a question to the model), the English and Polish a damaged-item case
    asking for a photo of a TV said to be fine: the box is thanked for and noted, as without
    the wish, and the discount asked for is the goodwill gesture, as at "is that OK?"; money
    as a compensation is a person's to decide."""
    outcome = await say(services, "7308", message)
    assert events(outcome, "packaging_noted"), texts(outcome)
    for kind in ("asked_for", "clarify", "faq_answered", "faq_declined"):
        assert not events(outcome, kind), texts(outcome)
    gifts = [e["kind"] for e in events(outcome, "compensation_offered") if e.get("gesture")]
    assert gifts == ([] if person else ["coupon"]), texts(outcome)
    assert bool(events(outcome, "escalated")) is person, texts(outcome)


@pytest.mark.parametrize(
    ("box", "no", "said"),
    [
        (
            "The box was a bit dented but the TV is fine, thanks",
            "no, nothing else",
            "If anything else comes up",
        ),
        ("Коробка немного помята, но телевизор цел", "нет, больше ничего", "Если появятся вопросы"),
        (
            "Karton trochę zgnieciony, ale telewizor jest cały",
            "nie, to wszystko",
            "Gdyby coś jeszcze",
        ),
    ],
)
async def test_nothing_else_after_the_box_is_noted_ends_kindly(
    services: Services, box: str, no: str, said: str
) -> None:
    """After the dented box was noted, 'no, nothing else' got 'Understood. What would you like
    to do instead?' though nothing had been offered: it ends kindly."""
    await say(services, "7309", box)
    out = await say(services, "7309", no)
    assert said in texts(out), texts(out)
    assert not events(out, "complaint_opened"), texts(out)


@pytest.mark.parametrize(
    "message",
    [
        "Nie dostałem uszkodzonego, dostałem w ogóle nic",
        "I didn't get a damaged one, I got nothing at all",
        "Я не получила повреждённый, я вообще ничего не получила",
    ],
)
async def test_nothing_got_at_all_is_a_parcel_not_received(
    services: Services, message: str
) -> None:
    """'Nie dostałem uszkodzonego, dostałem w ogóle nic' opened a damaged-item case asking for
    a photo of the problem: the damage is denied, and nothing came at all. It is the parcel
    not received, for the delivery team, with the order number asked for and no photo."""
    outcome = await say(services, "7310", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["delivery_delay"], texts(outcome)
    assert [e["slot"] for e in events(outcome, "asked_for")] == ["order_ref"], texts(outcome)
    assert not events(outcome, "complaint_queued"), texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "the vase arrived in pieces",
        "Kubek ma rysę",
        "The parcel came soaked",
        "I love your shop but this time the parcel came soaked and the book is ruined",
        "Paczka przyszła przemoczona",
        # was a late parcel for the delivery team
        "Заказ 5512304 пришёл, но упаковка мокрая и товар испорчен",
    ],
)
async def test_damage_told_in_plain_words_opens_the_damage_case(
    services: Services, message: str
) -> None:
    """'the vase arrived in pieces' (an unsure complaint) was asked 'did something go wrong with
    an order?', 'Kubek ma rysę' got 'Chyba nie do końca rozumiem', 'The parcel came soaked' was
    a status question, and 'Paczka przyszła przemoczona' and '...the parcel came soaked and the
    book is ruined' went to the delivery team as late parcels: a thing broken, scratched or
    soaked is damage, and the photo is asked for at once."""
    outcome = await say(services, "7311", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)
    assert "photo" in {e["slot"] for e in events(outcome, "asked_for")}, texts(outcome)


@pytest.mark.parametrize(
    ("box", "ask"),
    [
        ("Коробка помята, но телевизор цел", "а скидку дадите?"),
        ("The box was a bit dented but the TV is fine, thanks", "can I get a discount for that?"),
        ("Karton trochę zgnieciony, ale telewizor jest cały", "a dostanę jakiś rabat?"),
    ],
)
async def test_a_discount_asked_after_the_box_is_noted(
    services: Services, box: str, ask: str
) -> None:
    """After the dented box was noted, 'а скидку дадите?' got 'Хочу ответить точно. Ваш вопрос
    про одну из этих тем?' and FAQ topics: it asks about the box just noted, and gets the
    goodwill gesture, as when asked in the same message."""
    await say(services, "7312", box)
    out = await say(services, "7312", ask)
    gifts = [e["kind"] for e in events(out, "compensation_offered") if e.get("gesture")]
    assert gifts == ["coupon"], texts(out)
    assert not events(out, "faq_declined") and not events(out, "faq_answered"), texts(out)


@pytest.mark.parametrize(
    "message",
    ["Мне привезли чужой заказ", "Dostałam cudzą paczkę", "I received someone else's order"],
)
async def test_someone_elses_order_is_a_wrong_item(services: Services, message: str) -> None:
    """'Мне привезли чужой заказ' and 'Dostałam cudzą paczkę' were status questions ('Сейчас
    узнаем. Подскажите, пожалуйста, номер заказа?'), with no word of regret and a colleague to
    look up the order: someone else's parcel is a wrong item, thanked for and apologised for."""
    outcome = await say(services, "7313", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["wrong_item"], texts(outcome)


@pytest.mark.parametrize(
    ("announce", "told"),
    [
        ("I want to complain about the courier", "he threw my parcel over the fence"),
        ("Хочу пожаловаться на курьера", "он нагрубил мне по телефону"),
        ("Chcę złożyć skargę na kuriera", "był bardzo niemiły"),
    ],
)
async def test_a_complaint_about_the_courier_announced_is_asked_what_happened(
    services: Services, announce: str, told: str
) -> None:
    """'I want to complain about the courier' got the FAQ's answer on damaged parcels, 'Хочу
    пожаловаться на курьера' was handed to a person at once with no thanks or apology, and
    'Chcę złożyć skargę na kuriera' got 'Czy pytanie dotyczy jednego z tych tematów?': the
    customer is thanked and asked what happened, and the answer opens the courier's case."""
    first = await say(services, "7314", announce)
    assert events(first, "clarify"), texts(first)
    for kind in ("faq_answered", "faq_declined", "escalated"):
        assert not events(first, kind), texts(first)
    second = await say(services, "7314", told)
    opened = [e["complaint_type"] for e in events(second, "complaint_opened")]
    assert opened == ["staff_behavior"], texts(second)


@pytest.mark.parametrize(
    ("announce", "told", "kind"),
    [
        (
            "Здравствуйте! Хочу пожаловаться на доставку",
            "курьер опоздал на 4 часа, заказ 3850301",
            "delivery_delay",
        ),
        (
            "Chcę złożyć skargę na dostawę",
            "paczka nie dotarła, zamówienie 3850302",
            "delivery_delay",
        ),
        ("жалоба на оператора", "оператор мне нагрубил в чате", "staff_behavior"),
    ],
)
async def test_a_complaint_about_the_delivery_announced_is_asked_what_happened(
    services: Services, announce: str, told: str, kind: str
) -> None:
    """'Хочу пожаловаться на доставку' (a request for a person to the model) was handed to a
    colleague at once with no thanks, no apology and nothing asked; 'Chcę złożyć skargę na
    dostawę' got the FAQ's answer on cancelling an order; 'жалоба на оператора' went to a
    person too: the customer is thanked and asked what happened, and the answer opens the case."""
    first = await say(services, "3850300", announce)
    assert events(first, "clarify"), texts(first)
    for event in ("faq_answered", "faq_declined", "escalated"):
        assert not events(first, event), texts(first)
    second = await say(services, "3850300", told)
    opened = [e["complaint_type"] for e in events(second, "complaint_opened")]
    assert opened == [kind], texts(second)


@pytest.mark.parametrize(
    "message",
    [
        "оператор мне нагрубил в чате",
        "konsultant na czacie był dla mnie bardzo niemiły",
        "your support agent was rude to me",
    ],
)
async def test_one_of_the_shops_people_told_rude_is_the_staff_case(
    services: Services, message: str
) -> None:
    """'оператор мне нагрубил в чате' (a request for a person to the model) got the FAQ's
    answer on how to reach an operator: the customer is thanked, apologised to, and the staff
    case opens."""
    outcome = await say(services, "3850310", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["staff_behavior"], texts(outcome)
    assert not events(outcome, "faq_answered"), texts(outcome)


@pytest.mark.parametrize(
    ("message", "angry"),
    [
        ("Wow, great packaging, the plate is in three pieces", True),
        ("Świetna robota, talerz w trzech kawałkach", True),
        ("Отличная упаковка, тарелка разбита вдребезги", True),
        ("Great packaging, everything arrived intact, thanks!", False),
        ("Отличная упаковка, всё целое, спасибо", False),
    ],
)
async def test_praise_said_in_sarcasm_about_a_broken_thing(
    services: Services, message: str, angry: bool
) -> None:
    """'Świetna robota, talerz w trzech kawałkach' and 'Отличная упаковка, тарелка разбита
    вдребезги' were thanked for the kind words ('Bardzo dziękuję za miłe słowa!'), and 'Wow,
    great packaging, the plate is in three pieces' asked what happened: praise said about a
    broken thing is sarcasm, an angry customer's damaged-item case; the same praise with all
    intact is praise."""
    outcome = await say(services, "7315", message)
    opened = events(outcome, "complaint_opened")
    if not angry:
        assert not opened, texts(outcome)
        return
    assert [e["complaint_type"] for e in opened] == ["damaged_defective"], texts(outcome)
    assert [e["customer_kind"] for e in opened] == ["angry"], texts(outcome)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7331", "Great service as always, but the mug came chipped"),
        ("7332", "Отличный сервис как всегда, но кружка пришла со сколом"),
        ("7333", "Świetna obsługa jak zawsze, ale kubek przyszedł wyszczerbiony"),
        ("7334", "Всё отлично как всегда, но кружка пришла со сколом"),
    ],
)
async def test_sincere_praise_before_a_but_is_no_sarcasm(
    services: Services, user: str, message: str
) -> None:
    """'Great service as always, but the mug came chipped' was read as sarcasm: an angry
    customer, 'you shouldn't have had to go through this' and a 10% coupon; the Russian and
    Polish ones as praise alone ('Большое спасибо за тёплые слова!'), the chipped mug lost. The
    shop praised, then a problem after a "but", is a kind customer's complaint about that
    problem: the damaged-item case, no anger read into it."""
    outcome = await say(services, user, message)
    opened = events(outcome, "complaint_opened")
    assert [e["complaint_type"] for e in opened] == ["damaged_defective"], texts(outcome)
    assert [e["customer_kind"] for e in opened] == ["claimant"], texts(outcome)
    assert not events(outcome, "compensation_offered"), texts(outcome)
    classified = events(outcome, "classified")
    assert classified[0]["emotion"] != "angry", texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "Kurier zostawił paczkę pod drzwiami i ktoś ją ukradł",
        "Курьер оставил посылку у двери, и её украли",
        "Someone stole my parcel from the doorstep after the courier left it",
    ],
)
async def test_a_parcel_stolen_at_the_door_is_for_the_delivery_team(
    services: Services, message: str
) -> None:
    """'Kurier zostawił paczkę pod drzwiami i ktoś ją ukradł' was a complaint about the courier's
    manners, for the quality manager within 48 hours: the parcel never reached the customer,
    so it is the delivery team's case (as a parcel the courier lost)."""
    outcome = await say(services, "7316", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["delivery_delay"], texts(outcome)
    assert not events(outcome, "complaint_also_recorded"), texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "I'm not complaining about the delivery, the courier was fine, but the kettle smells of "
        "burnt plastic",
        "Kurier w porządku, ale czajnik śmierdzi spalonym plastikiem",
    ],
)
async def test_a_courier_said_to_be_fine_is_no_complaint_about_staff(
    services: Services, message: str
) -> None:
    """'..., the courier was fine, but the kettle smells of burnt plastic' opened the kettle's case
    and said 'What you told me about our staff I've passed to the customer care manager as
    well: that must not happen.' ('Kurier w porządku, ale...' the same): a courier said to be
    fine is no complaint; only the kettle is."""
    outcome = await say(services, "7317", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)
    assert not events(outcome, "complaint_also_recorded"), texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "nothing's wrong with the order, I just want to say your courier Ivan was amazing",
        "С заказом всё в порядке, просто хочу похвалить курьера",
        "Z zamówieniem wszystko ok, chcę tylko pochwalić kuriera",
    ],
)
async def test_praise_for_the_courier_with_all_well_is_praise(
    services: Services, message: str
) -> None:
    """'nothing's wrong with the order, I just want to say your courier Ivan was amazing' opened
    a complaint about the courier and asked for the order number, 'С заказом всё в порядке,
    просто хочу похвалить курьера' was a status question ('Сейчас узнаем...') and the Polish
    got 'Chyba nie do końca rozumiem': it is praise, thanked for."""
    outcome = await say(services, "7318", message)
    for kind in ("complaint_opened", "asked_for", "fallback", "escalated"):
        assert not events(outcome, kind), texts(outcome)
    assert texts(outcome), texts(outcome)


@pytest.mark.parametrize("message", ["Kolor się zgadza, ale rozmiar nie", "Rozmiar się nie zgadza"])
async def test_the_size_said_not_to_match_is_a_wrong_item(services: Services, message: str) -> None:
    """'Kolor się zgadza, ale rozmiar nie' (a "no" to the model) got 'Rozumiem. Co w takim razie
    mogę dla Ciebie zrobić?': the size that does not match is a wrong item, as 'Цвет
    правильный, а размер не тот' and 'The right colour came, but the wrong size' were."""
    outcome = await say(services, "7319", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["wrong_item"], texts(outcome)


@pytest.mark.parametrize(
    "message",
    [
        "Курьер вежливый, но привёз на неделю позже",
        "Kurier był miły, ale przywiózł paczkę tydzień później",
        "The courier was lovely but came a week late",
    ],
)
async def test_a_polite_courier_a_week_late_is_a_late_parcel(
    services: Services, message: str
) -> None:
    """'Курьер вежливый, но привёз на неделю позже' was thanked for the kind words ('Большое
    спасибо за тёплые слова!'), and 'Kurier był miły, ale przywiózł paczkę tydzień później'
    was a complaint about the courier, who was praised: the parcel came a week late, the
    delivery team's case, and nothing about the courier is passed on."""
    outcome = await say(services, "7320", message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["delivery_delay"], texts(outcome)
    assert not events(outcome, "complaint_also_recorded"), texts(outcome)


@pytest.mark.parametrize(
    ("user", "text", "question"),
    [
        (
            "7410",
            "Good afternoon, I ordered a jacket on your website last week and I would like to "
            "know how long shipping to Warsaw usually takes. Thank you very much in advance!",
            True,
        ),
        (
            "7411",
            "Good morning, I am writing to ask about the shipping time to Wroclaw. Your "
            "consultant told me 3 days but I want to be sure. thank you very much in advance",
            True,
        ),
        (
            "7412",
            "Добрый день, хотела бы уточнить сроки доставки в Новосибирск. Ваш консультант "
            "сказал 3 дня, но хочу быть уверена. Заранее большое спасибо",
            True,
        ),
        (
            "7413",
            "Dzień dobry, piszę w sprawie czasu dostawy do Wrocławia. Konsultant powiedział mi "
            "3 dni, ale chcę się upewnić. Z góry bardzo dziękuję",
            True,
        ),
        ("7414", "The courier was rude to me, is this normal?", False),
        ("7415", "Почему мне прислали не тот размер?", False),
        ("7416", "Why is my parcel taking so long?", False),
    ],
)
async def test_a_polite_question_that_tells_no_problem_is_no_complaint(
    shop: Services, user: str, text: str, question: bool
) -> None:
    """A long polite shipping question ('... I would like to know how long shipping to Warsaw
    usually takes. Thank you very much in advance!', '... Your consultant told me 3 days but
    I want to be sure') opened a complaint ('Thank you for writing to us... I'm really sorry
    about this... the order number and a photo of the problem?'), read as a wrong item or as
    one about staff: a calm question that tells no problem is a question (about a placed
    order: its status). A problem told, or a 'why', is still a complaint."""
    out = await say(shop, user, text)
    [classified] = events(out, "classified")
    if question:
        assert classified["intent"] in ("faq", "order_status"), classified
        assert not events(out, "complaint_opened") and not events(out, "clarify"), texts(out)
        assert not [e for e in events(out, "asked_for") if e.get("slot") == "photo"]
    else:
        assert classified["intent"] == "complaint", classified


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7420", "Спасибо за быструю доставку! Правда, одна тарелка разбита"),
        ("7421", "Thanks for the quick delivery! Sadly one plate is broken"),
        ("7422", "Dziękuję za szybką dostawę! Niestety jeden talerz jest stłuczony"),
    ],
)
async def test_thanks_with_one_exclamation_and_a_broken_plate_is_calm(
    services: Services, user: str, message: str
) -> None:
    """'Спасибо за быструю доставку! Правда, одна тарелка разбита' was read as angry and got
    the angry customer's 10% coupon ('В знак извинения вот промокод...'): the customer thanks
    and then tells of the plate, calmly; the damage case opens, with no coupon."""
    outcome = await say(services, user, message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)
    assert [e["customer_kind"] for e in events(outcome, "complaint_opened")] == ["claimant"]
    assert not events(outcome, "compensation_offered"), texts(outcome)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7423", "Rozmiar nie pasuje, chcę zwrócić"),
        ("7425", "Размер не подошёл, хочу вернуть"),
        # a complaint to the model: a wrong-item case asking for a photo of the problem
        ("7426", "The size doesn't fit, I want to return it"),
        ("7428", "These boots are too small, can I exchange them?"),
    ],
)
async def test_a_size_that_does_not_fit_and_a_return_wanted(
    shop: Services, user: str, message: str
) -> None:
    """'Rozmiar nie pasuje, chcę zwrócić' (a "no" to the model) got 'Rozumiem. Co w takim
    razie mogę dla Ciebie zrobić?': the customer wants to send back an item in the wrong
    size, and gets the shop's answer on exchanging the size or returning it."""
    outcome = await say(shop, user, message)
    answered = [e["answer_id"] for e in events(outcome, "faq_answered")]
    assert answered and answered[0] in ("size_exchange", "returns_procedure"), texts(outcome)
    assert events(outcome, "classified")[0]["intent"] != "deny"
    assert not events(outcome, "complaint_opened") and not events(outcome, "asked_for")


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7426", "Zwróciłam towar dwa tygodnie temu i nadal nic"),
        ("7427", "I returned the item two weeks ago and still nothing"),
        ("7428", "Сдала куртку в пункт выдачи 10 дней назад и до сих пор ничего"),
        # was a late parcel for the delivery team
        ("7432", "where's my refund? I returned the shoes 3 weeks ago, order 5512004"),
        # "when will I get it?" was a late parcel for the delivery team
        ("3850101", "Witam, kiedy dostanę zwrot pieniędzy? Odesłałam paczkę 2 tygodnie temu"),
        ("3850102", "Я вернула куртку 10 дней назад, когда вернут деньги?"),
        ("3850103", "I returned the shoes 3 weeks ago, when will I get my refund?"),
    ],
)
async def test_an_item_sent_back_weeks_ago_and_nothing_since_is_a_refund_not_received(
    services: Services, user: str, message: str
) -> None:
    """'Zwróciłam towar dwa tygodnie temu i nadal nic' was a complaint about the service,
    passed to the quality manager ('Przekazałem wszystko menedżerowi ds. jakości...'): the
    customer sent the item back and the money has not come, a refund not received (billing)."""
    outcome = await say(services, user, message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["billing"], texts(outcome)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7429", "Ваза пришла в трёх частях"),
        ("7430", "Wazon przyszedł w trzech częściach"),
        ("7431", "The vase arrived in two parts"),
    ],
)
async def test_a_thing_that_came_in_parts_is_broken(
    services: Services, user: str, message: str
) -> None:
    """'Ваза пришла в трёх частях' was read as a missing item ('Довезти недостающее / Вернуть
    деньги'): a vase in three parts is broken, the damage case (photo and order number)."""
    outcome = await say(services, user, message)
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)


async def test_in_parts_as_the_answer_to_what_happened(services: Services) -> None:
    """'в трёх частях' as the answer to 'what happened?' about a vase is damage."""
    await say(services, "7432", "У меня проблема с заказом")
    outcome = await say(services, "7432", "ваза в трёх частях")
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(outcome)


@pytest.mark.parametrize(
    ("user", "message", "answer_id"),
    [
        ("7460", "Nie pamiętam hasła", "password_reset"),
        ("7461", "I don't remember my password", "password_reset"),
        ("7462", "Не помню пароль", "password_reset"),
        ("7463", "Не подошёл размер", "size_exchange"),
        ("7464", "I don't know which size to pick", "size_charts"),
        ("7465", "Nie chcę już tego zamówienia", "order_cancellation"),
        # a thing that does not please: the shop's returns (it drew the missing-item answer)
        ("7473", "Не понравился цвет", "returns_procedure"),
        ("7474", "I don't like the color", "returns_procedure"),
    ],
)
async def test_a_first_message_opening_with_no_is_what_the_customer_needs(
    shipped_shop: Services, user: str, message: str, answer_id: str
) -> None:
    """'Nie pamiętam hasła', 'I don't remember my password', 'Не подошёл размер' (a "no" to
    the model: a calm message opening with a negation) got 'Understood. What would you like
    to do instead?' as the first message, with nothing of ours to say no to: the shop's
    answer to what the customer needs."""
    out = await say(shipped_shop, user, message)
    assert events(out, "classified")[0]["intent"] == "deny"  # what makes it a case
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [answer_id], texts(out)


@pytest.mark.parametrize(
    ("user", "turns", "answer_id"),
    [
        ("7469", ("Как вернуть товар?", "Не помню пароль"), "password_reset"),
        ("7470", ("How do I return an item?", "No, I want to exchange the size"), "size_exchange"),
        ("7471", ("Как вернуть товар?", "Нет, я про возврат денег"), "refund_timing"),
        # "didn't help" in words is still about the answer: the next candidate
        ("7472", ("Как вернуть товар?", "Не помогло"), "return_period"),
    ],
)
async def test_a_no_after_an_answer_that_tells_another_need_gets_its_answer(
    shipped_shop: Services, user: str, turns: tuple[str, str], answer_id: str
) -> None:
    """'Не помню пароль' after the returns answer (a "no" to the model) got 'Извините, что не
    помогло' and the return period: the customer moved on to another need, and the KB is
    sure of its answer."""
    await say(shipped_shop, user, turns[0])
    out = await say(shipped_shop, user, turns[1])
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [answer_id], texts(out)
    assert bool(events(out, "faq_not_helpful")) == (answer_id == "return_period"), texts(out)


@pytest.mark.parametrize(
    ("user", "message", "reply"),
    [
        ("7466", "Нет", "Что бы вы хотели сделать?"),
        ("7467", "No, not really", "What would you like to do instead?"),
        ("7468", "Nie, już nie trzeba", "Co w takim razie mogę dla Ciebie zrobić?"),
    ],
)
async def test_a_bare_no_is_still_a_no(
    shipped_shop: Services, user: str, message: str, reply: str
) -> None:
    """A bare "no" names nothing to search for: the bot asks what the customer would like
    (no FAQ answer, no topics offered for "нет")."""
    out = await say(shipped_shop, user, message)
    assert not events(out, "faq_answered") and not events(out, "faq_declined"), texts(out)
    assert reply in texts(out), texts(out)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7433", "Не надо возврат, просто дошлите крышку"),
        ("7434", "No refund needed, just send the missing lid"),
        ("7435", "Nie chcę zwrotu, po prostu doślijcie pokrywkę"),
    ],
)
async def test_no_refund_just_send_the_missing_part(
    services: Services, user: str, message: str
) -> None:
    """'Не надо возврат, просто дошлите крышку' was a billing complaint, and with the order
    number the bot filed a refund ('Я оформил заявку на возврат...'); in English it offered
    'Send the missing item / Refund the money?' again: the lid is missing, and sending it is
    the fix the customer asked for."""
    first = await say(services, user, message)
    opened = [e["complaint_type"] for e in events(first, "complaint_opened")]
    assert opened == ["missing_item"], texts(first)
    outcome = await say(services, user, "5531207")
    assert [e["option"] for e in events(outcome, "fix_chosen")] == ["resend"], texts(outcome)


@pytest.mark.parametrize(
    ("user", "box", "problem", "brief"),
    [
        (
            "7436",
            "Коробка помята, но чайник цел",
            "А ещё в заказе не хватает крышки",
            "и об этом",
        ),
        (
            "7437",
            "The box was a bit dented but the TV is fine",
            "Oh, and the remote is missing",
            "about this too",
        ),
    ],
)
async def test_a_problem_after_the_box_note_is_not_thanked_from_scratch(
    services: Services, user: str, box: str, problem: str, brief: str
) -> None:
    """After the box was noted ('Спасибо, что сообщили! ... за коробку извините'), 'А ещё в
    заказе не хватает крышки' got the whole speech again ('Спасибо, что написали нам: только
    так мы можем это исправить...'), as if the customer had just arrived: it is thanked
    briefly ('Спасибо, что рассказали и об этом.')."""
    await say(services, user, box)
    outcome = await say(services, user, problem)
    assert [e["complaint_type"] for e in events(outcome, "complaint_opened")] == ["missing_item"]
    assert brief in texts(outcome), texts(outcome)


async def test_a_polish_word_the_detector_cannot_place_keeps_the_dialogue_polish(
    services: Services,
) -> None:
    """A Polish customer wrote 'Karton trochę zgnieciony, ale telewizor jest cały' (answered in
    Polish), then 'Aha, i brakuje pilota', and was answered in English ('Thank you for writing
    to us...'): the detector's 'en' for words it cannot place is no switch; a sentence plainly
    in English still is."""
    await say(services, "7438", "Karton trochę zgnieciony, ale telewizor jest cały")
    out = await say(services, "7438", "Aha, i brakuje pilota")
    assert events(out, "complaint_opened"), texts(out)
    assert detect_lang(texts(out)) == "pl", texts(out)
    out = await say(services, "7438", "Sorry, can you answer in English? Where is my order?")
    assert detect_lang(texts(out)) == "en", texts(out)


@pytest.mark.parametrize(
    "user, question, missing",
    [
        ("7441", "как сбросить пароль?", "письмо так и не прислали"),
        ("7442", "how do I reset my password?", "the link isn't coming"),
        ("7443", "how do I reset my password?", "the email still won't come"),
        ("7444", "jak zresetować hasło?", "nie wysyłacie maila"),
    ],
)
async def test_a_reset_email_not_coming_in_other_words_is_about_the_reset_answer(
    shop: Services, user: str, question: str, missing: str
) -> None:
    """After the password-reset answer, 'письмо так и не прислали' went to the quality
    manager with a 24-hour promise, 'the link isn't coming' got 'did something go wrong with
    an order?' and 'nie wysyłacie maila' the privacy answer as the next guess: like 'не
    приходит письмо', each is about that answer's steps, said again with a colleague a tap
    away."""
    first = await say(shop, user, question)
    assert events(first, "faq_answered")[0]["answer_id"] == "password_reset", texts(first)
    out = await say(shop, user, missing)
    assert not events(out, "complaint_opened") and not events(out, "clarify"), texts(out)
    assert [(e["answer_id"], e["via"]) for e in events(out, "faq_answered")] == [
        ("password_reset", "not_arrived")
    ], texts(out)
    tapped = {b.data for r in out.replies for row in r.buttons for b in row}
    assert "topic:human" in tapped, texts(out)


@pytest.mark.parametrize(
    "user, text",
    [
        (
            "7451",
            "Здравствуйте, хочу вернуть товар надлежащего качества, не подошёл по размеру. Заказ 6612399",
        ),
        ("7452", "Платье не понравилось, хочу вернуть. Заказ 6612397"),
        ("7453", "I don't like the dress, I want to return it. Order 6612396"),
        ("7454", "The jacket doesn't fit, I'd like to return it, order 6612395"),
        ("7455", "Sukienka mi się nie podoba, chcę ją zwrócić. Zamówienie 6612394"),
        # a question besides (the whole message a question to the model, its part a defect),
        # and the money of a return (a billing one to the model)
        ("7458", "Куртка не подошла по размеру, хочу вернуть. И сколько стоит доставка?"),
        ("7459", "хочу вернуть деньги, товар не подошёл"),
    ],
)
async def test_a_return_of_a_sound_item_is_answered_not_a_defect_case(
    shop: Services, user: str, text: str
) -> None:
    """'хочу вернуть товар надлежащего качества, не подошёл по размеру. Заказ 6612399' and
    'I don't like the dress, I want to return it. Order ...' opened a defect case: an apology
    and 'send a photo of the problem', for a sound item the customer simply sends back. They
    get the shop's return (or size-exchange) answer, or that topic to tap when the search is
    unsure (this fixture's encoder is USE alone)."""
    out = await say(shop, user, text)
    assert not events(out, "complaint_opened") and not events(out, "asked_for"), texts(out)
    returns = {"returns_procedure", "return_period", "size_exchange"}
    answered = {e["answer_id"] for e in events(out, "faq_answered")}
    tapped = {b.data.rsplit(":", 1)[-1] for r in out.replies for row in r.buttons for b in row}
    assert answered & returns or (not answered and tapped & returns), (texts(out), tapped)


@pytest.mark.parametrize(
    "user, text, kind",
    [
        ("7456", "Прислали не тот размер, 42 вместо 40, хочу вернуть. Заказ 6612393", "wrong_item"),
        (
            "7457",
            "The dress came torn, it doesn't fit anyway, I want to return it. Order 6612392",
            "damaged_defective",
        ),
    ],
)
async def test_a_return_because_of_the_shops_mistake_stays_a_case(
    shop: Services, user: str, text: str, kind: str
) -> None:
    """A wrong size sent or a flaw, with a return wished: still the shop's mistake to fix."""
    out = await say(shop, user, text)
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == [kind], texts(out)


@pytest.mark.parametrize(
    "user, text",
    [
        (
            "7461",
            "Napiszę o was na Facebooku, jeśli do jutra nie dostanę zwrotu za zamówienie 5512370!",
        ),
        ("7462", "Если до завтра не получу деньги за заказ 5512375, напишу отзыв везде"),
    ],
)
async def test_a_refund_threatened_over_is_a_refund_case(
    services: Services, user: str, text: str
) -> None:
    """'..., jeśli do jutra nie dostanę zwrotu za zamówienie 5512370!' (the refund still to
    come, said in the future) went to the delivery team as a late parcel: it is the refund
    (billing), and the threat is heard."""
    out = await say(services, user, text)
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == ["billing"], texts(out)
    assert events(out, "classified")[0]["threat"] == "public", texts(out)


async def test_two_questions_in_one_message_both_answered(
    shipped_shop: Services,
) -> None:
    """ "как вернуть куртку? и сколько дней на возврат?": the return period was answered and
    "как вернуть куртку?" (unsure alone between the procedure and the period) was said to
    have no ready answer; read in the whole message it gets the returns procedure, first,
    as asked. (The shipped encoder and re-ranker, as the bot runs.)"""
    for user, message in (
        ("131", "как вернуть куртку? и сколько дней на возврат?"),
        ("132", "how do I return a jacket? and how many days do I have for a return?"),
        ("133", "jak zwrócić kurtkę? i ile dni mam na zwrot?"),
    ):
        out = await say(shipped_shop, user, message)
        got = [e["answer_id"] for e in events(out, "faq_answered")]
        assert got == ["returns_procedure", "return_period"], (message, texts(out))
        assert not events(out, "faq_declined"), texts(out)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("171", "Товар пришёл, но чек не положили"),
        ("172", "В посылке не было чека, заказ 5531207"),
        ("173", "The receipt wasn't in the parcel"),
        ("174", "I didn't get an invoice with my order 5531207"),
        ("175", "Nie dostałem paragonu do zamówienia"),
        ("176", "Doszło bez problemów, ale bez paragonu"),
        ("178", "Заказ 4471033 пришёл без задержек, но без чека"),
        ("179", "Где чек?"),
        ("1791", "Where is my receipt?"),
    ],
)
async def test_a_missing_receipt_gets_the_receipts_answer_not_a_resend(
    shipped_shop: Services, user: str, message: str
) -> None:
    """'Товар пришёл, но чек не положили' opened a missing-item case: the order number asked
    for, then 'Довезти недостающее / Вернуть деньги' offered for goods that all came; 'I
    didn't get an invoice with my order ...' filed a refund with the finance team; 'Где чек?'
    was asked the order number as a status question. A receipt is no thing in the parcel:
    the shop's answer on receipts says where to get one."""
    out = await say(shipped_shop, user, message)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["invoice_receipts"], texts(out)
    assert not events(out, "complaint_opened") and not events(out, "asked_for"), texts(out)
    assert not events(out, "promised"), texts(out)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("1792", "I need an invoice for order 5544332"),
        ("1793", "Potrzebuję faktury do zamówienia 5544332"),
        ("1794", "Пришлите, пожалуйста, чек"),
    ],
)
async def test_a_receipt_asked_for_gets_the_receipts_answer(
    shipped_shop: Services, user: str, message: str
) -> None:
    """'I need an invoice for order 5544332' (a billing complaint to the model) got 'I'm not
    sure I understood'; 'Potrzebuję faktury do zamówienia 5544332' was declined with topics,
    the order number keeping the search from being sure: the shop's answer on receipts says
    how to get one."""
    out = await say(shipped_shop, user, message)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["invoice_receipts"], texts(out)
    assert not events(out, "complaint_opened") and not events(out, "fallback"), texts(out)


@pytest.mark.parametrize(
    "message", ["Хочу вернуть, чек есть", "I want to return it, I have the receipt"]
)
def test_a_receipt_the_customer_has_is_not_one_asked_for(message: str) -> None:
    """Wanting a return and having the receipt is no receipt asked for."""
    from bot.nlu.lexicon import paperwork_missing

    assert not paperwork_missing(message)


async def test_a_missing_receipt_beside_a_missing_part_is_still_the_part(
    services: Services,
) -> None:
    """A receipt named beside a part that did not come ('без чека и пульта') is still the
    missing-item case: the remote is sent or refunded."""
    out = await say(services, "177", "Заказ 5531207 пришёл без чека и пульта")
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == ["missing_item"], (
        texts(out)
    )


@pytest.mark.parametrize(
    ("user", "message", "electronic", "printed", "chosen"),
    [
        (
            "7401",
            "Пришёл без инструкции на русском",
            "Прислать электронную версию на почту",
            "Довезти бумажный экземпляр",
            "электронную версию",
        ),
        (
            "7402",
            "The kettle came without a manual",
            "Send it electronically by e-mail",
            "Send a printed copy",
            "electronic copy",
        ),
        # a wrong item to the model, and the warranty card one for the quality team
        (
            "7404",
            "Czajnik przyszedł bez instrukcji",
            "Wersja elektroniczna e-mailem",
            "Dosłanie wersji papierowej",
            "wersji elektronicznej",
        ),
        (
            "7405",
            "Czajnik przyszedł bez karty gwarancyjnej",
            "Wersja elektroniczna e-mailem",
            "Dosłanie wersji papierowej",
            "wersji elektronicznej",
        ),
    ],
)
async def test_a_missing_manual_is_offered_a_copy_not_the_missing_item(
    services: Services, user: str, message: str, electronic: str, printed: str, chosen: str
) -> None:
    """'Пришёл без инструкции на русском' was offered 'Довезти недостающее / Вернуть деньги',
    as if a part of the thing had not come; 'Czajnik przyszedł bez instrukcji' was a wrong
    item (the order number and a photo of the problem asked for). A manual (a warranty card, a
    paper) missing alone is offered an electronic copy by e-mail or a printed one, and the
    copy chosen is promised within a working day."""
    await say(services, user, message)
    offer = await say(services, user, "5531207")
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert labels == [electronic, printed], texts(offer)
    done = await say(services, user, callback_data="cmp:opt:send_document")
    assert [e["option"] for e in events(done, "fix_chosen")] == ["send_document"], texts(done)
    assert chosen in texts(done), texts(done)


async def test_a_part_missing_beside_the_manual_is_still_sent(services: Services) -> None:
    """A manual missing beside a part ('без инструкции и без зарядки') is the part's case: the
    missing thing sent again or its money back; so is a part alone ('Czajnik przyszedł bez
    pokrywki', a wrong item to the model: the order number and a photo asked for)."""
    await say(services, "7403", "Пришёл без инструкции и без зарядки")
    offer = await say(services, "7403", "5531207")
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert labels == ["Довезти недостающее", "Вернуть деньги"], texts(offer)
    # "bez pokrywki" was a wrong item to the model too
    first = await say(services, "7406", "Czajnik przyszedł bez pokrywki")
    assert [e["slot"] for e in events(first, "asked_for")] == ["order_ref"], texts(first)
    offer = await say(services, "7406", "5531207")
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert labels == ["Dosłanie brakującego towaru", "Zwrot pieniędzy"], texts(offer)


@pytest.mark.parametrize(
    ("user", "message", "labels"),
    [
        ("7407", "Пришёл чайник, но без подставки", ["Довезти недостающее", "Вернуть деньги"]),
        (
            "7408",
            "Przyszedł czajnik, ale bez podstawki",
            ["Dosłanie brakującego towaru", "Zwrot pieniędzy"],
        ),
    ],
)
async def test_a_thing_said_to_have_come_names_no_second_problem(
    services: Services, user: str, message: str, labels: list[str]
) -> None:
    """'Пришёл чайник, но без подставки' opened the missing stand's case and queued a broken
    one ('А повреждённым займусь сразу после этого'; 'Przyszedł czajnik, ale ...' a wrong
    item): its first clause only tells the kettle came. One missing-item case, nothing
    queued."""
    first = await say(services, user, message)
    assert not events(first, "complaint_queued"), texts(first)
    assert "займусь сразу после" not in texts(first), texts(first)
    assert "zajmę się zaraz potem" not in texts(first), texts(first)
    offer = await say(services, user, "5531207")
    offered = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert offered == labels, texts(offer)


async def test_what_a_thing_came_as_is_still_the_wrong_item(services: Services) -> None:
    """'Ей привезли не тот тонометр — заказывали на плечо, а пришёл на запястье' went to the
    delivery team ('Я передал всё службе доставки'): its 'пришёл на запястье' tells what came
    instead, no thing that merely came. The wrong item's case, its swap offered."""
    outcome = await say(
        services,
        "7409",
        "Здравствуйте, пишу за маму, ей 78 лет. Ей привезли не тот тонометр — заказывали на "
        "плечо, а пришёл на запястье. Заказ 6678012, фото прикладываю.",
    )
    opened = [e["complaint_type"] for e in events(outcome, "complaint_opened")]
    assert opened == ["wrong_item"], texts(outcome)
    assert "службе доставки" not in texts(outcome), texts(outcome)


@pytest.mark.parametrize(
    ("user", "message", "refund"),
    [
        ("7501", "Куртка пришла с дыркой, как её вернуть?", "Вернуть деньги"),
        ("7502", "The jacket came with a hole, how do I return it?", "Refund the money"),
        ("7503", "Kurtka przyszła z dziurą, jak ją zwrócić?", "Zwrot pieniędzy"),
    ],
)
async def test_how_to_return_a_faulty_thing_is_a_defect_case(
    services: Services, user: str, message: str, refund: str
) -> None:
    """'Куртка пришла с дыркой, как её вернуть?' (a question to the model) got topic buttons,
    'The jacket came with a hole, how do I return it?' the return procedure, as for a thing
    that does not fit. A thing that came faulty is a defect: thanks and an apology, the photo
    and the order number asked for, then its fixes, the money back among them."""
    first = await say(services, user, message)
    assert [e["complaint_type"] for e in events(first, "complaint_opened")] == [
        "damaged_defective"
    ], texts(first)
    assert not events(first, "faq_declined"), texts(first)
    offer = await say(services, user, "5531207", attachments=(Attachment("photo", f"p{user}"),))
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert refund in labels, texts(offer)


async def test_a_faulty_thing_to_exchange_is_one_defect_case(services: Services) -> None:
    """'Пришёл бракованный товар, хочу обменять' (a wrong item to the model, unsure) opened a
    wrong-item case and queued a broken one ('А повреждённым займусь сразу после этого'). A
    faulty thing, nothing wrong named, is one defect case: the order number and a photo, then
    the exchange wished for."""
    first = await say(services, "7521", "Пришёл бракованный товар, хочу обменять")
    opened = [e["complaint_type"] for e in events(first, "complaint_opened")]
    assert opened == ["damaged_defective"], texts(first)
    assert not events(first, "complaint_queued"), texts(first)
    await say(services, "7521", "5531207")
    done = await say(services, "7521", attachments=(Attachment("photo", "p7521"),))
    assert [e["option"] for e in events(done, "fix_chosen")] == ["replacement"], texts(done)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("7511", "Чайник пришёл разбитый, как его вернуть?"),
        ("7512", "Куртка пришла с дыркой, как её вернуть?"),
        ("7513", "Czajnik przyszedł rozbity, jak go zwrócić?"),
        # the money asked back: the FAQ's defect answer alone, no case
        ("7514", "Kettle arrived broken, how do I get a refund?"),
        # a billing one to the model ('Słuchawki...' a billing case asking the order number
        # alone), the English one the FAQ's refund times: a faulty thing's money asked back
        ("7515", "Наушники не работают, как вернуть деньги?"),
        ("7516", "Słuchawki nie działają, jak odzyskać pieniądze?"),
        ("7517", "The headphones don't work, how do I get my money back?"),
        ("7518", "Чайник не работает, как вернуть деньги?"),
        # what to do asked: a case for the quality team with '24 hours', the FAQ's answer on
        # damaged parcels (the Polish and English ones)
        ("7519", "Посылка пришла помятая, что делать?"),
        ("7520", "Paczka przyszła zgnieciona, co robić?"),
        ("7522", "The parcel arrived crushed, what do I do?"),
    ],
)
async def test_how_to_return_a_faulty_thing_is_asked_for_the_details_once(
    shipped_shop: Services, user: str, message: str
) -> None:
    """'Чайник пришёл разбитый, как его вернуть?' opened the defect case (order number and
    photo asked for) and then got the FAQ's 'Пришлите номер заказа и фото или видео дефекта',
    the jacket 'отнесите их в любой пункт выдачи'; 'Kettle arrived broken, how do I get a
    refund?' got the FAQ's answer alone, no case to send the details to, and 'Наушники не
    работают, как вернуть деньги?' the FAQ's defect answer too (a billing one to the model);
    'Посылка пришла помятая, что делать?' went to the quality team with no details asked. The
    case is the answer to how to return a faulty thing, get its money back or what to do: one
    reply, asking once, and the fixes come after the details."""
    first = await say(shipped_shop, user, message)
    assert [e["slot"] for e in events(first, "asked_for")] == ["order_ref", "photo"], texts(first)
    assert not events(first, "faq_answered"), texts(first)
    assert len(first.replies) == 1, texts(first)
    offer = await say(shipped_shop, user, "5531207", attachments=(Attachment("photo", f"p{user}"),))
    assert not events(offer, "asked_for"), texts(offer)
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    # replace, refund, repair; a jacket with a hole is no workshop's (replace, refund)
    assert len(labels) == (2 if user == "7512" else 3), texts(offer)


@pytest.mark.parametrize(
    ("user", "message", "also"),
    [
        ("181", "Куртка не подошла по размеру, как вернуть?", None),
        ("182", "The shoes are too small, how do I return them?", None),
        ("183", "Buty są za małe, jak je zwrócić?", None),
        (
            "184",
            "Куртка не подошла по размеру, как вернуть? И сколько стоит доставка?",
            "delivery_cost",
        ),
        ("185", "Sukienka nie pasuje, czy mogę ją oddać?", None),
        ("186", "The dress doesn't fit, can I return it?", None),
    ],
)
async def test_how_to_return_a_thing_that_does_not_fit_gets_the_return_procedure(
    shipped_shop: Services, user: str, message: str, also: str | None
) -> None:
    """'Куртка не подошла по размеру, как вернуть?' (a question to the model) got 'Ваш вопрос
    про одну из этих тем?' with topic buttons (the size exchange at 0.27), 'The shoes are too
    small, how do I return them?' the size exchange's 'Yes — tap "Exchange size"', the Polish
    one that in English. How to send back a thing that does not fit is the return procedure;
    a question asked besides is still answered."""
    out = await say(shipped_shop, user, message)
    got = [e["answer_id"] for e in events(out, "faq_answered")]
    assert got == ["returns_procedure", *([also] if also else [])], texts(out)
    assert not events(out, "faq_declined"), texts(out)
    assert detect_lang(texts(out)) == detect_lang(message), texts(out)


@pytest.mark.parametrize(
    ("user", "turns"),
    [
        ("191", ("Купил вчера, а сегодня цена упала на 500 ₽", "5531207")),
        ("192", ("the price dropped the day after I bought it", "order 5531207")),
        ("193", ("Заказ 5531207, через два дня после покупки цена стала на 2000 ₽ ниже",)),
        ("194", ("Kupiłem wczoraj, a dziś cena spadła o 50 zł",)),
    ],
)
async def test_a_price_drop_after_buying_gets_the_shops_price_answer_not_a_made_up_refund(
    shipped_shop: Services, user: str, turns: tuple[str, ...]
) -> None:
    """'Купил вчера, а сегодня цена упала на 500 ₽' was a billing complaint: the order number
    asked, then 'Я сразу одобрил возврат 500 ₽ ... Деньги придут на карту', and 'the price
    dropped the day after I bought it' a refund filed with finance, where the shop returns
    the difference as Lavka Club points. The shop's answer on price changes is given, nothing
    it contradicts is promised, and the order, told then or next, goes to a colleague who can
    give the difference (not 'Понял, заказ 5531207. Чем могу помочь?')."""
    outs = [await say(shipped_shop, user, turn) for turn in turns]
    got = [e["answer_id"] for e in events(outs[0], "faq_answered")]
    assert got == ["price_change"], texts(outs[0])
    for out in outs:
        assert not events(out, "promised") and not events(out, "complaint_opened"), texts(out)
    if "5531207" in " ".join(turns):
        handed = [e["reason"] for out in outs for e in events(out, "escalated")]
        assert handed == ["order_change"], [texts(out) for out in outs]
        assert "5531207" in texts(outs[-1]), texts(outs[-1])


async def test_a_polish_first_message_of_two_words_is_answered_in_polish(
    services: Services,
) -> None:
    """ "a zwroty?" as the very first message was answered in English ("a" is an English
    word to the detector, "zwroty" no word it knew), with or without Telegram's Polish;
    "zwroty?" without a Telegram language too. A Polish customer gets Polish."""
    for user, word, code in (
        ("141", "a zwroty?", None),
        ("142", "a zwroty?", "pl"),
        ("143", "zwroty?", None),
        ("144", "a blikiem?", None),
    ):
        out = await say(services, user, word, language_code=code)
        assert detect_lang(texts(out)) == "pl", (word, texts(out))
        assert events(out, "classified")[0]["lang"] == "pl", word


async def test_a_ukrainian_where_is_my_order_is_a_status_question(services: Services) -> None:
    """ "Де моє замовлення 5512345" was a complaint about service ("what happened?") and "де
    моє замовлення?" off-topic; it is where the order is, as "где мой заказ 5512345?": the
    number passed on (in Russian, the shop's language for one the bot does not speak), or
    asked for."""
    for user, message in (
        ("151", "Де моє замовлення 5512345"),
        ("152", "де моє замовлення 5512345?"),
    ):
        out = await say(services, user, message)
        assert not events(out, "complaint_opened"), texts(out)
        assert [e["reason"] for e in events(out, "escalated")] == ["order_status"], texts(out)
        assert "5512345" in texts(out) and CYRILLIC.search(texts(out)), texts(out)
    out = await say(services, "153", "де моє замовлення?")
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)


async def test_a_promo_code_that_does_not_work_gets_the_fix_and_one_question(
    shipped_shop: Services,
) -> None:
    """At the checkout there is no order yet: "Промокод не работает" was asked for an order
    number, "My promo code doesn't work" for a phone or email (a site case). Each gets what
    usually fixes it (the KB's promo answer) and one question, the code and what the site
    says; the code sent next goes to a colleague, "спасибо, получилось" is thanks."""
    for user, message, code in (
        ("161", "Промокод не работает", "SALE20, пишет «промокод недействителен»"),
        ("162", "My promo code doesn't work", "WINTER15, it says the code is not valid"),
        ("163", "Kod rabatowy nie działa", "ZIMA10, pisze że kod jest nieważny"),
    ):
        out = await say(shipped_shop, user, message)
        assert [e["answer_id"] for e in events(out, "faq_answered")] == ["promo_codes"]
        assert not events(out, "asked_for") and not events(out, "complaint_opened")
        assert detect_lang(out.replies[-1].text) == detect_lang(message), texts(out)
        out = await say(shipped_shop, user, code)
        assert [e["reason"] for e in events(out, "escalated")] == ["faq_not_helpful"]
    await say(shipped_shop, "164", "Промокод не работает")
    out = await say(shipped_shop, "164", "спасибо, получилось")
    assert not events(out, "escalated"), texts(out)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("4176", "промокод SALE15 не работает, пишет 'срок действия истёк'"),
        ("4177", "Kod rabatowy LATO25 nie działa, pisze że kod wygasł"),
        ("4178", "my promo code WINTER20 didnt apply, it says invalid code"),
    ],
)
async def test_a_promo_code_told_with_what_the_site_says_goes_to_a_colleague_at_once(
    shipped_shop: Services, user: str, message: str
) -> None:
    """'промокод SALE15 не работает, пишет «срок действия истёк»' was asked for 'the code and
    what the site says', both in the message: they go to a colleague now, said in one reply
    (thanks once)."""
    out = await say(shipped_shop, user, message)
    assert [e["reason"] for e in events(out, "escalated")] == ["faq_not_helpful"], texts(out)
    assert not events(out, "complaint_opened") and not events(out, "faq_promo_asked")
    assert len(re.findall(r"спасибо|thank|dziękuj", texts(out), re.I)) == 1, texts(out)


async def test_a_promo_code_not_sent_is_not_said_to_be_passed_on(shipped_shop: Services) -> None:
    """'я всё ввела правильно, всё равно не работает' after the code was asked for got
    'Передал код и сообщение сайта коллеге' (no code was ever sent): passed on, and the code
    still welcome."""
    await say(shipped_shop, "4179", "промокод не работает")
    out = await say(shipped_shop, "4179", "я всё ввела правильно, всё равно не работает")
    assert [e["reason"] for e in events(out, "escalated")] == ["faq_not_helpful"], texts(out)
    assert "Передал код" not in texts(out) and "код" in texts(out), texts(out)


async def test_an_order_change_handed_over_is_not_then_answered_by_the_faq(
    shipped_shop: Services,
) -> None:
    """ "Хочу изменить адрес доставки в заказе 1234567. Как поменять адрес доставки?": the
    bot passed the change to a colleague ("I'm connecting you") and then answered "change it
    yourself in My orders"; a question it could not answer got "tap the button below for a
    colleague" under the colleague just called. The colleague takes those questions too;
    another topic's question is still answered."""
    for user, message in (
        ("171", "Хочу изменить адрес доставки в заказе 1234567. Как поменять адрес доставки?"),
        (
            "172",
            "I want to change the delivery address on order 1234567. Can I change the address myself?",
        ),
        ("173", "Хочу отменить заказ 1234567. И как вернуть деньги?"),
    ):
        out = await say(shipped_shop, user, message)
        assert [e["reason"] for e in events(out, "escalated")] == ["order_change"]
        assert not events(out, "faq_answered") and not events(out, "faq_declined"), texts(out)
        assert events(out, "faq_passed_also"), texts(out)
        assert not any(
            b.data == "topic:human" for r in out.replies for row in r.buttons for b in row
        )
    out = await say(
        shipped_shop,
        "174",
        "Хочу изменить адрес доставки в заказе 1234567. И сколько стоит доставка?",
    )
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"], texts(out)


async def test_a_question_with_typos_is_answered_as_meant(
    shipped_shop: Services,
) -> None:
    """ "скока стоит доствка?" was declined with topics ("Хочу ответить точно..."), though
    "сколько стоит доставка?" is answered: a spoken form and a letter left out are read as
    the KB's words; "do you sell cars?" is not read as gift cards."""
    out = await say(shipped_shop, "181", "скока стоит доствка?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await say(shipped_shop, "182", "do you sell cars?")
    assert not events(out, "faq_answered"), texts(out)
    # two letters of a short word swapped, the question read as off-topic by the model
    out = await say(shipped_shop, "183", "how mcuh is delivry?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"], texts(out)


@pytest.mark.parametrize(
    ("user", "turns"),
    [
        (
            "4101",
            (
                "Can I change the delivery address after ordering?",
                "order 7654321, new address is Lipowa 5, Warsaw",
            ),
        ),
        ("4102", ("Заказ 7654321, новый адрес: Москва, ул. Ленина 5, кв. 3",)),
        ("4103", ("Zamówienie 7654321 - nowy adres: Lipowa 5, Kraków",)),
        # the size or colour wanted instead ("chcę 38 zamiast 37" was a wrong-item complaint
        # asking for a photo)
        ("4104", ("Jak zmienić rozmiar butów?", "zamówienie 7654321, chcę 38 zamiast 37")),
        ("4105", ("Заказ 7654321: хочу размер M вместо S",)),
        # "Мне пришло" holds "не пришло": it was a problem told, no change asked (a wrong item
        # with a photo asked for; the cancellation passed on as a status question)
        ("4106", ("Мне пришло уведомление о заказе 7654321 - измените адрес на Ленина 5",)),
        ("4107", ("Мне пришло письмо по заказу 7654321, отмените его, пожалуйста",)),
    ],
)
async def test_a_change_to_an_order_goes_to_a_colleague_who_can_make_it(
    shipped_shop: Services, user: str, turns: tuple[str, ...]
) -> None:
    """'order 7654321, new address is Lipowa 5, Warsaw' (after the FAQ on changing the
    address) was read as a complaint: 'I'm really sorry about this' and a hand-off for
    'needs_person'. The new address is a change asked for: the request goes to the colleague
    who can change the order, with no apology for a problem nobody told."""
    outs = [await say(shipped_shop, user, turn) for turn in turns]
    last = outs[-1]
    assert [e["reason"] for e in events(last, "escalated")] == ["order_change"], texts(last)
    assert not events(last, "complaint_opened"), texts(last)
    assert "7654321" in texts(last), texts(last)
    assert not re.search(r"sorry|жаль|извин|przykro|przepr", texts(last), re.I), texts(last)


@pytest.mark.parametrize(
    ("user", "text", "entry"),
    [
        ("4108", "Not sure how to change my delivery address", "change_delivery_address"),
        ("4109", "Подскажите как отменить заказ", "order_cancellation"),
        ("4110", "Nie wiem jak zmienić adres dostawy", "change_delivery_address"),
    ],
)
async def test_how_to_change_an_order_asked_without_a_question_mark_gets_the_faq(
    shipped_shop: Services, user: str, text: str, entry: str
) -> None:
    """'Not sure how to change my delivery address' (a complaint to the model, with no "?")
    was taken as a change to make: 'a colleague who can change orders will do it. What's the
    order number?'. It asks how to do it, and the shop's answer says how."""
    out = await say(shipped_shop, user, text)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [entry], texts(out)
    assert not events(out, "asked_for") and not events(out, "escalated"), texts(out)


async def test_a_question_about_it_in_the_same_message_is_answered_by_the_answer_it_follows(
    shipped_shop: Services,
) -> None:
    """'Czy moje dane są bezpieczne? Sprzedajecie je komuś?' got the shop's answer on data
    (it never sells it), then 'Na to nie mam jeszcze gotowej odpowiedzi: — Sprzedajecie je
    komuś?': the second question is about the data the first one named, and that answer is
    its answer."""
    out = await say(shipped_shop, "4111", "Czy moje dane są bezpieczne? Sprzedajecie je komuś?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["privacy"], texts(out)
    assert not events(out, "faq_declined"), texts(out)


async def test_an_unsure_status_reading_of_a_clause_naming_no_order_asks_no_order_number(
    shipped_shop: Services,
) -> None:
    """'Is my data safe with you? Do you sell it?' was led by its first clause, a status
    question to the model at 0.49: 'What's the order number?', then the wholesale answer for
    'Do you sell it?'. No order is named: it is a question for the knowledge base."""
    out = await say(shipped_shop, "4112", "Is my data safe with you? Do you sell it?")
    assert not events(out, "asked_for"), texts(out)
    assert "wholesale_corporate" not in [e["answer_id"] for e in events(out, "faq_answered")]
    assert "order number" not in texts(out), texts(out)


async def test_an_unsure_status_reading_naming_no_order_is_asked_of_the_faq(
    shipped_shop: Services,
) -> None:
    """'Is my data safe with you?' alone (a status question to the model at 0.49) was asked
    'What's the order number?': it names no order, so the shop's data topic is offered (the
    re-ranker is not sure enough to answer it outright)."""
    out = await say(shipped_shop, "4113", "Is my data safe with you?")
    assert not events(out, "asked_for"), texts(out)
    shown = [e["answer_id"] for e in events(out, "faq_answered")]
    shown += [c["answer_id"] for e in events(out, "faq_declined") for c in e["candidates"][:2]]
    assert "privacy" in shown, out.events
    # a status question that names the order's state is still one
    out = await say(shipped_shop, "4114", "Is it still not there? Any news?")
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)


@pytest.mark.parametrize(
    ("user", "turns"),
    [
        ("4121", ("I'd like to return a jacket", "it's too small")),
        ("4122", ("Как вернуть куртку?", "она мала")),
        ("4123", ("Jak zwrócić kurtkę?", "jest za mała")),
    ],
)
async def test_a_size_that_does_not_fit_after_the_returns_answer_gets_the_size_exchange(
    shipped_shop: Services, user: str, turns: tuple[str, ...]
) -> None:
    """'it's too small' after the returns answer ('no' to the model) got 'Sorry that didn't
    help' and the return period; 'она мала' and 'jest za mała' 'I didn't quite understand'.
    It is the reason for the return: the shop's size exchange is offered as well."""
    first, out = [await say(shipped_shop, user, turn) for turn in turns]
    assert [e["answer_id"] for e in events(first, "faq_answered")] == ["returns_procedure"]
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["size_exchange"], texts(out)
    assert not events(out, "faq_not_helpful") and not events(out, "fallback"), texts(out)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("4131", "Надоело ждать!"),
        ("4132", "I'm tired of waiting"),
        ("4133", "Mam dość czekania"),
        ("4134", "Не хочу больше ждать"),
        ("4135", "Nie chcę dłużej czekać"),
        ("4136", "Сколько можно ждать?"),
        ("4139", "Жду-жду, а толку ноль"),
        ("4140", "I keep waiting and waiting and nothing"),
    ],
)
async def test_a_customer_worn_out_by_waiting_gets_the_late_order_case(
    shipped_shop: Services, user: str, text: str
) -> None:
    """'Надоело ждать!', "I'm tired of waiting" and 'Mam dość czekania' were goodbyes to the
    model ('Bye! Write any time'), 'Не хочу больше ждать' a "no" ('I didn't quite
    understand'), 'Сколько можно ждать?' the delivery times, 'Жду-жду, а толку ноль' was not
    understood and 'I keep waiting and waiting' got the quality manager's 24 hours. A wait has
    worn the customer out: the late order's case, with thanks, an apology and the order number
    asked for."""
    out = await say(shipped_shop, user, text)
    opened = events(out, "complaint_opened")
    assert [e["complaint_type"] for e in opened] == ["delivery_delay"], texts(out)
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)
    assert not events(out, "faq_answered"), texts(out)
    assert not re.search(r"bye|до свидания|do widzenia", texts(out), re.I), texts(out)


async def test_a_wait_that_wore_them_out_with_an_order_number_is_passed_on(
    shipped_shop: Services,
) -> None:
    """'Ile można czekać?! Zamówienie 3344556': the late order's case with its number, passed
    to the delivery team at once (no number asked again), and a cancellation asked for in the
    same breath still goes to the colleague who can cancel."""
    out = await say(shipped_shop, "4137", "Ile można czekać?! Zamówienie 3344556")
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == ["delivery_delay"]
    assert events(out, "promised") and not events(out, "asked_for"), texts(out)
    assert "3344556" in texts(out)
    out = await say(shipped_shop, "4138", "Надоело ждать, отмените заказ 4455667")
    assert [e["reason"] for e in events(out, "escalated")] == ["order_change"], texts(out)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("4141", "а как мне тут связаться с оператором, если вдруг понадобится?"),
        ("4142", "How can I reach a human agent if I ever need one?"),
        ("4143", "Jak się tu połączyć z konsultantem w razie potrzeby?"),
    ],
)
async def test_how_a_person_is_reached_asked_for_later_gets_the_answer(
    shipped_shop: Services, user: str, text: str
) -> None:
    """'…how do I reach a human agent if I ever need one?' named a person and was passed to a
    colleague at once. It asks how that is done, for later: the shop's answer says how."""
    out = await say(shipped_shop, user, text)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["talk_to_person"], texts(out)
    assert not events(out, "escalated"), texts(out)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("4144", "как связаться с оператором?"),
        ("4145", "Хочу поговорить с менеджером"),
        ("4146", "Позовите человека, если можно"),
    ],
)
async def test_a_person_asked_for_now_is_still_called(
    shipped_shop: Services, user: str, text: str
) -> None:
    out = await say(shipped_shop, user, text)
    assert [e["reason"] for e in events(out, "escalated")] == ["customer_request"], texts(out)
    assert not events(out, "faq_answered"), texts(out)


async def test_a_person_to_the_model_with_no_word_for_one_gets_the_kb_answer_first(
    shipped_shop: Services,
) -> None:
    """'Хочу сделать заказ для компании, нужен счёт' (a person to the model, though it names
    none) was passed to a colleague at once: the shop's answer on invoices for companies."""
    out = await say(shipped_shop, "4147", "Хочу сделать заказ для компании, нужен счёт")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["invoice_receipts"]
    assert not events(out, "escalated"), texts(out)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("4151", "ау"),
        ("4152", "есть кто?"),
        ("4153", "Да"),
        ("4154", "ok"),
        ("4155", "ну"),
        ("4156", "halo, jest tam ktoś?"),
    ],
)
async def test_a_hello_or_a_yes_to_start_a_talk_is_greeted(
    shipped_shop: Services, user: str, text: str
) -> None:
    """'ау', 'Да' or 'ok' as a chat's first message got 'Хорошо. Что-нибудь ещё?' (a yes to
    the model, and nothing was asked), 'есть кто?' how to reach a person. The customer is
    checking that someone is there: a hello, and what the bot can do."""
    out = await say(shipped_shop, user, text)
    said = texts(out)
    assert re.search(r"помочь|help|pomóc", said, re.I), said
    assert not re.search(r"что-нибудь ещё|anything else|coś jeszcze", said, re.I), said
    assert not events(out, "faq_answered") and not events(out, "escalated"), said


async def test_a_hello_mid_talk_is_no_first_greeting_and_a_yes_after_a_day_is_a_hello(
    shipped_shop: Services,
) -> None:
    """'ау' right after an answer: the bot is here (not 'Приветствую!' as at the start); 'Да'
    right after is an answer to 'what would you like to sort out?'; 'Да' the next day, with
    nothing said since, starts a new talk and is greeted."""
    start = shipped_shop.engine.clock()
    shipped_shop.engine.clock = lambda: start
    await say(shipped_shop, "4157", "Сколько стоит доставка?")
    shipped_shop.engine.clock = lambda: start + timedelta(minutes=1)
    there = await say(shipped_shop, "4157", "ау")
    assert texts(there) and not re.search(r"приветствую", texts(there), re.I), texts(there)
    assert not events(there, "faq_answered"), texts(there)
    shipped_shop.engine.clock = lambda: start + timedelta(minutes=2)
    yes = await say(shipped_shop, "4157", "Да")
    assert re.search(r"что-нибудь ещё|чем ещё", texts(yes), re.I), texts(yes)
    shipped_shop.engine.clock = lambda: start + timedelta(days=1)
    later = await say(shipped_shop, "4157", "Да")
    assert re.search(r"помочь", texts(later), re.I), texts(later)
    assert not re.search(r"что-нибудь ещё", texts(later), re.I), texts(later)


@pytest.mark.parametrize(
    ("user", "text"),
    [("4158", "Ну и где?"), ("4159", "И где?"), ("4160", "Gdzie to jest?")],
)
async def test_where_of_nothing_to_start_a_talk_asks_for_the_order(
    shipped_shop: Services, user: str, text: str
) -> None:
    """'Ну и где?' to start a chat got 'Хорошо. Что-нибудь ещё?' (a yes to the model),
    'Gdzie to jest?' a hello: where the order is, as 'Where is it?' is read (its number asked)."""
    out = await say(shipped_shop, user, text)
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)
    assert not events(out, "complaint_opened"), texts(out)


@pytest.mark.parametrize(
    ("user", "first", "where"),
    [
        ("4164", "Спасибо за помощь, всё решили", "Ну и где?"),
        ("4165", "Dziękuję, to wszystko", "No i gdzie?"),
        ("4166", "Спасибо!", "И где?"),
    ],
)
async def test_where_of_nothing_after_a_thank_you_asks_for_the_order(
    shipped_shop: Services, user: str, first: str, where: str
) -> None:
    """'Ну и где?' after the bot's 'Рад помочь!' (nothing asked, no case, no answer to ask
    about) got 'Хорошо. Что-нибудь ещё?' (a yes to the model), as it did to start a talk:
    where the order is, its number asked."""
    await say(shipped_shop, user, first)
    out = await say(shipped_shop, user, where)
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)
    assert not re.search(r"что-нибудь ещё|anything else|coś jeszcze", texts(out), re.I)


@pytest.mark.parametrize(
    ("user", "question", "where", "entry"),
    [
        ("4167", "Можно забрать заказ самовывозом?", "А где?", "pickup_points"),
        pytest.param(
            "4168",
            "Where can I pick up my order?",
            "so where?",
            "pickup_points",
            # since the demo KB's discounts entry (session 58) the joint question leans to the
            # tracking answer; known, not mended yet (docs/playbook.md, the session's list)
            marks=pytest.mark.xfail(strict=True, reason="'so where?' now gets order_tracking"),
        ),
    ],
)
async def test_where_of_nothing_after_an_answer_is_asked_of_the_answer(
    shipped_shop: Services, user: str, question: str, where: str, entry: str
) -> None:
    """'А где?' right after the pickup answer got 'Хорошо. Что-нибудь ещё?' (a yes to the
    model): a question about what was just answered, not the order's number."""
    first = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(first, "faq_answered")] == [entry], texts(first)
    out = await say(shipped_shop, user, where)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [entry], texts(out)
    assert not events(out, "asked_for"), texts(out)
    assert not re.search(r"что-нибудь ещё|anything else", texts(out), re.I), texts(out)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("4169", "Is my vacuum from order 2298910 still covered by warranty? I bought it in March"),
        (
            "4170",
            "is the phone I bought still under warranty? bought it 13 months ago, order 2298900",
        ),
        ("4171", "Czy odkurzacz z zamówienia 2298911 jest jeszcze na gwarancji?"),
        ("4172", "how long is the warranty on the coffee machine from order 2298913?"),
        ("4173", "Действует ли ещё гарантия на пылесос из заказа 2298914?"),
    ],
)
async def test_whether_an_order_is_under_warranty_gets_the_warranty_answer(
    shipped_shop: Services, user: str, text: str
) -> None:
    """'Is my vacuum from order 2298910 still covered by warranty?' filed a refund with the
    finance team (a billing case to the model); the same in Polish or Russian got 'Is your
    question about one of these topics?' (the order's number kept the KB from answering): the
    shop's warranty answer, no case."""
    out = await say(shipped_shop, user, text)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["warranty"], texts(out)
    assert not events(out, "complaint_opened"), texts(out)


@pytest.mark.parametrize(
    ("user", "text", "ctype"),
    [
        (
            "4174",
            "My vacuum from order 2298915 stopped working, is it still under warranty?",
            "damaged_defective",
        ),
        ("4175", "Пылесос из заказа 2298916 сломался, он ещё на гарантии?", "damaged_defective"),
    ],
)
async def test_a_fault_told_with_a_warranty_question_is_a_case(
    shipped_shop: Services, user: str, text: str, ctype: str
) -> None:
    """A fault told beside the warranty question is the fault's case (the photo asked for)."""
    out = await say(shipped_shop, user, text)
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == [ctype], texts(out)


@pytest.mark.parametrize(
    ("user", "text", "ctype"),
    [
        ("4161", "I've been waiting for two weeks!", "delivery_delay"),
        ("4162", "We have been waiting 10 days already, this is ridiculous", "delivery_delay"),
        ("4163", "I've been waiting two weeks for my refund", "billing"),
    ],
)
async def test_how_long_a_customer_waited_is_the_late_orders_case(
    shipped_shop: Services, user: str, text: str, ctype: str
) -> None:
    """'I've been waiting for two weeks!' was a service complaint ('you'll hear back within 24
    hours') where 'Жду уже две недели!' is the late order's: the order number asked for. A wait
    for the refund stays a money case."""
    out = await say(shipped_shop, user, text)
    assert [e["complaint_type"] for e in events(out, "complaint_opened")] == [ctype], texts(out)
    assert [e["slot"] for e in events(out, "asked_for")] == ["order_ref"], texts(out)


@pytest.mark.parametrize(
    ("user", "wish", "number", "words"),
    [
        ("4180", "хочу отменить заказ", "8800001", "отменить заказ 8800001"),
        ("4181", "Chcę anulować zamówienie", "8800003", "anulowanie zamówienia 8800003"),
        ("4182", "Как отменить заказ?", "8800004", "отменить заказ 8800004"),
        ("4183", "хочу изменить адрес доставки", "8800005", "изменить заказ 8800005"),
    ],
)
async def test_a_lone_number_after_the_cancel_answer_is_the_order_to_cancel(
    shipped_shop: Services, user: str, wish: str, number: str, words: str
) -> None:
    """'хочу отменить заказ' got the FAQ's how-to, then '8800001' 'Понял, заказ 8800001. Чем
    могу помочь?' (the wish forgotten): that order's cancellation goes to a colleague."""
    first = await say(shipped_shop, user, wish)
    assert events(first, "faq_answered"), texts(first)
    out = await say(shipped_shop, user, number)
    assert [e["reason"] for e in events(out, "escalated")], texts(out)
    assert words in texts(out), texts(out)


@pytest.mark.parametrize(
    ("wish", "number", "then"),
    [
        ("Мне нужно вернуть товар, он не подошёл", "заказ 3850409", "как отправить?"),
        ("How do I return an item?", "3850410", "where do I take it?"),
        ("Chcę zwrócić sukienkę", "3850411", "gdzie ją nadać?"),
    ],
)
async def test_a_lone_number_after_the_return_answer_is_noted_for_the_return(
    shipped_shop: Services, wish: str, number: str, then: str
) -> None:
    """'Мне нужно вернуть товар, он не подошёл' got the return's steps, then 'заказ 3850409'
    'Спасибо, заказ 3850409 записал. Что с ним случилось?' (the return forgotten), and 'как
    отправить?' next went to a colleague as a question about the order's status: the number
    is noted for the return, the steps given stand, and the next question is answered."""
    first = await say(shipped_shop, "3850400", wish)
    assert [e["answer_id"] for e in events(first, "faq_answered")] == ["returns_procedure"]
    out = await say(shipped_shop, "3850400", number)
    assert [e.get("wish") for e in events(out, "order_noted")] == ["return"], texts(out)
    assert not events(out, "escalated"), texts(out)
    assert "?" not in texts(out), texts(out)  # nothing asked: the return's steps are given
    last = await say(shipped_shop, "3850400", then)
    assert not events(last, "escalated"), texts(last)
    assert events(last, "faq_answered"), texts(last)


@pytest.mark.parametrize(
    ("user", "text", "entry"),
    [
        ("4184", "skolko stoit dostavka", "delivery_cost"),
        ("4185", "kak otmenit zakaz", "order_cancellation"),
        ("4186", "mozhno oplatit pri poluchenii?", "cash_on_delivery"),
        ("4187", "Order 4455667 — how long do I have to return it?", "return_period"),
        ("4188", "Заказ 4455667, сколько дней на возврат?", "return_period"),
        ("4189", "Order 5512444, can I pay cash on delivery?", "cash_on_delivery"),
    ],
)
async def test_questions_in_latin_letters_or_with_an_order_get_the_answer(
    shipped_shop: Services, user: str, text: str, entry: str
) -> None:
    """'skolko stoit dostavka' opened a damage case (asking for a photo), 'kak otmenit zakaz'
    got the FAQ's topics (the Latin letters searched as typed); 'Order 4455667 — how long do I
    have to return it?' got the topics too (the order's number kept the KB from answering):
    each gets its answer. A question where the order is stays a colleague's."""
    out = await say(shipped_shop, user, text)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [entry], texts(out)
    assert not events(out, "complaint_opened"), texts(out)
    if user in ("4184", "4185", "4186", "4188"):
        assert CYRILLIC.search(texts(out)), texts(out)


async def test_a_promo_code_without_what_the_site_says_still_gets_the_fix_first(
    shipped_shop: Services,
) -> None:
    """'my promo code WINTER20 didn't work' names the code but not what the site says (the
    apostrophe of "didn't" is no quote): what usually fixes it, and the one question."""
    out = await say(shipped_shop, "4190", "my promo code WINTER20 didn't work")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["promo_codes"], texts(out)
    assert events(out, "faq_promo_asked") and not events(out, "escalated"), texts(out)


async def test_delivery_to_a_country_not_served_gets_the_countries_answer(
    shipped_shop: Services,
) -> None:
    """'How much is shipping to Germany?', 'Сколько идёт посылка в Беларусь?' got the Russian
    and Polish tariffs and times, as if they were the price and the time to Germany: the
    countries served are said, and that the others are not yet. A country the shop's answers
    name keeps its own answer."""
    for user, question, answer_id in (
        ("4191", "How much is shipping to Germany?", "delivery_regions"),
        ("4192", "Сколько идёт посылка в Беларусь?", "delivery_regions"),
        ("4193", "Ile kosztuje wysyłka do Niemiec?", "delivery_regions"),
        ("4194", "How long does delivery to the USA take?", "delivery_regions"),
        ("4195", "Сколько стоит доставка в Польшу?", "delivery_cost"),
        ("4196", "Сколько дней доставка по России?", "delivery_times"),
    ):
        out = await say(shipped_shop, user, question)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == [answer_id], (question, texts(out))


async def test_a_question_told_with_its_story_is_no_complaint(shipped_shop: Services) -> None:
    """'My sister gave me a gift card for Christmas. How do I use it when I order?' (a part
    of it a complaint about staff to the model) asked for an order number, and 'я живу во
    Владивостоке, хочу заказать у вас пуховик, но боюсь что будет идти месяц. Сколько
    реально по времени?' for an order number and a photo of the problem: a question told
    with its story, nothing wrong in it, is a question (no complaint opened, nothing asked)."""
    for user, question in (
        ("4197", "My sister gave me a gift card for Christmas. How do I use it when I order?"),
        (
            "4198",
            "Здравствуйте, я живу во Владивостоке, хочу заказать у вас пуховик, но боюсь что "
            "будет идти месяц. Сколько реально по времени?",
        ),
        ("4199", "Я из Новосибирска, заказываю впервые. Сколько дней будет доставка?"),
    ):
        out = await say(shipped_shop, user, question)
        assert not events(out, "complaint_opened") and not events(out, "asked_for"), texts(out)


async def test_a_question_said_again_after_didnt_help_is_searched_itself(
    shipped_shop: Services,
) -> None:
    """'Do you have gift cards?' - 'not what I asked, I want to know if you have a student
    discount' got the next candidate of the first question (some other topic): the question
    said again is searched; the shop has no answer to it, so a colleague takes it."""
    user = "4200"
    await say(shipped_shop, user, "Do you have gift cards?")
    out = await say(
        shipped_shop, user, "not what I asked, I want to know if you have a student discount"
    )
    assert events(out, "faq_not_helpful") and not events(out, "faq_answered"), texts(out)
    assert events(out, "escalated"), texts(out)


async def test_each_question_of_a_message_is_answered_the_one_after_a_comma_too(
    shipped_shop: Services,
) -> None:
    """'Ile kosztuje dostawa do paczkomatu, czy mogę zapłacić przy odbiorze i ile mam czasu na
    zwrot?' got the delivery price and the return period, and nothing on paying at pickup."""
    for user, question, asked in (
        (
            "4203",
            "Ile kosztuje dostawa do paczkomatu, czy mogę zapłacić przy odbiorze i ile mam czasu "
            "na zwrot?",
            ["delivery_cost", "cash_on_delivery", "return_period"],
        ),
        (
            "4204",
            "Сколько стоит доставка в пункт выдачи, можно ли оплатить при получении?",
            ["delivery_cost", "cash_on_delivery"],
        ),
    ):
        out = await say(shipped_shop, user, question)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == asked, (question, texts(out))


async def test_money_back_for_a_thing_that_does_not_fit_is_a_return(
    shipped_shop: Services,
) -> None:
    """'chcę zwrot pieniędzy za kurtkę, nie pasuje mi. Zamówienie 2345679' filed a refund
    with the finance team as if overcharged, never saying how to send the jacket back: money
    wished back for a sound thing that does not fit is a return (the shop's answer on it)."""
    for user, message in (
        ("4201", "chcę zwrot pieniędzy za kurtkę, nie pasuje mi. Zamówienie 2345679"),
        ("4202", "I want my money back for the jacket, it doesn't fit. Order 2345679"),
    ):
        out = await say(shipped_shop, user, message)
        faq = events(out, "faq_answered") or events(out, "faq_declined")  # the topics, at least
        assert not events(out, "complaint_opened") and faq, texts(out)


@pytest.mark.parametrize(
    ("user", "ask", "question", "answer"),
    [
        ("4301", "I want to talk to a person", "also do you ship to Germany?", r"Russia or Poland"),
        ("4302", "позовите оператора", "а сколько стоит доставка?", r"299 ₽"),
    ],
)
async def test_a_plain_question_while_a_person_is_awaited_gets_the_kb_answer_now(
    shipped_shop: Services, user: str, ask: str, question: str, answer: str
) -> None:
    """'also do you ship to Germany?' while nobody had taken the ticket yet got 'I've passed
    this on as well': a one-line FAQ answer left for a colleague. The knowledge base's sure
    answer now, with the colleague still coming; a question it cannot answer is passed on as
    before."""
    first = await say(shipped_shop, user, ask)
    assert events(first, "escalated")
    out = await say(shipped_shop, user, question)
    assert re.search(answer, texts(out)), texts(out)
    assert re.search(r"colleague|коллег", out.replies[-1].text), texts(out)
    await say(shipped_shop, user + "9", "I want to talk to a person")
    other = await say(shipped_shop, user + "9", "do you sell left-handed scissors for cats?")
    assert "passed this on" in texts(other), texts(other)


async def test_a_follow_up_naming_one_line_of_the_answer_gets_that_line(
    shipped_shop: Services,
) -> None:
    """'a do Moskwy?', 'and to Moscow?' after the delivery times, 'а в Польшу?' after the
    delivery price got 'Here's everything I have on that:' and the whole answer again (or the
    off-topic reply): the line of the answer naming that place, alone."""
    for user, question, follow_up, said, not_said in (
        ("5001", "How long does delivery take?", "and to Moscow?", "1–2 days", "Poland"),
        ("5002", "ile trwa dostawa?", "a do Moskwy?", "1–2 dni", "Do Polski"),
        ("5003", "Сколько стоит доставка?", "а в Польшу?", "14,99 zł", "299 ₽"),
    ):
        first = await say(shipped_shop, user, question)
        assert events(first, "faq_answered"), texts(first)
        out = await say(shipped_shop, user, follow_up)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == [events(first, "faq_answered")[0]["answer_id"]], texts(out)
        assert said in texts(out) and not_said not in texts(out), texts(out)
        assert len(out.replies) == 1, texts(out)  # no "here's everything I have" before it


async def test_a_follow_up_naming_a_place_the_answer_does_not_name_is_told_so(
    shipped_shop: Services,
) -> None:
    """'а в Казань?', 'and to Reykjavik?', 'a do Zakopanego?' after the delivery regions (or
    times) got that whole answer again, as if it answered: no exact answer for that place,
    said so, with the general rule in one line and a colleague one tap away; the gap is kept
    with the question it follows. A country the answer covers ("other countries") is as
    before."""
    for user, question, follow_up, name, general, rest in (
        (
            "5101",
            "В какие страны вы доставляете?",
            "а в Казань?",
            "Казань",
            "по всей России",
            "В другие страны",
        ),
        (
            "5102",
            "Which countries do you deliver to?",
            "and to Reykjavik?",
            "Reykjavik",
            "all over Russia",
            "Other countries",
        ),
        (
            "5103",
            "Do jakich krajów dostarczacie?",
            "a do Zakopanego?",
            "Zakopanego",
            "całej Rosji",
            "Do innych krajów",
        ),
        ("5104", "Сколько дней идёт доставка?", "а в Якутск?", "Якутск", "1–2 дня", "В Польшу"),
    ):
        first = await say(shipped_shop, user, question)
        assert events(first, "faq_answered"), texts(first)
        out = await say(shipped_shop, user, follow_up)
        assert not events(out, "faq_answered"), texts(out)
        said = texts(out)
        assert name in said and general in said and rest not in said, said
        assert out.replies[-1].buttons[-1][-1].data == "topic:human", said
        async with shipped_shop.sessionmaker() as session:
            gap = await session.scalar(
                select(UnansweredQuestion).where(
                    UnansweredQuestion.conversation_id == out.conversation_id
                )
            )
        assert gap is not None and question in gap.text and follow_up in gap.text
    await say(shipped_shop, "5105", "Which countries do you deliver to?")
    other = await say(shipped_shop, "5105", "and to Kazakhstan?")
    assert "Other countries aren't available" in texts(other), texts(other)


async def test_a_follow_up_about_a_thing_named_in_passing_gets_its_own_answer(
    shipped_shop: Services,
) -> None:
    """'а при получении?', 'and on delivery?', 'a przy odbiorze?' after the payment methods
    (which name paying on delivery in a list) got the payment methods again: the
    cash-on-delivery answer."""
    for user, question, follow_up in (
        ("5004", "как можно оплатить?", "а при получении?"),
        ("5005", "how can I pay?", "and on delivery?"),
        ("5006", "jak mogę zapłacić?", "a przy odbiorze?"),
    ):
        first = await say(shipped_shop, user, question)
        assert [e["answer_id"] for e in events(first, "faq_answered")] == ["payment_methods"]
        out = await say(shipped_shop, user, follow_up)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == ["cash_on_delivery"], texts(out)


async def test_a_slang_second_question_is_answered_too(shipped_shop: Services) -> None:
    """'чё по доставке в питер скока дней и промик есть?' got the delivery times alone: the
    promo codes are answered too ("промик" is a promo code), as for 'a zwroty jak?' and 'and
    promo codes?'."""
    for user, message, wanted in (
        ("5007", "чё по доставке в питер скока дней и промик есть?", "promo_codes"),
        ("5008", "ile trwa dostawa do Krakowa a zwroty jak?", "returns_procedure"),
        ("5009", "how long is shipping to Poland and promo codes?", "promo_codes"),
    ):
        out = await say(shipped_shop, user, message)
        answered = [e["answer_id"] for e in events(out, "faq_answered")]
        assert answered == ["delivery_times", wanted], texts(out)


@pytest.mark.parametrize(
    ("user", "message", "second"),
    [
        (
            "5010",
            "Здравствуйте, как оплатить картой? И есть ли самовывоз?",
            "pickup_points",
        ),
        (
            "5011",
            "Здравствуйте, у меня два вопроса: как оплатить картой и есть ли самовывоз?",
            "pickup_points",
        ),
        (
            "5012",
            "Hi! Two quick questions: can I pay by card? And do you ship to Poland?",
            "delivery_regions",
        ),
        ("5013", "Dzień dobry, czy mogę zapłacić kartą? I ile kosztuje dostawa?", "delivery_cost"),
    ],
)
async def test_two_questions_after_a_hello_are_both_answered(
    shipped_shop: Services, user: str, message: str, second: str
) -> None:
    """'Здравствуйте, как оплатить картой? И есть ли самовывоз?' got the payment methods
    alone (the first question, read with its hello, was a greeting; the second was dropped
    unsaid), and 'Здравствуйте, у меня два вопроса: ...' the topic buttons: both answered,
    in the order asked."""
    out = await say(shipped_shop, user, message)
    answered = [e["answer_id"] for e in events(out, "faq_answered")]
    assert answered == ["payment_methods", second], texts(out)


@pytest.mark.parametrize(
    "text",
    [
        "The parcel never arrived and the courier yelled at me on the phone",
        "The order has not arrived and the courier insulted me",
    ],
)
def test_a_courier_who_yelled_about_a_parcel_not_come_stays_a_staff_case(text: str) -> None:
    """'yell', 'shout', 'swore', 'insult' in the staff words held a backspace where '\\b' was
    meant, so they never matched: a parcel not come with a courier who yelled went to the
    delivery team as late, the yelling unheard."""
    from bot.dialogs.engine import _not_come_is_late
    from bot.nlu.schema import Prediction

    said = Prediction(
        lang="en",
        intent="complaint",
        intent_confidence=0.9,
        complaint_type="staff_behavior",
        emotion="upset",
        threat="none",
        order_ref=None,
        amount=None,
        currency=None,
    )
    assert _not_come_is_late(said, text).complaint_type == "staff_behavior"


@pytest.mark.parametrize(
    ("user", "offered", "told", "thanked"),
    [
        ("3900181", "Я хочу оставить отзыв о вашем магазине", "добавьте оплату частями", "Спасибо"),
        (
            "3900182",
            "Hi, I'd like to leave some feedback",
            "more sizes for kids would be great",
            "Thank you",
        ),
        ("3900183", "Chcę zostawić opinię", "kurier był bardzo miły, dziękuję", "Dziękuję"),
    ],
)
async def test_feedback_offered_is_asked_for_here_and_kept_for_the_reports(
    services: Services, user: str, offered: str, told: str, thanked: str
) -> None:
    """ "Я хочу оставить отзыв о вашем магазине" got the FAQ's decline with its topics (its
    "отзыв" read as a public-review threat), "I'd like to leave some feedback" a person: asked
    to write it here; what they write next is thanked for and counted as feedback in the
    admins' report, not as a complaint."""
    from bot.reports import build_report

    out = await say(services, user, offered)
    assert events(out, "feedback_invited") and not events(out, "escalated"), texts(out)
    assert not events(out, "faq_declined") and not events(out, "complaint_opened"), texts(out)
    async with services.sessionmaker() as session:
        before = await build_report(session)
    out = await say(services, user, told)
    assert events(out, "feedback_recorded") and texts(out).startswith(thanked), texts(out)
    async with services.sessionmaker() as session:
        after = await build_report(session)
    assert after["feedback"] == before["feedback"] + 1
    assert after["complaints"] == before["complaints"]


async def test_a_complaint_after_feedback_offered_opens_its_case(services: Services) -> None:
    """After "Хочу оставить отзыв", a broken parcel told is a case (its photo asked), not
    feedback thanked for."""
    await say(services, "3900184", "Хочу оставить отзыв")
    out = await say(services, "3900184", "заказ 3900185 пришёл разбитый")
    assert events(out, "complaint_opened") and not events(out, "feedback_recorded"), texts(out)
