"""The short survey after a resolution: solved? how was it (1-5)? would you recommend (0-10)?"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.db.models import SurveyAnswer
from bot.dialogs.engine import TurnContext
from bot.dialogs.handoff import activist_gesture, with_gesture
from bot.dialogs.rules import Rules, load_rules
from bot.dialogs.slots import yes_no_sign
from bot.dialogs.texts import Texts
from bot.dialogs.types import Button, Reply

_DATA = re.compile(r"^sv:(solved|csat|nps):(yes|no|\d{1,2})$")
# "5", "5 из 5", "5/5", "4 звезды", "9 of 10", "10 na 10": the score the question asked for, typed
_TYPED = re.compile(
    r"^\s*(\d{1,2})\s*(?:(?:из|/|of|out\s+of|z|na)\s*(\d{1,2}))?\s*"
    r"(?:зв[её]зд\w*|балл\w*|stars?|points?|gwiazd\w*|pkt|punkt\w*)?[\s!.)+]*$",
    re.IGNORECASE,
)
# ... and a word on it after: "1/10 would not recommend", "0 stars lol", "ноль. вы худшие",
# "jeden, bo zera nie ma" (the score out of a scale, in stars, or before a stop)
_TYPED_THEN_SAID = re.compile(
    r"^\s*(\d{1,2})\s*(?:(?:(?:из|/|of|out\s+of|z|na)\s*(\d{1,2})(?!\d)\s*(?:зв[её]зд\w*|stars?|"
    r"gwiazd\w*)?|зв[её]зд\w*|балл\w*|stars?|gwiazd\w*)\W*|\s*[.,!;:—–-]+)\s*[^\W\d_].*$",
    re.IGNORECASE | re.DOTALL,
)
_TOP = {"csat": 5, "nps": 10}
LOW_CSAT = 2  # a rating this low or lower is followed by "what went wrong?", not the NPS
# "пять", "five", "dziesięć", "десять из десяти": a score in words
_NUMBER_WORDS = {
    0: "ноль нуль zero",
    1: "один одна единица единичка one jeden jedna jedynka",
    2: "два две двойка two dwa dwie dwójka",
    3: "три тройка тройку трёх трех троечка троечку трояк three trzy trójka trójkę trója",
    4: "четыре четвёрка четверка четвёрку четверку четвёрочку четверочку four cztery czwórka "
    "czwórkę",
    5: "пять пятёрка пятерка пятёрку пятерку пятёрочку пятерочку пяти five pięć piątka piątkę "
    "pięciu",
    6: "шесть six sześć",
    7: "семь seven siedem",
    8: "восемь eight osiem",
    9: "девять nine dziewięć",
    10: "десять десятка десятку десяти ten dziesięć dziesiątka dziesiątkę dziesięciu",
}
_WORD_SCORE = {w: n for n, words in _NUMBER_WORDS.items() for w in words.split()}
# "отлично", "так себе", "terrible", "średnio": the rating 1-5 said as a word of the scale
# ("1 (poor) to 5 (excellent)"); not to the 0-10 question, where such a word fits many numbers
_CSAT_WORDS = [
    (
        5,
        r"отлично|превосходно|великолепно|идеально|супер|excellent|perfect|outstanding|"
        r"brilliant|[śs]wietnie|doskonale|znakomicie|rewelacyjnie|rewelacja|idealnie",
    ),
    (4, r"очень\s+хорошо|very\s+good|bardzo\s+dobrze"),
    (
        3,
        r"средне|так\s+себе|сойд[её]т|so-?so|meh|average|okay-?ish|"
        r"[śs]rednio|tak\s+sobie|ujdzie|przeci[ęe]tnie",
    ),
    (2, r"плохо|слабо|poor|bad|not\s+(?:great|good)|s[łl]abo|[źz]le|kiepsko"),
    (
        1,
        r"ужасно|отвратительно|кошмар|хуже\s+некуда|terrible|awful|horrible|the\s+worst|"
        r"okropnie|fatalnie|tragicznie|beznadziejnie",
    ),
]
_CSAT_WORD = [
    (
        n,
        re.compile(
            rf"^\W*(?:очень\s+|very\s+|bardzo\s+|просто\s+|just\s+|po\s+prostu\s+)?"
            rf"(?:{words})\W*$",
            re.IGNORECASE,
        ),
    )
    for n, words in _CSAT_WORDS
]
# "Was your question solved?" answered in words instead of the buttons
_SOLVED_YES = re.compile(
    r"^\W*(да|ага|угу|решен\w*|решили|yes|yeah|yep|yup|solved|it is|tak|rozwiązan\w*|"
    r"rozwiazan\w*|załatwion\w*)\b[\w\s,!.]{0,30}$",
    re.IGNORECASE,
)
_SOLVED_NO = re.compile(
    r"^\W*(нет|неа|не решен\w*|no|nope|not (?:yet|really|solved)|nie)\b[\w\s,!.]{0,30}$",
    re.IGNORECASE,
)
# "всё хорошо, спасибо", "all good, thanks", "wszystko w porządku": solved, said politely (a
# thanks or praise holding one of these words)
FINE_SAID = re.compile(
    r"\b(?:хорошо|отлично|прекрасно|супер|в\s+порядке|решил\w*|разобрал\w*|работает|"
    r"good|great|fine|perfect|sorted|solved|resolved|works|"
    r"dobrze|świetnie|swietnie|super|w\s+porządku|w\s+porzadku|działa|dziala|"
    r"rozwiązan\w*|załatwion\w*)\b",
    re.IGNORECASE,
)
POLITE = frozenset({"thanks", "praise", "affirm"})
GRATEFUL = frozenset({"thanks", "praise"})  # an "ok" alone ("ну ок", "посмотрим") is not
# ... unless something is said against it ("спасибо, но не работает", "thanks but not sorted")
_BUT = re.compile(r"\b(?:не|нет|но|однако|not|no|but|nie|ale|jednak)\b|n't", re.IGNORECASE)
# "частично", "partly", "częściowo": half solved is not solved
_PARTLY = re.compile(
    r"^\W*(?:частично|отчасти|не\s+до\s+конца|не\s+полностью|наполовину|partly|partially|"
    r"half|not\s+(?:completely|fully|entirely)|częściowo|czesciowo|nie\s+do\s+końca|"
    r"nie\s+całkiem)\b[\w\s,!.]{0,40}$",
    re.IGNORECASE,
)
# a "yes" or "ok" to a question that wants a number: the customer means to answer
_AGREE = re.compile(
    r"^\W*(да|ага|ок|окей|хорошо|конечно|yes|yeah|ok|okay|sure|tak|dobrze|jasne|pewnie)\W*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
# "ну четыре наверное", "не знаю, может 7", "ставлю пятёрку", "I'd say 8": a hedge around the score
_HEDGE = re.compile(
    r"(?<!\w)(?:ну|наверное|наверно|пожалуй|думаю|где-?то|примерно|может\s+быть|может|"
    r"не\s+знаю|ставлю|поставлю|поставил[аи]?|оценка|оцениваю|твёрдая|твердая|"
    r"i'?d\s+say|maybe|probably|i\s+guess|i\s+think|about|around|say|well|hmm+|"
    r"chyba|może|moze|myślę|mysle|dam|daję|daje|raczej|no|hm+|эм+)(?!\w)",
    re.IGNORECASE,
)
# "5, спасибо", "10 конечно", "9 thanks for the help", "na 5, dzięki": a thanks or an "of
# course" around the score
_KIND = re.compile(
    r"(?<!\w)(?:(?:спасибо|спс|благодарю|thanks|thank\s+you|thx|dzięki|dzieki|dziękuję|"
    r"dziekuje)(?:\s+(?:вам|большое|огромное|a\s+lot|so\s+much|bardzo))?"
    r"(?:\s+(?:за|for|za)\s+(?:помощь|всё|все|the\s+help|your\s+help|help|pomoc))?|"
    r"конечно|of\s+course|oczywiście|oczywiscie)(?!\w)",
    re.IGNORECASE,
)
_ON = re.compile(r"^\s*(?:на\s+все|на|na)\s+(?=\d)", re.IGNORECASE)  # "на все 5", "na 5"
# "нет", "не хочу", "no thanks", "nie teraz", "нет, всё" to a question that wants a number: no
# rating
_DECLINE = re.compile(
    r"^\W*(?:(?:нет|неа|no|nope|nie)\W*)?(?:(?:спасибо|thanks|thank\s+you|dziękuję|dzięki)\W*)?"
    r"(?:(?:не\s+(?:хочу|буду|надо|стоит)|не\s+сейчас|потом|not\s+now|later|"
    r"i'?d\s+rather\s+not|nie\s+(?:chc[eę]|teraz|trzeba|b[eę]d[eę])|p[oó][źz]niej|"
    # "нет, всё", "no, that's all", "nie, to wszystko": the customer is done
    r"(?:это\s+|на\s+этом\s+)?вс[её]|ничего|that'?s\s+(?:all|it)|nothing|(?:to\s+)?wszystko|nic)"
    r"(?:\s+(?:ничего\s+)?(?:оценивать|ставить|rate|rating|oceniać|oceniac))?\W*)?"
    r"(?:(?:спасибо|thanks|thank\s+you|dziękuję|dzięki)\W*)?$|"
    # "оценивать не буду", "не буду ничего оценивать", "I don't want to rate", "bez oceny",
    # "no rating, thanks", "skip"
    r"^\W*(?:(?:нет|no|nie)\W+)?(?:оценивать\s+не\s+(?:буду|хочу|стану)|"
    r"не\s+(?:буду|хочу|стану)\s+(?:ничего\s+|это\s+)?(?:оценивать|ставить)|без\s+оценки|"
    r"i\s+(?:don'?t|do\s+not|won'?t)\s+(?:want\s+to\s+)?(?:rate|give\s+a\s+rating)|no\s+rating|"
    r"skip(?:\s+(?:it|this|the\s+rating))?|pass|bez\s+oceny|nie\s+b[eę]d[eę]\s+ocenia[ćc]|"
    r"nie\s+chc[eę]\s+ocenia[ćc]|pomi[ńn])(?:\W+(?:спасибо|thanks|thank\s+you|dziękuję|dzięki))?\W*$",
    re.IGNORECASE,
)
# what the customer says to "was it solved?" that means it is not: a complaint or a no (a
# person asked for again is a new request: a new ticket, the old one on its card)
STILL_WRONG = frozenset({"complaint", "deny"})
# what a customer sends to show something (a photo of what is still broken, of what came):
# no answer to "was it solved?", which stands
SHOWN = frozenset({"photo", "document", "video", "video_note"})


def on_scale(step: str, score: int) -> bool:
    """Whether ``score`` is one of the answers to ``step``: a rating 1-5, a 0-10 likelihood."""
    return (1 if step == "csat" else 0) <= score <= _TOP[step]


def typed_score(text: str, step: str | None) -> str | None:
    """A score typed in answer to the survey's question ``step`` (None: not a score)."""
    # "5️⃣", "👍 10": the keycap is the digit, an emoji beside it says nothing more
    text = text.replace("\ufe0f", "").replace("\u20e3", "")
    text = "".join(" " if unicodedata.category(c) == "So" else c for c in text)
    text = _WORD.sub(lambda w: str(_WORD_SCORE.get(w.group().lower(), w.group())), text)
    text = _KIND.sub(" ", _HEDGE.sub(" ", text)).strip(" \t\n,;:-–—")
    text = _ON.sub("", text)
    m = _TYPED.match(text) or _TYPED_THEN_SAID.match(text)
    top = _TOP.get(step or "")
    if top is None:
        return None
    if m is None:
        if step == "csat":
            for n, said in _CSAT_WORD:
                if said.match(text):
                    return str(n)
        return None
    score, out_of = int(m.group(1)), m.group(2)
    if out_of is not None and int(out_of) != top:
        if step == "csat" and int(out_of) == 10 and score <= 10:
            # "10/10", "8 из 10" to the 1-5 question: the same rating on its scale
            return str(max(1, int(score / 2 + 0.5)))
        return None  # "5/5" to the 0-10 question: not this scale
    if step == "csat" and score == 0 and out_of is None:
        return "1"  # "zero stars lol", "ноль. вы худшие": the lowest there is
    return str(score) if on_scale(str(step), score) else None


def solved_buttons(texts: Texts) -> list[list[Button]]:
    return [
        [
            Button(texts.plain("yes_button"), "sv:solved:yes"),
            Button(texts.plain("no_button"), "sv:solved:no"),
        ]
    ]


def csat_buttons() -> list[list[Button]]:
    return [[Button(str(i), f"sv:csat:{i}") for i in range(1, 6)]]


def nps_buttons() -> list[list[Button]]:
    return [
        [Button(str(i), f"sv:nps:{i}") for i in range(0, 6)],
        [Button(str(i), f"sv:nps:{i}") for i in range(6, 11)],
    ]


# the survey of a customer who has not seen its question yet (another channel's, delivered
# with its next response): asked from then on, not read into the message answered now
UNSEEN_SURVEY = "survey_unseen"


def survey_start(texts: Texts, ticket_id: int | None, *, thanked: bool = False) -> list[Reply]:
    """What the customer gets when an operator resolves the ticket; ``thanked`` when the
    message just before thanked them ("Спасибо за терпение!" twice in a row read as canned)."""
    notice = "survey_resolved_notice_thanked" if thanked else "survey_resolved_notice"
    return [
        Reply(texts(notice)),
        Reply(texts("survey_solved_q"), solved_buttons(texts)),
    ]


def start_after_bot(ctx: TurnContext) -> None:
    """After the bot itself solved a complaint: two quick questions."""
    ctx.state["survey"] = {"ticket_id": None, "step": "csat"}
    ctx.say("survey_csat_q", buttons=csat_buttons())


class SurveyFlow:
    name = "survey"

    def __init__(self, rules: Rules | None = None, rules_file: str | None = None) -> None:
        self.rules = rules or load_rules(rules_file)

    async def handle(self, ctx: TurnContext) -> bool:
        survey = ctx.state.get("survey")
        data = ctx.incoming.callback_data or ""
        m = _DATA.match(data)
        typed = None
        text = ctx.incoming.text or ""
        kinds = {a.kind for a in ctx.incoming.attachments}
        if (
            m is None
            and survey
            and not data
            and survey.get("step") == "solved"
            and not text.strip()
            and kinds & SHOWN
        ):
            # a photo after "was it solved?": not an answer, and the question stays (a No
            # brings the ticket back to its operator with the photos sent since)
            ctx.say("survey_media_kept", buttons=solved_buttons(ctx.texts))
            return True
        step = survey.get("step") if survey else None
        if (
            m is None
            and not data
            and step in _TOP
            and kinds & SHOWN
            and typed_score(text, step) is None
            and len(text.split()) <= 4
            and "?" not in text
        ):
            from bot.dialogs.complaint import shown_after_done  # complaint imports this module

            if await shown_after_done(ctx):
                # "да, вот выписка", then the statement, to "rate us from 1 to 5": the
                # statement kept on the case, and the rating asked again
                ctx.say("survey_media_added")
                buttons = csat_buttons() if step == "csat" else nps_buttons()
                ctx.say(f"survey_{step}_q", buttons=buttons)
                return True
        if m is None and survey and not data and survey.get("step") == "why":
            return await self._why(ctx, survey, text)
        if m is None and survey and not data:
            typed = typed_score(text, survey.get("step"))
            if typed is None and survey.get("step") == "solved":
                typed = (
                    "yes"
                    if _SOLVED_YES.match(text)
                    else "no"
                    if _SOLVED_NO.match(text) or _PARTLY.match(text)
                    else yes_no_sign(ctx.incoming)  # 👍 (typed, or a sticker)
                )
                if (
                    typed is None
                    and (FINE_SAID.search(text) or ctx.intent in GRATEFUL)
                    and ctx.intent in POLITE
                    and not _BUT.search(text)
                    and "?" not in text
                ):
                    # "всё хорошо, спасибо"; a bare "Спасибо!" to "it is resolved... was it
                    # solved?" is a yes too (the rating follows)
                    typed = "yes"
            if (
                typed is None
                and survey.get("step") == "solved"
                and survey.get("ticket_id") is not None
                and ctx.intent == "request_human"
            ):
                # "I want to talk to a person" instead of an answer to "was it solved?": not
                # solved for them; back to the ticket, its topic and its operator, with the
                # whole case (a new ticket would leave it on a closed topic, and a "No"
                # pressed a moment later would go to a colleague who never saw the case)
                ctx.state.pop("survey", None)
                ctx.request_handoff("customer_request", reopen=survey["ticket_id"])
                return True
            if (
                typed is None
                and survey.get("step") == "solved"
                and survey.get("ticket_id") is not None
                and ctx.intent in STILL_WRONG
            ):
                # "wait, it's still not here" to "was it solved?": a no, said in words; the
                # operator who had it takes it back (not the bot, asking what happened)
                typed = "no"
        if m is None and typed is None:
            step = (survey or {}).get("step")
            if survey and not data and step in _TOP and _AGREE.match(text):
                if not survey.get("hinted"):
                    # "tak" to "rate us from 1 to 5": how to answer, once
                    survey["hinted"] = True
                    low = 1 if step == "csat" else 0
                    buttons = csat_buttons() if step == "csat" else nps_buttons()
                    ctx.say("survey_pick_number", low=low, high=_TOP[step], buttons=buttons)
                    return True
            if (
                survey
                and not data
                and step in _TOP
                and _KIND.search(text)
                and not _WORD.search(_KIND.sub(" ", text))
            ):
                # "спасибо" alone to "rate us from 1 to 5" (not "всё, спасибо"): answered as
                # usual, and the rating that may follow ("5") is still the rating (it opened a
                # new complaint)
                return False
            if survey and not data and step in _TOP and _WORD.search(text) and _DECLINE.match(text):
                # "нет", "не хочу оценивать": no rating, and nothing else asked for
                ctx.state.pop("survey", None)
                ctx.event("survey_declined", question=step)
                ctx.say("survey_declined")
                return True
            from bot.dialogs.complaint import survey_moved_on  # complaint imports this module

            if survey and not data and survey_moved_on(ctx):
                ctx.state.pop("survey", None)
            return False
        if not survey:
            ctx.say("button_expired")
            return True
        question, value = (m.group(1), m.group(2)) if m else (survey["step"], str(typed))
        survey.pop("hinted", None)
        if question != survey.get("step", "solved"):
            # a button of a question already answered (a double tap, an old keyboard): the
            # first answer stands, and the question now asked is asked again
            ctx.say("button_expired")
            return True
        ticket_id = survey.get("ticket_id")
        score = 1 if value == "yes" else 0 if value == "no" else int(value)
        if question in _TOP and not on_scale(question, score):
            ctx.say("button_expired")
            return True
        ctx.session.add(
            SurveyAnswer(
                conversation_id=ctx.conversation.id,
                ticket_id=ticket_id,
                question=question,
                score=score,
                answer=value,
                created_at=ctx.now,
            )
        )
        ctx.event("survey_answer", question=question, score=score, ticket_id=ticket_id)
        if question == "solved" and value == "no":
            ctx.state.pop("survey", None)
            ctx.say("survey_sorry_reopen")
            # back to the resolved ticket, its topic and its operator, not a new one
            ctx.request_handoff("fix_not_helped", reopen=ticket_id)
            return True
        if question == "solved":
            survey["step"] = "csat"
            ctx.say("survey_csat_q", buttons=csat_buttons())
        elif question == "csat" and score <= LOW_CSAT:
            # "1": sorry, and what went wrong (for the team), not "would you recommend us?"
            survey["step"] = "why"
            ctx.say("survey_low_why")
        elif question == "csat":
            survey["step"] = "nps"
            ctx.say("survey_nps_q", buttons=nps_buttons())
        else:
            ctx.state.pop("survey", None)
            ctx.say("survey_thanks")
        return True

    async def _why(self, ctx: TurnContext, survey: dict[str, Any], text: str) -> bool:
        """The answer to "what went wrong?" after a low rating: kept for the team (the
        report's survey comments, the ticket's history); a request for a person or a new
        order's problem is not a comment, and goes its way."""
        ctx.state.pop("survey", None)
        pred = ctx.prediction
        if not text.strip() or ctx.intent == "request_human" or (pred and pred.order_ref):
            return False
        ticket_id = survey.get("ticket_id")
        ctx.session.add(
            SurveyAnswer(
                conversation_id=ctx.conversation.id,
                ticket_id=ticket_id,
                question="comment",
                score=None,
                answer=text[:2000],
                created_at=ctx.now,
            )
        )
        ctx.event("survey_comment", ticket_id=ticket_id)
        threat = pred.threat if pred else None
        from bot.dialogs.complaint import unsolved_comment  # complaint imports this module

        if threat != "legal" and await unsolved_comment(ctx, text, bots_case=ticket_id is None):
            # "because it still hasn't arrived!" (it was "passed it on to the team" only): not
            # solved after all; a person takes the case (the ticket, back to its colleague),
            # urgently when it threatens
            urgent = "high" if threat in ("public", "churn") else "normal"
            ctx.say("survey_sorry_reopen" if ticket_id is not None else "complaint_not_satisfied")
            ctx.request_handoff("fix_not_helped", urgent, reopen=ticket_id)
            return True
        if threat == "legal":
            # "ужасный сервис, пойду в Роспотребнадзор": the activist's playbook, here too: a
            # senior takes the chat at once, with the comment and the case on the card
            said = " ".join(
                [
                    ctx.texts("survey_low_thanks"),
                    ctx.texts("complaint_sorry_angry"),
                    ctx.texts("complaint_senior"),
                ]
            )
            ctx.say_text(activist_gesture(ctx, self.rules, said))
            ctx.request_handoff("legal_threat", "high", reopen=ticket_id)
            return True
        if threat in ("public", "churn"):
            # "напишу отзыв на отзовике", "never ordering again": the angry customer's
            # apology and goodwill gesture (one per chat), and a person a tap away
            from bot.dialogs.complaint import ComplaintFlow  # imports the engine, as we do

            said = f"{ctx.texts('survey_low_thanks')} {ctx.texts('complaint_sorry_angry')}"
            if not ComplaintFlow._given(ctx):
                said = with_gesture(ctx, self.rules.angry_gesture, said)
            ctx.say_text(said, [[Button(ctx.texts.plain("topic_human"), "topic:human")]])
            return True
        ctx.say("survey_low_thanks")
        return True
