"""The service figures (`supportbot report`, the admins' /report) from real conversations
through the engine, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db.models import Ticket
from bot.dialogs.types import Incoming
from bot.reports import build_report
from escalation.service import resolve_ticket

DAY1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


async def _say(services, user: str, text: str, now: datetime):
    async with services.sessionmaker() as session:
        out = await services.engine.handle(
            session,
            Incoming(external_user_id=user, channel="review", text=text, language_code="en"),
            now=now,
        )
        await session.commit()
    return out


async def _bot_solved_billing(services, user: str, now: datetime) -> None:
    out = await _say(services, user, "I was charged twice for order 555777, 40 EUR", now)
    assert any(e["type"] == "satisfaction_check" for e in out.events), out.events
    out = await _say(services, user, "yes", now + timedelta(seconds=30))
    assert any(e["type"] == "resolved" and e.get("by") == "bot" for e in out.events), out.events


async def test_returning_customer_conversation_is_counted_in_the_period(services) -> None:
    """A customer who wrote a month ago and complains today: today's period has 1 complaint
    and 1 conversation (it had 0: a conversation was counted when it began)."""
    await _say(services, "u1", "Hello", DAY1)
    later = DAY1 + timedelta(days=40)
    await _bot_solved_billing(services, "u1", later)
    async with services.sessionmaker() as session:
        report = await build_report(session, since=later - timedelta(hours=1))
    assert report["complaints"] == 1
    assert report["conversations"] == 1, report["conversations"]


async def test_complaint_solved_by_bot_after_an_earlier_resolved_ticket(services) -> None:
    """An old, resolved hand-off in the same chat does not erase a later complaint the bot
    solved on its own from 'solved_by_bot' (it did)."""
    out = await _say(services, "u2", "I want to talk to a manager", DAY1)
    assert out.ticket_id is not None, out.events
    async with services.sessionmaker() as session:
        ticket = await session.get(Ticket, out.ticket_id)
        await resolve_ticket(session, ticket, actor_id=1, now=DAY1 + timedelta(minutes=5))
        await session.commit()
    await _bot_solved_billing(services, "u2", DAY1 + timedelta(days=3))
    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["complaints"] == 1
    assert report["solved_by_bot"] == 1, report
    assert report["share_solved_by_bot"] == 1.0


def test_report_days_are_business_days_not_utc_days(
    tmp_path, monkeypatch, capsys, classifier
) -> None:
    """TIMEZONE=Europe/Moscow (the default): a complaint at 01:30 Moscow time on 2 Nov
    (22:30 UTC on 1 Nov) belongs to `--from 2026-11-02 --to 2026-11-02` (the days were
    UTC's)."""
    import asyncio
    import json

    from bot.cli import main
    from bot.config import Settings
    from bot.services import build_services

    url = f"sqlite+aiosqlite:///{tmp_path / 'tz.db'}"
    for name in ("BOT_TOKEN", "OPERATORS_CHAT_ID", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TIMEZONE", "Europe/Moscow")

    async def build() -> None:
        settings = Settings(_env_file=None, database_url=url, timezone="Europe/Moscow")  # type: ignore[call-arg]
        services = await build_services(settings, classifier=classifier, seed=0)
        try:
            await _bot_solved_billing(services, "tz", datetime(2026, 11, 1, 22, 30, tzinfo=UTC))
        finally:
            await services.close()

    asyncio.run(build())
    capsys.readouterr()
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-02", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["complaints"] == 1, report
    assert report["period"] == {"from": "2026-11-02", "to": "2026-11-02"}


async def test_a_double_tapped_csat_button_counts_once(services) -> None:
    """After the bot solved a complaint it asks CSAT (1-5). The customer taps '3' twice
    (a double tap, or the old keyboard is still on screen): one answer, average 3 (the
    second tap was stored too and the recommend question asked again)."""
    await _bot_solved_billing(services, "u3", DAY1)
    for i in range(2):
        async with services.sessionmaker() as session:
            await services.engine.handle(
                session,
                Incoming(external_user_id="u3", channel="review", callback_data="sv:csat:3"),
                now=DAY1 + timedelta(minutes=1, seconds=i),
            )
            await session.commit()
    await _say(services, "u3", "10", DAY1 + timedelta(minutes=2))
    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["csat"]["answers"] == 1, report["csat"]
    assert report["nps"]["answers"] == 1, report["nps"]


async def test_an_opinion_recorded_as_feedback_is_not_a_complaint_solved_by_the_bot(
    shop,
) -> None:
    """'упаковка из пластика' answered from the FAQ, then 'нет, просто хотел сказать': the
    opinion is recorded (outcome 'feedback') for the reports, but it is no complaint and the
    bot solved nothing. The report had 2 complaints (one 'other'), 2 solved by the bot and a
    bot resolution time of 0 minutes pulling the median down; now it is 1 complaint, 1 solved,
    and 1 feedback."""
    await _bot_solved_billing(shop, "u4", DAY1)
    await _say(
        shop,
        "u5",
        "Мне не нравится, что у вас упаковка из пластика, это вредно для природы",
        DAY1 + timedelta(hours=1),
    )
    out = await _say(shop, "u5", "нет, просто хотел сказать", DAY1 + timedelta(hours=1, minutes=1))
    assert any(e["type"] == "feedback_recorded" for e in out.events), out.events
    async with shop.sessionmaker() as session:
        report = await build_report(session)
    assert report["complaints"] == 1, report
    assert report["complaints_by_type"] == {"billing": 1}
    assert report["solved_by_bot"] == 1 and report["share_solved_by_bot"] == 1.0
    assert report["bot_resolution_time"]["count"] == 1
    assert report["feedback"] == 1


async def test_a_later_order_question_passed_to_a_person_leaves_the_bot_solved_complaint(
    services,
) -> None:
    """The bot solved a double charge on Monday; on Wednesday the same customer asks where
    another order is, and that goes to a person (order_status). The complaint stays solved by
    the bot (it dropped out: any later hand-off in the chat counted against it); a fix that
    did not help ('has it been sorted?' - 'no') still does count against it."""
    await _bot_solved_billing(services, "u6", DAY1)
    out = await _say(services, "u6", "Where is my order 7781420?", DAY1 + timedelta(days=2))
    assert [e["reason"] for e in out.events if e["type"] == "escalated"] == ["order_status"]

    await _bot_solved_billing(services, "u7", DAY1)
    async with services.sessionmaker() as session:
        from sqlalchemy import select

        from bot.db.models import Conversation, Customer

        conversation = await session.scalar(
            select(Conversation).join(Customer).where(Customer.external_id == "u7")
        )
        state = dict(conversation.state)
        state["complaint"] = {**state["complaint"], "stage": "follow_up"}
        state.pop("survey", None)
        conversation.state = state
        await session.commit()
    async with services.sessionmaker() as session:
        out = await services.engine.handle(
            session,
            Incoming(external_user_id="u7", channel="review", callback_data="cmp:fu:no"),
            now=DAY1 + timedelta(days=2),
        )
        await session.commit()
    assert [e["reason"] for e in out.events if e["type"] == "escalated"] == ["fix_not_helped"]

    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["complaints"] == 2
    assert report["solved_by_bot"] == 1, report
    assert report["share_solved_by_bot"] == 0.5


async def test_a_day_report_of_an_engine_history_has_its_conversations_and_questions(
    shop,
) -> None:
    """A history built through the engine for 1 October (a complaint the bot solved, a
    question the FAQ cannot answer): the report for 1 October had the complaint but 0
    conversations and no unanswered question, because the customers' messages and the
    question were stamped with the clock of the machine, not with the turn's time."""
    from bot.reports import parse_day

    await _bot_solved_billing(shop, "u8", DAY1)
    await _say(shop, "u9", "Do you have a franchise?", DAY1 + timedelta(hours=2))
    async with shop.sessionmaker() as session:
        report = await build_report(
            session, parse_day("2026-10-01"), parse_day("2026-10-01", end=True)
        )
    assert report["complaints"] == 1
    assert report["conversations"] == 2, report["conversations"]
    assert [q["text"] for q in report["unanswered_questions"]] == ["Do you have a franchise?"]


async def test_a_problem_passed_on_with_a_case_the_customer_accepted_counts_as_solved(
    services,
) -> None:
    """'The kettle arrived cracked and the courier was rude': the courier is recorded as its
    own complaint and passed to the customer care manager; the kettle is replaced and the
    customer says it is OK. Both were dealt with by the bot (a courier complaint alone,
    passed on and accepted, is solved by the bot), but the one passed on was never
    resolved: 2 complaints, 1 solved; now 2 of 2."""
    from bot.dialogs.types import Attachment

    user, t = "u10", DAY1
    out = await _say(
        services, user, "The kettle arrived cracked and the courier was rude to me. Order 554433", t
    )
    assert [e["type"] for e in out.events if e["type"] == "complaint_also_recorded"]
    async with services.sessionmaker() as session:
        await services.engine.handle(
            session,
            Incoming(
                external_user_id=user,
                channel="review",
                text="here",
                attachments=(Attachment("photo", "p1"),),
                language_code="en",
            ),
            now=t + timedelta(minutes=1),
        )
        await session.commit()
    await _say(services, user, "replacement please", t + timedelta(minutes=2))
    out = await _say(services, user, "yes", t + timedelta(minutes=3))
    assert any(e["type"] == "resolved" for e in out.events), out.events
    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["complaints_by_type"] == {"damaged_defective": 1, "staff_behavior": 1}
    assert report["solved_by_bot"] == 2, report
    assert report["share_solved_by_bot"] == 1.0


def test_the_csv_and_table_list_each_unanswered_question_with_its_count() -> None:
    """The unanswered questions came as JSON in one cell ('{"text": "Можно ли ...",
    "count": 3}'), in the CSV a manager opens in a spreadsheet and in the table /report
    sends; each is now a row of its own: the question, and how many times it was asked."""
    import csv
    import io

    from bot.reports import render

    report = {
        "complaints": 4,
        "unanswered_questions": [
            {"text": "Можно ли купить оптом, для магазина?", "count": 3},
            {"text": "Do you have a franchise?", "count": 1},
        ],
    }
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert rows[1:] == [
        ["complaints", "4"],
        ["unanswered_questions: Можно ли купить оптом, для магазина?", "3"],
        ["unanswered_questions: Do you have a franchise?", "1"],
    ]
    table = render(report, "table")
    assert "{" not in table
    assert table.splitlines()[-1].split() == [
        "unanswered_questions:",
        "Do",
        "you",
        "have",
        "a",
        "franchise?",
        "1",
    ]


def test_a_russian_admins_report_csv_opens_in_columns_with_numbers_in_excel() -> None:
    """Excel in Russian (and Polish) settings splits a CSV at semicolons and reads '12.5' as
    a date: /report's CSV opened as one column of 'metric,value' text, and a median of 12.5
    minutes, pasted into columns, became '12.май'. A Russian or Polish admin's CSV has
    semicolons and decimal commas; the CLI's stays as it was."""
    import csv
    import io

    from bot.reports import render

    report = {
        "complaints": 4,
        "first_response_time": {"count": 2, "median_min": 12.5, "mean_min": None},
        "period": {"from": "2026-11-01", "to": "2026-11-30"},
        "unanswered_questions": [{"text": "Можно ли купить оптом, для магазина?", "count": 3}],
    }
    rows = list(csv.reader(io.StringIO(render(report, "csv", excel_comma=True)), delimiter=";"))
    assert rows == [
        ["metric", "value"],
        ["complaints", "4"],
        ["first_response_time.count", "2"],
        ["first_response_time.median_min", "12,5"],
        ["first_response_time.mean_min", ""],
        ["period.from", "2026-11-01"],
        ["period.to", "2026-11-30"],
        ["unanswered_questions: Можно ли купить оптом, для магазина?", "3"],
    ]
    assert "first_response_time.median_min,12.5" in render(report, "csv")


def test_the_admins_report_period_is_read_in_the_shops_days() -> None:
    """/report's arguments: days back, one or two dates in the shop's time zone, the file's
    format; a reversed or unreadable period is refused with the usage, not guessed. "/report 7"
    is today and the six days before it (it was eight days: today and seven before)."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_period

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    moscow = ZoneInfo("Europe/Moscow")
    assert parse_period("", now) == (datetime(2026, 11, 4, tzinfo=UTC), None, "csv")
    assert parse_period("7 json", now) == (datetime(2026, 11, 27, tzinfo=UTC), None, "json")
    assert parse_period("1", now)[0] == datetime(2026, 12, 3, tzinfo=UTC)  # today only
    since, until, fmt = parse_period("2026-11-01 2026-11-30 table", now, tz=moscow)
    assert since == datetime(2026, 10, 31, 21, 0, tzinfo=UTC) and fmt == "table"
    assert until is not None and until.astimezone(moscow).date().isoformat() == "2026-11-30"
    for bad, said in (
        ("2026-11-30 2026-11-01", "is after"),
        ("last month", "could not read"),
        ("0", "could not read"),
    ):
        with pytest.raises(ValueError, match=said) as caught:
            parse_period(bad, now)
        assert "/report 7" in str(caught.value)


async def test_stats_name_the_complaints_in_words(services) -> None:
    """/stats listed complaint types by their keys ('billing: 1', 'delivery_delay: 1') and
    hand-offs as 'escalations', while /report says 'payment and refunds' and 'Handed to
    operators'; /stats now uses the same words."""
    from bot.db.models import utcnow
    from bot.reports import quick_stats

    await _bot_solved_billing(services, "u9", utcnow() - timedelta(minutes=5))
    async with services.sessionmaker() as session:
        text = await quick_stats(session)
    assert "payment and refunds: 1" in text, text
    assert "billing" not in text and "escalations" not in text, text
    assert "Handed to operators: 0" in text, text


async def test_the_report_says_which_unanswered_questions_the_faq_answers_now(services) -> None:
    """/report listed the period's unanswered questions as 'Asked most, not in the FAQ
    (/kb_gaps to add them)' though an admin had added one since (/kb_gaps then said 'No
    unanswered questions'); the one the FAQ answers now is marked so."""
    from bot.reports import render, render_summary
    from knowledge.repository import KnowledgeRepository

    async with services.sessionmaker() as session:
        repo = KnowledgeRepository(session)
        for text in ("Do you have a franchise?", "Are you hiring?"):
            await repo.add_unanswered(
                text, lang="en", conversation_id=None, message_id=None, candidates=[], now=DAY1
            )
        [franchise] = [r for r in await repo.open_unanswered() if "franchise" in r.text]
        await repo.close_unanswered(
            [franchise.id], status="resolved", entry_id="franchise", actor="tg:900"
        )
        await session.commit()
        report = await build_report(session, DAY1 - timedelta(hours=1))
    summary = render_summary(report)
    lines = summary.splitlines()
    [franchise_line] = [x for x in lines if "franchise" in x]
    [hiring_line] = [x for x in lines if "hiring" in x]
    assert "in the FAQ now" in franchise_line, summary
    assert "in the FAQ now" not in hiring_line, summary
    assert "unanswered_questions: Are you hiring?" in render(report, "csv")


async def test_one_survey_answer_is_said_in_the_singular(services) -> None:
    """One customer rated the bot: /report said 'Rating: 5 / 5 from 1 answers' and 'NPS:
    100 from 1 answers'; it says 'from 1 answer' (and 'from 2 answers' for two)."""
    from bot.reports import render_summary

    await _bot_solved_billing(services, "u10", DAY1)
    await _say(services, "u10", "5", DAY1 + timedelta(minutes=1))
    await _say(services, "u10", "10", DAY1 + timedelta(minutes=2))
    async with services.sessionmaker() as session:
        summary = render_summary(await build_report(session))
    assert "Rating: 5.0 / 5 from 1 answer (" in summary, summary
    assert "NPS: 100 from 1 answer\n" in summary + "\n", summary
    assert "1 answers" not in summary, summary


async def test_what_low_raters_said_is_in_the_report(services) -> None:
    """A customer who rated the bot 1 was never asked why, and the admins' report had only
    the average; what they said is now in it (JSON, CSV and the chat summary)."""
    from bot.reports import render, render_summary

    await _bot_solved_billing(services, "u11", DAY1)
    await _say(services, "u11", "1", DAY1 + timedelta(minutes=1))
    await _say(services, "u11", "всё слишком долго, три дня ждал", DAY1 + timedelta(minutes=2))
    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["csat"]["low_rating_comments"] == [
        {"rating": 1, "said": "всё слишком долго, три дня ждал"}
    ]
    assert report["csat"]["answers"] == 1, "the comment is no rating"
    summary = render_summary(report)
    assert "«всё слишком долго, три дня ждал» (1/5)" in summary, summary
    assert "три дня ждал" in render(report, "csv")


def test_report_days_back_start_at_the_shops_midnight() -> None:
    """'/report 7' on 30 November at 15:00 in Moscow was headed 'Report 2026-11-23 – today'
    but counted from 15:00 on the 23rd, so it had fewer complaints than '/report 2026-11-23'
    for the same days; it counts from midnight, as its heading says, of the 24th: seven days
    with today."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_period

    moscow = ZoneInfo("Europe/Moscow")
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    since, until, _ = parse_period("7", now, tz=moscow)
    assert since == datetime(2026, 11, 24, 0, 0, tzinfo=moscow), since
    assert until is None
    assert parse_period("", now, tz=moscow)[0] == datetime(2026, 11, 1, 0, 0, tzinfo=moscow)


async def test_the_report_says_what_compensation_the_bot_gave_in_the_period(services) -> None:
    """The playbook asks to measure everything, but /report and `supportbot report` said
    nothing of what the bot gave away: the coupons and gifts offered and chosen, the
    apology coupons, the refunds approved at once under the goodwill threshold. They are
    there now, by kind, with the goodwill total in the shop's currency, for the shop's days
    (a refund at 01:30 Moscow time on 2 October is not 1 October's)."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_day, render, render_summary

    moscow = ZoneInfo("Europe/Moscow")
    # a birthday present that came after the party: a choice offered, a coupon chosen
    out = await _say(
        services, "c1", "The birthday gift for order 5566778 came after the party, too late", DAY1
    )
    assert {e["kind"] for e in out.events if e["type"] == "compensation_offered"} == {
        "coupon",
        "free_delivery",
        "gift",
    }, out.events
    async with services.sessionmaker() as session:
        out = await services.engine.handle(
            session,
            Incoming(
                external_user_id="c1",
                channel="review",
                callback_data="cmp:comp:coupon",
                language_code="en",
            ),
            now=DAY1 + timedelta(minutes=1),
        )
        await session.commit()
    assert any(e["type"] == "compensation_chosen" for e in out.events), out.events
    # an angry customer: an apology coupon with the first answer
    out = await _say(
        services,
        "c2",
        "ARE YOU KIDDING ME?! Third time you move my delivery, I will never order from you again!",
        DAY1 + timedelta(hours=1),
    )
    assert any(e["type"] == "compensation_offered" for e in out.events), out.events
    # $5 charged twice: refunded at once (450 RUB)
    await _say(services, "c3", "you charged me $5 twice for order 6650214, pls refund", DAY1)
    out = await _say(
        services,
        "c3",
        "the same amount was taken twice when I paid by card",
        DAY1 + timedelta(minutes=1),
    )
    # 500 RUB refunded at once at 01:30 on 2 October in Moscow (22:30 UTC on the 1st)
    late = datetime(2026, 10, 1, 22, 30, tzinfo=UTC)
    await _say(
        services, "c4", "You charged me 500 RUB twice for order 5512345, please refund", late
    )
    await _say(services, "c4", "the same amount was taken twice when I paid by card", late)

    async with services.sessionmaker() as session:
        day = await build_report(
            session,
            parse_day("2026-10-01", tz=moscow),
            parse_day("2026-10-01", end=True, tz=moscow),
            tz=moscow,
            currency="RUB",
        )
        both = await build_report(session, tz=moscow, currency="RUB")
    given = day["compensations"]
    assert given["offers"] == 1, given
    assert given["offered"] == {"coupon": 1, "free_delivery": 1, "gift": 1}, given
    assert given["chosen"] == {"coupon": 1}, given
    assert given["gestures"] == {"coupon": 1}, given
    assert given["goodwill_refunds"] == 1, given
    assert given["goodwill_refund_amount"] == 450, given
    assert given["currency"] == "RUB"
    assert both["compensations"]["goodwill_refunds"] == 2, both["compensations"]
    assert both["compensations"]["goodwill_refund_amount"] == 950, both["compensations"]

    summary = render_summary(day)
    assert "Compensation offered: 1 time; chosen: 1 coupon" in summary, summary
    assert "Apology gestures: 1 coupon" in summary, summary
    assert "Refunded at once (goodwill): 1, 450 ₽ in all" in summary, summary
    csv_text = render(day, "csv")
    assert "compensations.chosen.coupon,1" in csv_text, csv_text
    assert "compensations.goodwill_refund_amount,450" in csv_text, csv_text


async def test_the_report_counts_the_customers_who_complained_more_than_once(services) -> None:
    """Whether the same customers keep coming back with problems was nowhere in the report.
    It says how many of the customers who complained in the period did so more than once
    (two problems told in one message are one time), for the shop's days."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_day, render_summary

    moscow = ZoneInfo("Europe/Moscow")
    # r1: on 1 October (12:00 in Moscow) and again at 01:30 on 2 October in Moscow
    await _bot_solved_billing(services, "r1", DAY1)
    late = datetime(2026, 10, 1, 22, 30, tzinfo=UTC)
    out = await _say(services, "r1", "The courier was very rude to me today, order 554433", late)
    assert any(e["type"] == "complaint_opened" for e in out.events), out.events
    # r2: two problems in one message, once
    out = await _say(
        services,
        "r2",
        "The kettle arrived cracked and the courier was rude to me. Order 554433",
        DAY1 + timedelta(hours=1),
    )
    assert any(e["type"] == "complaint_also_recorded" for e in out.events), out.events
    # r3: once
    await _bot_solved_billing(services, "r3", DAY1 + timedelta(hours=2))

    async with services.sessionmaker() as session:
        first = await build_report(
            session,
            parse_day("2026-10-01", tz=moscow),
            parse_day("2026-10-01", end=True, tz=moscow),
            tz=moscow,
        )
        both = await build_report(
            session,
            parse_day("2026-10-01", tz=moscow),
            parse_day("2026-10-02", end=True, tz=moscow),
            tz=moscow,
        )
    assert first["complaints"] == 4, first["complaints_by_type"]
    assert first["repeat_complaints"] == {"customers": 3, "repeat_customers": 0, "share": 0.0}
    assert both["repeat_complaints"] == {"customers": 3, "repeat_customers": 1, "share": 0.333}
    summary = render_summary(both)
    assert "Complained more than once: 1 of 3 customers (33%)" in summary, summary


# unanswered questions: three about a franchise (one in Russian), two about hiring
ASKED = (
    "Are you hiring warehouse workers?",
    "Do you have a franchise?",
    "франшиза у вас есть?",
    "Are you hiring warehouse workers?",
    "Do you have a franchise?",
)


def _grouped_as_kb_gaps(asked: list[dict]) -> None:
    """The report's questions of ``ASKED``: the franchise ones as one, asked 3 times."""
    assert [(q["text"], q["count"]) for q in asked] == [
        ("Do you have a franchise?", 3),
        ("Are you hiring warehouse workers?", 2),
    ], asked
    assert asked[0]["similar"] == ["франшиза у вас есть?"]


def test_the_report_counts_similar_unanswered_questions_as_one(
    tmp_path, monkeypatch, capsys
) -> None:
    """'Do you have a franchise?' twice and 'франшиза у вас есть?' once: /kb_gaps showed one
    question asked 3 times, while the report listed '2× Do you have a franchise?' and '1×
    франшиза у вас есть?' below '2× Are you hiring warehouse workers?' as if it were as
    often asked; `supportbot report` (and /report) now group similar questions as /kb_gaps."""
    import asyncio
    import json

    from bot.cli import main
    from bot.config import Settings
    from bot.db import create_engine, create_sessionmaker, upgrade_database
    from bot.reports import render_summary
    from knowledge.repository import KnowledgeRepository
    from knowledge.service import KnowledgeService

    url = f"sqlite+aiosqlite:///{tmp_path / 'gaps.db'}"
    for name in ("BOT_TOKEN", "OPERATORS_CHAT_ID", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)

    async def record() -> int:
        engine = create_engine(url)
        await upgrade_database(engine)
        sessionmaker = create_sessionmaker(engine)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        try:
            async with sessionmaker() as session:
                repo = KnowledgeRepository(session)
                for text in ASKED:
                    await repo.add_unanswered(
                        text, lang=None, conversation_id=None, message_id=None, candidates=[],
                        now=DAY1,
                    )  # fmt: skip
                await session.commit()
                knowledge = KnowledgeService(settings, sessionmaker=sessionmaker)
                return (await knowledge.gaps(session))[0].count
        finally:
            await engine.dispose()

    assert asyncio.run(record()) == 3  # what /kb_gaps says
    capsys.readouterr()
    assert main(["report", "--from", "2026-10-01", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    _grouped_as_kb_gaps(report["unanswered_questions"])
    summary = render_summary(report)
    assert "  3× Do you have a franchise?; франшиза у вас есть?" in summary, summary


async def test_the_report_reads_in_the_admins_language(services) -> None:
    """An admin whose Telegram speaks Russian or Polish got /report and /stats in English
    ('Complaints: 1, solved by the bot: 1 (100%)', 'payment and refunds: 1', 'Rating: 5.0 / 5
    from 1 answer'); they now read in the admin's language, decimal commas included ('5,0',
    '12,5 мин': Russian and Polish do not write '5.0')."""
    from bot.dialogs.texts import Texts
    from bot.reports import quick_stats, render_summary

    await _bot_solved_billing(services, "u20", DAY1)
    await _say(services, "u20", "5", DAY1 + timedelta(minutes=1))
    async with services.sessionmaker() as session:
        report = await build_report(session)
        stats = await quick_stats(session, report, Texts("pl"))
    ru = render_summary(report, Texts("ru"))
    for said in (
        "Отчёт с самого начала – сегодня",
        "Жалоб: 1, решил бот: 1 (100%)",
        "  оплата и возвраты денег: 1",
        "Оценка: 5,0 / 5, ответов: 1 (100% поставили 4 или 5)",
        "Жаловались больше одного раза: 0 из 1 клиента (0%)",
    ):
        assert said in ru, (said, ru)
    assert "Complaints" not in ru and "Rating" not in ru, ru
    assert stats.startswith("Ostatnie 24 godziny:"), stats
    assert "Reklamacje: 1, rozwiązane przez bota: 1" in stats, stats
    assert "płatności i zwroty pieniędzy: 1" in stats, stats
    assert "5,0 / 5" in stats and "5.0" not in stats, stats
    from bot.reports import _minutes_text

    assert "12,5" in _minutes_text(12.5, Texts("ru")) and "12.5" in _minutes_text(12.5)
    assert "1,5" in _minutes_text(90, Texts("pl"))  # hours


def test_the_admins_report_reads_dates_written_day_first() -> None:
    """A Russian or Polish admin writes dates day first: '/report 01.11.2026 30.11.2026' got
    'I could not read ... as a period' (only 2026-11-01 was understood); day-first dates
    with dots are read too, in the shop's days."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_period

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    moscow = ZoneInfo("Europe/Moscow")
    assert parse_period("01.11.2026 30.11.2026 json", now, tz=moscow) == parse_period(
        "2026-11-01 2026-11-30 json", now, tz=moscow
    )
    assert parse_period("1.11.2026", now, tz=moscow) == parse_period("2026-11-01", now, tz=moscow)
    with pytest.raises(ValueError, match="could not read"):
        parse_period("31.02.2026", now, tz=moscow)


def test_the_admins_report_reads_days_written_without_the_year() -> None:
    """'/report 01.11 30.11', as one writes days of this year in Russian or Polish, got
    'I could not read ... as a period'. A day without the year is the last such day: this
    year's, or last year's for one still to come."""
    from zoneinfo import ZoneInfo

    from bot.reports import parse_period

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    moscow = ZoneInfo("Europe/Moscow")
    assert parse_period("01.11 30.11 json", now, tz=moscow) == parse_period(
        "2026-11-01 2026-11-30 json", now, tz=moscow
    )
    january = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert parse_period("15.12 10.01", january, tz=moscow) == parse_period(
        "2026-12-15 2027-01-10", january, tz=moscow
    )


def test_the_report_is_made_when_the_knowledge_encoder_is_missing(
    tmp_path, monkeypatch, capsys
) -> None:
    """The unanswered questions are grouped with the knowledge base's encoder; where it is
    not installed (SUPPORTBOT_KB_ENCODER=mpnet without its package), `supportbot report`
    stopped with 'install supportbot[mpnet]' and no figures at all. The report is made,
    each wording counted on its own."""
    import asyncio
    import json

    from bot.cli import main
    from bot.db import create_engine, upgrade_database
    from knowledge.repository import KnowledgeRepository

    url = f"sqlite+aiosqlite:///{tmp_path / 'noenc.db'}"
    for name in ("BOT_TOKEN", "OPERATORS_CHAT_ID", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SUPPORTBOT_KB_ENCODER", "mpnet")

    async def record() -> None:
        from bot.db import create_sessionmaker

        engine = create_engine(url)
        await upgrade_database(engine)
        try:
            async with create_sessionmaker(engine)() as session:
                repo = KnowledgeRepository(session)
                for text in ("Do you have a franchise?", "Are you hiring?"):
                    await repo.add_unanswered(
                        text, lang="en", conversation_id=None, message_id=None, candidates=[],
                        now=DAY1,
                    )  # fmt: skip
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(record())
    capsys.readouterr()
    assert main(["report", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(q["text"] for q in report["unanswered_questions"]) == [
        "Are you hiring?",
        "Do you have a franchise?",
    ]


def test_the_report_s_file_format_may_come_first() -> None:
    """'/report csv 7' or '/report json 2026-11-01' (the format named first) got 'I could
    not read ... as a period'; the format is now found wherever it is written."""
    from bot.reports import parse_period

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_period("csv 7", now) == parse_period("7 csv", now)
    assert parse_period("JSON 2026-11-01 2026-11-30", now) == parse_period(
        "2026-11-01 2026-11-30 json", now
    )
    with pytest.raises(ValueError, match="could not read"):
        parse_period("csv json 7", now)


async def test_a_withdrawn_complaint_is_not_counted_among_the_complaints(services) -> None:
    """'заказ пришёл не тот' then 'а, нет, всё правильно, извините, это я перепутала' closes
    the case (outcome 'withdrawn'), but the report still counted it: 2 complaints, a
    'wrong_item' among the types and a second 'solved by the bot'. It is 1 complaint now,
    and the mistake is shown apart ('Complaints withdrawn (the customer's mistake): 1')."""
    from bot.reports import render_summary

    await _bot_solved_billing(services, "u61", DAY1)
    await _say(services, "u62", "заказ 4471366 пришёл не тот", DAY1 + timedelta(hours=1))
    out = await _say(
        services,
        "u62",
        "а, нет, всё правильно, извините, это я перепутала",
        DAY1 + timedelta(hours=1, minutes=1),
    )
    assert any(e["type"] == "complaint_withdrawn" for e in out.events), out.events
    async with services.sessionmaker() as session:
        report = await build_report(session)
    assert report["complaints"] == 1, report
    assert report["complaints_by_type"] == {"billing": 1}, report["complaints_by_type"]
    assert report["solved_by_bot"] == 1, report
    assert report["withdrawn"] == 1, report
    assert "withdrawn (the customer's mistake): 1" in render_summary(report)


async def test_the_reports_unanswered_questions_are_the_ones_kb_gaps_lists(
    shipped_shop,
) -> None:
    """A customer's answered gift-card question and their 'а студентам скидки делаете?'
    after it were one gap (the follow-up read with the question before it), listed in
    /kb_gaps after the student discount was in the FAQ; and /report still listed the student
    discount as asked and not in the FAQ ('/kb_gaps to add them') once /kb_gaps had dropped
    it. The gap is the unanswered part alone, and /report's 'in the FAQ now' is /kb_gaps'."""
    from bot.reports import render_summary
    from knowledge.repository import KnowledgeRepository

    shop = shipped_shop
    out = await _say(shop, "gs1", "Можно купить подарочный сертификат на 5000?", DAY1)
    assert [e for e in out.events if e["type"] == "faq_answered"], out.events
    out = await _say(shop, "gs1", "а студентам скидки делаете?", DAY1 + timedelta(minutes=1))
    assert [e for e in out.events if e["type"] == "faq_declined"], out.events
    await _say(shop, "gs2", "Есть ли у вас скидка для студентов?", DAY1 + timedelta(minutes=2))
    await _say(shop, "gs3", "Do you have a student discount?", DAY1 + timedelta(minutes=3))
    async with shop.sessionmaker() as session:
        rows = await KnowledgeRepository(session).open_unanswered()
    asked = {r.text: r.id for r in rows}
    assert "а студентам скидки делаете?" in asked, asked  # not the certificate too
    assert not any("сертификат" in t for t in asked), asked
    # the admin makes the entry from the two other customers' questions (/kb_gaps, New entry)
    made = ["Есть ли у вас скидка для студентов?", "Do you have a student discount?"]
    async with shop.sessionmaker() as session:
        await shop.knowledge.create_from_questions(
            session,
            made,
            {
                "ru": "Да, студентам скидка 10% по студенческому билету.",
                "en": "Yes, students get 10% off with a student ID.",
            },
            actor="tg:900",
            entry_id="discount_students",
            gap_ids=[asked[q] for q in made],
        )
        gaps = await shop.knowledge.gaps(session)
        report = await build_report(session, DAY1 - timedelta(hours=1), knowledge=shop.knowledge)
    assert not any("студент" in t for g in gaps for t in g.texts), [g.texts for g in gaps]
    summary = render_summary(report)
    students = [x for x in summary.splitlines() if "студент" in x]
    assert students and all("in the FAQ now" in x for x in students), summary
    assert "/kb_gaps to add" not in summary, summary


async def test_the_report_counts_customers_of_each_kind_not_complaints(services) -> None:
    """'Customers: 5 claimants, 2 angry customers, 1 activist' (8, the complaints) next to
    'Complained more than once: 1 of 7 customers': each customer is counted once, as the
    strongest kind they were in the period (a claimant who came back angry is angry)."""
    from sqlalchemy import select

    from bot.db.models import Complaint
    from bot.reports import render_summary

    await _bot_solved_billing(services, "k1", DAY1)
    await _bot_solved_billing(services, "k1", DAY1 + timedelta(hours=3))
    await _bot_solved_billing(services, "k2", DAY1 + timedelta(hours=1))
    async with services.sessionmaker() as session:
        [*_, later] = (
            await session.scalars(select(Complaint).order_by(Complaint.created_at))
        ).all()
        later.customer_kind = "angry"  # k1's second time
        await session.commit()
        report = await build_report(session, DAY1 - timedelta(hours=1))
    assert report["customer_kinds"] == {"angry": 1, "claimant": 1}, report["customer_kinds"]
    summary = render_summary(report)
    assert "Customers: 1 angry customer, 1 claimant" in summary, summary
    assert "1 of 2 customers" in summary, summary


async def _database_rows(services) -> dict[str, list[tuple]]:
    """Every row of every table, as the database has it (a report must leave them as they
    are: no gap closed, no timestamp touched)."""
    from sqlalchemy import inspect, text

    out = {}
    async with services.sessionmaker() as session:
        conn = await session.connection()
        for name in await conn.run_sync(lambda c: inspect(c).get_table_names()):
            rows = await session.execute(text(f"SELECT * FROM {name}"))  # noqa: S608
            out[name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


async def _assert_a_report_changes_nothing(shop) -> dict[str, list[tuple]]:
    """/report's figures (with the FAQ, in every format) leave the database as it was."""
    from bot.reports import render, render_summary

    before = await _database_rows(shop)
    async with shop.sessionmaker() as session:
        report = await build_report(session, DAY1 - timedelta(hours=1), knowledge=shop.knowledge)
    for fmt in ("csv", "json", "table"):
        render(report, fmt)
    render_summary(report)
    await shop.knowledge.flush()
    assert await _database_rows(shop) == before
    return before


async def test_a_gap_the_faq_answers_after_an_edit_is_closed_without_a_report(
    shipped_shop,
) -> None:
    """'Есть ли у вас скидка для студентов?' asked, then an admin added the student discount
    with /kb_add: the question stayed open until someone ran /report or /kb_gaps (the
    report closed it: a read that wrote). Now it is closed after the edit, in the
    background, and the report changes nothing in the database."""
    from knowledge.formats import Entry
    from knowledge.repository import KnowledgeRepository

    shop = shipped_shop
    await _say(shop, "gz1", "Есть ли у вас скидка для студентов?", DAY1)
    async with shop.sessionmaker() as session:
        [gap] = await KnowledgeRepository(session).open_unanswered()
        await shop.knowledge.save(
            session,
            Entry(
                "discount_students",
                ["Есть ли скидка для студентов?", "Do you have a student discount?"],
                {"ru": "Да, студентам скидка 10% по студенческому билету."},
            ),
            actor="tg:900",
        )
    await shop.knowledge.flush()  # the background closing done
    async with shop.sessionmaker() as session:
        [row] = await KnowledgeRepository(session).unanswered_by_ids([gap.id])
        assert (row.status, row.entry_id) == ("resolved", "discount_students")
    await _assert_a_report_changes_nothing(shop)


async def test_a_report_never_changes_the_database(shipped_shop, monkeypatch) -> None:
    """A gap the FAQ answers now (its entry written by another process, nothing closed it
    yet) stays as it is when /report is read: a report is a read, whatever it finds."""
    import knowledge.service
    from knowledge.formats import Entry
    from knowledge.repository import KnowledgeRepository

    monkeypatch.setattr(knowledge.service, "FRESH_SECONDS", 0.0)  # the change seen at once
    shop = shipped_shop
    await _say(shop, "gz2", "Есть ли у вас скидка для студентов?", DAY1)
    await _say(shop, "gz3", "Do you have a student discount?", DAY1 + timedelta(minutes=1))
    async with shop.sessionmaker() as session:  # not through the service: nothing closes
        await KnowledgeRepository(session).upsert(
            Entry(
                "discount_students",
                ["Есть ли скидка для студентов?", "Do you have a student discount?"],
                {"ru": "Да, студентам скидка 10%.", "en": "Yes, students get 10% off."},
            ),
            actor="cli",
        )
        await session.commit()
    rows = await _assert_a_report_changes_nothing(shop)
    assert any("студент" in str(r) for r in rows["unanswered_questions"]), rows


async def test_the_report_csv_has_one_row_per_low_rating_comment_no_json(services) -> None:
    """The CSV had '{"rating": 1, "said": "всё слишком долго, три дня ждал"}' in a cell
    ('csat.low_rating_comments[0]'): JSON a spreadsheet user cannot read. Now each comment is
    a row of its own, its rating in the metric and what was said in the value; the JSON
    export keeps the list as it is."""
    import csv
    import io

    from bot.reports import render

    await _bot_solved_billing(services, "u3630001", DAY1)
    await _say(services, "u3630001", "1", DAY1 + timedelta(minutes=1))
    await _say(services, "u3630001", "всё слишком долго, три дня ждал", DAY1 + timedelta(minutes=2))
    async with services.sessionmaker() as session:
        report = await build_report(session)
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert ["csat.low_rating_comments: 1/5", "всё слишком долго, три дня ждал"] in rows, rows
    assert not any("{" in cell for row in rows for cell in row), rows
    assert '"said": "всё слишком долго, три дня ждал"' in render(report, "json")


async def test_the_report_holds_no_lock_while_it_groups_the_questions(
    services, monkeypatch
) -> None:
    """The report encoded the unanswered questions to group them inside its read
    transaction: on SQLite that is the one write lock, and every customer's turn waited
    while thousands of wordings were encoded. The rows are read, the transaction ended,
    then the questions are grouped: a write meanwhile goes through at once, and the
    grouping is as before."""
    import asyncio
    import sqlite3

    from knowledge.repository import KnowledgeRepository

    url = services.settings.database_url
    if not url.startswith("sqlite"):
        pytest.skip("the one write lock is SQLite's")
    path = url.split("///", 1)[1]
    async with services.sessionmaker() as session:
        repo = KnowledgeRepository(session)
        for text in ASKED:
            await repo.add_unanswered(
                text, lang=None, conversation_id=None, message_id=None, candidates=[], now=DAY1
            )
        await session.commit()

    def write_now() -> None:
        """A write from another connection, which waits at most half a second."""
        db = sqlite3.connect(path, timeout=0.5)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()

    knowledge = services.knowledge
    group = knowledge.group_questions
    written: list[str] = []

    async def grouped(texts, weights=None):  # type: ignore[no-untyped-def]
        try:
            await asyncio.to_thread(write_now)
            written.append("yes")
        except sqlite3.OperationalError as exc:  # "database is locked"
            written.append(str(exc))
        return await group(texts, weights)

    monkeypatch.setattr(knowledge, "group_questions", grouped)
    async with services.sessionmaker() as session:
        report = await build_report(session, since=DAY1 - timedelta(days=1), knowledge=knowledge)
    assert written == ["yes"], written
    _grouped_as_kb_gaps(report["unanswered_questions"])
