"""The FAQ flow inside the real conversation engine, on a real SQLite database."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db import create_engine, create_sessionmaker, upgrade_database
from bot.dialogs.engine import ConversationEngine
from bot.dialogs.types import Incoming, Outcome
from bot.services import Services
from knowledge import service as service_mod
from knowledge.flow import FaqFlow, entry_title, is_not_helpful
from knowledge.formats import Entry, dump_yaml, load_file
from knowledge.models import UnansweredQuestion
from knowledge.service import KnowledgeService

DEMO = Path(__file__).resolve().parents[1] / "knowledge" / "demo"
IDS = ("delivery_cost", "returns_procedure", "return_period", "payment_methods", "gift_cards")
_msg = itertools.count(1)


@dataclass
class _Prediction:
    intent: str
    lang: str
    intent_confidence: float = 0.9
    complaint_type: str | None = None
    emotion: str = "calm"
    threat: str = "none"
    order_ref: str | None = None
    amount: float | None = None
    currency: str | None = None


class _RuleClassifier:
    """Used only while the shipped classifier (bot.nlu.load_classifier) is not available."""

    def predict_one(self, text: str) -> _Prediction:
        from bot.nlu.lang import detect_lang

        low = text.lower()
        if low.strip(" .!") in {"нет", "no", "nie", "не то"} or is_not_helpful(text, None):
            intent = "deny"
        elif any(w in low for w in ("погода", "weather", "анекдот", "joke")):
            intent = "out_of_scope"
        elif low.startswith(("привет", "hello", "hi")) and len(low.split()) < 3:
            intent = "greeting"
        else:
            intent = "faq"
        return _Prediction(intent=intent, lang=detect_lang(text))


@pytest.fixture(scope="session")
def faq_classifier():  # type: ignore[no-untyped-def]
    try:
        from bot.nlu import load_classifier

        return load_classifier()
    except Exception:  # noqa: BLE001 - the shipped model is not built yet: use the rules
        return _RuleClassifier()


def without_polish(entry: Entry) -> Entry:
    """``entry`` with its Russian and English questions and answers only: a topic a Polish
    customer has no answer for in Polish, whatever the demo shop has by now."""
    langs = entry.langs_for_questions()
    return Entry(
        id=entry.id,
        questions=[q for q, lang in zip(entry.questions, langs, strict=True) if lang != "pl"],
        answers={lang: text for lang, text in entry.answers.items() if lang != "pl"},
        tags=list(entry.tags),
    )


@pytest.fixture(scope="session")
def kb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five demo entries, the gift cards in Russian and English only, and a Russian-only one."""
    entries = [
        without_polish(e) if e.id == "gift_cards" else e
        for e in load_file(DEMO / "shop.yaml")
        if e.id in IDS
    ]
    entries.append(
        Entry(
            id="gift_wrapping_ru",
            questions=["Можно упаковать заказ в подарочную упаковку?"],
            answers={"ru": "Да, подарочная упаковка стоит 199 ₽."},
        )
    )
    path = tmp_path_factory.mktemp("kbflow") / "kb.yaml"
    path.write_text(dump_yaml(entries), encoding="utf-8")
    return path


@pytest.fixture
async def bot(
    db_url: str, kb_file: Path, faq_classifier, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SimpleNamespace]:  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    await upgrade_database(engine)
    sessionmaker = create_sessionmaker(engine)
    settings = Settings(_env_file=None, database_url=db_url, default_language="ru")  # type: ignore[call-arg]
    knowledge = KnowledgeService(
        settings,
        sessionmaker=sessionmaker,
        cache_dir=tmp_path_factory.getbasetemp() / "kbflow-cache",
    )
    async with sessionmaker() as session:
        await knowledge.import_file(session, kb_file)
    conv = ConversationEngine(faq_classifier, settings, flows=[FaqFlow(knowledge)], seed=0)
    yield SimpleNamespace(engine=conv, sessionmaker=sessionmaker, knowledge=knowledge)
    await knowledge.flush()
    await engine.dispose()


async def say(bot: SimpleNamespace, user: str, text: str | None = None, **kw) -> Outcome:  # type: ignore[no-untyped-def]
    incoming = Incoming(
        external_user_id=user, text=text, chat_id=int(user), message_id=next(_msg), **kw
    )
    async with bot.sessionmaker() as session:
        outcome = await bot.engine.handle(session, incoming)
        await session.commit()
    return outcome


def events(outcome: Outcome, kind: str) -> list[dict]:
    return [e for e in outcome.events if e["type"] == kind]


def buttons(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.buttons for b in row]


async def test_answers_in_the_customers_language(bot: SimpleNamespace) -> None:
    entries = {e.id: e for e in load_file(DEMO / "shop.yaml")}
    ru = await say(bot, "201", "Сколько стоит доставка курьером?")
    [answered] = events(ru, "faq_answered")
    assert answered["answer_id"] == "delivery_cost" and answered["score"] >= 0.5
    assert ru.replies[0].text == entries["delivery_cost"].answers["ru"]
    assert "faq:nothelp:delivery_cost" in buttons(ru)

    en = await say(bot, "202", "How much do you charge for shipping?")
    assert events(en, "faq_answered")[0]["answer_id"] == "delivery_cost"
    assert en.replies[0].text == entries["delivery_cost"].answers["en"]

    # an English question about a Russian-only entry: found, answered in Russian
    wrap = await say(bot, "203", "Can you pack my order in gift wrapping?")
    [ev] = events(wrap, "faq_answered")
    assert ev["answer_id"] == "gift_wrapping_ru" and ev["lang"] == "ru"


# a question next to a topic that the KB does not answer (a franchise programme is closer
# to the off-topic chatter than to any of these six entries: declined without topics)
UNSURE_Q = "Do you deliver on Sundays?"


async def test_not_confident_offers_topics_and_a_person(bot: SimpleNamespace) -> None:
    out = await say(bot, "210", UNSURE_Q)
    assert not events(out, "faq_answered")
    [declined] = events(out, "faq_declined")
    assert declined["candidates"]
    data = buttons(out)
    assert data[-1] == "topic:human"
    assert 1 <= sum(d.startswith("kb:") for d in data) <= 2
    async with bot.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert [r.text for r in rows] == [UNSURE_Q]
    assert rows[0].conversation_id == out.conversation_id

    choice = next(d for d in data if d.startswith("kb:"))
    pressed = await say(bot, "210", callback_data=choice)
    assert events(pressed, "faq_answered")[0]["answer_id"] == choice[3:]
    async with bot.sessionmaker() as session:
        row = await session.get(UnansweredQuestion, rows[0].id)
        assert row is not None and row.entry_id == choice[3:]  # the customer's pick, for admins


async def test_topic_buttons_in_a_language_the_customer_reads(bot: SimpleNamespace) -> None:
    """A Polish customer is offered topics with no Polish question: their captions are the
    English questions (the language their answer comes in), not Russian ones."""
    # (not "Czy macie kartę lojalnościową dla studentów?": "karta" makes it close enough
    # to the gift cards that the K = 6 re-ranker answers it, at 0.64; a known confusion)
    out = await say(bot, "215", "Czy są kupony rabatowe dla stałych klientów?")
    assert events(out, "faq_declined")
    captions = {b.data: b.text for r in out.replies for row in r.buttons for b in row}
    assert captions.get("kb:gift_cards") == "Do you sell gift cards?"
    assert captions["topic:human"] == "Rozmowa z człowiekiem"


async def test_a_question_the_kb_cannot_answer_next_to_one_it_can(bot: SimpleNamespace) -> None:
    """Two questions in one message, the KB knows one: the answer, then an honest "no ready
    answer" to the other with a person offered, and that question recorded for the admins
    (it was dropped without a word)."""
    text = "Сколько стоит доставка? И есть ли скидка для студентов?"
    out = await say(bot, "216", text)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    assert len(out.replies) == 2
    assert "есть ли скидка для студентов?" in out.replies[1].text
    assert "готового ответа" in out.replies[1].text
    assert buttons(out)[-1] == "topic:human"
    assert events(out, "faq_declined")
    async with bot.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert [r.text for r in rows] == ["есть ли скидка для студентов?"]
    # "didn't help" still belongs to the answer given
    nxt = await say(bot, "216", "не помогло")
    assert events(nxt, "faq_not_helpful")[0]["answer_id"] == "delivery_cost"


async def test_didnt_help_under_the_first_of_two_answers(bot: SimpleNamespace) -> None:
    """Two answers in one turn, each with its "Didn't help": the first one's button is about
    the first question, not the next guess for the second (it gave the next returns answer
    for a delivery price that did not help)."""
    out = await say(bot, "217", "Сколько стоит доставка курьером? И как вернуть товар?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [
        "delivery_cost",
        "returns_procedure",
    ]
    first = out.replies[0].buttons[0][0].data
    assert first != out.replies[1].buttons[0][0].data
    pressed = await say(bot, "217", callback_data=first)
    assert events(pressed, "faq_not_helpful")[0]["answer_id"] == "delivery_cost"
    tried = [e["answer_id"] for e in events(pressed, "faq_answered")]
    assert "return_period" not in tried and "delivery_cost" not in tried
    for escalated in events(pressed, "escalated"):
        assert "Question: Сколько стоит доставка курьером?" in escalated["card"]


async def test_didnt_help_gives_next_candidate_then_a_person(bot: SimpleNamespace) -> None:
    first = await say(bot, "220", "Как вернуть товар, который не подошёл?")
    answered = events(first, "faq_answered")[0]["answer_id"]
    assert answered in ("returns_procedure", "return_period")
    second = await say(bot, "220", "не помогло")
    assert events(second, "faq_not_helpful")
    nxt = events(second, "faq_answered")
    assert nxt and nxt[0]["answer_id"] != answered and nxt[0]["via"] == "next_candidate"
    # a second "didn't help" (here the button): a person, not the third-best guess
    third = await say(bot, "220", callback_data="faq:nothelp")
    assert not events(third, "faq_answered")
    assert events(third, "faq_not_helpful")
    [escalated] = events(third, "escalated")
    assert escalated["reason"] == "faq_not_helpful"
    # the operator sees the question on the card itself, not only in the transcript
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert "Question: Как вернуть товар, который не подошёл?" in card
    assert "Bot tried: answered with" in card


@pytest.mark.parametrize(
    ("user", "question", "missed"),
    [
        ("226", "Jak śledzić zamówienie?", "nadal nie to"),
        ("227", "Jak zwrócić towar?", "wciąż nie to"),
        ("228", "How do I return an item?", "still not it"),
    ],
)
async def test_didnt_help_in_other_words_is_not_a_complaint(
    bot: SimpleNamespace, user: str, question: str, missed: str
) -> None:
    """'Jak śledzić zamówienie?', 'to nie to' (the next answer), then 'nadal nie to' got
    'Dziękuję za wiadomość ... Bardzo mi przykro ... czy możesz przesłać numer zamówienia i
    zdjęcie problemu?': a complaint opened, a photo asked, for an answer that missed.
    'Nadal nie to', 'wciąż nie to', 'still not it' say the answer did not help."""
    await say(bot, user, question)
    out = await say(bot, user, missed)
    assert events(out, "faq_not_helpful"), [r.text for r in out.replies]
    assert not events(out, "complaint_opened") and not events(out, "asked_for")


async def test_an_old_topic_button_then_a_person(bot: SimpleNamespace) -> None:
    """A topic button from an earlier question (its score is not in the flow's memory any
    more), then "didn't help": the customer is handed to a person, the card says what the
    bot tried (it crashed formatting the button's missing score)."""
    pressed = await say(bot, "225", callback_data="kb:gift_cards")
    assert events(pressed, "faq_answered")[0]["answer_id"] == "gift_cards"
    out = await say(bot, "225", callback_data="faq:nothelp")
    [escalated] = events(out, "escalated")
    assert escalated["reason"] == "faq_not_helpful"
    assert "answered with 'gift_cards'" in escalated["card"]


async def test_off_topic_is_left_to_the_engine(bot: SimpleNamespace) -> None:
    out = await say(bot, "230", "какая погода завтра в Москве?")
    assert not events(out, "faq_answered")
    assert not any(d.startswith("kb:") for d in buttons(out))


def test_not_helpful_lexicon() -> None:
    for text in (
        "не помогло",
        "Это не то",
        "didn't help",
        "that doesn't help at all",
        "Nie pomogło",
        "nadal nie to",
        "still not it",
        "that's not it either",
    ):
        assert is_not_helpful(text, None), text
    assert is_not_helpful("нет", "deny")
    assert not is_not_helpful("спасибо, помогло!", "thanks")
    # about what was delivered, not about the answer: a complaint, never "the next answer"
    for text in (
        "мне прислали не то, что я заказывал",
        "that's not what I ordered",
        "to nie to, co zamówiłam",
    ):
        assert not is_not_helpful(text, "deny"), text
    # not about the answer: nobody is responsible, a person who may not answer
    for text in ("nikt nie jest odpowiedzialny", "if a human doesn't answer in 5 minutes"):
        assert not is_not_helpful(text, None), text
    # an opinion told, no question missed
    for text in (
        "нет, просто хотел сказать",
        "no, just wanted to let you know",
        "nie, chciałem tylko powiedzieć",
    ):
        assert not is_not_helpful(text, "deny"), text


def test_what_asks_a_question() -> None:
    from bot.dialogs.requests import asks_question

    for text in (
        "Пришла куртка с дыркой, как её вернуть",
        "куртка порвалась, а какая у вас гарантия",
        "Zepsute, jak to zwrócić",
        "- как вернуть деньги",
        "Broken after a week. How do I get it repaired",
        "сколько ждать",
    ):
        assert asks_question(text), text
    for text in (
        "Курьер опоздал на три часа, можно было хотя бы предупредить",
        "Пришла куртка с дыркой, когда открыла коробку",
    ):
        assert not asks_question(text), text


class _Scripted:
    """Fixed predictions per text: the routing between flows, whatever the model says."""

    def __init__(self, table: dict[str, _Prediction]) -> None:
        self.table = table

    def predict_one(self, text: str) -> _Prediction:
        self.last = self.table[text]
        return self.last

    def predict(self, texts: list[str]) -> list[_Prediction]:  # clauses of the last message
        return [self.table.get(t, self.last) for t in texts]


@pytest.fixture
async def routed(bot: SimpleNamespace) -> AsyncIterator[SimpleNamespace]:
    from bot.dialogs.complaint import ComplaintFlow
    from bot.dialogs.handoff import HandoffFlow
    from bot.dialogs.orders import OrderStatusFlow

    table: dict[str, _Prediction] = {}
    engine = ConversationEngine(
        _Scripted(table),
        bot.engine.settings,
        flows=[OrderStatusFlow(), ComplaintFlow(), HandoffFlow(), FaqFlow(bot.knowledge)],
        seed=0,
    )
    yield SimpleNamespace(engine=engine, sessionmaker=bot.sessionmaker, table=table)


# a question told as a story, that the KB answers surely (confidence 0.93 with the session 17
# re-ranker; "Как вернуть товар, который не подошёл?" after the story fell from 0.91 to 0.82,
# under the 0.85 bar for answering next to a case); "...на прошлой неделе, мужу не идёт..."
# is answered at 0.20, under the 0.7 floor of these routes
RETURN_Q = "Купила мужу куртку, не подошла. Как оформить возврат вещи, которая не подошла?"


@pytest.mark.parametrize(
    ("confidence", "emotion", "ctype", "route"),
    [
        # an unsure "complaint" told calmly about nothing that broke: a policy question
        (0.7, "calm", "other", "answered"),
        # ... whatever type or confidence the classifier gives it, when the KB is very sure
        # (0.9997) and the words name nothing gone wrong
        (0.7, "calm", "damaged_defective", "answered"),
        (0.97, "calm", "other", "answered"),
        # the customer is upset: the playbook (thanks, apology, details), and the KB's sure
        # answer to their question after it
        (0.7, "upset", "other", "case_and_answer"),
        (0.7, "angry", "other", "case"),  # anger is a complaint whatever the wording
    ],
)
async def test_an_unsure_complaint_that_the_kb_answers(
    routed: SimpleNamespace, confidence: float, emotion: str, ctype: str, route: str
) -> None:
    routed.table[RETURN_Q] = _Prediction(
        "complaint", "ru", confidence, complaint_type=ctype, emotion=emotion
    )
    out = await say(routed, f"24{int(confidence * 10)}{len(emotion)}{len(ctype)}", RETURN_Q)
    answers = events(out, "faq_answered")
    if route == "answered":
        [ev] = answers
        assert ev["answer_id"] in ("returns_procedure", "return_period")
        assert ev["via"] == ("unsure" if ctype == "other" and confidence < 0.9 else "question")
        assert not events(out, "complaint_opened") and not events(out, "clarify")
        [not_opened] = events(out, "complaint_not_opened")
        assert not_opened["complaint_type"] == ctype  # still counted for the reports
    elif route == "case_and_answer":
        assert events(out, "complaint_opened")
        [ev] = answers
        assert ev["answer_id"] in ("returns_procedure", "return_period")
        assert ev["via"] == "with_complaint"
        texts = [r.text for r in out.replies]
        assert texts.index(next(t for t in texts if "Спасибо" in t)) == 0  # thanks come first
    else:
        assert not answers
        assert events(out, "complaint_opened")


@pytest.mark.parametrize(
    ("text", "lang", "ctype", "answer_id"),
    [
        # read as complaints (the shipped classifier took "а в Минск отправляете? у меня там
        # сестра живёт" for a late delivery at 0.89): calm questions that name nothing gone
        # wrong, which the KB answers surely
        (
            "а сколько у вас стоит доставка? хочу отправить сестре в Казань",
            "ru",
            "delivery_delay",
            "delivery_cost",
        ),
        (
            "bought a lamp for my sister last week, how many days do I have to return it?",
            "en",
            "other",
            "return_period",
        ),
    ],
)
async def test_a_calm_question_read_as_a_complaint_gets_the_answer_not_a_case(
    routed: SimpleNamespace, text: str, lang: str, ctype: str, answer_id: str
) -> None:
    routed.table[text] = _Prediction("complaint", lang, 0.92, complaint_type=ctype)
    out = await say(routed, f"262{len(lang)}{len(answer_id)}", text)
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == answer_id and ev["via"] == "question"
    assert not events(out, "complaint_opened")
    assert not any("жаль" in r.text or "sorry" in r.text.lower() for r in out.replies)


@pytest.mark.parametrize(
    ("text", "lang", "prediction"),
    [
        # a wrong item received, asked as a question: the playbook, however sure the KB is
        (
            "Dzień dobry, zamiast kołdry 200x220 dostałam 160x200. Czy mogę wymienić?",
            "pl",
            {"complaint_type": "wrong_item"},
        ),
        # a defect told, and a question: the playbook
        (
            "Пришла куртка с дыркой на рукаве. Как оформить возврат?",
            "ru",
            {"complaint_type": "damaged_defective"},
        ),
        # waiting told as a question: the playbook
        (
            "Сколько можно ждать посылку? Обещали в понедельник",
            "ru",
            {"complaint_type": "delivery_delay"},
        ),
        # a question that names something late: the playbook
        (
            "а в Минск отправляете? посылка сестре идёт уже третью неделю",
            "ru",
            {"complaint_type": "delivery_delay"},
        ),
        # an upset customer asking the same question: the playbook, the answer after it
        (
            "а в Минск отправляете? у меня там сестра живёт",
            "ru",
            {"complaint_type": "delivery_delay", "emotion": "upset"},
        ),
    ],
)
async def test_a_question_with_something_gone_wrong_stays_a_complaint(
    routed: SimpleNamespace, text: str, lang: str, prediction: dict
) -> None:
    routed.table[text] = _Prediction("complaint", lang, 0.92, **prediction)
    out = await say(routed, f"263{len(text)}", text)
    assert events(out, "complaint_opened")
    assert not events(out, "complaint_not_opened")


async def test_how_long_to_wait_is_a_late_parcel_not_a_broken_one(routed: SimpleNamespace) -> None:
    # "сколько" began like "скол" (a chip): the late parcel became a damaged one, and the
    # customer was asked for a photo of the problem
    text = "Сколько ещё ждать посылку? Обещали в понедельник"
    routed.table[text] = _Prediction("complaint", "ru", 0.95, complaint_type="delivery_delay")
    out = await say(routed, "264", text)
    [opened] = events(out, "complaint_opened")
    assert opened["complaint_type"] == "delivery_delay"
    assert "photo" not in {e.get("slot") for e in events(out, "asked_for")}


async def test_an_unsure_complaint_after_an_order_number_is_a_case(
    routed: SimpleNamespace,
) -> None:
    # the order number came first: what follows is about that order, not a policy question
    routed.table["Здравствуйте, мой заказ 12345678"] = _Prediction(
        "greeting", "ru", 0.95, order_ref="12345678"
    )
    await say(routed, "255", "Здравствуйте, мой заказ 12345678")
    routed.table[RETURN_Q] = _Prediction("complaint", "ru", 0.7, complaint_type="other")
    out = await say(routed, "255", RETURN_Q)
    assert events(out, "complaint_opened")
    assert "order_ref" not in {e.get("slot") for e in events(out, "asked_for")}  # not re-asked


async def test_didnt_help_read_as_a_complaint_gives_the_next_answer(
    routed: SimpleNamespace,
) -> None:
    routed.table["Как вернуть товар?"] = _Prediction("faq", "ru", 0.95)
    first = await say(routed, "256", "Как вернуть товар?")
    [given] = events(first, "faq_answered")
    text = "это не то, мне нужно вернуть куртку"
    routed.table[text] = _Prediction("complaint", "ru", 0.8, complaint_type="other")
    out = await say(routed, "256", text)
    assert not events(out, "complaint_opened")
    assert events(out, "faq_not_helpful")
    [nxt] = events(out, "faq_answered")
    assert nxt["answer_id"] != given["answer_id"] and nxt["via"] == "next_candidate"


async def test_an_unsure_complaint_the_kb_does_not_know_stays_a_complaint(
    routed: SimpleNamespace,
) -> None:
    text = "Курьер был груб и бросил коробку у двери"
    routed.table[text] = _Prediction("complaint", "ru", 0.7, complaint_type="staff_behavior")
    out = await say(routed, "250", text)
    assert not events(out, "faq_answered")
    assert events(out, "complaint_opened")


async def test_an_unsure_classifier_still_lets_the_kb_answer(routed: SimpleNamespace) -> None:
    # its best guess is "faq" but below the engine's bar: the knowledge base is asked
    routed.table["Сколько стоит доставка курьером?"] = _Prediction("faq", "ru", 0.4)
    out = await say(routed, "260", "Сколько стоит доставка курьером?")
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"
    # any other unsure guess: only a sure answer, else the engine's "not understood"
    routed.table["How much do you charge for shipping?"] = _Prediction("complaint", "en", 0.3)
    out = await say(routed, "261", "How much do you charge for shipping?")
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"
    routed.table["ну такое себе"] = _Prediction("complaint", "ru", 0.3)
    out = await say(routed, "262", "ну такое себе")
    assert not events(out, "faq_answered") and not events(out, "faq_declined")
    assert events(out, "fallback")


async def _ask(routed: SimpleNamespace, user: str, text: str, pred: _Prediction) -> Outcome:
    routed.table[text] = pred
    return await say(routed, user, text)


async def test_a_follow_up_is_answered_with_the_question_it_follows(
    routed: SimpleNamespace,
) -> None:
    first = await _ask(routed, "270", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    assert events(first, "faq_answered")[0]["answer_id"] == "delivery_cost"
    # alone, "а если заказ больше 5000?" is about changing an order; after the delivery
    # price it is about free delivery, which that same answer holds
    out = await _ask(routed, "270", "а если заказ больше 5000?", _Prediction("faq", "ru", 0.65))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "delivery_cost" and ev["via"] == "follow_up"
    assert out.replies[0].text == "Вот всё, что у меня есть об этом:"  # said, not re-sent mutely
    assert "бесплатно от 3000" in out.replies[1].text


async def test_a_follow_up_read_as_order_status_gets_the_faq_answer(
    routed: SimpleNamespace,
) -> None:
    await _ask(routed, "271", "Как оформить возврат платья?", _Prediction("faq", "ru"))
    # (an order-status reading gives way to an entry the follow-up itself names: "а до
    # какого числа можно?" names none, and the fine-tuned e5 no longer says it does)
    text = "а какой срок возврата?"
    out = await _ask(routed, "271", text, _Prediction("order_status", "ru", 0.73))
    assert events(out, "faq_answered")[0]["answer_id"] == "return_period"
    assert not events(out, "asked_for")  # no order number asked for a policy question
    # a new customer asking it whole: the KB is sure alone, so the answer, and the offer
    # to check a placed order ("а до какого числа можно?" alone says nothing of returns)
    text = "до какого числа можно вернуть?"
    out = await _ask(routed, "272", text, _Prediction("order_status", "ru", 0.73))
    assert events(out, "faq_answered")[0]["via"] == "order_status"
    assert events(out, "order_check_offered")


async def test_didnt_help_after_a_follow_up_does_not_give_the_first_answer_again(
    routed: SimpleNamespace,
) -> None:
    """An answer, a follow-up answered by another entry, "didn't help": the next guess is not
    the first answer, which the customer read two messages ago ("Perhaps this is what you
    need:" and the returns procedure again)."""
    await _ask(routed, "279", "Как оформить возврат платья?", _Prediction("faq", "ru"))
    out = await _ask(routed, "279", "а до какого числа можно?", _Prediction("faq", "ru", 0.73))
    assert events(out, "faq_answered")[0]["answer_id"] == "return_period"
    out = await _ask(routed, "279", "не помогло", _Prediction("deny", "ru", 0.9))
    assert events(out, "faq_not_helpful")
    given = [e["answer_id"] for e in events(out, "faq_answered")]
    assert "returns_procedure" not in given and "return_period" not in given


async def test_what_a_follow_up_does_not_take(routed: SimpleNamespace) -> None:
    await _ask(routed, "273", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    # a clear question of its own keeps its own answer
    out = await _ask(routed, "273", "а подарочные карты у вас есть?", _Prediction("faq", "ru"))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["gift_cards"]
    assert "Вот всё" not in out.replies[0].text
    # an order number: the order's status, not the delivery price again
    text = "а заказ 12345678 где?"
    pred = _Prediction("order_status", "ru", 0.95, order_ref="12345678")
    out = await _ask(routed, "273", text, pred)
    assert not events(out, "faq_answered")
    # chatter stays chatter
    await _ask(routed, "274", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    out = await _ask(
        routed, "274", "а погода завтра какая?", _Prediction("out_of_scope", "ru", 0.97)
    )
    assert not events(out, "faq_answered")


def test_follow_up_shapes() -> None:
    from knowledge.flow import is_follow_up

    for text in (
        "а в Польшу?",
        "and by courier?",
        "a kartą?",
        "what about weekends?",
        "а наушники?",
        "how much does it cost?",  # "it": the thing the question before named
        "сколько по времени это займёт?",
        "jak długo to trwa?",
        "Czy to jest darmowe?",
    ):
        assert is_follow_up(text), text
    for text in (
        "Co to jest BLIK?",
        "Сколько стоит доставка курьером по Москве?",
        "I bought a jacket and it does not fit me, how do I return it?",
        "Czy mogę zapłacić kartą przy odbiorze zamówienia?",
    ):
        assert not is_follow_up(text), text


async def test_a_follow_up_thread_and_its_limits(routed: SimpleNamespace) -> None:
    user = "275"
    await _ask(routed, user, "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    first = await _ask(routed, user, "а если заказ больше 5000?", _Prediction("faq", "ru", 0.6))
    assert first.replies[0].text == "Вот всё, что у меня есть об этом:"
    # the same answer is not sent a third time: the bot points to it and offers a person
    again = await _ask(routed, user, "а если больше 10000?", _Prediction("faq", "ru", 0.6))
    assert not events(again, "faq_answered") and events(again, "faq_repeated")
    assert "в ответе выше" in again.replies[0].text
    assert "topic:human" in buttons(again)
    # the thread is joined to its first question, not to every follow-up: the operator sees
    # the first question and the last message
    out = await _ask(routed, user, "не помогло", _Prediction("deny", "ru", 0.9))
    [escalated] = events(out, "escalated")  # (this small KB has no next candidate)
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert "Question: Сколько стоит доставка курьером? а если больше 10000?" in card


async def test_a_question_about_it_is_about_what_was_asked_before(
    routed: SimpleNamespace,
) -> None:
    # "how much does it cost?" alone is the delivery price; after the gift wrapping it asks
    # the gift wrapping's price, which that answer holds
    wrap = "Можно упаковать заказ в подарочную упаковку?"
    await _ask(routed, "2820", wrap, _Prediction("faq", "ru"))
    out = await _ask(routed, "2820", "сколько это стоит?", _Prediction("faq", "ru", 0.9))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["gift_wrapping_ru"]
    assert "199 ₽" in out.replies[-1].text
    await _ask(routed, "2830", "Do you sell gift cards?", _Prediction("faq", "en"))
    out = await _ask(routed, "2830", "how much does it cost?", _Prediction("faq", "en", 0.9))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["gift_cards"]
    # a new customer asking the same words gets the delivery price
    out = await _ask(routed, "2840", "how much does it cost?", _Prediction("faq", "en", 0.9))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]


async def test_an_order_status_after_an_answer_stays_an_order_status(
    routed: SimpleNamespace,
) -> None:
    await _ask(routed, "276", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    out = await _ask(routed, "276", "а когда привезут?", _Prediction("order_status", "ru", 0.99))
    assert not events(out, "faq_answered")  # not the delivery price again
    assert events(out, "asked_for")[0]["slot"] == "order_ref"


async def test_not_what_i_ordered_after_an_answer_is_a_complaint(routed: SimpleNamespace) -> None:
    await _ask(routed, "277", "Как вернуть товар?", _Prediction("faq", "ru", 0.95))
    text = "это не то, что я заказывал"
    pred = _Prediction("complaint", "ru", 0.8, complaint_type="wrong_item", emotion="upset")
    out = await _ask(routed, "277", text, pred)
    assert events(out, "complaint_opened")
    assert not events(out, "faq_not_helpful")


async def test_thanks_or_a_complaint_after_an_answer_is_no_follow_up(
    routed: SimpleNamespace,
) -> None:
    await _ask(routed, "278", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    out = await _ask(routed, "278", "а, спасибо", _Prediction("thanks", "ru", 0.4))
    assert not events(out, "faq_answered")
    pred = _Prediction("out_of_scope", "ru", 0.5, emotion="upset")
    out = await _ask(routed, "278", "а курьер нахамил", pred)
    assert not events(out, "faq_answered")


async def test_a_polish_follow_up(routed: SimpleNamespace) -> None:
    # (the re-ranker is unsure of "…za zamówienie?" in this 6-entry KB: "Chcę oddać
    # zamówienie" is a returns variant; the follow-up is what is tested here)
    first = await _ask(routed, "279", "Jak mogę zapłacić za zakupy?", _Prediction("faq", "pl"))
    assert events(first, "faq_answered")[0]["answer_id"] == "payment_methods"
    out = await _ask(routed, "279", "a Google Pay?", _Prediction("faq", "pl", 0.5))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "payment_methods" and ev["lang"] == "pl"
    assert out.replies[0].text == "Oto wszystko, co mam na ten temat:"


async def test_a_general_question_read_as_order_status_gets_the_answer(
    routed: SimpleNamespace,
) -> None:
    # no order of the customer's is named: the KB's sure answer, and an offer to check a
    # placed order
    out = await _ask(routed, "280", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "delivery_cost" and ev["via"] == "order_status"
    assert events(out, "order_check_offered") and not events(out, "asked_for")
    assert "уже оформленный заказ" in out.replies[-1].text
    assert not events(out, "escalated")
    # the number sent next is that order: a person checks it (a bare number reads as anything)
    out = await _ask(routed, "280", "12345678", _Prediction("complaint", "ru", 0.5))
    assert "12345678" in out.replies[0].text
    assert [e["reason"] for e in events(out, "escalated")] == ["order_status"]
    # "thanks" after the answer is no order to pass on
    await _ask(routed, "281", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    out = await _ask(routed, "281", "спасибо", _Prediction("thanks", "ru", 0.95))
    assert not events(out, "escalated")


GENERAL_Q = "Сколько стоит доставка курьером по Москве?"


async def test_yes_to_the_offer_waits_for_the_number_and_no_closes_it(
    routed: SimpleNamespace,
) -> None:
    await _ask(routed, "284", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    out = await _ask(routed, "284", "ок, сейчас найду", _Prediction("affirm", "ru", 0.9))
    assert events(out, "asked_for")[0]["slot"] == "order_ref" and not events(out, "escalated")
    out = await _ask(routed, "284", "12345678", _Prediction("complaint", "ru", 0.98))
    assert not events(out, "complaint_opened")  # the number asked for, not a complaint
    assert [e["reason"] for e in events(out, "escalated")] == ["order_status"]
    # "no" answers the offer: not "that answer didn't help"
    await _ask(routed, "285", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    out = await _ask(routed, "285", "нет", _Prediction("deny", "ru", 0.95))
    assert not events(out, "faq_not_helpful") and not events(out, "faq_answered")
    assert out.replies[0].text == "Хорошо. Если появятся вопросы, пишите."


async def test_after_the_offer_a_complaint_stays_a_complaint_and_later_numbers_are_no_order(
    routed: SimpleNamespace,
) -> None:
    await _ask(routed, "286", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    text = "12345678 пришла разбитая"
    pred = _Prediction("complaint", "ru", 0.99, complaint_type="damaged_defective", emotion="upset")
    out = await _ask(routed, "286", text, pred)
    assert events(out, "complaint_opened") and not events(out, "escalated")
    # the offer holds for one message: a number said later is not taken for an order
    await _ask(routed, "287", GENERAL_Q, _Prediction("order_status", "ru", 0.8))
    await _ask(routed, "287", "спасибо", _Prediction("thanks", "ru", 0.95))
    await _ask(routed, "287", "а оплата 15000 частями возможна?", _Prediction("faq", "ru", 0.9))
    out = await _ask(routed, "287", "где мой заказ?", _Prediction("order_status", "ru", 0.99))
    assert events(out, "asked_for")[0]["slot"] == "order_ref" and not events(out, "escalated")


def test_what_names_a_placed_order() -> None:
    from knowledge.flow import about_placed_order

    for text in (
        "ну что там с моим заказом",
        "is my stuff out for delivery today",
        "Сделала заказ в пятницу, когда доставят?",
        "Не получила посылку, когда привезут?",
        "You sent the parcel on Monday, when will it arrive?",
        "Zamówiliśmy sofę, kiedy przyjedzie?",
        "Paczka jeszcze nie doszła, kiedy będzie?",
        "хочу узнать, когда будет доставка заказа от 12 марта",
        "moge prosic o info gdzie jest paczka z zam. 7712? dzieki",
        "доставка по заказу 55123 когда?",
    ):
        assert about_placed_order(text), text
    for text in (
        "через сколько дней приедет посылка в Самару?",
        "the item is sold out, when will it be back?",
        "если закажу сегодня утром по москве то когда привезут",
        "Сколько стоит доставка при заказе от 3000 рублей?",
        "Ile kosztuje wysłanie paczki do Niemiec?",
        "Доставка для посудомоечной машины и мойки сколько стоит?",
        "when will my parcel arrive if I order today?",  # not placed yet
        "Jeśli zamówię dziś, kiedy dotrze moja paczka?",
    ):
        assert not about_placed_order(text), text


@pytest.mark.parametrize(
    "text",
    [
        "мой заказ с доставкой курьером когда привезут?",  # the customer's own order
        "Заказала вчера доставку курьером, когда привезут?",  # placed
        "доставка курьером по заказу 5512300 когда?",  # a number
        "где заказ??",  # too short to be a general question
    ],
)
async def test_a_placed_order_read_as_order_status_gets_the_number_asked(
    routed: SimpleNamespace, text: str
) -> None:
    out = await _ask(routed, "283", text, _Prediction("order_status", "ru", 0.9))
    assert not events(out, "faq_answered")
    assert events(out, "asked_for") or events(out, "escalated")


@pytest.mark.parametrize(
    ("confidence", "ctype", "route"),
    [
        (0.6, "other", "clarify"),  # unsure, calm, nothing went wrong: "what happened?" first
        (0.6, "damaged_defective", "case"),  # something broke: the playbook at once
        (0.8, "other", "case"),  # sure enough
        (0.5, "damaged_defective", "clarify"),  # below the bar for any complaint
    ],
)
async def test_how_sure_a_complaint_must_be_to_open_a_case(
    routed: SimpleNamespace, confidence: float, ctype: str, route: str
) -> None:
    text = "Да ничего, просто проверяю, работает ли бот)"
    pred = _Prediction("complaint", "ru", confidence, complaint_type=ctype)
    out = await _ask(routed, f"29{int(confidence * 10)}{len(ctype)}", text, pred)
    if route == "clarify":
        assert events(out, "clarify") and not events(out, "complaint_opened")
    else:
        assert events(out, "complaint_opened") and not events(out, "clarify")


async def test_an_unsure_complaint_asking_for_a_person_gets_one(routed: SimpleNamespace) -> None:
    text = "Ваш бот бесполезный. Третий раз пишу. Дайте живого человека, пожалуйста."
    pred = _Prediction("complaint", "ru", 0.5, complaint_type="service_quality", emotion="upset")
    out = await _ask(routed, "298", text, pred)
    [escalated] = events(out, "escalated")
    assert not events(out, "clarify")
    assert escalated["reason"] == "customer_request"
    assert out.replies[0].text.startswith("Спасибо")  # the playbook's thanks come first


async def test_a_complaint_the_model_hardly_believes_gets_the_sure_answer(
    routed: SimpleNamespace,
) -> None:
    # 0.5 "defect", calm, no detail: the knowledge base's sure answer, not "what happened?"
    pred = _Prediction("complaint", "ru", 0.5, complaint_type="damaged_defective")
    out = await _ask(routed, "299", RETURN_Q, pred)
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] in ("returns_procedure", "return_period") and ev["via"] == "unsure"
    assert not events(out, "clarify") and not events(out, "complaint_opened")
    # told upset it is asked what happened, as before
    pred = _Prediction("complaint", "ru", 0.5, complaint_type="damaged_defective", emotion="upset")
    out = await _ask(routed, "300", RETURN_Q, pred)
    assert events(out, "clarify") and not events(out, "faq_answered")


async def test_the_answer_to_what_happened_opens_the_case(routed: SimpleNamespace) -> None:
    first = "Да ничего, просто проверяю, работает ли бот)"
    out = await _ask(
        routed, "301", first, _Prediction("complaint", "ru", 0.6, complaint_type="other")
    )
    assert events(out, "clarify")
    # asked what happened, what they say is the problem: the case, not a policy answer instead
    pred = _Prediction("complaint", "ru", 0.7, complaint_type="other")
    out = await _ask(routed, "301", RETURN_Q, pred)
    assert events(out, "complaint_opened")
    assert all(e["via"] == "with_complaint" for e in events(out, "faq_answered"))
    # only the very next message: later, an unsure calm question gets the KB's answer again
    out = await _ask(
        routed, "303", first, _Prediction("complaint", "ru", 0.6, complaint_type="other")
    )
    await _ask(routed, "303", "спасибо", _Prediction("thanks", "ru", 0.95))
    out = await _ask(routed, "303", RETURN_Q, pred)
    assert events(out, "faq_answered")[0]["via"] == "unsure"
    assert not events(out, "complaint_opened")


async def test_a_threat_in_reply_to_the_order_number_question_goes_to_a_senior(
    routed: SimpleNamespace,
) -> None:
    out = await _ask(routed, "302", "где мой заказ?", _Prediction("order_status", "ru", 0.99))
    assert events(out, "asked_for")
    pred = _Prediction("order_status", "ru", 0.8, threat="legal", order_ref="12345678")
    out = await _ask(routed, "302", "12345678, и я подаю в суд", pred)
    [escalated] = events(out, "escalated")
    assert escalated["reason"] == "legal_threat" and escalated["priority"] == "high"


async def _a_topic_button_and_another_process(
    bot: SimpleNamespace, user: str
) -> tuple[str, str, KnowledgeService]:
    """A declined question's first topic button (its callback data and entry id), and a
    second knowledge service on the same database, as another process would be."""
    out = await say(bot, user, UNSURE_Q)
    choice = next(d for d in buttons(out) if d.startswith("kb:"))
    other = KnowledgeService(
        bot.knowledge.settings, sessionmaker=bot.sessionmaker, cache_dir=bot.knowledge.cache_dir
    )
    return choice, choice[3:], other


async def test_topic_button_after_entry_deleted_elsewhere_is_not_answered(
    bot: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`supportbot kb import --replace` or another bot process deletes the entry a topic
    button points at: the button says it expired (it served the deleted entry)."""
    choice, entry_id, other = await _a_topic_button_and_another_process(bot, "610")
    async with bot.sessionmaker() as s:
        assert await other.delete(s, entry_id, actor="cli")
    monkeypatch.setattr(service_mod, "FRESH_SECONDS", 0.0)  # as if minutes passed
    pressed = await say(bot, "610", callback_data=choice)
    assert not events(pressed, "faq_answered"), "a deleted entry was answered"


async def test_topic_button_after_entry_edited_elsewhere_gives_new_answer(
    bot: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry edited by another process: its topic button gives the new answer (it gave
    the old one until the next search)."""
    choice, entry_id, other = await _a_topic_button_and_another_process(bot, "611")
    async with bot.sessionmaker() as s:
        old = await other.get(s, entry_id)
        assert old is not None
        new = Entry(old.id, old.questions, {k: "NEW ANSWER " + k for k in old.answers}, old.tags)
        assert await other.save(s, new, actor="cli") == "update"
    monkeypatch.setattr(service_mod, "FRESH_SECONDS", 0.0)  # as if minutes passed
    pressed = await say(bot, "611", callback_data=choice)
    assert events(pressed, "faq_answered")
    assert pressed.replies[0].text.startswith("NEW ANSWER"), pressed.replies[0].text


async def test_an_answer_the_bot_must_not_say_brings_the_promised_person(
    bot: SimpleNamespace,
) -> None:
    """An FAQ answer with a phrase the bot must never say was replaced by "Давайте я подключу
    коллегу", and no colleague was called: a promise nobody kept. The chat now goes to a
    person with the question, and the admins are told at import which answer it was."""
    from bot.db.models import Ticket

    entry = Entry(
        id="engraving_ru",
        questions=["Можно сделать гравировку на кружке?"],
        answers={"ru": "К сожалению, с гравировкой мы ничем не можем помочь."},
    )
    async with bot.sessionmaker() as session:
        report = await bot.knowledge.import_entries(session, [entry], actor="test")
        await session.commit()
    assert any("engraving_ru" in w and "не можем помочь" in w for w in report.warnings)
    out = await say(bot, "240", "Можно сделать гравировку на кружке?")
    said = " ".join(r.text for r in out.replies)
    assert "не можем помочь" not in said and "Давайте я подключу коллегу" not in said, said
    assert events(out, "guard_blocked") and events(out, "escalated"), out.events
    async with bot.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.reason == "reply_blocked"


async def test_the_card_says_which_answer_the_customer_said_did_not_help(
    bot: SimpleNamespace,
) -> None:
    # "не помогло", another answer, then "a person, please": the operator sees on the card
    # which answer failed, not two answers that look equally fine
    first = await say(bot, "231", "Как вернуть товар, который не подошёл?")
    answered = events(first, "faq_answered")[0]["answer_id"]
    second = await say(bot, "231", "не помогло")
    other = events(second, "faq_answered")[0]["answer_id"]
    third = await say(bot, "231", "позовите человека")
    card = events(third, "escalated")[0]["card"].split("\n\nTranscript:")[0]
    tried = next(line for line in card.splitlines() if line.startswith("Bot tried:"))
    failed, last = tried.split(";")
    assert answered in failed and "did not help" in failed
    assert other in last and "did not help" not in last


@pytest.mark.parametrize(
    ("user", "question", "done", "lang", "said"),
    [
        ("290", "How much do you charge for shipping?", "no thanks, that's all", "en", "anything"),
        ("291", "Ile kosztuje dostawa?", "nie, dzięki, to wszystko", "pl", "napisz"),
        ("292", "Сколько стоит доставка курьером?", "нет, спасибо, это всё", "ru", "пишите"),
    ],
)
async def test_no_thanks_after_an_answer_is_no_didnt_help(
    routed: SimpleNamespace, user: str, question: str, done: str, lang: str, said: str
) -> None:
    """ "No thanks, that's all" after an answer was read as "didn't help": the next-best
    answer or a colleague called in ("Sorry I couldn't help..."). The customer is done: the
    bot says they can write any time, and nobody is called."""
    await _ask(routed, user, question, _Prediction("faq", lang))
    out = await _ask(routed, user, done, _Prediction("deny", lang, 0.93))
    assert not events(out, "faq_not_helpful") and not events(out, "faq_answered")
    assert not events(out, "escalated")
    [reply] = out.replies
    assert said in reply.text, reply.text
    # the answer is closed: a "no" later is no "didn't help" either
    out = await _ask(routed, user, "no", _Prediction("deny", lang, 0.9))
    assert not events(out, "faq_not_helpful") and not events(out, "escalated")


async def test_didnt_help_says_the_colleague_once(routed: SimpleNamespace) -> None:
    """ "Didn't help" with nothing else to try (or said twice): the bot said "I'm passing your question to a colleague, who will
    reply here." and, right under it, "I'm connecting you with a colleague. They already see
    everything..."; the colleague is now announced once, then only when they will answer."""
    from datetime import UTC, datetime, timedelta

    noon = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, a working day
    turns = [
        ("How much do you charge for shipping?", _Prediction("faq", "en")),
        ("didn't help", _Prediction("deny", "en")),  # (this small KB has no next candidate)
    ]
    for i, (text, pred) in enumerate(turns):
        routed.table[text] = pred
        incoming = Incoming(external_user_id="293", text=text, chat_id=293, message_id=next(_msg))
        async with routed.sessionmaker() as session:
            out = await routed.engine.handle(session, incoming, now=noon + timedelta(minutes=i))
            await session.commit()
    assert events(out, "escalated")
    said = [r.text for r in out.replies]
    assert sum("colleague" in t for t in said) == 1, said
    assert "30 minutes" in said[-1], said


@pytest.mark.parametrize(
    ("user", "question", "nope", "lang"),
    [
        ("294", "Do you have a franchise programme for new cities?", "didn't help", "en"),
        ("295", "Czy macie program franczyzowy dla nowych miast?", "nie pomogło", "pl"),
        ("296", "Do you have a franchise programme for new cities?", "no", "en"),
    ],
)
async def test_didnt_help_after_the_topics_offered_brings_a_person(
    routed: SimpleNamespace, user: str, question: str, nope: str, lang: str
) -> None:
    """The bot did not know, offered two topics and a person ("If not, ... I'll bring in a
    colleague"); "didn't help" / "nie pomogło" / "no" got "Understood. What would you like to
    do instead?". Neither topic is it: the question goes to a colleague."""
    first = await _ask(routed, user, question, _Prediction("faq", lang))
    assert events(first, "faq_declined")
    out = await _ask(routed, user, nope, _Prediction("deny", lang, 0.95))
    [escalated] = events(out, "escalated")
    assert escalated["reason"] == "faq_not_helpful"
    assert f"Question: {question}" in escalated["card"]
    assert not events(out, "faq_answered")


async def test_a_question_handed_to_a_person_is_what_the_cards_summary_says(
    routed: SimpleNamespace,
) -> None:
    """A question the KB could not answer, then "I want to talk to a person": the card's
    summary read "Customer needs help (a question (FAQ)); no order number yet." (the question
    only in the transcript) and listed the closest topics in no order ("delivery_regions
    0.00, pickup_points 0.16"). It says what was asked, and the closest topic first."""
    question = "Do you have a franchise programme for new cities?"
    first = await _ask(routed, "360", question, _Prediction("faq", "en"))
    assert events(first, "faq_declined")
    out = await _ask(
        routed, "360", "I want to talk to a person", _Prediction("request_human", "en")
    )
    [escalated] = events(out, "escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert f"Question: {question}" in card, card
    summary = card.split("Summary:")[1]
    assert question in summary and "no order number" not in summary, summary
    closest = card.split("closest: ")[1].split(")")[0]
    scores = [float(c.rsplit(" ", 1)[1]) for c in closest.split(", ")]
    assert scores == sorted(scores, reverse=True), closest


async def test_a_rephrased_question_after_the_topics_offered_is_searched(
    routed: SimpleNamespace,
) -> None:
    """ "No, I mean ..." after the topics: the customer put it in other words, as asked."""
    await _ask(routed, "297", "Do you have a franchise programme?", _Prediction("faq", "en"))
    text = "no, I mean how much is delivery to Poland"
    out = await _ask(routed, "297", text, _Prediction("faq", "en", 0.8))
    assert not events(out, "escalated")
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"


async def test_an_answer_in_another_language_says_so(routed: SimpleNamespace) -> None:
    """A Polish customer asking about an entry with no Polish answer got the English text
    without a word, as if the bot had switched language; the answer now opens with a line in
    the customer's language saying it is only in English (or Russian) for now."""
    out = await _ask(routed, "298", "Czy macie karty podarunkowe?", _Prediction("faq", "pl"))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "gift_cards" and ev["lang"] == "en"
    [reply] = out.replies
    first, _, rest = reply.text.partition("\n")
    assert first == "Tę odpowiedź mam na razie tylko po angielsku:", reply.text
    assert rest.startswith("Electronic gift cards")
    wrap = "Can you pack my order in gift wrapping?"
    out = await _ask(routed, "299", wrap, _Prediction("faq", "en"))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "gift_wrapping_ru" and ev["lang"] == "ru"
    assert out.replies[0].text.startswith("I only have this answer in Russian for now:\n")
    # in the customer's own language: the answer alone
    out = await _ask(routed, "300", "Ile kosztuje dostawa?", _Prediction("faq", "pl"))
    assert out.replies[0].text.startswith("W Polsce dostawa")


@pytest.mark.parametrize(
    ("user", "question", "nope", "lang"),
    [
        ("301", "Jak mogę zapłacić za zakupy?", "to nie to", "pl"),
        ("302", "How do I return an item?", "that's not it", "en"),
        ("303", "Как вернуть товар?", "не то", "ru"),
    ],
)
async def test_a_bare_thats_not_it_after_an_answer_is_no_complaint(
    routed: SimpleNamespace, user: str, question: str, nope: str, lang: str
) -> None:
    """ "To nie to" right after an answer, read by a sure classifier as a wrong-item
    complaint, opened a case ("Dziękuję za wiadomość... przykro... numer zamówienia i
    zdjęcie problemu?") about an answer that missed; it is a "didn't help": the next answer or
    a person."""
    await _ask(routed, user, question, _Prediction("faq", lang))
    pred = _Prediction("complaint", lang, 0.998, complaint_type="wrong_item")
    out = await _ask(routed, user, nope, pred)
    assert not events(out, "complaint_opened") and not events(out, "asked_for")
    assert events(out, "faq_not_helpful")


async def _told_not_in_faq(routed: SimpleNamespace, out: Outcome, asked: str, said: str) -> None:
    """The follow-up ``asked`` was told honestly the FAQ does not have it (``said``), with a
    person one tap away and no answer, and kept for the admins' gaps."""
    assert not events(out, "faq_answered"), [r.text for r in out.replies]
    [reply] = out.replies
    assert said in reply.text, reply.text
    assert buttons(out) == ["topic:human"]
    async with routed.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert any(asked in r.text for r in rows), [r.text for r in rows]


@pytest.fixture
async def demo_routed(
    db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SimpleNamespace]:
    """The whole demo shop's knowledge base (the sandbox's), with scripted predictions."""
    from bot.dialogs.complaint import ComplaintFlow
    from bot.dialogs.handoff import HandoffFlow
    from bot.dialogs.orders import OrderStatusFlow

    engine = create_engine(db_url)
    await upgrade_database(engine)
    sessionmaker = create_sessionmaker(engine)
    settings = Settings(_env_file=None, database_url=db_url, default_language="ru")  # type: ignore[call-arg]
    knowledge = KnowledgeService(
        settings,
        sessionmaker=sessionmaker,
        cache_dir=tmp_path_factory.getbasetemp() / "kbflow-demo-cache",
    )
    async with sessionmaker() as session:
        await knowledge.import_file(session, DEMO / "shop.yaml")
    table: dict[str, _Prediction] = {}
    conv = ConversationEngine(
        _Scripted(table),
        settings,
        flows=[OrderStatusFlow(), ComplaintFlow(), HandoffFlow(), FaqFlow(knowledge)],
        seed=0,
    )
    yield SimpleNamespace(engine=conv, sessionmaker=sessionmaker, table=table, knowledge=knowledge)
    await knowledge.flush()
    await engine.dispose()


async def test_a_follow_up_after_the_topics_offered_is_read_with_the_question(
    demo_routed: SimpleNamespace,
) -> None:
    """ "I have a question about returns" (too vague: topics offered), then "and how long do
    I have?": the second message was searched alone and declined again ("Let me make sure I
    get it right..."); it is read with the question before it, as after an answer."""
    routed = demo_routed
    routed.table["Hi there!"] = _Prediction("greeting", "en", 0.99)  # (a part of the first)
    first = await _ask(
        routed, "304", "Hi there! I have a question about returns", _Prediction("faq", "en", 0.58)
    )
    assert events(first, "faq_declined"), first.events
    out = await _ask(routed, "304", "and how long do I have?", _Prediction("faq", "en"))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "return_period" and ev["via"] == "follow_up"


@pytest.mark.parametrize(
    ("question", "again", "said"),
    [
        ("How much does delivery cost?", "how much does delivery cost?", "As I wrote above"),
        ("Сколько стоит доставка?", "Сколько стоит доставка?", "Как я писал выше"),
        ("Сколько стоит доставка курьером?", "а сколько стоит доставка?", "Как я писал выше"),
        ("Ile kosztuje dostawa?", "ile kosztuje dostawa?", "Jak pisałem wyżej"),
    ],
)
async def test_the_same_question_asked_again_is_acknowledged_not_repeated_mutely(
    bot: SimpleNamespace, question: str, again: str, said: str
) -> None:
    """The same question asked twice got the same answer again, word for word (or after 'Вот
    всё, что у меня есть об этом:'), as if the bot had not answered it a moment ago. The
    bot says it wrote this above, gives it again with a colleague one tap away, and a third
    time points to it instead of a third copy."""
    user = str(700 + len(question) + len(again))
    first = await say(bot, user, question)
    [answered] = events(first, "faq_answered")
    second = await say(bot, user, again)
    assert second.replies and second.replies[0].text.startswith(said), second.replies[0].text
    assert [e["answer_id"] for e in events(second, "faq_answered")] == [answered["answer_id"]]
    assert "topic:human" in buttons(second)
    third = await say(bot, user, again)
    assert not events(third, "faq_answered") and events(third, "faq_repeated")
    assert "topic:human" in buttons(third)


@pytest.mark.parametrize(
    ("user", "question", "missed"),
    [
        ("291", "Можно оплатить картой?", "Это не ответ на мой вопрос"),
        ("292", "Ile kosztuje dostawa?", "To nie jest odpowiedź na moje pytanie"),
        ("293", "How do I return an item?", "You didn't answer my question"),
    ],
)
async def test_not_an_answer_to_my_question_gets_the_next_answer(
    bot: SimpleNamespace, user: str, question: str, missed: str
) -> None:
    """Right after an FAQ answer, 'Это не ответ на мой вопрос' (and the Polish and English
    'you didn't answer my question') opened a complaint: 'Я передал всё менеджеру по
    качеству... Такое решение вам подходит?' for a question. It is the answer that missed:
    the next candidate (or a person), as after 'не помогло'."""
    first = await say(bot, user, question)
    [answered] = events(first, "faq_answered")
    nxt = await say(bot, user, missed)
    assert events(nxt, "faq_not_helpful")[0]["answer_id"] == answered["answer_id"]
    assert not events(nxt, "complaint_opened"), nxt.events


async def test_a_follow_up_is_read_alone_by_the_re_ranker(demo_routed: SimpleNamespace) -> None:
    """'a za pobraniem?' after the delivery price got the delivery price again ("Oto
    wszystko, co mam na ten temat:"), and 'a faktura na osobę prywatną?' after the invoice
    answer got the answer on personal data ("prywatną"): the follow-up's own words were
    scored without the re-ranker, sure of nothing for the first, of privacy for the second.
    A place the answer names ("а в пункт выдачи?") stays with it."""
    routed = demo_routed
    await _ask(routed, "305", "Ile kosztuje dostawa?", _Prediction("faq", "pl"))
    out = await _ask(routed, "305", "a za pobraniem?", _Prediction("faq", "pl"))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "cash_on_delivery" and ev["via"] == "follow_up"
    assert "5 zł" in out.replies[-1].text and "Oto wszystko" not in out.replies[0].text
    await _ask(routed, "306", "Сколько стоит доставка курьером?", _Prediction("faq", "ru"))
    out = await _ask(routed, "306", "а в пункт выдачи?", _Prediction("faq", "ru"))
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"
    await _ask(routed, "307", "Czy można u was kupić na fakturę?", _Prediction("faq", "pl"))
    out = await _ask(routed, "307", "a faktura na osobę prywatną?", _Prediction("faq", "pl"))
    assert "privacy" not in [e["answer_id"] for e in events(out, "faq_answered")]


async def test_a_follow_up_given_an_answer_from_a_few_messages_up_says_so(
    demo_routed: SimpleNamespace,
) -> None:
    """'Jak mogę zapłacić?' (the payment methods), 'a za pobraniem?' (cash on delivery),
    then 'a na raty?' got the payment methods again, word for word, as if new: the
    customer read it two messages up, and it says nothing of instalments. Said as all the
    bot has on that, with "Didn't help" under it."""
    routed = demo_routed
    first = await _ask(routed, "310", "Jak mogę zapłacić?", _Prediction("faq", "pl"))
    [given] = events(first, "faq_answered")
    await _ask(routed, "310", "a za pobraniem?", _Prediction("faq", "pl"))
    out = await _ask(routed, "310", "a na raty?", _Prediction("faq", "pl"))
    again = [e for e in events(out, "faq_answered") if e["answer_id"] == given["answer_id"]]
    if again:
        assert out.replies[0].text == "Oto wszystko, co mam na ten temat:", out.replies[0].text
        assert "faq:nothelp:" + given["answer_id"] in buttons(out)


@pytest.mark.parametrize(
    ("user", "question", "what", "pred", "said"),
    [
        ("320", "How much is shipping?", "what?", ("out_of_scope", 0.9), '"How much is shipping?"'),
        ("321", "Сколько стоит доставка?", "не понял", ("deny", 0.99), "«Сколько стоит доставка?»"),
        ("322", "Ile kosztuje dostawa?", "co?", ("greeting", 0.54), "„Ile kosztuje dostawa?”"),
    ],
)
async def test_what_after_an_answer_says_it_again_more_clearly(
    routed: SimpleNamespace,
    user: str,
    question: str,
    what: str,
    pred: tuple[str, float],
    said: str,
) -> None:
    """'what?' right after the delivery price got 'I'm only good at shop matters...', 'co?'
    the first greeting again, 'не понял' the next answer (delivery times) as if the topic were
    wrong: the answer was not clear, so it is given again with the question it answers and a
    colleague one tap away; a second 'what?' points to a colleague, with no third copy."""
    lang = {"H": "en", "С": "ru", "I": "pl"}[question[0]]
    first = await _ask(routed, user, question, _Prediction("faq", lang))
    answer = first.replies[0].text
    out = await _ask(routed, user, what, _Prediction(pred[0], lang, pred[1]))
    assert said in out.replies[0].text, out.replies[0].text
    assert out.replies[1].text == answer
    assert "topic:human" in buttons(out)
    assert not events(out, "faq_not_helpful") and not events(out, "fallback")
    again = await _ask(routed, user, what, _Prediction(pred[0], lang, pred[1]))
    assert answer not in " ".join(r.text for r in again.replies)
    assert "topic:human" in buttons(again)


@pytest.mark.parametrize(
    ("user", "question", "scorn", "pred"),
    [
        ("323", "How much is shipping?", "wtf is this shit", ("out_of_scope", 0.62, None)),
        ("324", "Сколько стоит доставка?", "что за фигня", ("complaint", 0.71, "website_app")),
        ("325", "Ile kosztuje dostawa?", "co to za bzdura", ("goodbye", 0.51, None)),
    ],
)
async def test_scorn_for_an_answer_is_didnt_help(
    routed: SimpleNamespace,
    user: str,
    question: str,
    scorn: str,
    pred: tuple[str, float, str | None],
) -> None:
    """'wtf is this shit' right after an answer got 'I'm only good at shop matters', 'что за
    фигня' 'что-то случилось с заказом?', 'co to za bzdura' 'Do widzenia!': displeasure with
    the answer, nothing told of a problem, is a 'didn't help' (sorry, the next answer or a
    colleague)."""
    lang = {"H": "en", "С": "ru", "I": "pl"}[question[0]]
    await _ask(routed, user, question, _Prediction("faq", lang))
    scripted = _Prediction(pred[0], lang, pred[1], complaint_type=pred[2], emotion="angry")
    out = await _ask(routed, user, scorn, scripted)
    assert events(out, "faq_not_helpful"), [r.text for r in out.replies]
    assert not events(out, "fallback") and not events(out, "clarify")
    assert not events(out, "complaint_opened")


@pytest.mark.parametrize(
    ("user", "question", "follow", "pred", "answer_id"),
    [
        ("330", "Сколько стоит доставка?", "а в Польшу?", ("out_of_scope", 0.87), "delivery_cost"),
        (
            "331",
            "How much is shipping?",
            "and for Poland?",
            ("out_of_scope", 0.77),
            "delivery_cost",
        ),
        ("332", "Ile kosztuje dostawa?", "a do Polski?", ("out_of_scope", 0.9), "delivery_cost"),
        (
            "333",
            "How long does delivery take?",
            "and to Poland?",
            ("out_of_scope", 0.9),
            "delivery_times",
        ),
        # the price answer names no Germany: where the shop delivers ("not to other countries")
        (
            "334",
            "Ile kosztuje dostawa?",
            "a do Niemiec?",
            ("out_of_scope", 0.91),
            "delivery_regions",
        ),
    ],
)
async def test_a_place_after_an_answer_that_names_it_is_that_topic(
    demo_routed: SimpleNamespace,
    user: str,
    question: str,
    follow: str,
    pred: tuple[str, float],
    answer_id: str,
) -> None:
    """'а в Польшу?' / 'and for Poland?' after the delivery price got where the shop delivers
    ('We deliver all over Russia ... and to Poland'), the entry the word alone is closest to,
    not the price to Poland the answer holds: a follow-up whose words are all in the answer
    just given asks about that answer's topic."""
    lang = {"H": "en", "С": "ru", "I": "pl"}[question[0]]
    await _ask(demo_routed, user, question, _Prediction("faq", lang))
    out = await _ask(demo_routed, user, follow, _Prediction(pred[0], lang, pred[1]))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == [answer_id]


@pytest.mark.parametrize(
    ("user", "text", "lang"),
    [
        ("340", "how much it costs, thank you very much in advance", "en"),
        ("341", "сколько стоит доставка курьером, заранее большое спасибо", "ru"),
        ("342", "ile kosztuje dostawa kurierem, z góry bardzo dziękuję", "pl"),
    ],
)
async def test_a_question_closed_with_thanks_in_advance_is_answered(
    routed: SimpleNamespace, user: str, text: str, lang: str
) -> None:
    """'Hello, I would like to ask how long the shipping to Krakow usually takes and how much
    it costs, thank you very much in advance' got the delivery times and 'I don't have a ready
    answer to this yet: — how much it costs, thank you very much in advance': the thanks that
    close a question are not searched with it."""
    out = await _ask(routed, user, text, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]


@pytest.mark.parametrize(
    ("user", "text", "pred", "searched"),
    [
        ("350", "спасибо большое, вы мне очень помогли!", ("thanks", "ru", 1.0), False),
        ("351", "hello, my name is Anna", ("greeting", "en", 0.91), False),
        ("352", "Dziękuję bardzo za pomoc, miłego dnia", ("thanks", "pl", 1.0), False),
        ("353", "Здравствуйте, как вернуть товар?", ("greeting", "ru", 0.54), True),
    ],
)
async def test_small_talk_is_searched_only_for_a_question(
    demo_routed: SimpleNamespace,
    user: str,
    text: str,
    pred: tuple[str, str, float],
    searched: bool,
) -> None:
    """'спасибо большое, вы мне очень помогли!' and 'hello, my name is Anna' got the contacts
    ('Write in this chat, email help@lavka.example or call...'): thanks or a name ask nothing;
    'Здравствуйте, как вернуть товар?' (a greeting to the model) got only 'Приветствую! Чем
    могу помочь?': the question after a greeting is searched."""
    out = await _ask(demo_routed, user, text, _Prediction(pred[0], pred[1], pred[2]))
    kb = events(out, "faq_answered") + events(out, "faq_declined")
    assert bool(kb) is searched, [r.text for r in out.replies]


async def test_an_if_follow_up_read_as_order_status_gets_the_answer_it_follows(
    routed: SimpleNamespace,
) -> None:
    """ "а если заказ больше 3000?" after the delivery price (an unsure order status to the
    model): the price answer, which says delivery is free from 3000, not "what's the order
    number?" for an order the customer has not placed."""
    await _ask(routed, "290", "Сколько стоит доставка?", _Prediction("faq", "ru"))
    text = "а если заказ больше 3000?"
    out = await _ask(routed, "290", text, _Prediction("order_status", "ru", 0.48))
    assert not events(out, "asked_for")
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "delivery_cost" and ev["via"] == "follow_up"
    assert "бесплатно от 3000" in out.replies[-1].text
    # "and if" in English and Polish too
    await _ask(routed, "291", "How much is shipping?", _Prediction("faq", "en"))
    out = await _ask(
        routed, "291", "and if my cart is over 3000?", _Prediction("order_status", "en", 0.6)
    )
    assert not events(out, "asked_for")
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"
    # "my order" in a condition is no placed order either
    await _ask(routed, "292", "How much is shipping?", _Prediction("faq", "en"))
    text = "what if my order is over 3000?"
    out = await _ask(routed, "292", text, _Prediction("order_status", "en", 0.9))
    assert not events(out, "asked_for")
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_cost"


@pytest.mark.parametrize(
    ("user", "text", "pred", "said"),
    [
        ("350", "how are you?", _Prediction("out_of_scope", "en", 0.53), "I'm well"),
        ("351", "как дела?", _Prediction("greeting", "ru", 0.57), "у меня всё хорошо"),
        ("352", "jak się masz?", _Prediction("out_of_scope", "pl", 0.99), "wszystko dobrze"),
        ("353", "привет, как дела?", _Prediction("greeting", "ru", 0.9), "у меня всё хорошо"),
    ],
)
async def test_how_are_you_is_answered_in_kind_in_every_language(
    demo_routed: SimpleNamespace, user: str, text: str, pred: _Prediction, said: str
) -> None:
    """ "how are you?" got "I'm only good at shop matters" and "как дела?" a greeting: the
    same small talk in each language, and what the bot can do."""
    out = await _ask(demo_routed, user, text, pred)
    assert said in out.replies[0].text
    assert "topic:delivery" in buttons(out)
    assert not events(out, "fallback") and not events(out, "faq_declined")


@pytest.mark.parametrize(
    ("user", "text", "lang", "emotion"),
    [
        ("320", "Не могу войти в личный кабинет", "ru", "upset"),
        ("321", "I can't log into my account", "en", "calm"),
        ("322", "Nie mogę zalogować się na konto", "pl", "upset"),
    ],
)
async def test_locked_out_of_the_account_gets_the_login_answer(
    demo_routed: SimpleNamespace, user: str, text: str, lang: str, emotion: str
) -> None:
    """ "Не могу войти в личный кабинет" (a sure site complaint to the model) opened a case and
    asked for a phone or email, while the KB's login answer fixes it at once: that answer,
    and a person a tap away in case it doesn't help."""
    pred = _Prediction("complaint", lang, 0.99, complaint_type="website_app", emotion=emotion)
    out = await _ask(demo_routed, user, text, pred)
    assert not events(out, "complaint_opened") and not events(out, "asked_for")
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "password_reset"
    assert "topic:human" in buttons(out)


async def test_a_site_failure_at_login_stays_a_complaint(demo_routed: SimpleNamespace) -> None:
    # the site failing, an error shown, or anger: the playbook's case, as before
    for user, text, emotion in (
        ("323", "Не могу войти в личный кабинет, выдаёт ошибку 500", "upset"),
        ("324", "I can't log in, the app crashes every time", "upset"),
        ("325", "Третий день не могу войти в личный кабинет!!! Сколько можно", "angry"),
    ):
        pred = _Prediction("complaint", "ru", 0.99, complaint_type="website_app", emotion=emotion)
        out = await _ask(demo_routed, user, text, pred)
        assert events(out, "complaint_opened"), text


async def test_thanks_and_a_question_gets_the_question_answered(
    demo_routed: SimpleNamespace,
) -> None:
    """ "dzięki, a zwroty?" (thanks to the model, 0.99): only "Glad I could help!" was said
    and the question dropped; the question after the thanks is answered, after an answer
    too, and thanks alone still get the thanks reply."""
    routed = demo_routed
    out = await _ask(routed, "330", "dzięki, a zwroty?", _Prediction("thanks", "pl", 0.99))
    # (the entry is the one "a zwroty?" alone gets: the KB's choice, not tested here)
    returns = ("returns_procedure", "return_period", "refund_timing")
    assert events(out, "faq_answered")[0]["answer_id"] in returns
    # thanks before a whole question: the question alone is searched
    text = "thanks, and what about returns?"
    out = await _ask(routed, "332", text, _Prediction("faq", "en", 0.81))
    assert events(out, "faq_answered")[0]["answer_id"] in returns
    await _ask(routed, "331", "Сколько стоит доставка?", _Prediction("faq", "ru"))
    text = "спасибо, а сколько дней идёт доставка?"
    out = await _ask(routed, "331", text, _Prediction("thanks", "ru", 0.9))
    assert events(out, "faq_answered")[0]["answer_id"] == "delivery_times"
    out = await _ask(routed, "331", "спасибо, всё понятно!", _Prediction("thanks", "ru", 0.99))
    assert not events(out, "faq_answered") and not events(out, "faq_declined")


async def test_the_reset_email_not_arriving_is_about_the_reset_answer(
    demo_routed: SimpleNamespace,
) -> None:
    """ "не приходит письмо" right after the password-reset answer (an unsure complaint to the
    model) was asked "what happened?" as if nothing had been said before: it is about that
    answer's steps, said again, with a colleague a tap away."""
    routed = demo_routed
    first = await _ask(routed, "340", "как сбросить пароль?", _Prediction("faq", "ru"))
    assert events(first, "faq_answered")[0]["answer_id"] == "password_reset"
    pred = _Prediction("complaint", "ru", 0.58, complaint_type="other")
    out = await _ask(routed, "340", "не приходит письмо", pred)
    assert not events(out, "clarify") and not events(out, "complaint_opened")
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] == "password_reset"
    assert "не приходит" in out.replies[0].text and "SMS" in out.replies[1].text
    assert "topic:human" in buttons(out)
    # not after an answer that sends nothing: the usual way
    await _ask(routed, "341", "Сколько стоит доставка?", _Prediction("faq", "ru"))
    out = await _ask(routed, "341", "не приходит письмо", pred)
    assert not events(out, "faq_answered")


async def test_a_topic_named_alone_gets_a_sure_answer(demo_routed: SimpleNamespace) -> None:
    """ "zwroty?" alone (the model unsure, 0.39) got "I don't quite understand" while the KB
    is sure of a returns answer; a word the KB does not know still gets that reply."""
    out = await _ask(demo_routed, "331", "zwroty?", _Prediction("faq", "pl", 0.39))
    [ev] = events(out, "faq_answered")
    assert ev["answer_id"] in ("refund_timing", "returns_procedure", "return_period")
    assert "zwrot" in out.replies[0].text.lower()  # in Polish
    out = await _ask(demo_routed, "332", "хмммм", _Prediction("faq", "ru", 0.39))
    assert not events(out, "faq_answered") and events(out, "fallback")


async def test_an_upset_question_gets_thanks_and_regret_before_the_answer(
    demo_routed: SimpleNamespace,
) -> None:
    """ "Опять не положили чек!!! Сколько можно" got the receipts answer alone, as if asked
    calmly: an upset or angry question gets thanks and a word of regret first (once), a calm
    one the answer alone."""
    text = "Как оформить возврат?! Уже неделю не могу разобраться!!!"
    out = await _ask(demo_routed, "333", text, _Prediction("faq", "ru", 0.9, emotion="angry"))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["returns_procedure"]
    first = out.replies[0].text
    assert "Спасибо" in first and "простите" in first, first
    assert sum("простите" in r.text for r in out.replies) == 1
    out = await _ask(demo_routed, "334", "Как оформить возврат?", _Prediction("faq", "ru", 0.9))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["returns_procedure"]
    assert not any("простите" in r.text for r in out.replies), out.replies[0].text
    pred = _Prediction("faq", "pl", 0.9, emotion="upset")
    out = await _ask(demo_routed, "335", "Jak zwrócić towar?! Nic nie działa", pred)
    assert events(out, "faq_answered"), out.replies
    assert "przepraszam" in out.replies[0].text, out.replies[0].text


def test_countries_are_read_in_every_form_and_not_in_words_that_only_look_alike() -> None:
    """The countries named: 'в Германию', 'do Niemiec', 'to the USA', 'на Украину'; the
    language 'на английском', 'po polsku' and 'не грузит' name none."""
    from knowledge.countries import countries, other_country_asked

    assert countries("Сколько стоит доставка в Германию?") == {"germany"}
    assert countries("Ile kosztuje wysyłka do Niemiec?") == {"germany"}
    assert countries("How long does delivery to the USA take?") == {"usa"}
    assert countries("Ile kosztuje dostawa na Ukrainę?") == {"ukraine"}
    assert countries("Есть инструкция на английском? Сайт не грузит") == set()
    assert countries("Czy jest instrukcja po polsku?") == set()
    tariff = ["Courier delivery in Russia costs 299 RUB. In Poland it's 14.99 zł."]
    known = {"russia", "poland"}
    assert other_country_asked("How much is shipping to Germany?", tariff, known) == {"germany"}
    assert not other_country_asked("How much is shipping to Poland?", tariff, known)
    assert not other_country_asked(
        "Do you ship to Germany?", ["Other countries aren't available yet."], known
    )


async def test_didnt_help_keeps_the_question_for_the_admins(bot: SimpleNamespace) -> None:
    """ "Вы принимаете оплату криптовалютой?" got the payment methods; "Не помогло" got
    another guess, and the question never reached /kb_gaps, so the admins did not learn the
    FAQ missed it. It is kept as a gap (once, not again at the second "didn't help")."""
    question = "Вы принимаете оплату криптовалютой?"
    first = await say(bot, "3560001", question)
    assert [e["answer_id"] for e in events(first, "faq_answered")] == ["payment_methods"]
    out = await say(bot, "3560001", callback_data="faq:nothelp:payment_methods")
    assert events(out, "faq_not_helpful")
    await say(bot, "3560001", callback_data="faq:nothelp")
    async with bot.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert [r.text for r in rows] == [question]
    assert rows[0].conversation_id == out.conversation_id


@pytest.mark.parametrize(
    ("question", "failed", "pred", "said"),
    [
        (
            "How do I use a promo code?",
            "it says invalid",
            _Prediction("deny", "en", 0.47),
            "Sorry it didn't work",
        ),
        (
            "Как применить промокод?",
            "не работает",
            _Prediction("complaint", "ru", 0.75, complaint_type="damaged_defective"),
            "не сработало",
        ),
        (
            "Jak użyć kodu rabatowego?",
            "nie działa, pisze że wygasł",
            _Prediction("complaint", "pl", 0.96, complaint_type="damaged_defective"),
            "nie zadziałało",
        ),
    ],
)
async def test_what_the_answer_said_to_do_failing_goes_to_a_colleague(
    demo_routed: SimpleNamespace, question: str, failed: str, pred: _Prediction, said: str
) -> None:
    """After the promo code's answer, 'it says invalid' got the gift cards' answer as
    'perhaps this is what you need', 'не работает' opened a broken-item case asking for a
    photo, 'nie działa, pisze że wygasł' was searched as a new question. The answer was the
    right one and what it said to do failed: a colleague who can check it, said so."""
    user = str(3640600 + len(failed))
    first = await _ask(demo_routed, user, question, _Prediction("faq", pred.lang))
    assert events(first, "faq_answered")[0]["answer_id"] == "promo_codes"
    out = await _ask(demo_routed, user, failed, pred)
    assert not events(out, "faq_answered") and not events(out, "complaint_opened"), out.replies
    assert [e["reason"] for e in events(out, "escalated")] == ["faq_not_helpful"], out.replies
    assert said in out.replies[0].text, out.replies


async def test_a_thing_that_does_not_work_after_an_answer_is_still_a_complaint(
    demo_routed: SimpleNamespace,
) -> None:
    """A guard: 'the kettle doesn't work' after the warranty answer names a broken thing."""
    first = await _ask(demo_routed, "3640650", "What is the warranty?", _Prediction("faq", "en"))
    assert events(first, "faq_answered")
    pred = _Prediction("complaint", "en", 0.98, complaint_type="damaged_defective")
    out = await _ask(demo_routed, "3640650", "the kettle doesn't work, order 3640651", pred)
    assert events(out, "complaint_opened"), out.replies


def test_topic_buttons_name_an_english_only_question_in_the_customers_language() -> None:
    """An admin's entry from an English gap has its question in English only and answers in
    all three languages: a Russian customer was offered the topic button "Can you engrave a
    name on the mug?". The button is named in their language, from the answer they would
    get; English only when nothing is in their language."""
    engrave = Entry(
        "engrave_name_mug",
        ["Can you engrave a name on the mug?"],
        {
            "en": "Yes, we engrave a name on a mug for 300 RUB: write it in the order comment.",
            "ru": "Да, гравируем имя на кружке за 300 ₽: напишите его в комментарии к заказу.",
            "pl": "Tak, grawerujemy imię na kubku za 30 zł: wpisz je w komentarzu do zamówienia.",
        },
    )
    assert entry_title(engrave, "ru") == "Гравируем имя на кружке за 300 ₽"
    assert entry_title(engrave, "pl") == "Grawerujemy imię na kubku za 30 zł"
    assert entry_title(engrave, "en") == "Can you engrave a name on the mug?"
    english_only = Entry("engrave_en", ["Can you engrave a name on the mug?"], {"en": "Yes."})
    assert entry_title(english_only, "ru") == "Can you engrave a name on the mug?"


async def test_a_russian_only_answer_asked_again_after_an_english_one_was_added(
    bot: SimpleNamespace,
) -> None:
    """A Polish customer got a Russian-only answer; an admin then added an English one, and
    her second ask got "Jak pisałem wyżej:" as a bubble of its own and then the ENGLISH
    answer, though what she had read "above" was Russian. Now the marker opens the same
    message as the answer, which is the Russian text she got (not told again that it is
    only in Russian); a plain repeat is one message too."""
    russian = "Да, подарочная упаковка стоит 199 ₽."
    ask = "Czy można zapakować zamówienie w papier prezentowy?"
    first = await say(bot, "3580002", ask)
    [ev] = events(first, "faq_answered")
    assert ev["answer_id"] == "gift_wrapping_ru" and ev["lang"] == "ru"
    told = "Tę odpowiedź mam na razie tylko po rosyjsku:"
    assert first.replies[0].text == f"{told}\n{russian}"
    async with bot.sessionmaker() as session:
        entry = await bot.knowledge.get(session, "gift_wrapping_ru")
        assert entry is not None
        english = {**entry.answers, "en": "Yes, gift wrapping costs 199 RUB."}
        changed = Entry(entry.id, entry.questions, english, entry.tags)
        await bot.knowledge.save(session, changed, actor="tg:900")
        await session.commit()
    again = await say(bot, "3580002", ask)
    assert [r.text for r in again.replies] == [f"Jak pisałem wyżej:\n{russian}"]
    assert [e["answer_id"] for e in events(again, "faq_answered")] == ["gift_wrapping_ru"]
    # the same answer asked again, nothing changed: the marker and the answer in one message
    user = "3580003"
    await say(bot, user, "Сколько стоит доставка курьером?")
    repeat = await say(bot, user, "Сколько стоит доставка курьером?")
    [reply] = repeat.replies
    assert reply.text.startswith("Как я писал выше:\n") and "299" in reply.text, reply.text


@pytest.mark.parametrize(
    ("user", "question", "lang", "missed", "said"),
    [
        ("3610001", "Вы принимаете оплату криптовалютой?", "ru", "не помогло", "справке нет"),
        ("3610002", "Czy mogę zapłacić PayPalem?", "pl", "nie pomogło", "gotowej odpowiedzi"),
        ("3610003", "Can I pay with crypto?", "en", "that didn't help", "no ready answer"),
    ],
)
async def test_didnt_help_gives_no_guess_that_says_nothing_of_the_question(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, missed: str, said: str
) -> None:
    """ "Вы принимаете оплату криптовалютой?" got the payment methods; "Не помогло" got
    "Извините, что не помогло. Возможно, вам нужно вот это:" and the cash-on-delivery answer
    "Да, наличными или картой курьеру…", which read as "yes" to crypto. A next guess that
    says nothing of what the first answer left out (crypto, PayPal) is not pasted: the bot
    says the FAQ has no ready answer, offers the next topics as buttons (the customer
    chooses) and a person, and the question is kept for the admins' /kb_gaps."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["payment_methods"]
    out = await _ask(demo_routed, user, missed, _Prediction("deny", lang))
    assert events(out, "faq_not_helpful")
    assert not events(out, "faq_answered"), [r.text for r in out.replies]
    assert said in out.replies[0].text, out.replies[0].text
    offered = buttons(out)
    assert "kb:cash_on_delivery" in offered and offered[-1] == "topic:human"
    async with demo_routed.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert question in [r.text for r in rows]
    # "no, not that" to the topics: the colleague, with the question on the card
    nope = {"ru": "нет, не то", "pl": "żadne z nich", "en": "no, not that"}[lang]
    out = await _ask(demo_routed, user, nope, _Prediction("deny", lang))
    escalated = events(out, "escalated")
    assert len(escalated) == 1, [r.text for r in out.replies]
    assert f"Question: {question}" in escalated[0]["card"]


@pytest.mark.parametrize(
    ("user", "question", "lang", "missed", "then"),
    [
        ("3610011", "Do you have gift cards?", "en", "didn't help", "gift_wrapping"),
        ("3610012", "Jak zwrócić towar?", "pl", "nie pomogło", "return_period"),
        ("3610013", "Как вернуть товар, который не подошёл?", "ru", "не помогло", "return_period"),
        ("3610014", "How can I pay?", "en", "didn't help", "cash_on_delivery"),
    ],
)
async def test_didnt_help_still_gives_a_next_guess_on_the_question(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, missed: str, then: str
) -> None:
    """The next guess is still given when the first answer had every word of the question
    (the customer meant something else in the same words): gift wrapping after the gift
    cards, the return period after how to return."""
    await _ask(demo_routed, user, question, _Prediction("faq", lang))
    out = await _ask(demo_routed, user, missed, _Prediction("deny", lang))
    [nxt] = events(out, "faq_answered")
    assert nxt["answer_id"] == then and nxt["via"] == "next_candidate"


async def test_a_blocked_faq_answer_s_card_names_the_entry_and_the_phrase(
    bot: SimpleNamespace,
) -> None:
    """An admin's entry answered "Can I return underwear?" with "Sorry, nothing can be done -
    that is our company policy". The customer who asked got a person (right), and the card
    said only "Reason: the bot's answer had a phrase it must never say (check the FAQ
    entry)": which entry, and which phrase, was left to find. The card names both."""
    policy = "Sorry, nothing can be done - that is our company policy."
    entry = Entry("return_underwear", ["Can I return underwear?"], {"en": policy})
    async with bot.sessionmaker() as session:
        await bot.knowledge.import_entries(session, [entry])
        await session.commit()
    out = await say(bot, "3610021", "Can I return underwear?")
    assert not any("policy" in r.text for r in out.replies), out.replies
    [escalated] = events(out, "escalated")
    card = escalated["card"].split("\n\nTranscript:")[0]
    assert "'return_underwear'" in card and "our company policy" in card, card
    assert "/kb_edit return_underwear" in card, card


@pytest.mark.parametrize(
    ("user", "question", "lang", "follow_up", "said"),
    [
        ("3660011", "Где пункты самовывоза?", "ru", "а работают в воскресенье?", "пункты выдачи"),
        ("3660012", "Where are the pickup points?", "en", "are they open on Sunday?", "pick up"),
        ("3660013", "Gdzie są punkty odbioru?", "pl", "a w niedzielę są czynne?", "Paczkomacie"),
    ],
)
async def test_a_follow_up_on_opening_hours_is_about_the_answer_before(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, follow_up: str, said: str
) -> None:
    """ "Где пункты самовывоза?", then "а работают в воскресенье?" got the operators' working
    hours: the follow-up names no other thing, so it asks about the pickup points. The FAQ
    has no pickup hours: said so, about the pickup points, a colleague one tap away, and the
    question kept for the admins' gaps."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["pickup_points"]
    out = await _ask(demo_routed, user, follow_up, _Prediction("faq", lang))
    await _told_not_in_faq(demo_routed, out, follow_up, said)
    # the support hours' own follow-up still gets them
    other = f"{user}9"
    await _ask(demo_routed, other, "Когда работает поддержка?", _Prediction("faq", "ru"))
    out = await _ask(demo_routed, other, "а работают в воскресенье?", _Prediction("faq", "ru"))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["support_hours"]


@pytest.mark.parametrize(
    ("user", "question", "missed"),
    [
        ("3660021", "Czy sprzedajecie rowery?", None),  # the topics offered at once
        ("3660022", "Czy mogę zapłacić PayPalem?", "nie pomogło"),  # ... after "didn't help"
    ],
)
async def test_a_polish_no_not_that_to_the_topics_is_no_wrong_item(
    demo_routed: SimpleNamespace, user: str, question: str, missed: str | None
) -> None:
    """ "nie, nie to" to the two topics offered (a wrong item to the model, at 1.0) opened a
    wrong-item complaint asking for the order number and a photo: it says neither topic is
    it. The colleague the topics' message promised, with the question on the card, and the
    question kept for the admins' gaps, as after "нет, не то" and "no, not that"."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", "pl"))
    if missed is not None:
        out = await _ask(demo_routed, user, missed, _Prediction("deny", "pl"))
    assert events(out, "faq_declined") and not events(out, "faq_answered"), out.replies
    wrong = _Prediction("complaint", "pl", 1.0, complaint_type="wrong_item")
    out = await _ask(demo_routed, user, "nie, nie to", wrong)
    assert not events(out, "complaint_opened") and not events(out, "asked_for"), out.replies
    [escalated] = events(out, "escalated")
    assert escalated["reason"] == "faq_not_helpful"
    assert f"Question: {question}" in escalated["card"]
    async with demo_routed.sessionmaker() as session:
        rows = list(await session.scalars(select(UnansweredQuestion)))
    assert question in [r.text for r in rows]


@pytest.mark.parametrize(
    ("user", "question", "lang", "missed", "said", "offered"),
    [
        (
            "3720001",
            "Сколько стоит доставка?",
            "ru",
            "не помогло",
            "Может, вы об",
            "cash_on_delivery",
        ),
        (
            "3720002",
            "Ile kosztuje dostawa?",
            "pl",
            "nie pomogło",
            "Czy chodziło o",
            "cash_on_delivery",
        ),
        ("3720003", "Do you sell wholesale?", "en", "that didn't help", "Did you mean", "privacy"),
    ],
)
async def test_didnt_help_offers_a_far_next_guess_as_a_topic(
    demo_routed: SimpleNamespace,
    user: str,
    question: str,
    lang: str,
    missed: str,
    said: str,
    offered: str,
) -> None:
    """ "Сколько стоит доставка?", "не помогло" got "Извините, что не помогло. Возможно, вам
    нужно вот это:" and the cash-on-delivery answer (0.25, beside the delivery times at 0.24),
    pasted as if it answered the delivery price. A next guess below the search's confidence
    that the search does not single out is offered as a topic button with a person; the
    customer's tap gives its answer."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert len(events(out, "faq_answered")) == 1
    out = await _ask(demo_routed, user, missed, _Prediction("deny", lang))
    assert events(out, "faq_not_helpful")
    assert not events(out, "faq_answered"), [r.text for r in out.replies]
    assert said in out.replies[0].text, out.replies[0].text
    topics = buttons(out)
    assert f"kb:{offered}" in topics and topics[-1] == "topic:human", topics
    [declined] = events(out, "faq_declined")
    assert declined["reason"] == "far_guess"
    out = await say(demo_routed, user, callback_data=f"kb:{offered}")
    [answered] = events(out, "faq_answered")
    assert answered["answer_id"] == offered and answered["via"] == "button"


@pytest.mark.parametrize(
    ("user", "question", "lang", "follow_up", "said"),
    [
        ("3720011", "Есть ли у вас скидки?", "ru", "а для студентов?", "информации для студентов"),
        (
            "3720012",
            "Сколько стоит доставка?",
            "ru",
            "а для студентов?",
            "информации для студентов",
        ),
        (
            "3720013",
            "How much is shipping?",
            "en",
            "and for students?",
            "nothing specific for students",
        ),
        ("3720014", "Ile kosztuje dostawa?", "pl", "a dla studentów?", "informacji dla studentów"),
    ],
)
async def test_a_follow_up_for_students_the_faq_has_nothing_on(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, follow_up: str, said: str
) -> None:
    """ "Есть ли у вас скидки?", then "а для студентов?" got the FAQ's topics as buttons, and
    after the delivery price the same answer again ("Вот всё, что у меня есть об этом:"). The
    FAQ has nothing for students: said honestly, a person one tap away, and the question
    kept for the admins' /kb_gaps."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert len(events(out, "faq_answered")) == 1
    out = await _ask(demo_routed, user, follow_up, _Prediction("faq", lang))
    await _told_not_in_faq(demo_routed, out, follow_up, said)


async def test_a_follow_up_for_students_gets_the_entry_for_students(
    demo_routed: SimpleNamespace,
) -> None:
    """With an entry on the student discount, "а для студентов?" after the delivery price
    gets that entry's answer."""
    student = Entry(
        id="student_discount",
        questions=[
            "Есть ли скидка для студентов?",
            "Do you have a student discount?",
            "Czy jest zniżka dla studentów?",
        ],
        answers={
            "ru": "Да, студентам скидка 10% по студенческому билету.",
            "en": "Yes, students get 10% off with a student card.",
            "pl": "Tak, studenci mają 10% zniżki z legitymacją studencką.",
        },
    )
    async with demo_routed.sessionmaker() as session:
        await demo_routed.knowledge.save(session, student, actor="tg:900")
    out = await _ask(demo_routed, "3720015", "Сколько стоит доставка?", _Prediction("faq", "ru"))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await _ask(demo_routed, "3720015", "а для студентов?", _Prediction("faq", "ru"))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["student_discount"], [
        r.text for r in out.replies
    ]


@pytest.mark.parametrize(
    ("user", "question", "lang", "missed"),
    [
        ("3770001", "How much is delivery?", "en", "that didn't help"),
        ("3770002", "Сколько стоит доставка?", "ru", "не помогло"),
        ("3770003", "Ile kosztuje dostawa?", "pl", "to nie pomogło"),
    ],
)
async def test_didnt_help_after_the_delivery_price_gets_no_payment_answer(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, missed: str
) -> None:
    """ "How much is delivery?", then "that didn't help" got "Perhaps this is what you need:"
    and the cash-on-delivery answer (0.77, above the search's confidence: no far guess). A
    payment topic is no other answer to the delivery price: the FAQ has no ready answer,
    said so, its topics offered and a person one tap away."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await _ask(demo_routed, user, missed, _Prediction("deny", lang))
    assert events(out, "faq_not_helpful")
    assert not events(out, "faq_answered"), [r.text for r in out.replies]
    assert buttons(out)[-1] == "topic:human", buttons(out)


async def test_didnt_help_still_gets_the_next_answer_of_the_same_topic(
    demo_routed: SimpleNamespace,
) -> None:
    """The next guess of the same topic family is still pasted: the return period after the
    returns procedure."""
    user = "3770004"
    await _ask(demo_routed, user, "How do I return an item?", _Prediction("faq", "en"))
    out = await _ask(demo_routed, user, "that didn't help", _Prediction("deny", "en"))
    [answered] = events(out, "faq_answered")
    assert answered["answer_id"] == "return_period" and answered["via"] == "next_candidate"


@pytest.mark.parametrize(
    ("user", "question", "lang", "follow_up", "said"),
    [
        (
            "3770011",
            "Do you have any discounts?",
            "en",
            "and for students?",
            "nothing specific for students",
        ),
        (
            "3770012",
            "Czy macie jakieś zniżki?",
            "pl",
            "a dla studentów?",
            "informacji dla studentów",
        ),
    ],
)
async def test_a_group_follow_up_to_the_topics_offered_is_told_the_faq_has_nothing(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, follow_up: str, said: str
) -> None:
    """ "Do you have any discounts?" (declined: the topics offered), then "and for students?"
    got the price change's answer, an unrelated entry read with the question before it. With
    no answer before it to follow, the FAQ's nothing on students is said honestly, a person one
    tap away (not "the answer above": there is none), and the question kept for the gaps. (A
    shop without an entry on discounts: the demo shop has one since.)"""
    async with demo_routed.sessionmaker() as session:
        assert await demo_routed.knowledge.delete(session, "discounts", actor="tg:900")
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert events(out, "faq_declined") and not events(out, "faq_answered")
    out = await _ask(demo_routed, user, follow_up, _Prediction("faq", lang))
    await _told_not_in_faq(demo_routed, out, follow_up, said)
    assert "above" not in out.replies[0].text and "powyżej" not in out.replies[0].text


@pytest.mark.parametrize(
    ("user", "question", "lang", "follow_up", "said"),
    [
        ("3770021", "У вас есть скидки?", "ru", "а пенсионерам?", "информации для пенсионеров"),
        ("3770022", "Сколько стоит доставка?", "ru", "а школьникам?", "информации для школьников"),
        ("3770023", "Ile kosztuje dostawa?", "pl", "a emerytom?", "informacji dla emerytów"),
    ],
)
async def test_the_group_asked_about_is_named_in_the_bots_own_words(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, follow_up: str, said: str
) -> None:
    """ "а пенсионерам?" got "отдельной информации пенсионерам в справке нет" (the customer's
    word form read back in a sentence that needs another case): the group is named as the bot
    says it, "для пенсионеров", whatever form it was asked in."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert len(events(out, "faq_answered")) == 1
    out = await _ask(demo_routed, user, follow_up, _Prediction("out_of_scope", lang, 0.8))
    await _told_not_in_faq(demo_routed, out, follow_up, said)


@pytest.mark.parametrize(
    ("user", "question", "lang", "again", "said"),
    [
        ("3770031", "Сколько стоит доставка?", "ru", "А какая цена доставки?", "Как я писал выше"),
        (
            "3770032",
            "Ile kosztuje dostawa?",
            "pl",
            "A jaka jest cena dostawy?",
            "Jak pisałem wyżej",
        ),
    ],
)
async def test_a_rephrased_question_after_its_answer_is_said_to_be_answered_above(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str, again: str, said: str
) -> None:
    """ "Сколько стоит доставка?", then "А какая цена доставки?" (a follow-up by its "А") got
    "Вот всё, что у меня есть об этом:" and the whole answer again, no person: the same
    question in other words means the answer did not land, so the bot says it wrote it above,
    with a colleague one tap away, and a third time only points to it."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await _ask(demo_routed, user, again, _Prediction("faq", lang))
    assert out.replies[0].text.startswith(said), [r.text for r in out.replies]
    assert "topic:human" in buttons(out), buttons(out)
    out = await _ask(demo_routed, user, again, _Prediction("faq", lang))
    assert not events(out, "faq_answered") and events(out, "faq_repeated")
    assert "topic:human" in buttons(out)


@pytest.mark.parametrize(
    ("user", "question", "lang"),
    [
        ("3770041", "hi, do you deliver on Sundays?", "en"),
        ("3770042", "привет, а вы доставляете по воскресеньям?", "ru"),
        ("3770043", "cześć, czy dostarczacie w niedziele?", "pl"),
    ],
)
async def test_delivery_on_sundays_gets_the_courier_slots(
    demo_routed: SimpleNamespace, user: str, question: str, lang: str
) -> None:
    """ "hi, do you deliver on Sundays?" was declined between the courier slots and the
    support hours (ru: the support hours answered): the demo FAQ had the courier's weekends,
    not the days asked; the courier slots' answer (weekends in Moscow and St Petersburg)."""
    out = await _ask(demo_routed, user, question, _Prediction("faq", lang))
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["courier_time_slots"], [
        r.text for r in out.replies
    ]


@pytest.mark.parametrize(
    ("user", "question", "follow_up"),
    [
        ("3820001", "Как вернуть товар?", "а если я уже выбросила коробку?"),
        ("3820002", "How do I return an item?", "what if I threw away the box?"),
        ("3820003", "Jak zwrócić towar?", "a jeśli wyrzuciłam karton?"),
    ],
)
async def test_a_return_without_the_box_is_not_given_the_damaged_parcel_answer(
    shipped_shop: Services, user: str, question: str, follow_up: str
) -> None:
    """ "а если я уже выбросила коробку?" after the returns answer got the damaged-parcel
    answer ("Осмотрите заказ при курьере..."), which speaks of a box crushed in delivery: the
    demo FAQ does not say whether a return needs its box, so the bot says so, offers the
    thread's other topics and a person, and keeps the question for the admins."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["returns_procedure"]
    out = await say(shipped_shop, user, follow_up)
    assert not events(out, "faq_answered"), [r.text for r in out.replies]
    assert events(out, "faq_declined")
    assert "kb:damaged_parcel" != buttons(out)[0] and "topic:human" in buttons(out)
    said = out.replies[0].text
    assert any(w in said for w in ("ничего нет", "doesn't say", "nie ma")), said


@pytest.mark.parametrize(
    ("user", "turns", "follow_up"),
    [
        (
            "3820011",
            ("How much is shipping?", "How long does delivery take?"),
            "and returns are free?",
        ),
        ("3820012", ("How much is shipping?",), "and returns?"),
        ("3820013", ("Ile kosztuje dostawa?",), "a zwroty są darmowe?"),
        ("3820014", ("Сколько стоит доставка?",), "а возврат бесплатный?"),
    ],
)
async def test_a_short_follow_up_naming_another_topic_is_searched_as_that_topic(
    shipped_shop: Services, user: str, turns: tuple[str, ...], follow_up: str
) -> None:
    """ "and returns are free?" after the delivery answers got the delivery price again ("Here's
    everything I have on that:"): it names the returns, a topic of its own, and gets the
    returns' answer."""
    for turn in turns:
        out = await say(shipped_shop, user, turn)
        assert events(out, "faq_answered"), [r.text for r in out.replies]
    out = await say(shipped_shop, user, follow_up)
    answered = [e["answer_id"] for e in events(out, "faq_answered")]
    assert len(answered) == 1 and answered[0] in ("returns_procedure", "return_period"), [
        r.text for r in out.replies
    ]


@pytest.mark.parametrize(
    ("user", "question", "follow_up", "said"),
    [
        ("3820021", "Ile kosztuje dostawa?", "a do Krakowa?", "W Polsce dostawa"),
        ("3820022", "Сколько стоит доставка?", "a do Krakowa?", "W Polsce dostawa"),
        ("3820023", "How much is shipping?", "and to Krakow?", "In Poland it's 14.99"),
    ],
)
async def test_a_polish_city_after_the_delivery_price_gets_the_price_to_poland(
    shipped_shop: Services, user: str, question: str, follow_up: str, said: str
) -> None:
    """ "a do Krakowa?" after the delivery price got the delivery regions ("Dostarczamy na
    terenie całej Rosji oraz Polski...") or "no exact answer for Krakowa": the price's lines on
    Poland, the country of the city asked."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await say(shipped_shop, user, follow_up)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    [reply] = [r.text for r in out.replies]
    assert reply.startswith(said) and "250" in reply and "299" not in reply, reply


@pytest.mark.parametrize(
    ("user", "question", "follow_up"),
    [
        ("3820031", "Сколько дней на возврат?", "а как вернуть товар?"),
        ("3820032", "How long do I have to return something?", "and how do I return an item?"),
    ],
)
async def test_the_returns_own_question_after_the_return_period_gets_the_procedure(
    shipped_shop: Services, user: str, question: str, follow_up: str
) -> None:
    """ "а как вернуть товар?" after the return period got the period's first line again: it is
    the returns procedure's own question, answered with the procedure."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["return_period"]
    out = await say(shipped_shop, user, follow_up)
    answered = [e["answer_id"] for e in events(out, "faq_answered")]
    assert answered == ["returns_procedure"], [r.text for r in out.replies]


@pytest.mark.parametrize(
    ("user", "question", "follow_up", "expected"),
    [
        ("3900101", "Сколько стоит доставка?", "а сроки?", "delivery_times"),
        ("3900102", "Куда вы доставляете?", "а сроки?", "delivery_times"),
        ("3900103", "Как вернуть товар?", "а сроки?", "return_period"),
        ("3900104", "Сколько стоит доставка?", "а возврат бесплатный?", "returns_procedure"),
    ],
)
async def test_a_follow_up_asking_only_when_stays_on_the_topic_before(
    shipped_shop: Services, user: str, question: str, follow_up: str, expected: str
) -> None:
    """ "а сроки?" after the delivery price or regions got the return period ("сроки" alone is
    closest to it): it asks the time of the topic before, the delivery times; after the returns
    answer it is still the return period, and a follow-up naming the returns still gets them."""
    out = await say(shipped_shop, user, question)
    assert len(events(out, "faq_answered")) == 1
    out = await say(shipped_shop, user, follow_up)
    answered = [e["answer_id"] for e in events(out, "faq_answered")]
    assert answered == [expected], [r.text for r in out.replies]


@pytest.mark.parametrize(
    ("user", "question", "thing", "problem"),
    [
        ("3900191", "can I return an opened item?", "it's headphones", "it's broken"),
        ("3900192", "Как вернуть товар?", "это наушники", "он сломан"),
    ],
)
async def test_the_thing_a_question_was_about_is_no_complaint(
    shipped_shop: Services, user: str, question: str, thing: str, problem: str
) -> None:
    """ "it's headphones" after "can I return an opened item?" was a broken item to the model:
    a case opened, its order number, photo and story asked. It is what the question was
    about, answered from the knowledge base; "it's broken" there still opens the case."""
    out = await say(shipped_shop, user, question)
    assert events(out, "faq_answered"), [r.text for r in out.replies]
    out = await say(shipped_shop, user, thing)
    assert not events(out, "complaint_opened") and not events(out, "asked_for"), [
        r.text for r in out.replies
    ]
    out = await say(shipped_shop, user, problem)
    assert events(out, "complaint_opened"), [r.text for r in out.replies]


@pytest.mark.parametrize(
    ("user", "question", "follow_up"),
    [
        ("3870001", "Как вернуть товар?", "как отправить?"),
        ("3870002", "Хочу сделать возврат", "а как отправить?"),
        ("3870003", "How do I return an item?", "how do I send it?"),
        ("3870004", "Jak zwrócić towar?", "jak odesłać?"),
    ],
)
async def test_how_to_send_it_back_after_the_returns_is_not_told_the_shops_own_sending(
    shipped_shop: Services, user: str, question: str, follow_up: str
) -> None:
    """ "как отправить?" after the returns answer got its line "Сохраните ярлыки, и после
    проверки на складе мы сразу отправим вам деньги." (the shop sending the money, not the
    customer sending the item): the returns procedure, how to drop the item off."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["returns_procedure"]
    out = await say(shipped_shop, user, follow_up)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["returns_procedure"]
    said = " ".join(r.text for r in out.replies)
    assert any(w in said for w in ("пункт выдачи", "pickup point", "Paczkomacie")), said


@pytest.mark.parametrize(
    ("user", "question", "follow_up", "said"),
    [
        ("3870011", "Сколько дней на возврат?", "а без коробки можно вернуть?", "ничего нет"),
        ("3870012", "Ile mam czasu na zwrot?", "a bez pudełka można zwrócić?", "nie ma o tym"),
        ("3870013", "How long do I have to return something?", "and without the box?", None),
    ],
)
async def test_a_follow_up_on_what_the_answer_does_not_say_is_not_the_same_answer_again(
    shipped_shop: Services, user: str, question: str, follow_up: str, said: str | None
) -> None:
    """ "а без коробки можно вернуть?" after the return period got "Вот всё, что у меня есть
    об этом:" and the same answer again: the FAQ says nothing of a box, so that is said, with
    the returns' other topics and a person (or only the line on packaging), never the same
    answer twice in a row."""
    out = await say(shipped_shop, user, question)
    [first] = [r.text for r in out.replies]
    out = await say(shipped_shop, user, follow_up)
    replies = [r.text for r in out.replies]
    assert first not in replies, replies
    if said is not None:
        assert not events(out, "faq_answered") and said in replies[0], replies
        assert "topic:human" in buttons(out), buttons(out)
        assert "kb:return_period" not in buttons(out), buttons(out)


@pytest.mark.parametrize(
    ("user", "question", "follow_up"),
    [
        ("3870021", "Сколько стоит доставка?", "а можно оплатить при получении?"),
        ("3870022", "How much is shipping?", "and can I pay on delivery?"),
        ("3870023", "Ile kosztuje dostawa?", "a można zapłacić przy odbiorze?"),
    ],
)
async def test_paying_on_delivery_after_the_shipping_price_gets_cash_on_delivery(
    shipped_shop: Services, user: str, question: str, follow_up: str
) -> None:
    """ "and can I pay on delivery?" after the shipping price: it names the payment, a topic
    of its own, and gets cash on delivery, not the price line again."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["delivery_cost"]
    out = await say(shipped_shop, user, follow_up)
    answered = [e["answer_id"] for e in events(out, "faq_answered")]
    assert answered == ["cash_on_delivery"], [r.text for r in out.replies]


@pytest.mark.parametrize(
    ("user", "question", "said"),
    [
        ("3870031", "У вас есть скидки?", "промокоды"),
        ("3870032", "do you have any discounts?", "promo codes"),
        ("3870033", "czy są jakieś rabaty?", "kody rabatowe"),
    ],
)
async def test_a_question_about_discounts_gets_the_shops_discounts(
    shipped_shop: Services, user: str, question: str, said: str
) -> None:
    """ "У вас есть скидки?" got the price change's answer ("Если цена товара снизилась...")
    at 0.92, "do you have any discounts?" only topics: the demo shop's answer on its discounts,
    the promo codes and Lavka Club points its other answers speak of."""
    out = await say(shipped_shop, user, question)
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["discounts"], [
        r.text for r in out.replies
    ]
    assert said in out.replies[0].text and "3%" in out.replies[0].text


async def test_where_to_get_what_the_answer_tells_is_answered_not_declined(
    shipped_shop: Services,
) -> None:
    """ "а трек где взять?" after the tracking answer (which says the tracking number comes by
    SMS and email) is asked about what that answer tells in its own words: the answer, not
    "В справке об этом ничего нет"."""
    out = await say(shipped_shop, "3870041", "Как отследить заказ?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["order_tracking"]
    out = await say(shipped_shop, "3870041", "а трек где взять?")
    assert [e["answer_id"] for e in events(out, "faq_answered")] == ["order_tracking"], [
        r.text for r in out.replies
    ]
