"""The complaint playbook, dialogue by dialogue (service-playbook.md)."""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Complaint, Conversation, Customer, Message, Ticket, utcnow
from bot.dialogs.guard import find_forbidden, sanitize
from bot.dialogs.types import Attachment, Incoming
from bot.services import Services, build_services
from escalation.service import render_card
from knowledge.formats import dump_yaml, load_file

_ids = itertools.count(1000)
DEMO_KB = Path(__file__).resolve().parents[1] / "knowledge" / "demo" / "shop.yaml"
DELIVERY_IDS = {"delivery_cost", "delivery_regions", "delivery_times"}
THANKS = re.compile(r"спасибо|thank|dzięk", re.I)
SORRY = re.compile(r"извин|жаль|sorry|przepraszam|przykro", re.I)
CYRILLIC_RE = re.compile(r"[а-яё]", re.I)


class Dialogue:
    def __init__(self, services: Services, user: str) -> None:
        self.services, self.user = services, user
        self.events: list[dict] = []
        self.replies: list[list[str]] = []
        self.buttons: list[list[str]] = []

    async def send(
        self,
        text: str | None = None,
        *,
        photo: bool = False,
        button: str | None = None,
        language_code: str | None = None,
        file: str | None = None,
    ):
        attachments = (Attachment("photo", f"ph{next(_ids)}"),) if photo else ()
        if file:
            attachments = (Attachment("document", f"doc{next(_ids)}", file),)
        incoming = Incoming(
            external_user_id=self.user,
            text=text,
            attachments=attachments,
            chat_id=int(self.user),
            message_id=next(_ids),
            callback_data=button,
            language_code=language_code,
        )
        async with self.services.sessionmaker() as session:
            out = await self.services.engine.handle(session, incoming)
            await session.commit()
        turn = len(self.replies)
        self.replies.append([r.text for r in out.replies])
        self.buttons.append([b.data for r in out.replies for row in r.buttons for b in row])
        self.events += [{"turn": turn, **e} for e in out.events]
        return out

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def now(self, kind: str) -> list[dict]:
        """The events of that kind in the last turn only."""
        return [e for e in self.of(kind) if e["turn"] == len(self.replies) - 1]

    def all_text(self) -> str:
        return "\n".join(t for turn in self.replies for t in turn)

    async def state(self) -> dict:
        """The conversation's stored state (what the bot remembers)."""
        async with self.services.sessionmaker() as session:
            conv = await session.scalar(
                select(Conversation)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(Customer.external_id == self.user)
                .order_by(Conversation.id.desc())
                .limit(1)
            )
            return dict(conv.state or {}) if conv is not None else {}


def thanks_before_apology(text: str) -> bool:
    t, s = THANKS.search(text), SORRY.search(text)
    return bool(t and s and t.start() < s.start())


def assert_never_reasked(d: Dialogue) -> None:
    slots = [e["slot"] for e in d.of("asked_for")]
    assert len(slots) == len(set(slots)), f"asked twice: {slots}"


@pytest.mark.parametrize(
    ("text", "ctype"),
    [
        ("Привезли сломанный чайник, крышка треснула", "damaged_defective"),
        ("You sent me the wrong size, I ordered M and got XL", "wrong_item"),
        ("Курьер так и не приехал, жду заказ уже неделю", "delivery_delay"),
        # 'Wazon przyszedł stłuczony' got 'Chyba nie do końca rozumiem', 'Stół przyszedł
        # porysowany' was a wrong item
        ("Wazon przyszedł stłuczony", "damaged_defective"),
        ("Stół przyszedł porysowany", "damaged_defective"),
        ("Lampa przyszła zniszczona", "damaged_defective"),
    ],
)
async def test_first_reply_thanks_then_apologises_then_asks_once(
    services: Services, text: str, ctype: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first), first
    assert d.of("classified")[0]["complaint_type"] == ctype
    asked = [e["slot"] for e in d.of("asked_for")]
    assert "order_ref" in asked and len(d.replies[0]) == 1, "everything missing in one message"


async def test_details_in_any_order_are_never_asked_again(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Здравствуйте, у меня заказ 7781234")
    await d.send("Пришёл утюг, он не включается вообще, очень расстроена")
    asked = [e["slot"] for e in d.of("asked_for")]
    assert "order_ref" not in asked, "the order number was given in an earlier message"
    assert "photo" in asked
    await d.send(photo=True)
    assert_never_reasked(d)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), (
        "the fix options come once all is in"
    )
    await d.send(button="cmp:opt:replacement")
    assert d.of("promised") and d.of("satisfaction_check")
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved")
    assert not find_forbidden(d.all_text())


async def test_goodwill_threshold_approves_small_claims_at_once(services: Services) -> None:
    small = Dialogue(services, str(next(_ids)))
    await small.send(
        "С меня дважды списали 500 руб за заказ 5512345, верните пожалуйста, это ошибка в оплате"
    )
    await small.send("Списали два раза одну и ту же сумму при оплате картой")
    assert small.of("goodwill_approved"), small.replies
    big = Dialogue(services, str(next(_ids)))
    await big.send(
        "С меня дважды списали 15000 руб за заказ 5512346, верните пожалуйста, это ошибка в оплате"
    )
    await big.send("Списали два раза одну и ту же сумму при оплате картой")
    assert not big.of("goodwill_approved") and big.of("promised")


@pytest.mark.parametrize(
    ("text", "approved"),
    [
        ("you charged me $50 twice for order 6650213, pls refund", False),  # ≈ 4 500 ₽
        ("you charged me $5 twice for order 6650214, pls refund", True),  # ≈ 450 ₽
        ("Pobrali mi 200 zł dwa razy za zamówienie 3382011", False),  # ≈ 4 600 ₽
        ("Pobrali mi 30 zł za dużo za zamówienie 3382012", True),  # ≈ 690 ₽
    ],
)
async def test_the_goodwill_threshold_is_compared_in_the_shop_currency(
    services: Services, text: str, approved: bool
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    await d.send("the same amount was taken twice when I paid by card")
    assert bool(d.of("goodwill_approved")) is approved, d.replies


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("Pobrali mi 29,90 zł dwa razy za zamówienie 3382013", "29,90 zł"),
        ("С меня дважды списали 450,50 руб за заказ 5512399, верните", "450,50 ₽"),
        ("you charged me $5.50 twice for order 6650299, pls refund", "$5.50"),
        ("The promo code wasn't applied to order 6650298, I paid €8 too much", "€8 "),
        ("Промокод не сработал, переплатил $5, заказ 5512398", "5 $"),
        ("you charged me £4.50 twice for order 6650297, pls refund", "£4.50"),
    ],
)
async def test_the_refunded_amount_is_written_as_money_in_the_customers_language(
    services: Services, text: str, money: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("goodwill_approved"), d.replies
    assert money in d.all_text()


@pytest.mark.parametrize(
    ("turns", "found"),
    [
        (
            ["Оплатил заказ 1234567 картой, деньги списались, а заказ до сих пор 'не оплачен'"],
            "платёж",
        ),
        (
            ["I paid for order 1234567, the money was taken but the order still says unpaid"],
            "payment",
        ),
        (
            [
                "Zapłaciłem za zamówienie 1234567 kartą, pieniądze zeszły z konta, a zamówienie "
                "nadal jest 'nieopłacone'"
            ],
            "płatności",
        ),
        # told over two messages, a sum over the goodwill threshold and the money-claim limit
        (["Оплатила 25 000 руб, а заказ висит как неоплаченный", "заказ 7712345"], "платёж"),
        # where it shows as unpaid is no problem of the site's to pass on
        (
            ["Деньги списали, а в личном кабинете заказ висит как неоплаченный", "1234569"],
            "платёж",
        ),
    ],
)
async def test_a_payment_the_order_does_not_show_is_found_not_refunded(
    services: Services, turns: list[str], found: str
) -> None:
    """'Оплатил заказ ..., деньги списались, а заказ до сих пор не оплачен' got a refund request
    filed with finance: the customer wants the order they paid for. Finance is asked to find the
    payment and confirm the order, within a day, and nothing more is asked for."""
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text)
    promise = " ".join(d.replies[-1])
    assert found in promise and d.of("promised"), promise
    assert not re.search(r"возврат|refund|zwrot", promise, re.I), promise
    assert not d.of("goodwill_approved") and not d.of("escalated"), d.replies
    assert not d.of("complaint_also_recorded"), d.replies
    assert d.of("promised")[-1]["within"] in (
        "в течение 24 часов",
        "within 24 hours",
        "w ciągu 24 godzin",
    )
    assert [e["slot"] for e in d.of("asked_for")] in ([], ["order_ref"])
    async with services.sessionmaker() as session:
        record = await session.scalar(select(Complaint))
    assert record.complaint_type == "billing" and record.outcome == "payment_check"


async def test_a_payment_the_order_does_not_show_is_refunded_when_the_money_is_asked_back(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Оплатил заказ 1234568, а он всё ещё не оплачен. Верните деньги, закажу в другом месте"
    )
    assert "возврат" in " ".join(d.replies[-1]), d.replies


@pytest.mark.parametrize(
    ("turns", "found"),
    [
        (["Мне не начислили баллы за заказ", "4471222"], "баллы"),
        (["I didn't get my loyalty points for order 5512444"], "points"),
        (["Nie dostałem punktów za zamówienie 6612444"], "punktów"),
        # "500" is points, not a sum to approve at once under the goodwill threshold
        (["Мне не начислили 500 баллов за заказ 4471223"], "баллы"),
    ],
)
async def test_loyalty_points_not_credited_are_checked_not_refunded(
    services: Services, turns: list[str], found: str
) -> None:
    """'I didn't get my loyalty points for order 5512444' got 'I've filed a refund request for
    order 5512444 with the finance team ... within 10 working days': no money is owed, points
    are. The loyalty team is asked to check and credit them, within 48 hours."""
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text)
    promise = " ".join(d.replies[-1])
    assert found in promise and d.of("promised"), promise
    assert not re.search(r"возврат|refund|zwrot|финанс|finance|finansow", promise, re.I), promise
    assert not d.of("goodwill_approved") and not d.of("escalated"), d.replies
    assert d.of("promised")[-1]["within"] in (
        "в течение 48 часов",
        "within 48 hours",
        "w ciągu 48 godzin",
    )
    async with services.sessionmaker() as session:
        record = await session.scalar(select(Complaint))
    assert record.complaint_type == "billing" and record.outcome == "points_check"


async def test_points_not_credited_with_the_money_asked_back_is_a_refund(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Не начислили баллы за заказ 4471224, верните деньги за него")
    assert "возврат" in " ".join(d.replies[-1]), d.replies


def test_currency_rates_convert_and_an_unknown_currency_is_never_approved(settings) -> None:
    assert settings.in_shop_currency(50, "USD") == 4500
    assert settings.in_shop_currency(50, "usd") == 4500
    assert settings.in_shop_currency(200, None) == 200  # the shop's own currency
    assert settings.in_shop_currency(10, "CHF") is None


@pytest.mark.parametrize(
    ("shop", "rates"), [("RUB", "USD=0,RUB=1"), ("RUB", "USD=abc,RUB=1"), ("PLN", "USD=90,RUB=1")]
)
def test_bad_currency_rates_stop_the_start_with_a_clear_error(shop: str, rates: str) -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError):
        Settings(shop_currency=shop, currency_rates=rates)


async def test_unfixable_situation_offers_compensation_to_pick(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Заказ 5566778 с подарком ко дню рождения привезли только сегодня, праздник прошёл, курьер опоздал на три дня"
    )
    offered = {e["kind"] for e in d.of("compensation_offered")}
    assert {"coupon", "free_delivery", "gift"} <= offered
    await d.send(button="cmp:comp:coupon")
    assert d.of("compensation_chosen") and "SORRY" in d.all_text()


async def test_a_parcel_that_is_merely_late_goes_to_logistics_not_compensation(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня")
    assert not d.of("compensation_offered")
    assert d.of("promised") and "5512300" in d.all_text()


async def test_text_replies_work_where_buttons_are_offered(services: Services) -> None:
    """Customers type instead of pressing buttons: compensation, choice and satisfaction."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Подарок на день рождения пришёл после праздника, заказ 7720931")
    assert d.of("compensation_offered")
    await d.send("давайте промокод")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["coupon"]
    await d.send("да, спасибо")
    assert d.of("resolved")

    e = Dialogue(services, str(next(_ids)))
    await e.send("gift for my wedding came late, order 1234567")
    await e.send("no thanks, nothing")
    assert e.of("compensation_declined") and not e.of("compensation_chosen")
    assert e.of("satisfaction_check")

    f = Dialogue(services, str(next(_ids)))
    await f.send("The blender I got is broken, the jar is cracked. Order 7781420", photo=True)
    await f.send("I'd like a new one please")
    assert [x["option"] for x in f.of("fix_chosen")] == ["replacement"]


async def test_offers_spell_out_the_options_and_a_person_ends_a_stalemate(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("В коробке не хватает одного товара, заказ 5512300. Не было зарядки.")
    assert "Вернуть деньги" in d.replies[-1][-1]  # readable without buttons
    await d.send("ну не знаю")
    assert "Вернуть деньги" in d.replies[-1][-1] and not d.of("escalated")
    await d.send("хм")
    await d.send("сложно сказать")
    assert [e["reason"] for e in d.of("escalated")] == ["fix_unclear"]


async def test_a_promised_photo_is_waited_for_and_a_later_legal_threat_goes_to_a_senior(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Добрый день, пришёл не тот размер куртки, заказ 4478120")
    await d.send("фото сейчас пришлю")
    assert not d.of("fix_chosen") and "Заменить товар" not in " ".join(d.replies[-1])
    await d.send(photo=True)
    assert "Заменить товар" in " ".join(d.replies[-1])
    await d.send("если не решите, пойду в Роспотребнадзор")
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [("legal_threat", "high")]
    assert "старшему менеджеру" in " ".join(d.replies[-1])


async def test_late_for_an_event_still_to_come_is_fixed_not_compensated(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Заказал подарок на день рождения, заказ 5512311 опаздывает уже на 3 дня, а праздник в субботу"
    )
    offered = {e["kind"] for e in d.of("compensation_offered")}
    assert not offered & {"free_delivery", "gift"}  # no "it can't be undone" compensation
    assert d.of("promised")


async def test_legal_threat_goes_straight_to_a_senior_with_high_priority(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Мне продали бракованный телефон, заказ 4455667. Я уже подаю в суд и пишу в Роспотребнадзор!"
    )
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first)
    esc = d.of("escalated")
    assert esc and esc[0]["priority"] == "high" and esc[0]["reason"] == "legal_threat"
    assert "4455667" in esc[0]["card"] and "activist" in esc[0]["card"]
    assert not d.of("asked_for"), "an activist is not questioned by the bot"


@pytest.mark.parametrize("threat", ["I'll sue you", "Подам в суд", "Я обращусь в Роспотребнадзор"])
async def test_a_legal_threat_alone_is_thanked_and_apologised_for_before_the_senior(
    services: Services, threat: str
) -> None:
    """'I'll sue you' with no case open got 'I'm passing your case to a senior manager' and a
    coupon, with neither the playbook's thanks nor its apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(threat)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first), first
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [("legal_threat", "high")]


async def test_angry_customer_gets_a_gesture_and_a_person_on_request(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "ВЫ ИЗДЕВАЕТЕСЬ?! Третий раз переносите доставку, больше никогда у вас ничего не закажу!"
    )
    assert d.of("compensation_offered"), "a goodwill gesture"
    assert "topic:human" in d.buttons[0], "a person is one tap away"
    await d.send(button="topic:human")
    esc = d.of("escalated")
    assert esc and esc[0]["reason"] == "customer_request"


async def test_not_satisfied_hands_over_with_everything(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("You sent the wrong colour, I ordered black and got a white jacket, order 8812345")
    await d.send(photo=True)
    await d.send(button="cmp:opt:refund")
    await d.send(button="cmp:sat:no")
    esc = d.of("escalated")
    assert esc and esc[0]["reason"] == "fix_not_helped"
    card = esc[0]["card"]
    assert "8812345" in card and "wrong_item" in card and "photos/files: 1" in card
    assert "refund" in card.lower() and "Transcript" in card


def test_guard_catches_forbidden_phrases_in_three_languages() -> None:
    for text in (
        "Sorry, that is our company policy.",
        "I can't help you with that",
        "It's not my job",
        "Такова политика нашей компании",
        "Ничем не могу помочь",
        "Это не моя работа",
        "Taka jest polityka firmy",
        "Nie mogę pomóc",
        "To nie moja praca",
    ):
        assert find_forbidden(text), text
        safe, _ = sanitize(text, "en")
        assert not find_forbidden(safe)
    assert not find_forbidden("I can help you with the refund right away")


async def test_no_reply_ever_contains_a_forbidden_phrase(services: Services) -> None:
    from bot.dialogs.texts import catalogue, forms

    for lang in ("ru", "en", "pl"):
        for key, variants in catalogue(lang).items():
            for v in (form for variant in variants for form in forms(variant)):
                assert not find_forbidden(v), (lang, key, v)


async def test_order_status_asks_the_number_once_and_passes_it_on(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Where is my order? When will it arrive?")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("it's 7734521")
    esc = d.of("escalated")
    assert esc and esc[0]["reason"] == "order_status" and "7734521" in esc[0]["card"]
    bare = Dialogue(services, str(next(_ids)))  # a lone number reads as a complaint to the model
    await bare.send("Где мой заказ? Когда привезут?")
    await bare.send("7734521")
    esc = bare.of("escalated")
    assert esc and esc[0]["reason"] == "order_status" and not bare.of("complaint_opened")
    with_number = Dialogue(services, str(next(_ids)))
    await with_number.send("Где мой заказ 5512309? Когда доставят?")
    assert not with_number.of("asked_for") and with_number.of("escalated")


async def test_a_polish_order_number_with_a_slash_is_passed_on_whole(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Gdzie jest moja paczka? Kiedy dotrze?")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("123/2024")
    esc = d.of("escalated")
    assert esc and esc[0]["reason"] == "order_status" and "123/2024" in esc[0]["card"]
    assert "123/2024" in " ".join(d.replies[1])


@pytest.mark.parametrize(
    ("question", "no_number"),
    [
        ("Where is my order? When will it arrive?", "I don't have it"),
        ("Где мой заказ? Когда привезут?", "не знаю номер"),
        ("Gdzie jest moje zamówienie? Kiedy dotrze?", "nie mam numeru"),
    ],
)
async def test_order_status_without_the_number_is_passed_on_without_a_gap(
    services: Services, question: str, no_number: str
) -> None:
    """No 'I'm passing order  to a colleague' with the number missing from the sentence."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(question)
    await d.send(no_number)
    assert d.of("escalated") and d.of("escalated")[0]["reason"] == "order_status"
    assert not [t for t in d.replies[-1] if "  " in t], d.replies[-1]


async def test_order_number_mid_complaint_is_a_detail_not_a_new_question(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер нагрубил мне и бросил коробку у двери, это отвратительно")
    await d.send("заказ 9902311")
    assert not any("Что с ним случилось" in t for t in d.replies[1]), d.replies[1]
    assert d.of("promised") or d.of("satisfaction_check") or d.of("escalated"), d.replies


async def test_what_the_bot_said_when_handing_over_is_on_the_card(services: Services) -> None:
    """The turn that handed the chat over was lost from the bot's memory (its state was
    written before the card was made, and what came after was dropped): the card the
    operators got lacked the coupon the bot had just given ('Bot promised:'), and the
    other problems of the message it had passed on."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Заказ 5531207 пришёл с разбитым чайником, если не вернёте 4500 рублей подам в суд"
    )
    assert d.of("escalated") and d.of("compensation_offered"), d.events
    trail = [t["type"] for t in (await d.state()).get("trail", [])]
    assert "compensation_offered" in trail and "escalated" in trail, trail
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, d.of("escalated")[0]["ticket_id"])
        card = await render_card(session, services.settings, ticket)
    # in words, with the code the customer got (it read 'compensation_offered coupon')
    assert "Bot promised: a 20% coupon (SORRY20)" in card.text, card.text


async def test_the_card_says_which_compensations_were_offered_and_which_was_taken(
    services: Services,
) -> None:
    """A missed event's choice of compensations was on the card as 'Bot promised:
    compensation_offered coupon; compensation_offered free_delivery; compensation_offered
    gift', as if all three were given, and the one the customer chose was not there."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 5531207 не привезли к дню рождения, праздник уже прошёл, всё испорчено")
    assert d.of("compensation_offered"), d.replies
    await d.send(button="cmp:comp:free_delivery")
    await d.send("позовите оператора")
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, d.of("escalated")[0]["ticket_id"])
        card = await render_card(session, services.settings, ticket)
    line = next(x for x in card.text.splitlines() if x.startswith("Bot promised:"))
    assert "offered a choice of a 15% coupon (SORRY15), free delivery" in line, line
    assert "the customer chose free delivery" in line and "compensation_" not in line, line


async def test_a_returning_customers_card_says_what_their_earlier_tickets_were(
    services: Services,
) -> None:
    """The card of a customer's second hand-off said only 'previous tickets: #1 (resolved)':
    the operator could not tell what it had been about without hunting for its topic."""
    from escalation.service import resolve_ticket

    d = Dialogue(services, str(next(_ids)))
    await d.send("Kettle from order 5512300 arrived broken, I want to talk to a real person")
    first = d.of("escalated")[0]["ticket_id"]
    async with services.sessionmaker() as session:
        await resolve_ticket(session, await session.get(Ticket, first), actor_id=501, now=utcnow())
        await session.commit()
    await d.send("Hello again, I need a person please")
    card = d.of("escalated")[-1]["card"]
    assert d.of("escalated")[-1]["ticket_id"] != first
    line = next(x for x in card.splitlines() if x.startswith("Customer:"))
    assert f"#{first} (resolved" in line and "customer asked for a person" in line, line


async def test_legal_threat_while_with_a_person_is_acknowledged(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("I want to talk to a real person")
    assert d.of("escalated")
    await d.send("If this is not solved today I will take you to court, my lawyer is ready")
    assert d.of("priority_raised") and d.replies[-1], (
        "the customer hears a senior person takes over"
    )


@pytest.mark.parametrize(
    ("ask", "hurt", "words"),
    [
        (
            "I want to talk to a real person",
            "the charger from order 5512300 sparked and burned my son's hand",
            "safety",
        ),
        (
            "Позовите оператора, пожалуйста",
            "пока жду: чайник заискрил, и мужа ударило током",
            "безопасность",
        ),
        ("Chcę rozmawiać z konsultantem", "ładowarka iskrzy i poparzyła mi rękę", "bezpieczeń"),
    ],
)
async def test_someone_hurt_while_waiting_for_a_person_goes_to_a_senior(
    services: Services, ask: str, hurt: str, words: str
) -> None:
    """A burn, a fire or a shock told while the chat waited for a person got 'I've passed
    this on as well': the ticket stayed normal priority (no senior alerted) and nobody said
    to stop using the thing or get medical help."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.of("escalated")
    await d.send(hurt)
    raised = d.of("priority_raised")
    assert raised and raised[0]["reason"] == "safety", d.events
    assert words in d.replies[-1][0].lower(), d.replies[-1]
    assert thanks_before_apology(d.replies[-1][0]), d.replies[-1]
    async with services.sessionmaker() as session:  # what the seniors are alerted with
        card = await render_card(
            session, services.settings, await session.get(Ticket, raised[0]["ticket_id"])
        )
    assert "safety incident" in card.summary and "someone hurt" in card.text, card.text


async def test_legal_threat_after_the_fix_goes_to_a_senior(services: Services) -> None:
    """Waiting for "are you satisfied?" does not swallow a lawyer: the case goes up."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("мне вернули не всю сумму, не хватает 2300 рублей, заказ 3390561")
    assert d.of("satisfaction_check") or d.of("promised")
    await d.send("если до пятницы деньги не придут, передаю дело юристу")
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [("legal_threat", "high")]
    assert "activist" in d.of("escalated")[0]["card"]
    assert not d.of("details_added")


async def test_a_threat_to_leave_mid_complaint_brings_the_gesture_once(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Hi, I think there was a mix-up: I ordered a black jacket and received a white one."
    )
    assert not d.of("compensation_offered")
    await d.send("order 8812399 and honestly I will never order from you again")
    offered = d.of("compensation_offered")
    assert [e["kind"] for e in offered] == ["coupon"]
    assert "topic:human" in d.buttons[-1]
    assert [e["customer_kind"] for e in d.of("customer_kind_changed")] == ["angry"]
    await d.send("and I'm never coming back, tell everyone")
    assert len(d.of("compensation_offered")) == 1, "the gesture is given once"


async def test_small_talk_while_details_are_missing_waits_for_them(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("деньги за заказ списались два раза")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("как у вас дела вообще, много работы?")
    assert not d.of("promised"), "no refund request without the order number"
    await d.send("сумма 4200 руб., номер заказа 7781155")
    promised = d.of("promised")
    assert promised and "7781155" in promised[0]["text"]
    assert_never_reasked(d)


@pytest.fixture
def delivery_kb(tmp_path: Path) -> Path:
    """Three delivery entries of the demo knowledge base (fast to index)."""
    kb = tmp_path / "kb.yaml"
    entries = [e for e in load_file(DEMO_KB) if e.id in DELIVERY_IDS]
    kb.write_text(dump_yaml(entries), encoding="utf-8")
    return kb


async def test_a_question_while_choosing_is_answered_and_the_offer_stands(
    services: Services, delivery_kb: Path
) -> None:
    async with services.sessionmaker() as session:
        await services.knowledge.import_file(session, delivery_kb)
    d = Dialogue(services, str(next(_ids)))
    await d.send("the floor lamp from order 4420571 came without the two bulbs that were included")
    assert "cmp:opt:resend" in d.buttons[-1]
    await d.send("btw do you deliver to Poland?")
    assert d.of("faq_answered") and not d.of("escalated")
    await d.send("ok, please just send me the bulbs")
    assert [e["option"] for e in d.of("fix_chosen")] == ["resend"]


@pytest.mark.parametrize(
    ("problem", "question", "answer", "option"),
    [
        (
            "The printer from order 6678123 arrived with a broken paper tray",
            "what's faster, replacement or repair?",
            "replacement then",
            "replacement",
        ),
        (
            "Drukarka z zamówienia 6678123 przyszła z pękniętym podajnikiem",
            "co będzie szybciej, wymiana czy naprawa?",
            "to poproszę naprawę",
            "repair",
        ),
    ],
)
async def test_a_question_naming_two_options_is_not_a_choice(
    services: Services, problem: str, question: str, answer: str, option: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem, photo=True)
    assert "cmp:opt:repair" in d.buttons[-1]
    await d.send(question)
    assert not d.of("fix_chosen"), d.replies[-1]
    assert "5" in d.replies[-1][0], "how long each takes"
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), "the offer stands"
    await d.send(answer)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies


@pytest.mark.parametrize(
    ("turns", "option"),
    [
        (
            ["Order 5518950: the lamp arrived with a broken shade. I'd like a replacement please."],
            "replacement",
        ),
        (
            ["Zamówienie 5518951: lampa przyszła z pękniętym kloszem. Proszę o wymianę."],
            "replacement",
        ),
        (
            ["Чайник из заказа 5518952 пришёл с трещиной, прошу вернуть деньги"],
            "refund",
        ),
    ],
)
async def test_a_fix_asked_for_with_the_complaint_is_not_offered_again(
    services: Services, turns: list[str], option: str
) -> None:
    """The customer named the fix; the bot asked "Replace / Refund / Repair?" and took "yes
    thank you" for an unclear answer."""
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text, photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies
    assert not any(b.startswith("cmp:opt:") for turn in d.buttons for b in turn)
    assert d.of("satisfaction_check")


async def test_a_new_item_that_broke_is_still_offered_the_choice(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Zamówienie 5518953: nowy czajnik przyszedł pęknięty", photo=True)
    assert not d.of("fix_chosen") and "cmp:opt:repair" in d.buttons[-1]
    d = Dialogue(services, str(next(_ids)))
    await d.send("Przysłaliście mi niebieską bluzę zamiast czarnej, zamówienie nr 6620413")
    await d.send("proszę, tu zdjęcie", photo=True)
    assert not d.of("fix_chosen") and "cmp:opt:replacement" in d.buttons[-1]


async def test_an_event_already_past_is_unfixable_in_english_and_polish(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "My niece's birthday was on Sunday and the dollhouse only turned up on Tuesday. "
        "order 7718254. kind of pointless now"
    )
    assert {"free_delivery", "gift"} <= {e["kind"] for e in d.of("compensation_offered")}
    p = Dialogue(services, str(next(_ids)))
    await p.send(
        "Urodziny były w sobotę, a paczka z prezentem przyszła dopiero w poniedziałek. "
        "Nr zamówienia 4428816"
    )
    assert {"free_delivery", "gift"} <= {e["kind"] for e in p.of("compensation_offered")}


async def test_a_missed_event_is_compensated_without_asking_for_a_photo(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "The cake stand was a gift for my mom's birthday and it arrived two days late, "
        "the party is over. order 5530987"
    )
    assert not d.of("asked_for")
    assert {"coupon", "free_delivery", "gift"} <= {e["kind"] for e in d.of("compensation_offered")}
    await d.send(button="cmp:comp:gift")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["gift"]


@pytest.mark.parametrize(
    ("turns", "wanted"),
    [
        (["Заказ 778899 опаздывает уже на неделю", "а можно просто вернуть деньги?"], "refund"),
        (["My order 554433 is a week late", "just refund me"], "refund"),
        (["Paczka 554433 spóźnia się już tydzień", "wolę zwrot pieniędzy"], "refund"),
    ],
)
async def test_another_remedy_asked_at_is_that_ok_goes_to_a_person(
    services: Services, turns: list[str], wanted: str
) -> None:
    # it got "I'm not sure I understood. Could you put it differently?"
    d = Dialogue(services, str(next(_ids)))
    await d.send(turns[0])
    assert d.of("satisfaction_check")
    await d.send(turns[1])
    assert [e["option"] for e in d.of("other_fix_asked")] == [wanted]
    assert [e["reason"] for e in d.of("escalated")] == ["needs_person"]
    assert not d.of("fallback") and not d.of("faq_declined")
    assert "a refund instead of what the bot arranged" in d.of("escalated")[0]["card"]


async def test_a_remedy_that_is_no_option_of_the_case_goes_to_a_person(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("I got the wrong size, order 554433", photo=True)
    await d.send("replacement")
    await d.send("actually can you repair it instead?")  # wrong_item: replacement or refund
    assert [e["option"] for e in d.of("other_fix_asked")] == ["repair"]
    assert [e["reason"] for e in d.of("escalated")] == ["needs_person"]


async def test_the_money_coming_back_is_no_other_remedy_of_a_refund(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("You charged me twice for order 554433, 40 zł")
    assert d.of("satisfaction_check")
    await d.send("ok, and I don't need a replacement or anything, just the refund")
    assert not d.of("other_fix_asked") and d.of("resolved")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Цена была 990 ₽, а списали 1 490 ₽, заказ 554433", "500 ₽"),
        ("cena 120 zł, a pobrano 150 zł, zamówienie 554433", "30 zł"),
        # "I've approved the refund of 49.99 ₽": the whole charge, not the 10 overpaid
        ("I was charged 49.99 but the price on the site was 39.99, order 554433", "10"),
    ],
)
async def test_an_overcharge_refunds_the_difference_not_the_price(
    services: Services, text: str, said: str
) -> None:
    # the first amount (the price, 990 ₽) was approved as the refund
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("goodwill_approved")
    promise = d.of("promised")[-1]["text"]
    assert said in promise and not re.search(r"990|120|49[.,]99|39[.,]99", promise), promise


@pytest.mark.parametrize(
    ("first", "answer"),
    [
        ("Заказ 778899 опаздывает уже на неделю", "не знаю, посмотрим"),
        ("My order 554433 is a week late", "we'll see"),
        ("Paczka 554433 spóźnia się już tydzień", "zobaczymy"),
    ],
)
async def test_well_see_at_is_that_ok_waits_instead_of_calling_a_person(
    services: Services, first: str, answer: str
) -> None:
    # "не знаю, посмотрим" was read as a no: "sorry it didn't work out" and a person
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert d.of("satisfaction_pending") and not d.of("escalated") and not d.of("resolved")
    state = await d.state()
    assert state["complaint"]["stage"] == "done" and "satisfied" not in state["complaint"]


async def test_a_change_of_mind_after_the_fix_changes_the_fix(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Hello, I received a white jacket but I ordered the black one. Order 8812377", photo=True
    )
    await d.send("I just want my money back")
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"]
    await d.send("actually no, wait. can you send the black one instead? I still need it")
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund", "replacement"]
    assert d.of("fix_changed") and not d.of("escalated")
    await d.send("yes thanks")
    assert d.of("resolved")
    async with services.sessionmaker() as session:
        from sqlalchemy import select

        from bot.db.models import Complaint

        outcomes = (await session.scalars(select(Complaint.outcome))).all()
    assert "replacement" in outcomes


@pytest.mark.parametrize(
    ("first", "pick", "change", "dropped", "kept"),
    [
        (
            "Пришёл чайник с трещиной, заказ 5531207",
            "лучше замену",
            "хотя нет, верните деньги",
            "замену отменил",
            "возврат денег",
        ),
        (
            "The kettle arrived cracked, order 5531207",
            "a replacement please",
            "actually no, refund me instead",
            "cancelled the replacement",
            "refund",
        ),
        (
            "Czajnik przyszedł pęknięty, zamówienie 5531207",
            "wolę wymianę",
            "jednak nie, wolę zwrot pieniędzy",
            "wymianę anulowałem",
            "zwrot pieniędzy",
        ),
    ],
)
async def test_a_changed_fix_says_the_first_is_cancelled_and_hands_over_the_last_only(
    services: Services, first: str, pick: str, change: str, dropped: str, kept: str
) -> None:
    # "лучше замену", then "хотя нет, верните деньги": the refund was arranged with no word
    # about the replacement, and the card said both were promised
    d = Dialogue(services, str(next(_ids)))
    await d.send(first, photo=True)
    await d.send(pick)
    assert [e["option"] for e in d.of("fix_chosen")] == ["replacement"]
    await d.send(change)
    assert [e["option"] for e in d.of("fix_chosen")] == ["replacement", "refund"]
    said = " ".join(d.replies[-1])
    assert dropped in said and kept in said.lower()
    assert said.index(dropped) < said.lower().index(kept)
    await d.send("нет" if first.startswith("П") else "no" if first.startswith("T") else "nie")
    card = d.of("escalated")[0]["card"]
    promised = next(line for line in card.splitlines() if line.startswith("Bot promised"))
    assert kept in promised.lower() and len(d.of("promised")) == 2
    assert d.of("promised")[0]["text"] not in promised


@pytest.mark.parametrize(
    ("first", "pick", "change", "dropped"),
    [
        (
            "Пришёл чайник с трещиной, заказ 5531207",
            "лучше замену",
            "хотя нет, верните деньги",
            "Хорошо, замену отменил.",
        ),
        (
            "The kettle arrived cracked, order 5531207",
            "a replacement please",
            "actually no, refund me instead",
            "cancelled the replacement",
        ),
    ],
)
async def test_a_wish_changed_before_the_photo_says_the_first_is_dropped(
    services: Services, first: str, pick: str, change: str, dropped: str
) -> None:
    # "Записал ваш выбор: вернуть деньги" right after "...заменить товар", as if the
    # replacement had never been asked for
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(pick)
    assert dropped not in d.all_text()
    await d.send(change)
    assert [e["option"] for e in d.of("fix_wished")] == ["replacement", "refund"]
    assert dropped in d.replies[-1][0]
    await d.send(photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"]
    assert (await d.state())["complaint"]["choice"] == "refund"


@pytest.mark.parametrize("wish", ["Хочу деньги вернуть", "Хочу, чтобы вернули деньги"])
async def test_money_wished_back_in_any_word_order_before_the_photo_is_the_refund(
    services: Services, wish: str
) -> None:
    """'Хочу деньги вернуть' while the photo of a wrong item was awaited got the FAQ's returns
    procedure ('tap Return in My orders'), as if no case were open: it is the refund chosen."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 4471555, вместо чёрных кроссовок пришли белые")
    assert d.of("complaint_opened")
    await d.send(wish)
    assert [e["option"] for e in d.of("fix_wished")] == ["refund"], d.replies[-1]
    assert not d.of("faq_answered"), d.replies[-1]


@pytest.mark.parametrize(
    ("question", "yes"),
    [
        ("Вы продаёте запчасти для тракторов?", "да"),
        ("Do you sell tractor spare parts?", "yes"),
        ("Czy sprzedajecie części do traktorów?", "tak"),
    ],
)
async def test_a_yes_to_the_colleague_offered_with_a_decline_hands_over(
    shop: Services, question: str, yes: str
) -> None:
    # "...или я позову коллегу" then "да" got "Хорошо. Что-нибудь ещё?" and no colleague
    d = Dialogue(shop, str(next(_ids)))
    await d.send(question)
    assert d.of("faq_declined") and not d.of("escalated"), d.replies[-1]
    await d.send(yes)
    esc = d.of("escalated")
    assert esc and esc[0]["reason"] == "faq_not_helpful", d.replies[-1]
    assert question in esc[0]["card"]


@pytest.mark.parametrize(
    ("question", "yes"),
    [("Как можно оплатить заказ?", "да"), ("How can I pay for my order?", "yes")],
)
async def test_a_yes_after_an_answer_still_calls_no_colleague(
    shop: Services, question: str, yes: str
) -> None:
    d = Dialogue(shop, str(next(_ids)))
    await d.send(question)
    assert d.of("faq_answered"), d.replies[-1]
    await d.send(yes)
    assert not d.of("escalated") and d.replies[-1], d.replies[-1]


@pytest.mark.parametrize(
    ("first", "again", "said"),
    [
        (
            "Курьер не привёз заказ 5531207, хотя статус доставлен",
            "привезите ещё раз",
            "привезут ещё раз",
        ),
        ("The courier did not deliver order 5531207", "deliver it again", "bring it again"),
        (
            "Kurier nie dostarczył zamówienia 5531207",
            "proszę dostarczyć ponownie",
            "przywiozą je ponownie",
        ),
    ],
)
async def test_deliver_it_again_at_is_that_ok_is_arranged_and_confirmed(
    services: Services, first: str, again: str, said: str
) -> None:
    # "привезите ещё раз" after the parcel went to the delivery team went to a person ("deliver
    # it again" got the FAQ's topics, "dostarczyć ponownie" the same promise again): a new
    # delivery attempt is that team's fix, said with its date and asked about
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check") and d.of("promised")
    await d.send(again)
    assert not d.of("escalated") and not d.of("faq_declined"), d.replies[-1]
    assert said in d.replies[-1][0] and "5531207" in d.replies[-1][0], d.replies[-1]
    assert len(d.of("satisfaction_check")) == 2
    state = await d.state()
    assert state["complaint"]["stage"] == "satisfaction"
    assert again in state["known"]["description"]


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_a_command_at_is_that_ok_says_where_it_stands(
    services: Services, command: str
) -> None:
    """ "/start" at "is that OK?" got the first greeting ("How can I help?") with the
    question still open: the next message was read as its answer."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 5512300 опаздывает на неделю")
    await d.send(command)
    assert len(d.of("satisfaction_check")) == 2, d.replies[-1]
    assert "5512300" in " ".join(d.replies[-1]), d.replies[-1]
    assert "cmp:sat:yes" in d.buttons[-1]


async def test_nudges_repeat_the_question_instead_of_closing_the_case(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня")
    assert d.of("satisfaction_check")
    await d.send("???")
    await d.send("ау")
    assert not d.of("resolved") and not d.of("details_added") and not d.of("escalated")
    assert len(d.of("satisfaction_check")) == 3
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved")


async def test_a_hesitant_complaint_is_clarified_before_a_case_opens(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Да ничего, просто проверяю, работает ли бот)")
    if d.of("classified")[0]["intent"] == "complaint":  # the classifier hesitates here
        assert d.of("clarify") and not d.of("compensation_offered")
        assert thanks_before_apology(" ".join(d.replies[0]))
    assert not d.of("escalated") and not d.of("asked_for")


async def test_a_what_if_question_is_not_a_complaint(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("А если вдруг товар придёт бракованный, что тогда делать?")
    assert d.of("classified")[0]["intent"] == "faq"
    assert not d.of("asked_for") and not SORRY.search(" ".join(d.replies[0]))


async def test_while_waiting_for_a_person_new_messages_are_acknowledged_once(
    services: Services, office_hours: None
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("позовите оператора")
    assert d.of("escalated")
    await d.send("заказ 4471209")
    await d.send("чайник не включается")
    assert len(d.replies[1]) == 1 and "Коллега" in d.replies[1][0]
    assert thanks_before_apology(d.replies[1][0])
    assert d.replies[2] == []


async def test_a_question_about_our_question_is_answered(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер нахамил мне и бросил коробку у двери")
    assert "order_ref" in [e["slot"] for e in d.of("asked_for")]
    await d.send("а где мне его посмотреть, номер этот?")
    assert "Мои заказы" in d.replies[-1][0] and not d.of("promised")
    await d.send("не могу найти, давайте без него")
    assert d.of("promised") or d.of("satisfaction_check") or d.of("escalated")
    e = Dialogue(services, str(next(_ids)))
    await e.send("The courier was rude and threw my parcel over the fence")
    await e.send("why do you need the order number? can't you see my account?")
    assert "without it" in e.replies[-1][0]
    assert_never_reasked(e)


@pytest.mark.parametrize(
    ("complaint", "why"),
    [
        ("The sofa cover I got is the wrong colour, order 7812300", "why do you need a photo?"),
        ("Pokrowiec na sofę ma zły kolor, zamówienie 7812301", "po co wam zdjęcie?"),
    ],
)
async def test_why_a_photo_is_answered_about_the_photo(
    services: Services, complaint: str, why: str
) -> None:
    """It answered "It lets me find your order..." (the order number's reason)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"]
    await d.send(why)
    answer = " ".join(d.replies[-1]).lower()
    assert "find your order" not in answer and "znajdę zamówienie" not in answer, answer
    assert re.search(r"photo|zdjęci", answer), answer


async def test_a_safety_incident_goes_to_a_senior_at_once(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Обогреватель из заказа 5521907 вспыхнул, у ребёнка ожог на руке")
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first) and "безопасность" in first
    esc = d.of("escalated")
    assert [(e["reason"], e["priority"]) for e in esc] == [("safety", "high")]
    assert "5521907" in esc[0]["card"] and not d.of("asked_for")


@pytest.mark.parametrize(
    ("text", "ctype", "on_card"),
    [
        # read as a bare request for a person: no thanks, no apology, a card without the kettle
        (
            "Czajnik z zamówienia 5531207 przyszedł rozbity, chcę rozmawiać z człowiekiem",
            "damaged_defective",
            "broken or defective item",
        ),
        # "daj mi konsultanta" was not heard as a request for a person once the parcel was read
        ("Paczka nie doszła, daj mi konsultanta", "delivery_delay", "late or lost delivery"),
    ],
)
async def test_a_problem_told_with_a_request_for_a_person_is_on_the_card(
    services: Services, text: str, ctype: str, on_card: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert thanks_before_apology(" ".join(d.replies[0])), d.replies
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype]
    [esc] = d.of("escalated")
    assert esc["reason"] == "customer_request"
    assert on_card in esc["card"]
    assert not d.of("asked_for"), "a person was asked for: the bot asks nothing more"


async def test_a_complaint_that_asks_for_a_person_gets_one(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "this bot is useless, I've been going round in circles for ten minutes. "
        "I want to talk to an actual human being"
    )
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"]
    assert not d.of("promised")


async def test_my_late_husband_is_not_a_late_delivery(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Good afternoon. Order 7720193 arrived without the crystal decanter. It was to be a gift "
        "for my late husband's brother. I would like the decanter to be sent, please."
    )
    assert not {"free_delivery", "gift"} & {e["kind"] for e in d.of("compensation_offered")}
    assert "cmp:opt:resend" in d.buttons[0], "a missing item is sent, whatever the type guess"


async def test_no_discount_thanks_is_a_refusal_not_a_choice(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("gift for my wedding came late, order 1234567")
    await d.send("Thank you, but I do not need a discount.")
    assert d.of("compensation_declined") and not d.of("compensation_chosen")


async def test_a_price_in_a_pasted_order_is_not_a_claim_over_the_limit(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Заказ 7731190 до сих пор не доставлен, срок был в понедельник. "
        "Из письма: Кофемашина DeLonghi, 1 шт., сумма 32 990 руб."
    )
    assert "amount_over_limit" not in [e["reason"] for e in d.of("escalated")]


async def test_a_repeat_complaint_is_acknowledged(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Опять задержали доставку, это уже второй раз! Заказ 5512399")
    assert "повторилось" in " ".join(d.replies[0])


@pytest.mark.parametrize(
    ("text", "sorry", "urgent"),
    [
        (
            "Мне обещали вернуть деньги за заказ 445566 ещё две недели назад, до сих пор ничего",
            "не сдержали слово",
            "срочн",
        ),
        (
            "You promised a refund for order 778812 three weeks ago. Still nothing on my card.",
            "didn't keep our word",
            "urgent",
        ),
        (
            "Obiecaliście zwrot za zamówienie 556612 dwa tygodnie temu i nadal nic",
            "nie dotrzymaliśmy słowa",
            "pilny",
        ),
        # the time gone said as "прошло три дня" / "it's been 5 days" / "minęły dwa tygodnie"
        (
            "Вы обещали вернуть деньги за заказ 445567 за 24 часа, прошло три дня, никто не связался",
            "не сдержали слово",
            "срочн",
        ),
        (
            "You promised a refund for order 778813 in 24 hours, it's been 5 days",
            "didn't keep our word",
            "urgent",
        ),
        (
            "Obiecaliście zwrot za zamówienie 556613, minęły już dwa tygodnie",
            "nie dotrzymaliśmy słowa",
            "pilny",
        ),
    ],
)
async def test_a_broken_promise_gets_its_own_apology_and_a_short_urgent_one(
    services: Services, text: str, sorry: str, urgent: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first) and sorry in first and urgent in first
    assert d.of("broken_promise_reported")
    # not the same 10 working days again: a day, and the follow-up is set by it
    (promised,) = d.of("promised")
    assert "24" in promised["within"] and "10" not in promised["within"]


async def test_the_operator_card_says_what_the_bot_noticed(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Мне обещали вернуть деньги за заказ 4455661 ещё две недели назад, до сих пор ничего, "
        "а оператор ещё и нахамил"
    )
    await d.send("дайте живого человека")
    card = d.of("escalated")[-1]["card"]
    assert "promise was not kept" in card


async def test_the_operator_card_gives_the_claimed_amount_with_its_currency(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Z mojej karty pobrano 1250000 zł za zamówienie 3382099, proszę o zwrot")
    await d.send("pobrano za dużo przy płatności kartą")
    card = d.of("escalated")[-1]["card"]
    assert "amount 1,250,000 zł" in card


async def test_the_operators_queue_says_why_each_ticket_waits_in_words(
    services: Services,
) -> None:
    from bot.handlers.operators import queue_text

    d = Dialogue(services, str(next(_ids)))
    await d.send("Позовите оператора, пожалуйста")
    async with services.sessionmaker() as session:
        queue = await queue_text(session)
    assert "customer asked for a person" in queue and "customer_request" not in queue, queue


async def test_a_broken_call_back_promise_gets_a_gesture_a_late_parcel_does_not(
    services: Services,
) -> None:
    callback = Dialogue(services, str(next(_ids)))
    await callback.send(
        "You said a courier would call me back on Monday about order 4903317. "
        "It's Wednesday. Nobody called."
    )
    assert callback.of("broken_promise_reported") and callback.of("compensation_offered")
    parcel = Dialogue(services, str(next(_ids)))
    await parcel.send("обещали доставить заказ 5529031 в пятницу, сегодня уже вторник и тишина")
    assert parcel.of("broken_promise_reported") and not parcel.of("compensation_offered")


@pytest.mark.parametrize(
    "text",
    [
        "Зарядка из заказа 8812503 заискрила в розетке, чуть штора не загорелась",
        "ladowarka z zamowienia 8841102 iskrzy przy podlaczeniu, boje sie jej uzywac",
    ],
)
async def test_sparks_are_a_safety_incident(services: Services, text: str) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("safety_incident") and d.of("escalated")[0]["priority"] == "high"


@pytest.mark.parametrize(
    "text",
    [
        "Sukienka na komunię córki, zamówienie 4471196, przyszła dzień po komunii.",
        "The dinner set (order 8830126) was a wedding present. Wedding was Saturday, "
        "it showed up today, Tuesday.",
        "Заказ 7203318 - подарок мужу на юбилей. Привезли вчера, а юбилей был в воскресенье. "
        "Смысла уже никакого",
    ],
)
async def test_a_gift_late_for_a_past_event_brings_the_compensation_choice(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("compensation_offered") and not d.of("complaint_also_recorded")


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте) заказ 6612087 к субботе успеете? у дочки день рождения",
        "Заказ 6612088 к субботе успеете?",  # one part: the engine raised on it, no reply
    ],
)
async def test_a_question_whether_an_order_makes_a_date_is_no_complaint(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert not d.of("complaint_opened")
    assert d.of("escalated")[0]["reason"] == "order_status"


@pytest.mark.parametrize(
    "text",
    [
        "Заказ 556677 пришёл, но там не тот цвет, а обещали что будет синий",
        "They said on the site it's waterproof; bought it a month ago and it leaks",
        "вы обещали качество, верните деньги назад, заказ 556678",
    ],
)
async def test_a_promise_that_is_not_overdue_is_an_ordinary_complaint(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert not d.of("broken_promise_reported")


async def test_a_threat_or_a_complaint_with_the_asked_order_number_is_not_just_the_number(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Where is my order? When will it arrive?")
    await d.send("5512300, подам в суд")
    assert d.of("escalated")[-1]["reason"] == "legal_threat"


async def test_the_customer_corrects_the_kind_of_problem(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("one of the four mugs from order 4410020 arrived chipped")
    await d.send("It's not missing, it's chipped. The handle is cracked.", photo=True)
    types = [e["complaint_type"] for e in d.of("complaint_retyped")]
    assert d.of("complaint_opened")[0]["complaint_type"] == "damaged_defective" or types == [
        "damaged_defective"
    ]
    e = Dialogue(services, str(next(_ids)))
    await e.send("Мне доставили заказ № 7731045, чайник. Курьер привёз его с опозданием на день")
    await e.send(
        "Только доставка тут ни при чём, привезли вовремя. Неисправен сам чайник, оплавился.",
        photo=True,
    )
    assert [x["complaint_type"] for x in e.of("complaint_retyped")] == ["damaged_defective"]
    await e.send("Мне нужно, чтобы чайник заменили на исправный")
    assert [x["option"] for x in e.of("fix_chosen")] == ["replacement"]
    assert not e.of("escalated")


@pytest.mark.parametrize(
    ("first", "then", "ctype"),
    [
        (
            "The mug arrived broken, order 5512480",
            "sorry, it's not broken, it's the wrong colour",
            "wrong_item",
        ),
        (
            "Кружка пришла разбитая, заказ 5512481",
            "извините, она не разбита, просто не того цвета",
            "wrong_item",
        ),
        (
            "Kubek przyszedł stłuczony, zamówienie 5512482",
            "przepraszam, nie jest stłuczony, tylko w złym kolorze",
            "wrong_item",
        ),
        # still a damaged thing: the case stays
        ("Кружка пришла разбитая, заказ 5512484", "не разбита, но сильно поцарапана", None),
    ],
)
async def test_the_problem_denied_and_another_told_corrects_the_case(
    services: Services, first: str, then: str, ctype: str | None
) -> None:
    """Asked for a photo of the broken mug, 'sorry, it's not broken, it's the wrong colour'
    got 'Thanks, noted.' and the case stayed a broken item's: the problem the customer denies
    and the one they tell instead correct the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(then)
    retyped = [e["complaint_type"] for e in d.of("complaint_retyped")]
    assert retyped == ([ctype] if ctype else []), d.replies[-1]
    assert_never_reasked(d)


async def test_a_when_question_after_the_promise_gets_where_it_stands(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня")
    promise = d.of("promised")[0]["text"]
    await d.send("а когда точно привезут???")
    assert promise in d.replies[-1] and not d.of("escalated")
    assert len(d.of("satisfaction_check")) == 2


async def test_transliterated_russian_stays_russian(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("zdravstvuyte, mne prishla ne ta kurtka, zakaz 5519011, zakazyvala chernuyu")
    assert d.of("classified")[0]["lang"] == "ru"
    await d.send("vot foto birki", photo=True)
    assert "Заменить товар" in " ".join(d.replies[-1])


@pytest.mark.parametrize(
    "text",
    [
        "I was double charged 30 zł for order 8812040",
        "You charged me 120 zlotych twice for order 8812041, please refund it",
    ],
)
async def test_an_amount_in_zloty_does_not_turn_english_into_polish(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = " ".join(d.replies[0])
    assert d.of("classified")[0]["lang"] == "en"
    assert reply.startswith("Thank you"), reply


async def test_a_refund_promises_the_time_the_bank_needs(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("The blender I got is broken, the jar is cracked. Order 7781420", photo=True)
    await d.send(button="cmp:opt:refund")
    assert "10 working days" in d.of("promised")[0]["text"]


async def test_when_asked_right_after_the_case_the_promise_is_repeated(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня")
    await d.send(button="cmp:sat:yes")
    await d.send("а когда точно привезут???")
    assert d.of("promise_repeated") and not d.of("escalated"), d.events[-6:]


async def test_an_activist_gets_a_larger_gesture_and_a_senior(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Мне кажется, вы продали подделку: духи из заказа 1184302 пахнут не так. "
        "Если не разберётесь, напишу в Роспотребнадзор."
    )
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [("legal_threat", "high")]
    assert [(e["kind"], e["value"]) for e in d.of("compensation_offered")] == [("coupon", 20)]
    assert "SORRY20" in d.all_text()


@pytest.mark.parametrize(
    ("complaint", "threat"),
    [
        ("Paczka 4402300 spóźnia się już tydzień", "Jak tak, to opiszę wszystko na Facebooku"),
        ("Parcel 4402301 is a week late", "Fine. Then I'll tell everyone on Facebook about you"),
    ],
)
async def test_a_threat_in_answer_to_is_that_ok_is_not_a_yes(
    services: Services, complaint: str, threat: str
) -> None:
    """It closed the case with 'Great! Thanks for your patience' and the survey."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check")
    await d.send(threat)
    assert not d.of("resolved"), d.replies[-1]
    assert d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "wish", "angry", "done"),
    [
        (
            "Заказ 3410015 пришёл сломанный",
            "замену",
            "да сколько можно ждать, это издевательство!",
            "Готово",
        ),
        (
            "Zamówienie 3410002 przyszło uszkodzone, ekran pęknięty",
            "wymiana",
            "kurwa, ile mam jeszcze czekać, to jest skandal",
            "Gotowe",
        ),
        (
            "Order 3410041 came broken",
            "replacement",
            "how long do I have to wait for this, it's ridiculous!",
            "Done",
        ),
    ],
)
async def test_anger_while_the_photo_is_awaited_is_apologised_for_before_the_fix(
    services: Services, complaint: str, wish: str, angry: str, done: str
) -> None:
    """'да сколько можно ждать, это издевательство!' while the photo was awaited booked the
    replacement without it (kept: an angry customer is not made to wait) with no word for the
    anger ('Готово: оформил замену...'), and the English one got the FAQ's late-parcel answer
    asking for the order number again: the angry customer's apology and gesture first, as for
    an angry first message, then the fix."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(wish)
    await d.send(angry)
    replies = d.replies[-1]
    assert d.of("fix_chosen") and d.of("promised"), replies
    first = next(i for i, r in enumerate(replies) if r.startswith(done))
    assert first > 0 and SORRY.search(" ".join(replies[:first])), replies
    assert d.of("customer_kind_changed")[-1]["customer_kind"] == "angry", replies
    assert [e for e in d.of("compensation_offered") if e.get("gesture")], replies
    assert not d.of("faq_answered"), replies


@pytest.mark.parametrize(
    ("complaint", "wish", "impatient", "done"),
    [
        ("Zamówienie 3410042 przyszło uszkodzone", "wymiana", "ile można czekać?!", "Gotowe"),
        ("Order 3410043 came broken", "replacement", "how much longer do I have to wait??", "Done"),
    ],
)
async def test_impatience_while_the_photo_is_awaited_is_apologised_for(
    services: Services, complaint: str, wish: str, impatient: str, done: str
) -> None:
    """Worn out by the wait, not angry: a short sorry for the wait before the fix (no
    gesture), and no FAQ answer to 'how much longer do I have to wait'."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send(wish)
    await d.send(impatient)
    replies = d.replies[-1]
    assert d.of("fix_chosen"), replies
    first = next(i for i, r in enumerate(replies) if r.startswith(done))
    assert first > 0 and SORRY.search(" ".join(replies[:first])), replies
    assert not d.of("faq_answered"), replies


async def test_ok_ill_wait_to_a_booked_replacement_is_a_yes(services: Services) -> None:
    """The replacement is booked, so the wait for the courier agreed to is a yes (after a
    case passed to a team it is not: see the test below)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 3400117 пришёл с разбитой вазой")
    await d.send("замену")
    await d.send(photo=True)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send("ок, подожду")
    assert d.of("resolved"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "answer"),
    [
        ("Paczka 3400105 zaginęła, od dwóch tygodni nie ma", "ok, czekam"),
        ("Заказ 3400111 опаздывает уже на неделю", "ок, жду"),
        ("My order 3400112 is a week late", "ok, I'll wait"),
        ("Zamówienie 3400113 spóźnia się tydzień", "dobrze, poczekam"),
        ("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня", "ладно, подожду"),
    ],
)
async def test_agreeing_to_wait_for_a_teams_answer_keeps_the_case_open(
    services: Services, complaint: str, answer: str
) -> None:
    """'ok, czekam' to 'is that OK?' after the lost parcel went to the delivery team closed the
    case ('Świetnie! ... Zapisaliśmy, co się stało') and asked for a rating: nothing is solved
    until the team answers. Thanked, told when the answer comes; the case stays open."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(answer)
    reply = " ".join(d.replies[-1])
    assert not d.of("resolved") and not d.of("escalated"), reply
    assert THANKS.search(reply) and "24" in reply, reply
    state = await d.state()
    assert "survey" not in state and not state["complaint"].get("satisfied"), reply


async def test_a_plain_yes_to_a_teams_answer_still_closes_the_case(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 3400115 опаздывает уже на неделю")
    await d.send("да")
    assert d.of("resolved"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "answer", "when"),
    [
        ("Заказ 3410001: с карты списали деньги дважды", "ок, жду", "10"),
        ("I was charged twice for order 3410013", "ok, I'll wait", "10"),
        ("Zamówienie 3410014 - pobrano pieniądze dwa razy", "dobrze, poczekam", "10"),
        ("Заказ 3410016: с карты списали деньги дважды", "хорошо, буду ждать, спасибо", "10"),
        ("Zamówienie 3410017 - pobrano pieniądze dwa razy", "ok, czekam na odpowiedź", "10"),
        ("Мне не начислили баллы за заказ 3410018", "ладно, подожду", "48"),
        ("Оплатил заказ 3410019, а он до сих пор не оплачен", "ок, жду", "24"),
    ],
)
async def test_agreeing_to_wait_for_a_refund_request_keeps_the_case_open(
    services: Services, complaint: str, answer: str, when: str
) -> None:
    """'ok, I'll wait' to 'is that OK?' after the refund request went to the finance team (or
    the payment or points to the team to find) closed the case ('Great! Thanks for your
    patience. We've recorded what happened') with the survey: nothing is solved until they
    write. Thanked, told when they write; the case stays open (as for a team's answer)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(answer)
    reply = " ".join(d.replies[-1])
    assert d.of("satisfaction_pending"), reply
    assert not d.of("resolved") and not d.of("escalated"), reply
    assert THANKS.search(reply) and when in reply, reply
    state = await d.state()
    assert "survey" not in state and not state["complaint"].get("satisfied"), reply


@pytest.mark.parametrize(
    ("complaint", "answer"),
    [
        ("I was charged twice for order 3410021", "yes, thanks"),
        ("Заказ 3410022: с карты списали деньги дважды", "да"),
        # a refund approved at once is done: the money is on its way
        ("С меня дважды списали 650 р за заказ 3410023", "ок, жду"),
    ],
)
async def test_a_yes_to_a_refund_done_or_requested_still_closes_the_case(
    services: Services, complaint: str, answer: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send(answer)
    assert d.of("resolved"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "answer"),
    [
        ("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня", "ну ладно, годится"),
        ("Курьер опоздал на три дня, заказ 5512300 до сих пор не у меня", "ну ок"),
        ("Paczka z zamówienia 5566123 spóźnia się tydzień", "no dobra, niech będzie"),
        ("Paczka z zamówienia 5566123 spóźnia się tydzień", "No ok"),
        ("Paczka z zamówienia 5566123 spóźnia się tydzień", "no tak, pasuje"),
    ],
)
async def test_a_yes_after_a_filler_word_is_a_yes(
    services: Services, complaint: str, answer: str
) -> None:
    """Polish "no dobra" / "no ok" (no = well) brought a person for a fix that did not help,
    and "ну ладно, подожду" got "До свидания!" with the question left open (a wait agreed to
    for the team's answer now keeps the case open, said so: see the test above)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check"), d.replies
    await d.send(answer)
    assert d.of("resolved"), d.replies[-1]
    assert not d.of("escalated"), d.replies[-1]


async def test_an_activist_with_a_small_claim_is_refunded_at_once_too(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "С меня дважды списали 650 р за заказ 7781203. Верните, иначе пишу в Роспотребнадзор."
    )
    assert d.of("goodwill_approved") and d.of("escalated")[0]["priority"] == "high"


async def test_a_missed_event_told_after_the_promise_is_compensated(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказала подарок на день рождения дочери, заказ 3345120, его всё нет")
    assert d.of("promised")
    await d.send("Привезли только через два дня после праздника, день рождения уже прошёл")
    assert {"free_delivery", "gift"} <= {e["kind"] for e in d.of("compensation_offered")}


async def test_a_corrected_order_number_replaces_the_old_one(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Прислали не тот размер, заказ 112233")
    await d.send("ой, ошиблась, номер заказа на самом деле 445566")
    assert "445566" in " ".join(d.replies[-1]), "the correction is said back"
    await d.send(photo=True)
    await d.send("замена")
    promise = d.of("promised")[-1]["text"]
    assert "445566" in promise and "112233" not in promise, promise


async def test_a_corrected_order_number_after_the_promise_is_taken(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Не пришёл заказ 112233")
    assert d.of("promised")
    await d.send("ой, извините, номер заказа 445566")
    assert (await d.state())["known"]["order_ref"] == "445566"
    assert "445566" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("first", "fix"),
    [
        (
            "Brakuje jednego talerza w komplecie, zamówienie 5512090",
            "przepraszam, pomyłka, numer to 5512091",
        ),
        ("Не хватает одной тарелки в наборе, заказ 5512090", "ой, ошиблась, номер 5512091"),
        # "Спасибо, записал." and the old number kept
        (
            "Не хватает одной тарелки в наборе, заказ 5512090",
            "ой, номер заказа не тот, правильный 5512091",
        ),
        ("One plate of the set is missing, order 5512090", "the right one is 5512091"),
    ],
)
async def test_a_corrected_number_for_an_order_given_up_front_is_taken(
    services: Services, first: str, fix: str
) -> None:
    """The number came with the complaint (never asked for), so "numer to ..." names no
    order word: it was "noted" and the old number kept."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(fix)
    assert "5512091" in " ".join(d.replies[-1]), d.replies[-1]
    await d.send(button="cmp:opt:resend")
    promise = d.of("promised")[-1]["text"]
    assert "5512091" in promise and "5512090" not in promise, promise


@pytest.mark.parametrize(
    ("first", "fix", "option"),
    [
        (
            "Заказ 123456 пришёл с разбитой кружкой",
            "ой, номер заказа не 123456, а 123465",
            "замена",
        ),
        ("Hi, order 123456 arrived with a cracked mug", "sorry, not 123456 but 123465", "replace"),
        (
            "Zamówienie 123456 przyszło z pękniętym kubkiem",
            "przepraszam, nie 123456, tylko 123465",
            "wymiana",
        ),
    ],
)
async def test_a_number_denied_while_choosing_the_fix_is_replaced_by_the_other(
    services: Services, first: str, fix: str, option: str
) -> None:
    # "не 123456, а 123465" kept 123456 and the fix was booked for it; the correction was also
    # counted as an unclear answer to the offer
    d = Dialogue(services, str(next(_ids)))
    await d.send(first, photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    await d.send(fix)
    assert [e["now"] for e in d.of("detail_corrected")] == ["123465"]
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), "the offer again"
    assert (await d.state())["complaint"].get("unclear", 0) == 0
    await d.send(option)
    promise = d.of("promised")[-1]["text"]
    assert "123465" in promise and "123456" not in promise, promise


async def test_an_amount_said_with_actually_is_not_a_new_order_number(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Не хватает одной тарелки в наборе, заказ 5512090")
    await d.send("на самом деле я заплатила 4500")
    assert (await d.state())["known"]["order_ref"] == "5512090"


async def test_a_second_order_number_is_not_a_correction(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Прислали не тот размер, заказ 112233")
    await d.send("и в заказе 445566 тоже не тот размер")
    assert (await d.state())["known"]["order_ref"] == "112233"


async def test_a_new_complaint_about_another_order_after_a_case_is_about_that_order(
    services: Services,
) -> None:
    """After a finished case, "в заказе 5512999 пришла разбитая кружка" kept the first case's
    order number: the replacement was booked for 5512300."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 5512300 опаздывает на неделю")
    await d.send("да, спасибо")
    assert d.of("resolved")
    await d.send("Ещё одна проблема: в заказе 5512999 пришла разбитая кружка")
    assert len(d.of("complaint_opened")) == 2
    await d.send(photo=True)
    await d.send(button="cmp:opt:replacement")
    promise = d.of("promised")[-1]["text"]
    assert "5512999" in promise and "5512300" not in promise, promise
    assert "5512300" not in " ".join(d.replies[2]), "no correction of a number said back"


async def test_a_new_problem_after_a_case_does_not_reuse_its_photo_or_story(
    services: Services,
) -> None:
    """The kettle "из другого заказа" was fixed at once with the mug's order and the mug's
    photo: nothing was asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая кружка, заказ 5512300", photo=True)
    await d.send(button="cmp:opt:replacement")
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved")
    await d.send("Ещё вопрос: чайник из другого заказа не включается")
    asked = [e["slot"] for e in d.events if e["type"] == "asked_for" and e["turn"] == 3]
    assert "order_ref" in asked and "photo" in asked, d.replies[-1]
    known = (await d.state())["known"]
    assert "кружка" not in known.get("description", ""), known
    await d.send("5513001", photo=True)
    await d.send(button="cmp:opt:repair")
    promise = d.of("promised")[-1]["text"]
    assert "5513001" in promise and "5512300" not in promise, promise


async def test_a_new_problem_after_a_person_resolved_the_case_asks_for_its_photo(
    services: Services,
) -> None:
    from escalation.service import resolve_ticket

    user = str(next(_ids))
    d = Dialogue(services, user)
    await d.send("Пришла разбитая кружка, заказ 5512300", photo=True)
    await d.send("Позовите оператора")
    assert d.of("escalated")
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, d.of("escalated")[-1]["ticket_id"])
        await resolve_ticket(session, ticket, actor_id=None, now=utcnow())
        await session.commit()
    await d.send("Ещё вопрос: чайник из другого заказа 5513001 не включается")
    asked = [e["slot"] for e in d.events if e["type"] == "asked_for" and e["turn"] == 2]
    assert asked == ["photo"], d.replies[-1]


async def test_a_new_problem_with_the_same_order_keeps_its_number(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая кружка, заказ 5512300", photo=True)
    await d.send(button="cmp:opt:replacement")
    await d.send(button="cmp:sat:yes")
    await d.send("И ещё в этом же заказе чайник не включается")
    asked = [e["slot"] for e in d.events if e["type"] == "asked_for" and e["turn"] == 3]
    assert "order_ref" not in asked and "photo" in asked, d.replies[-1]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("My parcel 5566123 is a week late", "also order 5566777 came with a cracked plate"),
        ("Заказ 5512300 опаздывает на неделю", "А ещё в другом заказе пришла разбитая кружка"),
    ],
)
async def test_a_problem_with_another_order_at_is_that_ok_is_a_case_of_its_own(
    services: Services, first: str, second: str
) -> None:
    """It was "added to your case" about the late parcel, and nobody dealt with the plate."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check")
    await d.send(second)
    assert not d.of("details_added"), d.replies[-1]
    opened = d.of("complaint_opened")
    assert [e["complaint_type"] for e in opened] == ["delivery_delay", "damaged_defective"]
    asked = [e["slot"] for e in d.events if e["type"] == "asked_for" and e["turn"] == 1]
    assert "photo" in asked, d.replies[-1]
    assert d.of("promised")[0]["text"] in d.all_text()  # the first fix stands


@pytest.mark.parametrize(
    ("problem", "question"),
    [
        ("Заказ 5512347 опаздывает уже на неделю", "а как часто у вас такое бывает?"),
        ("Zamówienie 5512349 spóźnia się już tydzień", "a często wam się to zdarza?"),
    ],
)
async def test_a_question_the_kb_cannot_answer_at_is_that_ok_goes_into_the_case(
    services: Services, problem: str, question: str
) -> None:
    """At 'Такое решение вам подходит?', 'а как часто у вас такое бывает?' got the FAQ's
    'Ваш вопрос про одну из этих тем?' with topic buttons, and 'is that OK?' was left
    hanging. The question goes into the case for the team, said honestly, and the bot asks
    again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(question)
    assert not d.of("faq_declined"), d.replies[-1]
    assert d.of("question_noted") and len(d.of("satisfaction_check")) == 2, d.replies[-1]
    async with services.sessionmaker() as session:
        conversation = await session.scalar(
            select(Conversation).join(Customer).where(Customer.external_id == d.user)
        )
    assert question in conversation.state["known"]["description"]


@pytest.mark.parametrize(
    ("problem", "question"),
    [
        ("The lamp came broken, order 5512010", "do you check the lamps before shipping them?"),
        ("Lampa przyszła rozbita, zamówienie 7712010", "czy to się często zdarza?"),
        ("My kettle arrived broken, order 5512001", "does this happen often with your couriers?"),
        ("Кружка пришла разбитая, заказ 4471010", "а часто у вас курьеры так бьют посылки?"),
    ],
)
async def test_a_question_while_choosing_the_fix_goes_into_the_case(
    shop: Services, problem: str, question: str
) -> None:
    """At 'How would you like me to fix it: Replace / Refund / Repair?', a question the FAQ
    had no sure answer to got 'Is your question about one of these topics?' with topic
    buttons, and 'does this happen often with your couriers?' got the courier time-slots
    entry. The question goes into the case for the team, said honestly, and the offer
    stands."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(problem, photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    await d.send(question)
    assert not d.of("faq_declined") and not d.of("faq_answered"), d.replies[-1]
    assert d.of("question_noted"), d.replies[-1]
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), "the offer stands"
    assert not any(b.startswith("topic:") or b.startswith("faq") for b in d.buttons[-1])
    assert question in (await d.state())["known"]["description"]


async def test_how_often_it_happens_at_is_that_ok_is_no_faq_answer(shop: Services) -> None:
    """'does this happen often with your couriers?' at 'Does that solve it for you?' got the
    courier time-slots entry, a sure but wrong answer; it goes into the case for the team."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send("My order 5512003 is late")
    assert d.of("satisfaction_check")
    await d.send("does this happen often with your couriers?")
    assert not d.of("faq_answered"), d.replies[-1]
    assert d.of("question_noted") and len(d.of("satisfaction_check")) == 2, d.replies[-1]


@pytest.mark.parametrize(
    "question",
    [
        "Вернули деньги за заказ 123456?",
        "деньги за заказ 4471201 уже вернули?",
        "Здравствуйте! Деньги за заказ 4471206 вернули? И сколько стоит доставка в Казань?",
    ],
)
async def test_asking_whether_a_refund_was_made_is_a_status_question(
    services: Services, question: str
) -> None:
    """'Вернули деньги за заказ 123456?' opened a billing complaint: thanks, 'Мне очень жаль',
    and 'Я оформил заявку на возврат'. The customer only asks where the refund stands: the
    order goes to a colleague who sees its status, as 'Did you refund order 5512301?' does."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(question)
    assert not d.of("complaint_opened") and not d.of("promised"), d.replies[-1]
    assert not SORRY.search(d.all_text()), d.replies[-1]
    assert [e["reason"] for e in d.of("escalated")] == ["order_status"], d.replies[-1]


async def test_a_refund_that_has_not_come_is_still_a_complaint(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Мне так и не вернули деньги за заказ 4471204, когда уже?")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["billing"], d.replies


@pytest.mark.parametrize(
    ("problem", "question", "needed"),
    [
        ("hi, the jacket I got has a hole in the sleeve", "what do you need from me?", "order"),
        ("Куртка пришла с дыркой на рукаве", "а что от меня нужно?", "номер заказа"),
        ("Kurtka przyszła z dziurą", "co mam wysłać?", "numer zamówienia"),
    ],
)
async def test_what_do_you_need_is_told_what_was_asked_for(
    services: Services, problem: str, question: str, needed: str
) -> None:
    """Asked for the order number and a photo, the customer asked 'what do you need from
    me?' and got 'Take your time: I'm here.' They are told again what is needed."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    asked = len(d.of("asked_for"))
    await d.send(question)
    assert needed in d.replies[-1][0] and len(d.replies[-1]) == 1, d.replies[-1]
    assert len(d.of("asked_for")) == asked  # said again on request, not a new request


@pytest.mark.parametrize(
    ("problem", "switch", "said"),
    [
        ("Привет, заказ 4471400 опаздывает", "can you answer in English please?", "delivery team"),
        (
            "Списали деньги два раза за заказ 4471402, по 890 рублей",
            "can you answer in English please?",
            "890",
        ),
        (
            "Zamówienie 7712410 spóźnia się już tydzień",
            "а можно ответить по-русски? и что дальше?",
            "доставки",
        ),
    ],
)
async def test_the_promise_said_again_is_in_the_language_the_customer_writes_now(
    services: Services, problem: str, switch: str, said: str
) -> None:
    """A customer who asked 'can you answer in English please?' after the Russian promise got
    'Still here, no worries. Here's where it stands:', then the promise again in Russian,
    then 'Is that OK for you?'. The promise is said again in their language now."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("promised")
    await d.send(switch)
    text = "\n".join(d.replies[-1])
    assert said in text, d.replies[-1]
    if CYRILLIC_RE.search(switch):
        assert not re.search(r"[ąęłńśźż]", text, re.I), d.replies[-1]
    else:
        assert not CYRILLIC_RE.search(text), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "switch", "needed"),
    [
        (
            "Dzień dobry, dostałam zły rozmiar butów, zamówienie 7712001",
            "а можно по-русски?",
            "фото",
        ),
        ("Пришла сломанная лампа", "can you speak English?", "order number"),
        ("The mug arrived cracked", "po polsku proszę", "numer zamówienia"),
    ],
)
async def test_asking_for_another_language_mid_case_hears_the_request_in_it(
    services: Services, problem: str, switch: str, needed: str
) -> None:
    """Asked for a photo in Polish, 'а можно по-русски?' got the FAQ's 'Ваш вопрос про одну
    из этих тем?' with topic buttons. What is needed is said again, in the language asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(switch)
    assert not d.of("faq_declined") and not d.of("escalated"), d.replies[-1]
    assert needed in d.replies[-1][0] and len(d.replies[-1]) == 1, d.replies[-1]


async def test_an_order_number_said_with_what_was_sent_is_not_asked_for(
    services: Services,
) -> None:
    """'Доставили не тот товар. Вместо синей куртки прислали красную. Номер 4471501. Хочу
    обмен.' was asked '...пришлите номер заказа и фото проблемы', and after the photo
    'Пришлите ещё номер заказа': the number said was asked for twice. Only the photo is."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Доставили не тот товар. Вместо синей куртки прислали красную. Номер 4471501. Хочу обмен."
    )
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(photo=True)
    assert "номер заказа" not in d.all_text(), d.replies[-1]


@pytest.mark.parametrize(
    ("message", "question"),
    [
        (
            "The blender I ordered (5512501) doesn't turn on. Also, do you have a store in Warsaw?",
            "do you have a store in Warsaw?",
        ),
        (
            "Пылесос сломался, заказ 4471600. И ещё: у вас есть магазин в Казани?",
            "у вас есть магазин в Казани?",
        ),
    ],
)
async def test_a_question_asked_with_a_complaint_that_the_kb_cannot_answer_is_not_dropped(
    shop: Services, message: str, question: str
) -> None:
    """A question asked with a complaint that the KB had no sure answer to got no word at
    all: the complaint was answered and the question silently dropped. It is said honestly,
    with a person offered, and kept for the admins."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(message)
    assert d.of("complaint_opened") and d.of("faq_declined"), d.replies[-1]
    assert question in d.replies[-1][-1], d.replies[-1]
    assert "topic:human" in d.buttons[-1]


@pytest.mark.parametrize(
    ("problem", "question", "bot", "needed"),
    [
        ("Мне пришёл чайник с трещиной", "А вы вообще кто, бот?", "бот", "номер заказа"),
        ("The mug arrived cracked", "wait, who are you?", "bot", "order number"),
        ("Kubek przyszedł pęknięty", "czy to bot?", "botem", "numer zamówienia"),
    ],
)
async def test_who_is_answering_mid_case_is_told_plainly(
    services: Services, problem: str, question: str, bot: str, needed: str
) -> None:
    """Asked for the order number and a photo, 'А вы вообще кто, бот?' got 'Не спешите, я на
    связи.' The customer hears plainly that a bot answers (and a colleague on request), and
    what the case still needs."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(question)
    assert bot in d.replies[-1][0] and needed in d.replies[-1][-1], d.replies[-1]
    assert not d.of("escalated")


async def test_a_typed_rating_answers_the_survey(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    assert d.of("resolved") and "sv:csat:5" in d.buttons[-1]
    await d.send("5 из 5")
    assert [(e["question"], e["score"]) for e in d.of("survey_answer")] == [("csat", 5)]
    assert "sv:nps:10" in d.buttons[-1], d.replies[-1]  # the next question, no new complaint
    await d.send("9")
    assert [e["score"] for e in d.of("survey_answer")] == [5, 9]
    assert len(d.of("complaint_opened")) == 1 and len(d.of("promised")) == 1, d.replies


@pytest.mark.parametrize(
    ("complaint", "yes", "csat", "nps", "scores"),
    [
        ("Заказ 223311 опаздывает на неделю", "да", "пять", "десять из десяти", [5, 10]),
        ("Order 223311 is a week late", "yes", "five", "nine", [5, 9]),
        ("Zamówienie 223311 spóźnia się tydzień", "tak", "cztery", "dziesięć", [4, 10]),
    ],
)
async def test_a_rating_in_words_answers_the_survey(
    services: Services, complaint: str, yes: str, csat: str, nps: str, scores: list[int]
) -> None:
    """ "five", "пять" got "I'm not sure I understood ... choose a topic" and the survey
    was dropped."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send(yes)
    assert d.of("resolved")
    await d.send(csat)
    await d.send(nps)
    assert [e["score"] for e in d.of("survey_answer")] == scores, d.replies
    assert not d.of("fallback"), d.replies


@pytest.mark.parametrize(
    ("complaint", "yes", "why", "sorry"),
    [
        ("Заказ 223311 опаздывает на неделю", "да", "потому что долго", "жаль"),
        ("Order 223311 is a week late", "yes", "it all took far too long", "sorry"),
        ("Zamówienie 223311 spóźnia się tydzień", "tak", "za długo to trwało", "Przykro"),
    ],
)
async def test_a_low_rating_is_asked_what_went_wrong_and_the_answer_kept(
    services: Services, complaint: str, yes: str, why: str, sorry: str
) -> None:
    """A "1" was followed by "would you recommend us to a friend, from 0 to 10?", and the
    customer's "потому что долго" then got an FAQ answer: nobody heard what went wrong."""
    from bot.db.models import SurveyAnswer

    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send(yes)
    await d.send(button="sv:csat:1")
    assert sorry in " ".join(d.replies[-1]) and not any("sv:nps" in b for b in d.buttons[-1])
    await d.send(why)
    assert d.of("survey_comment") and not d.of("faq_answered") and not d.of("fallback")
    async with services.sessionmaker() as session:
        kept = (
            await session.scalars(select(SurveyAnswer).where(SurveyAnswer.question == "comment"))
        ).all()
    assert why in [k.answer for k in kept]
    # the next message is a new one, not another comment
    await d.send("5")
    assert len(d.of("survey_comment")) == 1


async def test_a_forged_rating_off_the_scale_is_not_recorded(services: Services) -> None:
    """A modified client sends "sv:csat:0" (the buttons are 1-5): it was stored as a rating
    of 0 and pulled the service's satisfaction figures down."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    assert "sv:csat:1" in d.buttons[-1]
    await d.send(button="sv:csat:0")
    assert not d.of("survey_answer"), d.of("survey_answer")
    await d.send(button="sv:csat:4")
    assert [(e["question"], e["score"]) for e in d.of("survey_answer")] == [("csat", 4)]


@pytest.mark.parametrize(
    "text",
    [
        "The agent on the phone was very rude to me yesterday",
        "Менеджер в магазине нахамил мне, заказ 556611",
        "Konsultant na infolinii był bardzo niemiły",
    ],
    ids=["en", "ru", "pl"],
)
async def test_a_complaint_about_staff_is_not_a_request_for_a_person(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("complaint_opened")[0]["complaint_type"] == "staff_behavior"
    assert "customer_request" not in [e["reason"] for e in d.of("escalated")], d.replies
    assert thanks_before_apology(" ".join(d.replies[0])), d.replies[0]


async def test_a_staff_complaint_is_promised_to_quality(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Менеджер в магазине нахамил мне, заказ 556611")
    assert d.of("promised") and "48" in d.of("promised")[0]["text"], d.replies


@pytest.mark.parametrize(
    "text", ["позовите менеджера", "I want to talk to an agent", "Chcę rozmawiać z konsultantem"]
)
async def test_asking_for_staff_brings_a_person(services: Services, text: str) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"], d.replies


@pytest.mark.parametrize(
    "text",
    [
        "Hello again, the new lid also came broken. Operator please",
        "Крышка опять пришла треснутая. Оператора, пожалуйста!",
        "Pokrywka znowu przyszła pęknięta. Konsultant, proszę.",
    ],
    ids=["en", "ru", "pl"],
)
async def test_a_problem_ending_with_operator_please_brings_a_person(
    services: Services, text: str
) -> None:
    """A closing "Operator please" after a problem got the photo request and no
    person: only a message of those two words alone was a request."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"], d.replies


@pytest.mark.parametrize("text", ["до свидания", "спасибо большое"], ids=["bye", "thanks"])
async def test_thanks_or_goodbye_while_collecting_is_not_the_description(
    services: Services, text: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пылесос сломался")  # two words: a few more about what happened are asked
    assert "description" in [e["slot"] for e in d.of("asked_for")]
    await d.send(text)
    assert (await d.state())["known"].get("description") != text, d.replies[-1]
    assert "записал" not in " ".join(d.replies[-1]), d.replies[-1]


async def test_thanks_and_bye_while_collecting_keep_the_case_open(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("I received the wrong item in my order")  # asked: order number + photo
    await d.send("thanks")
    await d.send("bye")
    assert not any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    assert "order number" in " ".join(d.replies[-1]), "says what is still needed"
    await d.send("order 5531207")
    await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), "the case goes on"
    assert_never_reasked(d)


async def test_question_marks_alone_are_asked_what_happened_without_a_coupon(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("???")
    assert not d.of("compensation_offered") and not d.of("complaint_opened"), d.replies[0]
    assert not SORRY.search(" ".join(d.replies[0])) and "?" in d.replies[0][-1], d.replies[0]
    await d.send("Курьер не приехал, заказ 5531207")
    assert d.of("complaint_opened") and d.of("promised")


@pytest.mark.parametrize(
    ("opener", "story", "ctype"),
    [
        ("Cześć, mam problem z zamówieniem", "lampka przyszła rozbita, klosz w kawałkach", None),
        ("Hi, I have a problem with my order", "my desk lamp arrived broken", None),
        ("Hello, there's a problem with my order", "you sent me the wrong size", "wrong_item"),
        ("I have a complaint", "the courier was rude to me, order 5540032", "staff_behavior"),
        ("Mam problem z paczką", "w paczce brakuje ładowarki, zamówienie 3309125", None),
        ("Здравствуйте, у меня проблема с заказом", "привезли разбитую лампу", None),
    ],
)
async def test_a_customer_who_only_says_there_is_a_problem_is_asked_what_happened(
    services: Services, opener: str, story: str, ctype: str | None
) -> None:
    """ "Hi, I have a problem with my order" read as praise ("Thanks so much for the kind
    words!"), a goodbye or an order-status question."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opener)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first) and first.rstrip().endswith(("?", ".")), first
    assert d.of("clarify") and not d.of("complaint_opened") and not d.of("escalated"), first
    await d.send(story)
    opened = d.of("complaint_opened")
    assert opened, d.replies[-1]
    if ctype:
        assert opened[0]["complaint_type"] == ctype


async def test_a_missed_event_is_compensated_once_per_conversation(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("The gift arrived late, the birthday is over. Order 334455")
    await d.send("coupon")
    await d.send("yes")
    assert d.of("compensation_chosen") and d.of("resolved")
    await d.send("And the wrapping was torn too, the birthday is over anyway")
    assert {e["turn"] for e in d.of("compensation_offered")} == {0}, d.replies[-1]
    assert thanks_before_apology(" ".join(d.replies[-1])), "the new problem is still heard"


# ---------------------------------------------------------------- business hours and deadlines
WED_23_MSK = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # operators work 09:00-21:00 Moscow


async def say_at(
    services: Services, user: str, text: str | None, now: datetime | None = None, **kw
):
    async with services.sessionmaker() as session:
        out = await services.engine.handle(
            session,
            Incoming(
                external_user_id=user, text=text, chat_id=int(user), message_id=next(_ids), **kw
            ),
            now=now,
        )
        await session.commit()
    return out


async def the_ticket(services: Services, user: str) -> Ticket:
    async with services.sessionmaker() as session:
        return await session.scalar(
            select(Ticket)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(Customer.external_id == user)
        )


async def to_fix_offer(d: Dialogue, story: str) -> list[str]:
    """Tell ``story`` and send the photo asked for until the fix options come; their data."""
    await d.send(story)
    for _ in range(3):
        if any(b.startswith("cmp:opt:") for b in d.buttons[-1]):
            break
        await d.send("here is the photo" if story.isascii() else "вот фото", photo=True)
    offered = [b for b in d.buttons[-1] if b.startswith("cmp:opt:")]
    assert offered, d.replies
    return offered


KETTLE = "Пришёл разбитый чайник, заказ 5531207, носик отколот и вода течёт"


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def test_after_hours_the_deadline_is_the_promised_opening_plus_the_sla(
    services: Services,
) -> None:
    user = str(next(_ids))
    out = await say_at(services, user, "Позовите оператора, пожалуйста", WED_23_MSK)
    assert "09:00" in " ".join(r.text for r in out.replies)
    # 09:00 Moscow + 30 minutes = 06:30 UTC (not 09:30 UTC, three hours later)
    assert utc((await the_ticket(services, user)).due_at) == datetime(2026, 3, 5, 6, 30, tzinfo=UTC)


async def test_after_hours_the_apology_comes_when_the_promised_time_has_passed(
    services: Services,
) -> None:
    from escalation.timers import check_timers

    user = str(next(_ids))
    await say_at(services, user, "Позовите оператора, пожалуйста", WED_23_MSK)

    thu_10_msk = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 30 minutes past the promise
    try:
        await check_timers(NoTelegram(), services, now=thu_10_msk)
    except RuntimeError:
        pass  # the apology could not be delivered; the decision to send it is stored
    assert (await the_ticket(services, user)).customer_apologized_at is not None
    from bot.reports import build_report

    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["compensations"]["gestures"] == {"coupon": 1}, "its coupon is in the report"


async def test_the_apology_for_the_wait_adds_no_smaller_coupon_to_a_bigger_one(
    services: Services,
) -> None:
    from escalation.timers import check_timers

    user = str(next(_ids))
    out = await say_at(
        services, user, "Чайник пришёл разбитым, заказ 5531207. Подам в суд!", WED_23_MSK
    )
    assert "20%" in " ".join(r.text for r in out.replies), "the activist's coupon"
    thu_10_msk = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    with contextlib.suppress(RuntimeError):
        await check_timers(NoTelegram(), services, now=thu_10_msk)
    ticket = await the_ticket(services, user)
    assert ticket.customer_apologized_at is not None
    async with services.sessionmaker() as session:
        apology = await session.scalar(
            select(Message.text)
            .where(Message.conversation_id == ticket.conversation_id, Message.direction == "out")
            .order_by(Message.id.desc())
            .limit(1)
        )
    # "sorry for the wait, here is 5 % off" after 20 % off belittles both
    assert apology and "%" not in apology, apology


class NoTelegram:
    """Stands in for Telegram where only what the bot decided is checked."""

    def __getattr__(self, name):
        async def fail(*a, **k):
            raise RuntimeError("no Telegram in this test")

        return fail


@pytest.mark.parametrize(
    ("answer", "sorted_out"),
    [
        ("Да нет, посылки до сих пор нет", False),
        ("Ок, а где посылка? До сих пор ничего не пришло", False),
        ("Спасибо, но заказ так и не привезли", False),
        ("Ok, but I still haven't received it", False),
        ("Да, всё пришло, спасибо", True),
        # "Understood. What would you like to do instead?" and the case closed
        ("ещё нет", False),
        ("not yet", False),
        ("пока нет(", False),
        ("не совсем", False),
        ("частично, пришла только половина", False),
        ("only partly", False),
        ("częściowo", False),
        ("tak sobie", False),  # "so-so" was "Świetnie, dzięki!" and the case closed
        ("так себе", False),
    ],
)
async def test_a_still_broken_answer_to_the_follow_up_is_not_a_yes(
    services: Services, answer: str, sorted_out: bool
) -> None:
    from escalation.followup import check_follow_ups

    user = str(next(_ids))
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    text = "Посылка по заказу 7781420 опаздывает на неделю, никто ничего не говорит"
    await say_at(services, user, text, now)
    try:
        await check_follow_ups(NoTelegram(), services, now=now + timedelta(days=20))
    except RuntimeError:
        pass
    out = await say_at(services, user, answer, now + timedelta(days=20, minutes=5))
    kinds = [e["type"] for e in out.events]
    assert ("follow_up_ok" in kinds) == sorted_out, kinds
    if not sorted_out:
        assert "escalated" in kinds, kinds  # a person takes the case again


@pytest.mark.parametrize(
    "answer",
    [
        "yes it came, but the mug inside is broken",
        "Да, посылку привезли, но кружка внутри разбита",
        "Tak, doszła, ale kubek w środku jest pęknięty",
    ],
)
async def test_a_yes_to_the_follow_up_with_a_new_problem_opens_a_case_for_it(
    services: Services, answer: str
) -> None:
    """ "Great, thank you for letting me know!" and nothing about the broken mug."""
    from escalation.followup import check_follow_ups

    user = str(next(_ids))
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    await say_at(services, user, "Посылка по заказу 7781420 опаздывает на неделю", now)
    await say_at(services, user, None, now, callback_data="cmp:sat:yes")
    with contextlib.suppress(RuntimeError):
        await check_follow_ups(NoTelegram(), services, now=now + timedelta(days=20))
    out = await say_at(services, user, answer, now + timedelta(days=20, minutes=5))
    kinds = [e["type"] for e in out.events]
    assert "follow_up_ok" in kinds, kinds
    opened = [e["complaint_type"] for e in out.events if e["type"] == "complaint_opened"]
    assert opened == ["damaged_defective"], [r.text for r in out.replies]
    asked = [e["slot"] for e in out.events if e["type"] == "asked_for"]
    assert asked == ["photo"], [r.text for r in out.replies]  # the order is the same one


@pytest.mark.parametrize(
    ("answer", "later"),
    [
        ("Здравствуйте, замену так и не прислали", timedelta(days=9)),
        ("The replacement still hasn't come", timedelta(days=9)),
        ("Wymiana nadal nie dotarła", timedelta(days=9)),
        ("Вы обещали за 24 часа, прошло три дня, никто не связался", timedelta(days=3)),
    ],
)
async def test_coming_back_after_the_promised_time_reopens_the_case(
    services: Services, answer: str, later: timedelta
) -> None:
    """Days later "замену так и не прислали" opened a new case about service quality, passed
    to the quality manager "within 24 hours": the same promise again, the case forgotten."""
    user = str(next(_ids))
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    first = "Доставка по заказу 5512300 опаздывает на неделю"
    if "24" not in answer:
        first = "Пришла разбитая кружка, заказ 5512300"
    await say_at(services, user, first, now, attachments=(Attachment("photo", "ph1"),))
    if "24" not in answer:
        await say_at(services, user, None, now, callback_data="cmp:opt:replacement")
    out = await say_at(services, user, None, now, callback_data="cmp:sat:yes")
    assert "resolved" in [e["type"] for e in out.events]
    out = await say_at(services, user, answer, now + later)
    kinds = [e["type"] for e in out.events]
    text = " ".join(r.text for r in out.replies)
    assert "complaint_opened" not in kinds, text
    assert "reopened" in kinds and "escalated" in kinds, kinds
    assert "24" not in text or "30" in text, text  # no new promise of the same 24 hours
    assert thanks_before_apology(text), text


async def test_coming_back_before_the_promised_time_hears_the_promise(
    services: Services,
) -> None:
    user = str(next(_ids))
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    await say_at(
        services,
        user,
        "Пришла разбитая кружка, заказ 5512300",
        now,
        attachments=(Attachment("photo", "ph1"),),
    )
    await say_at(services, user, None, now, callback_data="cmp:opt:replacement")
    await say_at(services, user, None, now, callback_data="cmp:sat:yes")
    out = await say_at(services, user, "Замену так и не привезли", now + timedelta(days=2))
    kinds = [e["type"] for e in out.events]
    text = " ".join(r.text for r in out.replies)
    assert "complaint_opened" not in kinds and "escalated" not in kinds, text
    assert "5 рабочих дней" in text and "5512300" in text, text


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("I'd like to talk to a person, please", "on 9 March at 09:00"),
        ("Позовите оператора, пожалуйста", "9 марта в 09:00"),
        ("Chcę porozmawiać z konsultantem, proszę", "9 marca o 09:00"),
    ],
)
async def test_an_opening_after_the_weekend_is_named_by_its_date_in_words(
    settings: Settings, classifier, text: str, when: str
) -> None:
    """'on 09.03' reads as September 3rd to many English readers: the month is a word."""
    weekdays = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=settings.database_url, business_days="mon-fri"
    )
    svc = await build_services(weekdays, classifier=classifier, seed=0)
    try:
        fri_23_msk = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
        out = await say_at(svc, str(next(_ids)), text, fri_23_msk)
    finally:
        await svc.close()
    assert when in " ".join(r.text for r in out.replies), out.replies


async def test_just_before_closing_the_promise_is_the_next_opening(services: Services) -> None:
    from escalation.hours import is_open

    user = str(next(_ids))
    wed_20_50_msk = datetime(2026, 3, 4, 17, 50, tzinfo=UTC)  # 30 minutes would be 21:20
    out = await say_at(services, user, "Позовите оператора, пожалуйста", wed_20_50_msk)
    said = " ".join(r.text for r in out.replies)
    assert "30 минут" not in said and "завтра в 09:00" in said, said
    due = utc((await the_ticket(services, user)).due_at)
    assert due == datetime(2026, 3, 5, 6, 30, tzinfo=UTC), due  # Thursday 09:30 Moscow
    assert is_open(due - timedelta(seconds=1), services.settings)


@pytest.mark.parametrize(
    ("at", "promise", "due"),
    [  # the hand-off's promise and deadline a minute either side of opening and of midnight
        (datetime(2026, 3, 4, 20, 59), "завтра в 09:00", datetime(2026, 3, 5, 6, 30)),  # 23:59
        (datetime(2026, 3, 4, 21, 1), "сегодня в 09:00", datetime(2026, 3, 5, 6, 30)),  # 00:01
        (datetime(2026, 3, 5, 5, 59), "сегодня в 09:00", datetime(2026, 3, 5, 6, 30)),  # 08:59
        (datetime(2026, 3, 5, 6, 1), "30 минут", datetime(2026, 3, 5, 6, 31)),  # 09:01
    ],
)
async def test_around_midnight_and_opening_the_promise_names_the_right_day(
    services: Services, at: datetime, promise: str, due: datetime
) -> None:
    """In Moscow time: a minute before midnight the team opens tomorrow, a minute after it
    today; a minute before 09:00 a colleague answers from 09:00, a minute after within the
    SLA."""
    user = str(next(_ids))
    out = await say_at(services, user, "Позовите оператора, пожалуйста", at.replace(tzinfo=UTC))
    said = " ".join(r.text for r in out.replies)
    assert promise in said, said
    assert utc((await the_ticket(services, user)).due_at) == due.replace(tzinfo=UTC)


async def test_raising_the_priority_never_moves_the_deadline_later(services: Services) -> None:
    user = str(next(_ids))
    wed_12_msk = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a normal ticket: due 12:30
    await say_at(services, user, "Позовите оператора, пожалуйста", wed_12_msk)
    threat = "Если мне сегодня не ответят, я подаю в суд и пишу в Роспотребнадзор!"
    await say_at(services, user, threat, wed_12_msk + timedelta(minutes=25))
    ticket = await the_ticket(services, user)
    assert ticket.priority == "high"
    assert utc(ticket.due_at) <= wed_12_msk + timedelta(minutes=30), ticket.due_at


async def test_a_ticket_raised_after_its_reminder_is_reminded_again_as_urgent(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalation.timers import check_timers

    class Desk:  # the operators' group: what the timers post to a ticket's topic
        told: list[str] = []

        async def ensure_topics(self, *a, **k):
            return 0

        async def relay_missed(self, *a, **k):
            return 0

        async def redraw_stale_cards(self, *a, **k):
            return 0

        async def tell_topic(self, bot, session, ticket, text):
            self.told.append(text)

    monkeypatch.setattr(services, "desk", Desk())
    user = str(next(_ids))
    wed_12_msk = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    await say_at(services, user, "Позовите оператора, пожалуйста", wed_12_msk)
    with contextlib.suppress(RuntimeError):  # the apology cannot be delivered here
        await check_timers(NoTelegram(), services, now=wed_12_msk + timedelta(minutes=31))
    threat = "Если мне сегодня не ответят, я подаю в суд и пишу в Роспотребнадзор!"
    await say_at(services, user, threat, wed_12_msk + timedelta(minutes=40))
    with contextlib.suppress(RuntimeError):
        await check_timers(NoTelegram(), services, now=wed_12_msk + timedelta(minutes=41))
    told = services.desk.told
    assert len(told) == 2 and "normal priority" in told[0] and "high priority" in told[1], told


# ---------------------------------------------------------------- what the customer shares
PHONE = Attachment("contact", None, "+79161234567")  # Telegram's share-contact button


async def test_a_contact_shared_with_the_button_answers_the_question_for_it(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Ваше приложение вылетает при оплате, не могу оформить заказ")
    assert "телефон" in d.all_text()
    out = await say_at(services, d.user, None, attachments=(PHONE,))
    assert (await d.state())["known"]["contact"] == "+79161234567"
    said = " ".join(r.text for r in out.replies)
    assert "телефон" not in said, said  # not asked again: the case goes on
    assert any(e["type"] == "promised" for e in out.events), said


async def test_a_contact_and_a_location_shared_after_the_hand_off_are_on_the_card(
    services: Services,
) -> None:
    from escalation.service import render_card

    user = str(next(_ids))
    await say_at(services, user, "Позовите оператора, пожалуйста")
    await say_at(services, user, None, attachments=(PHONE,))
    await say_at(services, user, None, attachments=(Attachment("location", None, "55.75,37.61"),))
    async with services.sessionmaker() as session:
        card = await render_card(session, services.settings, await the_ticket(services, user))
    details = next(line for line in card.text.splitlines() if line.startswith("Details"))
    assert "+79161234567" in details and "55.75,37.61" in details, card.full
    assert "[contact +79161234567]" in card.full, card.full


async def test_an_album_of_photos_is_one_answer_with_one_reply(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Привезли разбитую вазу, заказ 5531207")
    outs = [
        await say_at(
            services,
            d.user,
            None,
            attachments=(Attachment("photo", f"album{i}"),),
            media_group_id=f"album-{d.user}",
        )
        for i in range(4)
    ]
    answered = [[r.text for r in o.replies] for o in outs if o.replies]
    assert len(answered) == 1, answered
    assert not [e for o in outs for e in o.events if e["type"] == "escalated"], answered
    assert len((await d.state())["known"]["photos"]) == 4  # every photo is kept


async def test_old_topic_button_pressed_while_choosing_a_fix_is_answered(
    services, delivery_kb: Path
) -> None:
    """A topic button of an earlier question, pressed while the bot waits for the choice of
    fix: the knowledge base answers it (it got "just pick the option..."), the offer stands."""
    async with services.sessionmaker() as session:
        await services.knowledge.import_file(session, delivery_kb)
    d = Dialogue(services, "6620")
    await d.send("Do you have a franchise programme for new cities?")
    # the callback an earlier decline's topic button carries (this 3-entry KB may offer none)
    topic = next((b for b in d.buttons[-1] if b.startswith("kb:")), "kb:delivery_cost")
    await d.send("the floor lamp from order 4420571 came without the two bulbs that were included")
    assert "cmp:opt:resend" in d.buttons[-1]  # the case waits for a choice of fix
    pressed = await d.send(button=topic)  # the customer scrolls up and taps the old topic
    assert [e for e in pressed.events if e["type"] == "faq_answered"], d.replies[-1]


@pytest.mark.parametrize("msk_hour", [8, 12, 18, 20, 23])
async def test_the_follow_up_never_wakes_the_customer_at_night(
    services: Services, msk_hour: int
) -> None:
    """Asked whether the promise was kept after its time plus the margin, but never between
    21:00 and 09:00 in the shop's time zone: a question due then waits for the morning."""
    user = str(next(_ids))
    now = datetime(2026, 3, 4, msk_hour - 3, 30, tzinfo=UTC)  # Moscow is UTC+3
    await say_at(services, user, "Посылка по заказу 7781420 опаздывает на неделю", now)
    async with services.sessionmaker() as session:
        complaint = await session.scalar(
            select(Complaint)
            .join(Conversation, Conversation.id == Complaint.conversation_id)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(Customer.external_id == user)
        )
    due = utc(complaint.follow_up_at)
    local = due.astimezone(services.settings.tz)
    assert 9 <= local.hour < 21, local
    assert due - now >= timedelta(hours=2)  # the margin after the promise is kept
    assert due - now < timedelta(days=12)  # postponed to the morning, not skipped a day
    if msk_hour in (20, 23):  # due in the night: asked at the first waking hour
        assert (local.hour, local.minute, local.second) == (9, 0, 0), local
    else:  # due in the day: asked then, to the minute
        assert local.minute == 30, local


@pytest.mark.parametrize("commands", [["/start", "/foo"], ["/help", "/start", "/menu"]])
async def test_commands_while_details_are_awaited_do_not_skip_them(
    services: Services, commands: list[str]
) -> None:
    """/start or an unknown command in the middle of a complaint is no answer to what was
    asked: the case is not moved on to the fix without the details, and the customer hears
    that it is still open and what it waits for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Привезли разбитую кружку, очень обидно")
    asked = [e["slot"] for e in d.of("asked_for")]
    assert "order_ref" in asked, asked
    for command in commands:
        await d.send(command)
        said = " ".join(d.replies[-1])
        assert "номер заказа" in said and "открыт" in said, said
        assert not d.buttons[-1], d.buttons[-1]  # no "Replace / Refund?" yet
    assert not d.of("promised") and not d.of("compensation_offered")
    assert not any(e["type"] == "asked_for" and e["turn"] > 0 for e in d.events)
    await d.send("Заказ 7781420")
    await d.send(photo=True)
    assert d.buttons[-1] or d.of("promised"), d.replies[-1]  # the fix, with everything


@pytest.mark.parametrize(
    ("turns", "intent", "threat"),
    [
        (
            ["Привезли разбитую кружку, заказ 7781420", "Позовите оператора, пожалуйста"],
            "complaint",
            "none",
        ),
        (
            ["Заказ 7781420 опаздывает на две недели, подам в суд", "Спасибо", "ок"],
            "complaint",
            "legal action (legal)",
        ),
        # once a person has the case, a question to them does not make it another request
        (
            [
                "Прислали куртку не того размера, заказ 7781431, напишу отзыв везде",
                "Позовите человека",
                "Хорошо. А курьер когда приедет?",
            ],
            "complaint",
            "a public review or post (public)",
        ),
        (
            [
                "Order 7781432 came with the wrong jacket, I'm furious",
                "I want to talk to a person",
                "Can you also send me the tracking number?",
            ],
            "complaint",
            "none",
        ),
    ],
)
async def test_the_card_shows_the_request_not_the_last_small_talk(
    services: Services, turns: list[str], intent: str, threat: str
) -> None:
    """The card's classification line described the customer's latest message: "Intent:
    request_human" for a complaint whose customer then asked for a person, "threat: none"
    after a legal threat followed by "ok". The operator reads the case: the request's intent
    and the strongest threat said in it."""
    from escalation.service import render_card

    user = str(next(_ids))
    for text in turns:
        await say_at(services, user, text)
    async with services.sessionmaker() as session:
        card = await render_card(session, services.settings, await the_ticket(services, user))
    line = next(x for x in card.text.splitlines() if x.startswith("Intent:"))
    assert line.startswith(f"Intent: {intent} ·") and f"threat: {threat} ·" in line, line


async def test_a_forwarded_message_is_marked_in_the_transcript(services: Services) -> None:
    """A forwarded SMS or post ("Ваш заказ задерживается") was in the operators' transcript
    as if the customer had written it."""
    from datetime import UTC

    from aiogram.types import Chat, MessageOriginChannel, MessageOriginHiddenUser, User
    from aiogram.types import Message as TgMessage

    from bot.handlers.convert import incoming_from_message
    from escalation.service import render_card

    def forwarded(origin: object) -> str | None:
        message = TgMessage(
            message_id=7,
            date=datetime.now(UTC),
            chat=Chat(id=5, type="private"),
            from_user=User(id=5, is_bot=False, first_name="Anna"),
            text="Ваш заказ 7781420 задерживается",
            forward_origin=origin,
        )
        return incoming_from_message(message).forwarded_from

    now = datetime.now(UTC)
    channel = Chat(id=-100777, type="channel", title="Почта России")
    assert forwarded(MessageOriginChannel(date=now, chat=channel, message_id=1)) == "Почта России"
    hidden = MessageOriginHiddenUser(date=now, sender_user_name="Курьер Иван")
    assert forwarded(hidden) == "Курьер Иван"
    assert forwarded(None) is None

    user = str(next(_ids))
    await say_at(services, user, "Ваш заказ 7781420 задерживается", forwarded_from="Почта России")
    await say_at(services, user, "Позовите оператора, пожалуйста")
    async with services.sessionmaker() as session:
        card = await render_card(session, services.settings, await the_ticket(services, user))
    line = next(x for x in card.transcript.splitlines() if "задерживается" in x)
    assert "Customer: [forwarded from Почта России] Ваш заказ 7781420" in line, line


@pytest.mark.parametrize(
    ("event", "wish"),
    [
        (
            "gift for my wedding came late, order 1234567",
            "I don't want a coupon, I want my money back",
        ),
        (
            "Подарок на день рождения пришёл после праздника, заказ 7720931",
            "не нужен мне промокод, верните деньги",
        ),
        (
            "Prezent na urodziny przyszedł po imprezie, zamówienie 4428816",
            "nie chcę rabatu, chcę zwrot pieniędzy",
        ),
    ],
)
async def test_money_back_instead_of_the_compensation_goes_to_a_person(
    services: Services, event: str, wish: str
) -> None:
    """ "I don't want a coupon, I want my money back" after a missed event got "All right,
    sorry" and nothing more: the customer's wish was taken as a plain no."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(event)
    assert d.of("compensation_offered")
    await d.send(wish)
    assert not d.of("compensation_declined") and not d.of("compensation_chosen")
    [esc] = d.of("escalated")
    assert esc["reason"] == "needs_person", esc


@pytest.mark.parametrize(
    ("problem", "no_number"),
    [
        ("Привезли разбитую кружку, очень обидно", "номера заказа у меня нет"),
        ("The mug arrived broken, really upset", "I don't have the order number"),
        ("Kubek przyszedł rozbity, bardzo mi przykro", "nie mam numeru zamówienia"),
    ],
)
async def test_no_order_number_does_not_waive_the_photo(
    services: Services, problem: str, no_number: str
) -> None:
    """ "I don't have the order number" waived every detail asked for: the photo was never
    waited for, and a photo sent next was an unclear answer to "Replace / Refund?"."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert {"order_ref", "photo"} <= {e["slot"] for e in d.of("asked_for")}
    await d.send(no_number)
    assert not d.buttons[-1] and not d.of("promised"), d.replies[-1]  # the photo awaited
    assert len([e for e in d.of("asked_for") if e["turn"] > 0]) == 0  # not asked again
    await d.send(photo=True)
    assert d.buttons[-1] or d.of("promised"), d.replies[-1]  # then the fix, at once


@pytest.mark.parametrize(
    ("first", "amount"),
    [
        ("Вы списали деньги дважды за заказ 8812040", "списали по 300 рублей каждый раз"),
        ("You charged me twice for order 8812041", "it was 8 euros each time"),
    ],
)
async def test_an_amount_under_the_goodwill_limit_given_later_is_approved_then(
    services: Services, first: str, amount: str
) -> None:
    """A refund request filed without an amount, then the amount (under the goodwill
    limit) given: it was only added as a detail, and the customer waited 10 working days
    for what the rules approve at once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("promised") and not d.of("goodwill_approved")
    await d.send(amount)
    assert d.of("goodwill_approved"), d.replies[-1]
    assert d.of("satisfaction_check")[-1]["turn"] == 1


@pytest.mark.parametrize("phone", ["+7 916 1234567", "8 916 123 45 67", "+48 601 234 567"])
async def test_a_phone_number_sent_when_the_order_number_is_asked_is_not_one(
    services: Services, phone: str
) -> None:
    """Asked for the order number, a customer sent their phone: "+7 916 1234567" became
    order 1234567, and the fix was promised for it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Привезли разбитую кружку, очень обидно")
    await d.send(phone)
    known = (await d.state())["known"]
    assert "order_ref" not in known and known.get("contact"), known
    await d.send("5512093")
    assert (await d.state())["known"]["order_ref"] == "5512093"


@pytest.mark.parametrize("phone", ["601 234 567", "mój telefon 601 234 567"])
async def test_a_polish_mobile_in_groups_sent_when_the_order_number_is_asked_is_not_one(
    services: Services, phone: str
) -> None:
    """Asked for the order number, a Polish customer sent '601 234 567' (their mobile,
    without +48): 'Przekazałem wszystko zespołowi dostaw dla zamówienia 601234567'. It is the
    contact; the order number is still asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Paczka się spóźnia, nadal jej nie ma")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], d.replies[0]
    await d.send(phone)
    known = (await d.state())["known"]
    assert "order_ref" not in known and known.get("contact") == "601 234 567", known
    assert not d.of("promised"), d.replies[-1]
    assert "zamówienia" in " ".join(d.replies[-1]), d.replies[-1]
    await d.send("5512093")
    assert (await d.state())["known"]["order_ref"] == "5512093"
    assert d.of("promised"), d.replies[-1]


async def test_what_the_session_22_review_found(services: Services) -> None:
    """Defects a review of the day's changes found in them, each checked here."""
    from bot.dialogs.complaint import _wished_option, wants_refund

    # a fix is booked only when asked for by name, not for "a new kettle" or "the money"
    assert (
        _wished_option("Nowy czajnik przyszedł pęknięty, proszę o pomoc", ["replacement", "refund"])
        is None
    )
    assert (
        _wished_option(
            "Пожалуйста, проверьте: в заказе не было зарядки, деньги заплатила",
            ["resend", "refund"],
        )
        is None
    )
    assert (
        _wished_option("I'd like a replacement please", ["replacement", "refund"]) == "replacement"
    )
    # a refund turned down at the compensation offer is no request for one
    assert not wants_refund("I don't need a refund, the coupon is fine")
    assert not wants_refund("деньги не нужны, давайте промокод")
    assert wants_refund("I don't want a coupon, I want my money back")

    # a photo caption that says something is missing waives nothing
    d = Dialogue(services, str(next(_ids)))
    await d.send("Привезли разбитую кружку, очень обидно")
    await d.send("На фото видно, что ручки нет", photo=True)
    assert not d.buttons[-1], d.replies[-1]  # the order number is still awaited
    # a waived number is not listed again after /start
    e = Dialogue(services, str(next(_ids)))
    await e.send("Привезли разбитую кружку, очень обидно")
    await e.send("номера заказа у меня нет")
    await e.send("/start")
    assert "номер заказа" not in " ".join(e.replies[-1]), e.replies[-1]
    # a price said "actually" does not replace a short order number
    f = Dialogue(services, str(next(_ids)))
    await f.send("Заказ 45112: лампа пришла с разбитым плафоном")
    await f.send("на самом деле я заплатила 4500 рублей")
    assert (await f.state())["known"]["order_ref"] == "45112"
    # thanks for a broken thing replaced is praise
    g = Dialogue(services, str(next(_ids)))
    await g.send("Thank you so much, you replaced my broken mug in two days, great service!")
    assert not g.of("complaint_opened"), g.replies
    # clear English from a customer whose Telegram is in Polish stays English
    h = await say_at(services, str(next(_ids)), "Hello there", language_code="pl")
    assert "Cześć" not in " ".join(r.text for r in h.replies)


@pytest.mark.parametrize(
    ("event", "wish"),
    [
        (
            "My order 5531207 arrived after the birthday party, the gift is useless now",
            "I want money, not a coupon",
        ),
        (
            "Prezent na urodziny przyszedł po imprezie, zamówienie 4428816",
            "chcę pieniądze, nie kupon",
        ),
    ],
)
async def test_money_not_a_coupon_is_no_choice_of_the_coupon(
    services: Services, event: str, wish: str
) -> None:
    """ "I want money, not a coupon" at the compensation offer got the coupon: the refused
    coupon counted as named, and "money" alone was no wish for the money back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(event)
    assert d.of("compensation_offered")
    await d.send(wish)
    assert not d.of("compensation_chosen"), d.replies[-1]
    [esc] = d.of("escalated")
    assert esc["reason"] == "needs_person", esc


async def test_one_compensation_turned_down_and_another_named_is_that_other(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("gift for my wedding came late, order 1234567")
    await d.send("I don't want a coupon, free delivery would be nice")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["free_delivery"], d.replies[-1]


async def test_the_card_says_the_customer_wants_money_instead_of_the_compensation(
    services: Services,
) -> None:
    """The operator taking "не нужен мне промокод, верните деньги" read only "the complaint
    needs a person": what the customer wants had to be dug out of the transcript."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Подарок на день рождения пришёл после праздника, заказ 7720931")
    await d.send("не нужен мне промокод, верните деньги, 2 490 рублей")
    card = d.of("escalated")[0]["card"]
    assert "a refund instead of the compensation offered" in card, card
    assert "amount 2,490 ₽" in card, card


@pytest.mark.parametrize(
    ("first", "fix", "approved", "said", "refunded"),
    [
        # the refund approved at once for 700 ₽, then the real amount is over the limit
        (
            "Списали лишние 700 рублей за заказ 5531207",
            "ой, не 700, а 1700",
            [700.0],
            "1 700 ₽",
            0,
        ),
        # a request filed for 1 700 ₽, then the amount was 170 ₽: approved at once now
        (
            "Списали лишние 1700 рублей за заказ 5531208",
            "ой, не 1700, а 170",
            [170.0],
            "170 ₽",
            170,
        ),
        (
            "You charged me $8 too much for order 5531209",
            "sorry, actually it was $6",
            [8.0, 6.0],
            "$6",
            540,
        ),
        (
            "Pobrano 30 zł za dużo za zamówienie 5531210",
            "pomyłka, nie 30 zł, tylko 25 zł",
            [30.0, 25.0],
            "25 zł",
            575,
        ),
    ],
)
async def test_an_amount_corrected_later_replaces_the_old_one_and_the_refund_follows_it(
    services: Services, first: str, fix: str, approved: list[float], said: str, refunded: int
) -> None:
    """ "ой, не 700, а 1700" after the refund of 700 ₽ was approved got "added to your case":
    the card, the record and the refund kept 700 ₽. The report's goodwill refunds (in
    roubles) count the amount the refund follows, once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check")
    await d.send(fix)
    known = (await d.state())["known"]
    assert known["amount"] == float(re.sub(r"[^\d]", "", said)), (known, d.replies[-1])
    assert [e["amount"] for e in d.of("goodwill_approved")] == approved, d.replies[-1]
    assert said in " ".join(d.replies[-1]).replace("\u00a0", " "), d.replies[-1]
    assert d.of("satisfaction_check")[-1]["turn"] == 1 and not d.of("escalated")
    assert (await d.state())["known"]["order_ref"].startswith("55312")
    from bot.reports import build_report

    async with services.sessionmaker() as session:
        given = (await build_report(session))["compensations"]
    assert given["goodwill_refund_amount"] == refunded, given
    assert given["goodwill_refunds"] == (1 if refunded else 0), given


@pytest.mark.parametrize(
    ("event", "both"),
    [
        ("Gift came late for my mum's birthday, order 5531207", "coupon and free delivery please"),
        ("Подарок опоздал к празднику, заказ 5531207", "давайте скидку и бесплатную доставку"),
        ("Prezent dotarł po urodzinach, zamówienie 5531207", "poproszę rabat i darmową dostawę"),
    ],
)
async def test_two_compensations_asked_for_are_told_it_is_one_of_them(
    services: Services, event: str, both: str
) -> None:
    """ "coupon and free delivery please" at the offer got the FAQ's delivery prices, and the
    offer hung unanswered; it is one of them, so the customer is asked which."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(event)
    await d.send(both)
    assert not d.of("faq_answered") and not d.of("compensation_chosen"), d.replies[-1]
    assert any(b.startswith("cmp:comp:") for b in d.buttons[-1]), d.replies[-1]
    await d.send(button="cmp:comp:coupon")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["coupon"]


async def test_a_person_announced_by_the_flow_is_not_announced_twice(services: Services) -> None:
    # "Извините, что пока не получилось. Передаю ваше обращение коллеге…" was followed by
    # "Подключаю коллегу. Он уже видит всё…": the same news twice; now only when they answer
    user = str(next(_ids))
    wed_12_msk = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    await say_at(services, user, "Заказ 778899 опаздывает уже на неделю", wed_12_msk)
    out = await say_at(services, user, "нет, это не решение", wed_12_msk + timedelta(minutes=2))
    texts = [r.text for r in out.replies]
    assert [e["reason"] for e in out.events if e["type"] == "escalated"] == ["fix_not_helped"]
    assert len(texts) == 2 and "коллеге" in texts[0], texts
    assert "Подключаю" not in texts[1] and "Ответ будет здесь" in texts[1], texts


@pytest.mark.parametrize(
    ("event", "question", "told"),
    [
        (
            "Заказ 5566778 с подарком ко дню рождения привезли только сегодня, праздник прошёл",
            "а сколько скидка?",
            "15%",
        ),
        ("gift for my wedding came late, order 1234567", "how many free deliveries?", "3"),
        ("Prezent na urodziny przyszedł po imprezie, zamówienie 4428816", "a jaki rabat?", "15%"),
    ],
)
async def test_a_question_about_a_compensation_is_answered_not_taken_as_the_choice(
    services: Services, event: str, question: str, told: str
) -> None:
    """ "а сколько скидка?" at the offer of a coupon, free delivery or a gift gave the
    coupon: naming it in a question counted as choosing it. The question is answered (what
    the coupon is worth) and the offer stands; the next answer chooses."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(event)
    assert d.of("compensation_offered"), d.replies
    await d.send(question)
    assert not d.of("compensation_chosen") and not d.of("escalated"), d.replies[-1]
    assert told in d.replies[-1][0] and len(d.replies[-1]) == 2, d.replies[-1]
    await d.send(
        "ok, the gift then" if "gift" in event else "подарок" if "Заказ" in event else "prezent"
    )
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["gift"], d.replies[-1]


@pytest.mark.parametrize(
    ("story", "question", "option"),
    [
        (
            "Пришёл разбитый чайник, заказ 5531207, фото сейчас пришлю",
            "а сколько ждать возврат денег?",
            "refund",
        ),
        (
            "My kettle from order 5531207 arrived broken",
            "how long does a replacement take?",
            "replacement",
        ),
    ],
)
async def test_a_question_about_one_fix_is_answered_not_taken_as_the_choice(
    services: Services, story: str, question: str, option: str
) -> None:
    """ "how long does a replacement take?" at "replacement or refund?" chose the
    replacement (two options weighed up were answered, one was taken as the choice). It is
    answered with that fix's time and the offer stands."""
    d = Dialogue(services, str(next(_ids)))
    await to_fix_offer(d, story)
    await d.send(question)
    assert not d.of("fix_chosen") and not d.of("escalated"), d.replies[-1]
    await d.send(option)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]


async def test_each_of_two_cases_gets_its_follow_up_one_at_a_time(services: Services) -> None:
    """Two late parcels told one after the other: only the second was followed up (the
    first one's follow-up found another case in the chat and was dropped). Each is asked
    about now, the earlier first, with its own order, and not both at once."""
    from escalation.followup import check_follow_ups

    user = str(next(_ids))
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    await say_at(services, user, "Посылка по заказу 7781420 опаздывает на неделю", now)
    await say_at(services, user, None, now, callback_data="cmp:sat:yes")
    later = now + timedelta(hours=1)
    await say_at(services, user, "И посылка по заказу 6650299 тоже опаздывает уже неделю", later)
    await say_at(services, user, None, later, callback_data="cmp:sat:yes")

    async def asked_about(at: datetime) -> list[str]:
        with contextlib.suppress(RuntimeError):  # no Telegram: the question stays stored
            counts = await check_follow_ups(NoTelegram(), services, now=at)
            assert counts["skipped"] == 0, counts
        async with services.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(Message)
                    .where(Message.direction == "out", Message.buttons.is_not(None))
                    .order_by(Message.id)
                )
            ).all()
        return [r.text for r in rows if "cmp:fu:yes" in str(r.buttons)]

    first = await asked_about(now + timedelta(days=20))
    assert len(first) == 1 and "7781420" in first[0], first
    out = await say_at(services, user, "да, всё привезли", now + timedelta(days=20, minutes=5))
    assert "follow_up_ok" in [e["type"] for e in out.events]
    both = await asked_about(now + timedelta(days=20, minutes=10))
    assert len(both) == 2 and "6650299" in both[1], both
    out = await say_at(services, user, "нет, так и не пришла", now + timedelta(days=20, minutes=15))
    [esc] = [e for e in out.events if e["type"] == "escalated"]
    card = esc["card"]
    assert "Details: order 6650299" in card and "about order 6650299" in card, card


async def test_the_hand_off_card_ends_with_what_the_bot_told_the_customer(
    services: Services,
) -> None:
    """The card in the hand-off event (what `supportbot simulate` and the Rasa actions
    show) was made mid-turn: its transcript lacked the bot's own answer of that turn ("I'm
    passing your case to a colleague..."), so the operator did not see what the customer
    had been promised."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Позовите оператора, пожалуйста")
    [esc] = d.of("escalated")
    transcript = esc["card"].split("Transcript:")[1]
    assert all(reply[:40] in transcript for reply in d.replies[-1]), (d.replies[-1], transcript)


async def test_the_queue_says_long_waits_in_hours_and_days(services: Services) -> None:
    """'4320 min' for a ticket waiting three days: the queue now says '3 d'."""
    from bot.handlers.operators import queue_text

    user = str(next(_ids))
    await say_at(
        services,
        user,
        "Позовите оператора, пожалуйста",
        utcnow() - timedelta(days=3, minutes=1),
    )
    async with services.sessionmaker() as session:
        queue = await queue_text(session)
    assert ", waiting 3 d, unassigned" in queue and "min" not in queue, queue


async def test_the_queue_says_how_long_the_customer_has_waited_not_the_tickets_age(
    services: Services,
) -> None:
    """A ticket opened three days ago, answered, whose customer asked again 20 minutes ago
    read '3 d' in /queue, as did one whose customer had their answer and said thanks: the
    lead could not tell who was waiting, nor for how long. The queue says how long the
    customer has waited since their last unanswered message, or that they have an answer,
    and the customers waiting come first."""
    from bot.handlers.operators import queue_text

    now = utcnow()
    asked, thanked = str(next(_ids)), str(next(_ids))
    for user in (thanked, asked):
        await say_at(services, user, "Позовите оператора, пожалуйста", now - timedelta(days=3))
        ticket = await the_ticket(services, user)
        async with services.sessionmaker() as session:  # Olga's answer, as the topic records it
            session.add(
                Message(
                    conversation_id=ticket.conversation_id,
                    direction="operator",
                    text="Возврат оформлен",
                    author_id=501,
                    created_at=now - timedelta(days=2),
                )
            )
            await session.commit()
    await say_at(services, thanked, "Спасибо!", now - timedelta(days=2) + timedelta(minutes=5))
    await say_at(services, asked, "А когда вернутся деньги?", now - timedelta(minutes=20))
    async with services.sessionmaker() as session:
        queue = await queue_text(session)
    lines = queue.splitlines()[1:]
    first, second = (await the_ticket(services, asked)).id, (await the_ticket(services, thanked)).id
    assert lines[0].startswith(f"#{first} ") and "waiting 20 min" in lines[0], queue
    assert lines[1].startswith(f"#{second} ") and "answered 2 d ago" in lines[1], queue
    assert "3 d" not in queue, queue


@pytest.mark.parametrize(
    ("story", "answer", "option"),
    [
        (
            "Kubek z zamówienia 8800001 przyszedł rozbity, ucho odpadło",
            "wymienic prosze",
            "replacement",
        ),
        (
            "Kubek z zamówienia 8800002 przyszedł rozbity, ucho odpadło",
            "wymieńcie go",
            "replacement",
        ),
        ("Kubek z zamówienia 8800003 przyszedł rozbity, ucho odpadło", "oddajcie kase", "refund"),
        (
            "Kubek z zamówienia 8800004 przyszedł rozbity, ucho odpadło",
            "chce pieniadze z powrotem",
            "refund",
        ),
        ("W paczce brakuje kabla do ładowarki, zamówienie 8800005", "dosłanie", "resend"),
        ("W paczce brakuje kabla do ładowarki, zamówienie 8800006", "doslijcie", "resend"),
        (
            "W paczce brakuje kabla do ładowarki, zamówienie 8800007",
            "wyslijcie brakujacy kabel",
            "resend",
        ),
        ("W paczce brakuje kabla do ładowarki, zamówienie 8800008", "prosze doslac", "resend"),
    ],
)
async def test_a_polish_fix_said_as_a_verb_or_without_diacritics_is_taken(
    services: Services, story: str, answer: str, option: str
) -> None:
    """Offered 'Wymiana towaru / Zwrot pieniędzy / ...', a Polish customer who wrote
    'wymieńcie go', 'oddajcie kasę', 'doślijcie' or even 'dosłanie' (the button's own word)
    was asked to pick again ('Wybierz po prostu najwygodniejszą opcję'), or told there was no
    ready answer to that question; the fix is taken."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    if "rozbity" in story:
        await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies
    await d.send(answer)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]
    assert d.of("satisfaction_check"), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "problem", "ctype"),
    [
        (None, "nie dostalam paczki", "delivery_delay"),
        (None, "kurier nie przyjechal", "delivery_delay"),
        (None, "przesyłka nie doszła", "delivery_delay"),
        (None, "nie działa", "damaged_defective"),
        (None, "dostalam zly rozmiar", "wrong_item"),
        ("mam problem z zamowieniem", "paczka nie doszla", "delivery_delay"),
        ("Cześć, mam problem", "brakuje jednej czesci", "missing_item"),
        ("mam reklamację", "nie wlacza sie", "damaged_defective"),
        ("mam problem", "nie ten kolor", "wrong_item"),
    ],
)
async def test_a_problem_told_in_a_few_polish_words_is_a_complaint(
    services: Services, opening: str | None, problem: str, ctype: str
) -> None:
    """'nie dostałam paczki', 'paczka nie doszla', 'nie działa', 'dostałam zły rozmiar', also as
    the answer to 'Co się stało?': read as a "no" ('Rozumiem. Co w takim razie mogę dla Ciebie
    zrobić?') or as a question ('Nie mam gotowej odpowiedzi na to pytanie'). It is the
    complaint it is: thanks, an apology, and what is needed to fix it."""
    d = Dialogue(services, str(next(_ids)))
    if opening:
        await d.send(opening)
        assert d.of("clarify"), d.replies
    await d.send(problem)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], d.replies[-1]
    reply = " ".join(d.replies[-1])
    assert thanks_before_apology(reply), reply
    assert "order_ref" in [e["slot"] for e in d.of("asked_for")], reply
    assert "Co w takim razie" not in reply and "pytanie" not in reply, reply


@pytest.mark.parametrize(
    "text", ["nie, dziękuję", "nie wiem", "nie trzeba", "Co zrobić, jeśli paczka nie doszła?"]
)
async def test_a_polish_no_or_question_is_no_complaint(services: Services, text: str) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert not d.of("complaint_opened"), d.replies


@pytest.mark.parametrize(
    ("story", "wish", "option"),
    [
        (
            "Przyszła bluza w złym rozmiarze, zamawiałam M a dostałam XL, zamówienie 5531200",
            "moze byc wymiana",
            "replacement",
        ),
        ("Kubek z zamówienia 5531201 przyszedł rozbity, ucho odpadło", "wolę zwrot", "refund"),
        ("The kettle from order 5531202 arrived cracked", "a refund please", "refund"),
    ],
)
async def test_a_fix_named_while_a_detail_is_awaited_is_not_offered_again(
    services: Services, story: str, wish: str, option: str
) -> None:
    """Asked for a photo, the customer said which fix they want ('może być wymiana'): the bot
    answered 'Jestem tutaj, napisz, kiedy będzie Ci wygodnie' and, once the photo came, asked
    them to choose the fix all over again. The wish is noted, and with the photo it is done."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies
    await d.send(wish)
    reply = " ".join(d.replies[-1])
    assert not d.of("fix_chosen") and "Jestem tutaj" not in reply, reply
    assert "zdjęcie" in reply or "photo" in reply, reply  # still welcome, said once more
    await d.send(photo=True)
    assert not any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]
    assert d.of("satisfaction_check")
    assert_never_reasked(d)


@pytest.mark.parametrize(
    ("story", "answer", "other"),
    [
        (
            "Paczka z zamówienia 5566123 spóźnia się tydzień",
            "tak, ale kurier był też niemiły",
            "staff_behavior",
        ),
        (
            "My parcel for order 5566124 is a week late",
            "yes, but the courier was rude too",
            "staff_behavior",
        ),
        (
            "Paczka z zamówienia 5566125 spóźnia się tydzień",
            "ok. a strona wam się ciągle wywala przy płatności",
            "website_app",
        ),
    ],
)
async def test_a_yes_that_tells_another_problem_passes_it_on(
    services: Services, story: str, answer: str, other: str
) -> None:
    """'Czy takie rozwiązanie Ci odpowiada?' - 'tak, ale kurier był też niemiły': the case was
    closed with 'Świetnie! Dziękuję za cierpliwość' and the rude courier was lost. The yes
    closes the case, and the courier is recorded and passed on, with thanks and an apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert d.of("resolved"), d.replies[-1]
    assert [e["complaint_type"] for e in d.of("complaint_also_recorded")] == [other]
    assert any(thanks_before_apology(r) for r in d.replies[-1]), d.replies[-1]
    async with services.sessionmaker() as session:
        types = (await session.scalars(select(Complaint.complaint_type))).all()
    assert other in types, types


@pytest.mark.parametrize(
    ("story", "answer", "noted"),
    [
        ("Заказ 5566131 опаздывает на 3 дня", "да, но мне он нужен к пятнице", "добавил"),
        ("My order 5566132 is 3 days late", "yes, but I need it by Friday", "added"),
        ("Zamówienie 5566133 spóźnia się 3 dni", "tak, ale potrzebuję go na piątek", "dodałem"),
    ],
)
async def test_a_yes_with_a_but_keeps_what_was_said_after_it(
    services: Services, story: str, answer: str, noted: str
) -> None:
    """'Такое решение вам подходит?' - 'да, но мне он нужен к пятнице': 'Отлично! Спасибо за
    терпение' and the Friday was lost. The yes closes the case, and what came after the 'but'
    is added to it (the team sees it), said so."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert d.of("resolved"), d.replies[-1]
    assert noted in " ".join(d.replies[-1]), d.replies[-1]
    async with services.sessionmaker() as session:
        details = (await session.scalars(select(Complaint.details))).all()
    assert any(answer.split(maxsplit=2)[-1][:12] in str(x) for x in details), details


async def test_a_yes_but_thanks_is_only_a_yes(services: Services) -> None:
    """'да, но спасибо вам большое' is thanks after the 'but': nothing to add to the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 5566134 опаздывает на 3 дня")
    await d.send("да, но спасибо вам большое")
    assert d.of("resolved") and "добавил" not in " ".join(d.replies[-1]), d.replies[-1]


async def test_a_yes_that_tells_a_new_product_problem_opens_its_case(services: Services) -> None:
    """'tak, ale w paczce brakowało też podstawki' after the broken mug's replacement: the
    missing saucer was lost in 'Świetnie! Dziękuję za cierpliwość'. The mug's case is closed
    and the saucer gets a case of its own (same order, nothing asked again)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Kubek z zamówienia 5566126 przyszedł rozbity, ucho odpadło")
    await d.send(photo=True)
    await d.send(button="cmp:opt:replacement")
    await d.send("tak, ale w paczce brakowało też podstawki")
    assert d.of("resolved")
    opened = [e["complaint_type"] for e in d.of("complaint_opened")]
    assert opened == ["damaged_defective", "missing_item"], d.replies[-1]
    assert "5566126" in " ".join(d.replies[-1]) or any(
        b.startswith("cmp:opt:") for b in d.buttons[-1]
    ), d.replies[-1]
    assert_never_reasked(d)
    assert "survey_csat" not in str(d.buttons[-1]) and "sv:csat:1" not in d.buttons[-1]


@pytest.mark.parametrize(
    "answer",
    ["tak sobie", "srednio", "tak średnio", "no średnio", "bez rewelacji", "so-so", "так себе"],
)
async def test_a_so_so_answer_to_the_satisfaction_check_is_no_yes(
    services: Services, answer: str
) -> None:
    """'Czy takie rozwiązanie Ci odpowiada?' - 'tak sobie' ('so-so'): the bot said 'Świetnie!
    Dziękuję za cierpliwość', closed the case as solved and asked for a rating. A so-so is not
    a yes: the case stays unsolved and goes to a person, with an apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Paczka z zamówienia 5566130 spóźnia się tydzień")
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert not d.of("resolved"), d.replies[-1]
    assert "Świetnie" not in " ".join(d.replies[-1]), d.replies[-1]
    assert d.of("escalated") and SORRY.search(" ".join(d.replies[-1])), d.replies[-1]


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("wole kupon", "coupon"),
        ("kupon poproszę", "coupon"),
        ("moze byc znizka", "coupon"),
        ("obojetnie", "coupon"),
        ("bez roznicy", "coupon"),
        ("wszystko jedno", "coupon"),
    ],
)
async def test_a_polish_compensation_answer_is_read(
    services: Services, answer: str, kind: str
) -> None:
    """Offered '15% rabatu / Darmowa dostawa ×3 / Prezent', a customer who wrote 'wolę kupon'
    (a 'kupon' is what Poles call a discount coupon), 'obojetnie' or 'bez roznicy' (typed
    without diacritics) was asked again to pick one."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Prezent na urodziny przyszedł po imprezie, zamówienie 4428816")
    assert any(b.startswith("cmp:comp:") for b in d.buttons[-1]), d.replies
    await d.send(answer)
    assert [e["kind"] for e in d.of("compensation_chosen")] == [kind], d.replies[-1]


@pytest.mark.parametrize(
    "correction",
    [
        "zly numer, chodzi o 5566132",
        "błędny numer, powinno być 5566132",
        "chodzi o 5566132",
        # a no and the right number alone was "not satisfied", and a person got the old one
        "nie, 5566132",
        "nie, numer 5566132",
    ],
)
async def test_a_polish_wrong_number_correction_is_taken(
    services: Services, correction: str
) -> None:
    """'zły numer, chodzi o 5566132' after the late parcel was passed on: 'Chyba nie do końca
    rozumiem' and the team kept the wrong order. The number is corrected and said back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Paczka z zamówienia 5566123 spóźnia się tydzień")
    assert d.of("satisfaction_check")
    await d.send(correction)
    assert not d.of("fallback"), d.replies[-1]
    assert (await d.state())["known"]["order_ref"] == "5566132"
    assert "5566132" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("answer", "option"),
    [
        ("второй вариант", "refund"),
        ("the first one", "replacement"),
        ("ta trzecia opcja", "repair"),
        ("obojętnie", "replacement"),
        ("2", "refund"),
    ],
)
async def test_a_fix_chosen_by_its_place_in_the_offer_is_that_fix(
    services: Services, answer: str, option: str
) -> None:
    """ "второй вариант", "the first one", "pierwsza opcja" or "obojętnie" at "replacement /
    refund / repair?" got the offer again (and, twice, a person): the options were read by
    their words only. An answer naming the place picks it; indifference takes the first."""
    d = Dialogue(services, str(next(_ids)))
    assert await to_fix_offer(d, KETTLE) == [
        "cmp:opt:replacement",
        "cmp:opt:refund",
        "cmp:opt:repair",
    ], d.replies
    await d.send(answer)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]


async def test_a_compensation_chosen_by_its_place_is_that_one(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Prezent na urodziny przyszedł po imprezie, zamówienie 4428816")
    assert d.of("compensation_offered")
    await d.send("ta druga")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["free_delivery"], d.replies[-1]


async def test_firstly_is_no_choice_of_the_first_fix(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await to_fix_offer(d, KETTLE)
    await d.send("во-первых, это уже второй раз")
    assert not d.of("fix_chosen"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "agree"),
    [
        ("Zamówienie 223311 spóźnia się tydzień", "tak"),
        ("Заказ 223311 опаздывает на неделю", "ок"),
    ],
)
async def test_a_yes_to_the_rating_question_is_shown_how_to_rate(
    services: Services, complaint: str, agree: str
) -> None:
    """ "tak" to "rate us from 1 to 5" got "Dobrze. Czy coś jeszcze?" and the survey was
    quietly dropped. The customer is shown how to answer once (the number buttons again);
    the number then counts."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send("да" if "Заказ" in complaint else "tak")
    assert d.of("resolved") and "sv:csat:5" in d.buttons[-1]
    await d.send(agree)
    assert "sv:csat:5" in d.buttons[-1] and ("1" in d.replies[-1][0] and "5" in d.replies[-1][0])
    await d.send("4")
    assert [(e["question"], e["score"]) for e in d.of("survey_answer")] == [("csat", 4)]
    assert "sv:nps:10" in d.buttons[-1], d.replies[-1]


@pytest.mark.parametrize("answer", ["нет, 5512323", "no, it's 5512323"])
async def test_a_no_with_the_right_order_number_corrects_it(
    services: Services, answer: str
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send(
        "Заказ 5512300 опаздывает на неделю" if "нет" in answer else "Order 5512300 is a week late"
    )
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert not d.of("escalated"), d.replies[-1]
    assert (await d.state())["known"]["order_ref"] == "5512323", d.replies[-1]


async def test_a_fix_wished_before_a_hand_off_is_on_the_card(services: Services) -> None:
    """ "wolę zwrot" while the photo was awaited, then "poproszę konsultanta": the card did
    not say which fix the customer wanted (only the transcript did)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Kubek z zamówienia 5531201 przyszedł rozbity, ucho odpadło")
    await d.send("wolę zwrot")
    assert d.of("fix_wished"), d.replies[-1]
    await d.send("poproszę konsultanta")
    [esc] = d.of("escalated")
    head = esc["card"].split("Transcript:")[0]
    assert "would like a refund" in head, head


@pytest.mark.parametrize(
    ("first", "sent", "said"),
    [
        ("Здравствуйте, заказ 123456 пришел разбитый, кружка треснула", "вот фото", "не вижу"),
        ("Hi, order 123456 arrived broken, the mug is cracked", "here is the photo", "can't see"),
        (
            "Dzień dobry, zamówienie 123456 przyszło rozbite, kubek pęknięty",
            "przesyłam zdjęcie",
            "nie widzę",
        ),
    ],
)
async def test_a_photo_said_to_be_sent_that_did_not_arrive_is_asked_for_again(
    services: Services, first: str, sent: str, said: str
) -> None:
    # "вот фото" with nothing attached: the photo got lost on the way; the customer is told
    # so (not "I'm here whenever you're ready"), and it is not taken as going on without it
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("asked_for")[-1]["slot"] == "photo"
    await d.send(sent)
    assert said in " ".join(d.replies[-1]).lower()
    assert not d.of("fix_chosen") and not d.of("escalated")
    await d.send(photo=True)
    assert d.buttons[-1] or d.of("fix_chosen")  # the case goes on with the photo


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        (
            "Заказ 778812: списали деньги дважды! Это безобразие, я иду к юристу.",
            r"сразу|сейчас|уже занимаюсь",
        ),
        (
            "I was charged twice for order 778812. Ridiculous, I'll contact my lawyer.",
            r"right away|right now|straight away",
        ),
        ("Zamówienie 778812: pobraliście pieniądze dwa razy! Idę do prawnika.", r"od razu"),
    ],
)
async def test_a_legal_threat_is_answered_without_saying_at_once_twice(
    services: Services, office_hours: None, text: str, urgent: str
) -> None:
    # "I'm on it right away. I'm passing your case to a senior manager straight away" read
    # like a form; both apology variants are tried (they rotate per conversation)
    for _ in range(2):
        d = Dialogue(services, str(next(_ids)))
        await d.send(text)
        assert d.of("escalated")[0]["reason"] == "legal_threat"
        said = " ".join(d.replies[0]).lower()
        assert len(re.findall(urgent, said)) <= 1, said


@pytest.mark.parametrize(
    ("turns", "said"),
    [
        (["хочу отменить заказ 443322"], "отмен"),
        (["Можно отменить заказ 443322?"], "отмен"),
        (["Please change the delivery address for order 443322 to Main St 5"], "change"),
        (["Zmieńcie proszę adres dostawy w zamówieniu 443322"], "zmieni"),
        (["I want to cancel my order", "443322"], "cancel"),
        (["Передумал, хочу отказаться от заказа 443322, он ещё не отправлен"], "отмен"),
        (["Rezygnuję z zamówienia 443322, proszę je anulować"], "anulow"),
        (["Rezygnuję z zamówienia 443322"], "anulow"),
        (["I no longer want order 443322, please don't send it"], "cancel"),
    ],
)
async def test_a_request_to_cancel_or_change_an_order_is_passed_on_as_that(
    services: Services, turns: list[str], said: str
) -> None:
    # not "a colleague who can see its status", not a complaint with an apology and "does
    # that solve it?": a person who can change the order gets the request, with the number
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text)
    [esc] = d.of("escalated")
    assert esc["reason"] == "order_change" and "443322" in esc["card"]
    assert not d.of("complaint_opened") and not d.of("satisfaction_check")
    text = d.all_text().lower()
    assert said in text and "status" not in text and "статус" not in text
    assert not SORRY.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "не отправляйте мне больше письма о заказах",
        "nie wysyłajcie mi SMS-ów o zamówieniu",
        "please don't send the order confirmation emails to my old address",
    ],
)
async def test_messages_not_wanted_are_no_cancellation(services: Services, text: str) -> None:
    """'don't send it' cancels an order; 'don't send me emails about orders' does not."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert "order_change" not in [e["reason"] for e in d.of("escalated")], d.replies[-1]


async def test_a_cancellation_because_of_a_problem_is_still_a_complaint(
    services: Services,
) -> None:
    # "cancel it, it's been a month!": the delay is the case (with a refund on offer)
    d = Dialogue(services, str(next(_ids)))
    await d.send("Отмените заказ 443322, он уже месяц не доставлен!")
    assert d.of("complaint_opened") and not d.of("escalated")


@pytest.mark.parametrize("emoji", ["😡😡😡", "😢", "👎👎", "🤬!!!"])
async def test_an_upset_emoji_alone_is_asked_what_happened_not_not_understood(
    services: Services, emoji: str
) -> None:
    # "😡😡😡" got "I didn't quite understand, please rephrase" (and a second one a person
    # "because the bot did not understand"): it is plain enough that something went wrong
    d = Dialogue(services, str(next(_ids)))
    await d.send("Здравствуйте")
    await d.send(emoji)
    assert not d.of("fallback") and not d.of("escalated")
    assert d.of("clarify") and "что случилось" in " ".join(d.replies[-1])
    await d.send("заказ 998877 так и не пришёл")
    assert d.of("complaint_opened")


async def test_asking_for_the_fix_already_arranged_gets_it_restated_not_off_topic(
    services: Services,
) -> None:
    # "whatever, just give me my money" to "is that OK?" after the refund was filed got
    # "I'm only good at shop matters"
    d = Dialogue(services, str(next(_ids)))
    await d.send("I returned the shoes 3 weeks ago and still no refund!")
    await d.send("order 99812, 120 EUR")
    assert d.of("satisfaction_check")
    await d.send("whatever, just give me my money")
    said = " ".join(d.replies[-1])
    assert not d.of("fallback") and "shop matters" not in said
    assert "99812" in said and "exactly" in said.lower()
    await d.send("fine")
    assert d.of("resolved")


@pytest.mark.parametrize(
    "told",
    [
        "no thanks, I just want you to know",
        "нет, ничего не нужно, просто хотел, чтобы вы знали",
        "nie trzeba, chciałem tylko dać znać",
    ],
)
async def test_just_letting_the_shop_know_is_not_taken_as_unhappy(
    services: Services, told: str
) -> None:
    # "no thanks, I just want you to know" after a rude courier was passed on: the customer
    # wanted it known, not a person "because the fix did not help"
    d = Dialogue(services, str(next(_ids)))
    await d.send("The courier was super rude to me today, order 7712")
    assert d.of("satisfaction_check")
    await d.send(told)
    assert d.of("resolved") and not d.of("escalated")


@pytest.mark.parametrize(
    ("problem", "where"),
    [
        ("Посылка не пришла, заказ 4471234", "Ну и где?"),
        ("My parcel never arrived, order 5512345", "so where is it?"),
        ("Paczka nie dotarła, zamówienie 6612345", "No i gdzie?"),
    ],
)
async def test_so_where_is_it_at_is_that_ok_is_not_a_yes(
    services: Services, problem: str, where: str
) -> None:
    """'Ну и где?' at 'Такое решение вам подходит?' (a "yes" to the model) closed the case as
    solved and asked for a rating: the parcel is still not here. Not satisfied: a person,
    with everything said."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(where)
    assert not d.of("resolved") and d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "done"),
    [
        ("Посылка не пришла, заказ 4471234", "Нет, больше ничего"),
        ("My parcel never arrived, order 5512345", "no thanks, nothing else"),
        ("Paczka nie dotarła, zamówienie 6612345", "Nie, nic więcej"),
    ],
)
async def test_nothing_more_at_is_that_ok_closes_the_case(
    services: Services, problem: str, done: str
) -> None:
    """'Нет, больше ничего' at 'Так вас устроит?' (nothing more needed: a "no" to the model)
    passed the case to a person as not solved. It closes it as solved."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(done)
    assert d.of("resolved") and not d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "asked", "within"),
    [
        ("I was charged twice for order 5512348", "how long will it take?", "10 working days"),
        ("Посылка не пришла, заказ 4471234", "А сколько ждать?", "24 час"),
    ],
)
async def test_how_long_at_is_that_ok_gets_the_promise_without_still_here(
    services: Services, problem: str, asked: str, within: str
) -> None:
    """'how long will it take?' at 'Does that solve it for you?' got 'Still here, no worries.
    Here's where it stands:', an answer to 'are you there?', not to the question: the promise,
    with its time, and nothing more."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(asked)
    said = " ".join(d.replies[-1])
    assert within in said and not re.search(r"Still here|Я на связи|Я здесь|🙂", said), said


@pytest.mark.parametrize("closed", [False, True])
async def test_a_general_how_long_question_after_a_case_gets_its_answer(
    shop: Services, closed: bool
) -> None:
    """A rude courier passed on (an answer promised within 48 hours), then "How long do I
    have to return shoes?" - at "Does that solve it for you?" or once the case was closed,
    for the two days the promise runs - got "Still here, no worries. Here's where it
    stands:" and the promise again, never the answer. A question about the shop in general
    is answered; "а когда точно привезут?" still gets where the case stands."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send("The courier was rude to me, order 5512323")
    assert d.of("satisfaction_check")
    if closed:
        await d.send(button="cmp:sat:yes")
    await d.send("How long do I have to return shoes?")
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["return_period"], d.replies[-1]
    assert not any("where it stands" in t for t in d.replies[-1]), d.replies[-1]
    assert not d.of("escalated")
    if not closed:  # the case still waits for its yes or no
        await d.send(button="cmp:sat:yes")
        assert d.of("resolved")


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (
            "Hej, kurier zostawił paczkę pod drzwiami i ktoś ją ukradł. Zamówienie 445566",
            "nie mam zdjęcia, paczki po prostu nie ma",
        ),
        (
            "Курьер оставил посылку у двери, и её украли. Заказ 445566",
            "нет фото, посылки просто нет",
        ),
    ],
)
async def test_no_photo_told_at_is_that_ok_is_a_detail_not_a_no(
    services: Services, first: str, then: str
) -> None:
    # "nie mam zdjęcia..." begins with "nie" and was read as "no, that does not suit me":
    # "Sorry it's still not right", and a person
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check")
    await d.send(then)
    assert not d.of("escalated") and not d.of("reopened")
    assert d.of("details_added")


@pytest.mark.parametrize("answer", ["хз", "ну хз", "не знаю", "посмотрим", "без понятия"])
async def test_a_russian_dont_know_at_is_that_ok_waits(services: Services, answer: str) -> None:
    """'Так вас устроит?' - 'ну хз' got 'Приветствую! Чем могу помочь?...' (a greeting), 'не
    знаю' a 'sorry it didn't work out' and a person, 'посмотрим' 'Отлично!' and the case
    closed as solved. Each is no verdict yet: the bot says it will see, the case waits."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 778899 опаздывает уже на неделю")
    assert d.of("satisfaction_check")
    await d.send(answer)
    said = " ".join(d.replies[-1])
    assert d.of("satisfaction_pending"), said
    assert not d.of("escalated") and not d.of("resolved"), said
    assert "Приветствую" not in said and "Отлично" not in said, said


@pytest.mark.parametrize("answer", ["ну такое", "такое себе", "ну такое себе..."])
async def test_a_russian_meh_at_is_that_ok_is_no_yes(services: Services, answer: str) -> None:
    """'ну такое' ('meh') to 'Так вас устроит?' got 'Отлично! Спасибо за терпение' and the case
    closed as solved; like 'так себе' it is no yes: a person, with an apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 778899 опаздывает уже на неделю")
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert not d.of("resolved"), d.replies[-1]
    assert d.of("escalated") and SORRY.search(" ".join(d.replies[-1])), d.replies[-1]


@pytest.mark.parametrize(
    "turns",
    [
        ["здраствуйте мне не пришол заказ уже 2 недели жду номер заказа 44 78 123"],
        ["не пришла посылка", "44 78 123"],
        ["не пришла посылка", "вот номер 447 812 3"],
    ],
)
async def test_an_order_number_in_groups_of_digits_is_the_order_number(
    services: Services, turns: list[str]
) -> None:
    """'номер заказа 44 78 123' (the number as read out or copied from a receipt) was not seen:
    the bot asked for the number it had been given, and a grouped number sent when asked got
    'Я здесь, жду, когда будет удобно.' The digits are the order number."""
    d = Dialogue(services, str(next(_ids)))
    for turn in turns:
        await d.send(turn)
    promised = d.of("promised")
    assert promised and "4478123" in promised[0]["text"], d.replies
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"] * (len(turns) - 1)


async def test_more_about_the_problem_while_a_detail_is_awaited_is_noted_not_waited_on(
    services: Services,
) -> None:
    """Asked for the order number, 'а должен был вчера' got 'Я здесь, жду, когда будет
    удобно.' and 'номер щас найду' the very same sentence again. What they add about the
    problem is noted, and the bot never says the same thing twice in a row."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("мой заказ так и не пришел")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("а должен был вчера")
    assert "жду" not in " ".join(d.replies[-1]), d.replies[-1]
    assert "вчера" in (await d.state())["known"].get("description", "")
    await d.send("вот 4471122")
    assert "4471122" in d.of("promised")[0]["text"]
    assert_never_reasked(d)
    d = Dialogue(services, str(next(_ids)))
    await d.send("мой заказ так и не пришел")
    await d.send("номер щас найду")
    await d.send("секунду")
    assert d.replies[-1] != d.replies[-2], d.replies
    await d.send("вот 4471122")
    assert "4471122" in d.of("promised")[0]["text"]


async def test_where_is_my_money_while_the_order_number_is_awaited_is_not_brushed_off(
    services: Services,
) -> None:
    """'где мои деньги???' right after the bot asked for the order number got 'Я здесь, жду,
    когда будет удобно.', as if nothing had been asked. It is told the refund is looked into
    as soon as the number comes (said, not asked again)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("вернул товар 3 недели назад а деньги так и не пришли")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("где мои деньги???")
    reply = " ".join(d.replies[-1])
    assert "номер заказа" in reply and "жду, когда" not in reply, reply
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    d = Dialogue(services, str(next(_ids)))
    await d.send("ваш оператор на горячей линии бросил трубку и нахамил")
    await d.send("когда это было? вчера около 5 вечера")
    assert "вчера" in (await d.state())["known"].get("description", ""), d.replies[-1]


@pytest.mark.parametrize(
    "question", ["а что вы сделаете с этим курьером?", "его уволят?", "и что дальше?"]
)
async def test_what_will_you_do_about_it_at_is_that_ok_says_where_the_case_stands(
    services: Services, question: str
) -> None:
    """'Так вас устроит?' after a rude courier was passed on: 'а что вы сделаете с этим
    курьером?' got the FAQ's courier time slots ('При оформлении выберите интервал...') and
    'его уволят?' 'Кажется, я не совсем понял'. The bot says what is being done (the promise)
    and asks again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("ваш курьер мне нахамил, заказ 4478800")
    promise = d.of("promised")[0]["text"]
    await d.send(question)
    said = "\n".join(d.replies[-1])
    assert promise in said and not d.of("faq_answered") and not d.of("fallback"), said
    assert len(d.of("satisfaction_check")) == 2 and not d.of("resolved"), said


async def test_a_complaint_right_after_the_order_number_was_asked_does_not_ask_it_again(
    services: Services,
) -> None:
    """'где мой заказ?' - 'Подскажите, пожалуйста, номер заказа?' - 'уже неделю жду, обещали
    за 3 дня!' opened the complaint with 'помогите мне, пожалуйста: пришлите номер заказа':
    the same question twice running. The complaint now only says it will be sorted as soon as
    the number comes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("где мой заказ?")
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("уже неделю жду, обещали за 3 дня!")
    reply = "\n".join(d.replies[-1])
    assert d.of("complaint_opened") and thanks_before_apology(reply), reply
    assert "номер заказа" in reply and "помогите" not in reply, reply
    assert_never_reasked(d)
    await d.send("4471122")
    assert "4471122" in d.of("promised")[0]["text"], d.replies[-1]


@pytest.mark.parametrize(
    ("csat", "nps", "scores"),
    [
        ("ну четыре наверное", "не знаю, может 7", [4, 7]),
        ("пожалуй 5", "где-то 8", [5, 8]),
        ("ставлю пятёрку", "думаю, 9", [5, 9]),
        # with a thanks or an "of course" the rating was dropped ('Рад помочь!', no NPS)
        ("5, спасибо", "10 конечно", [5, 10]),
        ("на все 5!", "9, спасибо за помощь", [5, 9]),
        ("5 thanks", "10 of course", [5, 10]),
        ("5️⃣", "👍 10", [5, 10]),
        ("na 5, dzięki", "oczywiście 10", [5, 10]),
        # in words, a word of the scale, out of ten ("Кажется, я не совсем понял", the rating
        # lost)
        ("пять звёзд", "десять", [5, 10]),
        ("на троечку", "7", [3, 7]),
        ("średnio", "6", [3, 6]),
        ("10/10", "10", [5, 10]),
        ("8 из 10", "8", [4, 8]),
        ("Отлично!", "9", [5, 9]),
        ("так себе", "5", [3, 5]),
    ],
)
async def test_a_rating_said_with_a_hedge_answers_the_survey(
    services: Services, csat: str, nps: str, scores: list[int]
) -> None:
    """'Оцените нашу помощь от 1 до 5' - 'ну четыре наверное' got 'Кажется, я не совсем
    понял. Переформулируйте...' and the survey was dropped; a rating said with a 'well',
    'probably' or 'I'd say' is the rating."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    assert d.of("resolved")
    await d.send(csat)
    await d.send(nps)
    assert [e["score"] for e in d.of("survey_answer")] == scores, d.replies
    assert not d.of("fallback"), d.replies


@pytest.mark.parametrize(
    "comment",
    [
        "обслуживание ужасное, напишу отзыв на отзовике",
        "slow and useless, I'm leaving a 1-star review on Google",
    ],
)
async def test_a_review_threat_after_a_low_rating_gets_the_angry_customers_gesture(
    services: Services, comment: str
) -> None:
    """'1' - 'Что пошло не так?' - 'обслуживание ужасное, напишу отзыв на отзовике' got
    'Спасибо, что рассказали. Я передал это команде' and nothing else: an angry customer
    threatening a public review gets the apology, the goodwill gesture and a person a tap
    away (the playbook's angry customer), and the comment is kept for the team."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    await d.send("1")
    await d.send(comment)
    assert d.of("survey_comment"), d.replies
    assert [e for e in d.of("compensation_offered") if e.get("gesture")], d.replies[-1]
    assert "topic:human" in d.buttons[-1], d.buttons[-1]


async def test_a_legal_threat_after_a_low_rating_goes_to_a_senior(services: Services) -> None:
    """'1' - 'Что пошло не так?' - 'ужасный сервис, пойду в Роспотребнадзор' was only
    thanked: a legal threat is the activist's, a senior takes the chat at once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    await d.send("1")
    await d.send("ужасный сервис, пойду жаловаться в Роспотребнадзор")
    said = " ".join(d.replies[-1])
    assert d.of("survey_comment"), d.replies
    assert "старшему менеджеру" in said, said
    assert [e for e in d.of("escalated") if e.get("priority") == "high"], d.replies[-1]


@pytest.mark.parametrize(
    ("rating", "second"),
    [
        (["5"], "и ещё, по заказу 7711111 не вернули деньги за возврат"),
        ([], "also order 7711111 still hasn't arrived"),
    ],
)
async def test_another_orders_problem_after_a_resolved_case_is_its_own_case(
    services: Services, rating: list[str], second: str
) -> None:
    """'...', 'да', '5', 'и ещё, по заказу 7711111 не вернули деньги за возврат' got 'Я на
    связи, не переживайте. Вот что сейчас по вашему обращению:' and the first case's
    replacement again: another order's problem is a new case, for that order."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая чашка, заказ 8200002", photo=True)
    await d.send("замену")
    await d.send("да")
    assert d.of("resolved")
    for said in rating:
        await d.send(said)
    await d.send(second)
    assert len(d.of("complaint_opened")) == 2 and not d.of("promise_repeated"), d.replies[-1]
    assert "7711111" in d.of("promised")[-1]["text"], d.replies[-1]


@pytest.mark.parametrize(
    "rating", ["ужасно", "zero stars lol", "ноль. вы худшие", "1/10 would not recommend"]
)
async def test_a_rating_of_terrible_asks_what_went_wrong(services: Services, rating: str) -> None:
    """'ужасно' to the 1-5 question is the lowest rating, and so are 'zero stars lol' (it got
    'Thanks so much for the kind words!') and '1/10 would not recommend' (the topics): what
    went wrong is asked, not how likely the customer is to recommend the shop."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    await d.send(rating)
    assert [e["score"] for e in d.of("survey_answer")] == [1], d.replies
    assert (await d.state())["survey"]["step"] == "why", d.replies[-1]


@pytest.mark.parametrize(
    "answer", ["нет", "не хочу", "нет, спасибо", "не буду оценивать", "нет, всё", "всё, спасибо"]
)
async def test_no_to_the_rating_question_is_taken_kindly(services: Services, answer: str) -> None:
    """'Оцените нашу помощь от 1 до 5' - 'нет' got 'Понял. Что бы вы хотели сделать?', as if
    the customer had turned something down and had to explain what they want. Declining the
    survey is fine: the bot says so and leaves it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    assert "sv:csat:5" in d.buttons[-1]
    await d.send(answer)
    said = " ".join(d.replies[-1])
    assert "Что бы вы хотели" not in said and "Напишите в двух словах" not in said, said
    assert not d.of("survey_answer") and not d.of("complaint_opened")[1:], said
    assert "survey" not in await d.state()


async def test_a_threat_to_leave_that_says_nothing_else_is_asked_what_happened(
    services: Services,
) -> None:
    """'больше никогда у вас ничего не куплю' and nothing else was handed straight to a person
    ('Подключаю коллегу...'); the story that followed ('коробка пришла мятая и внутри
    разбитая тарелка'), the order number and the photo then got no answer while the customer
    waited. The bot thanks, apologises and asks what happened, then runs the playbook for the
    angry customer (the gesture, the details, the fix)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("больше никогда у вас ничего не куплю")
    reply = " ".join(d.replies[-1])
    assert not d.of("escalated") and not d.of("complaint_opened"), reply
    assert thanks_before_apology(reply) and "?" in reply, reply
    await d.send("коробка пришла мятая и внутри разбитая тарелка, заказ 4488776")
    opened = d.of("complaint_opened")
    assert [(e["complaint_type"], e["customer_kind"]) for e in opened] == [
        ("damaged_defective", "angry")
    ], d.replies[-1]
    assert d.of("compensation_offered") and not d.of("escalated"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]


@pytest.mark.parametrize(
    ("threat", "story", "ctype"),
    [
        (
            "напишу про вас отзыв на отзовике",
            "курьер опоздал на 3 дня, заказ 4488111",
            "delivery_delay",
        ),
        ("всё, ухожу к конкурентам", "чайник пришел разбитый, заказ 4488112", "damaged_defective"),
    ],
)
async def test_a_bare_threat_is_asked_what_happened_whatever_the_model_guessed(
    services: Services, threat: str, story: str, ctype: str
) -> None:
    """'напишу про вас отзыв на отзовике' was typed 'billing' by the model, so the late
    courier told next got 'Я оформил заявку на возврат ... в финансовый отдел'; 'всё, ухожу к
    конкурентам' (at 0.31) got 'Кажется, я не совсем понял'. A bare threat is asked what
    happened, and the case follows the answer."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(threat)
    reply = " ".join(d.replies[-1])
    assert not d.of("complaint_opened") and not d.of("fallback"), reply
    assert thanks_before_apology(reply) and "?" in reply, reply
    await d.send(story)
    opened = d.of("complaint_opened")
    assert [(e["complaint_type"], e["customer_kind"]) for e in opened] == [(ctype, "angry")]
    assert "финансов" not in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    "answer", ["номер 4471234, а, нет, 4471243", "4471234 ой нет 4471243", "4471234, нет, 4471243"]
)
async def test_an_order_number_corrected_in_the_same_message_is_the_corrected_one(
    services: Services, answer: str
) -> None:
    """Asked for the order number, 'номер 4471234, а, нет, 4471243' booked the delivery team's
    request for 4471234, the number the customer took back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("посылка не пришла")
    await d.send(answer)
    promised = d.of("promised")
    assert promised and "4471243" in promised[0]["text"], d.replies[-1]
    assert "4471234" not in promised[0]["text"]


@pytest.mark.parametrize(
    "question", ["а замену долго ждать?", "а возврат быстро придёт?", "когда будет замена?"]
)
async def test_a_russian_question_about_how_long_a_fix_takes_is_not_the_choice(
    services: Services, question: str
) -> None:
    """'Заменить товар / Вернуть деньги?' - 'а замену долго ждать?' booked the replacement
    ('Готово: оформил замену...'); like 'как долго?' it is a question: the time is said and
    the offer stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("кроссовки пришли не того размера, заказ 4471003", photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1]
    await d.send(question)
    assert not d.of("fix_chosen"), d.replies[-1]
    assert "5" in " ".join(d.replies[-1]) or "10" in " ".join(d.replies[-1]), d.replies[-1]
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), "the offer stands"
    await d.send("давайте замену")
    assert [e["option"] for e in d.of("fix_chosen")] == ["replacement"], d.replies


@pytest.mark.parametrize(
    ("text", "ctype"),
    [
        ("ваш курьер нахамил, заказ 4471020, позовите менеджера", "staff_behavior"),
        ("чайник сломался через день, хочу поговорить с оператором", "damaged_defective"),
    ],
)
async def test_a_problem_told_with_a_request_for_a_person_is_thanked_apologised_and_recorded(
    services: Services, text: str, ctype: str
) -> None:
    """'ваш курьер нахамил, заказ 4471020, позовите менеджера' got only 'Подключаю коллегу...':
    no thanks, no apology, and the complaint was not recorded (the message was read as a
    request for a person alone). The playbook's thanks and apology come first, the complaint
    is recorded with its type, and the person is called."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = "\n".join(d.replies[-1])
    assert thanks_before_apology(reply), reply
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], reply
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"], reply


@pytest.mark.parametrize("nudge", ["алло", "вы тут?", "ау???"])
async def test_are_you_there_while_waiting_for_a_person_gets_an_answer(
    services: Services, nudge: str
) -> None:
    """Waiting for a colleague, 'алло' or 'вы тут?' got no reply at all (read as small talk,
    which the bot leaves to the person): a customer asking whether anyone is there is told,
    once, that the colleague has the case and answers right here."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("позовите оператора")
    assert d.of("escalated")
    await d.send(nudge)
    assert d.replies[-1], "no answer to 'are you there?'"
    assert "коллег" in " ".join(d.replies[-1]).lower(), d.replies[-1]
    await d.send(nudge)
    assert d.replies[-1] == [], "said once"


@pytest.mark.parametrize(
    ("ask", "nudge", "sorry", "smile"),
    [
        ("позовите оператора", "Сколько можно ждать?!", "Простите за ожидание", "Я здесь"),
        ("I want to talk to a person", "WHERE ARE YOU", "Sorry for the wait", "I'm here"),
        ("Chcę rozmawiać z konsultantem", "Ile jeszcze mam czekać?!", "Przepraszam", "Jestem"),
        # "Ну и где?" got no reply at all (a "yes" to the model), "Где ответ?" a smile
        ("позовите оператора", "Ну и где?", "Простите за ожидание", "Я здесь"),
        ("позовите оператора", "Где ответ?", "Простите за ожидание", "Я здесь"),
        ("I want to talk to a person", "So where is it?", "Sorry for the wait", "I'm here"),
        ("Chcę rozmawiać z konsultantem", "No i gdzie?", "Przepraszam", "Jestem"),
    ],
)
async def test_an_impatient_customer_waiting_for_a_person_hears_sorry_not_a_smile(
    services: Services, ask: str, nudge: str, sorry: str, smile: str
) -> None:
    """Waiting for a colleague, 'Сколько можно ждать?!' got 'Я здесь 🙂 Ваше обращение уже у
    коллеги': a smile to a customer worn out by the wait. They hear an apology for the wait
    and that the colleague has the case; a calm 'вы тут?' still gets 'Я здесь 🙂'."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.of("escalated")
    await d.send(nudge)
    said = " ".join(d.replies[-1])
    assert said.startswith(sorry) and "🙂" not in said and smile not in said, said


@pytest.mark.parametrize(
    ("text", "ctype"),
    [
        ("курьер опоздал, заказ 4471033", "delivery_delay"),
        ("у меня пришла посылка мятая, заказ 4471034", "damaged_defective"),
    ],
)
async def test_a_russian_problem_in_plain_words_with_an_order_number_is_a_complaint(
    services: Services, text: str, ctype: str
) -> None:
    """'курьер опоздал, заказ 4471033' (read as an order-status question at 0.54) got 'Понял,
    заказ 4471033. Чем могу помочь?', and 'у меня пришла посылка мятая, заказ 4471034' was
    passed to a colleague as a status question: the problem named in plain words is the
    complaint it names (thanks, apology, the type's fix)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = "\n".join(d.replies[-1])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], reply
    assert thanks_before_apology(reply) and not d.of("escalated"), reply


async def test_what_happened_told_after_a_bare_photo_and_number_decides_the_case(
    services: Services,
) -> None:
    """A photo captioned only '4471893' opened a case the model typed 'service_quality'; the
    answer to 'пару слов о том, что именно случилось' ('чашки из набора разбиты, две из
    шести') was then passed to the quality manager, and 'замена' brought in a person. What
    the customer says happened types the case: broken cups get the replacement."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("4471893", photo=True)
    await d.send("чашки из набора разбиты, две из шести")
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]
    await d.send("замена")
    assert [e["option"] for e in d.of("fix_chosen")] == ["replacement"], d.replies[-1]
    assert not d.of("escalated")


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("пришел сломанный миксер, хочу деньги назад, заказ 4471031", "refund"),
        ("миксер сломан, хочу назад свои деньги, заказ 4471031", "refund"),
    ],
)
async def test_money_back_asked_with_the_problem_is_not_offered_again(
    services: Services, text: str, option: str
) -> None:
    """'пришел сломанный миксер, хочу деньги назад' then the photo got 'Как мне это исправить:
    Заменить товар / Вернуть деньги / Гарантийный ремонт?', and 'да' to it 'Просто выберите
    удобный вариант': the money back was asked for already."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    await d.send(photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]


async def test_the_details_asked_in_russian_are_punctuated_right(services: Services) -> None:
    """'пришлите пару слов о том, что именно случилось и номер заказа': the clause was left
    open, so the order number read as part of what happened. It is closed with a comma: '...
    что именно случилось, и номер заказа'."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("курьер нагрубил")
    reply = " ".join(d.replies[-1])
    assert "что именно случилось, и номер заказа" in reply, reply


@pytest.mark.parametrize("answer", ["24 часа это долго", "слишком долго", "too long"])
async def test_too_long_at_is_that_ok_is_a_no(services: Services, answer: str) -> None:
    """'Такое решение вам подходит?' - '24 часа это долго' got 'Кажется, я не совсем понял.
    Переформулируйте...': the promised time does not suit, so a person takes it, with an
    apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("курьер опоздал на 3 дня, заказ 4471041")
    assert d.of("satisfaction_check")
    await d.send(answer)
    assert not d.of("fallback") and not d.of("resolved"), d.replies[-1]
    assert d.of("escalated") and SORRY.search(" ".join(d.replies[-1])), d.replies[-1]


async def vip(services: Services, user: str) -> None:
    """``user`` is a VIP customer of the shop (marked in the database)."""
    async with services.sessionmaker() as session:
        session.add(Customer(channel="telegram", external_id=user, chat_id=int(user), is_vip=True))
        await session.commit()


@pytest.mark.parametrize(
    "ask", ["Позовите оператора, пожалуйста", "I want to talk to a real person"]
)
async def test_a_vip_who_only_asks_for_a_person_gets_high_priority(
    services: Services, office_hours: None, ask: str
) -> None:
    """A VIP customer's complaint went to a senior at once, but a VIP who only asked for a
    person ('Позовите оператора') got a normal ticket: 30 minutes, no senior alerted."""
    user = str(next(_ids))
    await vip(services, user)
    d = Dialogue(services, user)
    await d.send(ask)
    [escalated] = d.of("escalated")
    assert escalated["priority"] == "high", escalated
    assert "10" in d.replies[0][-1], d.replies[0]  # the high-priority time is promised
    assert "HIGH priority" in escalated["card"].splitlines()[0]


@pytest.mark.parametrize(
    ("ask", "threat"),
    [
        ("Хочу поговорить с оператором", "Если не вернёте деньги, подам в суд, пойду к юристу"),
        (
            "I want to talk to a real person",
            "If this is not solved today I will take you to court, my lawyer is ready",
        ),
    ],
)
async def test_the_card_reason_names_a_legal_threat_told_while_waiting(
    services: Services, ask: str, threat: str
) -> None:
    """A legal threat told while the ticket waited raised it to high priority, and the
    Summary and the seniors' alert said so, but the card's 'Reason:' line still read only
    'customer asked for a person'."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    await d.send(threat)
    [raised] = d.of("priority_raised")
    async with services.sessionmaker() as session:
        card = await render_card(
            session, services.settings, await session.get(Ticket, raised["ticket_id"])
        )
    reason = next(x for x in card.text.splitlines() if x.startswith("Reason:"))
    assert "customer asked for a person" in reason and "legal threat" in reason, reason


async def test_an_after_hours_card_says_when_the_customer_was_promised_a_reply(
    services: Services,
) -> None:
    """At 23:00 the customer was told 'Коллега ответит здесь завтра в 09:00', but the card
    said nothing of it: the morning shift could not see what had been promised."""
    user = str(next(_ids))
    out = await say_at(services, user, "Позовите оператора, пожалуйста", WED_23_MSK)
    assert "09:00" in " ".join(r.text for r in out.replies)
    [escalated] = [e for e in out.events if e["type"] == "escalated"]
    promised = [x for x in escalated["card"].splitlines() if x.startswith("Reply promised:")]
    assert promised and "05.03 09:00" in promised[0], escalated["card"]
    # in working hours the usual time is said to the customer, and no such line is needed
    out = await say_at(services, str(next(_ids)), "Позовите оператора", WED_23_MSK.replace(hour=9))
    [escalated] = [e for e in out.events if e["type"] == "escalated"]
    assert "Reply promised:" not in escalated["card"], escalated["card"]


async def test_a_long_story_leaves_the_cards_summary_on_the_card(services: Services) -> None:
    """A customer who told a long story (3,500 letters) got a card whose 'Description:'
    line held all of it: the card was longer than Telegram's message and was cut, so the
    pinned card lost its Summary and the commands; the story is in the transcript."""
    story = (
        "Привезли сломанный чайник, заказ 5531207, крышка треснула. "
        + "Курьер бросил коробку у двери, я звонила много раз, никто не ответил. " * 50
        + "Позовите оператора."
    )
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    card = d.of("escalated")[-1]["card"]
    text = card.split("\n\nTranscript:\n")[0]
    assert len(text) <= 4000 and "Summary:" in text, len(text)
    assert "Description: Привезли сломанный чайник" in text
    assert story in card.split("\n\nTranscript:\n")[1], "the whole story is in the transcript"


async def test_a_legal_threat_on_a_ticket_already_urgent_still_reaches_a_senior(
    services: Services,
) -> None:
    """A VIP's ticket is urgent from the start; a legal threat told while it waited got no
    answer at all, no senior was alerted and the card did not say it, since the ticket
    was high priority already."""
    user = str(next(_ids))
    await vip(services, user)
    d = Dialogue(services, user)
    await d.send("Позовите оператора, пожалуйста")
    await d.send("Если не вернёте деньги, подам в суд, пойду к юристу")
    assert d.replies[-1] and "старш" in d.replies[-1][0], d.replies[-1]
    [raised] = d.of("priority_raised")  # the seniors are alerted with the card
    assert raised["reason"] == "legal_threat"
    async with services.sessionmaker() as session:
        card = await render_card(
            session, services.settings, await session.get(Ticket, raised["ticket_id"])
        )
    assert "then: legal threat" in card.text.splitlines()[1], card.text
    await d.send("Я серьёзно, мой юрист уже пишет претензию, подам в суд")
    assert d.replies[-1] == [] and len(d.of("priority_raised")) == 1, "said once"


async def test_the_coupon_given_for_a_long_wait_is_on_the_card(services: Services) -> None:
    """Nobody answered in time, so the bot apologised to the customer with a 5% coupon, but
    the card's 'Bot promised' said nothing of it: the operator who took the ticket did not
    know the customer had been given SORRY5."""
    from escalation.timers import check_timers

    user = str(next(_ids))
    await say_at(services, user, "Позовите оператора, пожалуйста", WED_23_MSK)
    try:
        await check_timers(NoTelegram(), services, now=datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    except RuntimeError:
        pass  # the apology could not be delivered; what was given is stored
    ticket = await the_ticket(services, user)
    async with services.sessionmaker() as session:
        card = await render_card(session, services.settings, ticket)
    promised = [x for x in card.text.splitlines() if x.startswith("Bot promised:")]
    assert promised and "SORRY5" in promised[0], card.text


async def resolved_by_a_person(services: Services, d: Dialogue, ask: str) -> None:
    """``ask`` brings a person, who resolves the ticket: the customer is asked 'Was your
    question solved?' (as the operators' /resolve does)."""
    from escalation.service import resolve_ticket

    await d.send(ask)
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, d.of("escalated")[-1]["ticket_id"])
        conversation = await resolve_ticket(session, ticket, actor_id=None, now=utcnow())
        conversation.state = {
            **conversation.state,
            "survey": {"ticket_id": ticket.id, "step": "solved"},
        }
        await session.commit()


@pytest.mark.parametrize(
    ("ask", "answer", "solved"),
    [
        ("Позовите оператора", "всё хорошо, спасибо", "yes"),
        ("Позовите оператора", "Всё отлично", "yes"),
        ("I want to talk to a person", "all good, thanks", "yes"),
        ("Chcę rozmawiać z konsultantem", "wszystko w porządku, dzięki", "yes"),
        # a bare thanks to "Ваше обращение решено... Ваш вопрос решён?" ('Рад помочь!', and
        # the happiest customers' ratings were never asked)
        ("Позовите оператора", "Спасибо!", "yes"),
        ("Позовите оператора", "Спасибо большое, вы лучшие", "yes"),
        ("I want to talk to a person", "thank you so much!", "yes"),
        ("Chcę rozmawiać z konsultantem", "Dziękuję bardzo!", "yes"),
        ("Позовите оператора", "частично", "no"),
        ("Позовите оператора", "спасибо, но так и не работает", "no"),
        ("I want to talk to a person", "partly", "no"),
        ("Chcę rozmawiać z konsultantem", "częściowo", "no"),
    ],
)
async def test_was_it_solved_answered_in_everyday_words_counts(
    services: Services, ask: str, answer: str, solved: str
) -> None:
    """'Was your question solved?' answered 'всё хорошо, спасибо' (or 'all good, thanks')
    got 'Рад помочь!' and the survey was dropped: no answer recorded, no rating asked;
    'частично' ('partly') was dropped as well, and the operator never learnt it was only
    half solved."""
    d = Dialogue(services, str(next(_ids)))
    await resolved_by_a_person(services, d, ask)
    await d.send(answer)
    answered = [(e["question"], e["score"]) for e in d.of("survey_answer")]
    assert answered == [("solved", 1 if solved == "yes" else 0)], d.replies[-1]
    if solved == "yes":
        assert "sv:csat:5" in d.buttons[-1], d.replies[-1]
    else:
        assert d.of("escalated")[-1]["reopened"], d.replies[-1]


@pytest.mark.parametrize(
    ("ask", "still", "more"),
    [
        ("Позовите оператора, пожалуйста", "вы тут?", "И ещё: коробка тоже была мятая"),
        ("I want to talk to a real person", "anyone there?", "Also, the box was dented"),
    ],
)
async def test_at_night_a_waiting_customer_is_told_when_a_person_answers(
    services: Services, ask: str, still: str, more: str
) -> None:
    """At 23:00 the customer was told a colleague answers at 09:00; then 'вы тут?' got 'Я
    здесь 🙂 ... он ответит прямо здесь' and a further message 'Коллега ответит прямо
    здесь', as if someone were about to: they waited up all night. At night these say
    when."""
    user = str(next(_ids))
    await say_at(services, user, ask, WED_23_MSK)
    for text in (still, more):
        out = await say_at(services, user, text, WED_23_MSK + timedelta(minutes=5))
        said = " ".join(r.text for r in out.replies)
        assert "09:00" in said, said


@pytest.mark.parametrize(
    ("ask", "nudge"),
    [
        ("позовите оператора", "алло, вы тут?"),
        ("позовите оператора", "ау, есть кто?"),
        ("I want to talk to a real person", "hello? anyone there?"),
        ("I want to talk to a real person", "hey, are you there?"),
        ("Chcę rozmawiać z konsultantem", "halo, jest tam ktoś?"),
        ("Chcę rozmawiać z konsultantem", "czy ktoś tam jest?"),
    ],
)
async def test_are_you_there_in_two_words_while_waiting_gets_an_answer(
    services: Services, ask: str, nudge: str
) -> None:
    """'алло' alone was answered, but 'алло, вы тут?', 'hello? anyone there?' or any
    Polish 'jest tam ktoś?' got no reply at all (read as a greeting, left to the person)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.of("escalated")
    await d.send(nudge)
    assert d.replies[-1], "no answer to 'are you there?'"


@pytest.mark.parametrize(
    ("problem", "answer", "resolved", "kind", "shown"),
    [
        ("Курьер нагрубил мне, заказ 4471020", "ну ок, а скидку дадите?", True, "coupon", "SORRY"),
        (
            "The courier was rude to me, order 5512320",
            "ok, but do I get a discount?",
            True,
            "coupon",
            "SORRY",
        ),
        (
            "Kurier był niemiły, zamówienie 5512321",
            "ok, a dostanę jakiś rabat?",
            True,
            "coupon",
            "SORRY",
        ),
        # a late parcel's compensation is the rules' own for a delay (300 points, the FAQ's)
        (
            "Курьер опоздал на 3 дня, заказ 4471022",
            "а компенсация какая-то будет?",
            False,
            "points",
            "300 баллов",
        ),
    ],
)
async def test_a_discount_asked_at_is_that_ok_is_answered(
    services: Services, problem: str, answer: str, resolved: bool, kind: str, shown: str
) -> None:
    """'Такое решение вам подходит?' - 'ну ок, а скидку дадите?' closed the case ('Отлично!
    ...') and went on to the survey: the discount asked for was never answered. The goodwill
    gesture is given with the yes (a bare question gets it and the question again); a late
    parcel's is what the shop gives for a delay."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check") and not d.of("compensation_offered")
    await d.send(answer)
    offered = [e for e in d.of("compensation_offered") if e["turn"] == 1]
    assert offered and offered[0]["kind"] == kind, d.replies[-1]
    assert shown in " ".join(d.replies[-1]), d.replies[-1]
    assert bool(d.of("resolved")) is resolved, d.replies[-1]
    if not resolved:
        assert len(d.of("satisfaction_check")) == 2, "the question stands"
    assert not d.of("escalated")


async def test_a_discount_asked_after_the_gesture_is_not_given_twice(services: Services) -> None:
    """An angry customer who got the coupon with the apology and asks for a discount at 'is
    that OK?' is told the coupon is theirs (not a second one, not silence)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер нахамил мне!!! Заказ 4471023, больше никогда у вас не закажу!")
    assert len(d.of("compensation_offered")) == 1 and d.of("satisfaction_check"), d.replies
    await d.send("ну ладно, а скидку дадите?")
    assert len(d.of("compensation_offered")) == 1
    assert "10%" in " ".join(d.replies[-1]) and d.of("resolved"), d.replies[-1]


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("How long does delivery take?", "That's not what I ordered"),
        ("Сколько идёт доставка?", "Это не то, что я заказывал"),
        ("How long does delivery take?", "this isn't what I ordered"),
    ],
)
async def test_not_what_i_ordered_after_an_answer_is_a_wrong_item(
    services: Services, delivery_kb: Path, question: str, said: str
) -> None:
    """Right after an FAQ answer, 'That's not what I ordered' was read as 'no' and got
    'Understood. What would you like to do instead?'; it is a wrong item: thanks, an
    apology, and the details for the replacement asked once."""
    async with services.sessionmaker() as session:
        await services.knowledge.import_file(session, delivery_kb)
    d = Dialogue(services, str(next(_ids)))
    await d.send(question)
    assert d.of("faq_answered")
    await d.send(said)
    opened = d.of("complaint_opened")
    assert opened and opened[0]["complaint_type"] == "wrong_item", d.replies[-1]
    assert thanks_before_apology(" ".join(d.replies[-1])), d.replies[-1]
    assert {e["slot"] for e in d.of("asked_for")} == {"order_ref", "photo"}


@pytest.mark.parametrize(
    "message",
    [
        "My parcel came damaged, order 5512323",
        "Parcel arrived broken, order 5512324",
        "Посылка пришла повреждённая, заказ 5512325",
        "Paczka przyszła uszkodzona, zamówienie 5512326",
    ],
)
async def test_a_damaged_parcel_is_a_damage_complaint(services: Services, message: str) -> None:
    """'My parcel came damaged, order 5512323' got 'Got it, order 5512323. How can I help with
    it?' (an order-status question), and 'Посылка пришла повреждённая' was passed to the
    delivery team as a late parcel, with no photo asked and no replacement or refund; a
    damaged parcel is damage: thanks, an apology, the photo, then the choice of fix."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    opened = d.of("complaint_opened")
    assert opened and opened[0]["complaint_type"] == "damaged_defective", d.replies[-1]
    assert thanks_before_apology(" ".join(d.replies[-1])), d.replies[-1]
    assert "photo" in {e["slot"] for e in d.of("asked_for")}
    assert not d.of("promised")
    await d.send(photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]


@pytest.mark.parametrize(
    ("message", "main"),
    [
        ("Zamówienie 5512326 przyszło tydzień za późno i wazon był stłuczony", "damaged_defective"),
        ("Order 5512327: it came 5 days late and a cup was missing from the set", "missing_item"),
        ("My order 5512328 is late and I was charged twice", "billing"),
        ("Заказ 5512329 привезли на неделю позже, и с меня списали деньги два раза", "billing"),
    ],
)
async def test_a_late_order_told_with_another_problem_is_passed_on_too(
    services: Services, message: str, main: str
) -> None:
    """Late AND broken, late AND a cup missing, late AND charged twice in one message: only
    one problem was heard ('przyszło tydzień za późno i wazon był stłuczony' was chased with
    the delivery team, the broken vase never mentioned; the late parcel beside a missing cup
    or a double charge was never mentioned). Both are recorded, and the reply says so."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [main], d.replies[-1]
    also = [e["complaint_type"] for e in d.of("complaint_also_recorded")]
    assert also == ["delivery_delay"], d.replies[-1]
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first) and re.search(r"late|опозда|spóźni|opóźni", first, re.I), (
        first
    )
    async with services.sessionmaker() as session:
        types = await session.scalars(select(Complaint.complaint_type))
        assert {main, "delivery_delay"} <= set(types)


@pytest.mark.parametrize(
    "message",
    [
        "Посылка пришла с опозданием и не хватает зарядки",
        "The parcel came late and the charger is missing",
        "Paczka przyszła po terminie i brakuje ładowarki",
    ],
)
async def test_a_missing_part_in_a_parcel_that_came_late_records_the_lateness_too(
    services: Services, message: str
) -> None:
    """'Paczka przyszła po terminie i brakuje ładowarki' opened the missing charger's case and
    said nothing of the lateness, which its Russian and English equivalents pass to the
    delivery team: 'po terminie' (past the date) is late, as 'z opóźnieniem' is."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], first
    assert [e["complaint_type"] for e in d.of("complaint_also_recorded")] == ["delivery_delay"]
    assert re.search(r"late|опозда|spóźni|opóźni|po terminie", first, re.I), first
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], first


@pytest.mark.parametrize(
    "message",
    [
        "Цвет не тот, и ещё пришло с опозданием на неделю",
        "Прислали не тот цвет, да ещё и с опозданием на 5 дней",
        "Заказ опоздал на 3 дня, и размер не тот",
        "Wrong colour, and it arrived a week late",
        "It arrived a week late and it's the wrong size",
        "Zły kolor, a do tego paczka spóźniła się tydzień",
        "Kolor jest nie ten i przyszło z opóźnieniem",
    ],
)
async def test_a_wrong_colour_that_came_late_is_fixed_and_the_lateness_passed_on(
    services: Services, message: str
) -> None:
    """'Цвет не тот, и ещё пришло с опозданием на неделю' (and 'Wrong colour, and it arrived a
    week late', 'Zły kolor, a do tego paczka spóźniła się tydzień') was a late parcel only: the
    order number was asked for and the delivery team chased a parcel that had come, the wrong
    colour never mentioned ('не тот цвет, да ещё и с опозданием' the other way round: the
    lateness never mentioned). Both are acknowledged in the first reply and recorded, the
    order number and a photo are asked for once, the wrong colour is fixed and the lateness
    is on its record with the order number."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"], first
    assert [e["complaint_type"] for e in d.of("complaint_also_recorded")] == ["delivery_delay"]
    assert thanks_before_apology(first), first
    assert re.search(r"late|опозда|spóźni|opóźni", first, re.I), first
    assert sorted(e["slot"] for e in d.of("asked_for")) == ["order_ref", "photo"], first
    assert len(d.replies[0]) == 1, "everything missing in one message"
    await d.send("5512361")
    await d.send(photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]
    await d.send(button="cmp:opt:replacement")
    assert d.of("promised"), d.replies[-1]
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved")
    assert_never_reasked(d)
    assert not find_forbidden(d.all_text())
    async with services.sessionmaker() as session:
        records = {c.complaint_type: c for c in await session.scalars(select(Complaint))}
    assert set(records) == {"wrong_item", "delivery_delay"}
    assert records["wrong_item"].outcome == "replacement"
    late = records["delivery_delay"]
    assert late.outcome == "forwarded_logistics" and late.details["order_ref"] == "5512361"
    assert late.resolved_at is not None


@pytest.mark.parametrize(
    "message",
    [
        "Посылка опоздала на неделю, но ничего не сломано",
        "Заказ пришёл с опозданием на 5 дней, товар не повреждён",
        "It came a week late but nothing is broken",
        "My parcel arrived 5 days late, not damaged though",
        "Paczka spóźniła się tydzień, ale nic nie jest zepsute",
        "Paczka przyszła z opóźnieniem, ale nie jest uszkodzona",
        "My parcel is late, nothing broken though",
        "Where is my parcel? it's late, nothing broken though",
        "Посылка задерживается, но ничего не сломано",
        "Paczka się spóźnia, ale nic nie jest zepsute",
        "It's late, but nothing is broken",
        "Spóźnia się, ale nic nie jest uszkodzone",
    ],
)
async def test_a_late_parcel_with_nothing_broken_is_a_late_parcel(
    services: Services, message: str
) -> None:
    """'Посылка опоздала на неделю, но ничего не сломано' opened a broken-item case ('О том,
    что заказ опоздал, я тоже сообщил службе доставки... пришлите номер заказа и фото
    проблемы'): a damage word that is denied ('ничего не сломано', 'nothing is broken', 'nic
    nie jest zepsute', 'not damaged') names no damage; the case is the lateness, and only the
    order number is asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], first
    assert not d.of("complaint_also_recorded"), first
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], first
    assert thanks_before_apology(first), first
    await d.send("5512362")
    assert d.of("promised"), d.replies[-1]
    assert_never_reasked(d)
    assert not find_forbidden(d.all_text())


@pytest.mark.parametrize(
    ("message", "ctype"),
    [
        ("the box was damaged", "damaged_defective"),
        ("No damage to the box, but the wrong colour came, order 5512364", "wrong_item"),
        ("Царапин нет, но размер не тот, заказ 5512377", "wrong_item"),
        ("Чайник не повреждён, но крышки нет, заказ 5512380", "missing_item"),
        ("Czajnik nie jest uszkodzony, ale brakuje pokrywki, zamówienie 5512381", "missing_item"),
        ("The box wasn't damaged but the vase inside is cracked, order 5512365", "damaged_defective"),
        ("Телефон не разбит, но не заряжается, заказ 5512374", "damaged_defective"),
        ("Telefon nie jest uszkodzony, ale się nie ładuje, zamówienie 5512375", "damaged_defective"),
        ("The courier wasn't rude at all, but my parcel is 5 days late, order 5512370", "delivery_delay"),
        ("Kurier był miły, ale paczka spóźniła się 4 dni, zamówienie 5512372", "delivery_delay"),
        ("The courier was really nice but the vase arrived smashed, order 5512399", "damaged_defective"),
        ("Курьер не хамил, но привёз не тот размер, заказ 5512398", "wrong_item"),
        ("not damaged, not late, just the wrong size, order 5512423", "wrong_item"),
        # thanks and all good, but a problem all the same
        ("Спасибо, всё хорошо, только деньги списали дважды, заказ 5512430", "billing"),
        ("Thanks, all good with the parcel, except I was charged twice, order 5512431", "billing"),
        ("Dzięki, wszystko ok, tylko pobrano płatność dwa razy, zamówienie 5512432", "billing"),
        ("Спасибо, всё пришло целое, а деньги списали дважды, заказ 5512450", "billing"),
        ("Курьер был вежливый, спасибо, деньги не вернули за заказ 5512451", "billing"),
    ],
)  # fmt: skip
async def test_a_problem_told_with_one_denied_is_that_problem_alone(
    services: Services, message: str, ctype: str
) -> None:
    """'Чайник не повреждён, но крышки нет' opened a broken-item case, 'No damage to the box, but
    the wrong colour came' a missing-item one with a wrong item queued, 'Czajnik nie jest
    uszkodzony, ale brakuje pokrywki' queued a broken item, 'The courier wasn't rude at all,
    but my parcel is 5 days late' passed the courier to the quality manager, and 'Курьер не
    хамил, но привёз не тот размер' was an angry customer's, with a coupon, and 'not damaged,
    not late, just the wrong size' told the delivery team the order came late: what the
    customer denies or praises is no problem; the case is the one they told, alone, calmly."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], first
    assert [e["customer_kind"] for e in d.of("complaint_opened")] == ["claimant"], first
    assert not d.of("complaint_queued") and not d.of("complaint_also_recorded"), first
    assert not d.of("compensation_offered"), first
    assert thanks_before_apology(first), first


@pytest.mark.parametrize(
    "message",
    [
        "Thanks, arrived fine, nothing broken",
        "Спасибо, всё пришло целое, ничего не сломано",
        "Dzięki, doszło całe, nic nie jest zepsute",
    ],
)
async def test_thanks_with_nothing_broken_is_thanks(services: Services, message: str) -> None:
    """'Thanks, arrived fine, nothing broken' opened a broken-item case ('I'm really sorry
    about this... the order number and a photo of the problem'), and 'Спасибо, всё пришло
    целое, ничего не сломано' was passed to the quality manager: a damage word the customer
    denies names no problem; thanks are thanked for, and no case is opened."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert not d.of("complaint_opened"), first
    assert not d.of("asked_for"), first
    assert THANKS.search(first) and not SORRY.search(first), first


@pytest.mark.parametrize(
    "message",
    [
        "Всё пришло без повреждений, спасибо",
        "пришло без повреждений, спасибо",
        "Dzięki, paczka doszła bez uszkodzeń",
        "Thanks, it arrived without any damage",
        "no damage, thanks",
        "nothing broken, all good",
        "came undamaged, thank you",
        "Got my order today, not a single scratch, thanks!",
        "Nothing was missing and nothing is broken, thank you!",
        "The parcel came on time and undamaged, thanks a lot",
        "Delivery was fast, no delay at all, thanks",
        "Повреждений нет, всё отлично, спасибо!",
        "Niczego nie brakowało, nic nie jest uszkodzone, dziękuję!",
        "I received my refund, thank you, no issues",
        "Возврат пришёл, спасибо, претензий нет",
        "The courier wasn't rude at all, very polite, thank you",
        "Курьер совсем не грубил, очень вежливый, спасибо",
        "Kurier wcale nie był niemiły, bardzo uprzejmy, dziękuję",
        "The app didn't crash this time, payment went through, thanks",
        "Приложение больше не вылетает, оплата прошла, спасибо",
        "Aplikacja już się nie zawiesza, płatność przeszła, dzięki",
    ],
)
async def test_thanks_for_a_parcel_without_damage_is_thanks(
    services: Services, message: str
) -> None:
    """'Всё пришло без повреждений, спасибо' got 'Кажется, я не совсем понял', and 'Dzięki,
    paczka doszła bez uszkodzeń' opened a missing-item case and queued a broken one: 'без' /
    'bez' before a flaw ('без повреждений', 'bez uszkodzeń') says nothing is wrong. So do
    'Thanks, it arrived without any damage' (it got 'I'm not sure I understood'), 'nothing
    broken, all good' (a broken-item case asking for a photo of the problem), 'Niczego nie
    brakowało, nic nie jest uszkodzone, dziękuję!' (an angry broken-item case with a coupon)
    and 'no delay at all, thanks' (a late-parcel case), 'Возврат пришёл, спасибо, претензий нет'
    (a billing case) and 'I received my refund, thank you, no issues' ('I'm not sure I
    understood'), 'The courier wasn't rude at all, very polite, thank you' (a case about staff)
    and 'Приложение больше не вылетает, оплата прошла, спасибо' (a case about the app, asking
    for a phone number): a warm thanks, no case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert not d.of("complaint_opened") and not d.of("complaint_queued"), first
    assert not d.of("fallback") and not d.of("asked_for"), first
    assert THANKS.search(first) and not SORRY.search(first), first


@pytest.mark.parametrize(
    ("message", "detail", "resend"),
    [
        ("Заказ неполный", "5531207, нет одной кружки", "Довезти недостающее"),
        (
            "Zamówienie niekompletne",
            "5531207, brakuje jednego kubka",
            "Dosłanie brakującego towaru",
        ),
        ("My order is incomplete", "5531207, one mug is missing", "Send the missing item"),
        ("Заказ пришёл не полностью", "5531207, нет одной кружки", "Довезти недостающее"),
    ],
)
async def test_an_incomplete_order_is_a_missing_item(
    services: Services, message: str, detail: str, resend: str
) -> None:
    """'Заказ неполный' got 'Кажется, я не совсем понял' (or the FAQ's answer), 'Zamówienie
    niekompletne' and 'My order is incomplete' 'Understood. What would you like to do
    instead?' (a "no" to the model), 'Заказ пришёл не полностью' a wrong-item case asking for a
    photo. An incomplete order is a missing item: thanks, an apology, the order number asked
    for, then the missing thing sent or its money back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], first
    assert "order_ref" in [e["slot"] for e in d.of("asked_for")], first
    assert thanks_before_apology(first), first
    offer = await d.send(detail)
    labels = [b.text for r in offer.replies for row in r.buttons for b in row]
    assert resend in labels, d.replies[-1]


@pytest.mark.parametrize(
    "message",
    [
        "Заказ пришёл без задержек",
        "Доставили без опозданий",
        "Zamówienie przyszło bez opóźnień",
        "The order arrived with no delay",
        "No delay this time, the parcel came yesterday",
    ],
)
async def test_an_order_that_came_without_delay_is_no_late_parcel(
    services: Services, message: str
) -> None:
    """'Заказ пришёл без задержек' alone was a late-parcel case ('Мне очень жаль... пришлите
    номер заказа'), and so were 'Zamówienie przyszło bez opóźnień' ('Zamówienie przyszło' read
    as 'nie przyszło') and 'The order arrived with no delay': a delay named only to deny it is
    good news, thanked for, with nothing asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert not d.of("complaint_opened") and not d.of("asked_for"), first
    assert THANKS.search(first) and not SORRY.search(first), first


@pytest.mark.parametrize(
    "message",
    [
        "Чайник пришёл без крышки",
        "Пришло без инструкции, заказ 5512370",
        "The kettle arrived without the lid",
        "My phone came without a charger, order 5512370",
    ],
)
async def test_a_part_that_came_without_is_missing(services: Services, message: str) -> None:
    """'без крышки', 'без инструкции', 'without the lid': a missing part is a problem with the
    order ('without any damage' is none)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], first
    assert thanks_before_apology(first), first


@pytest.mark.parametrize(
    "turns",
    [
        ["I have a problem with your website", "It won't let me pay", "iPhone 14, latest version"],
        ["Приложение вылетает при оплате", "iPhone 14, последняя версия"],
        ["Mam problem z waszą aplikacją", "Nie mogę zapłacić kartą", "iPhone 14, najnowsza wersja"],
    ],
)
async def test_the_phone_told_about_a_site_problem_is_a_detail(
    services: Services, turns: list[str]
) -> None:
    """'I have a problem with your website' got 'Thanks so much for the kind words!', 'It won't
    let me pay' 'Understood. What would you like to do instead?', and 'iPhone 14, latest
    version' opened a wrong-item case asking for the order number and a photo ('Приложение
    вылетает при оплате' was asked whether something happened with an order). A site or app
    problem is a case for the technical team; the phone told is a detail of it."""
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text)
    assert "kind words" not in d.all_text() and not d.of("fallback"), d.replies
    opened = [e["complaint_type"] for e in d.of("complaint_opened")]
    assert opened == ["website_app"], d.replies
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies
    assert thanks_before_apology(" ".join(d.replies[-2] if len(turns) == 3 else d.replies[0]))
    state = await d.state()
    assert "iPhone 14" in state["known"]["description"], state["known"]


@pytest.mark.parametrize(
    "message",
    [
        "Курьер не привёз заказ 5512347",
        "Dzień dobry, kurier zgubił moją paczkę, zamówienie 5512344",
        "The courier lost my parcel, order 5512348",
    ],
)
async def test_an_order_the_courier_did_not_bring_is_chased_with_logistics(
    services: Services, message: str
) -> None:
    """'Курьер не привёз заказ 5512347' and 'the courier lost my parcel' were passed to the
    customer care manager as a complaint about staff, 'within 48 hours', and nobody went
    after the parcel; an order not brought is the delivery team's, within 24 hours."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], d.replies[
        -1
    ]
    assert d.of("promised") and "24" in d.of("promised")[0]["within"], d.replies[-1]


@pytest.mark.parametrize(
    ("message", "staff"),
    [
        ("Курьер опоздал", False),
        ("Kurier się spóźnił, zamówienie 5512353", False),
        ("The courier was late, order 5512354", False),
        ("курьер опоздал на 3 часа и нагрубил", True),
        # a courier who never came is the late parcel too (it also recorded one about staff)
        ("Kurier nie przyjechał, a czekałam cały dzień!", False),
        ("The courier never showed up and I waited all day", False),
        ("Курьер так и не приехал, а я весь день ждала", False),
    ],
)
async def test_a_late_courier_is_no_complaint_about_manners(
    services: Services, message: str, staff: bool
) -> None:
    """'Курьер опоздал' got 'То, что вы рассказали о сотруднике, я тоже передал менеджеру по
    качеству: так быть не должно.' ('Kurier się spóźnił' the same in Polish) and a staff
    complaint was recorded: the courier was only late, which logistics chases; a rude one is
    passed on as before."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    also = [e["complaint_type"] for e in d.of("complaint_also_recorded")]
    assert also == (["staff_behavior"] if staff else []), d.replies[-1]
    if not staff:
        assert not re.search(r"сотрудник|staff|pracownik", d.all_text(), re.I), d.replies[-1]


async def test_a_rude_courier_who_did_not_bring_the_order_is_both(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер не привёз заказ 5512352 и ещё нахамил по телефону")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert [e["complaint_type"] for e in d.of("complaint_also_recorded")] == ["staff_behavior"]


@pytest.mark.parametrize(
    ("message", "first", "then"),
    [
        (
            "Order 5512340: the kettle arrived cracked and the lid is missing",
            "missing_item",
            "damaged_defective",
        ),
        (
            "Заказ 5512341: чайник пришёл треснутый, и не хватает крышки",
            "damaged_defective",
            "missing_item",
        ),
    ],
)
async def test_two_things_to_fix_in_one_message_are_both_sorted_out(
    services: Services, message: str, first: str, then: str
) -> None:
    """'the kettle arrived cracked and the lid is missing' got the missing lid's fix only: the
    cracked kettle was never mentioned, nor recorded. Both are recorded at once and the reply
    says the second is next; once the first is settled, the second is taken up (never asking
    again for what was told)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message, photo=True)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [first], d.replies
    async with services.sessionmaker() as session:
        types = list(await session.scalars(select(Complaint.complaint_type)))
    assert sorted(types) == sorted([first, then]), types
    assert re.search(r"right after|сразу после", " ".join(d.replies[0])), d.replies[0]
    await d.send(button=d.buttons[-1][0])  # the first fix offered
    await d.send(button="cmp:sat:yes")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [first, then], d.replies
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    assert not d.of("asked_for"), "nothing asked again: the photo and the story were given"
    async with services.sessionmaker() as session:
        assert len(list(await session.scalars(select(Complaint.id)))) == 2


async def test_the_second_problem_waiting_is_on_the_card(services: Services) -> None:
    """'...cracked and the lid is missing', then 'no' to the lid's fix: the colleague's card
    said nothing of the cracked kettle still waiting (only the transcript held it)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Order 5512340: the kettle arrived cracked and the lid is missing", photo=True)
    await d.send(button="cmp:opt:resend")
    await d.send(button="cmp:sat:no")
    [escalated] = d.of("escalated")
    assert "not yet sorted out: broken or defective item" in escalated["card"], escalated["card"]


@pytest.mark.parametrize(
    ("problem", "question"),
    [
        ("Пришёл разбитый чайник", "А фото чего именно нужно?"),
        ("My blender arrived broken", "A photo of what exactly?"),
        ("Przyszedł pęknięty czajnik", "Zdjęcie czego dokładnie?"),
    ],
)
async def test_which_photo_is_answered_not_noted_as_the_story(
    services: Services, problem: str, question: str
) -> None:
    """Asked for the order number, a photo and a few words about what happened, 'А фото чего
    именно нужно?' got 'Спасибо, записал.': the question was kept as what happened (and
    would never be asked for). It is answered, and the story is still welcome."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert "photo" in {e["slot"] for e in d.of("asked_for")}
    await d.send(question)
    reply = " ".join(d.replies[-1])
    assert re.search(r"предмет|товар|item|produkt", reply, re.I), reply
    state = await d.state()
    assert question not in (state.get("known", {}).get("description") or ""), state["known"]


@pytest.mark.parametrize(
    ("problem", "question"),
    [
        ("My blender arrived broken", "Which order number do you mean, the one from March?"),
        ("Пришёл разбитый чайник", "А какой номер заказа нужен, из письма?"),
    ],
)
async def test_which_order_number_is_answered(
    services: Services, delivery_kb: Path, problem: str, question: str
) -> None:
    """Asked for the order number, 'Which order number do you mean, the one from March?' got
    the knowledge base's 'Is your question about one of these topics?': where to find it is
    told, and the case waits for it."""
    async with services.sessionmaker() as session:
        await services.knowledge.import_file(session, delivery_kb)
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(question)
    reply = " ".join(d.replies[-1])
    assert re.search(r"confirmation email|письме с подтверждением|письме", reply), reply
    assert not d.of("faq_declined") and not d.of("escalated")
    await d.send("5512370")
    assert (await d.state())["known"]["order_ref"] == "5512370"


@pytest.mark.parametrize(
    ("problem", "correction"),
    [
        ("The courier was rude, order 5512342", "sorry I mean the courier was late, not rude"),
        (
            "Курьер нагрубил мне, заказ 5512343",
            "ой, я имела в виду, что курьер опоздал, а не нагрубил",
        ),
    ],
)
async def test_a_corrected_problem_after_the_fix_follows_the_correction(
    services: Services, problem: str, correction: str
) -> None:
    """'The courier was rude' was passed to the customer care manager; 'sorry I mean the
    courier was late, not rude' got 'Thank you, I've added that to your case' and the case
    stayed a rude courier's. The case now follows the correction (the delivery team)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(correction)
    retyped = d.of("complaint_retyped")
    assert retyped and retyped[0]["complaint_type"] == "delivery_delay", d.replies[-1]
    assert "24" in d.of("promised")[-1]["within"], d.replies[-1]


@pytest.mark.parametrize(
    "said",
    ["я же уже писал номер заказа!", "I already gave you the order number!", "Już podałam numer!"],
)
async def test_already_told_at_is_that_ok_is_reassured_not_handed_over(
    services: Services, said: str
) -> None:
    """At 'Такое решение вам подходит?', 'я же уже писал номер заказа!' brought a colleague
    ('Подключаю коллегу...') as if nobody had the number; the bot has it: it says so, where
    the case stands, and the question again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 5512381 так и не привезли")
    assert d.of("satisfaction_check")
    await d.send(said)
    assert not d.of("escalated"), d.replies[-1]
    assert "5512381" in " ".join(d.replies[-1]), d.replies[-1]
    assert len(d.of("satisfaction_check")) == 2


async def test_a_discount_asked_right_after_the_case_or_while_details_come_is_answered(
    services: Services,
) -> None:
    """'а скидку дадите?' right after 'да' closed the case (or 'can I get a discount for this?'
    while the photo was awaited) got the FAQ's 'Хочу ответить точно. Ваш вопрос про одну из
    этих тем?'; the compensation is the answer (the late parcel's points, the broken blender's
    coupon; once per chat), and the case goes on."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на 3 дня, заказ 4471020")
    await d.send("да")
    assert d.of("resolved")
    await d.send("а скидку дадите?")
    # a late parcel's compensation is the rules' own: the delay's points
    assert "300 баллов" in " ".join(d.replies[-1]) and not d.of("faq_declined"), d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("My blender arrived broken")
    await e.send("can I get a discount for this?")
    reply = " ".join(e.replies[-1])
    assert "SORRY10" in reply and "order number" in reply, reply
    await e.send("5512390", photo=True)
    assert any(b.startswith("cmp:opt:") for b in e.buttons[-1]), e.replies[-1]
    assert len(e.of("compensation_offered")) == 1


async def test_a_new_tickets_card_is_about_this_ticket_not_the_earlier_ones(
    services: Services,
) -> None:
    """Anna's broken kettle (with its photo) went to a person, who sorted it out and
    resolved the ticket. A week later she asked for a person about her next order: the new
    card said 'photos/files: 1' and its transcript began with the kettle's story, so the
    operator read a case that was closed. The card and its transcript are the new ticket's
    (the earlier ticket is named on the card as before)."""
    from escalation.service import reopen_ticket, resolve_ticket

    user = str(next(_ids))
    week_ago = utcnow() - timedelta(days=7)
    kettle = "Чайник из заказа 5531207 пришёл разбитый"
    await say_at(services, user, kettle, week_ago)
    await say_at(services, user, None, week_ago, attachments=(Attachment("photo", "ph-kettle"),))
    await say_at(services, user, "Позовите оператора, пожалуйста", week_ago)
    first = await the_ticket(services, user)
    for hours in (1, 2):  # resolved, reopened by the operator (the case is back), resolved
        async with services.sessionmaker() as session:
            ticket = await session.get(Ticket, first.id)
            await resolve_ticket(
                session, ticket, actor_id=501, now=week_ago + timedelta(hours=hours)
            )
            await session.commit()
        if hours == 1:
            async with services.sessionmaker() as session:
                ticket = await session.get(Ticket, first.id)
                await reopen_ticket(
                    session, ticket, actor_id=501, now=week_ago + timedelta(hours=1)
                )
                await session.commit()
                card = await render_card(session, services.settings, ticket)
            assert "photos/files: 1" in card.text and "Чайник" in card.text, card.text
    await say_at(services, user, "Здравствуйте! Соедините с оператором, пожалуйста")
    async with services.sessionmaker() as session:
        second = await session.scalar(
            select(Ticket).where(Ticket.customer_id == first.customer_id, Ticket.id != first.id)
        )
        assert second is not None
        card = await render_card(session, services.settings, second)
    assert "photos/files" not in card.text, card.text
    assert "Чайник" not in card.transcript and "Соедините" in card.transcript, card.transcript
    assert f"#{first.id} (resolved" in card.text, card.text


async def test_a_case_the_bot_closed_is_not_the_next_tickets_case(services: Services) -> None:
    """The bot arranged a replacement for a broken kettle (order 5531207) and the customer
    was satisfied; then 'Где мой заказ 7781420? Соедините с оператором' went to a person
    with a card reading 'Claimant complaint (broken or defective item) about order 7781420',
    the kettle's photo and story as this ticket's: the operator went after a broken item in
    the wrong order. The card is about the new request, and names the closed case as
    earlier."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Чайник из заказа 5531207 пришёл разбитый")
    await d.send("вот фото", photo=True)
    await d.send(button="cmp:opt:replacement")
    await d.send(button="cmp:sat:yes")
    await d.send("Где мой заказ 7781420? Соедините с оператором")
    [esc] = d.of("escalated")
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, esc["ticket_id"])
        card = await render_card(session, services.settings, ticket)
    lines = {line.split(":")[0]: line for line in card.text.splitlines()}
    assert "broken" not in lines["Summary"] and "7781420" in lines["Summary"], card.text
    assert "broken" not in lines["Intent"] and "complaint type: -" in lines["Intent"], card.text
    assert "photos" not in lines["Details"] and "Description" not in lines, card.text
    assert "Asked but not yet given" not in lines, card.text  # the photo came, for the kettle
    earlier = next((line for line in lines.values() if line.startswith("Earlier")), "")
    assert "broken or defective item" in earlier and "replacement" in earlier, card.text
    assert "Чайник" in card.transcript  # what happened before is still there to read


WED_12_MSK = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # mid-day in Moscow: operators at work


@pytest.mark.parametrize(
    ("ask", "nudge", "word"),
    [
        ("позовите оператора", "ну где вы?", "коллег"),
        ("позовите оператора", "сколько ещё ждать?", "коллег"),
        ("позовите оператора", "почему никто не отвечает?", "коллег"),
        ("I want to talk to a real person", "where are you?", "colleague"),
        ("I want to talk to a real person", "how long do I have to wait??", "colleague"),
        ("I need to speak to a manager", "how long will it take?", "colleague"),
        ("Chcę rozmawiać z konsultantem", "gdzie jesteście?", "konsultant"),
        ("Chcę rozmawiać z konsultantem", "halo, jest tam ktoś?", "konsultant"),
        ("Chcę rozmawiać z konsultantem", "ile jeszcze mam czekać?", "konsultant"),
        ("позовите оператора", "жду", "коллег"),
        ("позовите оператора", "я всё ещё жду ответа", "коллег"),
        ("позовите оператора", "ну?", "коллег"),
        ("I want to talk to a real person", "still waiting", "colleague"),
        ("I want to talk to a real person", "I'm still waiting...", "colleague"),
        ("Chcę rozmawiać z konsultantem", "czekam", "konsultant"),
        ("Chcę rozmawiać z konsultantem", "nadal czekam na odpowiedź", "konsultant"),
        # waiting for long: "Halo? Jest tam ktoś? Czekam już długo." got no reply at all
        ("Chcę rozmawiać z konsultantem", "Halo? Jest tam ktoś? Czekam już długo.", "konsultant"),
        ("позовите оператора", "алло, жду уже долго", "коллег"),
        ("I want to talk to a real person", "Hello? I've been waiting for ages", "colleague"),
        # "And?" got "I've passed this on as well"
        ("I want to talk to a real person", "And?", "colleague"),
        ("I want to talk to a real person", "so??", "colleague"),
    ],
)
async def test_where_are_you_while_waiting_for_a_person_gets_a_warm_status(
    services: Services, ask: str, nudge: str, word: str
) -> None:
    """Waiting for a colleague, 'ну где вы?' got no reply at all (read as a greeting, left to
    the person), and 'where are you?' or 'gdzie jesteście?' got 'Thank you ... I've passed
    this on as well', as if it were news for the case; 'still waiting', 'жду', 'ну?',
    'czekam' got nothing at all (read as a goodbye, an 'ok', a greeting). A customer asking where everyone is
    hears that a colleague has the case and answers right here; asked again a quarter of an
    hour later, they hear it again (not silence)."""
    user = str(next(_ids))
    await say_at(services, user, ask, WED_12_MSK)
    out = await say_at(services, user, nudge, WED_12_MSK + timedelta(minutes=5))
    said = " ".join(r.text for r in out.replies)
    assert word in said.lower() and not re.search(r"passed this on|передал|przekazałem", said), said
    again = await say_at(services, user, nudge, WED_12_MSK + timedelta(minutes=7))
    assert again.replies == [], "not every minute"
    later = await say_at(services, user, nudge, WED_12_MSK + timedelta(minutes=22))
    assert word in " ".join(r.text for r in later.replies).lower(), "a quarter of an hour later"


async def test_asking_when_a_person_answers_hears_how_long_is_left(services: Services) -> None:
    """'Kiedy ktoś mi odpowie?' while waiting heard that a colleague answers here, not when,
    though 'about 30 minutes' was promised: the minutes left of the promise are said; once
    the promise is past, only the apology (no time that has already failed)."""
    user = str(next(_ids))
    await say_at(services, user, "I want to talk to a real person", WED_12_MSK)
    out = await say_at(
        services, user, "when will someone answer?", WED_12_MSK + timedelta(minutes=5)
    )
    said = " ".join(r.text for r in out.replies)
    assert "within about 25 minutes" in said, said
    late = await say_at(
        services, user, "when will someone answer?", WED_12_MSK + timedelta(minutes=45)
    )
    said = " ".join(r.text for r in late.replies)
    assert "colleague" in said and "within about" not in said, said


@pytest.mark.parametrize(
    ("problem", "number", "rest", "story"),
    [
        ("Чайник пришёл разбитый", "5512345", ("номер заказа",), "Носик отколот, трещина"),
        ("The mug arrived broken", "order 5512346", ("order number",), "The handle is off"),
        ("Kubek przyszedł stłuczony", "zamówienie 5512347", ("numer zamówienia",), "Ucho odpadło"),
    ],
)
async def test_a_photo_sent_while_the_order_number_is_awaited_says_what_is_still_needed(
    services: Services, problem: str, number: str, rest: tuple[str, ...], story: str
) -> None:
    """Asked for the order number and a photo, the customer sent the photo and got 'Спасибо,
    записал.' and nothing more: they waited for the bot while the bot waited for the order
    number (and in Russian for 'пару слов', which after the number got 'Спасибо, записал.'
    again: the chat stalled). The photo is kept, the reply says what is still needed (no new
    'asked_for': the photo is never asked again), a second photo is just thanked, and the
    number brings the case on."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    asked = [e["slot"] for e in d.of("asked_for")]
    assert "photo" in asked and "order_ref" in asked
    await d.send(photo=True)
    reply = " ".join(d.replies[-1])
    assert all(r in reply for r in rest), reply
    assert "фото" not in reply and "photo" not in reply and "zdjęc" not in reply, reply
    await d.send(photo=True)
    assert d.replies[-1] and not any(r in " ".join(d.replies[-1]) for r in rest), d.replies[-1]
    state = await d.state()
    assert len(state["known"]["photos"]) == 2
    await d.send(number)
    reply = " ".join(d.replies[-1])
    assert d.of("asked_for") == [e for e in d.of("asked_for") if e["turn"] == 0]
    if "description" in asked:
        # "пару слов" is all that is left: said so once, then the case goes on
        assert re.search("пару слов|few words|kilka słów", reply), reply
        await d.send(story)
    assert d.buttons[-1], d.replies[-1]  # replace / refund / repair


@pytest.mark.parametrize(
    ("problem", "why", "word"),
    [
        ("Заказ 5512347 опаздывает уже на неделю", "почему так?", "причин"),
        ("My order 5512348 is a week late", "why does this happen?", "reason"),
        ("Zamówienie 5512349 spóźnia się już tydzień", "dlaczego tak się dzieje?", "przyczyn"),
        ("Курьер нагрубил мне, заказ 4471030", "а почему так вышло?", "причин"),
    ],
)
async def test_why_at_is_that_ok_is_answered_not_filed(
    services: Services, problem: str, why: str, word: str
) -> None:
    """At 'Такое решение вам подходит?', 'почему так?' got 'Спасибо, добавил это к вашему
    обращению' and 'why does this happen?' 'Thank you, I've added that to your case': a
    question filed as a detail, never answered. It is answered (the reason is not known yet,
    the team will find out, it is recorded so it does not happen again), and the question
    stands, still open: neither a yes nor a no."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(why)
    reply = " ".join(d.replies[-1])
    assert word in reply.lower(), reply
    assert not d.of("details_added") and not d.of("resolved") and not d.of("escalated"), reply
    assert len(d.of("satisfaction_check")) == 2, reply
    await d.send("ок" if word == "причин" else "ok")
    assert d.of("resolved"), d.replies[-1]


@pytest.mark.parametrize(
    ("text", "ctype", "order"),
    [
        ("zakaz ne prishel", "delivery_delay", None),
        ("zdravstvujte, zakaz 5512360 ne prishel", "delivery_delay", "5512360"),
        ("gde moj zakaz 12345", None, "12345"),
        ("zakaz A-9902 kogda budet?", None, "A-9902"),
    ],
)
async def test_russian_in_latin_letters_is_read_as_russian(
    services: Services, text: str, ctype: str | None, order: str | None
) -> None:
    """'zakaz ne prishel' (the order has not come) was a wrong item, so the bot asked for a
    photo of it; 'gde moj zakaz 12345' got 'Понял, заказ 12345. Чем могу помочь?', as if
    the customer had not asked where it is. Russian typed in Latin letters is read as the
    Russian it is: a late order is chased (no photo), a status question goes to the
    colleague who can look the order up, with its number as typed."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = " ".join(d.replies[-1])
    assert CYRILLIC_RE.search(reply), reply
    assert "photo" not in [e["slot"] for e in d.of("asked_for")], reply
    if ctype is not None:
        assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], reply
    else:
        assert [e["reason"] for e in d.of("escalated")] == ["order_status"], reply
        assert order in reply, reply


@pytest.mark.parametrize(
    ("first", "second", "too"),
    [
        (
            ("Чайник пришёл разбитый, заказ 5512349", "замена", "да"),
            "И ещё курьер нагрубил",
            "и об этом",
        ),
        (
            ("The mug arrived broken, order 5512350", "replacement", "yes"),
            "Also the courier was rude",
            "this too",
        ),
        (
            ("Kubek przyszedł stłuczony, zamówienie 5512351", "wymiana", "tak"),
            "A kurier był niemiły",
            "również o tym",
        ),
    ],
)
async def test_a_second_problem_in_the_same_chat_is_thanked_briefly(
    services: Services, first: tuple[str, ...], second: str, too: str
) -> None:
    """A second problem told after the first was solved got the whole opening again ('Спасибо,
    что сообщили, это правда помогает нам исправлять ошибки. Извините, что так вышло.'), as
    if the customer had just arrived. The thanks is short now ('Спасибо, что рассказали и
    об этом.'), still before the apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first[0])
    await d.send(photo=True)
    for text in first[1:]:
        await d.send(text)
    assert d.of("resolved"), d.all_text()
    await d.send(second)
    reply = "\n".join(d.replies[-1])
    assert len(d.of("complaint_opened")) == 2, reply
    assert too in reply and thanks_before_apology(reply), reply


@pytest.mark.parametrize(
    "text",
    [
        "Dzień dobry, w paczce brakowało ładowarki",
        "Dzień dobry, brakowało ładowarki",
        "Dzień dobry, w paczce zabrakło ładowarki",
    ],
)
async def test_a_polish_missing_item_in_the_past_tense_is_a_complaint(
    services: Services, text: str
) -> None:
    """'Dzień dobry, w paczce brakowało ładowarki' (the charger was missing from the parcel)
    got 'Chyba nie do końca rozumiem. Napisz proszę inaczej albo wybierz temat.': only
    'brakuje' was known as a missing item. The past tense is one too: thanks, an apology and
    the order number asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = "\n".join(d.replies[-1])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], reply
    assert thanks_before_apology(reply), reply


@pytest.mark.parametrize(
    ("hello", "what", "told"),
    [
        (
            "Здравствуйте, у меня проблема с заказом",
            "посылка так и не пришла, заказ 5512370",
            "Спасибо, что рассказали.",
        ),
        (
            "Hi, I have a problem with my order",
            "the blender doesn't turn on",
            "Thank you for telling me.",
        ),
    ],
)
async def test_the_answer_to_what_happened_is_not_thanked_with_the_same_speech(
    services: Services, hello: str, what: str, told: str
) -> None:
    """'Hi, I have a problem with my order' got 'Thank you for writing to us! I'm sorry
    something went wrong. What happened?', and the answer 'Thank you for writing to us: it's
    the only way we can fix it. I'm really sorry about this.': the same thanks twice in a
    row. The answer is thanked in a word, and the apology for what happened follows."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(hello)
    await d.send(what)
    reply = "\n".join(d.replies[-1])
    assert d.of("complaint_opened") and reply.startswith(told), reply
    assert thanks_before_apology(reply), reply


@pytest.mark.parametrize(
    ("problem", "caption"),
    [
        ("Заказ 5512380 опаздывает уже на неделю", "вот"),
        ("My order 5512381 is a week late", "here"),
        ("Zamówienie 5512382 spóźnia się już tydzień", "proszę"),
    ],
)
async def test_a_photo_captioned_here_at_is_that_ok_is_no_yes(
    services: Services, problem: str, caption: str
) -> None:
    """At 'Такое решение вам подходит?' the customer sent a photo captioned 'вот' ('here it
    is'): read as a yes, the case closed ('Отлично! Спасибо за терпение.') and the survey
    began, the photo never looked at. A photo is a detail for the case; the question
    stands until it is answered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(caption, photo=True)
    assert not d.of("resolved"), d.replies[-1]
    assert d.of("details_added") and len(d.of("satisfaction_check")) == 1, d.replies[-1]
    state = await d.state()
    assert state["known"]["photos"], state["known"]


@pytest.mark.parametrize(
    ("where", "none"),
    [
        ("where is my parcel??", "I don't have the number, I ordered last Tuesday"),
        ("где моя посылка??", "номера у меня нет, заказывала в прошлый вторник"),
        ("gdzie jest moja paczka?", "nie mam numeru, zamawiałam w zeszły wtorek"),
    ],
)
async def test_no_order_number_for_where_is_my_parcel_brings_a_person(
    services: Services, where: str, none: str
) -> None:
    """Asked for the order number, 'I don't have the number, I ordered last Tuesday' opened a
    late-delivery case ('As soon as I have the order number, I'll sort it out right away')
    and 'ok' got 'Take your time: I'm here.': the customer had just said there is no number,
    and waited for nothing. Without the number a colleague finds the order by the customer,
    as the bot does for a plain 'no'."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(where)
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send(none)
    assert [e["reason"] for e in d.of("escalated")] == ["order_status"], d.replies[-1]
    assert len(d.of("asked_for")) == 1, d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "Я указала неправильный адрес в заказе 5512395, можно исправить?",
        "I entered the wrong address for order 5512396, can you fix it?",
        "Podałam zły adres w zamówieniu 5512397, da się to poprawić?",
    ],
)
async def test_a_wrong_address_to_be_corrected_goes_to_a_person_who_can_change_it(
    services: Services, text: str
) -> None:
    """'Я указала неправильный адрес в заказе 5512395, можно исправить?' was a complaint about
    the website: thanks, an apology ('Мне очень жаль, что так получилось') and a phone or
    e-mail asked for the technical team. Fixing an order's address is a change to the order:
    passed, with its number, to a colleague who can make it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["reason"] for e in d.of("escalated")] == ["order_change"], d.replies[-1]
    assert not d.of("complaint_opened") and not d.of("asked_for"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "fix", "free", "yes"),
    [
        ("The headphones I got don't charge, order 5512397", "repair", "Is that free?", "free"),
        ("Наушники не заряжаются, заказ 5512398", "замена", "а это бесплатно?", "бесплатно"),
        ("Słuchawki się nie ładują, zamówienie 5512399", "wymiana", "czy to jest za darmo?", "nic"),
    ],
)
async def test_is_the_fix_free_is_answered(
    services: Services, problem: str, fix: str, free: str, yes: str
) -> None:
    """A warranty repair booked, 'Is that free?' got the FAQ's delivery prices ('Courier
    delivery in Russia costs 299 RUB...'), and 'is that OK for you?' was never asked again:
    the customer was left thinking they would pay. The fix is the shop's to pay for, and the
    bot says so; the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(fix)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(free)
    reply = " ".join(d.replies[-1])
    assert yes in reply.lower() and not d.of("faq_answered"), reply
    assert len(d.of("satisfaction_check")) == 2 and not d.of("resolved"), reply


@pytest.mark.parametrize(
    ("problem", "free", "yes"),
    [
        ("Наушники не заряжаются, заказ 5512400", "а ремонт бесплатный?", "бесплатно"),
        ("The headphones I got don't charge, order 5512401", "is the repair free?", "free"),
    ],
)
async def test_is_the_fix_free_at_the_offer_is_answered_and_the_offer_stands(
    services: Services, problem: str, free: str, yes: str
) -> None:
    """'а ремонт бесплатный?' at 'Заменить / Вернуть деньги / Ремонт?' is a question about
    the repair, not the choice of it: answered, and the offer stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    assert d.buttons[-1], d.replies[-1]
    await d.send(free)
    reply = " ".join(d.replies[-1])
    assert yes in reply.lower() and not d.of("fix_chosen"), reply
    assert d.buttons[-1], reply


async def test_where_are_you_after_a_colleague_took_the_chat_and_went_quiet(
    services: Services,
) -> None:
    """A colleague took the ticket, said hello and then nothing for half an hour: 'ну где вы?'
    got no reply at all (the bot spoke only while nobody had taken it). Right after the
    colleague wrote, the chat is theirs and the bot stays out of it; once they have been
    quiet a while, the customer hears that the colleague is on it and answers right here."""
    user = str(next(_ids))
    await say_at(services, user, "позовите оператора", WED_12_MSK)
    async with services.sessionmaker() as session:
        ticket = await session.scalar(
            select(Ticket)
            .join(Conversation, Conversation.id == Ticket.conversation_id)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(Customer.external_id == user)
        )
        ticket.status, ticket.assignee_id = "taken", 777
        session.add(
            Message(
                conversation_id=ticket.conversation_id,
                direction="operator",
                text="Здравствуйте! Сейчас посмотрю.",
                author_id=777,
                created_at=WED_12_MSK + timedelta(minutes=2),
            )
        )
        await session.commit()
    soon = await say_at(services, user, "ну где вы?", WED_12_MSK + timedelta(minutes=5))
    assert soon.replies == [], "the colleague has just written: their chat"
    later = await say_at(services, user, "ну где вы?", WED_12_MSK + timedelta(minutes=35))
    said = " ".join(r.text for r in later.replies)
    assert "коллег" in said.lower(), said


@pytest.mark.parametrize(
    "text", ["Чайник пришёл разбитый", "Пылесос перестал работать", "Kubek przyszedł stłuczony"]
)
async def test_a_short_story_told_with_the_complaint_is_not_asked_for_again(
    services: Services, text: str
) -> None:
    """'Чайник пришёл разбитый' was answered with '...пришлите номер заказа, фото проблемы и
    пару слов о том, что именно случилось': the customer had just said what happened, in
    three words (Russian and Polish say in three what English says in four or five). What
    they told is the story; the order number and the photo are asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    asked = [e["slot"] for e in d.of("asked_for")]
    assert "photo" in asked and "description" not in asked, d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "now"),
    [
        ("To jest skandal!!! Trzeci tydzień czekam na zamówienie 5512433!!!", "i co teraz?"),
        ("My order 5512434 is three weeks late!!!", "and now what?"),
    ],
)
async def test_what_now_at_is_that_ok_hears_where_it_stands(
    services: Services, problem: str, now: str
) -> None:
    """'i co teraz?' ('and now what?') at 'Czy takie rozwiązanie Ci odpowiada?' got
    'Dziękuję, dodałem to do zgłoszenia': a question filed as a detail. The customer hears
    where the case stands (the delivery team, within 24 hours), and the question again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(now)
    reply = " ".join(d.replies[-1])
    assert "24" in reply and not d.of("details_added"), reply
    assert len(d.of("satisfaction_check")) == 2, reply


@pytest.mark.parametrize(
    "text",
    [
        "У меня два заказа, 5512440 и 5512441, оба не пришли",
        "Great job guys, my parcel is lost again. Order 5512445",
        # the insult read on its own, the rest as a wrong item: the case was a wrong item
        "Вы обманщики! Заказ 5512446 не пришёл",
        "Вы обманщики, я напишу отзыв везде и пойду в суд! Заказ 5512447 не пришёл",
    ],
)
async def test_an_order_not_come_is_chased_not_asked_for_a_photo_or_what_about(
    services: Services, text: str
) -> None:
    """'У меня два заказа, 5512440 и 5512441, оба не пришли' was a wrong item (a photo of it
    asked for), and 'Great job guys, my parcel is lost again. Order 5512445' a status
    question sure of itself ('Got it, order 5512445. How can I help with it?', then 'Good.
    Is there anything else?' to 'whatever'). An order that has not come or got lost is a
    late delivery: thanks, an apology, and the delivery team chases it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    reply = "\n".join(d.replies[-1])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], reply
    assert "photo" not in [e["slot"] for e in d.of("asked_for")], reply
    assert thanks_before_apology(reply), reply


@pytest.mark.parametrize(
    ("problem", "what", "wish"),
    [
        ("Посылка пришла с опозданием и не хватает одной вещи", "не хватает зарядки", None),
        (
            "Paczka przyszła po terminie i brakuje jednej rzeczy",
            "brakuje ładowarki",
            "odeślijcie brakującą część",
        ),
    ],
)
async def test_what_is_missing_told_at_the_fix_offer_is_noted_and_a_wish_taken(
    services: Services, problem: str, what: str, wish: str | None
) -> None:
    """Offered 'Довезти недостающее / Вернуть деньги', a customer says what is missing ('не
    хватает зарядки', 'brakuje ładowarki') and got 'Простите, не совсем понял, какой вариант
    вы имеете в виду' (English 'the charger is missing' was noted); then 'odeślijcie
    brakującą część' (send the missing part) got the FAQ's missing-item answer, in English.
    The detail is noted with the offer again, and the wish is the missing part sent."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send("5512103")
    assert d.of("complaint_opened") and not d.of("fix_chosen"), d.replies[-1]
    await d.send(what)
    reply = " ".join(d.replies[-1])
    assert not any(w in reply for w in ("не совсем понял", "nie do końca rozumiem")), reply
    assert "1)" not in reply and d.buttons[-1], reply  # the offer again, its buttons
    assert "зарядк" in (await d.state())["known"].get("description", "") or "ładowark" in (
        await d.state()
    )["known"].get("description", "")
    if wish:
        await d.send(wish)
        assert [e["option"] for e in d.of("fix_chosen")] == ["resend"], d.replies[-1]
        assert not d.of("faq_answered"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "sent"),
    [
        (
            "The blender arrived broken. Order 5512105",
            "I already sent photos twice to your email!!",
        ),
        ("Блендер пришёл сломанный, заказ 5512105", "я уже два раза отправляла фото вам на почту!"),
        ("Blender przyszedł zepsuty, zamówienie 5512105", "Wysłałam już zdjęcia mailem"),
    ],
)
async def test_a_photo_sent_by_email_is_not_asked_for_again(
    services: Services, problem: str, sent: str
) -> None:
    """Asked for a photo, the customer says they already sent photos to the shop's email,
    twice, and got 'I can't see the photo yet ... Could you send it again?': asked a third
    time. The bot goes on without it here: the fixes are offered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(sent)
    reply = " ".join(d.replies[-1])
    assert d.buttons[-1] and "?" in reply, reply  # the fix offer
    assert not any(w in reply.lower() for w in ("photo", "фото", "zdjęci")), reply


SETTLED = {
    "ru": ("Пришёл сломанный пылесос, не включается, заказ 5512377", "замена", "да"),
    "en": ("My vacuum cleaner arrived broken, it doesn't turn on. Order 5512377", "replace", "yes"),
    "pl": ("Odkurzacz przyszedł zepsuty, nie włącza się. Zamówienie 5512377", "wymiana", "tak"),
}


async def _settled(services: Services, lang: str) -> Dialogue:
    """A complaint the bot solved and the customer said yes to: the survey's rating asked."""
    problem, fix, yes = SETTLED[lang]
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(fix)
    await d.send(yes)
    assert d.of("resolved") and not d.of("compensation_offered"), d.replies
    return d


@pytest.mark.parametrize(
    ("lang", "wish", "pick", "kind"),
    [
        ("ru", "нет, хочу компенсацию", "бесплатная доставка", "free_delivery"),
        ("en", "no, I want compensation", "the gift", "gift"),
        ("pl", "nie, chcę rekompensatę", "rabat", "coupon"),
    ],
)
async def test_a_compensation_asked_for_after_the_case_is_settled_is_a_choice(
    services: Services, lang: str, wish: str, pick: str, kind: str
) -> None:
    """'нет, хочу компенсацию' to the survey after a solved case got only 'here is a 10%
    coupon: SORRY10'; the playbook's compensations are offered to choose from (a coupon,
    free delivery, a gift), and the one chosen is given with no new 'is that OK?'."""
    d = await _settled(services, lang)
    await d.send(wish)
    offered = {e["kind"] for e in d.of("compensation_offered")}
    assert offered == {"coupon", "free_delivery", "gift"}, d.replies[-1]
    assert len(d.buttons[-1]) == 3 and "SORRY" not in " ".join(d.replies[-1]), d.replies[-1]
    assert not d.of("escalated")
    await d.send(pick)
    assert [e["kind"] for e in d.of("compensation_chosen")] == [kind], d.replies[-1]
    assert len(d.of("satisfaction_check")) == 1, d.replies[-1]
    assert not d.of("escalated")


@pytest.mark.parametrize(
    "wish",
    ["нет, хочу компенсацию деньгами", "no, I want compensation in cash"],
)
async def test_money_asked_for_as_a_compensation_after_the_case_goes_to_a_colleague(
    services: Services, wish: str
) -> None:
    d = await _settled(services, "en" if wish.startswith("no") else "ru")
    await d.send(wish)
    assert not d.of("compensation_offered") and not d.of("compensation_chosen"), d.replies
    [esc] = d.of("escalated")
    assert esc["reason"] == "needs_person", esc
    assert "money as a compensation" in esc["card"], esc["card"]


@pytest.mark.parametrize(
    "wish",
    ["хочу компенсацию деньгами", "а деньгами можно?", "wolę rekompensatę pieniężną"],
)
async def test_money_asked_for_at_a_missed_event_offer_goes_to_a_colleague(
    services: Services, wish: str
) -> None:
    """'хочу компенсацию деньгами' at the missed event's offer got the offer again ('Выберите,
    пожалуйста...'), 'а деньгами можно?' the FAQ's 'Ваш вопрос про одну из этих тем?'."""
    d = Dialogue(services, str(next(_ids)))
    first = (
        "Prezent na urodziny przyszedł po imprezie, zamówienie 4428816"
        if "pieni" in wish
        else "Подарок опоздал, день рождения уже прошёл, заказ 5512377"
    )
    await d.send(first)
    assert d.of("compensation_offered")
    await d.send(wish)
    assert not d.of("compensation_chosen") and not d.of("faq_declined"), d.replies[-1]
    [esc] = d.of("escalated")
    assert esc["reason"] == "needs_person", esc


@pytest.mark.parametrize(
    ("first", "correction"),
    [
        (
            "В посылке не было кейса от наушников, заказ 5512377",
            "ой, нет, кейс на месте, один наушник не работает",
        ),
        (
            "The charging case was missing from my headphones box, order 5512377",
            "oh sorry, no, the case is there, one earbud doesn't work",
        ),
        (
            "W paczce brakowało etui do słuchawek, zamówienie 5512377",
            "och, nie, etui jest, jedna słuchawka nie działa",
        ),
    ],
)
async def test_a_missing_item_taken_back_for_a_defect_changes_the_complaint_type(
    services: Services, first: str, correction: str
) -> None:
    """'ой, нет, кейс на месте, один наушник не работает' got 'Спасибо, записал.' and the
    missing item's offer again ('Довезти недостающее / Вернуть деньги'): the case becomes a
    defect (recorded so), with the defect's next step (a photo)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"]
    await d.send(correction)
    [retyped] = d.of("complaint_retyped")
    assert retyped["complaint_type"] == "damaged_defective", d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    async with services.sessionmaker() as session:
        types = (await session.scalars(select(Complaint.complaint_type))).all()
    assert "damaged_defective" in types and "missing_item" not in types, types


@pytest.mark.parametrize(
    ("outburst", "then", "ctype"),
    [
        ("это просто ужас!!!", "пылесос пришёл разбитый, заказ 5512377", "damaged_defective"),
        ("what a joke", "my parcel is two weeks late, order 5512377", "delivery_delay"),
        (
            "to jakiś żart!!!",
            "odkurzacz przyszedł zepsuty, zamówienie 5512377",
            "damaged_defective",
        ),
        ("Кошмар!", None, None),
        ("This is absolutely ridiculous!!", None, None),
    ],
)
async def test_a_bare_outburst_first_is_thanked_and_asked_what_happened(
    services: Services, outburst: str, then: str | None, ctype: str | None
) -> None:
    """'это просто ужас!!!' opened a case of no type with a coupon and 'пришлите пару слов о
    том, что именно случилось'; 'what a joke' got 'I'm only good at shop matters', 'to jakiś
    żart!!!' 'Chyba nie do końca rozumiem'. Thanks, and what happened; the answer opens the
    case, with no second thanks."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(outburst)
    said = " ".join(d.replies[-1])
    assert [e.get("reason") for e in d.of("clarify")] == ["outburst"], said
    assert THANKS.search(said) and "?" in said, said
    assert not d.of("complaint_opened") and not d.of("compensation_offered"), said
    assert not d.of("fallback") and not d.of("escalated"), said
    if then is None:
        return
    await d.send(then)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], d.replies[-1]


@pytest.mark.parametrize(
    ("outburst", "then", "ctype"),
    [
        ("Я в бешенстве", "курьер опоздал на три дня, заказ 5512377", "delivery_delay"),
        ("Jestem wściekła", None, None),
        ("Мне надоел ваш магазин", None, None),
        ("I give up", "the kettle arrived broken, order 5512377", "damaged_defective"),
        ("Poddaję się", None, None),
        ("Сил моих больше нет", None, None),
        # "thanks for the kind words!", "I didn't quite understand", the FAQ's topics, a
        # broken-item case asking for a photo
        ("your service sucks", None, None),
        ("u guys suck", None, None),
        ("Jesteście beznadziejni", None, None),
        ("You are useless", None, None),
        ("Вы издеваетесь?", None, None),
        ("this shop sucks", "my parcel is two weeks late, order 5512377", "delivery_delay"),
    ],
)
async def test_anger_or_weariness_said_alone_is_thanked_and_asked_what_happened(
    services: Services, outburst: str, then: str | None, ctype: str | None
) -> None:
    """'Я в бешенстве' got 'I only know shop matters', 'Jestem wściekła' and 'I give up' 'I
    didn't quite understand', 'Мне надоел ваш магазин' 'Thank you for the kind words!',
    'Poddaję się' 'Do widzenia!', 'Сил моих больше нет' FAQ topics. A customer this upset has
    something wrong: thanks, and what happened; the answer opens the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(outburst)
    said = " ".join(d.replies[-1])
    assert [e.get("reason") for e in d.of("clarify")] == ["outburst"], said
    assert THANKS.search(said) and "?" in said, said
    assert not d.of("fallback") and not d.of("faq_declined"), said
    if then is None:
        return
    await d.send(then)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "Больше никогда у вас ничего не закажу",
        "Nigdy więcej u was nie zamówię",
        # a threat on a condition: a wrong-item case with a coupon, the order and a photo asked
        "Если не решите, напишу отзыв на яндекс маркете",
        "If you don't sort this out, I'll leave a 1-star review",
        "Jeśli tego nie załatwicie, wystawię negatywną opinię",
    ],
)
async def test_a_threat_to_leave_alone_is_asked_what_happened(
    services: Services, text: str
) -> None:
    """'Больше никогда у вас ничего не закажу' opened a late-parcel case (the model's guess)
    with a coupon and asked for the order number; nothing was said about what went wrong."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    said = " ".join(d.replies[-1])
    assert [e.get("reason") for e in d.of("clarify")] == ["threat_only"], said
    assert not d.of("complaint_opened") and not d.of("asked_for"), said


@pytest.mark.parametrize(
    "text",
    [
        "tell me a joke",
        "ужасная доставка, заказ 5512377 опаздывает",
        "Я в бешенстве, курьер опоздал",
        "I give up on this order 5512345",
        "Надоело ждать",
        "The kettle sucks, it leaks",
        "you suck at delivery, my parcel is 2 weeks late",
    ],
)
def test_a_message_with_content_is_no_bare_outburst(text: str) -> None:
    from bot.nlu.lexicon import bare_outburst

    assert not bare_outburst(text)


@pytest.mark.parametrize(
    ("lang", "first", "said"),
    [
        ("ru", "5512377", "Спасибо, заказ 5512377 записал. Что с ним случилось?"),
        ("ru", "заказ 5512377", "Спасибо, заказ 5512377 записал. Что с ним случилось?"),
        ("en", "5512377", "Thank you, I have order 5512377 noted. What happened with it?"),
        ("pl", "5512377", "Dziękuję, zamówienie 5512377 zapisane. Co się z nim stało?"),
    ],
)
async def test_a_bare_order_number_first_is_noted_and_asked_about(
    services: Services, lang: str, first: str, said: str
) -> None:
    """A lone '5512377' as the first message opened a complaint of the 'service' type ('Спасибо,
    что написали нам... Мне очень жаль... пришлите пару слов о том, что именно случилось'):
    the number is noted and the customer asked what it is about; it is not asked for again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first, language_code=lang)
    assert d.replies[-1] == [said], d.replies[-1]
    assert not d.of("complaint_opened") and not d.of("asked_for")
    # understood as an order named (the reports and the checks see no complaint in it)
    [classified] = d.of("classified")
    assert (classified["intent"], classified["order_ref"]) == ("order_status", "5512377")
    await d.send(
        "где он?" if lang == "ru" else "where is it?" if lang == "en" else "gdzie jest moja paczka?"
    )
    assert not [e for e in d.of("asked_for") if e["slot"] == "order_ref"], d.replies[-1]
    [esc] = d.of("escalated")
    assert esc["reason"] == "order_status" and "5512377" in " ".join(d.replies[-1])


async def test_a_number_answering_the_question_for_it_is_that_answer(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришёл сломанный пылесос, не включается")
    await d.send("5512377")
    assert "Что с ним случилось" not in " ".join(d.replies[-1]), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref", "photo"]


@pytest.mark.parametrize("text", ["у меня жалоба", "I have a complaint", "mam reklamację"])
async def test_an_unsure_complaint_announced_is_thanked_and_asked_what_happened(
    services: Services, text: str
) -> None:
    """'у меня жалоба' (the model 0.25 sure) got 'Кажется, я не совсем понял. Переформулируйте,
    пожалуйста': thanks, and what happened, as 'I have a complaint' did."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e.get("reason") for e in d.of("clarify")] == ["problem_only"], d.replies[-1]
    assert THANKS.search(d.replies[-1][0]) and not d.of("fallback"), d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "I can't log in, the verification code 482193 never arrives",
        "код 4821 не приходит",
        "не приходит смс-код 482193 для заказа",
    ],
)
async def test_a_code_in_the_message_is_not_taken_for_the_order_number(
    services: Services, text: str
) -> None:
    """'the verification code 482193 never arrives' was recorded as order 482193 (the card
    said so, the team would have looked up someone else's order)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert "482193" not in d.all_text() and "4821" not in d.all_text(), d.replies
    assert (await d.state()).get("known", {}).get("order_ref") is None
    [classified] = d.of("classified")
    assert classified["order_ref"] is None, classified


@pytest.mark.parametrize(
    "text",
    ["ужасная доставка", "отвратительный сервис", "terrible service", "okropna obsługa"],
)
async def test_a_bad_mark_for_the_shop_is_no_praise(services: Services, text: str) -> None:
    """'ужасная доставка', 'terrible service' got 'Большое спасибо за тёплые слова! Команда
    будет рада.' ('Thanks so much for the kind words!'), 'okropna obsługa' the opening hours
    in English: thanks, and what happened."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    said = " ".join(d.replies[-1])
    assert [e.get("reason") for e in d.of("clarify")] == ["outburst"], said
    assert not d.of("faq_answered") and "kind words" not in said and "тёплые" not in said


@pytest.mark.parametrize(
    ("first", "story"),
    [
        ("у меня жалоба", "курьер нагрубил"),
        ("I have a complaint", "courier was rude"),
        ("это просто ужас!!!", "курьер нахамил"),
    ],
)
async def test_the_answer_to_what_happened_is_not_asked_for_again(
    services: Services, first: str, story: str
) -> None:
    """'Что случилось?' - 'курьер нагрубил' got 'пришлите, пожалуйста, пару слов о том, что
    именно случилось, и номер заказа': the story just told was asked for again (two words
    were too few for a story); only the order number is asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(story)
    assert d.of("complaint_opened"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "курьер привёз разбитый телевизор, заказ 5512377",
        "the courier brought a broken TV, order 5512377",
        "kurier przywiózł zepsuty telewizor, zamówienie 5512377",
    ],
)
async def test_a_broken_item_the_courier_brought_is_a_defect_not_the_courier(
    services: Services, text: str
) -> None:
    """'курьер привёз разбитый телевизор' was a complaint about the courier: 'Я передал всё
    менеджеру по качеству... Ответ будет в течение 48 часов', no replacement or refund; the
    broken item is the case (its photo asked for), the courier's manners only when told."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert not d.of("complaint_also_recorded"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]


@pytest.mark.parametrize(
    ("lang", "then", "escalates", "asked"),
    [
        ("pl", "gdzie jest?", True, []),
        ("en", "when will it come?", True, []),
        ("ru", "пришёл разбитый", False, ["photo"]),
    ],
)
async def test_what_a_lone_order_number_is_about_is_taken_with_it(
    services: Services, lang: str, then: str, escalates: bool, asked: list[str]
) -> None:
    """'Jasne, zamówienie 5512377. W czym mogę pomóc?' - 'gdzie jest?' got the FAQ's 'Czy
    pytanie dotyczy jednego z tych tematów?'; 'Понял, заказ 5512377. Чем могу помочь?' -
    'пришёл разбитый' was asked for 'пару слов о том, что именно случилось' too."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("5512377", language_code=lang)
    await d.send(then, language_code=lang)
    assert bool(d.of("escalated")) is escalates, d.replies[-1]
    assert not d.of("faq_declined"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == asked, d.replies[-1]


async def test_a_code_that_never_arrives_is_no_late_parcel(services: Services) -> None:
    """'the code 4821 never arrives' was a late delivery ('could you help me with the order
    number?'); a login code that does not come is the site's problem."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("the code 4821 never arrives")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["website_app"]
    assert "order_ref" not in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


MISSED_EVENT = {
    "ru": "Подарок опоздал, день рождения уже прошёл, заказ 5512377",
    "en": "The gift came late, the birthday is over. Order 5512377",
    "pl": "Prezent na urodziny przyszedł po imprezie, zamówienie 4428816",
}


@pytest.mark.parametrize(
    ("lang", "answer"),
    [
        ("ru", "5"),
        ("ru", "давайте пятое"),
        ("ru", "вариант 4"),
        ("en", "5"),
        ("en", "the blue one"),
        ("pl", "5"),
    ],
)
async def test_an_answer_naming_no_offered_compensation_is_asked_which_one_is_meant(
    services: Services, lang: str, answer: str
) -> None:
    """'5' (or 'давайте пятое', 'the blue one') to 'Скидка 15% / Бесплатная доставка ×3 /
    Подарок' got the same offer read again as if unread, and 'давайте пятое' the coupon; the
    customer is asked kindly which one they mean, the options numbered, nothing chosen."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(MISSED_EVENT[lang])
    assert len(d.of("compensation_offered")) == 3, d.replies
    await d.send(answer)
    reply = " ".join(d.replies[-1])
    assert not d.of("compensation_chosen"), reply
    assert len(d.of("complaint_opened")) == 1 and not d.of("escalated"), reply
    assert re.search(r"не совсем понял|not quite sure which|nie do końca rozumiem", reply), reply
    assert "1) " in reply and "3) " in reply, reply
    assert {b for b in d.buttons[-1]} == {
        f"cmp:comp:{k}" for k in ("coupon", "free_delivery", "gift")
    }
    await d.send("2")  # the number it then types picks that one
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["free_delivery"], d.replies[-1]


@pytest.mark.parametrize("answer", ["5", "вариант 4", "вариант 2"])
async def test_a_fix_named_by_a_number_the_offer_has_or_not(
    services: Services, answer: str
) -> None:
    """'вариант 2' at 'Заменить товар / Вернуть деньги / Гарантийный ремонт?' was not read as
    the second option, '5' got the offer again; the one named is chosen, one the offer does
    not have is asked about kindly, with the options numbered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришёл сломанный пылесос, не включается, заказ 5512377")
    await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies
    await d.send(answer)
    reply = " ".join(d.replies[-1])
    if answer == "вариант 2":
        assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], reply
        return
    assert not d.of("fix_chosen") and not d.of("escalated"), reply
    assert "не совсем понял" in reply and "1) Заменить товар" in reply, reply


@pytest.mark.parametrize(
    ("outburst", "story", "order"),
    [
        ("ужасная доставка, заказ 12345", "курьер опоздал на 3 часа и нагрубил", "12345"),
        ("это просто ужас!!! заказ 3302145", "пришла разбитая ваза", "3302145"),
        ("terrible delivery, order 5530987", "the courier came 4 hours late", "5530987"),
        ("okropna dostawa, zamówienie 6690213", "kurier spóźnił się 3 godziny", "6690213"),
    ],
)
async def test_an_outburst_with_an_order_number_is_asked_what_happened_and_the_number_kept(
    services: Services, outburst: str, story: str, order: str
) -> None:
    """'ужасная доставка, заказ 12345' opened a late-delivery case ('Я передал всё службе
    доставки'), 'okropna dostawa, zamówienie 6690213' got 'Jasne, zamówienie 6690213. W czym
    mogę pomóc?' with no thanks, 'это просто ужас!!! заказ 3302145' a coupon and a colleague:
    nothing was told of what went wrong. As with no number: thanks, and what happened, the
    order number said back; the answer opens the case and the number is never asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(outburst)
    first = " ".join(d.replies[0])
    assert not d.of("complaint_opened") and not d.of("escalated"), first
    assert thanks_before_apology(first) and order in first, first
    assert re.search(r"Что случилось|What happened|Co się stało", first), first
    await d.send(story)
    assert len(d.of("complaint_opened")) == 1, d.replies[-1]
    assert "order_ref" not in [e["slot"] for e in d.of("asked_for")], d.replies[-1]
    state = await d.state()
    assert state["known"]["order_ref"] == order


@pytest.mark.parametrize(
    "text", ["код из смс так и не пришёл", "SMS code still hasn't come", "kod SMS nie przychodzi"]
)
async def test_a_login_code_that_does_not_come_is_a_site_case_with_a_contact_asked(
    services: Services, text: str
) -> None:
    """'код из смс так и не пришёл' opened a payment case ('пришлите номер заказа'), 'SMS code
    still hasn't come' one of no type, straight to a colleague; it is the site's problem, and
    a contact is asked for (not an order number)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["website_app"], d.replies
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    assert thanks_before_apology(" ".join(d.replies[0])), d.replies[0]


@pytest.mark.parametrize(
    "text",
    [
        "Bluzka przyszła z plamą, zamówienie 6690213",
        "przyszła z plamą",
        "Кофта пришла с пятном, заказ 3302145",
        "The sweater came with a stain, order 5530987",
    ],
)
async def test_an_item_that_came_stained_is_a_defect_case(services: Services, text: str) -> None:
    """'Bluzka przyszła z plamą' opened a wrong-item case (replacement or refund, as for the
    wrong size), 'przyszła z plamą' alone was read as a goodbye: a stain is a defect, with
    its photo asked for and a repair among the fixes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"], (
        d.replies
    )
    assert "photo" in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


@pytest.mark.parametrize(
    ("first", "fix"),
    [
        ("Пришёл не тот товар, заказ 3302145", "ой, нет, он сломан"),
        ("I got the wrong item, order 5530987", "oh no wait, it's actually broken"),
        ("Przyszedł nie ten produkt, zamówienie 6690213", "och, nie, jest zepsuty"),
    ],
)
async def test_a_case_retyped_to_a_defect_still_waits_for_the_photo_asked_for(
    services: Services, first: str, fix: str
) -> None:
    """'Пришёл не тот товар' ('пришлите фото проблемы') - 'ой, нет, он сломан' went straight
    to 'Заменить товар / Вернуть деньги / Гарантийный ремонт?' with no photo: the defect needs
    it as the wrong item did, so it is still awaited (said, not a new request), and the fixes
    come with it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(fix)
    reply = " ".join(d.replies[-1])
    assert [e["complaint_type"] for e in d.of("complaint_retyped")] == ["damaged_defective"]
    assert not any(b.startswith("cmp:opt:") for b in d.buttons[-1]), reply
    assert re.search(r"фото|photo|zdj", reply, re.I), reply
    assert_never_reasked(d)
    await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]


async def test_a_lone_order_number_at_the_rating_question_is_read_as_an_order_named(
    services: Services,
) -> None:
    """'5512377' typed at 'Оцените нашу помощь от 1 до 5' was noted as an order ('Понял,
    заказ 5512377. Чем могу помочь?') but recorded as a complaint (the reports' reading): the
    lone number is read once per turn, as an order named, for the reply and the record alike."""
    d = await _settled(services, "ru")
    await d.send("5512377")
    assert "5512377" in " ".join(d.replies[-1]) and not d.of("escalated"), d.replies[-1]
    assert len(d.of("complaint_opened")) == 1, d.replies[-1]
    last = d.of("classified")[-1]
    assert (last["intent"], last["order_ref"]) == ("order_status", "5512377"), last


@pytest.mark.parametrize(
    "text",
    ["ты тупой бот, ничего не понимаешь", "you are a useless bot", "ten bot jest beznadziejny"],
)
async def test_a_customer_cross_with_the_bot_is_thanked_asked_what_happened_and_offered_a_person(
    services: Services, text: str
) -> None:
    """'ты тупой бот, ничего не понимаешь' opened a quality case ('Я передал всё менеджеру по
    качеству... в течение 24 часов. Такое решение вам подходит?'), 'you are a useless bot'
    got 'I'm not sure I understood. Could you put it differently?': thanks, sorry, what
    happened, and a person one tap away; the answer opens the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first), first
    assert not d.of("complaint_opened") and not d.of("fallback") and not d.of("promised"), first
    assert "topic:human" in d.buttons[0], d.buttons
    await d.send("курьер не привёз заказ 5512377" if "ты" in text else "order 5512377 never came")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]


async def test_a_customer_cross_with_the_bot_mid_case_is_told_what_is_still_needed(
    services: Services,
) -> None:
    """'ты вообще читаешь что я пишу? тупая железяка' while the photo was awaited got 'Спасибо,
    записал.': sorry, what is still needed, and a person one tap away."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришёл сломанный пылесос, заказ 5512377")
    await d.send("ты вообще читаешь что я пишу? тупая железяка")
    reply = " ".join(d.replies[-1])
    assert "фото" in reply and "topic:human" in d.buttons[-1], reply
    assert_never_reasked(d)
    assert not d.of("escalated")


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("заказ 3302145 до сих пор не пришёл", "уже поздно, праздник прошёл"),
        ("order 5530987 still hasn't arrived", "it's too late now, the birthday is over"),
        ("zamówienie 6690213 wciąż nie dotarło", "już za późno, urodziny już były"),
    ],
)
async def test_an_event_missed_told_at_is_that_ok_brings_the_compensation_choice(
    services: Services, first: str, then: str
) -> None:
    """'заказ не пришёл' ('Я передал всё службе доставки... Такое решение вам подходит?') -
    'уже поздно, праздник прошёл' (read as a goodbye) got the FAQ's 'Простите за ожидание!
    Если дата в «Моих заказах» уже прошла...': nothing is left to fix, so the playbook's
    compensations are offered, as they are in English."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(then)
    assert len(d.of("compensation_offered")) == 3, d.replies[-1]
    assert not d.of("faq_answered") and not d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("first", "threat"),
    [
        ("ужасная доставка, заказ 12345", "короче, всё, я ухожу к конкурентам"),
        ("это просто ужас!!!", "всё, больше у вас ничего не куплю"),
        ("terrible service", "whatever, I'm never ordering from you again"),
    ],
)
async def test_a_threat_in_answer_to_what_happened_is_not_asked_the_same_again(
    services: Services, first: str, threat: str
) -> None:
    """'ужасная доставка' ('Что случилось?') - 'короче, всё, я ухожу к конкурентам' got the
    same 'Спасибо, что написали! Жаль, что что-то пошло не так. Что случилось?' again; an
    angry customer who will not say is not asked twice: the case opens, with the gesture,
    and a person takes it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert len(d.of("clarify")) == 1, d.replies[-1]
    await d.send(threat)
    assert len(d.of("clarify")) == 1, d.replies[-1]
    assert d.of("complaint_opened") and d.of("escalated"), d.replies[-1]
    assert d.replies[-1] != d.replies[0], d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "I'll leave a 1-star review everywhere if you don't fix this. order 5530966 never arrived",
    ],
)
async def test_a_threat_told_with_a_parcel_that_never_came_is_no_broken_item(
    services: Services, text: str
) -> None:
    """'I'll leave a 1-star review everywhere if you don't fix this. order 5530966 never
    arrived' opened a broken-item case and asked for 'a photo of the problem' of a parcel
    that never came: the threat's sentence names no broken thing; the parcel is chased."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert "photo" not in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


@pytest.mark.parametrize(
    ("first", "back"),
    [
        ("заказ 4471366 пришёл не тот", "а, нет, всё правильно, извините, это я перепутала"),
        ("I got the wrong item, order 5530987", "oh sorry, my mistake, it's the right one"),
        (
            "Przyszedł nie ten produkt, zamówienie 6690213",
            "nie, wszystko się zgadza, pomyliłam się",
        ),
    ],
)
async def test_a_problem_taken_back_while_its_photo_is_awaited_closes_the_case(
    services: Services, first: str, back: str
) -> None:
    """'заказ пришёл не тот' ('пришлите фото проблемы') - 'а, нет, всё правильно, это я
    перепутала' got 'Спасибо, записал.' and the case stayed open, waiting for a photo of
    nothing: the customer is told it is good news and the case is closed."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(back)
    assert d.of("complaint_withdrawn"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "done"
    assert not d.of("escalated") and not d.of("satisfaction_check"), d.replies[-1]


@pytest.mark.parametrize(
    ("first", "back", "awaited"),
    [
        ("Курьер опоздал", "ничего, уже не надо, всё нормально", "order_ref"),
        ("The courier was late", "oh never mind, it arrived, all good", "order_ref"),
        ("Чайник пришёл разбитый", "ой, всё, не надо, разобралась сама", "photo"),
        ("The kettle arrived cracked, order 5530988", "never mind, it's fine now", "photo"),
        ("Сайт не даёт оплатить", "всё, уже получилось, не надо", "contact"),
        ("The app won't let me pay", "never mind, it works now", "contact"),
        ("Czajnik przyszedł pęknięty, zamówienie 6690214", "nieważne, mąż już naprawił", "photo"),
        ("My parcel is late", "ok it's sorted now, thanks", "order_ref"),
        ("Посылка опаздывает", "всё, уже решилось, спасибо", "order_ref"),
        ("Paczka się spóźnia", "ok, już załatwione, dzięki", "order_ref"),
    ],
)
async def test_never_mind_at_any_question_closes_the_case_as_withdrawn(
    services: Services, first: str, back: str, awaited: str | None
) -> None:
    """'Курьер опоздал' ('пришлите номер заказа') - 'ничего, уже не надо, всё нормально' got
    'Спасибо, записал.' and the case waited for a number ('ok it's sorted now, thanks',
    'всё, уже решилось, спасибо' got 'Take your time: I'm here.'); 'never mind, it's fine
    now' to the photo asked, 'never mind, it works now' to the contact asked got 'I've passed
    everything to our technical team... within 24 hours' and 'Is that OK for you?'. Only
    'это я перепутала' while a photo was awaited closed a case. At any question the customer
    is told it is good news, the case is closed and recorded as withdrawn (with what was
    passed on with it), and nothing more is asked or promised."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    if awaited is not None:
        assert awaited in [e["slot"] for e in d.of("asked_for")], d.replies[-1]
    asked = len(d.of("asked_for"))
    await d.send(back)
    assert d.of("complaint_withdrawn"), d.replies[-1]
    assert len(d.of("asked_for")) == asked and not d.of("promised"), d.replies[-1]
    assert not d.of("escalated") and not d.of("satisfaction_check"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "done"
    async with services.sessionmaker() as session:
        outcomes = set(await session.scalars(select(Complaint.outcome)))
    assert outcomes == {"withdrawn"}, outcomes


@pytest.mark.parametrize(
    ("first", "sorted_now", "thanks"),
    [
        ("The mug arrived broken, order 5512363", "ok it's sorted now, thanks", "thanks!"),
        ("Кружка пришла разбитая, заказ 5512363", "всё, вопрос решён, спасибо", "спасибо!"),
        (
            "Kubek przyszedł stłuczony, zamówienie 5512363",
            "ok, sprawa już załatwiona, dzięki",
            "dzięki!",
        ),
    ],
)
async def test_sorted_while_the_fixes_are_offered_closes_the_case_once(
    services: Services, first: str, sorted_now: str, thanks: str
) -> None:
    """Offered a replacement, a refund or a repair, 'ok it's sorted now, thanks' got the offer
    again ('Here's what I can do right now: ...'): the customer is glad it is sorted, the
    case is closed as withdrawn, once, with nothing more asked or offered (no survey)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]
    await d.send(sorted_now)
    reply = " ".join(d.replies[-1])
    assert d.of("complaint_withdrawn") and len(d.replies[-1]) == 1, reply
    assert not d.buttons[-1] and not d.of("fix_chosen") and not d.of("promised"), reply
    assert (await d.state())["complaint"]["stage"] == "done"
    await d.send(
        "thanks" if "sorted" in sorted_now else "спасибо" if "решён" in sorted_now else "dzięki"
    )
    assert not d.of("survey_answer") and len(d.replies[-1]) == 1, d.replies[-1]
    assert not find_forbidden(d.all_text())


@pytest.mark.parametrize(
    ("message", "within"),
    [
        ("Paczka się spóźnia, zamówienie 5512345", "w ciągu 24 godzin"),
        ("Moja paczka się spóźnia, zamówienie 5512345", "w ciągu 24 godzin"),
        ("Przesyłka się spóźnia, nr zamówienia 5512345", "w ciągu 24 godzin"),
        ("Посылка опаздывает, заказ 5512345", "в течение 24 часов"),
        ("Посылка задерживается, заказ 5512345", "в течение 24 часов"),
        ("My parcel is late, order 5512345", "within 24 hours"),
    ],
)
async def test_a_late_parcel_with_its_order_number_is_a_complaint_in_every_language(
    services: Services, message: str, within: str
) -> None:
    """'Paczka się spóźnia, zamówienie 5512345' got 'Chyba nie do końca rozumiem' (and 'Moja
    paczka się spóźnia, ...' 'Jasne, zamówienie 5512345. W czym mogę pomóc?', 'Посылка
    задерживается, заказ 5512345' 'Понял, заказ 5512345. Чем могу помочь?'), where
    'Посылка опаздывает, заказ 5512345' and 'My parcel is late, order 5512345' get thanks, an
    apology and the delivery team's promise: so does the Polish one."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    reply = " ".join(d.replies[0])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], reply
    assert thanks_before_apology(reply), reply
    assert "5512345" in reply and within in reply and d.of("promised"), reply
    assert not d.of("asked_for") and not d.of("fallback"), reply


@pytest.mark.parametrize(
    ("first", "then", "expect"),
    [
        ("Dzień dobry, mam zamówienie 5512345", "gdzie ona jest?", "escalated"),
        ("Dzień dobry, mam zamówienie 5512345", "nieważne, już dotarła", "complaint_withdrawn"),
    ],
)
async def test_the_message_after_order_noted_answers_what_it_is_about(
    services: Services, first: str, then: str, expect: str
) -> None:
    """'Dzień dobry, mam zamówienie 5512345' got 'Jasne, zamówienie 5512345. W czym mogę
    pomóc?' but the turn was not noted, so 'gdzie ona jest?' got 'Nie mam gotowej odpowiedzi'
    and 'nieważne, już dotarła' opened a late-delivery case: the next message is read as the
    answer (that order's status passed on; nothing to do, gladly)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert "5512345" in " ".join(d.replies[0]) and not d.of("complaint_opened"), d.replies[0]
    await d.send(then)
    assert d.of(expect), d.replies[-1]
    assert not d.of("complaint_opened") and not d.of("promised"), d.replies[-1]
    assert not find_forbidden(d.all_text())


async def test_an_order_named_with_what_is_needed_gets_it_not_what_it_is_about(
    shipped_shop: Services,
) -> None:
    """'Мне нужен чек для работы по заказу 1122998' got 'Понял, заказ 1122998. Чем могу
    помочь?': the customer had just said. The shop's answer on receipts (a copy is in "My
    orders"); a bare order number is still asked what it is about."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Мне нужен чек для работы по заказу 1122998")
    reply = " ".join(d.replies[0])
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["invoice_receipts"], reply
    assert "Что с ним случилось" not in reply and not d.of("order_noted"), reply
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Заказ 1122998")
    assert d.of("order_noted") and not d.of("faq_answered"), d.replies[0]


@pytest.mark.parametrize(
    ("first", "back", "glad"),
    [
        ("Посылка опаздывает, заказ 5512345", "неважно, уже пришла", "Отличная новость"),
        ("Посылка опаздывает, заказ 5512345", "не важно, всё уже пришло", "Отличная новость"),
        ("My parcel is late, order 5512345", "never mind, it arrived", "great news"),
        ("Paczka spóźnia się już tydzień, zamówienie 5512345", "nieważne, już dotarła", "Świetna"),
    ],
)
async def test_never_mind_it_arrived_at_is_that_ok_closes_the_case_as_solved(
    services: Services, first: str, back: str, glad: str
) -> None:
    """At 'is that OK?' after the delivery team's promise, 'неважно, уже пришла' got 'Спасибо,
    добавил это к вашему обращению' and 'is that OK?' again: it arrived, so the case is
    closed as solved, gladly, and nothing more is promised or asked of the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert d.of("promised") and d.of("satisfaction_check"), d.replies[0]
    await d.send(back)
    reply = " ".join(d.replies[-1])
    assert glad.lower() in reply.lower(), reply
    assert [e["turn"] for e in d.of("resolved")] == [1], reply
    assert [e["turn"] for e in d.of("satisfaction_check")] == [0], reply
    assert not d.of("details_added") and not d.of("escalated"), reply
    assert len(d.of("promised")) == 1 and not find_forbidden(d.all_text())
    state = await d.state()
    assert state["complaint"]["stage"] == "done", state["complaint"]
    async with services.sessionmaker() as session:
        record = await session.scalar(select(Complaint))
    assert record.resolved_at is not None and record.outcome == "forwarded_logistics"


@pytest.mark.parametrize(
    ("first", "back"),
    [
        ("У меня проблема с заказом", "а, нет, всё правильно, это я перепутала"),
        ("Mam problem z zamówieniem", "a nie, wszystko ok, pomyliłam się"),
        ("I have a problem with my order", "oh sorry, my mistake, it's all fine"),
    ],
)
async def test_a_problem_taken_back_when_asked_what_happened_opens_no_case(
    services: Services, first: str, back: str
) -> None:
    """'У меня проблема с заказом' ('Что случилось?') - 'а, нет, всё правильно, это я
    перепутала' opened a wrong-item case asking for the order number and a photo. No case:
    glad it is all right, nothing asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    await d.send(back)
    assert d.of("complaint_withdrawn") and not d.of("complaint_opened"), d.replies[-1]
    assert not d.of("asked_for") and not d.of("fallback"), d.replies[-1]


@pytest.mark.parametrize(
    "first",
    [
        "Это безобразие, я больше у вас ничего не куплю! Подарок опоздал, день рождения уже прошёл, заказ 5512377",
        "This is outrageous, I'll never order again! The birthday gift came after the party, order 5530966",
        "Skandal, nigdy więcej u was nie kupię! Prezent na urodziny przyszedł po imprezie, zamówienie 4428816",
    ],
)
async def test_an_angry_customer_with_a_missed_event_gets_one_compensation(
    services: Services, first: str
) -> None:
    """'Это безобразие, я больше у вас ничего не куплю! Подарок опоздал, день рождения уже
    прошёл' got the angry customer's 'промокод на 10%: SORRY10' and, in the same reply, the
    missed event's 'Скидка 15% / Бесплатная доставка ×3 / Подарок': two compensations. One
    gesture per case: the choice the playbook gives what cannot be fixed, a person one tap away."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert [e["customer_kind"] for e in d.of("complaint_opened")] == ["angry"], d.replies
    offered = [e["kind"] for e in d.of("compensation_offered")]
    assert sorted(offered) == ["coupon", "free_delivery", "gift"], d.replies[-1]
    assert "SORRY" not in " ".join(d.replies[-1]), d.replies[-1]
    assert "topic:human" in d.buttons[-1], d.buttons[-1]


async def test_turning_angry_at_the_missed_event_offer_adds_no_second_compensation(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Подарок опоздал, день рождения уже прошёл, заказ 5512377")
    assert len(d.of("compensation_offered")) == 3, d.replies
    await d.send("я больше у вас ничего не куплю")
    assert len(d.of("compensation_offered")) == 3, d.replies[-1]
    assert "SORRY" not in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("turns", "said"),
    [
        (
            [
                "Посылка опаздывает уже неделю",
                "Я больше у вас ничего не куплю!",
                "5512378",
                "Праздник уже прошёл, подарок опоздал",
            ],
            "остаётся за вами",
        ),
        (
            [
                "This is outrageous! My parcel is a week late, order 5530967",
                "And the birthday is already over",
            ],
            "is yours, of course",
        ),
        (
            [
                "Skandal, nigdy więcej u was nie kupię! Paczka spóźnia się tydzień, zamówienie 4428817",
                "Urodziny już minęły",
            ],
            "zostaje Twój",
        ),
    ],
)
async def test_a_missed_event_after_the_gesture_gets_no_second_compensation(
    services: Services, turns: list[str], said: str
) -> None:
    """'Я больше у вас ничего не куплю!' got 'промокод на 10%: SORRY10', and 'Праздник уже
    прошёл' in the same case then got 'Скидка 15% / Бесплатная доставка ×3 / Подарок' to
    choose from: two gestures in one case. The apology for what cannot be undone is said, and
    the gesture given stands (kindly, with what it is); no second one is offered."""
    d = Dialogue(services, str(next(_ids)))
    for text in turns:
        await d.send(text)
    gestures = [e for e in d.of("compensation_offered") if e.get("gesture")]
    assert [e["kind"] for e in gestures] == ["coupon"], d.replies
    assert len(d.of("compensation_offered")) == 1, d.replies[-1]
    last = " ".join(d.replies[-1])
    assert said in last and "10%" in last, last
    assert d.of("compensation_not_offered") and "cmp:sat:yes" in d.buttons[-1], d.buttons[-1]
    assert not find_forbidden(d.all_text())
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved"), d.replies[-1]


async def test_a_missed_event_with_no_gesture_given_still_gets_the_choice(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Посылка опаздывает уже неделю, заказ 5512379")
    await d.send("И день рождения уже прошёл")
    assert sorted(e["kind"] for e in d.of("compensation_offered")) == [
        "coupon",
        "free_delivery",
        "gift",
    ], d.replies[-1]


@pytest.mark.parametrize(
    ("first", "contact", "said"),
    [
        (
            "Your call centre keeps phoning me at 8 in the morning about a survey. I've asked "
            "twice to stop. Please take my number off the list.",
            "+7 916 555 01 23",
            "off our advertising calls",
        ),
        ("Отпишите меня от рассылки, пожалуйста, надоел спам", "ivan.p@mail.ru", "из рекламных"),
        (
            "Przestańcie do mnie dzwonić z reklamami, usuńcie mój numer",
            "+48 601 234 567",
            "z telefonów",
        ),
    ],
)
async def test_a_customer_taken_off_the_marketing_lists_by_the_bot(
    services: Services, first: str, contact: str, said: str
) -> None:
    """'Your call centre keeps phoning me... Please take my number off the list' was handed to
    a colleague ('I'm connecting you with a colleague...'), 'Отпишите меня от рассылки' was
    asked 'что-то случилось с заказом?', 'Wypiszcie mnie z newslettera' got 'Chyba nie do
    końca rozumiem'. Thanks and an apology for the bother, the number or e-mail the calls and
    newsletters come to (asked once), the request to take it off the lists promised, 'is that
    OK?', recorded; no person needed."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    first_reply = " ".join(d.replies[0])
    assert thanks_before_apology(first_reply), first_reply
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], first_reply
    await d.send(contact)
    promise = " ".join(d.replies[-1])
    assert contact in promise and said in promise and d.of("promised"), promise
    assert "48" in d.of("promised")[0]["within"]
    await d.send(button="cmp:sat:yes")
    assert d.of("resolved") and not d.of("escalated"), d.replies
    assert_never_reasked(d)
    assert not find_forbidden(d.all_text())
    async with services.sessionmaker() as session:
        record = await session.scalar(select(Complaint))
    assert record.outcome == "unsubscribed" and record.details["contact"] == contact
    assert record.resolved_at is not None


@pytest.mark.parametrize("contact", ["601 234 567", "601-234-567", "601234567"])
async def test_a_polish_mobile_number_without_48_answers_the_question_for_a_contact(
    services: Services, contact: str
) -> None:
    """'Przestańcie do mnie dzwonić z reklamami' asked which number the calls come to, and
    '601 234 567' (or '601-234-567', '601234567': a Polish mobile number without +48) was not
    taken as one; it is the contact, promised and recorded."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Przestańcie do mnie dzwonić z reklamami, usuńcie mój numer")
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[0]
    await d.send(contact)
    promise = " ".join(d.replies[-1])
    assert contact in promise and d.of("promised"), promise
    assert_never_reasked(d)
    assert (await d.state())["known"]["contact"] == contact


@pytest.mark.parametrize(
    ("first", "lang_code"),
    [("kod SMS nie przychodzi", "pl"), ("Przestańcie wysyłać mi SMS-y z reklamami", "pl")],
)
async def test_a_polish_mobile_number_in_a_sentence_is_the_contact(
    services: Services, first: str, lang_code: str
) -> None:
    """A Polish mobile number written in groups inside a sentence ('mój numer to 601 234 567')
    is the contact asked for, never asked again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first, language_code=lang_code)
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[0]
    await d.send("mój numer to 601 234 567")
    assert (await d.state())["known"]["contact"] == "601 234 567"
    assert_never_reasked(d)


def test_a_polish_mobile_number_is_no_order_number_and_order_numbers_are_no_phones() -> None:
    from bot.dialogs.slots import find_contact
    from bot.nlu.extract import extract_order_ref

    assert find_contact("601 234 567") == "601 234 567"
    assert find_contact("dzwońcie na 601-234-567") == "601-234-567"
    assert find_contact("601234567") is None  # a bare 9 digits: a phone only when asked in pl
    assert find_contact("601234567", polish=True) == "601234567"
    for ref in ("5512345", "zamówienie 5512345", "заказ 7781234", "order 44781234"):
        assert find_contact(ref, polish=True) is None, ref
    assert extract_order_ref("Paczka się spóźnia, zamówienie 5512345") == "5512345"


async def test_unsubscribing_with_the_email_in_the_message_asks_nothing(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Please unsubscribe anna.k@example.com from your newsletter")
    assert not d.of("asked_for") and not d.of("escalated"), d.replies[-1]
    assert "anna.k@example.com" in " ".join(d.replies[-1]), d.replies[-1]
    assert "cmp:sat:yes" in d.buttons[-1]


@pytest.mark.parametrize(
    "problem, later, bye",
    [
        ("Товар сломан, заказ 4412377", "фото пришлю позже", "Всего доброго"),
        ("The item is broken, order 4412378", "I'll send the photo later", "Goodbye"),
        ("Produkt uszkodzony, zamówienie 4412379", "zdjęcie wyślę później", "Do widzenia"),
    ],
)
async def test_a_photo_promised_for_later_is_not_answered_with_goodbye(
    services: Services, problem: str, later: str, bye: str
) -> None:
    """'фото пришлю позже' (a goodbye to the model) got 'Всего доброго! Ваше обращение
    остаётся открытым...': the customer had not said goodbye. The case still waits for the
    photo, said without a farewell, and the photo when it comes goes on with the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert "photo" in [e["slot"] for e in d.of("asked_for")], d.replies[-1]
    await d.send(later)
    said = " ".join(d.replies[-1])
    assert bye not in said and d.of("complaint_paused"), said
    assert not d.of("promised"), said
    await d.send(photo=True)
    assert d.buttons[-1] or d.of("promised"), d.replies[-1]  # the fixes offered, or done


@pytest.mark.parametrize(
    "text",
    [
        "zamówiłem 2 sztuki a przyszła jedna, zamówienie 3345123",
        "Zamówiłam trzy koszulki, w paczce były tylko dwie. Zamówienie 3345126",
        "заказал 2 штуки, а пришла одна, заказ 3345127",
        "I ordered 2 but only 1 came, order 3345128",
    ],
)
async def test_fewer_pieces_than_ordered_is_a_missing_item(services: Services, text: str) -> None:
    """'zamówiłem 2 sztuki a przyszła jedna' opened a wrong-item case and asked for a photo
    of the problem (then 'odeślijcie brakującą' got 'Bez pośpiechu, jestem tutaj'): fewer
    pieces than ordered is a missing item, with sending the rest among the fixes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], d.replies
    assert "photo" not in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "Zamówiłem 2 koszulki w rozmiarze M, a przyszły 2 w rozmiarze L, zamówienie 3345129",
        "I ordered one blue mug and got one red one, order 3345130",
    ],
)
async def test_as_many_pieces_as_ordered_but_other_ones_stay_a_wrong_item(
    services: Services, text: str
) -> None:
    """The count rule above reads counts only: as many as ordered, but other ones, is still
    the wrong item."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"], d.replies


@pytest.mark.parametrize(
    "message",
    [
        "ВЫ ИЗДЕВАЕТЕСЬ?! третий раз пишу, где мой возврат",
        "This is the third time I'm writing, where is my refund?!",
        "Piszę już trzeci raz, gdzie jest mój zwrot?!",
    ],
)
async def test_a_third_message_about_the_same_problem_goes_to_a_person(
    services: Services, message: str
) -> None:
    """'ВЫ ИЗДЕВАЕТЕСЬ?! третий раз пишу, где мой возврат' was passed to the customer care
    manager with a new 24-hour promise, and 'This is the third time I'm writing, where is my
    refund?!' opened a new refund case asking for the order number: started over. A customer
    who has written about it three times gets the thanks and the apology (for it happening
    again), and a person with everything they wrote; nothing is asked for or filed anew."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first), first
    assert [e["reason"] for e in d.of("escalated")] == ["repeat_contact"], first
    assert not d.of("asked_for") and not d.of("promised"), first
    assert not find_forbidden(first)
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, d.of("escalated")[0]["ticket_id"])
        card = await render_card(session, services.settings, ticket)
    # the operator reads why, in words, and what the customer wrote
    assert "three times or more" in card.text and message[:20] in card.text, card.text


@pytest.mark.parametrize(
    ("problem", "both", "coupon"),
    [
        ("Чайник пришёл с трещиной, заказ 4455667", "а можно и деньги вернуть, и скидку?", "10%"),
        (
            "The kettle arrived cracked, order 4455668",
            "can I get a refund and a discount as well?",
            "10%",
        ),
        (
            "Czajnik przyszedł pęknięty, zamówienie 4455669",
            "a można zwrot pieniędzy i do tego rabat?",
            "10%",
        ),
        # asked in the imperative, with the replacement
        (
            "Чайник пришёл с трещиной, заказ 4455677",
            "замену, и скидку дайте за беспокойство",
            "10%",
        ),
        (
            "The kettle arrived cracked, order 4455678",
            "a refund, and give me a discount too",
            "10%",
        ),
    ],
)
async def test_a_discount_asked_with_the_refund_is_answered_too(
    services: Services, problem: str, both: str, coupon: str
) -> None:
    """After a damage case's photo, 'а можно и деньги вернуть, и скидку?' got the refund and
    nothing about the discount. The refund is arranged and the discount answered in the same
    reply (the goodwill gesture, as for a discount asked at 'is that OK?'), before the
    question whether that suits."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]
    await d.send(both)
    reply = " ".join(d.replies[-1])
    assert len(d.of("fix_chosen")) == 1, reply
    assert coupon in reply and d.of("compensation_offered"), reply
    assert d.of("satisfaction_check") and reply.rstrip().endswith("?"), reply


async def test_an_operator_who_does_not_answer_brings_a_person_now(services: Services) -> None:
    """ "Ваш оператор не отвечает уже 2 часа!" opened a service case "passed to the quality
    manager, an answer within 24 hours, is that OK?": the customer waits for a person, and
    gets one now, urgently (thanks and an apology first, the complaint recorded); while a
    ticket waits, the colleagues are reminded (priority raised), not "passed this on as
    well"."""
    for user, message in (
        ("8801", "Ваш оператор не отвечает уже 2 часа!"),
        ("8802", "Your operator hasn't answered for 2 hours!"),
        ("8803", "Wasz konsultant nie odpowiada już od 2 godzin!"),
    ):
        d = Dialogue(services, user)
        await d.send(message)
        assert d.of("complaint_opened"), d.all_text()
        assert [e["priority"] for e in d.of("escalated")] == ["high"], d.all_text()
        assert not d.of("promised") and not d.of("satisfaction_check"), d.all_text()
        assert "24" not in d.all_text() and thanks_before_apology(d.all_text()), d.all_text()
    d = Dialogue(services, "8804")
    await d.send("позовите оператора")
    assert [e["priority"] for e in d.of("escalated")] == ["normal"]
    await d.send("Ваш оператор не отвечает уже 2 часа!")
    assert [e["priority"] for e in d.of("priority_raised")] == ["high"], d.all_text()
    assert "срочн" in d.replies[-1][0], d.replies[-1]


@pytest.mark.parametrize(
    "text",
    [
        "This is ridiculous. I've been waiting 3 weeks for order 5512371. I want my money back NOW",
        "My order 5512387 is two weeks late, I want a refund",
        "Заказ 5512385 опаздывает на две недели, верните деньги",
        "Zamówienie 5512386 spóźnia się dwa tygodnie, chcę zwrot pieniędzy",
    ],
)
async def test_a_late_order_with_the_money_asked_back_gets_the_refund_filed(
    services: Services, text: str
) -> None:
    """'I want my money back NOW' on a late order got 'I've passed everything to our delivery
    team... Does that solve it for you?' (the refund unheard), while 'Заказ ... опаздывает,
    верните деньги' got the refund filed: the model read one a late parcel, the other a
    billing one. The money asked back is filed in every language."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    first = " ".join(d.replies[0])
    assert thanks_before_apology(first), first
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["billing"], first
    assert re.search(r"refund|возврат|zwrot", d.of("promised")[0]["text"]), first


@pytest.mark.parametrize(
    "text",
    [
        "Zamówienie 5512377 dostarczono do sąsiada",
        "Заказ 5512378 курьер оставил у соседа",
        "My order 5512379 was left at the wrong address",
    ],
)
async def test_a_parcel_left_with_someone_else_is_a_delivery_case(
    services: Services, text: str
) -> None:
    """'Zamówienie 5512377 dostarczono do sąsiada' (order status to the model) got only "Order
    5512377. How can I help?": the parcel never reached the customer, the delivery team's case
    with thanks and regret, and asked about as a rule it stays a question."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], d.replies
    assert d.of("promised"), d.replies[-1]


async def test_asking_whether_a_neighbour_may_take_the_parcel_is_no_complaint(
    services: Services,
) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Czy kurier może zostawić paczkę u sąsiada?")
    assert not d.of("complaint_opened"), d.replies


@pytest.mark.parametrize(
    ("first", "leaving", "later", "choice"),
    [
        (
            "Zamówienie 3344556 przyszło bez ładowarki",
            "dziękuję, to wszystko",
            "Zgłoszenie jest zapisane",
            "zwrot pieniędzy",
        ),
        ("Order 3344556 came without the charger", "thanks, that's all", "case is saved", "refund"),
        ("Заказ 3344556 пришёл без зарядки", "я подумаю", "Обращение сохранено", "возврат денег"),
    ],
)
async def test_thats_all_while_the_fixes_are_offered_leaves_the_offer_open(
    services: Services, first: str, leaving: str, later: str, choice: str
) -> None:
    """Offered a resend or a refund, 'dziękuję, to wszystko' got the same offer again ('Jak mam
    to dla Ciebie naprawić: ...'): the customer is done for now. The case is saved, the offer
    stays on the buttons, and a choice made later is taken."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first)
    assert "cmp:opt:refund" in d.buttons[-1], d.replies[-1]
    await d.send(leaving)
    reply = " ".join(d.replies[-1])
    assert later in reply and len(d.replies[-1]) == 1, reply
    assert "cmp:opt:refund" in d.buttons[-1] and not d.of("fix_chosen"), reply
    assert (await d.state())["complaint"]["stage"] == "fix_choice"
    await d.send(choice)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]
    assert not find_forbidden(d.all_text())


@pytest.mark.parametrize(
    ("turns", "said", "not_said"),
    [
        (
            ("В посылке не хватает одной тарелки из набора", "заказ 6655443", "верните деньги"),
            "чего не хватало",
            "полный",
        ),
        (
            ("One of the two mugs was missing from my parcel", "order 6655443", "refund please"),
            "for what was missing",
            "full refund",
        ),
        (
            ("W paczce brakowało jednego talerza", "zamówienie 6655443", "wolę zwrot pieniędzy"),
            "czego brakowało",
            "pełny",
        ),
    ],
)
async def test_a_refund_for_a_missing_item_is_for_what_was_missing(
    services: Services, turns: tuple[str, ...], said: str, not_said: str
) -> None:
    """'В посылке не хватает одной тарелки', then 'верните деньги' got 'оформил полный возврат
    денег по заказу': a full refund of an order that came, for one plate. The money is for
    what was missing."""
    d = Dialogue(services, str(next(_ids)))
    for turn in turns:
        await d.send(turn)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies
    reply = " ".join(d.replies[-1])
    assert said in reply and not_said not in reply.lower(), reply


@pytest.mark.parametrize(
    ("ask", "number", "said"),
    [
        ("Перезвоните мне по номеру +79161234567", None, "+79161234567"),
        ("Мой заказ 5512377 так и не пришёл, перезвоните мне", "+79161234567", "+79161234567"),
        ("Can you call me back, please?", "+44 7700 900123", "+44 7700 900123"),
        ("Zadzwońcie do mnie proszę", "601 234 567", "601 234 567"),
    ],
)
async def test_a_call_back_asked_for_reaches_a_person_with_the_number(
    services: Services, ask: str, number: str | None, said: str
) -> None:
    """'Перезвоните мне' got the quality manager's 24 hours, 'Can you call me?' the shop's phone
    numbers, 'Zadzwońcie do mnie' 'a reply will be here': nobody heard a call was wanted.
    A colleague is called, the card says the customer asks for a call back, and the number is
    asked for when not given, said back when it comes, and on the card."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    escalated = d.of("escalated")
    assert escalated and escalated[0]["reason"] == "customer_request", d.replies
    asked = [e["slot"] for e in d.of("asked_for")]
    if number is None:
        assert "contact" not in asked and said in " ".join(d.replies[0]), d.replies
    else:
        assert "contact" in asked, d.events
        await d.send(number)
        assert said in " ".join(d.replies[-1]), d.replies
        assert not re.search(r"извините за ожидание|sorry for the wait|przepraszam", d.all_text())
    async with services.sessionmaker() as session:
        card = await render_card(
            session, services.settings, await session.get(Ticket, escalated[0]["ticket_id"])
        )
    assert "call back" in card.text and said in card.text, card.text


@pytest.mark.parametrize(
    "text",
    [
        "Почему мне никто не перезвонил?",
        "Не звоните мне больше, пишите в чат",
        "Можно вам позвонить?",
    ],
)
async def test_no_call_asked_for_is_no_call_back(services: Services, text: str) -> None:
    """A complaint that nobody called, a wish not to be called, a question whether the
    customer may call: nobody is told to call back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert not re.search(r"перезвонить вам|вам перезвонить", d.all_text()), d.replies
    assert not d.of("escalated") or "callback" not in (await d.state()), d.replies


async def test_a_call_back_asked_for_while_a_person_is_awaited_is_on_the_card(
    services: Services,
) -> None:
    """'Перезвоните мне' after a person was called got 'passed this on as well': the card did
    not say a call was wanted. It does now, and the number is asked for, then said back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Позовите оператора, пожалуйста")
    ticket_id = d.of("escalated")[0]["ticket_id"]
    out = await d.send("Перезвоните мне, пожалуйста")
    assert out.details_changed and [e["slot"] for e in d.of("asked_for")] == ["contact"]
    await d.send("+79161234567")
    assert "+79161234567" in " ".join(d.replies[-1]), d.replies
    async with services.sessionmaker() as session:
        card = await render_card(session, services.settings, await session.get(Ticket, ticket_id))
    assert "call back" in card.text and "+79161234567" in card.text, card.text


async def test_a_call_back_asked_for_before_the_order_number_is_kept_till_a_person_comes(
    services: Services,
) -> None:
    """'Перезвоните мне по поводу моего заказа' asked for the order number, and the colleague
    it was passed to never heard a call was wanted. The wish is kept: said with the hand-off,
    once, and on the card."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Перезвоните мне по поводу моего заказа")
    assert not d.of("escalated") and [e["slot"] for e in d.of("asked_for")] == ["order_ref"]
    await d.send("5567131")
    escalated = d.of("escalated")
    assert escalated, d.replies
    said = " ".join(d.replies[-1])
    assert len(re.findall(r"перезвон", said)) == 1 and "номер телефона" in said, d.replies
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, escalated[0]["ticket_id"])
        card = await render_card(session, services.settings, ticket)
    assert "call back" in card.text, card.text


@pytest.mark.parametrize(
    ("problem", "choice"),
    [
        ("Лампа разбита, заказ 8100002", "не хочу замену, деньги верните"),
        ("Лампа разбита, заказ 8100002", "замену не хочу, верните деньги"),
        ("The toaster doesn't heat up, order 6620301", "I'd prefer a refund, not a replacement"),
        ("The toaster doesn't heat up, order 6620301", "no replacement, I want my money back"),
        (
            "The toaster doesn't heat up, order 6620301",
            "actually can I just get my money back instead of a replacement?",
        ),
        ("Czajnik nie działa, zamówienie 6620302", "nie chcę wymiany, wolę zwrot pieniędzy"),
        ("Czajnik nie działa, zamówienie 6620302", "wolałabym zwrot zamiast wymiany"),
        # two turned down with "ни ... ни", "ani ... ani", "neither ... nor", "żadnej"
        ("Лампа разбита, заказ 8100002", "не хочу ни замену, ни ремонт. хочу вернуть деньги"),
        ("Czajnik nie działa, zamówienie 6620302", "nie chcę ani wymiany, ani naprawy, zwrot"),
        ("Czajnik nie działa, zamówienie 6620302", "żadnej wymiany, zwrot pieniędzy proszę"),
        ("The lamp is broken, order 4471302", "neither a replacement nor a repair, refund please"),
        ("Лампа разбита, заказ 8100002", "никакой замены, верните деньги"),
    ],
)
async def test_a_fix_turned_down_is_not_the_one_chosen(
    services: Services, problem: str, choice: str
) -> None:
    """'не хочу замену, деньги верните' to the fixes offered booked a replacement (the first
    option its words named), 'I'd prefer a refund, not a replacement' too: the refund."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(choice)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "refused", "left"),
    [
        ("Лампа разбита, заказ 8100002", "не хочу замену", ["refund", "repair"]),
        ("The lamp is broken, order 4471302", "I don't want a replacement", ["refund", "repair"]),
    ],
)
async def test_a_fix_turned_down_alone_leaves_the_others_offered(
    services: Services, problem: str, refused: str, left: list[str]
) -> None:
    """'не хочу замену' alone to the fixes offered got 'not sure which one you mean' and all
    three again: the other two are offered, nothing is booked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(refused)
    assert not d.of("fix_chosen"), d.replies[-1]
    assert d.buttons[-1] == [f"cmp:opt:{o}" for o in left], d.buttons[-1]


@pytest.mark.parametrize(
    "answer",
    [
        "ни замена ни возврат мне не подходят, хочу поговорить с человеком",
        "none of these, I want to talk to a manager",
    ],
)
async def test_every_fix_turned_down_with_a_person_asked_books_nothing(
    services: Services, answer: str
) -> None:
    """'ни замена ни возврат мне не подходят, хочу поговорить с человеком' booked a
    replacement and then said it had no answer: nothing is booked, a person takes it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Лампа разбита, заказ 8100002")
    await d.send(photo=True)
    await d.send(answer)
    assert not d.of("fix_chosen") and d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    "message",
    [
        "Заказ 6244998, пришла сломанная кофеварка. Дайте мне руководителя, с вами не о чем говорить",
        "Proszę o kontakt z przełożonym, nie z botem. Zamówienie 6244998 nie dotarło",
        "Zamówienie 6244998 nie dotarło. Daj mi kierownika",
        "Order 6244998 never came. Let me speak to your boss",
    ],
)
async def test_a_manager_asked_for_with_the_complaint_is_a_person(
    services: Services, message: str
) -> None:
    """'Дайте мне руководителя', 'Proszę o kontakt z przełożonym', 'Daj mi kierownika' with
    the complaint got a request for a photo or the delivery team's promise: a manager is a
    person asked for, and one takes the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert d.of("complaint_opened") and d.of("escalated"), d.replies[-1]
    assert not d.of("asked_for"), d.replies[-1]


@pytest.mark.parametrize(
    ("said", "event"),
    [
        ("please, it's really important to me", "details_added"),
        ("пожалуйста, это очень важно, это подарок", "details_added"),
        ("ну", "satisfaction_check"),
    ],
)
async def test_a_plea_or_a_nudge_at_is_that_ok_is_no_yes(
    services: Services, said: str, event: str
) -> None:
    """'please, it's really important to me' and a bare 'ну' to 'is that OK?' closed the case
    as solved and asked for a rating (the model read them as praise and a yes): the plea is
    kept on the case for the team, the nudge gets where it stands, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 7712345 не пришёл")
    assert d.of("satisfaction_check")
    await d.send(said)
    assert not d.of("resolved") and not d.of("escalated"), d.replies[-1]
    assert len(d.of(event)) == (2 if event == "satisfaction_check" else 1), d.replies[-1]


async def test_a_wish_changed_before_the_photo_waits_for_the_photo(services: Services) -> None:
    """'замену хочу', then 'не, лучше деньгами' while the photo was awaited booked the
    replacement at once, without the photo: the refund is noted, and booked with the photo."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Лампа разбита, заказ 8100002")
    await d.send("замену хочу")
    await d.send("не, лучше деньгами")
    assert not d.of("fix_chosen"), d.replies[-1]
    await d.send(photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "asked", "said"),
    [
        ("Не вернули деньги за отмену заказа 8300001", "ок. а сколько дней ждать?", "10 рабочих"),
        ("Посылка не пришла, заказ 8300002", "ладно, а мне позвонят или напишут?", "в этот чат"),
        ("My parcel never arrived, order 5512345", "ok, and how will you contact me?", "this chat"),
        ("Paczka nie dotarła, zamówienie 6612345", "dobrze, a kiedy się odezwiecie?", "24 godzin"),
    ],
)
async def test_a_question_after_ok_at_is_that_ok_keeps_the_case_open(
    services: Services, problem: str, asked: str, said: str
) -> None:
    """'ок. а сколько дней ждать?' at 'Такое решение вам подходит?' closed the case as solved
    and asked for a rating (the "ок" a yes), 'ладно, а мне позвонят или напишут?' too: the
    question is answered (the promise's time, the chat the answer comes to) and 'is that OK?'
    stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert not d.of("resolved") and not d.of("escalated"), reply
    assert said in reply, reply
    assert [e["turn"] for e in d.of("satisfaction_check")] == [0, 1], reply
    assert not re.search(r"8 800|\+48", reply), reply


@pytest.mark.parametrize(
    ("problem", "asked"),
    [
        ("Пришла не та сумка, номер 8200001", ["photo"]),
        ("разбитая чашка пришла, 8200002", ["photo"]),
        ("пылесос пришёл с трещиной 6100003", ["photo"]),
        # two words: a few more on what happened are asked (not the number)
        ("kettle leaks, 6654411", ["photo", "description"]),
        ("czajnik przecieka, 6654410", ["photo", "description"]),
        # a price is no order number, "it's broken" names no thing
        ("чайник за 12000 сломался через неделю", ["order_ref", "photo"]),
        ("it's broken", ["order_ref", "photo", "description"]),
    ],
)
async def test_a_complaints_number_without_the_word_order_is_its_order(
    services: Services, problem: str, asked: list[str]
) -> None:
    """'разбитая чашка пришла, 8200002' was asked for the order number, 'kettle leaks,
    6654411' for the number too: the number is the order's, not asked for again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("complaint_opened"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == asked, d.replies[-1]


@pytest.mark.parametrize(
    ("threat", "nudge", "said"),
    [
        ("деньги списали дважды, буду жаловаться в прокуратуру", "алло, есть кто живой?", "коллег"),
        ("деньги списали дважды, буду жаловаться в прокуратуру", "ну где вы там?", "коллег"),
        (
            "деньги списали дважды, буду жаловаться в прокуратуру",
            "где человек? позовите оператора",
            "Простите за ожидание",
        ),
        (
            "I was charged twice, I'll sue you",
            "I want to talk to a real person",
            "Sorry for the wait",
        ),
        ("Pobrano opłatę dwa razy, idę do sądu", "Chcę rozmawiać z człowiekiem", "Przepraszam"),
    ],
)
async def test_a_person_asked_for_again_while_awaited_gets_a_reply(
    services: Services, threat: str, nudge: str, said: str
) -> None:
    """After the senior was called and the order number 'passed on as well', 'алло, есть кто
    живой?', 'ну где вы там?' and 'позовите оператора' got no reply at all: the customer
    hears the case is with a colleague (sorry for the wait when a person is asked again)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(threat)
    assert d.of("escalated"), d.replies[-1]
    await d.send("8500001")
    await d.send(nudge)
    reply = " ".join(d.replies[-1])
    assert said in reply, reply


@pytest.mark.parametrize(
    ("problem", "asked", "needed"),
    [
        ("Пришёл треснутый телефон, заказ 8400002", "и что дальше?", "фото"),
        ("Пришёл треснутый телефон, заказ 8400002", "чё дальше то", "фото"),
        ("Пришёл треснутый телефон, заказ 8400002", "так что вы решили?", "фото"),
        ("Пришёл треснутый телефон, заказ 8400002", "а когда вы его заберёте?", "фото"),
        ("The lamp is broken, order 4471302", "so what now?", "photo"),
        ("Lampa jest zepsuta, zamówienie 4471303", "co dalej?", "zdjęcie"),
    ],
)
async def test_what_next_while_the_photo_is_awaited_says_the_next_step(
    services: Services, problem: str, asked: str, needed: str
) -> None:
    """'и что дальше?' while the photo was awaited got 'Всего доброго!' (a goodbye to the
    model: the case paused), 'а когда вы его заберёте?' 'Не спешите, я на связи': the next
    step is the customer's, said (the photo, then everything is arranged)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert needed in reply and not d.of("complaint_paused"), reply
    assert not re.search(r"Всего доброго|Не спешите|Take your time", reply), reply


@pytest.mark.parametrize(
    ("problem", "ctype"),
    [
        ("пришла не вся посылка, заказ 6800002", "missing_item"),
        ("Привезли не всё, заказ 6800005", "missing_item"),
        ("Nie całe zamówienie dotarło, zamówienie 6800006", "missing_item"),
        ("заказывал кроссовки 43, пришли 41. 6500003", "wrong_item"),
        ("заказал размер 42, а прислали 44, заказ 6500004", "wrong_item"),
        # a count is no size
        ("I ordered 12 cups but got 10, order 6500005", "missing_item"),
    ],
)
async def test_an_order_come_in_part_or_in_another_size_is_its_case(
    services: Services, problem: str, ctype: str
) -> None:
    """'пришла не вся посылка' went to the delivery team as a late parcel, 'заказывал
    кроссовки 43, пришли 41' was offered 'Довезти недостающее': something missing, a wrong
    item."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "switch"),
    [
        ("Paczka uszkodzona, zamówienie 7712201", "English please"),
        ("Посылка повреждена, заказ 7712202", "can we speak English?"),
        (
            "Paczka uszkodzona, zamówienie 7712200",
            "sorry, can we continue in English? the box was wet and the book inside is ruined",
        ),
    ],
)
async def test_english_asked_for_mid_case_switches_the_language(
    services: Services, problem: str, switch: str
) -> None:
    """'English please' while the photo was awaited got 'Bez pośpiechu, jestem tutaj' (in
    Polish), 'sorry, can we continue in English? the box was wet…' 'I don't have a ready
    answer to this yet: — sorry, can we continue in English?': the case goes on in English,
    what was told kept on it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(switch)
    reply = " ".join(d.replies[-1])
    assert "photo" in reply and not CYRILLIC_RE.search(reply), reply
    assert not re.search(r"ready answer|pośpiechu", reply) and not d.of("faq_declined"), reply
    if "ruined" in switch:
        assert "book inside is ruined" in (await d.state())["known"]["description"]


@pytest.mark.parametrize(
    ("box", "fyi", "said"),
    [
        (
            "пришла куртка, но коробка мятая, сама куртка норм, заказ 8900001",
            "да нет, мне ничего не надо, просто к сведению",
            "больше от вас ничего не нужно",
        ),
        (
            "the box was crushed but the kettle inside is fine, order 8900002",
            "no need to do anything, just letting you know",
            "nothing more is needed",
        ),
    ],
)
async def test_just_letting_you_know_after_the_box_is_noted_is_thanked(
    services: Services, box: str, fyi: str, said: str
) -> None:
    """'сама куртка норм' was not read as the thing being fine (a damage case asking for a
    photo); 'no need to do anything, just letting you know' after the box was noted opened a
    service case ('within 24 hours'), in Russian the FAQ's topics: thanked, nothing opened."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(box)
    assert d.of("packaging_noted"), d.replies[-1]
    await d.send(fyi)
    reply = " ".join(d.replies[-1])
    assert said in reply, reply
    assert len(d.of("complaint_opened")) == 1 and not d.of("faq_declined"), reply


async def test_nothing_wanted_just_telling_while_the_photo_is_awaited_closes_the_case(
    services: Services,
) -> None:
    """'nie chcę nic, tylko żebyście wiedzieli' while the photo was awaited got 'Dzięki,
    zanotowane.' and the case kept waiting for the photo: thanked, closed as noted."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Paczka uszkodzona, zamówienie 7712200")
    await d.send("nie chcę nic, tylko żebyście wiedzieli")
    assert [e.get("outcome") for e in d.of("resolved")] == ["noted"], d.replies[-1]
    assert "nic więcej nie musisz" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "asked", "said"),
    [
        ("The lamp is broken, order 4471302", "which one is faster?", "Refund the money: within"),
        ("The lamp is broken, order 4471302", "what are my options?", "Replace the item: within"),
        (
            "Lampa jest zepsuta, zamówienie 4471303",
            "co będzie szybciej?",
            "Zwrot pieniędzy: w ciągu",
        ),
        ("Lampa jest zepsuta, zamówienie 4471303", "a jakie są opcje?", "Wymiana towaru: w ciągu"),
        ("Лампа разбита, заказ 4471304", "а что быстрее?", "Вернуть деньги: в течение"),
    ],
)
async def test_the_fixes_asked_about_as_a_whole_get_their_times(
    services: Services, problem: str, asked: str, said: str
) -> None:
    """'which one is faster?' to the fixes offered got 'not sure which one you mean', 'a
    jakie są opcje?' 'I have no sure answer': each fix with its time, and the offer again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.of("fix_chosen") and not d.of("question_noted"), reply
    assert "cmp:opt:refund" in d.buttons[-1], d.buttons[-1]


@pytest.mark.parametrize(
    ("problem", "no_photo"),
    [
        ("received a broken plate, order 7712311", "can't send a photo, my phone camera is broken"),
        (
            "received a broken plate, order 7712311",
            "do you really need a photo? I already binned it",
        ),
        ("Talerz przyszedł stłuczony, zamówienie 7712312", "nie mogę wysłać zdjęcia, wyrzuciłam"),
        ("Разбилась тарелка, заказ 7712313", "не могу сделать фото, выкинула уже"),
    ],
)
async def test_a_photo_that_cannot_be_sent_is_done_without(
    services: Services, problem: str, no_photo: str
) -> None:
    """'can't send a photo, my phone camera is broken' got 'Thanks, noted.' and nothing more
    (the photo still awaited), 'I already binned it' the FAQ's topics: done without, the
    fixes offered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(no_photo)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]


async def test_a_refund_asked_after_weeks_in_polish_is_a_case(services: Services) -> None:
    """'Gdzie mój zwrot pieniędzy? Oddałam sukienkę 3 tygodnie temu' (calm) got only the FAQ's
    refund times, as if nothing were late; in Russian and English it was a case: a case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Gdzie mój zwrot pieniędzy? Oddałam sukienkę 3 tygodnie temu")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["billing"], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "what"),
    [
        ("пришла не вся посылка, заказ 6800002", "нет шапки"),
        ("Paczka niekompletna, zamówienie 6800003", "nie ma czapki"),
    ],
)
async def test_what_is_missing_told_at_the_fixes_is_noted(
    services: Services, problem: str, what: str
) -> None:
    """'Paczka niekompletna' went to the delivery team as a late parcel; 'нет шапки' to the
    fixes for a missing item got 'не совсем понял, какой вариант' (a "no" to the model):
    what is missing is noted on the case, and the fixes stand."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"]
    await d.send(what)
    assert "cmp:opt:resend" in d.buttons[-1] and not d.of("escalated"), d.replies[-1]
    assert what in (await d.state())["known"]["description"]


@pytest.mark.parametrize(
    ("problem", "asked"),
    [
        ("порвались носки через день, стоили 290р, заказ 8600001", []),
        ("the mug came chipped, it cost 5 dollars, order 8600002", []),
        # over the threshold: the photo is asked for
        ("сломался пылесос за 12000 рублей, заказ 8600003", ["photo"]),
    ],
)
async def test_a_small_claim_is_not_investigated(
    services: Services, problem: str, asked: list[str]
) -> None:
    """'порвались носки через день, стоили 290р' was asked for a photo (and read as a late
    parcel: 'через день'): a claim under the goodwill threshold is decided without checks
    (playbook [004]); the fixes are offered at once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert [e["slot"] for e in d.of("asked_for")] == asked, d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "refusal", "said"),
    [
        ("Заказ 4412099 опаздывает", "не буду ничего оценивать", "без проблем"),
        ("My order 4412002 is 3 days late", "I don't want to rate", "No problem"),
        ("Zamówienie 4412003 się spóźnia", "bez oceny", "nie ma sprawy"),
        ("My order 4412004 is 3 days late", "skip", "No problem"),
    ],
)
async def test_a_rating_refused_in_other_words_closes_the_survey(
    services: Services, problem: str, refusal: str, said: str
) -> None:
    """'не буду ничего оценивать' to the rating question got the FAQ's answer on missing
    items, 'I don't want to rate' and 'bez oceny' the FAQ's topics, 'skip' a fallback: no
    rating, kindly."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send("да" if CYRILLIC_RE.search(problem) else "tak" if "się" in problem else "yes")
    assert d.of("resolved"), d.replies[-1]
    await d.send(refusal)
    assert d.of("survey_declined") and said in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "yes", "news", "said"),
    [
        ("Заказ 5512300 не пришёл, обещали вчера", "да", "ну что там?", "24 час"),
        ("Zamówienie 2215089 się spóźnia", "tak", "i co?", "24 godzin"),
        ("My order 2215090 is late", "yes", "any news?", "24 hours"),
    ],
)
async def test_news_asked_after_the_promise_gets_the_promise(
    services: Services, problem: str, yes: str, news: str, said: str
) -> None:
    """'ну что там?' after the case was closed with a promise got 'Приветствую! Чем могу
    помочь?' (a hello to the model), 'any news?' the order passed to a colleague as a status
    question: where the case stands, the promise and its time."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(yes)
    await d.send(news)
    reply = " ".join(d.replies[-1])
    assert d.of("promise_repeated") and said in reply and not d.of("escalated"), reply


@pytest.mark.parametrize(
    ("problem", "ctype", "option"),
    [
        (
            "Привет, не пришла инструкция на русском к кофеварке, заказ 7781902",
            "missing_item",
            "cmp:opt:send_document",
        ),
        ("Nie przyszła instrukcja do ekspresu, zamówienie 7781908", "missing_item", None),
        ("The headphones I got don't charge at all. Order 2287713", "damaged_defective", None),
        ("Słuchawki z zamówienia 2287714 się nie ładują", "damaged_defective", None),
        # money named: a bill after all
        ("You charged me twice for order 2287715", "billing", None),
    ],
)
async def test_a_paper_not_come_or_a_thing_not_charging_is_its_case(
    services: Services, problem: str, ctype: str, option: str | None
) -> None:
    """'не пришла инструкция на русском к кофеварке' went to the delivery team as a late
    parcel; 'The headphones I got don't charge at all' filed a refund with finance (a bill to
    the model): a paper missing (its copies offered), a faulty thing."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype], d.replies[-1]
    if option:
        assert option in d.buttons[-1], d.buttons[-1]


@pytest.mark.parametrize(
    ("problem", "no"),
    [
        ("My order 2290873 arrived a week late", "no, I want compensation for the wait"),
        ("Заказ 2290874 опоздал на неделю", "не устраивает, дайте скидку"),
        ("Zamówienie 2290875 spóźniło się tydzień", "nie, chcę rabat za to"),
    ],
)
async def test_not_ok_with_compensation_asked_gets_the_gesture_and_a_person(
    services: Services, problem: str, no: str
) -> None:
    """'no, I want compensation for the wait' at 'is that OK?' brought a person and no coupon
    (a yes with the same ask gets the gesture): the gesture, and the person, said once; for
    a late parcel the gesture is the delay's own, the rules' 300 points."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check")
    await d.send(no)
    reply = " ".join(d.replies[-1])
    assert d.of("escalated") and re.search(r"300 (?:points|баллов|punktów)", reply), reply
    assert [e["kind"] for e in d.of("compensation_offered")] == ["points"], reply
    assert len(re.findall(r"colleague|коллег|konsultant", reply)) == 1, reply


@pytest.mark.parametrize(
    "message",
    [
        "You promised me a refund within 10 days. It's been a month. Order 7712345",
        "Ostatnim razem obiecaliście zwrot w 10 dni. Minął miesiąc. Zamówienie 7712345",
        "Вы обещали вернуть деньги за неделю, прошёл месяц! Заказ 7712345",
    ],
)
async def test_a_refund_promised_and_a_month_gone_is_a_broken_promise(
    services: Services, message: str
) -> None:
    """'You promised me a refund within 10 days. It's been a month' got a new refund request
    'within 10 working days', the same promise again: a promise not kept is apologised for,
    with the goodwill gesture, and the refund chased as urgent."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert d.of("broken_promise_reported"), d.replies[-1]
    assert [e for e in d.of("compensation_offered") if e.get("gesture")], d.replies[-1]


async def test_a_broken_appliance_with_no_person_named_is_no_staff_case(
    services: Services,
) -> None:
    """'Ekspres przyszedł zepsuty' (the model: the staff's behaviour) went to the quality
    manager 'within 48 hours': a broken thing is a damaged item, its photo and fixes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Ekspres przyszedł zepsuty, zamówienie 6244998")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    await d.send(photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]


async def test_a_photo_sent_later_while_a_fix_is_chosen_is_answered(services: Services) -> None:
    """A second photo a minute after the fixes were offered got no reply at all (taken for
    one more photo of an album): it is thanked for, and the offer stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая чашка, заказ 8200002")
    await d.send(photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1]
    out = await say_at(
        services,
        d.user,
        None,
        now=datetime.now(UTC) + timedelta(minutes=1),
        attachments=(Attachment("photo", "later"),),
    )
    said = " ".join(r.text for r in out.replies)
    assert "Спасибо" in said, said
    assert "cmp:opt:replacement" in [b.data for r in out.replies for row in r.buttons for b in row]


async def test_thanks_at_the_rating_question_keeps_the_rating_that_follows(
    services: Services,
) -> None:
    """'Оцените...' - 'спасибо' - '5' opened a new complaint asking what happened: the '5'
    after a thanks is still the rating."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 223311 опаздывает на неделю")
    await d.send("да")
    assert d.of("resolved")
    await d.send("спасибо")
    await d.send("5")
    assert [e["score"] for e in d.of("survey_answer")] == [5], d.replies
    assert len(d.of("complaint_opened")) == 1, d.replies[-1]


@pytest.mark.parametrize(
    "answer",
    [
        "да. а еще заказ 3401002 так и не доставили",
        "yes, and also my other order 3401002 never arrived",
        "tak, a jeszcze zamówienie 3401002 w ogóle nie dotarło",
    ],
)
async def test_a_yes_with_another_orders_problem_opens_its_case(
    services: Services, answer: str
) -> None:
    """'да. а еще заказ 3401002 так и не доставили' to 'is that OK?' closed the case and
    asked for a rating; the other order was never heard of again: its own case opens."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 3401001 опаздывает на неделю")
    await d.send(answer)
    assert d.of("resolved") and len(d.of("complaint_opened")) == 2, d.replies[-1]
    assert "3401002" in d.of("promised")[-1]["text"], d.replies[-1]


@pytest.mark.parametrize(
    ("after", "change", "now"),
    [
        (["5", "10"], "слушайте, а можно вместо замены просто вернуть деньги?", "refund"),
        ([], "changed my mind - can you make it a refund instead", "refund"),
        ([], "jednak wolę zwrot pieniędzy", "refund"),
    ],
)
async def test_a_fix_changed_after_the_case_was_settled_replaces_the_booked_one(
    services: Services, after: list[str], change: str, now: str
) -> None:
    """'а можно вместо замены просто вернуть деньги?' after the yes (and the rating) filed a
    refund with the replacement still booked, or was not understood: the replacement is
    called off and the refund booked, as before the yes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая чашка, заказ 8200002", photo=True)
    await d.send("замену")
    await d.send("да")
    for said in after:
        await d.send(said)
    await d.send(change)
    assert [e["option"] for e in d.of("fix_changed")] == [now], d.replies[-1]
    assert len(d.of("complaint_opened")) == 1 and d.of("satisfaction_check"), d.replies[-1]


async def test_a_question_about_another_fix_after_the_case_is_no_change(
    services: Services,
) -> None:
    """'а сколько идёт возврат денег обычно?' after a replacement was settled is a question
    (the KB's answer), not the replacement called off."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая чашка, заказ 8200002", photo=True)
    await d.send("замену")
    await d.send("да")
    await d.send("а сколько идёт возврат денег обычно?")
    assert not d.of("fix_changed"), d.replies[-1]


async def test_another_things_refund_after_the_case_leaves_the_booked_fix(
    services: Services,
) -> None:
    """'а ещё хочу вернуть деньги за куртку, не подошла' after a replacement was settled is
    another thing's return, not the replacement called off."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Пришла разбитая чашка, заказ 8200002", photo=True)
    await d.send("замену")
    await d.send("да")
    await d.send("а ещё хочу вернуть деньги за куртку, не подошла")
    assert not d.of("fix_changed"), d.replies[-1]


@pytest.mark.parametrize(
    ("complaint", "chase", "sorry"),
    [
        (
            "Заказ 3400106 пришёл не тот товар",
            "вы обещали ответить за 24 часа, прошло трое суток",
            "не сдержали слово",
        ),
        (
            "Order 3400118 arrived with a broken handle",
            "you promised an answer in 24 hours, it's been three days",
            "didn't keep our word",
        ),
        (
            "Zamówienie 3400119 przyszło uszkodzone",
            "obiecaliście odpowiedź w 24 godziny, minęły trzy dni",
            "nie dotrzymaliśmy słowa",
        ),
        ("Заказ 3400120 опаздывает", "уже неделю жду ответа", "не сдержали слово"),
    ],
)
async def test_a_broken_promise_told_while_the_case_is_open_gets_an_apology_and_a_person(
    services: Services, complaint: str, chase: str, sorry: str
) -> None:
    """'вы обещали ответить за 24 часа, прошло трое суток' while the photo was awaited got
    'Спасибо, записал.', and 'уже неделю жду ответа' at 'is that OK?' 'added to your case':
    the playbook's if-then plan, an apology for the broken word, the goodwill gesture and a
    person, urgently."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    await d.send(chase)
    reply = " ".join(d.replies[-1])
    assert sorry in reply and thanks_before_apology(reply), reply
    assert [e for e in d.of("compensation_offered") if e.get("gesture")], reply
    (escalated,) = d.of("escalated")
    assert (escalated["priority"], escalated["reason"]) == ("high", "promise_broken"), reply
    assert not d.of("details_added") and not d.of("resolved"), reply


@pytest.mark.parametrize(
    ("complaint", "fix", "pushback", "speed"),
    [
        (
            "Order 3400122 arrived with a cracked screen",
            "replacement please",
            "5 days?! are you kidding me",
            "speed it up",
        ),
        (
            "Zamówienie 3400123 przyszło uszkodzone, pęknięty kubek",
            "wymiana",
            "tydzień?! żartujecie sobie?",
            "przyspieszenie",
        ),
        (
            "Заказ 3400124 пришёл с разбитой вазой",
            "замену",
            "5 рабочих дней?! вы серьёзно??",
            "ускорить",
        ),
        ("Заказ 3400125 опаздывает уже на неделю", None, "24 часа?? вы серьёзно??", "ускорить"),
    ],
)
async def test_disbelief_at_the_time_promised_is_heard(
    services: Services, complaint: str, fix: str | None, pushback: str, speed: str
) -> None:
    """'24 часа?? вы серьёзно??', '5 days?! are you kidding me' at 'is that OK?' were 'added to
    your case': the time does not suit; an apology, and a colleague asked to speed it up."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    if fix is not None:
        await d.send(fix)
        await d.send(photo=True)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(pushback)
    reply = " ".join(d.replies[-1])
    assert not d.of("resolved") and not d.of("details_added"), reply
    assert d.of("escalated") and SORRY.search(reply) and speed in reply, reply


@pytest.mark.parametrize(
    ("message", "ctype"),
    [
        ("Дайте мне руководителя, заказ 3400103 пришёл разбитый", "damaged_defective"),
        ("Let me speak to your supervisor, order 3400126 arrived broken", "damaged_defective"),
        ("Proszę o kontakt z kierownikiem", None),
        ("Позовите руководителя", None),
    ],
)
async def test_a_manager_asked_for_comes_urgently(
    services: Services, message: str, ctype: str | None
) -> None:
    """'Дайте мне руководителя, заказ 3400003 пришёл разбитый' went to a person at normal
    priority as a complaint about staff: a manager asked for is the playbook's tier 3
    (high priority), and the broken order is what the complaint is about."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    (escalated,) = d.of("escalated")
    assert (escalated["priority"], escalated["reason"]) == ("high", "customer_request")
    if ctype is not None:
        assert [e["complaint_type"] for e in d.of("complaint_opened")] == [ctype]


async def test_an_operator_asked_for_comes_at_normal_priority(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("Позовите менеджера, пожалуйста")
    assert [e["priority"] for e in d.of("escalated")] == ["normal"]


@pytest.mark.parametrize(
    ("opening", "said", "words"),
    [
        (
            "Заказ 3402001 опаздывает уже на неделю, где мой конструктор?",
            "мне не скидка нужна, мне нужен конструктор",
            "товар",
        ),
        (
            "Paczka 3402002 spóźnia się już tydzień",
            "rabat mi nic nie da, chcę dostać paczkę",
            "tow",
        ),
        ("My order 3402003 is a week late", "I don't want a coupon, I want my order", "item"),
        ("My order 3402004 is a week late", "keep your discount, just get me my parcel", "item"),
    ],
)
async def test_a_compensation_turned_down_for_the_item_chases_the_item(
    services: Services, opening: str, said: str, words: str
) -> None:
    """'мне не скидка нужна, мне нужен конструктор' after a late parcel went to the delivery
    team was handed to a person with no word on it, or got the coupon anyway: no coupon, the
    order is chased (the team's promise said again), and the case says the item is wanted."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(said)
    last = " ".join(d.replies[-1])
    assert not d.of("escalated") and not [e for e in d.of("compensation_offered") if e["turn"]]
    assert words in last.lower() and "24" in last, last
    state = await d.state()
    assert "item" in state["complaint"]["wanted"] and state["complaint"]["stage"] == "satisfaction"


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        (
            "Заказ 3402011 опаздывает на две недели, больше никогда у вас ничего не закажу!",
            "не нужна мне ваша скидка, привезите заказ",
        ),
        (
            "Заказ 3402012 не пришёл, а праздник уже прошёл",
            "мне не нужен купон, пусть привезут товар",
        ),
    ],
)
async def test_a_compensation_given_or_offered_is_withdrawn_when_the_item_is_wanted(
    services: Services, opening: str, said: str
) -> None:
    """The angry customer's coupon, or the compensation offered for a missed event, turned
    down for the order itself: withdrawn, and the delivery team chases the order."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(said)
    assert d.of("compensation_withdrawn") and not d.of("compensation_chosen"), d.replies[-1]
    assert "24" in " ".join(d.replies[-1]) and not d.of("escalated"), d.replies[-1]
    assert (await d.state())["complaint"]["compensation"] is None


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        ("Заказ 3402021 задержали на 5 дней", "а баллы за задержку будут?", "300 баллов"),
        ("Zamówienie 3402022 spóźnia się 5 dni", "dostanę punkty za opóźnienie?", "300 punktów"),
        ("My order 3402023 is 5 days late", "do I get points for the delay?", "300 points"),
    ],
)
async def test_points_for_a_delay_asked_for_are_confirmed_on_the_case(
    shop: Services, opening: str, asked: str, said: str
) -> None:
    """'а баллы за задержку будут?' after a late parcel went to the delivery team got the
    loyalty programme's FAQ answer: the 300 points the shop gives for a delay (the FAQ's own
    promise, the rules' delivery_delay compensation), confirmed and kept on the case."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(opening)
    await d.send(asked)
    assert said in " ".join(d.replies[-1]) and not d.of("faq_answered"), d.replies[-1]
    offered = [e for e in d.of("compensation_offered") if e["turn"] == 1]
    assert [(e["kind"], e["value"]) for e in offered] == [("points", 300)]
    assert (await d.state())["complaint"]["rule_compensation"] == "points"


@pytest.mark.parametrize(
    ("opening", "said", "chosen"),
    [
        ("Zamówienie 3402031 przyszło niekompletne, brakuje kabla", "chcę wymianę", "resend"),
        ("В заказе 3402032 не хватает одной тарелки", "хочу замену", "resend"),
        ("Order 3402033 came without the charger", "I'd like a replacement", "resend"),
        ("В заказе 3402034 не хватает одной тарелки", "давайте купон", "coupon"),
        ("Order 3402035 came without the charger", "a coupon is fine", "coupon"),
        ("Zamówienie 3402036 przyszło niekompletne, brakuje kabla", "może być kupon", "coupon"),
    ],
)
async def test_a_fix_or_a_coupon_typed_at_the_missing_item_fixes_is_taken(
    services: Services, opening: str, said: str, chosen: str
) -> None:
    """'chcę wymianę', 'давайте купон', 'a coupon is fine' at the missing item's fixes (send
    the missing thing, the money back) got 'not sure which one you mean' or a person: the
    missing thing sent (its replacement), or the coupon instead of a fix."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(said)
    took = [e["option"] for e in d.of("fix_chosen")] + [
        e["kind"] for e in d.of("compensation_chosen")
    ]
    assert took == [chosen] and d.of("satisfaction_check"), d.replies[-1]
    assert not d.of("escalated"), d.replies[-1]


async def test_a_coupon_typed_at_the_wrong_item_fixes_is_taken(services: Services) -> None:
    """'давайте купон' at a wrong item's fixes (replacement, refund) is the coupon instead."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("По заказу 3402037 прислали не тот товар", photo=True)
    await d.send("давайте купон")
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["coupon"], d.replies[-1]
    assert not d.of("fix_chosen") and d.of("satisfaction_check"), d.replies[-1]


async def test_a_delivery_asked_again_at_the_missing_item_fixes_is_no_free_delivery(
    services: Services,
) -> None:
    """'доставку повторите' at the missing item's fixes is no free delivery chosen."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("В заказе 3402041 не хватает одной тарелки")
    await d.send("доставку повторите")
    assert not d.of("compensation_chosen"), d.replies[-1]


@pytest.mark.parametrize(
    ("turns", "figure"),
    [
        (
            [
                "Order 3402051 arrived with a cracked screen",
                "replacement please",
                "and I want $100 for my wasted time",
            ],
            "$100",
        ),
        (
            ["Заказ 3402052 пришёл с разбитым экраном", "замену", "и ещё хочу 50% скидку сверху"],
            "50%",
        ),
        (
            [
                "Zamówienie 3402053 przyszło z pękniętym ekranem",
                "wymiana",
                "chcę jeszcze 200 zł rekompensaty za stracony czas",
            ],
            "200 zł",
        ),
        (
            [
                "Заказ 3402054 опаздывает на неделю",
                "да, спасибо",
                "и ещё хочу 50% скидку за задержку",
            ],
            "50%",
        ),
    ],
)
async def test_an_extra_compensation_over_the_goodwill_threshold_goes_to_a_person(
    services: Services, turns: list[str], figure: str
) -> None:
    """'and I want $100 for my wasted time' after a replacement was chosen got 'Thank you, got
    it' (the demand ignored), '50% сверху' the 10% coupon with the 50% unsaid: acknowledged,
    and more than the goodwill threshold (or the coupons the rules give) is passed to a
    person who decides, said so."""
    d = Dialogue(services, str(next(_ids)))
    for said in turns:
        await d.send(said)
    last = " ".join(d.replies[-1])
    assert figure in last and THANKS.search(last), last
    assert d.of("compensation_demanded") and d.of("escalated"), last
    assert not [e for e in d.of("compensation_offered") if e["turn"] == len(turns) - 1], last


@pytest.mark.parametrize(
    "turns",
    [
        [
            "Заказ 3402061 опаздывает на неделю",
            "и ещё хочу компенсацию 500 рублей за потраченное время",
        ],
        ["Заказ 3402062 пришёл с разбитым экраном", "замену", "и хочу 500 рублей за беспокойство"],
    ],
)
async def test_an_extra_compensation_under_the_goodwill_threshold_is_granted(
    services: Services, turns: list[str]
) -> None:
    """'и ещё хочу компенсацию 500 рублей за потраченное время' got the 10% coupon: under the
    goodwill threshold (1000 ₽) the sum is granted at once, and the case goes on."""
    d = Dialogue(services, str(next(_ids)))
    for said in turns:
        await d.send(said)
    last = " ".join(d.replies[-1])
    assert "500" in last and not d.of("escalated"), last
    assert [e["amount"] for e in d.of("goodwill_approved")] == [500], last
    assert (await d.state())["complaint"]["stage"] != "handed_over"


@pytest.mark.parametrize(
    "said",
    [
        "toster nie działa, zamówienie 3400008",
        "mój toster nie działa",
        "zegarek nie chce działać, zamówienie 3400121",
        "telefon nie działa, zamówienie 3400120",
        "мой тостер не работает",
    ],
)
async def test_a_thing_that_does_not_work_is_a_defect_not_the_site(
    services: Services, said: str
) -> None:
    """'toster nie działa, zamówienie 3400008' (the site's problem to the model) asked for a
    phone or an e-mail: a thing that does not work is a faulty one, its photo asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert re.search(r"zdjęci|фото", d.all_text()), d.replies[-1]
    assert not re.search(r"e-mail|почт", d.all_text()), d.replies[-1]


@pytest.mark.parametrize("said", ["płatność nie działa", "strona nie działa", "сайт не работает"])
async def test_the_site_or_the_payment_that_does_not_work_stays_the_sites(
    services: Services, said: str
) -> None:
    """'płatność nie działa' (a "no" to the model) opened a broken-item case asking for a
    photo: the payment, the site or the app not working is the site's problem."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert not re.search(r"zdjęci|фото", d.all_text()), d.replies[-1]
    types = [e["complaint_type"] for e in d.of("classified")]
    assert types == ["website_app"], types


@pytest.mark.parametrize(
    "said",
    [
        "Kurier zostawił paczkę pod drzwiami i ktoś ją ukradł, zamówienie 3400009",
        "paczka została skradziona z klatki schodowej, zamówienie 3400122",
    ],
)
async def test_a_parcel_stolen_where_it_was_left_is_a_delivery_case(
    services: Services, said: str
) -> None:
    """'Kurier zostawił paczkę pod drzwiami i ktoś ją ukradł' was read as the courier's
    manners, 'paczka została skradziona' as a broken item: the parcel never came to the
    customer, the delivery team's case (as 'посылку украли из подъезда')."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("classified")] == ["delivery_delay"]
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert not re.search(r"zdjęci", d.all_text()), d.replies[-1]
    assert d.of("promised") and d.replies[-1], d.replies


@pytest.mark.parametrize(
    "said",
    [
        "the receipt was for a different person, order 3400112",
        "в посылке был чек на чужое имя, заказ 3400113",
        "w paczce był paragon innej osoby, zamówienie 3400114",
    ],
)
async def test_someone_elses_receipt_in_the_parcel_goes_to_a_person(
    services: Services, said: str
) -> None:
    """'в посылке был чек на чужое имя' got a paper copy of the receipt offered, 'the receipt
    was for a different person' a refund filed: someone else's data in the parcel is a
    privacy matter, thanked for, apologised for, and a person takes it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    text = d.all_text()
    assert THANKS.search(text) and SORRY.search(text), text
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["other"]
    assert d.of("escalated") and not d.of("promised"), text
    assert not re.search(r"бумажн|papierow|paper|refund", text, re.I), text


@pytest.mark.parametrize(
    ("said", "order"),
    [("Mój order 3400011 jest late", "3400011"), ("мой order 3400123 был late", "3400123")],
)
async def test_a_late_order_told_in_mixed_languages_is_not_asked_again(
    services: Services, said: str, order: str
) -> None:
    """'Mój order 3400011 jest late' (a status question, the KB's late-order answer asking for
    the order number): the late order's case, its number taken."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert order in d.of("promised")[0]["text"], d.replies[-1]


@pytest.mark.parametrize(
    ("said", "lang_re"),
    [("promka nie dziala", r"kod"), ("promokod ne rabotaet", r"код")],
)
async def test_a_promo_code_in_slang_or_latin_letters_gets_the_promo_help(
    services: Services, said: str, lang_re: str
) -> None:
    """'promka nie dziala' opened a broken-item case asking for a photo, 'promokod ne
    rabotaet' a billing case asking for an order number: a promo code that does not work
    (the code and what the site says asked for)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert not d.of("complaint_opened"), d.replies[-1]
    assert re.search(lang_re, d.all_text(), re.I), d.replies[-1]
    assert not re.search(r"zdjęci|фото|номер заказа", d.all_text()), d.replies[-1]


@pytest.mark.parametrize(
    ("caption", "asked"),
    [
        ("zobaczcie to", r"co się stało"),
        ("look at this", r"what happened"),
        ("вот, смотрите", r"что случилось"),
    ],
)
async def test_a_photo_opening_the_chat_with_a_pointing_caption_asks_what_happened(
    services: Services, caption: str, asked: str
) -> None:
    """A photo captioned 'zobaczcie to', 'look at this', 'вот, смотрите' as the first message
    got a goodbye ('Do widzenia!') or the FAQ's tracking answer: the photo is thanked for and
    what happened asked, in the caption's language."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(caption, photo=True)
    assert re.search(asked, d.all_text(), re.I), d.replies[-1]
    await d.send("the mug came chipped, order 3400130")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]


@pytest.mark.parametrize(
    "said",
    [
        "this is ridiculous, I want to talk to a human",
        "это издевательство, хочу поговорить с живым человеком",
        "to jakiś żart, chcę rozmawiać z człowiekiem",
    ],
)
async def test_a_person_asked_for_in_an_angry_line_while_a_detail_is_awaited_is_brought(
    services: Services, said: str
) -> None:
    """'this is ridiculous, I want to talk to a human' (a complaint to the model) while the
    app case waited for a contact: the case was passed to the technical team with 'Is that OK
    for you?' and no person came. A person is brought, nothing promised by the bot then (the
    device told before went to the tech team with its promise and 'is that OK?')."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("your app keeps crashing when i try to pay")
    assert d.of("asked_for"), d.replies[-1]
    await d.send("iphone 13, ios 17")
    await d.send(said)
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"], d.replies[-1]
    late = [e for e in d.of("promised") + d.of("satisfaction_check") if e["turn"] == 2]
    assert not late, d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "forgot", "options"),
    [
        ("I got the item, it's broken, photo attached", "sorry forgot", r"Replace"),
        ("I got the item, it's broken, photo attached", "oops, forgot to attach it", r"Replace"),
        ("Получил товар, он сломан, фото прикладываю", "ой, забыл приложить", r"Заменить"),
    ],
)
async def test_forgetting_the_photo_said_attached_is_waited_for_not_given_up(
    services: Services, opening: str, forgot: str, options: str
) -> None:
    """'sorry forgot' after 'photo attached' (nothing attached, the order number and a photo
    asked): it was a 'no' to the model, and the fixes were offered, a replacement then booked
    with no order and no photo; 'oops, forgot to attach it' was kept as the problem's story.
    Now the bot waits for them, and they still bring the fix."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(forgot)
    assert not re.search(options, "\n".join(d.replies[-1])), d.replies[-1]
    assert not d.of("fix_chosen"), d.replies[-1]
    state = await d.state()
    assert "forgot" not in str(state["known"].get("description", "")), state["known"]
    assert "забыл" not in str(state["known"].get("description", "")), state["known"]
    await d.send("order 3400140", photo=True)
    assert re.search(options, d.all_text()), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "nudge"),
    [
        ("заказ 3400141 не пришел, жду 10 дней", "ну так что?"),
        ("заказ 3400142 не пришел, жду 10 дней", "ну?"),
        ("order 3400143 never arrived", "so what now?"),
        ("zamówienie 3400144 nie doszło", "no i co?"),
    ],
)
async def test_a_nudge_at_is_that_ok_gets_where_the_case_stands(
    services: Services, opening: str, nudge: str
) -> None:
    """'ну так что?' at 'Is that OK?' after the case went to the delivery team was taken for a
    yes (the case closed, a rating asked); 'ну?' got a greeting as to a newcomer. Where it
    stands (the promise again) and the same question; the case stays open."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    promise = d.of("promised")[0]["text"]
    await d.send(nudge)
    assert not d.of("resolved"), d.replies[-1]
    assert promise in "\n".join(d.replies[-1]), d.replies[-1]
    assert len(d.of("satisfaction_check")) == 2, d.replies[-1]


@pytest.mark.parametrize("said", ["dostałem nie ten produkt", "przyszedł nie ten towar"])
async def test_a_wrong_product_told_in_polish_is_a_wrong_item_not_out_of_stock(
    services: Services, said: str
) -> None:
    """'dostałem nie ten produkt' was read as out of stock: 'wait for the delivery / a similar
    product / a refund' offered, the card said 'out of stock'. A wrong item's case: the photo
    asked with the order number, and the fixes for a wrong thing."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"]
    await d.send("zamówienie 3400145", photo=True)
    assert not re.search(r"Poczekam na dostawę|Podobny produkt", d.all_text()), d.all_text()


@pytest.mark.parametrize(
    "said",
    [
        "aplikacja się wiesza przy płatności",
        "aplikacja ciągle się zawiesza",
        "the app keeps freezing on the payment page",
    ],
)
async def test_the_app_told_hanging_is_a_site_case_not_the_apps_faq(
    services: Services, said: str
) -> None:
    """'aplikacja się wiesza przy płatności' got the FAQ's topics, then where to download the
    app; 'aplikacja ciągle się zawiesza' the app's FAQ answer at once: no thanks, no apology,
    no case. The site's case, with the playbook's thanks and apology; a question about it
    ('co zrobić, gdy aplikacja się zawiesza?') is still the FAQ's."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["website_app"]
    assert thanks_before_apology(d.all_text()), d.all_text()
    q = Dialogue(services, str(next(_ids)))
    await q.send("co zrobić, gdy aplikacja się zawiesza?")
    assert not q.of("complaint_opened"), q.replies[-1]


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("my promo code SAVE20 doesn't work", "SAVE20"),
        ("промокод ZIMA10 не работает", "ZIMA10"),
        ("kod rabatowy LATO15 nie działa", "LATO15"),
    ],
)
async def test_a_promo_code_named_with_its_failure_is_not_asked_for_again(
    services: Services, said: str, code: str
) -> None:
    """'my promo code SAVE20 doesn't work' got 'send me the code and what the site says': the
    code, given, was asked for again. Only what the site says is asked; with it, the code and
    the message go to a colleague."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    asked = d.replies[-1][-1]
    assert not re.search(r"the code and|сам код|kod i", asked), asked
    assert re.search(r"site says|пишет сайт|pokazuje strona", asked), asked
    await d.send("it says the code has expired")
    assert [e["reason"] for e in d.of("escalated")] == ["faq_not_helpful"], d.replies[-1]


@pytest.mark.parametrize(
    ("said", "repair", "offered"),
    [
        ("Пришла футболка с дыркой, заказ 3400146", r"ремонт", False),
        ("The vase came smashed, order 3400147", r"Repair", False),
        ("Kubek przyszedł pęknięty, zamówienie 3400148", r"Naprawa", False),
        ("Чайник не включается, заказ 3400149", r"ремонт", True),
    ],
)
async def test_repair_under_warranty_is_offered_only_for_what_a_workshop_mends(
    services: Services, said: str, repair: str, offered: bool
) -> None:
    """A T-shirt with a hole, a smashed vase, a cracked mug were offered 'Repair under
    warranty' beside a replacement and a refund. Only things a workshop mends (a kettle that
    won't switch on) are."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    await d.send("", photo=True)
    menu = "\n".join(d.replies[-1])
    assert re.search(r"Заменить|Replace|Wymiana", menu), menu
    assert bool(re.search(repair, menu, re.I)) is offered, menu


@pytest.mark.parametrize(
    ("caption", "hello", "asked", "complaint"),
    [
        ("dzień dobry", r"cześć", r"co się stało", "kubek 3410031 przyszedł wyszczerbiony"),
        ("hi", r"\bhi\b", r"what happened", "the mug came chipped, order 3410032"),
        ("здравствуйте", r"здравствуйте", r"что случилось", "кружка 3410033 пришла со сколом"),
        ("Добрый день!", r"здравствуйте", r"что случилось", "кружка 3410034 пришла со сколом"),
        ("hello there", r"\bhi\b", r"what happened", "the mug came chipped, order 3410035"),
    ],
)
async def test_a_photo_with_a_hello_caption_is_greeted_kept_and_asked_about(
    services: Services, caption: str, hello: str, asked: str, complaint: str
) -> None:
    """A photo captioned only 'dzień dobry', 'hi', 'здравствуйте' got the plain hello ('Hi! How
    can I help today?...') as if nothing were attached: a hello back, the photo thanked for and
    kept for the case, what happened asked (the photo is not asked for again)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(caption, photo=True)
    said = d.all_text()
    assert re.search(hello, said, re.I) and THANKS.search(said), said
    assert re.search(asked, said, re.I), said
    assert not re.search(r"how can i help|чем могу помочь|w czym mogę", said, re.I), said
    await d.send(complaint)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert not [e for e in d.of("asked_for") if e.get("slot") == "photo"], d.replies[-1]


async def test_a_hello_with_no_photo_is_still_the_plain_hello(services: Services) -> None:
    d = Dialogue(services, str(next(_ids)))
    await d.send("hi")
    assert re.search(r"how can i help", d.all_text(), re.I), d.replies[-1]


@pytest.mark.parametrize(
    ("turns", "order", "told"),
    [
        (["не работает отслеживание посылки, заказ 3410012"], "3410012", r"отслеживание"),
        (["śledzenie przesyłki nie działa, zamówienie 3410004"], "3410004", r"śledzenie"),
        (["the tracking link doesn't work for order 3410011"], "3410011", r"tracking"),
        (["трек-номер не отслеживается, заказ 3410021"], "3410021", r"отслеживание"),
        (["tracking number not found, order 3410023"], "3410023", r"tracking"),
        (["numer przesyłki nie działa, zamówienie 3410026"], "3410026", r"śledzenie"),
        # the number asked for, then given
        (["nie mogę śledzić paczki", "3410029"], "3410029", r"śledzenie"),
        (["не могу отследить посылку", "3410027"], "3410027", r"отслеживание"),
    ],
)
async def test_tracking_that_does_not_work_gets_the_orders_status(
    services: Services, turns: list[str], order: str, told: str
) -> None:
    """'не работает отслеживание посылки, заказ 3410012' opened a case asking for a photo of
    the problem, 'the tracking link doesn't work for order 3410011' a site case asking for a
    phone: the customer wants to know where the parcel is (the order's status, passed to a
    colleague), and hears the tracking failing them is noted for the team."""
    d = Dialogue(services, str(next(_ids)))
    for said in turns:
        await d.send(said)
    assert not d.of("complaint_opened"), d.replies
    assert [e["reason"] for e in d.of("escalated")] == ["order_status"], d.replies
    assert d.of("tracking_noted"), d.replies
    text = " ".join(d.replies[-1])
    assert order in text and re.search(told, text, re.I), text
    assert not re.search(r"фото|zdjęci|photo|телефон|phone", d.all_text(), re.I), d.replies


async def test_tracking_failing_beside_a_broken_thing_stays_a_complaint(
    services: Services,
) -> None:
    """The tracking that does not work said beside another problem ('tracking doesn't work
    and the kettle came broken'): that problem's case, not the order's status."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("the tracking doesn't work and the kettle came broken, order 3410041")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert not d.of("tracking_noted")


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("Какие способы оплаты у вас есть?", "а в Польше ими можно оплатить?"),
        ("Jakie są metody płatności?", "a w Rosji mogę nimi zapłacić?"),
        ("Jakie macie formy płatności?", "a w Polsce można nimi płacić?"),
    ],
)
async def test_a_follow_up_about_them_keeps_the_answer_it_refers_to(
    shipped_shop: Services, question: str, follow_up: str
) -> None:
    """'Какие способы оплаты у вас есть?' (the answer names Russia's and Poland's methods),
    then 'а в Польше ими можно оплатить?' got the cash-on-delivery answer: the re-ranker's
    unsure pick for the follow-up alone counted for less than the candidates it put after it.
    The payment methods again, whose Poland part is what they ask about."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    await d.send(follow_up)
    answered = [e["answer_id"] for e in d.of("faq_answered")]
    assert answered == ["payment_methods", "payment_methods"], d.replies[-1]


async def test_a_thing_that_does_not_work_is_one_broken_item_case_not_a_wrong_one(
    services: Services,
) -> None:
    """'мой тостер не работает, заказ 3410031' (a wrong item to the model) opened a wrong-item
    case and queued a second one for the broken thing ('А повреждённым займусь сразу после
    этого'): one broken-item case. A wrong thing that also does not work stays two."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("мой тостер не работает, заказ 3420051")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert not d.of("complaint_queued"), d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("прислали не тот чайник, и он ещё и не работает, заказ 3400151")
    assert [x["complaint_type"] for x in e.of("complaint_opened")] == ["wrong_item"]
    assert e.of("complaint_queued"), e.replies[-1]


async def test_tracking_failing_beside_a_late_parcel_is_the_late_parcels_case(
    services: Services,
) -> None:
    """'отслеживание не работает, а посылка опаздывает на неделю' opened a broken-item case
    asking for a photo ('не работает' read as the thing's fault): the late parcel's case,
    passed to the delivery team, no photo asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("отслеживание не работает, а посылка опаздывает на неделю, заказ 3420052")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert "photo" not in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


@pytest.mark.parametrize(
    ("said", "coupon"),
    [
        (
            "The courier was super rude to me and threw my parcel over the fence. "
            "order 3400152. I want compensation",
            r"coupon",
        ),
        ("Курьер нахамил мне и швырнул коробку, заказ 3400153. Хочу компенсацию", r"промокод"),
        ("Kurier był bardzo niemiły, zamówienie 3400154, chcę rekompensaty", r"kod"),
    ],
)
async def test_compensation_asked_with_a_case_for_a_team_gets_the_gesture(
    services: Services, said: str, coupon: str
) -> None:
    """'...I want compensation' with a complaint a team handles (the courier's manners) was
    passed to the care manager with no word on it: the goodwill gesture, then the team's
    promise, once (an angry customer's gesture is not said twice)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert len(d.of("compensation_offered")) == 1, d.replies[-1]
    assert re.search(coupon, d.all_text()) and d.of("promised"), d.all_text()
    e = Dialogue(services, str(next(_ids)))
    await e.send("Your courier was rude to me, order 3400155")
    assert not e.of("compensation_offered"), e.replies[-1]


@pytest.mark.parametrize(
    ("opening", "asked"),
    [
        ("мне пришел не тот цвет куртки, заказ 3400163", "а как вернуть деньги и сколько ждать?"),
        ("I got the wrong colour jacket, order 3400164", "can I get my money back?"),
        ("Przyszła kurtka w złym kolorze, zamówienie 3400165", "jak odzyskać pieniądze?"),
    ],
)
async def test_the_money_back_asked_while_the_photo_is_awaited_is_the_fix_wished(
    services: Services, opening: str, asked: str
) -> None:
    """'а как вернуть деньги и сколько ждать?' while a wrong item's photo was awaited got the
    FAQ's return steps and the delivery times, the case left aside: the refund is noted as
    the fix wished, and made when the photo comes (not offered as a choice again)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(asked)
    assert [e["option"] for e in d.of("fix_wished")] == ["refund"], d.replies[-1]
    assert not d.of("faq_answered"), d.replies[-1]
    await d.send("", photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "chosen"),
    [
        ("Заказ 3400166 отменили, товара нет в наличии", "подберите похожий"),
        ("Zamówienie 3400167 anulowane, bo nie ma towaru na stanie", "może być coś podobnego"),
    ],
)
async def test_a_similar_item_asked_in_words_is_the_alternative_chosen(
    services: Services, opening: str, chosen: str
) -> None:
    """'подберите похожий', 'może być coś podobnego' at the out-of-stock options (the button
    says 'Podobny produkt') were not understood ('предложите аналог' was): the alternative."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(chosen)
    assert [e["option"] for e in d.of("fix_chosen")] == ["alternative"], d.replies[-1]


async def test_the_device_told_after_the_apps_failure_is_kept_for_the_team(
    services: Services,
) -> None:
    """'андроид 14' after 'приложение вылетает при оплате' (a contact asked for) got 'Не
    спешите, я на связи.' and was dropped: the device is kept with the case for the team."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("приложение вылетает при оплате")
    await d.send("андроид 14")
    state = await d.state()
    assert "андроид 14" in str(state["known"].get("description", "")), state["known"]
    assert re.search(r"записал|добавил|Спасибо", d.replies[-1][0]), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "asked"),
    [
        ("Заказ 3460001 пришёл без зарядки к ноутбуку", "а можно просто дослать зарядку?"),
        ("Заказ 3460002 пришёл без зарядки", "привезите зарядку пожалуйста"),
        ("Zamówienie 3460003 przyszło bez ładowarki", "a można po prostu dosłać ładowarkę?"),
    ],
)
async def test_the_missing_part_asked_to_be_sent_is_the_resend_chosen(
    services: Services, opening: str, asked: str
) -> None:
    """'а можно просто дослать зарядку?' at the missing item's options got 'I have no exact
    answer to that, I've added your question to the case' and the options again: the
    missing item is sent."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(asked)
    assert [e["option"] for e in d.of("fix_chosen")] == ["resend"], d.replies[-1]
    assert not d.of("question_noted"), d.replies[-1]


@pytest.mark.parametrize(
    ("person", "problem", "threat", "said"),
    [
        (
            "позовите оператора",
            "заказ 3460014 так и не пришёл",
            "если завтра не будет, напишу отзыв везде",
            "срочн",
        ),
        (
            "I want a human",
            "order 3460015 never arrived",
            "sort it today or I'm leaving a 1-star review",
            "urgent",
        ),
        (
            "chcę konsultanta",
            "zamówienie 3460016 nie dotarło",
            "jak tak dalej, to więcej u was nie kupię",
            "pilne",
        ),
    ],
)
async def test_a_review_threat_while_a_person_is_awaited_hurries_the_team(
    services: Services, person: str, problem: str, threat: str, said: str
) -> None:
    """'если завтра не будет, напишу отзыв везде' while nobody had taken the ticket yet got
    no reply at all ("passed this on" was said already) and the ticket kept waiting as it
    was: the colleagues are hurried (high priority, the reason on the card) and the
    customer hears it, once per ticket."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(person)
    await d.send(problem)
    await d.send(threat)
    [raised] = d.of("priority_raised")
    assert raised["reason"] == "angry_threat", raised
    assert said in " ".join(d.replies[-1]).lower(), d.replies[-1]
    await d.send(threat)
    assert said not in " ".join(d.replies[-1]).lower(), "said once"
    assert len(d.of("priority_raised")) == 1


@pytest.mark.parametrize(
    ("opening", "thanks"),
    [
        ("заказ 3460021 пришёл разбитый, экран треснул", "Спасибо за фото."),
        ("order 3460022 arrived broken, the screen is cracked", "Thank you for the photo."),
        ("zamówienie 3460023 przyszło uszkodzone, pęknięty ekran", "Dziękuję za zdjęcie."),
    ],
)
async def test_the_photo_asked_for_is_thanked_for_before_the_fix(
    services: Services, opening: str, thanks: str
) -> None:
    """The photo asked for came and the bot went straight to "How would you like me to fix
    it?", with no word for it: it is thanked for, then the fix is offered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    assert d.replies[-1][0] == thanks, d.replies[-1]
    assert d.of("complaint_opened") and len(d.replies[-1]) == 2, d.replies[-1]


@pytest.mark.parametrize(
    ("asked", "address"),
    [
        (
            "Можно ли изменить адрес доставки? заказ 3460026",
            "новый адрес: Москва, ул. Ленина 5, кв 12",
        ),
        ("Zmieńcie adres dostawy zamówienia 3460027", "nowy adres: ul. Długa 3/5, Kraków"),
    ],
)
async def test_the_new_address_for_an_order_change_is_not_apologised_for(
    services: Services, asked: str, address: str
) -> None:
    """The new address sent after the order change went to a colleague got "thank you for
    telling me, and I'm sorry this happened" (read as a problem told): it is passed on
    with thanks, without an apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(asked)
    assert d.of("escalated"), d.replies[-1]
    await d.send(address)
    said = " ".join(d.replies[-1])
    assert d.replies[-1] and not re.search(r"жаль|przykro|sorry this", said), said


@pytest.mark.parametrize(
    ("opening", "chosen"),
    [
        (
            "Заказ 3460071: пришёл сломанный телевизор за 45000 рублей, экран разбит",
            "верните деньги",
        ),
        (
            "Order 3460072: the laptop I paid $300 for arrived with a cracked screen",
            "refund please",
        ),
        ("Zamówienie 3460073: telewizor za 2500 zł przyszedł zepsuty", "zwrot pieniędzy"),
    ],
)
async def test_a_refund_chosen_over_the_claims_limit_goes_to_a_person(
    services: Services, opening: str, chosen: str
) -> None:
    """A broken 45,000 ₽ TV, refund picked: "Done: I've arranged a full refund", no person,
    though the rules send claims over the limit (20,000) to a person: a colleague approves
    it, with the case; a kettle's refund under the limit is still arranged at once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    await d.send(chosen)
    assert [e["reason"] for e in d.of("escalated")] == ["amount_over_limit"], d.replies[-1]
    assert not d.of("promised"), d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("Заказ 3460074: пришёл сломанный чайник за 2500 рублей")
    await e.send("", photo=True)
    await e.send("верните деньги")
    assert e.of("promised") and not e.of("escalated"), e.replies[-1]


@pytest.mark.parametrize(
    ("opening", "refund", "yes", "asked"),
    [
        (
            "Zamówienie 3460081: czajnik przyszedł zepsuty",
            "zwrot pieniędzy",
            "tak",
            "A kiedy dokładnie wrócą pieniądze? Bo to 500 zł, dużo.",
        ),
        (
            "Order 3460083: the kettle arrived broken",
            "refund",
            "yes",
            "when exactly will the money arrive? it was 80 dollars",
        ),
    ],
)
async def test_when_the_refund_comes_asked_at_the_rating_files_no_second_refund(
    services: Services, opening: str, refund: str, yes: str, asked: str
) -> None:
    """'A kiedy dokładnie wrócą pieniądze? Bo to 500 zł' at the rating after a refund was
    arranged opened a second billing complaint (a new refund request, "is that OK?" again)
    and the rating typed next was added to it: the promise is said, the rating still counts."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    await d.send(refund)
    await d.send(yes)
    assert d.of("resolved"), d.replies[-1]
    await d.send(asked)
    assert len(d.of("complaint_opened")) == 1 and d.of("promise_repeated"), d.replies[-1]
    await d.send("4")
    assert d.of("survey_answer") and len(d.of("complaint_opened")) == 1, d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "asked"),
    [
        (
            "Заказ 3460061 опоздал на неделю, подарок на день рождения не успел",
            "а какая-то компенсация будет?",
        ),
        ("Order 3460062 was a week late, the birthday is over", "will there be any compensation?"),
    ],
)
async def test_a_compensation_asked_about_at_the_offer_gets_the_offer(
    services: Services, opening: str, asked: str
) -> None:
    """'а какая-то компенсация будет?' right after the compensation choice was offered got
    the knowledge base's 'is your question about one of these topics?': yes, and the choice."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("compensation_offered"), d.replies[-1]
    await d.send(asked)
    assert not d.of("faq_declined") and len(d.replies[-1]) == 2, d.replies[-1]
    assert re.search(r"15%", d.replies[-1][1]), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        (
            "Курьер опоздал на 3 часа, я отпросилась с работы, заказ 3460059",
            "хочу чтобы вы его наказали",
        ),
        ("the courier was rude to me, order 3460063", "I want him punished"),
        ("Kurier był niemiły, zamówienie 3460064", "chcę żeby go ukarać"),
        ("Привет, мне не пришёл кешбэк баллами за заказ 3460057", "сумма заказа 5400"),
    ],
)
async def test_a_wish_or_a_sum_told_at_is_that_ok_is_kept_on_the_case(
    services: Services, opening: str, said: str
) -> None:
    """'хочу, чтобы вы его наказали' at "is that OK?" got the FAQ's "how to reach a person"
    ("I want him punished": "Still here"); "сумма заказа 5400" was read as order 5400 and
    went to a person as not understood: kept on the case for the team, said so."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(said)
    assert d.of("details_added") and not d.of("escalated"), d.replies[-1]
    assert not d.of("faq_answered"), d.replies[-1]


async def test_the_difference_asked_back_at_a_refund_request_is_that_refund(
    services: Services,
) -> None:
    """'I want the difference back' after a refund request was filed got "Still here, no
    worries": it is what is being arranged, said so."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("hey, order 3460058 was charged 4590 but the site showed 3990")
    await d.send("I want the difference back")
    assert d.replies[-1][0].startswith("That's exactly what I've arranged"), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "choice", "unhappy"),
    [
        (
            "The screen of order 3460091 came cracked",
            "a replacement please",
            "No. Get me your manager.",
        ),
        (
            "Ekran z zamówienia 3460092 przyszedł pęknięty",
            "wymiana",
            "Nie. Proszę o kontakt z kierownikiem.",
        ),
        ("Экран из заказа 3460093 пришёл треснутый", "замену", "нет, и я напишу отзыв везде"),
    ],
)
async def test_a_manager_asked_for_at_not_solved_comes_urgently(
    services: Services, opening: str, choice: str, unhappy: str
) -> None:
    """'No. Get me your manager.' to "is that OK?" made a normal ticket ("the fix did not
    help"), as did a "no" with a review threat; a manager asked for comes at high priority."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    await d.send(choice)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(unhappy)
    assert [e["priority"] for e in d.of("escalated")] == ["high"], d.of("escalated")


@pytest.mark.parametrize(
    ("opening", "ordered", "came"),
    [
        ("Мне пришёл не тот товар, заказ 3420101", "заказывал синий", "пришел красный"),
        ("I got the wrong item, order 3420111", "I ordered the blue one", "got a red one"),
        (
            "Przyszedł nie ten produkt, zamówienie 3420121",
            "zamawiałam niebieską",
            "przyszła czerwona",
        ),
    ],
)
async def test_what_was_ordered_and_what_came_told_in_pieces_are_kept_with_the_case(
    services: Services, opening: str, ordered: str, came: str
) -> None:
    """'заказывал синий', then 'пришел красный' while a wrong item's photo was awaited were quiet
    turns ('Не спешите', then the fixes offered with nothing noted): both are kept with the
    case for the team and thanked for, and the fixes wait for the photo."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(ordered)
    await d.send(came)
    assert THANKS.search(d.replies[1][-1]) and THANKS.search(d.replies[2][-1]), d.replies
    assert not any(e["turn"] > 0 for e in d.of("asked_for")), d.replies
    assert "cmp:opt:refund" not in d.buttons[2], d.replies[2]
    description = str((await d.state())["known"].get("description", ""))
    assert ordered in description and came in description, description
    await d.send(photo=True)
    assert "cmp:opt:refund" in d.buttons[-1], d.replies[-1]
    assert_never_reasked(d)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Де моє замовлення? Чекаю вже тиждень", ["order_ref"]),
        ("Замовлення 3420102 досі не прийшло", []),
        ("Чекаю посилку вже два тижні, замовлення 3420103", []),
        ("Где мой заказ? Жду уже неделю", ["order_ref"]),
        ("Where is my order? I've been waiting for a week", ["order_ref"]),
    ],
)
async def test_a_late_parcel_told_in_ukrainian_is_the_late_parcels_case_in_russian(
    services: Services, text: str, asked: list[str]
) -> None:
    """'Де моє замовлення? Чекаю вже тиждень' was a plain status question, 'Замовлення 3420102
    досі не прийшло' a refund filed with the finance team: Ukrainian is read as Russian (and
    answered in it), a week's wait told with 'where is my order?' is the late parcel's case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], d.replies
    assert [e["slot"] for e in d.of("asked_for")] == asked, d.replies
    assert thanks_before_apology(d.replies[0][0]), d.replies
    if "Where" not in text:
        assert re.search(r"Спасибо", d.replies[0][0]), d.replies


@pytest.mark.parametrize(
    ("venting", "problems"),
    [
        (
            "Я просто в шоке от вашего магазина! ",
            "Заказ 3420311. На корпусе трещина, и не хватает крышки. Верните деньги!",
        ),
        (
            "I am absolutely furious with your shop! ",
            "Order 3420313. There is a crack on the case and the lid is missing. "
            "Give me my money back!",
        ),
        (
            "Jestem w szoku, jak można tak traktować klientów! ",
            "Zamówienie 3420315. Obudowa jest pęknięta i brakuje pokrywki. Zwróćcie pieniądze!",
        ),
    ],
)
async def test_a_long_message_naming_several_problems_is_read_as_its_short_version(
    services: Services, venting: str, problems: str
) -> None:
    """Five thousand characters of venting with a crack, a missing lid and "верните деньги"
    in them opened another case than the same problems told briefly (the venting was what was
    read) and asked how to fix it after the photo: the same cases as the short message, no
    other problem made up, and the money back wished is the fix."""
    cases = []
    for text in (venting * 60 + problems, venting + problems.replace("3420", "3421")):
        d = Dialogue(services, str(next(_ids)))
        await d.send(text)
        await d.send(photo=True)
        cases.append(
            [
                (e["type"], e["complaint_type"])
                for e in d.events
                if e["type"] in ("complaint_opened", "complaint_queued", "complaint_also_recorded")
            ]
        )
        assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies
        assert not any("cmp:opt:" in b for turn in d.buttons for b in turn), d.replies
    assert cases[0] == cases[1], cases
    assert {t for _, t in cases[0]} == {"damaged_defective", "missing_item"}, cases


@pytest.mark.parametrize(
    ("question", "person"),
    [
        ("Czy mogę zapłacić kryptowalutą?", "Chcę porozmawiać z konsultantem w sprawie faktury."),
        ("can I pay with crypto?", "I need to talk to someone about my invoice"),
    ],
)
async def test_the_card_asks_what_the_person_was_asked_for(
    services: Services, question: str, person: str
) -> None:
    """A question on crypto, then 'Chcę porozmawiać z konsultantem w sprawie faktury.': the
    card's Question and Summary said the crypto question, so the operator began on the wrong
    subject; the request's own subject is the card's question."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(question)
    await d.send(person)
    card = d.of("escalated")[-1]["card"].split("\n\nTranscript:\n")[0]
    assert f"Question: {person}" in card, card
    assert "crypto" not in card and "kryptowalut" not in card, card


async def test_a_story_repeated_over_and_over_keeps_its_last_facts_on_the_card(
    services: Services,
) -> None:
    """Five thousand characters of the same venting, then 'Свадьба уже завтра!': the card's
    description was the venting cut at its limit, the wedding lost to the operator; each
    sentence is said once there (the transcript keeps every word)."""
    story = (
        "Пришло не то платье, заказ 3460095. "
        + "Я так ждала этот заказ, это просто ужасно, как так можно работать. " * 60
        + "Свадьба уже завтра! Позовите человека."
    )
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    card = d.of("escalated")[-1]["card"].split("\n\nTranscript:\n")[0]
    [description] = [line for line in card.splitlines() if line.startswith("Description:")]
    assert "Свадьба уже завтра" in description, card


@pytest.mark.parametrize(
    "opening",
    [
        "Посылка пришла сломанная, верните деньги пожалуйста. Заказ 3460101",
        "Paczka przyszła zniszczona, proszę o zwrot pieniędzy. Zamówienie 3460103",
        "dostałem zepsuty mikser, chcę zwrot, zamówienie 3460105",
    ],
)
async def test_a_broken_thing_with_its_money_asked_back_is_a_damage_case(
    services: Services, opening: str
) -> None:
    """'Посылка пришла сломанная, верните деньги' was a billing case: a refund filed with
    finance at once, no photo, no damage recorded. It is a damage case: the photo asked for,
    then the refund wished (a double charge with 'верните деньги' stays with finance)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    [opened] = d.of("complaint_opened")
    assert opened["complaint_type"] == "damaged_defective", opened
    assert not d.of("promised") and d.of("asked_for"), d.replies[-1]
    await d.send("", photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "caption"),
    [
        ("Мне пришёл не тот товар, заказ 3460111", "вот чек"),
        ("I got the wrong item, order 3460112", "here's the receipt"),
    ],
)
async def test_a_receipt_sent_as_a_file_is_no_photo_of_the_problem(
    services: Services, opening: str, caption: str
) -> None:
    """receipt.pdf captioned "вот чек" was taken for the photo of the problem, and the fixes
    were offered with nothing seen: the file is kept for the team, and the photo still asked
    (a picture sent as a file still counts)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(caption, file="receipt.pdf")
    assert not d.of("fix_chosen") and not d.of("satisfaction_check"), d.replies[-1]
    assert re.search(r"фото|photo", " ".join(d.replies[-1])), d.replies[-1]
    state = await d.state()
    assert state["known"].get("files") and not state["known"].get("photos"), state["known"]
    e = Dialogue(services, str(next(_ids)))
    await e.send(opening.replace("311", "313").replace("312", "314"))
    await e.send(None, file="IMG_2231.jpg")
    assert (await e.state())["known"].get("photos"), e.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "Где мой заказ 3460131? Обещали вчера",
        "Zamówienie 3460132 nie przyszło, kurier napisał że doręczył",
        "Order 3460133 never came, the courier marked it delivered",
        "Gdzie jest moje zamówienie 3460136? Miało być wczoraj",
    ],
)
async def test_a_parcel_not_come_or_overdue_goes_to_the_delivery_team(
    services: Services, said: str
) -> None:
    """'Где мой заказ? Обещали вчера' went to the quality manager (24 h) as a service
    complaint, 'nie przyszło, kurier napisał że doręczył' as the courier's behaviour (48 h):
    a parcel not come or overdue is the delivery team's."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    [opened] = d.of("complaint_opened")
    assert opened["complaint_type"] == "delivery_delay", opened


@pytest.mark.parametrize(
    ("problem", "yes", "rate", "asked"),
    [
        ("Списали деньги дважды за заказ 3470001, сумма 2300", "да, вот выписка", "5", "от 1"),
        (
            "Charged twice for order 3470002, 40 dollars",
            "ok, here's the statement",
            "4",
            "1 (poor)",
        ),
        ("Podwójnie pobrano opłatę za zamówienie 3470003, 120 zł", "tak", "5", "od 1"),
    ],
)
async def test_a_photo_sent_after_the_case_was_settled_is_kept_on_it(
    services: Services, problem: str, yes: str, rate: str, asked: str
) -> None:
    """'да, вот выписка', then the statement's photo, to 'rate us from 1 to 5': it got 'tell me
    in a few words what happened' and the rating was dropped. The photo is kept on the settled
    case for the team, and the rating is asked again (the number that follows is the rating)."""
    user = str(next(_ids))
    d = Dialogue(services, user)
    await d.send(problem)
    await d.send(yes)
    assert d.of("resolved"), d.replies[-1]
    await d.send(None, photo=True)
    reply = " ".join(d.replies[-1])
    assert d.of("details_added") and asked in reply, reply
    async with services.sessionmaker() as session:
        record = await session.scalar(
            select(Complaint)
            .join(Conversation, Conversation.id == Complaint.conversation_id)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(Customer.external_id == user)
        )
    assert record.details.get("photos"), record.details
    await d.send(rate)
    assert d.of("survey_answer") and len(d.of("complaint_opened")) == 1, d.events[-3:]


@pytest.mark.parametrize(
    ("problem", "asked", "ok", "option"),
    [
        ("Hi, I ordered size M but got L, order 3470011", "can I exchange it?", "ok", "replace"),
        ("Заказывала размер 42, пришёл 44, заказ 3470012", "а можно обменять?", "ок", "замен"),
        (
            "Zamówiłam rozmiar M, przyszło L, zamówienie 3470013",
            "czy mogę wymienić?",
            "ok",
            "wymian",
        ),
        ("Чайник пришёл с трещиной, заказ 3470014", "а можно вернуть деньги?", "хорошо", "верн"),
    ],
)
async def test_a_fix_asked_as_a_short_question_is_the_wish_and_ok_awaits_the_photo(
    services: Services, problem: str, asked: str, ok: str, option: str
) -> None:
    """'can I exchange it?' while the photo of the wrong size was awaited got the FAQ's
    do-it-yourself exchange (the shop's own mistake being taken), and 'ok' to 'noted, as soon
    as I have the photo' booked the fix without it: the question is the fix wished, 'ok' waits
    for the photo, and the photo books it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(asked)
    assert d.of("fix_wished") and not d.of("faq_answered"), d.replies[-1]
    assert option in " ".join(d.replies[-1]).lower(), d.replies[-1]
    await d.send(ok)
    assert not d.of("fix_chosen"), d.replies[-1]
    await d.send(None, photo=True)
    assert d.of("fix_chosen") and d.of("promised"), d.replies[-1]


@pytest.mark.parametrize(
    "question",
    ["а можно узнать, сколько идёт возврат?", "can I ask how long a refund takes?"],
)
async def test_a_question_about_the_fix_while_the_photo_is_awaited_is_no_wish(
    shipped_shop: Services, question: str
) -> None:
    """'а можно узнать, сколько идёт возврат?' asks about refunds, it chooses none."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Кружка пришла разбитая, заказ 3470015")
    await d.send(question)
    assert not d.of("fix_wished") and not d.of("fix_chosen"), d.replies[-1]


@pytest.mark.parametrize(
    "asked",
    [
        "Здравствуйте. Я не умею с ботами. Можно человека?",
        "Dzień dobry. Nie umiem rozmawiać z botami. Można człowieka?",
        "Czy mogę prosić o konsultanta?",
        "Hello. I'm not good with bots. A human please?",
    ],
)
async def test_a_person_asked_for_after_a_word_about_bots_is_called(
    shipped_shop: Services, asked: str
) -> None:
    """'Я не умею с ботами. Можно человека?' (a billing complaint to the model), 'Można
    człowieka?' (no word the person patterns knew) got the FAQ's "write 'operator' or tap the
    button", and 'Спасибо, жду' then 'Glad I could help': nobody was called. The person is."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(asked)
    assert d.of("escalated") and not d.of("faq_answered"), d.replies[-1]


@pytest.mark.parametrize(
    "question", ["Można zapłacić przy odbiorze?", "Czy można osobiście odebrać zamówienie?"]
)
async def test_a_question_with_mozna_is_no_person_asked(
    shipped_shop: Services, question: str
) -> None:
    """'Można …?' asks a question; only 'można człowieka/konsultanta' asks for a person."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    assert not d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("vague", "what"),
    [
        ("не работает", "приложение"),
        ("doesnt work", "the app"),
        ("nie dziala", "nie moge sie zalogowac od wczoraj"),
        ("не работает", "вылетает при оплате"),
    ],
)
async def test_a_vague_problem_told_as_the_app_becomes_a_site_case(
    services: Services, vague: str, what: str
) -> None:
    """'не работает' (a broken item to the model: number, photo and what happened asked), then
    'приложение', 'the app', 'nie moge sie zalogowac': it got the FAQ's app download and later
    'Replace the item / Refund / Repair'. The case is the site's or the app's: no photo, no
    product fixes, the technical team."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(vague)
    await d.send(what)
    [retyped] = d.of("complaint_retyped")
    assert retyped["complaint_type"] == "website_app", d.events[-3:]
    await d.send("ok")
    await d.send("ok")
    said = " ".join(r for replies in d.replies for r in replies)
    assert not re.search(r"Заменить товар|Replace the item|Wymiana towaru", said), said


@pytest.mark.parametrize(
    "told", ["пришёл треснувший чайник, заказ 3470021", "привезли треснутую вазу, заказ 3470022"]
)
async def test_a_cracked_item_that_came_is_damage_not_a_late_parcel(
    services: Services, told: str
) -> None:
    """'пришёл треснувший чайник' went to the delivery team as a late parcel ('треснувший' was
    no damage word): a damaged item, its photo asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(told)
    [opened] = d.of("complaint_opened")
    assert opened["complaint_type"] == "damaged_defective", opened


@pytest.mark.parametrize(
    "told",
    [
        "заказ 3470031 пришёл на 4 дня позже, я требую компенсацию",
        "zamówienie 3470032 przyszło 4 dni za późno, żądam rekompensaty",
        "order 3470033 arrived 5 days late, I demand compensation",
    ],
)
async def test_a_compensation_demanded_for_a_late_parcel_is_the_gesture(
    services: Services, told: str
) -> None:
    """'Хочу компенсацию' for a parcel a week late got the 10% gesture, 'я требую компенсацию'
    only the delivery team's 24 hours: a demand is an ask too."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(told)
    assert d.of("compensation_offered"), d.replies[-1]


@pytest.mark.parametrize(
    ("box", "fine", "said"),
    [
        ("Коробка пришла мокрая и помятая, сам товар в порядке, заказ 3470001", None, "коробку"),
        ("The box arrived wet and dented, the thing itself is fine", None, "box"),
        ("Karton był mokry i zgnieciony, ale sam produkt działa", None, "karton"),
        ("Коробка пришла мокрая и помятая, заказ 3470011", "нет, всё работает", "коробку"),
        ("The box arrived wet and dented, order 3470012", "no, it works fine", "box"),
        ("Karton był mokry i zgnieciony, zamówienie 3470013", "nie, wszystko działa", "karton"),
    ],
)
async def test_a_wet_dented_box_with_the_thing_working_is_noted_not_fixed(
    services: Services, box: str, fine: str | None, said: str
) -> None:
    """'Коробка пришла мокрая и помятая, сам товар в порядке' opened a damaged-item case
    asking for a photo ('мокрая и помятая': 'помятая' alone was not the box's), and 'нет, всё
    работает' got 'Заменить / Вернуть деньги / Ремонт?': thanks, sorry for the box, noted
    for the warehouse (recorded as packaging), no fixes offered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(box)
    if fine is not None:
        await d.send(fine)
    reply = " ".join(d.replies[-1])
    assert d.of("packaging_noted") and said in reply.lower(), d.all_text()
    assert [e["outcome"] for e in d.of("resolved")] == ["packaging_noted"], d.all_text()
    assert not d.buttons[-1] and not re.search(r"Вернуть деньги|Refund|Zwrot", reply), reply
    assert reply.startswith(("Спасибо", "Thank", "Dzięk")), reply
    async with services.sessionmaker() as session:
        [record] = (
            await session.scalars(
                select(Complaint)
                .join(Conversation)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(Customer.external_id == d.user)
            )
        ).all()
    assert record.complaint_type == "other" and record.resolved_at is not None, record.outcome


@pytest.mark.parametrize(
    ("story", "fyi", "said"),
    [
        ("Лампа пришла разбитая, заказ 3470014", "просто хотела сообщить", "ничего не нужно"),
        ("The lamp arrived broken, order 3470015", "just letting you know", "nothing more is"),
        (
            "Lampa przyszła rozbita, zamówienie 3470016",
            "chciałam tylko dać znać",
            "nic więcej nie musisz",
        ),
    ],
)
async def test_just_letting_you_know_at_the_fixes_offered_closes_the_case(
    services: Services, story: str, fyi: str, said: str
) -> None:
    """'просто хотела сообщить' to 'Заменить / Вернуть деньги / Ремонт?' got 'не совсем
    понял, какой вариант': nothing wanted, thanked, and the case closed as noted."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(story)
    await d.send(photo=True)
    assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.all_text()
    await d.send(fyi)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.buttons[-1], reply
    assert [e["outcome"] for e in d.of("resolved")] == ["noted"], reply


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("Здравствуйте, я хочу пожаловаться на качество товара", "Что случилось"),
        ("хочу оставить жалобу", "Что случилось"),
        ("I want to complain about the quality of an item", "What happened"),
        ("Chcę złożyć reklamację na jakość produktu", "Co się stało"),
    ],
)
async def test_a_complaint_announced_about_quality_is_asked_what_happened(
    services: Services, said: str, asked: str
) -> None:
    """'Здравствуйте, я хочу пожаловаться на качество товара' got the plain hello ('Чем могу
    помочь?'), 'I want to complain about the quality of an item' the FAQ's defective-item
    answer: thanks, and what happened (as for 'хочу пожаловаться на курьера'); the answer
    opens the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert asked in reply and THANKS.search(reply), reply
    assert d.of("clarify") and not d.of("faq_answered"), reply
    await d.send("чайник протекает" if CYRILLIC_RE.search(said) else "the kettle leaks")
    [opened] = d.of("complaint_opened")
    assert opened["complaint_type"] == "damaged_defective", opened


@pytest.mark.parametrize(
    ("asked", "details", "order", "said"),
    [
        (
            "нужен счёт-фактура на фирму",
            "ООО Ромашка, ИНН 7701234567, заказ 3470101",
            "3470101",
            "выставит счёт-фактуру",
        ),
        (
            "I need a VAT invoice for my company",
            "company name ACME Ltd, VAT PL1234567890, order 3470102",
            "3470102",
            "issue the invoice",
        ),
        (
            "potrzebuję faktury VAT na firmę",
            "firma XYZ sp. z o.o., NIP 1234567890, zamówienie 3470103",
            "3470103",
            "wystawi fakturę",
        ),
    ],
)
async def test_company_details_after_the_invoice_answer_go_to_a_colleague_as_the_request(
    shop: Services, asked: str, details: str, order: str, said: str
) -> None:
    """'ООО Ромашка, ИНН 7701234567, заказ 3470101' after the FAQ's invoice answer opened a
    complaint (an apology, a photo asked, a delivery team's promise): no complaint, no
    apology; a colleague issues the invoice, with the details and the order on the card."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(asked)
    await d.send(details)
    reply = " ".join(d.replies[-1])
    assert said in reply and order in reply and not SORRY.search(reply), reply
    assert not d.of("complaint_opened") and d.of("escalated"), reply
    ticket = await the_ticket(shop, d.user)
    assert ticket.reason == "customer_request", ticket.reason
    async with shop.sessionmaker() as session:
        card = await render_card(session, shop.settings, ticket)
    assert order in card.text and details in card.text, card.text


@pytest.mark.parametrize(
    ("cancel", "back", "said"),
    [
        ("хочу отменить заказ 3470104", "ой, передумал, не отменяйте", "отменять заказ не будем"),
        ("please cancel my order 3470105", "actually I changed my mind, don't cancel", "won't"),
        (
            "proszę anulować zamówienie 3470106",
            "jednak się rozmyśliłem, nie anulujcie",
            "nie anulujemy",
        ),
    ],
)
async def test_a_cancellation_taken_back_is_told_to_the_colleague_on_the_ticket(
    shop: Services, cancel: str, back: str, said: str
) -> None:
    """'ой, передумал, не отменяйте' after the cancellation went to a colleague got the FAQ's
    cancellation steps or 'passed this on as well': the request taken back on the same
    ticket (its card says so), and the customer told it will not be cancelled."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(cancel)
    assert d.of("escalated"), d.replies[-1]
    await d.send(back)
    reply = " ".join(d.replies[-1])
    assert said in reply and THANKS.search(reply), reply
    assert d.of("request_withdrawn") and not d.of("faq_answered"), reply
    ticket = await the_ticket(shop, d.user)
    async with shop.sessionmaker() as session:
        card = await render_card(session, shop.settings, ticket)
    assert "changed their mind" in card.text, card.text


async def test_a_twenty_sentence_rant_reads_the_problems_in_its_tail(services: Services) -> None:
    """A twenty-sentence rant under 1,000 characters, its problems (a cracked lid, a missing
    cord) in its last sentences: the tail was lumped into the fifth part and read as the
    venting (a damage case alone, the missing cord lost). Both are read: one case opened,
    the other queued after it (which first followed the bare "Заказ 3412001." part, a
    missing item at 0.5 to the model; it now goes with the sentence before it)."""
    for rant in (
        (
            "Здравствуйте. Я очень долго ждала этот заказ. Это был подарок маме. Я всем "
            "рассказала о вашем магазине. Подруги мне завидовали. Курьер приехал вовремя. Я "
            "открыла коробку при нём. Всё выглядело красиво. Мама была рада. Мы пили чай. "
            "Потом мы решили включить чайник. Он долго грелся. Был уже вечер. Мы устали. Я "
            "не люблю писать жалобы. Но тут не могу молчать. Обидно до слёз. Заказ 3412001. "
            "Крышка чайника треснула. И шнура в коробке не было вообще."
        ),
        (
            "Hello. I waited a long time for this order. It was a present for my mum. I "
            "told everyone about your shop. My friends were jealous. The courier came on "
            "time. I opened the box in front of him. Everything looked nice. Mum was happy. "
            "We had tea. Then we decided to switch on the kettle. It took ages. It was "
            "evening already. We were tired. I do not like writing complaints. But I cannot "
            "keep quiet now. It is so upsetting. Order 3412002. The kettle lid is cracked. "
            "And the power cord was not in the box at all."
        ),
    ):
        assert len(rant) < 1000
        d = Dialogue(services, str(next(_ids)))
        await d.send(rant)
        opened = [e["complaint_type"] for e in d.of("complaint_opened")]
        queued = [e["complaint_type"] for e in d.of("complaint_queued")]
        assert len(opened) == 1 and len(queued) == 1, d.all_text()
        assert {*opened, *queued} == {"missing_item", "damaged_defective"}, d.all_text()
        assert not d.of("compensation_offered"), d.all_text()


@pytest.mark.parametrize(
    ("complaint", "news"),
    [
        (
            "My order 3413001 never arrived, it was due last week",
            "I checked with neighbours, nothing",
        ),
        ("Zamówienie 3413002 nie dotarło, miało być tydzień temu", "pytałam sąsiadów, nic"),
        ("Заказ 3413003 так и не пришёл, обещали неделю назад", "проверила почтовый ящик — пусто"),
    ],
)
async def test_news_about_a_lost_parcel_at_is_that_ok_is_kept_on_the_case(
    services: Services, complaint: str, news: str
) -> None:
    """'I checked with neighbours, nothing', 'pytałam sąsiadów, nic' at "is that OK?" after a
    parcel that never came got "Still here" and the promise again: news about the case,
    thanked for and kept on it for the team; the case goes on. Off-topic chatter is not."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check")
    await d.send(news)
    assert d.of("details_added") and not d.of("resolved") and not d.of("reopened")
    assert THANKS.search(d.replies[-1][0]), d.replies[-1]
    assert news in str((await d.state()).get("known", {}).get("description")), await d.state()
    other = Dialogue(services, str(next(_ids)))
    await other.send(complaint.replace("341300", "341301"))
    await other.send("what is the weather like")
    assert not other.of("details_added"), other.replies[-1]


@pytest.mark.parametrize(
    ("problem", "said", "sorry"),
    [
        (
            "Посылка потерялась, трек 2 недели стоит на месте, заказ 3496001",
            "Вы мне уже в прошлый раз обещали разобраться и ничего!!!",
            "не сдержали слово",
        ),
        (
            "My parcel is lost, tracking hasn't moved for 2 weeks, order 3496002",
            "you promised last time to sort it out and nothing!!!",
            "didn't keep our word",
        ),
        (
            "Paczka zaginęła, śledzenie stoi od 2 tygodni, zamówienie 3496003",
            "obiecaliście ostatnio, że to załatwicie, i nic!!!",
            "nie dotrzymaliśmy słowa",
        ),
    ],
)
async def test_a_promise_broken_last_time_told_at_is_that_ok(
    services: Services, problem: str, said: str, sorry: str
) -> None:
    """'Вы мне уже в прошлый раз обещали разобраться и ничего!!!' at 'is that OK?' got 'added
    to your case' and the question again: the broken word's apology, the goodwill gesture and
    a person, urgently, as mid-case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert sorry in reply and "SORRY10" in reply, reply
    assert d.of("broken_promise_reported"), d.events[-4:]
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [("promise_broken", "high")]


@pytest.mark.parametrize(
    ("said", "again"),
    [
        ("отлично, просто супер, третий раз ломается", "повторилось"),
        ("super, po prostu świetnie, trzeci raz się psuje", "powtórzyło"),
        ("great, just great, broken for the third time", "happened again"),
    ],
)
async def test_a_repeat_failure_told_in_sarcasm_is_a_complaint(
    services: Services, said: str, again: str
) -> None:
    """'отлично, просто супер, третий раз ломается' got 'хочу правильно понять: что-то
    случилось?' (in Polish: thanks for the kind words): a case, with the repeat's apology."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[0])
    assert d.of("complaint_opened") and not d.of("clarify"), d.events
    assert thanks_before_apology(reply) and again in reply, reply


@pytest.mark.parametrize(
    ("problem", "said", "bot", "question"),
    [
        ("с меня дважды списали деньги за заказ 3496011, 2490 руб", "вы бот?", "бот", "?"),
        ("I was charged twice for order 3496012, 50 USD", "are you a bot?", "a bot", "?"),
        (
            "pobrano ode mnie dwa razy pieniądze za zamówienie 3496013, 200 zł",
            "jesteś botem?",
            "botem",
            "?",
        ),
    ],
)
async def test_are_you_a_bot_at_is_that_ok(
    services: Services, problem: str, said: str, bot: str, question: str
) -> None:
    """'вы бот?' at 'is that OK?' got 'Я на связи, не переживайте' and the promise again:
    said plainly (a colleague whenever they want one), and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies
    await d.send(said)
    first, *rest = d.replies[-1]
    assert bot in first and rest and rest[-1].endswith(question), d.replies[-1]
    assert not d.of("resolved") and not d.of("escalated"), d.events[-3:]
    assert (await d.state())["complaint"]["stage"] == "satisfaction"


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ("promo code not working", "WINTER15"),
        ("промокод не работает", "ZIMA2026"),
        ("kod rabatowy nie działa", "ZIMA15"),
    ],
)
async def test_a_bare_promo_code_after_it_was_asked_for_is_the_code(
    services: Services, start: str, code: str
) -> None:
    """The bot asked for the code; 'WINTER15' got 'Hi! How can I help today?' (a greeting to
    the model): it is the code, passed to a colleague."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(start)
    assert d.of("faq_promo_asked"), d.replies
    await d.send(code)
    assert d.of("escalated"), d.replies[-1]
    assert "Hi!" not in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "said", "told"),
    [
        (
            "с меня дважды списали деньги за заказ 3496021, 2490 руб",
            "ладно, а что мне делать?",
            "ничего не нужно",
        ),
        ("I was charged twice for order 3496022, 50 USD", "ok so what do i do", "Nothing else"),
        (
            "pobrano ode mnie dwa razy pieniądze za zamówienie 3496023, 200 zł",
            "ok, a co mam zrobić?",
            "nic więcej",
        ),
    ],
)
async def test_what_do_i_do_at_is_that_ok_is_a_question(
    services: Services, problem: str, said: str, told: str
) -> None:
    """'ok so what do i do' at 'is that OK?' closed the case as solved and asked for a rating:
    nothing is needed from the customer, what happens next (the fix's promise), and the
    question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    promise = d.replies[-1][-2]
    await d.send(said)
    reply = d.replies[-1]
    assert told in reply[0] and promise in reply, reply
    assert not d.of("resolved") and not d.of("survey_started"), d.events[-3:]
    assert (await d.state())["complaint"]["stage"] == "satisfaction"


@pytest.mark.parametrize(
    ("turns", "choice"),
    [
        (
            [
                "paczka miala byc na urodziny corki w sobote a przyszla dzisiaj",
                "zamowienie 3496031",
            ],
            "niech bedzie rabat",
        ),
        (
            [
                "zamowilam prezent na urodziny mamy, impreza byla wczoraj a paczka dotarla "
                "dopiero dzis, zamowienie 3496032"
            ],
            "chce rabat",
        ),
        (
            ["paczka miała być na urodziny córki w sobotę, a przyszła dzisiaj, zamówienie 3496033"],
            "niech będzie rabat",
        ),
        (
            [
                "the gift was supposed to arrive for my daughter's birthday on saturday but "
                "it came today, order 3496034"
            ],
            "I'll take the discount",
        ),
    ],
)
async def test_a_missed_event_in_polish_without_diacritics_is_compensated(
    services: Services, turns: list[str], choice: str
) -> None:
    """'impreza byla wczoraj a paczka dotarla dopiero dzis' got 'Przekazałem wszystko
    zespołowi dostaw… 24 godzin' (with the diacritics it was the compensations), and
    'niech bedzie rabat' then the promo-code FAQ: the three compensations, and the discount
    chosen."""
    d = Dialogue(services, str(next(_ids)))
    for said in turns:
        await d.send(said)
    assert len(d.of("compensation_offered")) == 3 and not d.of("promised"), d.replies
    await d.send(choice)
    [chosen] = d.of("compensation_chosen")
    assert chosen["kind"] == "coupon" and "SORRY15" in " ".join(d.replies[-1]), d.replies[-1]


def _now(d: Dialogue, kind: str) -> list[dict]:
    """The events of ``kind`` in the last turn."""
    return [e for e in d.of(kind) if e["turn"] == len(d.replies) - 1]


@pytest.mark.parametrize(
    ("problem", "back", "glad"),
    [
        (
            "в заказе 3458001 не хватает зарядки от ноутбука",
            "а, стоп, нашла её в другой коробке, извините",
            "Рад",
        ),
        (
            "order 3458002 is missing the phone charger",
            "oh wait, found it in the other box, sorry!",
            "glad",
        ),
        (
            "brakuje ladowarki w zamowieniu 3458003",
            "a nie, przepraszam, znalazlam w pudelku",
            "Cieszę",
        ),
        (
            "пришёл не тот товар, заказ 3458004, вместо синей кружки пришла красная",
            "красная тоже норм, оставлю себе",
            "Рад",
        ),
        (
            "I got the wrong mug, order 3458005, red instead of blue",
            "actually the red one is fine too, i'll keep it",
            "glad",
        ),
        (
            "przyszedl zly kubek, zamowienie 3458006, czerwony zamiast niebieskiego",
            "w sumie czerwony tez jest ok, zostawie go sobie",
            "Cieszę",
        ),
    ],
)
async def test_a_missing_thing_found_or_a_wrong_one_kept_closes_the_case_as_withdrawn(
    services: Services, problem: str, back: str, glad: str
) -> None:
    """'oh wait, found it in the other box, sorry!' to the fixes offered got the angry apology,
    the SORRY10 coupon and the fixes again ('а, стоп, нашла её в другой коробке', 'znalazlam w
    pudelku' without diacritics: 'Спасибо, записал.'), and 'bye' then got 'Your case is saved';
    'красная тоже норм, оставлю себе' while the photo was awaited got 'Спасибо, записал.'. The
    case is closed as withdrawn, kindly, with no coupon and no fixes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(back)
    reply = " ".join(d.replies[-1])
    assert _now(d, "complaint_withdrawn") and glad in reply, reply
    assert not d.of("compensation_offered") and not d.of("customer_kind_changed"), reply
    assert not d.buttons[-1] and "SORRY" not in reply, reply
    assert (await d.state())["complaint"]["stage"] == "done"
    await d.send(
        "bye" if glad == "glad" else "спасибо, до свидания" if glad == "Рад" else "dzieki pa"
    )
    assert not d.of("complaint_paused"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "question", "refund"),
    [
        (
            "пришла сломанная кофемолка, заказ 3458010",
            "а подарочные сертификаты у вас есть?",
            "верните деньги",
        ),
        (
            "my kettle arrived with a cracked lid, order 3458011",
            "do you sell gift cards by the way?",
            "refund",
        ),
        ("przyszedl pekniety kubek, zamowienie 3458012", "a macie karty podarunkowe?", "zwrot"),
    ],
)
async def test_a_gift_card_question_while_choosing_a_fix_picks_no_gift(
    shipped_shop: Services, problem: str, question: str, refund: str
) -> None:
    """At 'Заменить / Вернуть деньги / Ремонт', 'а подарочные сертификаты у вас есть?' got 'Готово:
    подарок приедет с вашим следующим заказом. Так вас устроит?', and 'верните деньги' (an
    offered option) was then handed to a person as another fix. The question is answered from
    the FAQ and the options stay open; the option typed later is chosen."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    assert "cmp:opt:refund" in d.buttons[-1], d.replies[-1]
    await d.send(question)
    answered = [e.get("answer_id") for e in _now(d, "faq_answered")]
    assert answered == ["gift_cards"] and "cmp:opt:refund" in d.buttons[-1], d.replies[-1]
    assert not d.of("compensation_chosen") and not d.of("satisfaction_check"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "fix_choice"
    await d.send(refund)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]
    assert not d.of("escalated"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "wish", "option"),
    [
        (
            "пришло не то платье, заказ 3458020, черное вместо синего",
            "можно мне просто деньги вернуть",
            "refund",
        ),
        (
            "I got a red hoodie instead of a blue one, order 3458021",
            "hmm actually no send me the right one",
            "replacement",
        ),
        (
            "I got a red hoodie instead of a blue one, order 3458022",
            "can i just get a refund?",
            "refund",
        ),
        (
            "przyszla czerwona bluza zamiast niebieskiej, zamowienie 3458023",
            "czy mogę prosić o zwrot pieniędzy?",
            "refund",
        ),
    ],
)
async def test_a_fix_wished_while_the_photo_is_awaited_is_noted(
    services: Services, problem: str, wish: str, option: str
) -> None:
    """'можно мне просто деньги вернуть' while the photo was awaited got the FAQ's 'is your
    question about one of these topics?'; 'hmm actually no send me the right one' got only
    'Thanks, noted'. The wish is noted as the fix chosen, and the photo is still asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(wish)
    assert [e["option"] for e in _now(d, "fix_wished")] == [option], d.replies[-1]
    assert not d.of("faq_declined") and not d.of("faq_answered"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "collecting"
    await d.send(photo=True)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "question", "options", "photo"),
    [
        (
            "у меня сломался фен через неделю, заказ 3458030",
            "и что вы можете предложить?",
            "Вернуть деньги",
            "фото",
        ),
        ("чайник сломался, заказ 3458031", "ну и что вы предлагаете?", "Заменить товар", "фото"),
        (
            "my hair dryer broke after a week, order 3458032",
            "what can you offer?",
            "Refund the money",
            "photo",
        ),
        (
            "suszarka zepsula sie po tygodniu, zamowienie 3458033",
            "co możecie zaproponować?",
            "Zwrot pieniędzy",
            "zdjęcie",
        ),
    ],
)
async def test_what_can_you_offer_while_the_photo_is_awaited_names_the_fixes(
    services: Services, problem: str, question: str, options: str, photo: str
) -> None:
    """'и что вы можете предложить?' while the photo was awaited got the FAQ's 'is your question
    about one of these topics?': the case's fixes are named, and the photo still asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    await d.send(question)
    reply = " ".join(d.replies[-1])
    assert options in reply and photo in reply, reply
    assert not d.of("faq_declined") and not d.of("fix_chosen"), reply
    assert (await d.state())["complaint"]["stage"] == "collecting"


@pytest.mark.parametrize(
    ("problem", "keep"),
    [
        (
            "I got a red hoodie instead of a blue one, order 3458040",
            "can i just keep it and get a discount?",
        ),
        (
            "прислали кружку со сколом, заказ 3458041",
            "а можно я оставлю её себе, а вы сделаете скидку?",
        ),
        ("przyszla bluza z dziura, zamowienie 3458042", "moge ja zatrzymac za rabat?"),
    ],
)
async def test_keeping_the_item_for_a_discount_while_the_photo_is_awaited_is_a_compensation_wish(
    shipped_shop: Services, problem: str, keep: str
) -> None:
    """'can i just keep it and get a discount?' while the photo was awaited got the FAQ's promo
    codes and 'I don't have a ready answer to this yet: can i just keep it': the goodwill
    gesture of the compensation rules, and the photo still asked for."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    await d.send(keep)
    reply = " ".join(d.replies[-1])
    assert _now(d, "compensation_offered") and "SORRY10" in reply, reply
    assert not d.of("faq_answered") and not d.of("faq_declined"), reply
    assert (await d.state())["complaint"]["stage"] == "collecting"


@pytest.mark.parametrize(
    ("problem", "typed", "option"),
    [
        ("заказ 3458050 пришёл без инструкции к пылесосу", "дослать", "resend_document"),
        ("заказ 3458051 пришёл без инструкции к пылесосу", "привезите бумажную", "resend_document"),
        ("заказ 3458052 пришёл без инструкции к пылесосу", "пдф скиньте", "send_document"),
        ("order 3458053 came without the vacuum manual", "a hard copy please", "resend_document"),
        ("order 3458054 came without the vacuum manual", "just email it", "send_document"),
        (
            "zamowienie 3458055 przyszlo bez instrukcji do odkurzacza",
            "doslijcie",
            "resend_document",
        ),
        ("zamowienie 3458056 przyszlo bez instrukcji do odkurzacza", "na maila", "send_document"),
    ],
)
async def test_a_typed_word_for_a_paper_option_chooses_it(
    services: Services, problem: str, typed: str, option: str
) -> None:
    """Offered 'Прислать электронную версию на почту / Довезти бумажный экземпляр', 'дослать'
    got 'Обращение сохранено: когда решите…' and 'да, спасибо' the options again: the typed
    word that means one option chooses it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert f"cmp:opt:{option}" in d.buttons[-1], d.replies[-1]
    await d.send(typed)
    assert [e["option"] for e in d.of("fix_chosen")] == [option], d.replies[-1]
    assert not d.of("complaint_paused"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "question", "answer"),
    [
        ("Чайник из заказа 3550401 пришёл разбитый", "фото обязательно?", "по фото проблемы"),
        ("The kettle from order 3550402 arrived broken", "do you need a photo?", "with a photo"),
        ("Czajnik z zamówienia 3550403 przyszedł rozbity", "wysłać zdjęcie?", "ze zdjęciem"),
    ],
)
async def test_asking_whether_the_photo_is_needed_while_it_is_awaited_is_answered_yes(
    services: Services, problem: str, question: str, answer: str
) -> None:
    """'фото обязательно?' to the photo asked for got 'Не спешите, я на связи.': yes, what it
    is for, and that the case can go on without it; the case still waits for it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(question)
    reply = " ".join(d.replies[-1])
    assert answer in reply, reply
    assert len(d.of("asked_for")) == 1, d.of("asked_for")
    state = await d.state()
    assert state["complaint"]["stage"] == "collecting"
    await d.send("", photo=True)
    assert "cmp:opt:replacement" in d.buttons[-1], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "question", "answer", "option"),
    [
        ("Заказ 3550411 пришёл без зарядки", "Фото нужно?", "Фото не нужно", "resend"),
        ("Order 3550412 arrived without the charger", "do you need a photo?", "No photo", "resend"),
        # "wysłać" is no "send the missing item" (it booked the resend)
        (
            "Zamówienie 3550413 przyszło bez ładowarki",
            "wysłać zdjęcie?",
            "nie jest potrzebne",
            "resend",
        ),
    ],
)
async def test_asking_about_a_photo_at_the_fixes_offered_is_answered_and_the_offer_stands(
    services: Services, problem: str, question: str, answer: str, option: str
) -> None:
    """A missing item needs no photo: 'Фото нужно?' at the fixes offered got 'not sure which
    option you mean', 'do you need a photo?' a question noted for the team, and 'wysłać
    zdjęcie?' booked the resend: 'no photo needed', and the offer again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert f"cmp:opt:{option}" in d.buttons[-1], d.replies[-1]
    await d.send(question)
    reply = " ".join(d.replies[-1])
    assert answer in reply and f"cmp:opt:{option}" in d.buttons[-1], reply
    assert not d.of("fix_chosen") and not d.of("question_noted"), reply


async def test_a_photo_asked_about_after_one_was_sent_is_enough(services: Services) -> None:
    """'ещё фото нужно?' after the photo, at the fixes offered: the one sent is enough."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Заказ 3550421, чайник разбит")
    await d.send("вот фото", photo=True)
    await d.send("ещё фото нужно?")
    reply = " ".join(d.replies[-1])
    assert "достаточно" in reply and "cmp:opt:refund" in d.buttons[-1], reply


async def test_a_late_delivery_needs_no_screenshots(services: Services) -> None:
    """'нужны скриншоты?' to 'is that OK?' after a late courier got 'I'm here, here's where
    your case stands' and the promise again: no photo needed, and the question again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Курьер опоздал на 3 часа, заказ 3550431")
    assert d.of("satisfaction_check")
    await d.send("нужны скриншоты?")
    reply = " ".join(d.replies[-1])
    assert "не нужно" in reply and "Я передал" not in reply, reply
    assert len(d.of("satisfaction_check")) == 2


async def test_no_photo_possible_is_said_to_be_fine_before_the_fixes(services: Services) -> None:
    """'а можно без фото? у меня камера не работает' got the fixes with no word on the photo:
    'no problem, we'll manage without it', then the fixes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Чайник из заказа 3550441 пришёл разбитый")
    await d.send("а можно без фото? у меня камера не работает")
    reply = " ".join(d.replies[-1])
    assert "обойдёмся без него" in reply and "cmp:opt:refund" in d.buttons[-1], reply


async def test_after_hours_a_colleague_who_just_answered_is_not_said_to_be_off(
    services: Services,
) -> None:
    """At 06:56 Moscow, a minute after the colleague's answer in the topic, the customer's
    next message got 'Our team is off right now; a colleague will answer here today at 09:00':
    the colleague is evidently at work, so 'a colleague will answer right here'. With no
    colleague's word, the team's hours are still said."""
    user, quiet = str(next(_ids)), str(next(_ids))
    at = datetime(2026, 3, 5, 3, 50, tzinfo=UTC)  # 06:50 Moscow, before the 09:00 opening
    for who in (user, quiet):
        await say_at(services, who, "Позовите оператора, пожалуйста", at)
    ticket = await the_ticket(services, user)
    async with services.sessionmaker() as session:  # Tomasz answers in the topic at 06:55
        session.add(
            Message(
                conversation_id=ticket.conversation_id,
                direction="operator",
                text="Dzień dobry, już sprawdzam",
                author_id=502,
                created_at=at + timedelta(minutes=5),
            )
        )
        await session.commit()
    later = at + timedelta(minutes=6)
    out = await say_at(services, user, "Заказ 3550451 так и не пришёл", later)
    said = " ".join(r.text for r in out.replies)
    assert "09:00" not in said and "ответит прямо здесь" in said, said
    out = await say_at(services, quiet, "Заказ 3550452 так и не пришёл", later)
    assert "09:00" in " ".join(r.text for r in out.replies), out.replies


@pytest.mark.parametrize(
    ("complaint", "pushback", "line"),
    [
        ("Заказ 3550461 опаздывает уже на неделю", "24 часа?? вы серьёзно??", "faster solution"),
        ("Order 3550462 is a week late", "24 hours? that's too long", "faster solution"),
    ],
)
async def test_the_card_says_the_customer_was_promised_a_speed_up(
    services: Services, complaint: str, pushback: str, line: str
) -> None:
    """'Десять дней?! Это слишком долго, дайте оператора' was told 'I'm asking them to speed
    it up', and the card said only 'the fix did not help': the card says the customer asks for
    a faster solution, with the speed-up the bot promised."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(complaint)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(pushback)
    card = d.of("escalated")[-1].get("card") or ""
    assert line in card and "speed it up" in card, card


@pytest.mark.parametrize(
    ("problem", "wish", "asked", "within"),
    [
        (
            "Чайник из заказа 3520001 пришёл сломанный",
            "хочу вернуть деньги",
            "сколько ждать?",
            "10",
        ),
        ("Чайник из заказа 3520002 пришёл сломанный", "хочу вернуть деньги", "как долго?", "10"),
        (
            "The kettle from order 3520003 arrived broken",
            "I want a refund",
            "how long will it take?",
            "10",
        ),
        (
            "Czajnik z zamówienia 3520004 przyszedł zepsuty",
            "chcę zwrot pieniędzy",
            "ile to potrwa?",
            "10",
        ),
        ("Чайник из заказа 3520005 пришёл сломанный", None, "сколько ждать?", "5"),
    ],
)
async def test_how_long_asked_while_the_photo_is_awaited_is_answered_and_the_photo_awaited(
    services: Services, problem: str, wish: str | None, asked: str, within: str
) -> None:
    """'сколько ждать?' after 'хочу вернуть деньги' while the photo was awaited got 'Простите,
    что заставил вас ждать' and the refund booked without the photo ('how long will it take?',
    'как долго?' got the FAQ's delivery times): how long the fix wished (or each fix) takes
    once arranged, and the photo still awaited, named, not asked again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    if wish:
        await d.send(wish)
        assert d.of("fix_wished"), d.replies[-1]
    await d.send(asked)
    said = " ".join(d.replies[-1])
    assert within in said and re.search(r"фото|photo|zdjęcie", said), said
    assert not d.of("fix_chosen") and not d.of("faq_answered"), said
    assert not re.search(r"заставил вас ждать|keep you waiting|musisz czekać", said), said
    await d.send("", photo=True)
    if wish:
        assert d.of("fix_chosen") and d.of("promised"), d.replies[-1]
    else:
        assert any(b.startswith("cmp:opt:") for b in d.buttons[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "asked"),
    [
        ("The kettle from order 3520011 arrived broken", "coupon instead?"),
        ("The kettle from order 3520012 arrived broken", "can I get money off instead?"),
        ("Czajnik z zamówienia 3520013 przyszedł zepsuty", "może zamiast tego rabat?"),
        ("Чайник из заказа 3520014 пришёл сломанный", "а можно скидку вместо?"),
    ],
)
async def test_a_coupon_asked_instead_of_the_fixes_is_given_and_no_replacement_booked(
    services: Services, problem: str, asked: str
) -> None:
    """'coupon instead?' at 'Replace / Refund / Repair' booked a replacement and a 10% coupon
    on top ('instead' read as 'send another one'; 'może zamiast tego rabat?' the same): the
    customer who would rather have money off than a fix gets the shop's coupon in its place,
    as with 'давайте купон', no fix booked, and 'is that OK?' after it."""
    d = Dialogue(services, str(next(_ids)))
    await to_fix_offer(d, problem)
    await d.send(asked)
    assert not d.of("fix_chosen") and not d.of("promised"), d.replies[-1]
    assert [e["kind"] for e in d.of("compensation_chosen")] == ["coupon"], d.replies[-1]
    assert d.of("satisfaction_check"), d.replies[-1]


async def test_an_angry_repeat_while_the_photo_is_awaited_gets_no_thanks_noted(
    services: Services,
) -> None:
    """'great, it keeps breaking again' while the photo was awaited got the angry apology with
    its coupon, then 'Thanks, noted.' (nothing new to note): after the apology, what the
    case waits for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Hi, my blender from order 3520021 broke again")
    await d.send("great, it keeps breaking again")
    replies = d.replies[-1]
    assert SORRY.search(replies[0]) and "Thanks, noted" not in " ".join(replies), replies
    assert "photo" in replies[-1], replies


@pytest.mark.parametrize(
    "question",
    [
        "сколько идёт доставка?",
        "ile idzie dostawa?",
        "как долго везут?",
        "сколько идёт посылка в Польшу?",
        "how long does delivery take?",
        "jak długo trwa dostawa?",
    ],
)
async def test_how_long_delivery_goes_gets_the_delivery_times(
    shipped_shop: Services, question: str
) -> None:
    """'сколько идёт доставка?' got 'Ваш вопрос про одну из этих тем?' (unsure between the
    delivery times, price and courier slots), 'ile idzie dostawa?' the delivery price and 'как
    долго везут?' the answer for a late order: each asks how long delivery takes."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["delivery_times"], d.replies
    assert not d.of("faq_declined"), d.replies


@pytest.mark.parametrize(
    ("problem", "fix", "asked", "within"),
    [
        (
            "The kettle from order 3540101 arrived broken",
            "refund please",
            "how long does the refund take?",
            "within 10 working days",
        ),
        (
            "Чайник из заказа 3540102 пришёл сломанный",
            "хочу вернуть деньги",
            "сколько ждать возврата денег?",
            "в течение 10 рабочих дней",
        ),
        (
            "Czajnik z zamówienia 3540103 przyszedł zepsuty",
            "zwrot pieniędzy",
            "ile trwa zwrot pieniędzy?",
            "w ciągu 10 dni roboczych",
        ),
    ],
)
async def test_how_long_the_refund_just_started_takes_gets_its_promise(
    shipped_shop: Services, problem: str, fix: str, asked: str, within: str
) -> None:
    """The refund started ('The money will be back on your card within 10 working days. Is
    that OK for you?'), then 'how long does the refund take?' got the shop's general answer
    (the warehouse checks a return first, up to 3 days...) and no 'Is that OK?': this
    refund's promise, and the question stands; the yes then closes the case."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(fix)
    assert [e["option"] for e in d.of("fix_chosen")] == ["refund"], d.replies[-1]
    await d.send(asked)
    said = " ".join(d.replies[-1])
    assert within in said and not d.of("faq_answered"), said
    assert [e["turn"] for e in d.of("satisfaction_check")] == [2, 3], d.replies[-1]
    await d.send("ok")
    assert [e["outcome"] for e in d.of("resolved")] == ["refund"], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "at_fixes", "fix", "at_is_it_ok"),
    [
        (
            "The kettle from order 3540111 arrived broken",
            "can I use a promo code?",
            "replacement",
            "how do I apply a discount code?",
        ),
        (
            "Чайник из заказа 3540112 пришёл сломанный",
            "как применить промокод?",
            "замена",
            "где ввести промокод?",
        ),
        (
            "Czajnik z zamówienia 3540113 przyszedł zepsuty",
            "gdzie wpisać kod rabatowy?",
            "wymiana",
            "czy mogę użyć kodu rabatowego?",
        ),
    ],
)
async def test_a_promo_code_question_mid_case_gets_the_answer_not_a_coupon(
    shipped_shop: Services, problem: str, at_fixes: str, fix: str, at_is_it_ok: str
) -> None:
    """'can I use a promo code?' at the fixes offered got 'Here's your 15% coupon: SORRY15'
    (the coupon as the fix) and the replacement typed next went to a person; at 'Is that OK
    for you?' it got the 10% goodwill coupon: how the shop's codes work is answered, the
    case goes on to its fix and its yes."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    await d.send(photo=True)
    await d.send(at_fixes)
    await d.send(fix)
    assert [e["option"] for e in d.of("fix_chosen")] == ["replacement"], d.replies[-1]
    await d.send(at_is_it_ok)
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["promo_codes"] * 2, d.replies
    assert not d.of("compensation_chosen") and not d.of("compensation_offered"), d.replies
    assert d.of("satisfaction_check")[-1]["turn"] == 4, d.replies[-1]
    assert not d.of("escalated"), d.replies


@pytest.mark.parametrize(
    ("change", "back", "said"),
    [
        (
            "Здравствуйте, хочу изменить адрес доставки в заказе 3510001",
            "передумал, пусть остаётся как есть",
            "оставим заказ как есть",
        ),
        (
            "please change the delivery address on my order 3510002",
            "never mind, keep it as is",
            "as it is",
        ),
        (
            "proszę zmienić adres dostawy w zamówieniu 3510003",
            "rozmyśliłem się, niech zostanie",
            "bez zmian",
        ),
        ("хочу изменить адрес доставки в заказе 3510004", "передумала", "оставим заказ как есть"),
    ],
)
async def test_an_order_change_taken_back_is_told_to_the_colleague_on_the_ticket(
    shipped_shop: Services, change: str, back: str, said: str
) -> None:
    """'передумал, пусть остаётся как есть' after the address change went to a colleague got
    the FAQ's cancellation steps and 'still with your colleague' ('rozmyśliłem się, niech
    zostanie' no reply at all): the change taken back on the same ticket (its card says so),
    and the customer told the order stays as it is."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(change)
    [escalated] = d.of("escalated")
    assert escalated["reason"] == "order_change", escalated
    await d.send(back)
    reply = " ".join(d.replies[-1])
    assert said in reply and THANKS.search(reply), reply
    assert [e["request"] for e in d.of("request_withdrawn")] == ["change"], reply
    assert not d.of("faq_answered"), reply
    ticket = await the_ticket(shipped_shop, d.user)
    async with shipped_shop.sessionmaker() as session:
        card = await render_card(session, shipped_shop.settings, ticket)
    assert "stay as it is" in card.text, card.text


@pytest.mark.parametrize(
    ("asked", "back", "said"),
    [
        ("как отменить заказ?", "передумал, не надо", "Хорошо"),
        ("how do I cancel my order?", "never mind", "All right"),
        ("jak anulować zamówienie?", "jednak nie, rozmyśliłam się", "Dobrze"),
    ],
)
async def test_a_mind_changed_after_a_how_to_answer_is_all_right(
    shipped_shop: Services, asked: str, back: str, said: str
) -> None:
    """'передумал, не надо' after the FAQ's cancellation steps was 'it didn't help': 'Sorry
    that didn't help, perhaps this is what you need' and the change-order answer ('jednak nie,
    rozmyśliłam się' the missing-item one). Now a short 'all right, write if anything comes
    up', no other answer."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(asked)
    assert d.of("faq_answered"), d.replies[-1]
    await d.send(back)
    reply = " ".join(d.replies[-1])
    assert reply.startswith(said) and not SORRY.search(reply), reply
    assert len(d.of("faq_answered")) == 1 and not d.of("faq_not_helpful"), reply


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("Dzień dobry, chciałabym złożyć reklamację towaru", "Co się stało"),
        ("хочу оформить претензию", "Что случилось"),
        ("Здравствуйте, хочу оформить претензию на товар", "Что случилось"),
    ],
)
async def test_a_complaint_announced_about_goods_is_asked_what_happened(
    shipped_shop: Services, said: str, asked: str
) -> None:
    """'Dzień dobry, chciałabym złożyć reklamację towaru' got the FAQ's topic buttons, 'хочу
    оформить претензию' a colleague at once: thanks, and what happened (as for 'я хочу
    пожаловаться на качество товара')."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert asked in reply and THANKS.search(reply), reply
    assert d.of("clarify") and not d.of("faq_declined") and not d.of("escalated"), reply


@pytest.mark.parametrize(
    ("said", "order"),
    [
        ("I want to return an unused item, order 3510011", "3510011"),
        ("хочу вернуть неиспользованный товар, заказ 3510012", "3510012"),
        ("chcę zwrócić nieużywany towar, zamówienie 3510013", "3510013"),
    ],
)
async def test_an_unused_item_to_return_gets_the_returns_procedure(
    shipped_shop: Services, said: str, order: str
) -> None:
    """'I want to return an unused item, order 3501238' opened an out-of-stock case with an
    apology and 'Wait for restock / Offer a similar item / Refund': a sound thing sent back
    is no complaint, the returns procedure answers it (the order noted), no apology."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["returns_procedure"], reply
    assert not d.of("complaint_opened") and not SORRY.search(reply), reply
    assert (await d.state())["known"]["order_ref"] == order


async def test_a_bare_no_to_a_colleague_who_took_the_change_is_not_taking_it_back(
    shipped_shop: Services,
) -> None:
    """Once a colleague has taken the address change, a bare 'не надо' may answer their
    question: it is not the change taken back; 'передумал, пусть остаётся как есть' is (on the
    card, the colleague answers it themselves)."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("хочу изменить адрес доставки в заказе 3510021")
    assert d.of("escalated"), d.replies[-1]
    async with shipped_shop.sessionmaker() as session:
        ticket = await session.get(Ticket, (await the_ticket(shipped_shop, d.user)).id)
        ticket.status = "taken"
        await session.commit()
    await d.send("не надо")
    assert not d.of("request_withdrawn"), d.replies[-1]
    await d.send("передумал, пусть остаётся как есть")
    assert d.of("request_withdrawn") and not d.replies[-1], d.replies[-1]


def _card_head(d: Dialogue) -> str:
    """The card of the dialogue's last hand-off, without its transcript."""
    return d.of("escalated")[-1]["card"].split("\n\nTranscript:")[0]


async def test_the_cards_question_is_not_the_none_of_these_that_asked_for_a_person(
    shipped_shop: Services,
) -> None:
    """'Do you have a franchise programme for new cities?' got two topics; 'none of these, I
    need a human please' handed over with 'Question: none of these, I need a human please'
    (and the Summary said it too): the real question was only in the transcript. The card's
    question is the one the topics were offered for."""
    question = "Do you have a franchise programme for new cities?"
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    await d.send("none of these, I need a human please")
    card = _card_head(d)
    assert f"Question: {question}" in card, card
    assert "none of these" not in card, card


async def test_a_complaints_card_has_no_faq_question_asked_before_it(
    shipped_shop: Services,
) -> None:
    """An FAQ question on delivery prices, later 'Paczka nie dotarła, zamówienie 3570010…'
    and 'Nie, 24 godziny to za długo, chcę rozmawiać z człowiekiem teraz': the card said
    'Question: Ile kosztuje dostawa kurierem?' and listed the old FAQ answers under 'Bot
    tried', nothing to do with the late parcel. The card is the complaint's."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Ile kosztuje dostawa kurierem?")
    assert d.of("faq_answered"), d.replies
    await d.send("Paczka nie dotarła, zamówienie 3570010, czekam już dwa tygodnie. Jestem zła.")
    await d.send("Nie, 24 godziny to za długo, chcę rozmawiać z człowiekiem teraz")
    card = _card_head(d)
    assert "3570010" in card and "Question:" not in card, card
    assert "Bot tried" not in card and "dostawa" not in card, card


async def test_a_question_handed_over_after_a_complaint_was_left_is_what_the_card_says(
    shipped_shop: Services,
) -> None:
    """'Кружка треснула от кипятка, это по гарантии?' opened a complaint asking for the order
    number and a photo; then 'Можно ли вернуть нижнее бельё?' got topics, and the customer
    asked for a person: the card said 'Claimant complaint (broken or defective item) about no
    order number yet', 'Asked but not yet given: order number, photo' and the mug's story.
    It is the question's card."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Кружка треснула от кипятка, это по гарантии?")
    assert d.of("complaint_opened"), d.replies
    question = "Можно ли вернуть нижнее бельё?"
    await d.send(question)
    await d.send("это не ответ, позовите человека")
    card = _card_head(d)
    assert f"Question: {question}" in card, card
    summary = card.split("Summary:")[1]
    assert question in summary and "complaint" not in summary, summary
    assert "Asked but not yet given" not in card and "Кружка" not in card, card


async def test_where_is_my_parcel_with_its_number_after_it_is_a_status_question(
    services: Services,
) -> None:
    """'Gdzie jest moja paczka? Nr zamówienia 3640009' opened a missing-item case ('Dosłanie
    brakującego towaru / Zwrot pieniędzy?'): the number's part alone read as a complaint.
    It is a question about where the parcel is, for a colleague who sees it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Gdzie jest moja paczka? Nr zamówienia 3640009")
    assert not d.of("complaint_opened"), d.replies
    assert [e["reason"] for e in d.of("escalated")] == ["order_status"], d.replies
    assert "3640009" in str(d.replies), d.replies


@pytest.mark.parametrize(
    "message",
    [
        "Привезли не тот цвет, заказ 3640112. Я в шоке.",
        "The wrong colour came, order 3640113. I'm shocked.",
        "Przyszedł zły kolor, zamówienie 3640114. Jestem w szoku.",
    ],
)
async def test_a_shocked_customer_with_a_wrong_colour_has_one_wrong_item_case(
    services: Services, message: str
) -> None:
    """'Я в шоке.' (a broken item at 0.87 to the model) opened a broken-item case asking for
    a photo of the damage, with the wrong colour queued 'after this': nothing was broken."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(message)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"], d.replies
    assert not d.of("complaint_queued"), d.replies


@pytest.mark.parametrize(
    ("opening", "details", "story"),
    [
        (
            "у меня проблема с заказом",
            "номер не помню, телефон +7 916 123-45-67",
            "курьер не привёз, а деньги списали",
        ),
        ("Hi, I have a problem with my order", "my email is anna@example.com", None),
        ("Mam problem z zamówieniem", "zamówienie 3640301, telefon 600 100 200", None),
    ],
)
async def test_details_given_for_what_happened_are_kept_and_the_story_asked_once_more(
    services: Services, opening: str, details: str, story: str | None
) -> None:
    """'номер не помню, телефон +7 916 123-45-67' to 'what happened?' opened a service case
    ('passed to the quality manager, 24 hours') with nothing told. The details are thanked
    for, what happened is asked once more, and the order number said to be forgotten is not
    asked for when the story comes."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(details)
    assert not d.of("complaint_opened") and not d.of("promised"), d.replies
    assert [e.get("reason") for e in d.of("clarify")][-1] == "details_only", d.replies
    if story is None:
        return
    await d.send(story)
    assert d.of("complaint_opened"), d.replies
    assert {"slot": "order_ref"} not in [{"slot": e["slot"]} for e in d.of("asked_for")], d.replies


@pytest.mark.parametrize(
    ("text", "sorry", "overdue"),
    [
        (
            "My order 3580001 was supposed to arrive on Monday and nothing",
            "sorry",
            "didn't keep our word",
        ),
        (
            "Заказ 3580002 должны были привезти в понедельник, а ничего нет",
            "жаль",
            "не сдержали слово",
        ),
        (
            "Zamówienie 3580003 miało przyjść w poniedziałek i nic",
            "przykro",
            "nie dotrzymaliśmy słowa",
        ),
    ],
)
async def test_a_late_delivery_at_a_first_contact_gets_the_usual_apology(
    services: Services, text: str, sorry: str, overdue: str
) -> None:
    """'My order … was supposed to arrive on Monday and nothing', the customer's FIRST
    message, got "I'm sorry we didn't keep our word and you had to write again.": they had not
    written before. A delivery date that slipped gets the usual apology; a word support gave
    when they wrote before (a call back, 'last time') keeps the broken word's."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    first = " ".join(d.replies[0])
    assert d.of("complaint_opened") and sorry in first, first
    assert overdue not in first and "write again" not in first, first
    again = Dialogue(services, str(next(_ids)))
    await again.send("You promised last time it would arrive on Monday, order 3580004, and nothing")
    first = " ".join(again.replies[0])
    assert "didn't keep our word" in first, first


async def test_a_reply_promised_for_the_opening_time_leaves_the_card_once_an_operator_answered(
    services: Services,
) -> None:
    """At 23:00 the customer was told a colleague answers at 09:00; an operator on the night
    shift answered at 23:10, and every card went on saying "Reply promised: 05.03 09:00",
    as if nobody had. The promise is off the card once an operator's answer reached them."""
    user = str(next(_ids))
    await say_at(services, user, "Позовите оператора, пожалуйста", WED_23_MSK)
    ticket_id = (await the_ticket(services, user)).id
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        card = await render_card(session, services.settings, ticket)
        assert "Reply promised: 05.03 09:00" in card.text, card.text
        answered = WED_23_MSK + timedelta(minutes=10)
        session.add(
            Message(
                conversation_id=ticket.conversation_id,
                direction="operator",
                text="Здравствуйте! Уже смотрю.",
                author_id=501,
                created_at=answered,
                delivered_at=answered,
            )
        )
        ticket.status, ticket.assignee_id, ticket.first_response_at = "taken", 501, answered
        await session.commit()
        card = await render_card(session, services.settings, ticket)
    assert "Reply promised" not in card.text, card.text


async def test_a_voice_message_before_the_hand_off_is_on_the_cards_details(
    services: Services,
) -> None:
    """Marek sent a voice message, then asked for a person: it was copied to the topic, but
    the card said "Details: none collected" (a photo is counted). The voice message is."""
    user = str(next(_ids))
    await say_at(services, user, None, attachments=(Attachment("voice", "vc3600002"),))
    out = await say_at(services, user, "Proszę o kontakt z konsultantem")
    [escalated] = [e for e in out.events if e["type"] == "escalated"]
    [details] = [x for x in escalated["card"].splitlines() if x.startswith("Details:")]
    assert "voice messages: 1" in details, escalated["card"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I was charged 59.99 but the price was 49.99, order 3620001", "refund of 10 for"),
        ("I was charged 59.99 USD but the price was 49.99 USD, order 3620006", "refund of $10 "),
        ("I was charged €59.99 but the price was €49.99, order 3620007", "order 3620007"),
        ("Pobrano 59,99 zł, a cena była 49,99 zł, zamówienie 3620008", "zwrot 10 zł"),
        ("С меня списали 59.99, а цена была 49.99, заказ 3620009", "возврат 10 ₽"),
    ],
)
async def test_an_amount_said_with_no_currency_is_not_given_the_default_shop_currency(
    services: Services, text: str, said: str
) -> None:
    """'I was charged 59.99 but the price was 49.99, order 3620001' got 'a refund of 10 ₽':
    no currency was said, and the default SHOP_CURRENCY (RUB, not set) came out as rubles to
    an English customer. With no currency said or set the amount is the bare number; a
    currency said is kept; Russian and Polish amounts are the language's currency."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert d.of("promised"), d.replies
    assert said in d.all_text(), d.replies
    if "USD" not in text and "€" not in text and "order" in text:
        assert "₽" not in d.all_text(), d.replies


async def test_an_amount_said_with_no_currency_is_in_the_shop_currency_when_it_is_set(
    settings: Settings, services: Services
) -> None:
    """SHOP_CURRENCY set: the bare amount is the shop's (here set to rubles)."""
    settings.shop_currency = "RUB"
    d = Dialogue(services, str(next(_ids)))
    await d.send("I was charged 59.99 but the price was 49.99, order 3620010")
    assert "refund of 10 ₽" in d.all_text(), d.replies


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("сколько идёт посылка?", True),
        ("how long does a parcel take?", True),
        ("ile idzie paczka?", True),
        ("где моя посылка?", False),
        ("where is my parcel?", False),
    ],
)
async def test_how_long_a_parcel_takes_is_the_faqs_not_an_order_status_question(
    shipped_shop: Services, text: str, general: bool
) -> None:
    """'сколько идёт посылка?' was read as an order-status question: the bot asked for the
    order number. How long a parcel takes is a general question the FAQ answers; only 'my
    parcel', an order number or 'where is' make it the customer's order."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(text)
    if general:
        assert [e["answer_id"] for e in d.of("faq_answered")] == ["delivery_times"], d.replies
        assert not d.of("asked_for"), d.replies
    else:
        assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], d.replies


@pytest.mark.parametrize(
    ("text", "order", "then"),
    [
        ("chcę złożyć reklamację produktu, zamówienie 3620002", "3620002", "Przyszedł zepsuty"),
        ("chcę złożyć reklamację, zamówienie nr 3620003", "3620003", "Przyszedł zepsuty"),
        ("хочу подать претензию, заказ 3620004", "3620004", "Пришёл сломанный"),
    ],
)
async def test_a_complaint_announced_with_its_order_is_asked_what_happened(
    services: Services, text: str, order: str, then: str
) -> None:
    """'chcę złożyć reklamację produktu, zamówienie 3620002' was not an announced complaint
    ('zamówienie N' was not among its order forms): the model's guess opened a case (an
    item out of stock's options, a photo asked for). Thanks, and what happened; the order
    number is kept, not asked for again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e.get("reason") for e in d.of("clarify")] == ["problem_only"], d.replies[-1]
    assert not d.of("complaint_opened") and not d.of("asked_for"), d.replies[-1]
    await d.send(then)
    assert "order_ref" not in [e["slot"] for e in d.of("asked_for")], d.replies
    assert (await d.state())["known"]["order_ref"] == order


@pytest.mark.parametrize(
    "text",
    [
        "Товар пришёл с браком, заказ 3620005, стоил 890 рублей",
        "Товар с браком, заказ 3620011, заплатила 890 рублей",
        "Товар пришёл с браком, заказ 3620012, стоил 890 рублей. Верните деньги",
    ],
)
async def test_a_defect_with_its_price_is_a_defect_not_a_billing_complaint(
    services: Services, text: str
) -> None:
    """'Товар пришёл с браком, заказ 3620005, стоил 890 рублей' was typed billing (the price
    read as money taken; the report counted it under billing): a thing that came faulty, with
    its price, is a defect case; the money asked back is still refunded."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    if "Верните" in text:
        assert d.of("promised") and "возврат" in " ".join(d.replies[-1]), d.replies


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        (
            "your app keeps crashing when i try to pay, my email is a3620013@mail.com",
            "this is ridiculous, I want to talk to a human",
        ),
        (
            "Товар пришёл разбитый, заказ 3620014, фото прикладываю",
            "это издевательство, хочу поговорить с живым человеком",
        ),
    ],
)
async def test_a_person_asked_for_in_an_angry_line_at_is_that_ok_is_brought(
    services: Services, problem: str, said: str
) -> None:
    """'this is ridiculous, I want to talk to a human' (a complaint to the model) at 'is that
    OK?' after the app case went to the tech team got 'Thank you, I've added that to your
    case so the team sees it too. Does the solution work for you?' and no person. A person
    is brought."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem, photo="фото" in problem)
    if not d.of("satisfaction_check"):
        await d.send(button="cmp:opt:refund")
    assert d.of("satisfaction_check"), d.replies
    await d.send(said)
    assert [e["reason"] for e in d.of("escalated")] == ["customer_request"], d.replies[-1]
    assert "added that to your case" not in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "device", "noted"),
    [
        ("your website doesn't work", "chrome on windows", "tech team"),
        ("your website doesn't work", "firefox, windows 11", "tech team"),
        ("wasza strona nie działa", "safari na iphonie", "zespołu technicznego"),
        ("wasza strona nie działa", "w chromie na windowsie", "zespołu technicznego"),
        ("ваш сайт не работает", "в хроме на андроиде", "технической команды"),
        ("ваш сайт не работает", "хром на телефоне", "технической команды"),
    ],
)
async def test_the_browser_told_in_a_website_case_is_kept_and_the_case_goes_on(
    services: Services, problem: str, device: str, noted: str
) -> None:
    """'chrome on windows' after 'your website doesn't work' (a contact asked for) got the FAQ's
    topics, and 'хром на телефоне' 'Спасибо, записал.' with the case left waiting: the
    browser and device are kept on the case for the tech team, the contact is not asked
    again, and the case goes on to the team with its promise."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    await d.send(device)
    said = " ".join(d.replies[-1])
    assert noted in said and d.of("promised") and d.of("satisfaction_check"), said
    assert not d.of("faq_declined") and not d.of("faq_answered"), said
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], said
    state = await d.state()
    assert device in str(state["known"].get("description", "")), state["known"]


@pytest.mark.parametrize("said", ["телефон пришлю позже", "на телефоне"])
async def test_the_phone_in_a_website_case_is_no_device(services: Services, said: str) -> None:
    """'телефон пришлю позже' (a phone was a device word too) is about the contact asked
    for: the case still waits for it, not passed on to the tech team without it."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("ваш сайт не работает")
    await d.send(said)
    assert not d.of("promised"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "collecting", d.replies[-1]


@pytest.mark.parametrize(
    "text", ["where is it? 3690101", "где он? 3690102", "gdzie to jest? 3690103"]
)
async def test_a_status_question_with_a_bare_number_is_not_asked_for_it(
    services: Services, text: str
) -> None:
    """'where is it? 3690007' (no order word beside the number) got "What's the order
    number?": the number given is the order's, passed on to a colleague who sees its status."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    number = re.search(r"\d{7}", text).group()
    assert not d.of("asked_for"), d.replies[-1]
    assert [e["reason"] for e in d.of("escalated")] == ["order_status"], d.replies[-1]
    assert number in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    "text", ["I have a question about my order", "Mam pytanie dotyczące zamówienia"]
)
async def test_a_question_about_the_order_still_to_come_asks_for_the_number(
    shipped_shop: Services, text: str
) -> None:
    """'I have a question about my order' got the FAQ's missing-item answer ("Sorry about
    that! First check..."), 'Mam pytanie dotyczące zamówienia' "I don't understand": the order's
    question, as 'У меня вопрос по заказу' is read: its number asked for, nothing answered."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(text)
    assert [e["slot"] for e in d.of("asked_for")] == ["order_ref"], d.replies[-1]
    assert not d.of("faq_answered") and not d.of("fallback"), d.replies[-1]


async def test_what_was_ordered_told_first_is_no_second_problem(services: Services) -> None:
    """'hi, I ordered a blender last week, order 3690111, and it arrived without the lid' (the
    first clause a wrong item at 0.98 to the model) opened the missing lid's case with "And the
    wrong item: I'll sort that out right after this": one case, nothing queued."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("hi, I ordered a blender last week, order 3690111, and it arrived without the lid")
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"]
    assert not d.of("complaint_queued"), d.replies[-1]
    assert "wrong item" not in " ".join(d.replies[-1]), d.replies[-1]
    d = Dialogue(services, str(next(_ids)))
    await d.send("Zamówiłam blender w zeszłym tygodniu, zamówienie 3690112, przyszedł bez pokrywki")
    assert not d.of("complaint_queued"), d.replies[-1]
    # what was ordered, said with what it should have been, is the wrong item's half
    d = Dialogue(services, str(next(_ids)))
    await d.send("I ordered a blue kettle, order 3690113. The red one came and the lid is cracked")
    types = [e["complaint_type"] for e in d.of("complaint_opened") + d.of("complaint_queued")]
    assert sorted(types) == ["damaged_defective", "wrong_item"], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "more", "noted"),
    [
        ("Ваш сайт не принимает мою карту, пишет ошибка 402", "через приложение тоже", "добавил"),
        ("Your website won't accept my card, error 402", "in the app too", "added"),
        ("Strona nie przyjmuje mojej karty, błąd 402", "w aplikacji też", "dopisałem"),
    ],
)
async def test_the_same_trouble_elsewhere_is_a_detail_of_the_case(
    shipped_shop: Services, problem: str, more: str, noted: str
) -> None:
    """'через приложение тоже' while the contact is awaited in a website case got the FAQ's
    answer on the app ("Да, приложение «Лавка» есть..."): the same trouble somewhere else, kept
    on the case, and the contact still asked for (once)."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    await d.send(more)
    said = " ".join(d.replies[-1])
    assert noted in said and not d.of("faq_answered"), said
    state = await d.state()
    assert more in state["known"].get("description", ""), state["known"]
    assert state["complaint"]["stage"] == "collecting"
    assert_never_reasked(d)


@pytest.mark.parametrize(
    ("problem", "contact"),
    [
        ("I forgot my password and the reset email never comes", "anna.k@example.com"),
        ("Забыла пароль, а письмо для сброса не приходит", "anna@example.com"),
        ("Zapomniałam hasła, a link do resetu nie przychodzi", "ania@example.com"),
        # the reset done already (benchmarks/dialogues en09: the reset answer, then the e-mail
        # to a colleague as "the answer didn't help")
        (
            "can't log into my account, keeps saying invalid password even after reset",
            "my email is jane.doe@gmail.com",
        ),
        ("Сбросила пароль, а войти всё равно не могу", "anna@example.com"),
        ("Nie mogę się zalogować nawet po resecie hasła", "ania@example.com"),
    ],
)
async def test_a_reset_that_never_comes_is_a_case_not_the_reset_answer(
    shipped_shop: Services, problem: str, contact: str
) -> None:
    """'I forgot my password and the reset email never comes' got the FAQ's "Tap 'Forgot
    password?'... a reset link will arrive by email" (what had already failed), and the e-mail
    sent next opened a second case asking what happened; "...invalid password even after
    reset" got the same answer, its e-mail then went to a colleague as "the answer didn't help":
    a site case, the contact asked for, and with it the case goes to the tech team."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    assert not d.of("faq_answered"), d.replies[-1]
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["website_app"]
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    await d.send(contact)
    assert d.of("promised") and len(d.of("complaint_opened")) == 1, d.replies[-1]
    assert_never_reasked(d)


@pytest.mark.parametrize(
    "text",
    [
        "Dostałam złą książkę, zamówienie 3690311",
        "Dostałam nie tę książkę, zamówienie 3690312",
        "I got the wrong book, order 3690313",
    ],
)
async def test_a_wrong_thing_got_is_a_wrong_item_whatever_it_is(
    services: Services, text: str
) -> None:
    """'Dostałam złą książkę, zamówienie 3690208' (a late parcel to the model at 0.63) opened a
    delivery case, passed to the delivery team: the wrong thing got is a wrong item, whatever
    thing it is, and its photo is asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"]
    assert "photo" in [e["slot"] for e in d.of("asked_for")], d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "told"),
    [
        ("Kurier był bardzo niemiły, zamówienie 3690314", "chcę tylko, żebyście wiedzieli"),
        ("Kurier był bardzo niemiły, zamówienie 3690315", "chciałam tylko, żebyście wiedzieli"),
        ("Курьер нахамил, заказ 3690316, грубил по телефону", "просто чтобы вы знали"),
    ],
)
async def test_just_letting_us_know_settles_the_case(
    services: Services, problem: str, told: str
) -> None:
    """'chcę tylko żebyście wiedzieli' at "is that OK?" got "Jestem, nie martw się" and the
    promise again, as if the customer were still waiting: told so we know, nothing more
    wanted; the case is settled, as "I just wanted you to know" already was."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(told)
    assert d.of("resolved"), d.replies[-1]
    assert len(d.of("promised")) == 1, d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "told", "noted"),
    [
        (
            "Добрый день. Заказ 3690321 должен был прийти вчера, курьер не приехал и не позвонил",
            "я весь день была дома",
            "добавил",
        ),
        (
            "Zamówienie 3690322 miało być wczoraj, kurier nie przyjechał",
            "byłam cały dzień w domu",
            "dodałem",
        ),
    ],
)
async def test_what_they_tell_at_is_that_ok_is_kept_on_the_case(
    services: Services, problem: str, told: str, noted: str
) -> None:
    """'я весь день была дома' at "is that OK?" after a missed delivery's promise (a greeting
    to the model at 0.41) got "Я на связи, не переживайте" and the promise again, as if nothing
    was said: kept on the case for the team, said so, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(told)
    said = " ".join(d.replies[-1])
    assert noted in said and d.of("details_added"), said
    assert told in (await d.state())["known"].get("description", "")
    assert len(d.of("promised")) == 1, said


async def test_a_video_of_the_fault_is_thanked_as_a_video(services: Services) -> None:
    """A video sent for the photo asked ("Купила пылесос, через неделю перестал включаться")
    got "Спасибо за фото.": thanked as the video it is, and the fixes offered."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Купила пылесос, через неделю перестал включаться. Заказ 3690323")
    assert "photo" in [e["slot"] for e in d.of("asked_for")], d.replies[-1]
    d_video = Incoming(
        external_user_id=d.user,
        text="видео",
        attachments=(Attachment("video", "vid3690323"),),
        chat_id=int(d.user),
        message_id=next(_ids),
    )
    async with services.sessionmaker() as session:
        out = await services.engine.handle(session, d_video)
        await session.commit()
    said = " ".join(r.text for r in out.replies)
    assert "Спасибо за видео" in said and "фото" not in said.split(".")[0], said


@pytest.mark.parametrize(
    "text",
    [
        "Hi, my order 3690331 arrived but the box was wet and the book inside is ruined",
        "Zamówienie 3690332 przyszło, karton był mokry, a książka w środku zniszczona",
    ],
)
async def test_a_soaked_parcel_is_one_damage_case(services: Services, text: str) -> None:
    """'…the box was wet and the book inside is ruined' (a missing item at 1.0 to the model)
    opened a missing item's case ("Send the missing item / Refund") with the damage queued,
    and 'karton był mokry' (a wrong item at 0.96) queued a wrong item: one damage case, its
    photo asked for, nothing queued. A missing lid beside a cracked bowl stays two."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert not d.of("complaint_queued"), d.replies[-1]
    assert "photo" in [e["slot"] for e in d.of("asked_for")], d.replies[-1]
    d = Dialogue(services, str(next(_ids)))
    await d.send("Order 3690333 arrived, the lid is missing and the bowl is cracked")
    types = [e["complaint_type"] for e in d.of("complaint_opened") + d.of("complaint_queued")]
    assert sorted(types) == ["damaged_defective", "missing_item"], d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "order", "asked"),
    [
        ("Здравствуйте, у меня проблема", "заказ 3680001", "что с ним случилось"),
        ("Hi, I have a problem", "order 3680001", "what happened with it"),
        ("Dzień dobry, mam problem", "zamówienie 3680001", "co się z nim stało"),
    ],
)
async def test_an_order_number_sent_twice_is_not_answered_twice_the_same(
    services: Services, opening: str, order: str, asked: str
) -> None:
    """'заказ 3680001' sent twice to 'Что случилось?' got 'Понял, заказ 3680001. Чем могу
    помочь?' twice. The second time the number is said to be kept, and only what happened
    is asked for, in other words."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(order)
    first = " ".join(d.replies[-1])
    await d.send(order)
    second = " ".join(d.replies[-1])
    assert second != first and asked in second.lower(), (first, second)
    assert len(d.of("order_noted")) == 2 and not d.of("escalated"), d.replies


@pytest.mark.parametrize(
    ("angry", "threat", "senior"),
    [
        (
            "Pobraliście mi pieniądze dwa razy za zamówienie 3680002!!!",
            "zgłoszę chargeback w banku",
            "rekompensacie",
        ),
        (
            "Вы списали с меня деньги дважды за заказ 3680003!!!",
            "я подам на chargeback в банк",
            "компенсации",
        ),
        (
            "You charged me twice for order 3680004!!!",
            "I will file a chargeback with my bank",
            "compensation",
        ),
    ],
)
async def test_a_threat_after_the_gesture_goes_to_a_senior_with_no_second_coupon(
    services: Services, angry: str, threat: str, senior: str
) -> None:
    """An angry double charge got the 10% coupon as a goodwill gesture; the chargeback
    threatened after it got a 20% coupon on top: two coupons in one case. One case gets
    one gesture: the threat brings a senior at once, urgently, who decides the larger
    compensation, and the customer is told so."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(angry)
    await d.send(threat)
    gestures = [e for e in d.of("compensation_offered") if e.get("gesture")]
    assert len(gestures) == 1 and gestures[0]["turn"] == 0, d.replies
    assert [(e["reason"], e["priority"]) for e in d.of("escalated")] == [
        ("legal_threat", "high")
    ], d.replies[-1]
    said = " ".join(d.replies[-1])
    assert senior in said and "20%" not in said and "SORRY20" not in said, said


@pytest.mark.parametrize(
    ("ask", "thanks", "told"),
    [
        ("Chcę rozmawiać z konsultantem", "dzięki", "tutaj"),
        ("Позовите оператора", "спасибо", "здесь"),
        ("I want to talk to a human", "thanks", "here"),
    ],
)
async def test_thanks_right_after_the_hand_off_gets_a_short_warm_word_once(
    services: Services, ask: str, thanks: str, told: str
) -> None:
    """'dzięki' right after the bot handed the chat to a person got no reply at all. A short
    warm one says the colleague writes here; a second thanks a moment later stays quiet,
    and neither is passed on as a new question nor raises the ticket."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.of("escalated"), d.replies
    await d.send(thanks)
    said = " ".join(d.replies[-1])
    assert said and told in said and "passed" not in said and "przekaza" not in said, said
    await d.send(thanks)
    assert d.replies[-1] == [], d.replies[-1]
    assert len(d.of("escalated")) == 1 and not d.of("priority_raised"), d.events


@pytest.mark.parametrize(
    ("text", "angry"),
    [
        ("Jestem bardzo zła, paczka spóźnia się już dwa tygodnie, zamówienie 3650001", True),
        ("I am furious. My order 3650002 is two weeks late", True),
        ("Я очень зла, заказ 3650003 опаздывает на две недели", True),
        ("I'm really angry, my order 3650005 hasn't arrived", True),
        ("jestem wściekła, zamówienie 3650007 nie dotarło", True),
        ("я в бешенстве, заказ 3650008 так и не пришёл", True),
        ("Nie jestem zła, tylko pytam: zamówienie 3650010 spóźnia się tydzień", False),
        ("Я не злюсь, просто спрашиваю: заказ 3650011 опаздывает на неделю", False),
    ],
)
async def test_anger_said_in_words_is_an_angry_customer(
    services: Services, text: str, angry: bool
) -> None:
    """'Jestem bardzo zła, paczka spóźnia się już dwa tygodnie' (no '!') was read as merely
    upset: the usual apology and no goodwill gesture. Anger said in so many words is anger:
    the angry customer's apology and the gesture; 'nie jestem zła, tylko pytam' is none."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    kinds = [e["customer_kind"] for e in d.of("complaint_opened")]
    assert kinds == (["angry"] if angry else ["claimant"]), d.replies[-1]
    gestures = [e for e in d.of("compensation_offered") if e.get("gesture")]
    assert bool(gestures) == angry, d.replies[-1]
    assert d.of("promised"), d.replies[-1]


@pytest.mark.parametrize(
    ("text", "urgent", "hours"),
    [
        ("Zamówienie 3650004 miało przyjść w poniedziałek i nic", "jako pilne", "24 godzin"),
        ("Paczka 3650029 miała dotrzeć tydzień temu", "jako pilne", "24 godzin"),
        ("Заказ 3650016 должен был прийти в понедельник, и ничего", "срочно", "24 часов"),
        ("Посылка 3650030 должна была прийти неделю назад", "срочно", "24 часов"),
        ("Order 3650017 was supposed to arrive on Monday and nothing", "marked urgent", "24 hours"),
        ("Zamówienie 3650021 spóźnia się tydzień", None, "24 godzin"),
        ("Заказ 3650020 опаздывает на неделю", None, "24 часов"),
        ("My order 3650022 is a week late", None, "24 hours"),
    ],
)
async def test_a_delivery_date_that_slipped_is_a_broken_promise_in_every_language(
    services: Services, text: str, urgent: str | None, hours: str
) -> None:
    """'Zamówienie 3650004 miało przyjść w poniedziałek i nic' ('miało' was no promise word,
    nor 'должен был' / 'должна была') went to the delivery team as an ordinary late parcel,
    while 'was supposed to arrive on Monday and nothing' and 'должны были привезти' went
    marked urgent. A slipped delivery date is a broken promise in every language: urgent,
    with the usual apology and the delivery team's 24 hours; a late parcel with no date
    promised is not urgent, and its promise is the same 24 hours (rules: delivery_delay)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    said = " ".join(d.replies[-1])
    assert bool(d.of("broken_promise_reported")) == bool(urgent), said
    [promised] = d.of("promised")
    assert hours in promised["within"], said
    if urgent:
        assert urgent in promised["text"], said
    else:
        assert not any(w in promised["text"] for w in ("pilne", "срочно", "urgent")), said
    assert not d.of("compensation_offered"), said  # no gesture: support gave no word
    assert not any(w in said for w in ("dotrzymaliśmy", "сдержали", "keep our word")), said


@pytest.mark.parametrize(
    ("said", "device"),
    [
        ("podam telefon później", False),
        ("telefon wolę nie podawać", False),
        ("na smartfonie", True),
    ],
)
async def test_the_polish_telefon_in_a_website_case_is_the_contact_not_a_device(
    services: Services, said: str, device: bool
) -> None:
    """'podam telefon później' and 'telefon wolę nie podawać' after the app case asked for a
    phone or e-mail got 'Dziękuję: dodałem te szczegóły do zgłoszenia dla zespołu
    technicznego' and the case passed on ('telefon' was a device word in Polish, as 'телефон'
    no longer is in Russian and 'phone' never was in English): a contact to come waits for it,
    one refused is let go; 'na smartfonie' is the device."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Nie mogę się zalogować w aplikacji, wyskakuje błąd")
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert ("dodałem te szczegóły" in reply) == device, reply
    if "później" in said:
        assert not d.of("promised"), reply
        assert (await d.state())["complaint"]["stage"] == "collecting", reply
    else:
        assert d.of("promised"), reply


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("Order 3650039 hasn't arrived, my phone is 07700 900123", "3650039"),
        ("my phone is 07700 900123, order 3650046 is late", "3650046"),
    ],
)
async def test_a_phone_number_told_beside_the_order_is_not_the_order(
    services: Services, text: str, order: str
) -> None:
    """'Order 3650026 hasn't arrived, my phone is 07700 900123' got 'I've passed everything to
    our delivery team for order 07700' (the phone's first group, 'my' before it, read as the
    customer's order): the number after 'my phone is' is the phone, the order is the order."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(text)
    said = " ".join(d.replies[-1])
    assert (await d.state())["known"]["order_ref"] == order, said
    assert "07700" not in said and "900123" not in said, said


@pytest.mark.parametrize(
    ("problem", "said", "faq"),
    [
        ("Nie mogę się zalogować w aplikacji, wyskakuje błąd", "podam telefon", False),
        ("Nie mogę się zalogować w aplikacji, wyskakuje błąd", "telefon prześlę jutro", False),
        ("Не могу войти в приложение, выдаёт ошибку", "на телефоне", False),
        (
            "Nie mogę się zalogować w aplikacji, wyskakuje błąd",
            "jaki jest wasz numer telefonu?",
            True,
        ),
    ],
)
async def test_the_contact_spoken_of_in_a_website_case_gets_no_shop_numbers(
    shipped_shop: Services, problem: str, said: str, faq: bool
) -> None:
    """'podam telefon', 'telefon prześlę jutro' (a question to the model) after the app case
    asked for a phone or e-mail got the shop's own numbers from the FAQ ('zadzwoń pod numer
    +48 22 100 24 24'): the contact asked for is spoken of, the case waits for it; the shop's
    number asked for in a question is still the FAQ's."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies[-1]
    await d.send(said)
    assert bool(d.of("faq_answered")) == faq, d.replies[-1]
    assert not d.of("promised"), d.replies[-1]
    assert (await d.state())["complaint"]["stage"] == "collecting", d.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "Хочу вернуть платье, не подошло по размеру",
        "Chcę zwrócić sukienkę, nie pasuje rozmiar",
        "I want to return a dress, it doesn't fit",
    ],
)
async def test_a_wish_to_return_a_thing_that_does_not_fit_gets_the_returns(
    shipped_shop: Services, said: str
) -> None:
    """'Хочу вернуть платье, не подошло по размеру' got the size exchange's 'Да — в течение
    30 дней нажмите «Обменять размер»…' (the Polish one too): the customer asked for a
    return, the size was only why. The returns procedure now."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(said)
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["returns_procedure"], d.replies
    assert not d.of("complaint_opened"), d.replies


@pytest.mark.parametrize(
    ("said", "asked", "code"),
    [
        ("My gift card code doesn't work at checkout", r"number.*error", "GIFT-7K2P-99QX"),
        ("код подарочного сертификата не работает", r"номер.*ошибк", "1234 5678 9012 3456"),
        ("kod karty podarunkowej nie działa", r"numer.*błąd", "KARTA-2026-X1"),
    ],
)
async def test_a_gift_card_code_that_does_not_work_asks_for_the_code_and_the_error(
    services: Services, said: str, asked: str, code: str
) -> None:
    """'My gift card code doesn't work at checkout' opened a website case asking for a phone
    or e-mail: the team needs the card's code (or number) and the site's error. Both are
    asked for at once, and with them the question goes to a colleague, the card showing
    the code and the error."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert not d.of("complaint_opened") and not d.of("asked_for"), d.replies[-1]
    assert d.of("faq_promo_asked"), d.replies[-1]
    assert re.search(asked, d.replies[-1][-1], re.I), d.replies[-1]
    await d.send(f"{code}, error: 'card not found'")
    [escalated] = d.of("escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert code in card and "card not found" in card, card


@pytest.mark.parametrize(
    ("problem", "told", "noted"),
    [
        ("My order 3690341 is two weeks late", "and I need it for a birthday on Friday", "added"),
        (
            "заказ 3690342 уже третий раз переносят доставку",
            "мне нужно до пятницы, это подарок",
            "добавил",
        ),
        ("Zamówienie 3690343 spóźnia się już tydzień", "potrzebuję jej na sobotę", "dodałem"),
    ],
)
async def test_the_date_it_is_needed_by_is_kept_on_the_case(
    services: Services, problem: str, told: str, noted: str
) -> None:
    """'and I need it for a birthday on Friday' at "is that OK?" after a late order's promise
    got the FAQ's topics, 'мне нужно до пятницы, это подарок' "Я на связи" and the promise
    again: the date is kept on the case for the team, said so, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(told)
    said = " ".join(d.replies[-1])
    assert noted in said and d.of("details_added"), said
    assert not d.of("faq_declined") and not d.of("faq_answered"), said
    assert told in (await d.state())["known"].get("description", "")


@pytest.mark.parametrize(
    ("problem", "yes", "taken_back", "wanted"),
    [
        (
            "the package says delivered but I never got it, order 3700101",
            "yes",
            "no this is not ok, I want my money back",
            "refund",
        ),
        (
            "посылка пишет доставлено, но я её не получала, заказ 3700102",
            "да",
            "хотя нет, это не решение. верните деньги",
            "refund",
        ),
        (
            "paczka ma status doręczona, ale jej nie dostałam, zamówienie 3700103",
            "tak",
            "nie, jednak to nie jest w porządku",
            None,
        ),
    ],
)
async def test_a_yes_taken_back_at_the_rating_reopens_the_case_for_a_person(
    services: Services, problem: str, yes: str, taken_back: str, wanted: str | None
) -> None:
    """'no this is not ok, I want my money back' to the rating asked right after the yes
    opened a new billing case ('Thank you for telling me about this too'), 'nie, jednak to
    nie jest w porządku' got the FAQ's topics: the yes is taken back, the same case goes to
    a person with all it holds, no longer counted as solved by the bot."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(yes)
    assert d.now("resolved"), d.replies[-1]
    await d.send(taken_back)
    assert d.now("resolution_taken_back"), d.replies[-1]
    assert not d.now("complaint_opened") and not d.now("faq_declined"), d.replies[-1]
    [escalated] = d.now("escalated")
    state = await d.state()
    assert state["complaint"]["stage"] == "handed_over", state["complaint"]
    assert state["complaint"].get("wanted") == wanted
    assert "survey" not in state
    async with services.sessionmaker() as session:
        record = await session.get(Complaint, state["complaint"]["id"])
        assert record is not None and record.resolved_at is None
    assert escalated["reason"] in ("needs_person", "fix_not_helped")


@pytest.mark.parametrize(
    ("said", "noted"),
    [
        ("yes I checked with neighbours, nothing", "added"),
        ("да, я спрашивала у соседей, ничего", "добавил"),
    ],
)
async def test_yes_i_checked_with_the_neighbours_is_news_not_a_verdict(
    services: Services, said: str, noted: str
) -> None:
    """'yes I checked with neighbours, nothing' to "Does that solve it?" after a parcel
    marked delivered never came closed the case as solved: it tells what they did, kept on
    the case, and the question stands. 'yes, I checked, all fine' stays a yes (a guard)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("the package says delivered but I never got it, order 3700111")
    await d.send(said)
    assert not d.now("resolved"), d.replies[-1]
    assert d.now("details_added") and noted in " ".join(d.replies[-1]), d.replies[-1]
    d = Dialogue(services, str(next(_ids)))
    await d.send("the package says delivered but I never got it, order 3700112")
    await d.send("yes, I checked, all fine now")
    assert d.now("resolved"), d.replies[-1]


async def test_an_unsure_follow_up_question_gets_the_topics_not_only_shop_matters(
    shipped_shop: Services,
) -> None:
    """'a ile to potrwa?' right after the size-exchange answer (off-topic to the model at
    0.53: not sure chatter) got "I only know shop matters: orders, delivery..." - it asks
    about the answer just given: the KB's answer when it is sure, else the topics and a
    person."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Chcę zwrócić buty, są za małe")
    assert d.now("faq_answered"), d.replies[-1]
    await d.send("a ile to potrwa?")
    assert not d.now("fallback"), d.replies[-1]
    assert d.now("faq_answered") or d.now("faq_declined"), d.replies[-1]


async def test_a_complaint_with_a_question_thanks_and_apologises_once(
    shipped_shop: Services,
) -> None:
    """'Мне пришла разбитая ваза, заказ N!!! И сколько идёт возврат денег?' opened the broken
    vase's case (thanks, sorry, the photo asked for) and the refund-timing answer after it
    began with thanks and sorry again: the answer comes without a second thanks."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("Мне пришла разбитая ваза, заказ 3700203!!! И сколько идёт возврат денег?")
    assert d.now("complaint_opened"), d.replies[-1]
    assert d.now("faq_answered"), d.replies[-1]
    assert sum("Спасибо" in s for s in d.replies[-1]) == 1, d.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "Paczka przyszła pusta!!! zamówienie 3700401",
        "Коробка пришла пустая, заказ 3700402",
        "I got an empty box, order 3700403",
    ],
)
async def test_an_empty_parcel_is_something_missing_not_a_late_one(
    services: Services, said: str
) -> None:
    """'Paczka przyszła pusta!!!' (a late parcel to the model at 0.99) was passed to the
    delivery team with a 24-hour promise, and 'chcę zwrot pieniędzy' then needed a person:
    an empty parcel is its contents missing, with that case's fixes offered (sent again or
    the money back)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == "missing_item", d.replies[-1]
    assert not d.now("promised"), d.replies[-1]


@pytest.mark.parametrize(
    ("question", "ack"), [("How much is delivery?", "great"), ("How much is delivery?", "cool")]
)
async def test_a_bare_great_after_an_answer_is_an_acknowledgement(
    shipped_shop: Services, question: str, ack: str
) -> None:
    """'great' after the delivery price (an unsure "ok" to the model) got "I'm not sure I
    understood", 'cool' (an unsure greeting) the same answer again as a follow-up: both are
    an acknowledgement, answered with "Is there anything else?"."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    assert d.now("faq_answered"), d.replies[-1]
    await d.send(ack)
    assert not d.now("fallback") and not d.now("faq_answered"), d.replies[-1]
    assert "anything else" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "asked", "said"),
    [
        ("Мне пришёл чужой заказ 3700409, там другое имя", "а что мне с ним делать?", "оставьте"),
        (
            "I received someone else's order, 3700410, it has a different name on it",
            "what should I do with it?",
            "keep it",
        ),
        (
            "Dostałam cudzą paczkę, zamówienie 3700411, jest tam inne nazwisko",
            "co mam z nią zrobić?",
            "zatrzymaj",
        ),
    ],
)
async def test_what_to_do_with_the_wrong_parcel_is_keep_it_for_now(
    services: Services, problem: str, asked: str, said: str
) -> None:
    """'а что мне с ним делать?' about someone else's parcel while its photo was awaited got
    "Не спешите, я на связи", 'what should I do with it?' the FAQ's topics, and 'Dostałam
    cudzą paczkę' was a late parcel passed to the delivery team: a wrong item, its photo
    asked for, and the question answered - keep it for now, the courier takes it back once
    the swap is arranged - with what is still needed named."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == "wrong_item", d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.now("faq_declined"), reply
    assert not d.now("asked_for"), d.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "I'm not angry, just asking: where is my order 3710001? it's a week late",
        "nie jestem zła, tylko pytam: gdzie jest zamówienie 3710002? spóźnia się tydzień",
        "я не злюсь, просто спрашиваю: где мой заказ 3710003? опаздывает на неделю",
    ],
)
async def test_not_angry_just_asking_about_a_late_order_is_a_calm_late_delivery(
    services: Services, said: str
) -> None:
    """'I'm not angry, just asking: where is my order 3710001? it's a week late' opened a
    missing-item case (the missing item sent or refunded), upset; the Polish and Russian
    ones were upset too: a late order asked about calmly, the delivery team's case, calm
    on the operators' card."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"], d.replies
    assert not d.of("complaint_also_recorded"), d.replies
    assert d.of("promised"), d.replies
    assert (await d.state())["case_classification"]["emotion"] == "calm"


@pytest.mark.parametrize(
    "said",
    [
        "Nie działa mi telefon, który kupiłam u was",
        "телефон, который я купила у вас, не работает",
        "the phone I bought from you doesn't work",
    ],
)
async def test_a_bought_phone_that_does_not_work_is_a_defective_item(
    services: Services, said: str
) -> None:
    """'Nie działa mi telefon, który kupiłam u was' opened a billing case (only the order
    number asked): a thing that does not work, the order number and a photo asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["damaged_defective"]
    assert {e["slot"] for e in d.of("asked_for")} == {"order_ref", "photo"}, d.replies


@pytest.mark.parametrize("contact", ["07700 900123", "+44 7700 900123", "07700900123"])
async def test_a_uk_mobile_is_taken_as_the_contact(services: Services, contact: str) -> None:
    """'07700 900123' given as the contact a website case asked for got "Take your time: I'm
    here." (no phone seen): it is the contact, and the case goes to the team."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("I can't log in to your website, it shows an error")
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies
    await d.send(contact)
    assert (await d.state())["known"].get("contact") == contact
    assert d.of("promised"), d.replies[-1]
    assert "order_ref" not in (await d.state())["known"]


@pytest.mark.parametrize(
    ("problem", "asked", "answer"),
    [
        (
            "I can't log in to your website, it shows an error",
            "what's your phone number?",
            "+48 22 100 24 24",
        ),
        (
            "nie mogę się zalogować na stronie, pokazuje błąd",
            "jaki jest wasz numer telefonu?",
            "+48 22 100 24 24",
        ),
        ("не могу войти на сайт, выдаёт ошибку", "какой у вас номер телефона?", "8 800"),
    ],
)
async def test_the_shops_phone_asked_for_while_a_contact_is_awaited_is_answered(
    shipped_shop: Services, problem: str, asked: str, answer: str
) -> None:
    """'what's your phone number?' while a website case waited for the customer's contact got
    "Take your time: I'm here.": the shop's phone is answered from the knowledge base, the
    contact is not asked again in a loop, and given after it, the case goes on."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(problem)
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"], d.replies
    await d.send(asked)
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["contacts"], d.replies[-1]
    assert answer in " ".join(d.replies[-1])
    await d.send("07700 900123")
    assert d.of("promised"), d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["contact"]


@pytest.mark.parametrize(
    "said",
    [
        "чайник пришёл без крышки",
        "the kettle came without the lid",
        "czajnik przyszedł bez pokrywki",
    ],
)
async def test_a_thing_that_came_without_its_lid_is_a_missing_item(
    services: Services, said: str
) -> None:
    """'чайник пришёл без крышки' opened a broken item's case (a photo of the problem asked
    for): a part missing from the box is a missing item, the lid sent or the money back."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"]
    assert "photo" not in {e["slot"] for e in d.of("asked_for")}, d.replies


async def test_a_detail_read_as_a_goodbye_while_a_colleague_is_awaited_gets_a_word(
    services: Services,
) -> None:
    """'from M to L' after a size change went to a colleague (a goodbye to the model at 0.71)
    got no word at all: only a sure hello, thanks, ok or bye is small talk; this is passed on,
    said so. A sure 'thanks' still gets the short warm word, not "passed on"."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Can I change the size in my order 3700601 before it ships?")
    assert d.now("escalated"), d.replies[-1]
    await d.send("from M to L")
    assert "passed this on" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("ask", "wait", "sorry"),
    [
        ("I want to talk to a human", "how long?", "Sorry for the wait"),
        ("Позовите оператора", "да сколько можно", "Простите за ожидание"),
        ("Chcę rozmawiać z konsultantem", "ile można", "Przepraszam, że musisz czekać"),
        ("Chcę rozmawiać z konsultantem", "jak długo?", "Przepraszam, że musisz czekać"),
        # a person asked for again right after the hand-off got "I've passed this on as well"
        ("I want to talk to a human now", "I want to talk to a human", "Sorry for the wait"),
        ("позовите менеджера", "позовите человека", "Простите за ожидание"),
        ("chcę rozmawiać z konsultantem", "chcę rozmawiać z człowiekiem", "Przepraszam, że"),
    ],
)
async def test_how_long_while_a_colleague_is_awaited_is_sorry_and_the_time(
    services: Services, ask: str, wait: str, sorry: str
) -> None:
    """'да сколько можно' while a colleague was awaited (an unsure "yes" to the model) got no
    word at all, 'how long?' a "passed this on as well": worn out by the wait, so sorry for
    it, and when the answer comes. Session 56: said in one sentence, 'here' once (it was
    "...will answer right here. They'll answer here within about 30 minutes"); a person asked
    for again ("I want to talk to a human") hears the same, nothing new opened (it was "I've
    passed this on as well")."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.now("escalated"), d.replies[-1]
    await d.send(wait)
    said = " ".join(d.replies[-1])
    assert sorry in said and "30" in said, said
    assert len(re.findall(r"\bhere\b|здесь|tutaj", said)) == 1, said
    assert not re.search(r"passed this on|передал|przekazałem", said), said
    assert not d.now("escalated") and not d.now("complaint_opened"), said


@pytest.mark.parametrize(
    ("said", "then", "summary"),
    [
        ("My gift card doesn't work at checkout", "GIFT-7K2P-99QX", "A gift card that does not"),
        ("код подарочной карты не работает", "позовите оператора", "A gift card that does not"),
        ("промокод не работает", "ZIMA2026", "A promo code that does not work"),
        ("Kod rabatowy nie działa", "chcę rozmawiać z człowiekiem", "A promo code that does not"),
        ("промокод SALE15 не работает, пишет 'срок действия истёк'", None, "A promo code that"),
    ],
)
async def test_the_card_of_a_promo_code_or_gift_card_says_what_does_not_work(
    services: Services, said: str, then: str | None, summary: str
) -> None:
    """A gift card that does not work, handed to a person: the operator's card summary said
    "Claimant complaint (website or app) about no order number yet." (a promo code's
    "(payment and refunds)"); it says what does not work, in the operators' language."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    if then is not None:
        assert d.of("faq_promo_asked"), d.replies[-1]
        await d.send(then)
    [escalated] = d.of("escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert f"Summary: {summary}" in card and "complaint" not in card.split("Summary:")[1], card
    from bot.dialogs.texts import Texts

    ru = Texts("ru")
    assert ru("op_summary_gift_card", about="x") == "Не срабатывает подарочная карта; x."
    assert ru("op_summary_promo_code", about="x") == "Не срабатывает промокод; x."


@pytest.mark.parametrize(
    ("first", "lang", "asked", "then"),
    [
        ("заказ 3740001", "ru", "Что с ним случилось?", "пришёл сломанный, не включается"),
        ("order 3740002", "en", "What happened with it?", "it arrived broken, it won't turn on"),
        ("zamówienie 3740003", "pl", "Co się z nim stało?", "przyszedł zepsuty, nie włącza się"),
    ],
)
async def test_an_order_number_alone_first_is_thanked_for_and_what_happened_asked(
    services: Services, first: str, lang: str, asked: str, then: str
) -> None:
    """'заказ 3740001' as the first message got 'Понял, заказ 3740001. Чем могу помочь?' (a
    generic question): the number is thanked for and what happened with that order asked,
    in the customer's language; the number is kept and never asked for again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(first, language_code=lang)
    [said] = d.replies[-1]
    assert said.endswith(asked) and first.split()[-1] in said, said
    await d.send(then)
    assert not [e for e in d.of("asked_for") if e["slot"] == "order_ref"], d.replies[-1]
    assert (await d.state())["known"]["order_ref"] == first.split()[-1]


@pytest.mark.parametrize(
    ("told", "why", "said"),
    [
        ("my order 3740011 got cancelled", "why?", "can't see the reason"),
        ("moje zamówienie 3740012 zostało anulowane", "dlaczego?", "Nie widzę stąd przyczyny"),
    ],
)
async def test_why_a_cancelled_order_was_cancelled_is_noted_for_a_colleague_not_an_option(
    services: Services, told: str, why: str, said: str
) -> None:
    """'my order 3740011 got cancelled' got the fixes for an item out of stock, and 'why?' got
    "Sorry, I'm not quite sure which one you mean": the reason is not seen from here and not
    guessed; the question goes on the case for a colleague to check, and the offer stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(told)
    assert (await d.state())["complaint"]["stage"] == "fix_choice", d.replies[-1]
    await d.send(why)
    reply = " ".join(d.replies[-1])
    assert said in reply and d.of("question_noted"), reply
    assert "not quite sure which" not in reply and "nie do końca rozumiem" not in reply, reply
    assert d.buttons[-1] and (await d.state())["complaint"]["stage"] == "fix_choice"
    assert why in (await d.state())["known"]["description"]


async def test_a_cancelled_order_told_with_its_number_goes_to_a_colleague_who_sees_why(
    services: Services,
) -> None:
    """'мой заказ 3740010 отменили' got 'Понял, заказ 3740010. Чем могу помочь?', and 'почему?'
    then the FAQ on late parcels: the order goes to a colleague who sees it in the system, and
    'почему?' is passed on too."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("мой заказ 3740010 отменили")
    [esc] = d.of("escalated")
    assert esc["reason"] == "order_status" and "3740010" in " ".join(d.replies[-1])
    await d.send("почему?")
    assert not d.of("faq_answered"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "offered", "asked"),
    [
        ("пришла сломанная кружка, заказ 3740007", "фото есть", "Пришлите, пожалуйста, фото"),
        ("my mug arrived broken, order 3740008", "I have a photo", "Please send the photo"),
        ("kubek przyszedł rozbity, zamówienie 3740009", "mam zdjęcie", "Prześlij, proszę, zdj"),
    ],
)
async def test_a_photo_offered_is_asked_for_while_the_options_stand(
    services: Services, problem: str, offered: str, asked: str
) -> None:
    """'фото есть' to the photo asked for got 'Не спешите, я на связи' ('I have a photo' a
    goodbye, the case paused); to the fixes offered, 'not sure which option': the customer
    offers a photo, so they are thanked and asked to send it (or told it is here), and the
    options stand."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(offered)
    reply = " ".join(d.replies[-1])
    assert asked in reply and not d.of("complaint_paused"), reply
    await d.send(photo=True)
    assert (await d.state())["complaint"]["stage"] == "fix_choice", d.replies[-1]
    await d.send(offered)
    reply = " ".join(d.replies[-1])
    assert asked not in reply and d.buttons[-1], reply
    assert "not quite sure" not in reply and "не совсем понял" not in reply, reply
    assert "nie do końca" not in reply, reply
    assert (await d.state())["complaint"]["stage"] == "fix_choice"


@pytest.mark.parametrize(
    "said",
    [
        "ваш оператор на горячей линии мне нахамил",
        "the lady on your hotline was rude to me",
        "wasza konsultantka na infolinii była dla mnie niemiła",
    ],
)
async def test_a_rude_hotline_operator_is_no_order_and_its_number_is_not_asked(
    services: Services, said: str
) -> None:
    """'ваш оператор на горячей линии мне нахамил' was asked for the order number: a call or a
    chat has no order in it, so the staff complaint goes on without one (the rules want only
    what happened, told); a courier who was rude still has an order to name."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert d.of("complaint_opened"), d.replies[-1]
    assert not [e for e in d.of("asked_for") if e["slot"] == "order_ref"], d.replies[-1]
    assert d.of("promised"), d.replies[-1]
    d = Dialogue(services, str(next(_ids)))
    await d.send("the courier was rude to me on the phone")
    assert [e for e in d.of("asked_for") if e["slot"] == "order_ref"], d.replies[-1]


async def test_the_card_says_a_senior_decides_a_compensation_over_the_bots_limit(
    services: Services,
) -> None:
    """'$100 for my wasted time' on top of a replacement is more than the bot may give: the
    customer was told a colleague decides, but the card only said 'asks for an extra
    compensation'; it says who decides. '50% on top' before a fix was chosen read 'instead
    of what the bot arranged (-)': it says what is asked, and who decides."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("my mug arrived broken, order 3740040", photo=True)
    await d.send(button="cmp:opt:replacement")
    await d.send("and I want $100 for my wasted time")
    [escalated] = d.of("escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert "$100" in card and "a senior operator decides it" in card, card
    d = Dialogue(services, str(next(_ids)))
    await d.send("кружка пришла разбитой, заказ 3740041", photo=True)
    await d.send("хочу 50% скидку сверху")
    [escalated] = d.of("escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert "50%" in card and "a senior operator decides it" in card, card
    assert "(-)" not in card, card


@pytest.mark.parametrize(
    ("problem", "offered", "said"),
    [
        (
            "Mój kurier zostawił paczkę pod drzwiami i ktoś ją ukradł, zamówienie 3700701",
            "tak, mam zdjęcie z kamery",
            "zdjęcie",
        ),
        (
            "The courier left my parcel at the door and it was stolen, order 3700702",
            "yes, I have a photo from the camera",
            "photo",
        ),
    ],
)
async def test_a_photo_offered_at_is_that_ok_is_asked_for_and_the_question_stands(
    services: Services, problem: str, offered: str, said: str
) -> None:
    """'tak, mam zdjęcie z kamery' to "is that OK?" after a stolen parcel's promise closed the
    case as solved (the "tak"): a photo offered, asked to be sent here, and the question
    stands; the photo sent then goes on the case."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.now("satisfaction_check"), d.replies[-1]
    await d.send(offered)
    assert not d.now("resolved"), d.replies[-1]
    assert said in " ".join(d.replies[-1]) and d.now("satisfaction_check"), d.replies[-1]
    await d.send("", photo=True)
    assert d.now("details_added") and not d.now("resolved"), d.replies[-1]


async def test_its_late_to_what_happened_with_the_order_opens_the_late_case(
    services: Services,
) -> None:
    """'order N', then "it's late, a week already" to "What happened with it?" (a goodbye to
    the model) got the FAQ's late-order answer asking for the order number just given: the late
    order's case, for that order, its number never asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("order 3700802")
    await d.send("it's late, a week already")
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == "delivery_delay", d.replies[-1]
    assert not d.now("asked_for") and not d.now("faq_answered"), d.replies[-1]
    assert "3700802" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "topic_said", "question", "answer_id"),
    [
        ("у меня вопрос по доставке", "доставк", "сколько идёт в Казань?", "delivery_times"),
        ("mam pytanie odnośnie płatności", "płatno", "czy mogę zapłacić blikiem?", None),
        ("hi, I have a question about returns please", "returns", None, None),
    ],
)
async def test_a_question_about_a_topic_asks_what_about_it_with_its_closest_entries(
    shipped_shop: Services, opening: str, topic_said: str, question: str | None, answer_id
) -> None:
    """'у меня вопрос по доставке' (an unsure status question to the model) got "I didn't
    quite understand", 'mam pytanie odnośnie płatności' the cash-on-delivery answer to a
    question not yet asked: what about the topic is asked, in the customer's language, with
    the topic's closest entries and a person as buttons; nothing is kept as a gap. The
    question that follows is answered."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(opening)
    assert d.now("topic_asked"), d.replies[-1]
    assert not d.now("faq_answered") and not d.now("fallback"), d.replies[-1]
    assert topic_said in " ".join(d.replies[-1]).lower(), d.replies[-1]
    entries = [b for b in d.buttons[-1] if b.startswith("kb:")]
    assert len(entries) == 2 and "topic:human" in d.buttons[-1], d.buttons[-1]
    if question:
        await d.send(question)
        [answered] = d.now("faq_answered")
        assert answer_id is None or answered["answer_id"] == answer_id, d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "wish", "said"),
    [
        (
            "I received the wrong size, ordered M got XL. Order 3750036",
            "can you send the right one?",
            "replace",
        ),
        ("Przyszedł zły rozmiar, zamówienie 3750037", "możecie wysłać właściwy?", "wymian"),
    ],
)
async def test_send_the_right_one_asked_while_the_photo_is_awaited_is_the_fix_wished(
    services: Services, problem: str, wish: str, said: str
) -> None:
    """'can you send the right one?' while the wrong size's photo is awaited got the FAQ's
    topics ("Is your question about one of these?"): the replacement is the fix wished, noted,
    and the photo still asked for; the photo then books it, not offered again."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    await d.send(wish)
    [wished] = d.now("fix_wished")
    assert wished["option"] == "replacement", d.replies[-1]
    assert not d.now("faq_declined") and said in " ".join(d.replies[-1]).lower(), d.replies[-1]
    await d.send("", photo=True)
    [chosen] = d.now("fix_chosen")
    assert chosen["option"] == "replacement", d.replies[-1]


@pytest.mark.parametrize(
    ("answer", "option"),
    [
        ("chcę brakujący kubek", "resend"),
        ("zwrot pieniędzy za brakujący kubek", "refund"),
        ("пришлите недостающую кружку", "resend"),
        ("the missing mug please", "resend"),
    ],
)
async def test_the_missing_thing_wanted_at_the_options_is_sending_it(
    services: Services, answer: str, option: str
) -> None:
    """'chcę brakujący kubek' at "Send the missing item / Refund the money" got "not sure which
    option you mean" (then the options again after "tak, dziękuję"): the missing thing is sent;
    a refund for the missing thing stays the refund."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Zamówienie 3750041 — brakuje jednej rzeczy, zamówiłam 3 kubki, przyszły 2")
    await d.send(answer)
    [chosen] = d.now("fix_chosen")
    assert chosen["option"] == option, d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "paid"),
    [
        ("Hello, I was charged twice for order 3750051", "by card"),
        ("Pobraliście pieniądze dwa razy za zamówienie 3750052", "blikiem"),
    ],
)
async def test_how_they_paid_told_at_is_that_ok_is_kept_on_the_case(
    services: Services, problem: str, paid: str
) -> None:
    """'by card' after a double charge's refund was filed got the FAQ's list of the ways to
    pay: how they paid is kept on the case for the team, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.now("satisfaction_check"), d.replies[-1]
    await d.send(paid)
    assert d.now("details_added") and not d.now("faq_answered"), d.replies[-1]
    assert paid in (await d.state())["known"]["description"]


async def test_how_they_paid_while_the_order_number_is_awaited_is_noted(
    services: Services,
) -> None:
    """'картой' while the order number is awaited got "Не спешите, я на связи": noted on the
    case; 'вчера вечером' (a goodbye to the model at 0.64) paused the case with "Всего
    доброго!": no farewell, the case goes on, and the number books the refund."""
    d = Dialogue(services, str(next(_ids)))
    # (a double charge: "а заказ не оформился" has no number to wait for since session 58)
    await d.send("вы списали деньги дважды за заказ")
    assert d.now("asked_for"), d.replies[-1]
    await d.send("картой")
    said = " ".join(d.replies[-1]).lower()
    assert "спеш" not in said and ("записал" in said or "получил" in said), d.replies[-1]
    assert "картой" in (await d.state())["known"]["description"]
    await d.send("вчера вечером")
    assert not d.now("complaint_paused"), d.replies[-1]
    assert "доброго" not in " ".join(d.replies[-1]), d.replies[-1]
    await d.send("3750053")
    assert d.now("promised"), d.replies[-1]


@pytest.mark.parametrize(
    ("locked", "not_come", "contact"),
    [
        (
            "nie mogę się zalogować na konto",
            "resetowałam hasło, nie przychodzi mail",
            "anna.k@example.pl",
        ),
        ("I can't log in", "the reset email never comes", "my email is john@example.com"),
    ],
)
async def test_a_contact_given_after_the_faq_answer_goes_to_a_colleague(
    shipped_shop: Services, locked: str, not_come: str, contact: str
) -> None:
    """The e-mail alone right after "the reset e-mail doesn't come" was answered ("if it still
    doesn't work, a colleague will help") got "I'm not sure I understood": the question and
    the contact go to a colleague, the contact said back and kept for the card."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(locked)
    await d.send(not_come)
    assert d.now("faq_answered"), d.replies[-1]
    await d.send(contact)
    [escalated] = d.now("escalated")
    assert escalated["reason"] == "faq_not_helpful" and not d.now("fallback"), d.replies[-1]
    address = contact.split()[-1]
    assert address in " ".join(d.replies[-1]), d.replies[-1]
    assert (await d.state())["known"]["contact"] == address


@pytest.mark.parametrize("contact", ["+48 601 234 567", "anna.k@example.pl"])
async def test_a_contact_given_alone_is_noted_and_what_about_is_asked(
    services: Services, contact: str
) -> None:
    """'+48 601 234 567' alone opened a complaint "about service" asking what happened, an
    e-mail alone got "I'm not sure I understood": the contact is noted and said back, what
    it is about asked with the topics; a problem told next is a case with that contact."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(contact)
    assert not d.now("complaint_opened") and not d.now("fallback"), d.replies[-1]
    assert contact in " ".join(d.replies[-1]) and "topic:human" in d.buttons[-1], d.replies[-1]
    await d.send("zamówienie 3750071 nie doszło")
    assert d.now("complaint_opened"), d.replies[-1]
    assert (await d.state())["known"]["contact"] == contact


@pytest.mark.parametrize(
    "told",
    [
        "I ordered a dress 3750072 a week ago and nothing",
        "заказала платье 3750073 неделю назад и до сих пор ничего",
    ],
)
async def test_ordered_a_week_ago_and_nothing_is_a_late_order(
    services: Services, told: str
) -> None:
    """'I ordered a dress N a week ago and nothing' (a wrong item to the model) asked for a
    photo of the problem: nothing has come, a late order for the delivery team."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(told)
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == "delivery_delay", d.replies[-1]
    assert not d.now("asked_for"), d.replies[-1]


@pytest.mark.parametrize(
    ("hello", "prefer", "alphabet"),
    [
        ("Привет", "I prefer English", re.compile(r"[a-z]", re.I)),
        ("Hi", "предпочитаю русский", CYRILLIC_RE),
    ],
)
async def test_a_language_preferred_is_the_one_the_bot_writes_in(
    services: Services, hello: str, prefer: str, alphabet: re.Pattern
) -> None:
    """'I prefer English' after a Russian hello got "I'm only good at shop matters": yes, in
    that language, with the topics."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(hello)
    await d.send(prefer)
    said = " ".join(d.replies[-1])
    assert not d.now("fallback") and alphabet.search(said), d.replies[-1]
    other = CYRILLIC_RE if alphabet is not CYRILLIC_RE else re.compile(r"[a-z]{3}", re.I)
    assert not other.search(said), d.replies[-1]


async def test_what_they_tell_of_the_case_at_is_that_ok_is_kept_when_the_model_is_unsure(
    services: Services,
) -> None:
    """'I returned the shoes on the 20th' after a late refund was marked urgent (an unsure
    complaint to the model) got "Still here, no worries" and the promise again: kept on the
    case for the team; "so when?" still gets where it stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("where's my refund?? order 3750091, you promised 5 days ago")
    assert d.now("satisfaction_check"), d.replies[-1]
    await d.send("I returned the shoes on the 20th")
    assert d.now("details_added"), d.replies[-1]
    assert "20th" in (await d.state())["known"]["description"]
    await d.send("so when?")
    assert not d.now("details_added") and "3750091" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("said", "lang_word"),
    [
        ("уже месяц жду возврат по заказу {n}", "финансов"),
        ("I've been waiting a month for my refund for order {n}", "finance"),
        ("od miesiąca czekam na zwrot pieniędzy za zamówienie {n}", "finansów"),
    ],
)
async def test_a_refund_awaited_for_a_month_is_a_billing_case_whatever_the_number(
    services: Services, said: str, lang_word: str
) -> None:
    """'уже месяц жду возврат по заказу 3760001' was a billing case for one order number and a
    late parcel for the delivery team (or the quality manager) for another: the classifier is
    swayed by digits. A refund still awaited is a refund: filed with finance, for any number."""
    for n in ("3760001", "3760002", "3760048", "3760123", "3760765"):
        d = Dialogue(services, str(next(_ids)))
        await d.send(said.format(n=n))
        [opened] = d.now("complaint_opened")
        assert opened["complaint_type"] == "billing", (n, d.replies[-1])
        assert lang_word in " ".join(d.replies[-1]), (n, d.replies[-1])


@pytest.mark.parametrize(
    "said",
    [
        "мне пришло письмо что заказ отменён",
        "мой заказ отменили, почему?",
        "I got an email that my order was cancelled",
        "dostałam maila, że zamówienie zostało anulowane",
    ],
)
async def test_an_order_the_shop_cancelled_opens_a_case_not_how_to_cancel(
    shipped_shop: Services, said: str
) -> None:
    """'мне пришло письмо что заказ отменён' got the FAQ on how to cancel an order: the shop
    cancelled it, and the customer tells so; the cancelled order's case opens and the order
    number is asked for (and 'как отменить заказ?' still gets the how-to)."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(said)
    assert not d.now("faq_answered"), d.replies[-1]
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == "availability", d.replies[-1]
    assert [a["slot"] for a in d.now("asked_for")] == ["order_ref"], d.replies[-1]
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("как отменить заказ?")
    assert d.now("faq_answered") and not d.now("complaint_opened"), d.replies[-1]


@pytest.mark.parametrize(
    ("said", "ctype"),
    [
        ("kettle came without the lid and it leaks", "damaged_defective"),
        ("czajnik przyszedł bez pokrywki i cieknie", "damaged_defective"),
        ("чайник пришёл без крышки и течёт", "damaged_defective"),
        ("kettle came without the lid", "missing_item"),
        ("czajnik przyszedł bez pokrywki", "missing_item"),
        ("the lamp came without the charger and doesn't turn on", "missing_item"),
    ],
)
async def test_a_part_missing_and_a_leak_is_a_defect(
    services: Services, said: str, ctype: str
) -> None:
    """'kettle came without the lid and it leaks' stayed a missing item (the lid sent, the leak
    forgotten): a failure named beside a missing part is a defect, its photo asked for; the
    lid alone stays a missing part, and so does a charger without which it won't turn on."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    [opened] = d.now("complaint_opened")
    assert opened["complaint_type"] == ctype, d.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "Bardzo mi przykro, ale buty się rozkleiły po tygodniu. Chyba już nie wrócę",
        "Туфли расклеились через неделю, больше к вам не вернусь",
        "The shoes came apart after a week, I won't come back",
    ],
)
async def test_i_wont_come_back_is_a_customer_about_to_leave(services: Services, said: str) -> None:
    """'Bardzo mi przykro, ale buty się rozkleiły po tygodniu. Chyba już nie wrócę' was a plain
    claim (no threat heard): the customer says they will not come back, an angry customer
    about to leave, with the playbook's apology gesture."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    [opened] = d.now("complaint_opened")
    assert opened["customer_kind"] == "angry", d.replies[-1]
    assert d.now("compensation_offered"), d.replies[-1]


@pytest.mark.parametrize(
    ("question", "place", "when", "bye"),
    [
        ("Сколько идёт доставка?", "а в Москву?", "а на выходных?", "До свидания"),
        ("How long does delivery take?", "and to Moscow?", "and on weekends?", "write any time"),
    ],
)
async def test_a_short_follow_up_question_is_never_a_goodbye(
    shipped_shop: Services, question: str, place: str, when: str, bye: str
) -> None:
    """ "а на выходных?" after "а в Москву?" (after the delivery times) got "До свидания!":
    the model read "на выходных" as a weekend's farewell. A short question opening like a
    follow-up ("а ...?", "and ...?") asks about what came before: it is answered as one."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(question)
    await d.send(place)
    await d.send(when)
    said = " ".join(d.replies[-1])
    assert bye not in said.lower() and bye not in said, said
    assert d.now("faq_answered") or d.now("faq_declined"), said
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send("пока!")
    assert "До свидания" in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "photo_text"),
    [
        ("телевизор за 45000 пришёл разбитый, заказ 3790001, верните деньги", "вот фото"),
        ("телевизор за 45 000 пришёл разбитый, заказ 3790002, верните деньги", ""),
        ("телевизор за 45000 руб пришёл разбитый, заказ 3790003, верните деньги", ""),
        ("telewizor za 45 000 zł przyszedł rozbity, zamówienie 3790004, chcę zwrot pieniędzy", ""),
        ("the TV I paid $600 for arrived smashed, order 3790005, I want my money back", ""),
    ],
)
async def test_a_price_after_za_over_the_claims_limit_is_not_refunded_at_once(
    services: Services, opening: str, photo_text: str
) -> None:
    """ "телевизор за 45000 пришёл разбитый, заказ 3790001, верните деньги", then the photo,
    got "Done: I've started a full refund", though claims over the limit (20,000) are a
    person's: "за 45000" was no amount. A colleague approves it now; an iron "за 1500" is
    refunded at once still, and "за 3 дня" is no amount."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(photo_text, photo=True)
    assert [e["reason"] for e in d.of("escalated")] == ["amount_over_limit"], d.replies[-1]
    assert not d.of("promised") and not d.of("goodwill_approved"), d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("утюг за 1500 пришёл разбитый, заказ 3790006, верните деньги")
    await e.send("", photo=True)
    assert e.of("promised") and not e.of("escalated"), e.replies[-1]
    f = Dialogue(services, str(next(_ids)))
    await f.send("телевизор пришёл разбитый за 3 дня до праздника, заказ 3790007")
    assert (await f.state())["known"].get("amount") is None, f.replies[-1]


@pytest.mark.parametrize(
    ("problem", "nudge", "here"),
    [
        ("the lamp arrived broken, order 3790801", "hello? anyone?", "Still here"),
        ("лампа пришла разбитая, заказ 3790802", "алло? есть кто?", "на связи"),
        ("lampa przyszła zniszczona, zamówienie 3790803", "halo? jest ktoś?", "Jestem"),
        ("the lamp arrived broken, order 3790804", "hello? anyone there?", "Still here"),
    ],
)
async def test_two_nudges_at_the_fix_options_get_im_here_and_the_options(
    services: Services, problem: str, nudge: str, here: str
) -> None:
    """ "hello? anyone?" at the fix's options got "Sorry, I'm not quite sure which one you
    mean": a nudge said twice is a nudge; "I'm here", the options again, and one picked then
    is arranged."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem, photo=True)
    await d.send(nudge)
    said = " ".join(d.replies[-1])
    assert here in said and "not quite sure" not in said and "не совсем" not in said, said
    assert len([b for b in d.buttons[-1] if b.startswith("cmp:opt:")]) == 3, d.buttons[-1]
    await d.send(button="cmp:opt:replacement")
    assert d.now("fix_chosen"), d.replies[-1]


@pytest.mark.parametrize(
    ("problem", "chosen", "asked", "within"),
    [
        ("лампа пришла разбитая, заказ 3790811", "возврат", "сколько это займёт?", "10 рабоч"),
        ("the lamp arrived broken, order 3790812", "refund", "how long will it take?", "10 work"),
        ("lampa przyszła zniszczona, zamówienie 3790813", "wymiana", "ile to potrwa?", "5 dni"),
    ],
)
async def test_how_long_at_is_that_ok_gets_the_promise_not_a_noted_question(
    services: Services, problem: str, chosen: str, asked: str, within: str
) -> None:
    """ "сколько это займёт?" after the refund was arranged got "Точного ответа на это у меня
    нет... добавил ваш вопрос", and "ile to potrwa?" "Jestem, nie martw się": the promise's
    time is the answer, told again without "I'm here", and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem, photo=True)
    await d.send(chosen)
    assert d.now("fix_chosen"), d.replies[-1]
    await d.send(asked)
    said = " ".join(d.replies[-1])
    assert within in said and not d.now("question_noted"), said
    assert not re.search(r"на связи|Still here|Jestem", said), said
    assert d.now("satisfaction_check") and not d.now("resolved"), said


@pytest.mark.parametrize(
    ("problem", "told", "noted"),
    [
        ("Kurier był bardzo niegrzeczny, zamówienie 3790901", "krzyczał na mnie", "dodałem"),
        ("the courier was rude, order 3790902", "he shouted at me", "added"),
    ],
)
async def test_more_of_the_story_at_is_that_ok_is_kept_on_the_case(
    services: Services, problem: str, told: str, noted: str
) -> None:
    """'krzyczał na mnie' at "is that OK?" after a rude courier's case was passed on (out of
    scope to the model) got "Jestem, nie martw się" and the promise again, as to "are you
    there?": more of the story, kept on the case for the team, said so; the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(problem)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(told)
    said = " ".join(d.replies[-1])
    assert noted in said and d.now("details_added"), said
    assert not re.search(r"Jestem|Still here", said) and len(d.of("promised")) == 1, said
    assert told in (await d.state())["known"].get("description", "")


@pytest.mark.parametrize(
    ("opening", "late"),
    [
        ("жду заказ уже месяц, номер 3810001", True),
        ("I've been waiting a month for order 3810002", True),
        ("czekam na zamówienie już miesiąc, numer 3810003", True),
        ("жду уже 3 недели", True),
        ("где мой заказ 3810004?", False),
    ],
)
async def test_waiting_a_month_for_the_order_opens_the_late_delivery_case(
    shipped_shop: Services, opening: str, late: bool
) -> None:
    """ "жду заказ уже месяц, номер 3810001" got the FAQ's late-order answer ("пришлите номер
    заказа"), and "жду уже 3 недели" "хочу правильно понять": a wait of weeks told is a late
    delivery, its case opened (thanks, an apology, the logistics fix); "где мой заказ?" stays
    a status question."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(opening)
    opened = [e["complaint_type"] for e in d.of("complaint_opened")]
    if late:
        assert opened == ["delivery_delay"] and not d.of("faq_answered"), d.replies[-1]
        assert not d.of("clarify"), d.replies[-1]
    else:
        assert not opened and d.of("escalated")[0]["reason"] == "order_status", d.replies[-1]


@pytest.mark.parametrize(
    "opening",
    [
        "the TV for 45000 came broken, order 3810011, refund please",
        "the TV for 45,000 came broken, order 3810012, I want my money back",
    ],
)
async def test_a_price_after_for_over_the_claims_limit_is_not_refunded_at_once(
    services: Services, opening: str
) -> None:
    """ "the TV for 45000 came broken, refund please", then the photo, got "Done: I've started
    a full refund", though claims over the limit are a person's: "for 45000" was no amount. A
    colleague approves it now; "a mug for 15" is refunded at once still."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    assert [e["reason"] for e in d.of("escalated")] == ["amount_over_limit"], d.replies[-1]
    assert not d.of("promised"), d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("the mug for 15 came broken, order 3810013, refund please")
    await e.send("", photo=True)
    assert e.of("promised") and not e.of("escalated"), e.replies[-1]


@pytest.mark.parametrize(
    ("opening", "answer", "option"),
    [
        ("Dlaczego moje zamówienie 3810021 zostało anulowane?", "zapłaciłam już", "refund"),
        (
            "Dlaczego moje zamówienie 3810022 zostało anulowane?",
            "chcę je z powrotem",
            "wait_restock",
        ),
        ("My order 3810023 was cancelled, why?", "I already paid", "refund"),
        ("My order 3810024 was cancelled, why?", "I want it back", "wait_restock"),
        ("Почему мой заказ 3810025 отменили?", "я уже оплатила", "refund"),
        ("Почему мой заказ 3810026 отменили?", "хочу его обратно", "wait_restock"),
    ],
)
async def test_already_paid_or_want_it_back_at_a_cancelled_orders_options(
    services: Services, opening: str, answer: str, option: str
) -> None:
    """ "zapłaciłam już" and "chcę je z powrotem" to a cancelled order's options (wait for it,
    a similar item, the money back) got "not sure which option you mean": the money paid is
    its refund, the order wanted back is the item waited for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["availability"]
    await d.send(answer)
    said = " ".join(d.replies[-1])
    assert [e["option"] for e in d.now("fix_chosen")] == [option], said
    assert "not quite sure" not in said and "nie do końca" not in said and "не совсем" not in said


@pytest.mark.parametrize(
    "opening",
    [
        "Товар не соответствует описанию, верните деньги или пойду в суд",
        "Товар не соответствует описанию, верните деньги",
    ],
)
async def test_not_as_described_with_the_money_wished_back_is_a_wrong_item(
    services: Services, opening: str
) -> None:
    """ "Товар не соответствует описанию, верните деньги или пойду в суд" was a billing case:
    the item is not as the shop showed it (a wrong item), the money only wished back; the
    threat of court still brings a senior at once. Money taken wrongly stays a bill."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["wrong_item"], d.replies
    if "суд" in opening:
        assert [e["reason"] for e in d.of("escalated")] == ["legal_threat"], d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("Товар не соответствует описанию, а деньги списали дважды")
    assert [c["complaint_type"] for c in e.of("complaint_opened")] == ["billing"], e.replies


async def test_came_bitiy_with_money_back_in_slang_is_a_damage_case(services: Services) -> None:
    """ "заказ 3810101 пришол битый верните бабки" was a billing case (a refund filed with
    finance, no photo asked): "битый" is damage, "бабки" money, so the damage case asks for
    the photo; "битый час жду ответа" is no damage."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("заказ 3810101 пришол битый верните бабки")
    opened = [e["complaint_type"] for e in d.of("complaint_opened")]
    assert opened == ["damaged_defective"], d.replies[-1]
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"], d.replies[-1]
    e = Dialogue(services, str(next(_ids)))
    await e.send("битый час жду ответа")
    assert "damaged_defective" not in [c["complaint_type"] for c in e.of("complaint_opened")]


@pytest.mark.parametrize(
    ("opening", "why"),
    [
        ("С меня дважды списали 25000 рублей за заказ 3840001", "коллега лично"),
        ("I was charged twice, 30000 rubles, order 3840002", "colleague will decide"),
        ("Pobrano mi dwa razy 25000 zł za zamówienie 3840003", "osobiście konsultant"),
    ],
)
async def test_a_claim_over_the_limit_says_why_a_colleague_decides(
    services: Services, opening: str, why: str
) -> None:
    """A double charge of 25,000 ₽ (over the claims limit, 20,000) went to a person with only
    "I'm connecting you with a colleague": why is said, warmly (a sum like this gets a
    careful look, a colleague decides it personally), before what happens next; so is a sum
    corrected over the limit after the refund was filed (it was the hand-off alone)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    said = " ".join(d.replies[-1])
    assert [e["reason"] for e in d.of("escalated")] == ["amount_over_limit"], said
    assert why in said and not re.search(r"policy|политик|polityk", said), said
    e = Dialogue(services, str(next(_ids)))
    await e.send("С меня дважды списали деньги за заказ 3840004, 2000 рублей")
    assert e.of("promised"), e.replies[-1]
    await e.send("ой, не 2000, а 25000")
    said = " ".join(e.replies[-1])
    assert [x["reason"] for x in e.of("escalated")] == ["amount_over_limit"], said
    assert "коллега лично" in said, said


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        ("Заказ 3840011 опаздывает уже на 3 дня", "а почему так долго?", "Точную причину"),
        ("My order 3840012 is 3 days late", "why so long?", "exact reason"),
        ("Zamówienie 3840013 spóźnia się już 3 dni", "dlaczego tak długo?", "Dokładnej przyczyny"),
        ("Заказ 3840014 опаздывает уже на 3 дня", "сколько ещё?", "24 час"),
        ("My order 3840015 is 3 days late", "how much longer?", "24 hours"),
        ("Zamówienie 3840016 spóźnia się już 3 dni", "ile jeszcze?", "24 godzin"),
    ],
)
async def test_why_so_long_and_how_much_longer_at_is_that_ok_are_answered(
    services: Services, opening: str, asked: str, said: str
) -> None:
    """ "а почему так долго?" at "is that OK?" after a late parcel went to the delivery team
    was "not satisfied" and brought a person, while "dlaczego tak długo?" was explained; "ile
    jeszcze?" got "your question is noted", "how much longer?" the FAQ's delivery times: a why
    is answered (no guess), the time left is the promise's, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.of("escalated") and not d.of("reopened"), reply
    assert not d.now("question_noted") and not d.now("faq_answered"), reply
    assert d.now("satisfaction_check") and not d.now("resolved"), reply


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        ("Заказ 3840021 опаздывает уже на 3 дня", "а компенсация какая-то будет?", "300 баллов"),
        ("My order 3840022 is 3 days late", "do I get anything for the delay?", "300 points"),
        ("Zamówienie 3840023 spóźnia się 3 dni", "dostanę coś za opóźnienie?", "300 punktów"),
        ("Заказ 3840024 опаздывает уже на 3 дня", "ок, а скидку дадите?", "300 баллов"),
        # "do I get anything for it?" got "your question is noted"
        ("My order 3840044 is 3 days late", "do I get anything for it?", "300 points"),
        ("Заказ 3840045 опаздывает уже на 3 дня", "мне что-нибудь за это будет?", "300 баллов"),
        ("Zamówienie 3840046 spóźnia się 3 dni", "a dostanę coś za to?", "300 punktów"),
    ],
)
async def test_a_compensation_asked_for_a_delay_is_the_delays_points(
    services: Services, opening: str, asked: str, said: str
) -> None:
    """ "do I get anything for the delay?" at "is that OK?" after a late parcel went to the
    delivery team got the FAQ (send us the order number...), "а компенсация будет?" a 10%
    coupon: what the shop gives for a delay is the rules' 300 points (the FAQ's promise too),
    said and kept on the case, with no coupon besides."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    offered = [(e["kind"], e["value"]) for e in d.now("compensation_offered")]
    assert said in reply and offered == [("points", 300)], reply
    assert not d.of("faq_answered") and not d.of("escalated"), reply
    assert (await d.state())["complaint"]["rule_compensation"] == "points"


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        ("Заказ опаздывает уже на 3 дня", "а баллы за задержку будут?", "300 баллов"),
        ("My order is 3 days late", "do I get anything for the delay?", "300 points"),
    ],
)
async def test_points_for_a_delay_asked_before_the_order_number_are_confirmed(
    shop: Services, opening: str, asked: str, said: str
) -> None:
    """ "а баллы за задержку будут?" while the late order's number was awaited got the loyalty
    programme's FAQ (3% back on purchases): the delay's 300 points, kept on the case, and the
    order number still awaited."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(opening)
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    offered = [(e["kind"], e["value"]) for e in d.now("compensation_offered")]
    assert said in reply and offered == [("points", 300)], reply
    assert not d.now("faq_answered"), reply
    await d.send("3840025")
    assert d.now("promised"), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        ("I was charged twice for order 3840031, 2000 rubles each time", "refund please", "10"),
        (
            "С меня дважды списали деньги за заказ 3840032, 2000 рублей",
            "верните деньги пожалуйста",
            "10",
        ),
        ("Pobrano mi dwa razy pieniądze za zamówienie 3840033, 200 zł", "proszę o zwrot", "10"),
    ],
)
async def test_the_refund_asked_for_after_it_was_filed_is_what_is_being_done(
    services: Services, opening: str, asked: str, said: str
) -> None:
    """ "refund please" at "is that OK?" after a double charge's refund was filed got "I've
    added that to your case": that is exactly what is being done, the refund filed and when
    it comes, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("promised"), d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert re.search(r"exactly what|Именно это|Właśnie to", reply) and said in reply, reply
    assert not d.now("details_added") and not d.of("escalated"), reply
    assert d.now("satisfaction_check") and not d.now("resolved"), reply


@pytest.mark.parametrize(
    ("opening", "asked", "said"),
    [
        (
            "Заказ 3900041 опаздывает уже на 3 дня",
            "а можно привезти завтра? очень нужно к празднику",
            "в течение 24 часов скажут, успевают ли",
        ),
        (
            "My order 3900042 is late",
            "I need it by Saturday, can you make it?",
            "tell you within 24 hours whether they can make it",
        ),
        (
            "Zamówienie 3900043 się spóźnia",
            "potrzebuję go na sobotę, zdążycie?",
            "w ciągu 24 godzin powie, czy zdąży",
        ),
        ("My order 3900044 is late, I'm really upset", "can you deliver today?", "within 24 hours"),
        (
            "Пришёл разбитый чайник, заказ 3900045",
            "а замену привезут до пятницы?",
            "как можно скорее скажут",
        ),
    ],
)
async def test_a_day_it_is_needed_by_asked_at_is_that_ok_is_kept_for_the_team(
    services: Services, opening: str, asked: str, said: str
) -> None:
    """ "I need it by Saturday, can you make it?", "can you deliver today?" at "is that OK?"
    after a late parcel went to the delivery team got the FAQ's courier time slots (chosen at
    checkout), "your question is noted" or "Still here": the day is kept on the case, and the
    team says by the promise's time whether it makes it (a booked replacement's five days are
    the courier's, not the answer's), and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    if d.of("asked_for"):
        await d.send(photo=True)
        await d.send("замена")
    assert d.of("promised"), d.replies
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert said in reply, reply
    assert d.now("details_added") and not d.of("faq_answered") and not d.of("escalated"), reply
    assert not d.now("resolved"), reply
    state = await d.state()
    assert asked in str(state), "the day is kept on the case"


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        ("Деньги списали, а заказ не оформился!!! 2 раза пыталась оплатить", "финансовый отдел"),
        ("I was charged but the order didn't go through", "finance team"),
        ("Pobrano mi pieniądze, a zamówienie się nie złożyło", "dziale finansów"),
    ],
)
async def test_money_taken_for_an_order_never_made_is_not_asked_its_number(
    services: Services, opening: str, said: str
) -> None:
    """ "Деньги списали, а заказ не оформился" was asked for the order number, which an order
    that never came to be does not have: the refund request goes to finance at once, thanked
    and apologised for; a double charge for a placed order still asks its number."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    reply = " ".join(d.replies[-1])
    assert not d.of("asked_for") and said in reply, reply
    assert THANKS.search(reply) and SORRY.search(reply), reply
    assert d.now("satisfaction_check"), reply
    other = Dialogue(services, str(next(_ids)))
    await other.send("С меня списали деньги дважды за заказ")
    assert [e["slot"] for e in other.of("asked_for")] == ["order_ref"], other.replies


@pytest.mark.parametrize(
    ("opening", "team"),
    [
        (
            "The courier left my parcel at the door and now it's gone. Order 3900091",
            "delivery team",
        ),
        ("Курьер оставил посылку у двери, и она пропала. Заказ 3900092", "службе доставки"),
        ("Kurier zostawił paczkę pod drzwiami i zniknęła. Zamówienie 3900093", "zespołowi dostaw"),
    ],
)
async def test_a_parcel_left_at_the_door_and_gone_goes_to_the_delivery_team(
    services: Services, opening: str, team: str
) -> None:
    """ "The courier left my parcel at the door and now it's gone" was a complaint about the
    courier's manners, passed to the customer care manager (48 hours): the parcel is lost,
    the delivery team's to find or replace."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["delivery_delay"]
    assert team in " ".join(d.replies[-1]), d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "no_photo", "fix"),
    [
        ("Пришла не та модель телефона, заказ № 3900121", "фото не могу, телефон один", "Вернуть"),
        ("Przyszedł zły model, zamówienie 3900122", "zdjęcia nie dam rady zrobić", "Zwrot"),
    ],
)
async def test_a_photo_said_to_be_impossible_object_first_is_not_asked_again(
    services: Services, opening: str, no_photo: str, fix: str
) -> None:
    """ "фото не могу, телефон один" (the photo named before "can't") got "Спасибо, записал",
    and the refund chosen next waited for the photo: the case goes on without it, the fixes
    offered at once."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert [e["slot"] for e in d.of("asked_for")] == ["photo"]
    await d.send(no_photo)
    reply = " ".join(d.replies[-1])
    assert fix in reply, reply
    assert not d.of("asked_for")[1:], d.replies


async def test_how_an_item_was_sent_back_told_at_is_that_ok_is_kept_on_the_case(
    services: Services,
) -> None:
    """ "I sent it via the pickup point on Nov 10" after a late refund's request (an unsure
    order status to the model) got "Still here, no worries" and the promise again: it is
    told, kept on the case for the team, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("I returned the item 3 weeks ago and still no refund. Order 3900123")
    assert d.of("promised"), d.replies
    await d.send("I sent it via the pickup point on Nov 10")
    assert d.now("details_added"), d.replies[-1]
    assert "Still here" not in " ".join(d.replies[-1])
    assert "Nov 10" in str(await d.state())


@pytest.mark.parametrize(
    ("opening", "told"),
    [
        (
            "Добрый день. В заказе 3900141 не хватает одного товара, заказывала 3 футболки, пришло 2",
            "да, посылка была целая",
        ),
        ("hey my order #3900142 arrived but the box was empty!!", "yes completely empty"),
    ],
)
async def test_a_yes_that_tells_more_at_the_fixes_is_noted_not_unclear(
    services: Services, opening: str, told: str
) -> None:
    """ "да, посылка была целая", "yes completely empty" to the fixes offered (a yes to nothing
    asked) got "not sure which one you mean": more of the problem, noted on the case, and the
    offer again, with no "unclear" counted; a bare "ok good" is still asked which one."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert "cmp:opt:refund" in d.buttons[-1], d.replies
    await d.send(told)
    reply = " ".join(d.replies[-1])
    assert not re.search(r"not quite sure|не совсем понял", reply), reply
    assert "cmp:opt:refund" in d.buttons[-1], reply
    assert told in str(await d.state())
    other = Dialogue(services, str(next(_ids)))
    await other.send("hey my order #3900143 arrived but the box was empty!!")
    await other.send("ok good")
    assert "not quite sure" in " ".join(other.replies[-1]), other.replies[-1]


@pytest.mark.parametrize(
    ("opening", "story"),
    [
        ("Хочу пожаловаться на оператора", "он мне нагрубил и бросил трубку"),
        ("I want to complain about your operator", "he was rude and hung up"),
        ("Chcę złożyć skargę na konsultanta", "był niegrzeczny i się rozłączył"),
    ],
)
async def test_a_rude_operator_told_in_two_messages_is_not_asked_for_an_order(
    services: Services, opening: str, story: str
) -> None:
    """ "Хочу пожаловаться на оператора", then (to "what happened?") "он мне нагрубил и бросил
    трубку" was asked for an order number a phone call does not have: the staff case is passed
    to the quality manager with its promise, nothing asked."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("clarify"), d.replies[-1]
    await d.send(story)
    reply = " ".join(d.replies[-1])
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["staff_behavior"], reply
    assert not d.of("asked_for") and d.now("promised"), reply
    assert re.search(r"48", reply), reply


async def test_a_rude_courier_told_in_two_messages_is_still_asked_for_the_order(
    services: Services,
) -> None:
    """The courier met with an order: its number helps, and is asked for."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Хочу пожаловаться на курьера")
    await d.send("он мне нагрубил и бросил трубку")
    assert [e["slot"] for e in d.now("asked_for")] == ["order_ref"], d.replies[-1]


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        ("Хочу пожаловаться", "всё"),
        ("Хочу пожаловаться", "всё, больше ничего"),
        ("I want to make a complaint", "that's all"),
        ("Chcę złożyć reklamację", "to wszystko"),
    ],
)
async def test_that_is_all_to_what_happened_is_asked_once_more(
    shop: Services, opening: str, said: str
) -> None:
    """ "всё" to "what happened?" got "До свидания!" (or an FAQ answer on missing items) with
    nothing told: asked once more, kindly; the story told next opens the case."""
    d = Dialogue(shop, str(next(_ids)))
    await d.send(opening)
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert re.search(r"что случилось|what happened|co się stało", reply, re.I), reply
    assert not re.search(r"До свидания|Bye|Do widzenia", reply), reply
    assert not d.now("faq_answered"), reply
    await d.send(
        "Посылка опаздывает на неделю" if CYRILLIC_RE.search(said) else "my parcel is a week late"
    )
    assert d.now("complaint_opened"), d.replies[-1]


async def test_that_is_all_said_twice_to_what_happened_is_a_goodbye(services: Services) -> None:
    """Asked once more, "всё" again is a goodbye."""
    d = Dialogue(services, str(next(_ids)))
    await d.send("Хочу пожаловаться")
    await d.send("всё")
    await d.send("всё")
    assert not d.now("clarify") and not d.of("complaint_opened"), d.replies[-1]


@pytest.mark.parametrize(
    "said",
    [
        "Нашла дешевле в другом магазине",
        "Нашла дешевле в другом магазине, заказ 3860001",
        "I found it cheaper elsewhere",
        "I found it cheaper elsewhere, order 3860002",
        "Znalazłam taniej gdzie indziej",
        "Znalazłam taniej gdzie indziej, zamówienie 3860003",
    ],
)
async def test_found_it_cheaper_elsewhere_is_the_shops_answer_on_prices(
    shipped_shop: Services, said: str
) -> None:
    """ "Нашла дешевле в другом магазине" got "Жаль, что что-то пошло не так. Что случилось?"
    (with an order number, a refund filed with finance): a remark on the price, answered by
    the shop's price entry, with no apology and no case."""
    d = Dialogue(shipped_shop, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert [e["answer_id"] for e in d.of("faq_answered")] == ["price_change"], reply
    assert not d.of("complaint_opened") and not d.of("clarify"), reply
    assert not SORRY.search(reply), reply


@pytest.mark.parametrize(
    ("ask", "said"),
    [("Позовите оператора", "Я здесь"), ("I want to talk to a human", "I'm here")],
)
async def test_commands_while_a_colleague_is_awaited_say_where_it_stands(
    services: Services, ask: str, said: str
) -> None:
    """ "/close" tapped while a colleague was awaited got "passed this on as well" (a command
    as a detail for them), and "/start" then got no word at all: each says where it stands,
    a colleague has the case and answers here."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(ask)
    assert d.of("escalated"), d.replies[-1]
    for command in ("/close", "/start", "/help", "/foo"):
        await d.send(command)
        reply = " ".join(d.replies[-1])
        assert said in reply, (command, reply)
        assert not re.search(r"passed this on|передал и это|przekazałem", reply), reply


@pytest.mark.parametrize(
    ("opening", "command", "said"),
    [
        (None, "/close", "Такой команды у меня нет"),
        ("hi", "/menu", "There's no such command here"),
        ("Хочу пожаловаться", "/close", "что случилось"),
        ("I want to make a complaint", "/start", "what happened"),
    ],
)
async def test_a_customers_unknown_command_says_what_they_can_do(
    services: Services, opening: str | None, command: str, said: str
) -> None:
    """ "/close" with nothing open got "Кажется, я не совсем понял. Переформулируйте" (and to
    "what happened?" the same): there is no such command, just write in your own words (or,
    asked what happened, asked again kindly)."""
    d = Dialogue(services, str(next(_ids)))
    if opening:
        await d.send(opening)
    await d.send(command)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.now("fallback"), reply


@pytest.mark.parametrize(
    "said",
    [
        "заказ 3860010 пришел пустой",
        "order 3860011 arrived empty",
        "zamowienie 3860012 przyszlo puste",
    ],
)
async def test_an_order_that_came_empty_is_a_missing_item(services: Services, said: str) -> None:
    """ "заказ 3860010 пришел пустой" (a late parcel to the model) was passed to the delivery
    team "within 24 hours": what was bought did not come, a missing-item case (send it, or
    the money back)."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    assert [e["complaint_type"] for e in d.of("complaint_opened")] == ["missing_item"], d.replies
    assert not d.of("promised"), d.replies[-1]


@pytest.mark.parametrize("said", ["задолбали со своей доставкой", "задолбали уже"])
async def test_fed_up_with_nothing_told_is_asked_what_happened(
    services: Services, said: str
) -> None:
    """ "задолбали со своей доставкой" got "Кажется, я не совсем понял. Переформулируйте": an
    outburst; thanks, sorry, and what happened."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(said)
    reply = " ".join(d.replies[-1])
    assert "Что случилось" in reply and not d.of("fallback"), reply
    assert [e["reason"] for e in d.of("clarify")] == ["outburst"], reply


@pytest.mark.parametrize(
    ("opening", "fix", "how_long", "why", "faster", "said_why", "said_faster"),
    [
        (
            "телевизор за 45000 пришёл разбитый, номер 3890001",
            "вернуть деньги",
            "а долго ждать?",
            "почему человек?",
            "а быстрее нельзя?",
            "такую сумму коллега решает лично",
            "хочется побыстрее",
        ),
        (
            "the TV I paid 45000 for arrived smashed, order 3890002",
            "refund",
            "how long until someone answers?",
            "why a person?",
            "can you do it faster?",
            "A claim of this size is decided by a colleague personally",
            "you'd like this sooner",
        ),
        (
            "telewizor za 45000 przyszedł rozbity, zamówienie 3890003",
            "zwrot pieniędzy",
            "długo mam czekać?",
            "czemu człowiek?",
            "a szybciej się nie da?",
            "O reklamacji na taką kwotę konsultant decyduje osobiście",
            "chcesz szybciej",
        ),
    ],
)
async def test_the_wait_for_a_colleague_over_the_claims_limit_is_explained(
    services: Services,
    opening: str,
    fix: str,
    how_long: str,
    why: str,
    faster: str,
    said_why: str,
    said_faster: str,
) -> None:
    """A claim over the limit handed to a colleague: "а долго ждать?" got the FAQ's delivery
    times ("długo mam czekać?" "passed this on as well"), "почему человек?" "sorry for the
    wait", "a szybciej się nie da?" nothing at all: the wait for the colleague, why a colleague
    decides sums like this, and what the colleague does and when."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    await d.send(fix)
    assert [e["reason"] for e in d.of("escalated")] == ["amount_over_limit"], d.replies[-1]
    await d.send(how_long)
    reply = " ".join(d.replies[-1])
    assert re.search(r"у коллеги|colleague already has|u konsultanta", reply), reply
    assert not d.now("faq_answered"), reply
    await d.send(why)
    reply = " ".join(d.replies[-1])
    assert said_why in reply and not re.search(r"ожидани|for the wait|czekać", reply), reply
    await d.send(faster)
    reply = " ".join(d.replies[-1])
    assert said_faster in reply and not d.now("question_noted"), reply
    assert not d.now("escalated"), reply


@pytest.mark.parametrize(
    ("opening", "asked"),
    [
        ("курьер нахамил мне, заказ 3890011", "его уволят?"),
        ("the courier was rude to me, order 3890012", "will he be fired?"),
        ("kurier był niegrzeczny, zamówienie 3890013", "czy go zwolnią?"),
    ],
)
async def test_whether_the_rude_employee_is_fired_is_answered_honestly(
    services: Services, opening: str, asked: str
) -> None:
    """ "will he be fired?" at "is that OK?" after a rude courier's case went to the customer
    care manager got "Still here, no worries" ("czy go zwolnią?" "your question is noted"): no
    promise about the person, the complaint looked into properly, where it stands, and the
    question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert re.search(r"сотрудника|the employee|pracownika", reply), reply
    assert not re.search(r"на связи|Still here|Jestem", reply), reply
    assert d.now("satisfaction_check") and not d.now("question_noted"), reply
    assert not d.of("resolved") and not d.of("escalated"), reply


@pytest.mark.parametrize(
    ("opening", "yes", "comment"),
    [
        ("мой заказ 3890021 опаздывает уже на неделю", "да", "потому что её до сих пор нет!"),
        ("my order 3890022 is a week late", "yes", "because it still hasn't arrived!"),
        ("moje zamówienie 3890023 spóźnia się już tydzień", "tak", "bo nadal jej nie ma!"),
        ("moje zamówienie 3890025 spóźnia się już tydzień", "tak", "dalej jej nie mam"),
    ],
)
async def test_a_low_ratings_comment_saying_it_is_not_solved_brings_a_person(
    services: Services, opening: str, yes: str, comment: str
) -> None:
    """ "bo nadal jej nie ma!" to "what went wrong?" after a 1 for a late parcel's case the
    customer had called solved got "I've passed it on to the team" only: not solved after all,
    the case open again and a colleague takes it; a plain comment stays a comment."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send(yes)
    assert d.of("resolved"), d.replies[-1]
    await d.send("1")
    await d.send(comment)
    reply = " ".join(d.replies[-1])
    assert d.now("survey_comment") and d.now("reopened"), reply
    assert [e["reason"] for e in d.now("escalated")] == ["fix_not_helped"], reply
    state = await d.state()
    assert state["complaint"]["satisfied"] is False and "survey" not in state, reply
    e = Dialogue(services, str(next(_ids)))
    await e.send("my order 3890024 is a week late")
    await e.send("yes")
    await e.send("2")
    await e.send("the courier was slow and nobody answered my emails")
    assert e.now("survey_comment") and not e.of("escalated"), e.replies[-1]


@pytest.mark.parametrize(
    ("opening", "fix", "asked", "said"),
    [
        ("пылесос сломался через неделю, заказ 3890031", "ремонт", "а долго ждать?", "5 рабочих"),
        (
            "the vacuum broke after a week, order 3890032",
            "repair",
            "will it take long?",
            "5 working",
        ),
        ("odkurzacz zepsuł się po tygodniu, zamówienie 3890033", "naprawa", "długo?", "5 dni"),
    ],
)
async def test_whether_the_fix_takes_long_is_the_fixs_own_time(
    services: Services, opening: str, fix: str, asked: str, said: str
) -> None:
    """ "а долго ждать?", "will it take long?", "długo?" at "is that OK?" after a warranty
    repair was booked got the FAQ's delivery times (Moscow 1-2 days...): the repair's own
    time, what was promised, and the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    await d.send("", photo=True)
    await d.send(fix)
    assert d.of("fix_chosen") and d.of("satisfaction_check"), d.replies[-1]
    await d.send(asked)
    reply = " ".join(d.replies[-1])
    assert said in reply and not d.now("faq_answered"), reply
    assert d.now("satisfaction_check") and not d.of("resolved"), reply


@pytest.mark.parametrize(
    ("opening", "doubt", "said"),
    [
        ("с меня дважды списали за заказ 3890041", "точно?", "в течение 10 рабочих дней"),
        ("order 3890042 is late", "that's it?", "within 24 hours"),
        ("zamówienie 3890043 się spóźnia", "na pewno?", "w ciągu 24 godzin"),
    ],
)
async def test_a_doubt_at_is_that_ok_is_no_yes(
    services: Services, opening: str, doubt: str, said: str
) -> None:
    """ "точно?", "that's it?", "na pewno?" at "is that OK?" were read as a yes: the case
    closed as solved and the rating asked. A doubt: where it stands (no "Still here"), and
    the question stands."""
    d = Dialogue(services, str(next(_ids)))
    await d.send(opening)
    assert d.of("satisfaction_check"), d.replies[-1]
    await d.send(doubt)
    reply = " ".join(d.replies[-1])
    assert said in reply and not re.search(r"на связи|Still here|Jestem", reply), reply
    assert d.now("satisfaction_check") and not d.of("resolved"), reply
    assert "survey" not in await d.state(), reply
