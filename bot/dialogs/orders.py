"""Where is my order: the bot has no access to the order system, so it says so kindly,
collects the order number (once) and passes it to a person who can look it up."""

from __future__ import annotations

import re
from typing import Any

from bot.dialogs.complaint import (
    _NONE_GIVEN,
    _SLOT_NAMED,
    OPEN_BAR,
    _add_description,
    asked_in_reply,
    outburst_about_order,
    promise_stands,
)
from bot.dialogs.engine import TurnContext, failure_named, invoice_details, return_wished
from bot.dialogs.requests import asks_question, unsure_status
from bot.dialogs.slots import bare_order_ref, has, question_stands, words
from bot.nlu.lexicon import displeasure_said, price_dropped, tracking_failed
from knowledge.flow import about_placed_order, is_not_helpful

_QUESTION = re.compile(
    r"(\?|где|когда|статус|отследить|трек|привез|доставят|придет|придёт|пришл|"
    r"where|when|status|track|arriv|deliver|ship|"
    r"gdzie|kiedy|status|śledz|sledz|dotrze|przyjdzie|wysłan|wyslan|"
    r"\bgde\b|\bkogda\b|privez|pri[dy]e?t\b|"  # Russian in Latin letters: "gde moj zakaz"
    r"(?<!\w)де(?!\w)|(?<!\w)коли(?!\w)|прийде|"  # Ukrainian: "де моє замовлення 5512345"
    # "мой заказ 3740010 отменили", "order 3740011 got cancelled": why, for a person who sees it
    # (it was "Что с ним случилось?", then the FAQ on late parcels for "почему?")
    r"отменили|отмен[её]н|\bcancell?ed\b|anulowa(?:n|l|ł))",
    re.IGNORECASE,
)


def _just_the_number(text: str) -> bool:
    """A reply that is the order number with at most a few words around it."""
    return any(ch.isdigit() for ch in text) and words(text) <= 3


# words said around a number given as an answer: "it's 7734521", "вот, номер 7734521"
_FILLER = frozenset(
    "it its it's is this that the here my order number no nr ok sure yes "
    "это вот мой моего номер заказ заказа заказе да конечно держите пожалуйста "
    "to jest oto mój moje numer zamówienie zamówienia tak proszę".split()
)
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _only_filler(text: str) -> bool:
    """Nothing but the number and :data:`_FILLER` words: a bare number confuses the
    classifier (a lone "7734521" reads as a complaint), so its words decide."""
    return all(w.lower() in _FILLER for w in _TOKEN.findall(text))


def _another_request(ctx: TurnContext) -> bool:
    """A message with the order number that is really a sure complaint or a request for a
    person ("12345678 пришла разбитая"), not the number with filler words around it."""
    pred = ctx.prediction
    return (
        pred is not None
        and pred.intent in ("complaint", "request_human")
        and pred.intent_confidence >= OPEN_BAR
        and not _only_filler(ctx.incoming.text or "")
    )


# "отмените заказ", "change the delivery address", "anulujcie zamówienie": something to be
# done to an order, by a person who can change it in the order system (the bot cannot); not
# a question about where it is, and not a complaint (unless a problem is told with it)
_CANCEL = re.compile(
    r"отмени(?:те|ть)\b|\bcancel\b|\banuluj|anulowa[ćc]\b|odwoła[ćc]|odwolac|zrezygnowa[ćc]|"
    # "хочу отказаться от заказа", "не отправляйте", "I no longer want order 443322", "don't
    # send it", "Rezygnuję z zamówienia", "nie wysyłajcie"
    r"отказ(?:аться|ываюсь|ываемся)\s+от\s+(?:\w+\s+)?заказ|"
    r"не\s+(?:отправляйте|высылайте)\s+(?:его|её|ее|заказ\w*|посылк\w*)(?!\s+(?:письм|смс|sms))|"
    r"\bno\s+longer\s+want\b|\bdon'?t\s+(?:want|need)\s+(?:it|the\s+order|this\s+order)\s+"
    r"any\s*more|\b(?:don'?t|do\s+not)\s+(?:send|ship)\s+(?:it|the\s+order)(?!\s+(?:confirm|update|e-?mail))|"
    r"rezygnuj[ęe]\s+z\s+(?:\w+\s+)?zam[óo]wie|\bnie\s+wysy[łl]ajcie\s+(?:go|jej|zam[óo]wienia|paczki)\b",
    re.IGNORECASE,
)  # asked for, not told ("заказ отменили", "my order got cancelled": a complaint)
_CHANGE = re.compile(
    r"измени(?:те|ть)\b|поменя(?:йте|ть)\b|перенес(?:ите|ти)\b|исправ(?:ьте|ить) адрес|"
    r"добав(?:ьте|ить) в заказ|(?:уберите|убрать|удалите|удалить) из заказ|"
    r"\b(?:change|update|modify|edit|reschedule)\b|\badd\b.{0,30}\bto (?:my|the) order|"
    r"\bremove\b.{0,30}\bfrom (?:my|the) order|"
    r"\bzmie[nń](?:cie)?\b|zmieni[ćc]\b|\bpopraw(?:cie|ić|ic)?\b|przeło[żz]y[ćc]|przelozyc|"
    r"doda[ćc] do zam|usun[ąa][ćc] z zam|"
    # the new address given ("order 7654321, new address is Lipowa 5"): a change asked for
    # "chcę 38 zamiast 37", "хочу синий вместо чёрного", "I want size M instead of S": the
    # order changed as asked (not "прислали 38 вместо 37", a wrong item)
    r"(?:хочу|хотел\w*|нужен|нужна|нужно|want|would\s+like|'d\s+like|need|chc[eę]|chcia[łl]\w*|"
    r"poprosz[eę]|prosz[eę])\b.{0,40}?(?:вместо|instead\s+of|zamiast)\b|"
    # (said with the address after it: "новый адрес я указывал в профиле" tells a problem)
    r"(?:нов\w*\s+адрес\w*|\bnew\s+(?:delivery\s+|shipping\s+)?address|\bnow\w*\s+adres\w*)"
    r"\s*(?:[:\-–—]|is\b|будет\b|такой\b|to\b|jest\b)",
    re.IGNORECASE,
)
# "Я указала неправильный адрес, можно исправить?", "I entered the wrong address, can you fix
# it?": the customer's own slip in the order, to be changed (with a word asking for it)
_WRONG_ADDRESS = re.compile(
    r"(?:неправильн|неверн|ошибочн|не\s+тот|не\s+т[ую])\w*\s+адрес|адрес\w*\s+(?:\w+\s+)?"
    r"(?:неправильн|неверн|с\s+ошибк)|\bwrong\s+(?:delivery\s+|shipping\s+)?address|"
    r"(?:typo|mistake)\s+in\s+(?:the\s+|my\s+)?address|\b(?:z[łl]y|b[łl][ęe]dny|niepoprawny)\s+adres|"
    r"pomy[łl]k\w*\s+w\s+adresie",
    re.IGNORECASE,
)
_FIX_ASKED = re.compile(
    r"исправ|измен|поменя|\bfix|\bchange|\bcorrect|\bupdate|\bpopraw|\bzmie[nń]", re.IGNORECASE
)
_ORDER_WORD = re.compile(
    r"заказ|адрес|доставк|order|address|deliver|zamówien|zamowien|adres|dostaw", re.IGNORECASE
)
# "Not sure how to change my delivery address", "Подскажите как отменить заказ", "nie wiem jak
# zmienić adres": how to do it, asked without a question mark - the knowledge base's answer
# (a colleague asked for the order number to change it for them)
_HOW_TO = re.compile(
    r"\bhow\s+(?:to|do\s+i|can\s+i|should\s+i|would\s+i)\b|"
    r"(?:не\s+(?:знаю|понимаю|пойму|соображу|могу\s+понять|разобралась|разобрался)|подскажите|"
    r"расскажите|объясните)\W+как\b|"
    r"(?:nie\s+(?:wiem|rozumiem|mog[ęe]\s+znale[źz][ćc])|podpowiedz|podpowiedzcie|powiedzcie|"
    r"wyja[śs]nijcie)\W+jak\b",
    re.IGNORECASE,
)
# a problem told with it ("отмените, он уже месяц едет!"): the complaint flow's case
_PROBLEM = re.compile(
    # (whole words: "Мне пришло письмо" holds "не пришло")
    r"(?<!\w)не\s+(?:приш|пришё|доставл|привез|работа|тот|та)|так и не|до сих пор|"
    r"уже\s+\w+\s+(?:жду|ед)|опозд|задерж|долго|разбит|слома|поврежд|брак|(?<!\w)не\s+хватает|"
    r"\blate\b|delay|broken|damaged|wrong|missing|never|still|not\s+(?:arrived|working|delivered)|"
    r"spóźn|spozn|opóźn|opozn|uszkodz|zepsu|rozbit|(?<!\w)nie\s+(?:dotar|przysz|działa|dziala)|"
    r"wciąż|nadal",
    re.IGNORECASE,
)


def _upset(ctx: TurnContext) -> bool:
    """The customer's message is upset or angry (asked where their order is, in a mood), to
    the model or in its words ("Ужасный магазин, где мой заказ?"); a bare number, which the
    classifier reads as anything, says nothing of a mood."""
    text = ctx.incoming.text or ""
    if _only_filler(text):
        return False
    pred = ctx.prediction
    return (pred is not None and pred.emotion in ("upset", "angry")) or displeasure_said(text)


def order_action(ctx: TurnContext) -> str | None:
    """ "cancel" or "change" when the message asks for that to be done to an order."""
    text = ctx.incoming.text or ""
    pred = ctx.prediction
    if not text or pred is None or ctx.incoming.callback_data:
        return None
    if pred.intent not in ("order_status", "faq", "complaint", "request_human"):
        return None  # (a person asked for by it, "proszę je anulować", is the one who can)
    if not pred.order_ref and (pred.intent == "faq" or asks_question(text) or _HOW_TO.search(text)):
        return None  # "как отменить заказ?", "how can I cancel?": the knowledge base's answer
    # ("the wrong address" I gave is no problem with the order: "wrong" is a problem word)
    told = _WRONG_ADDRESS.sub(" ", text)
    if pred.threat not in (None, "none") or pred.emotion == "angry" or _PROBLEM.search(told):
        return None
    if not (pred.order_ref or _ORDER_WORD.search(text)):
        return None
    if _CANCEL.search(text):
        return "cancel"
    if _CHANGE.search(text) or (_WRONG_ADDRESS.search(text) and _FIX_ASKED.search(text)):
        return "change"
    return None


def _action_answered(ctx: TurnContext) -> str | None:
    """ "cancel" or "change" when the knowledge base answered, the turn before, a wish to
    have that done to an order or how to do it ("хочу отменить заказ", "Как отменить
    заказ?"): a lone order number next is the order to do it to."""
    from knowledge.flow import recent_answer  # knowledge.flow imports this module's users

    memory = ctx.state.get("faq") or {}
    said = str(memory.get("query") or "")
    turns = int(ctx.state.get("turns", 0))
    if not said or not recent_answer(ctx) or turns - int(memory.get("turn", -100)) != 1:
        return None
    if _PROBLEM.search(_WRONG_ADDRESS.sub(" ", said)):
        return None
    if _CANCEL.search(said):
        return "cancel"
    if _CHANGE.search(said):
        return "change"
    if return_wished(said):
        return "return"  # "Мне нужно вернуть товар, он не подошёл": the return's steps given
    return None


# A question read as order status that names no order of the customer's ("через сколько дней
# приедет посылка в Самару?", "the item is sold out, when will it be back?") gets the knowledge
# base's answer when it is this sure, and the number is asked for in case it was about a placed
# order after all (benchmarks/routing_check.py).
GENERAL_KB_MIN = 0.8
GENERAL_MIN_WORDS = 4  # "где заказ??", "gdzie paczka": the customer's own order
# sent instead of the number: a screenshot of the order, a file, the number said by voice
_SHOWN = {"photo", "document", "video", "voice", "audio", "video_note"}


def _order_noted(ctx: TurnContext, ref: Any) -> None:
    """An order named with nothing about it: noted, and what it is about asked. The same
    number again right after ("заказ 3680001" twice to "Что случилось?") is not answered
    with the same sentence: the number is kept, only what happened is asked for."""
    turn = int(ctx.state.get("turns", 0))
    noted = ctx.state.get("order_noted")
    again = (
        noted is not None
        and turn - int(noted) == 1
        and ctx.state.get("order_noted_ref") == str(ref)
    )
    ctx.state["order_noted"], ctx.state["order_noted_ref"] = turn, str(ref)
    ctx.say("order_what_about_again" if again else "order_what_about", order=ref)
    ctx.event("order_noted", order_ref=ref, **({"again": True} if again else {}))


class OrderStatusFlow:
    name = "order_status"

    async def handle(self, ctx: TurnContext) -> bool:
        case = ctx.state.get("complaint") or {}
        if case.get("stage") not in (None, "done", "handed_over"):
            return False  # mid-complaint an order number is a detail of the complaint
        if promise_stands(ctx) or asked_in_reply(ctx):
            # "when exactly?" about a case just promised, or "а где мой возврат?" replied to
            # the bot's message on it: the case answers
            return False
        pending = ctx.state.get("order_status")
        known = ctx.state.setdefault("known", {})
        if invoice_details(ctx.state, ctx.now, ctx.incoming.text or ""):
            # "ООО Ромашка, ИНН 7701234567, заказ 3470101" after the invoice was asked: the
            # request, for a colleague who issues it (the details and the order on the card)
            ctx.state.pop("order_status", None)
            _add_description(known, ctx.incoming.text or "")
            order = known.get("order_ref")
            if order:
                ctx.say("invoice_pass", order=order)
            else:
                ctx.say("invoice_pass_no_number")
            ctx.request_handoff("customer_request")
            return True
        if pending != "asked":
            ctx.state.pop("order_action", None)  # an earlier request's, dropped elsewhere
            if not ctx.incoming.callback_data and outburst_about_order(ctx.incoming.text or ""):
                return False  # "okropna dostawa, zamówienie 6690213": a complaint, not yet told
        if ctx.intent == "order_status" and tracking_failed(ctx.incoming.text or ""):
            # "не работает отслеживание посылки": said with the status passed on (_pass_on)
            ctx.state["tracking_failed"] = True
        action = order_action(ctx)
        if action is not None:
            ctx.state["order_action"] = action
            if has(known, "order_ref"):
                self._pass_on(ctx)
            else:
                self._ask(ctx, "order_change_ask")
            return True
        if await self._price_difference(ctx, known):
            return True
        offered = self._after_offer(ctx, known)
        if offered is not None:
            return offered
        if (ref := ctx.lone_order) is not None and (wished := _action_answered(ctx)):
            # "хочу отменить заказ" (the FAQ's how-to given), then "8800001": that order, to
            # cancel (it was "Понял, заказ 8800001. Чем могу помочь?", the wish forgotten)
            known["order_ref"] = ref
            if wished == "return":
                # "Мне нужно вернуть товар" (the return's steps given), then "3850409": that
                # order's return, which the customer starts (it was "what happened with it?",
                # and "как отправить?" next went to a colleague as a status question)
                ctx.say("order_return_noted", order=ref)
                ctx.event("order_noted", order_ref=ref, wish="return")
                return True
            ctx.state["order_action"] = wished
            self._pass_on(ctx)
            return True
        if (ref := ctx.lone_order) is not None:
            # "5512377" and nothing else (a lone number read as a complaint opened a case of
            # no type): noted, and what it is about
            known["order_ref"] = ref
            _order_noted(ctx, ref)
            return True
        noted = ctx.state.get("order_noted")  # the complaint flow reads it too
        text = ctx.incoming.text or ""
        if (
            noted is not None
            and int(ctx.state.get("turns", 0)) - int(noted) == 1
            and has(known, "order_ref")
            and not ctx.incoming.callback_data
            and ctx.intent in (None, "faq", "order_status")
            and _QUESTION.search(text)
            and words(text) <= 4
        ):
            # "Jasne, zamówienie 5512377. W czym mogę pomóc?" - "gdzie jest?": that order's
            # status (it was the FAQ's "Czy pytanie dotyczy jednego z tych tematów?")
            self._pass_on(ctx)
            return True
        threat = ctx.prediction.threat if ctx.prediction else None
        if pending == "asked" and threat not in (None, "none"):
            # "12345678, подаю в суд": the threat decides who takes it (a senior), not the
            # order-number question
            self._drop(ctx)
            return False
        if pending == "asked" and not ctx.incoming.callback_data:
            text = ctx.incoming.text or ""
            if not _another_request(ctx) and has(known, "order_ref") and _just_the_number(text):
                # "it's 7734521": the answer, whatever the classifier makes of a bare number
                self._pass_on(ctx)
                return True
            if (
                not has(known, "order_ref")
                and _number_not_known(text)
                and ctx.intent != "request_human"
                and failure_named(text, unsure_status=True) in (None, "delivery_delay")
            ):
                # "I don't have the number, I ordered last Tuesday": no number is coming (not a
                # late-delivery case waiting for it); a person finds the order by the customer
                self._pass_on(ctx)
                return True
            if ctx.intent in ("complaint", "request_human"):
                # "Order 5512300, one item is missing": a complaint after all (the number is
                # already remembered), or a person: their flows take it from here.
                self._drop(ctx)
                return False
            if has(known, "order_ref"):
                self._pass_on(ctx)
                return True
            ctx.state.pop("order_status", None)
            if ctx.intent in (None, "order_status", "deny", "affirm"):
                # No number after all: a person can still find the order by the customer.
                self._pass_on(ctx)
                return True
            self._drop(ctx)
            return False
        if (
            ctx.intent in ("deny", "faq", "out_of_scope", None)
            and not has(known, "order_ref")
            and not question_stands(ctx.state)
            and _number_not_known(ctx.incoming.text or "")
            and failure_named(ctx.incoming.text or "", unsure_status=True) is None
        ):
            # "Nie pamiętam numeru zamówienia" (a "no" to the model) got the FAQ's answer on
            # missing items: the customer's order, whose number they do not have; a person
            # finds it by the customer
            self._pass_on(ctx)
            return True
        if ctx.intent != "order_status":
            return False
        # the tracking that fails them is no question for the KB ("see it in My orders"), nor
        # one to ask what it is about: the order's status
        tracking = bool(ctx.state.get("tracking_failed"))
        if (
            has(known, "order_ref")
            and not _QUESTION.search(ctx.incoming.text or "")
            and not tracking
        ):
            # "Hello, I have order 7781234": not a question yet, so ask what it is about (noted:
            # the next message is the answer, "gdzie ona jest?", "nieważne, już dotarła")
            if await self._need_answered(ctx, str(known["order_ref"])):
                return True  # what they need is said: the answer, kept for a follow-up to it
            _order_noted(ctx, known["order_ref"])
            return True
        if has(known, "order_ref"):
            self._pass_on(ctx)
        elif not tracking and await self._answered_generally(ctx):
            text = ctx.incoming.text or ""
            if _no_number_said(text):
                # "Я не помню номер заказа, как его узнать?": where to find it answered; no
                # "send me the order number" after it
                return True
            # the offer holds for the next message only, and asks for nothing: a number in a
            # later message is not taken for an order number
            ctx.state["order_offered"] = int(ctx.state.get("turns", 0))
            ctx.event("order_check_offered")
            ctx.say("order_status_offer")
        elif _number_not_known(ctx.incoming.text or ""):
            # "Я не помню номер заказа", "I don't know my order number" got "What's the order
            # number?": it is not coming; a person finds the order by the customer
            self._pass_on(ctx)
        elif not await self._not_about_an_order(ctx):
            self._ask(ctx, "order_status_ask")
        return True

    def _after_offer(self, ctx: TurnContext, known: dict) -> bool | None:
        """The message right after a general answer and the offer to check a placed order:
        handled here (True), or None for the usual handling."""
        offered = ctx.state.pop("order_offered", None)
        action = ctx.state.pop("offer_action", None)  # what the number is for, if not its status
        turns = int(ctx.state.get("turns", 0))
        if offered is None or turns - int(offered) != 1 or ctx.incoming.callback_data:
            return None
        if action is not None:
            ctx.state["order_action"] = action
        text = ctx.incoming.text or ""
        pred = ctx.prediction
        if pred is not None and pred.threat not in (None, "none"):
            return None
        ref = pred.order_ref if pred is not None else None
        if not ref and _only_filler(text):
            ref = bare_order_ref(text)  # "7734521", "это 7734521"
        if ref:
            if _another_request(ctx):
                return None  # "12345678 пришла разбитая": a complaint, with its number
            known.setdefault("order_ref", ref)
            self._pass_on(ctx)  # "it's order 12345678, placed on Monday"
            return True
        if ctx.intent == "affirm":
            # "да, сейчас найду номер": the number is what comes next
            ctx.state["order_status"] = "asked"
            ctx.event("asked_for", slot="order_ref")
            ctx.say("order_status_offer_yes")
            return True
        ctx.state.pop("order_action", None)
        if ctx.intent == "deny" and not is_not_helpful(text, None):
            # "нет, я ещё не заказывала" answers the offer, not the answer before it
            ctx.say("order_status_offer_no")
            return True
        return None

    async def _price_difference(self, ctx: TurnContext, known: dict) -> bool:
        """A price gone down since the purchase ("Купил вчера, а сегодня цена упала на 500 ₽",
        read as a question by the engine): the shop's answer on price changes, which says what
        it gives back and how, then the order for a colleague who can give it (its number
        asked for when not told). "Напишите нам — вернём разницу" alone left the customer,
        who just had, with "Понял, заказ 5531207. Чем могу помочь?" for their number."""
        pred = ctx.prediction
        text = ctx.incoming.text or ""
        if (
            pred is None
            or pred.intent != "faq"
            or ctx.incoming.callback_data
            or ctx.faq is None
            or not price_dropped(text)
        ):
            return False
        asked = getattr(pred, "query", None) or text
        if not await ctx.faq.answer_also(ctx, asked, via="search"):
            return False  # no sure answer: the FAQ flow's topics, and a person a tap away
        if pred.order_ref:
            known["order_ref"] = pred.order_ref
            ctx.state["order_action"] = "price"
            self._pass_on(ctx)
        else:
            ctx.state["order_offered"] = int(ctx.state.get("turns", 0))
            ctx.state["offer_action"] = "price"
            ctx.event("order_check_offered")
            ctx.say("order_price_offer")
        return True

    async def _need_answered(self, ctx: TurnContext, order: str) -> bool:
        """What the customer needs for the order they name, when the FAQ is sure of it ("Мне
        нужен чек для работы по заказу 1122998": the receipts answer, not "Чем могу помочь?");
        searched without the number, which keeps any search from being sure."""
        text = (ctx.incoming.text or "").replace(order, " ")
        return await self._sure_answer(ctx, text, via="order_noted")

    async def _answered_generally(self, ctx: TurnContext) -> bool:
        """A general question about delivery or stock, not about a placed order: a sure
        knowledge-base answer."""
        text = ctx.incoming.text or ""
        if about_placed_order(text):
            return False
        return await self._sure_answer(ctx, text, via="order_status")

    @staticmethod
    async def _not_about_an_order(ctx: TurnContext) -> bool:
        """A question the model reads as a status one, unsure, that names no order, parcel
        or delivery ("Is my data safe with you?" at 0.49 was asked for an order number): the
        KB's answer or its closest topics (with a person among them)."""
        text = ctx.incoming.text or ""
        pred = ctx.prediction
        if ctx.faq is None or pred is None or not unsure_status(text, pred):
            return False
        if "?" not in text or words(text) < GENERAL_MIN_WORDS:
            return False
        if about_placed_order(text, whose=False):  # "is it still not there?", "any news?"
            return False
        return await ctx.faq.question(ctx, text)

    @staticmethod
    async def _sure_answer(ctx: TurnContext, text: str, *, via: str) -> bool:
        """The KB's sure answer (GENERAL_KB_MIN) to ``text`` of a few words or more, unless the
        customer threatens or is angry (theirs is a case for the playbook or a person)."""
        if ctx.faq is None or words(text) < GENERAL_MIN_WORDS:
            return False
        pred = ctx.prediction
        if pred is not None and (pred.threat not in (None, "none") or pred.emotion == "angry"):
            return False
        return await ctx.faq.answer_also(ctx, text, min_score=GENERAL_KB_MIN, via=via)

    @staticmethod
    def _ask(ctx: TurnContext, key: str) -> None:
        """Ask for the order number; an upset customer's mood is kept for the answer to it."""
        ctx.state["order_status"] = "asked"
        if _upset(ctx):
            ctx.state["order_upset"] = True
        ctx.event("asked_for", slot="order_ref")
        ctx.say(key)

    @staticmethod
    def _drop(ctx: TurnContext) -> None:
        """The order number asked for is not coming: something else is said instead."""
        ctx.state.pop("order_status", None)
        ctx.state.pop("order_action", None)
        ctx.state.pop("order_upset", None)
        ctx.state.pop("tracking_failed", None)

    def _pass_on(self, ctx: TurnContext) -> None:
        ctx.state.pop("order_status", None)
        upset = ctx.state.pop("order_upset", False) or _upset(ctx)
        action = ctx.state.pop("order_action", None)
        order = ctx.state.get("known", {}).get("order_ref")
        if action is not None:
            # "отмените заказ": for someone who can change it, said as that (and kept: "ой,
            # передумал" while the colleague is awaited takes it back)
            ctx.state["order_asked"] = action
            if order:
                ctx.say(f"order_{action}_pass", order=order)
            else:
                ctx.say("order_change_pass_no_number")
            ctx.request_handoff("order_change")
            return
        if order:
            # "this shop is garbage, where is my order 55123": thanks, and sorry, before the rest
            ctx.say("order_status_pass_upset" if upset else "order_status_pass", order=order)
        elif (
            _SHOWN & {a.kind for a in ctx.incoming.attachments}
            and not (ctx.incoming.text or "").strip()
        ):
            # a screenshot of the order, the number said by voice: for the person to see
            ctx.say("order_status_pass_media")
        else:  # no number after all: a person can still find the order by the customer
            # ("this shop is garbage, where is my order" - "I don't have the number": sorry
            # too, as with a number)
            ctx.say("order_status_pass_no_number_upset" if upset else "order_status_pass_no_number")
        if ctx.state.pop("tracking_failed", None):
            # the tracking page or number that does not work for them: sorry, and noted for
            # the team (the colleague's card has it in the transcript)
            ctx.say("order_tracking_noted")
            ctx.event("tracking_noted")
        ctx.request_handoff("order_status")


# "как его узнать?", "where can I find it?", "gdzie go znajdę?": where the number is, asked
_WHERE_TO_FIND = re.compile(
    r"(?:как|где)\s+(?:мне\s+)?(?:его\s+)?(?:узнать|найти|посмотреть|глянуть)|"
    r"\b(?:how|where)\s+(?:do|can|could|would)\s+i\s+(?:find|get|see|check)|"
    r"\b(?:jak|gdzie)\s+(?:mog[ęe]\s+)?(?:go\s+)?(?:znale[źz]|znajd|sprawdz|sprawdzi)",
    re.IGNORECASE,
)


def _no_number_said(text: str) -> bool:
    """The customer says they do not have the order number ("не помню номер заказа", "I
    don't know my order number", "nie pamiętam numeru zamówienia")."""
    return bool(_NONE_GIVEN.search(text) and _SLOT_NAMED["order_ref"].search(text))


def _number_not_known(text: str) -> bool:
    """No order number, and where to find it not asked (the knowledge base's answer)."""
    return _no_number_said(text) and not _WHERE_TO_FIND.search(text)
