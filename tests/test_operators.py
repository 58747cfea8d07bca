"""The operators' side over the local fake Bot API: what operators do at once, after a
restart, or in ways the topic's ordinary flow does not expect. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from bot.db.models import Message as MessageRow
from bot.db.models import Ticket
from bot.sandbox.run import OPERATORS, OPERATORS_CHAT_ID, Sandbox, stop_bot, stop_sandbox
from tests.test_e2e import ANNA, JOHN, OLGA, _escalate, bot_texts, launch, settled, topic_texts

TOMASZ = OPERATORS[1][0]
BOTH = pytest.mark.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def sandbox(settings, classifier, db_url) -> AsyncIterator[Sandbox]:
    sb = await launch(settings, classifier, db_url)
    yield sb
    await stop_sandbox(sb)


async def the_ticket(sandbox: Sandbox) -> Ticket:
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None
    return ticket


def _operator_album(
    fake, thread: int, captions: tuple[str | None, ...], group: str, who: int = OLGA
) -> list[dict]:
    """An operator sends an album into the ticket's topic, one photo per caption."""
    return [
        fake.user_sends(
            who,
            chat_id=OPERATORS_CHAT_ID,
            message_thread_id=thread,
            photo=True,
            caption=caption,
            media_group_id=group,
        )
        for caption in captions
    ]


@BOTH
@pytest.mark.parametrize("how", ["command", "button"])
async def test_two_operators_taking_at_once_one_gets_it_the_other_is_told_who(
    sandbox: Sandbox, how: str
) -> None:
    """Olga and Tomasz took a waiting ticket at the same moment: both were told 'Ticket #1
    is yours' (the second take silently made it his), and both answered the customer. One
    of them gets it; the other is told who has it and how to take it over."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    for who in (OLGA, TOMASZ):
        if how == "command":
            fake.user_sends(who, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        else:
            fake.user_presses(who, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    if how == "button":
        await fake.wait_for(lambda: len(fake.callback_answers) >= 2, timeout=30)
        said = [a.get("text") or "" for a in fake.callback_answers]
    else:
        await fake.wait_for(
            lambda: len([t for t in topic_texts(fake, thread) if "#1" in t]) >= 3, timeout=30
        )
        said = [t for t in topic_texts(fake, thread)[1:] if "#1" in t]
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    winner = "Olga" if ticket.assignee_id == OLGA else "Tomasz"
    assert ticket.assignee_id in (OLGA, TOMASZ) and ticket.status == "taken"
    yours = [t for t in said if "is yours" in t]
    assert len(yours) == 1, said
    [other] = [t for t in said if "is yours" not in t]
    assert winner in other and "/take" in other, other


@BOTH
async def test_two_operators_answering_at_once_the_second_is_told_who_has_it(
    sandbox: Sandbox,
) -> None:
    """Olga and Tomasz answered John's waiting ticket at the same moment ('Hi John, Olga
    here' and 'Hello John, Tomasz here'): the first reply took the ticket, both reached
    John, and the second operator was told nothing; he went on answering a ticket the card
    said was hers. Both replies are sent (neither is taken back from John), and the one
    whose reply came second reads who took it a moment before, and how to take it over."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    hello = {OLGA: "Hi John, Olga here", TOMASZ: "Hello John, Tomasz here"}
    for who, text in hello.items():
        fake.user_sends(who, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: all(t in bot_texts(fake, JOHN) for t in hello.values()))
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="a moment before you", timeout=20
    )
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id in (OLGA, TOMASZ) and ticket.status == "taken"
    winner, loser = (OLGA, TOMASZ) if ticket.assignee_id == OLGA else (TOMASZ, OLGA)
    [note] = said
    assert ("Olga" if winner == OLGA else "Tomasz") in note["text"], note["text"]
    assert "/take" in note["text"] and "was sent" in note["text"], note["text"]
    replied_to = fake.get_message(OPERATORS_CHAT_ID, note["reply_to_message"]["message_id"])
    assert replied_to.to_api()["from"]["id"] == loser
    assert sum("a moment before you" in t for t in topic_texts(fake, thread)) == 1


@BOTH
async def test_a_take_read_before_a_colleagues_take_does_not_overwrite_it(
    sandbox: Sandbox,
) -> None:
    """The take is one conditional UPDATE: an operator whose update read the ticket as
    waiting just before a colleague's take was saved (another process, another database
    connection) does not write over it."""
    from escalation.service import take_ticket

    fake = sandbox.server.fake
    await _escalate(fake, JOHN, "operator please")
    await settled(sandbox)
    maker = sandbox.services.sessionmaker
    async with maker() as late, maker() as first:
        seen = await late.scalar(select(Ticket))
        await late.commit()  # read as waiting; the colleague's take comes now
        taken = await first.scalar(select(Ticket))
        assert await take_ticket(first, taken, OLGA, held_by=None)
        await first.commit()
        assert seen is not None and seen.assignee_id is None
        assert not await take_ticket(late, seen, TOMASZ, held_by=None)
        assert seen.assignee_id == OLGA  # read again: whose it is, to say so
        await late.commit()
    assert (await the_ticket(sandbox)).assignee_id == OLGA


@pytest.mark.parametrize(
    "edited", ["# refund not approved yet, ask finance", "/resolve"], ids=["note", "command"]
)
async def test_a_reply_edited_into_a_note_or_a_command_is_not_mirrored_to_the_customer(
    sandbox: Sandbox, edited: str
) -> None:
    """Olga answered John, then edited her message into an internal note ('# refund not
    approved yet, ask finance') or into '/resolve': the edit was mirrored, so John read the
    note (or '/resolve') in place of her answer. John keeps the answer he had, nothing is
    done as a command, and Olga is told what happened and what to do."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    sent = fake.user_sends(
        OLGA, "Your refund is approved", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Your refund is approved" in bot_texts(fake, JOHN), timeout=20)
    await settled(sandbox)
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], edited)
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="not sent", timeout=20
    )
    await settled(sandbox)
    assert "Your refund is approved" in bot_texts(fake, JOHN)
    assert not any(edited in t or "finance" in t for t in bot_texts(fake, JOHN))
    assert not [c for c in fake.calls_of("editMessageText") if str(c.get("chat_id")) == str(JOHN)]
    assert "new message" in said[-1]["text"], said[-1]["text"]
    if edited.startswith("#"):
        # what John read cannot be unsent: Olga is told so, and the card keeps her answer
        assert "cannot be taken back" in said[-1]["text"], said[-1]["text"]
        assert "Operator Olga: Your refund is approved" in card_transcript(fake, thread)
        assert "finance" not in card_transcript(fake, thread)
    assert (await the_ticket(sandbox)).status != "resolved"


async def _answered_and_resolved(fake, answer: str) -> tuple[int, list[dict]]:
    """John asks for a person, Olga answers ``answer`` and resolves the ticket: the topic's
    thread and John's messages up to 'Was your question solved?'."""
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, answer, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: answer in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    return thread, await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)


async def test_a_reply_waiting_in_the_outbox_edited_into_a_note_is_not_sent(
    sandbox: Sandbox,
) -> None:
    """Telegram was down when Olga answered, so her reply waited in the outbox; she thought
    better of it and edited it into a note ('# refund not approved yet'). The outbox sent
    John the note, '#' and all, once Telegram was back. It stays a note, never sent. The
    pinned card then still read 'Operator: Your refund is approved' (Tomasz, taking over
    from the card, would tell John his refund was on its way): it shows the note."""
    from bot import delivery

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.add_fault("copyMessage", status=502, times=4)
    sent = fake.user_sends(
        OLGA, "Your refund is approved", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="⏳", timeout=30
    )
    await settled(sandbox)
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], "# refund not approved yet")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="internal note", timeout=20
    )
    await fake.wait_for(
        lambda: "Note: refund not approved yet" in card_transcript(fake, thread), timeout=20
    )
    assert "Your refund is approved" not in card_transcript(fake, thread)
    await settled(sandbox)
    delivery._CLAIMS.clear()  # a claim lapses after 200 s
    await delivery.flush_outbox(sandbox.bot, sandbox.services.sessionmaker, older_than=0)
    assert not any("refund" in t for t in bot_texts(fake, JOHN)), bot_texts(fake, JOHN)
    async with sandbox.services.sessionmaker() as session:
        from tests.test_e2e import notes

        assert [n.text for n in await notes(session)] == ["refund not approved yet"]


@pytest.mark.parametrize(
    "send_as",
    [{"type": "group"}, {"type": "channel", "id": -1002000000001, "title": "Shop news"}],
    ids=["anonymous-admin", "channel"],
)
async def test_a_take_or_reply_posted_as_the_group_or_a_channel_is_not_anyones(
    sandbox: Sandbox, send_as: dict
) -> None:
    """Olga, a group admin with 'Remain anonymous' on (or posting as the shop's channel),
    sent /take and a reply in the topic: the ticket became 'Group''s (Telegram's stand-in
    for an anonymous admin), which nobody can be reminded as or hand it on from. Nothing is
    taken or sent; she is told kindly to post as herself."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    before = len(bot_texts(fake, JOHN))
    for text in ("/take", "Hi John, I'm on it"):
        fake.user_sends(
            OLGA, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread, send_as=send_as
        )
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="as yourself", count=2, timeout=20
    )
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id is None and ticket.status == "open"
    assert ticket.first_response_at is None
    assert len(bot_texts(fake, JOHN)) == before, bot_texts(fake, JOHN)
    assert "Group" not in card_text(fake, thread)
    assert all("not" in m["text"] for m in said[-2:]), said[-2:]


async def relayed_copies(sandbox: Sandbox) -> dict[int, int | None]:
    """Each customer's Telegram message id and the id of its copy in the topic (None: not
    copied)."""
    async with sandbox.services.sessionmaker() as session:
        rows = await session.scalars(
            select(MessageRow).where(
                MessageRow.direction == "in", MessageRow.tg_message_id.is_not(None)
            )
        )
        return {r.tg_message_id: r.relay_message_id for r in rows}


def card_text(fake, thread: int) -> str:
    return fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0].get("text") or ""


@asynccontextmanager
async def _card_failed_then_restart(
    settings, classifier, db_url, command: str, said: str, *, story: tuple[str, str] | None = None
) -> AsyncIterator[tuple[Sandbox, int, str]]:
    """John's ticket (``story``: what he told the bot first, and words of its answer to
    wait for) gets Olga's ``command`` while Telegram fails to update the card (502, longer
    than the retries); she is told ``said``. The bot is stopped (a deploy) before the
    timers' next pass and started again with Telegram working. Yields the restarted bot,
    the topic and the card's text as the restart found it."""
    first = await launch(settings, classifier, db_url)
    server, fake = first.server, first.server.fake
    try:
        if story is not None:
            fake.user_sends(JOHN, story[0])
            await fake.wait_for_bot_message(JOHN, text_contains=story[1], timeout=20)
        thread = await _escalate(
            fake, JOHN, "no, this is not ok at all" if story else "operator please"
        )
        fake.add_fault("editMessageText", status=502, times=4)
        fake.user_sends(OLGA, command, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains=said, timeout=30
        )
        await settled(first)
        await stop_bot(first)
        before = card_text(fake, thread)
        fake.faults.clear()  # Telegram works again (a fault the retries left is not the test's)
        second = await launch(settings, classifier, db_url, server=server)
        try:
            yield second, thread, before
        finally:
            await stop_bot(second)
    finally:
        await server.__aexit__(None, None, None)


@BOTH
async def test_a_card_telegram_failed_to_update_is_redrawn_after_a_restart(
    settings, classifier, db_url
) -> None:
    """Olga's /take could not update the card (Telegram 502, longer than the retries); the
    bot was restarted (a deploy) before the timers' next pass, and the card went on saying
    'waiting', with the Take button, for good: the list of cards to redraw was kept in
    memory only. It is kept in the database, and the next pass after the restart redraws
    it."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    async with _card_failed_then_restart(settings, classifier, db_url, "/take", "is yours") as (
        second,
        thread,
        before,
    ):
        fake = second.server.fake
        assert "Olga" not in before
        await check_timers(second.bot, second.services, now=utcnow() + timedelta(seconds=30))
        assert "Olga" in card_text(fake, thread), card_text(fake, thread)
        card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
        buttons = [b["text"] for r in card["reply_markup"]["inline_keyboard"] for b in r]
        assert "Take" not in buttons, buttons
        edits = len(fake.calls_of("editMessageText"))
        await check_timers(second.bot, second.services, now=utcnow() + timedelta(seconds=60))
        assert len(fake.calls_of("editMessageText")) == edits  # redrawn once


async def killed(sandbox: Sandbox) -> None:
    """The bot's process dies: the updates being handled are cut off where they wait (what
    they did not commit is lost), and the bot stops."""
    import contextlib

    from bot.runner import updates_in_progress

    reading = updates_in_progress(sandbox.dp, sandbox.runner)
    for task in reading:
        task.cancel()
    for task in reading:
        with contextlib.suppress(BaseException):
            await task
    await stop_bot(sandbox)


@BOTH
async def test_a_reply_the_bot_died_sending_counts_as_the_operators_answer(
    settings, classifier, db_url
) -> None:
    """Olga answered while Telegram was failing, and the bot was killed (a deploy) while it
    was still trying: after the restart the outbox sent her reply, but the ticket stayed
    unanswered and nobody's, so the SLA reminder told the topic (and the seniors) that John
    had waited without an answer. Her stored reply is her answer and take from the start."""
    from datetime import timedelta

    from bot import delivery
    from bot.db.models import utcnow
    from escalation.timers import check_timers

    first = await launch(settings, classifier, db_url)
    server, fake = first.server, first.server.fake
    try:
        thread = await _escalate(fake, JOHN, "operator please")
        fake.add_fault("copyMessage", status=502, delay=2.0, times=4)
        fake.user_sends(OLGA, "Hi John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(lambda: fake.calls_of("copyMessage"), timeout=20)
        await killed(first)
        fake.faults.clear()  # Telegram is back
        second = await launch(settings, classifier, db_url, server=server)
        try:
            delivery._CLAIMS.clear()  # a new process: nothing of the old one's is being sent
            await delivery.flush_outbox(second.bot, second.services.sessionmaker, older_than=0)
            assert bot_texts(fake, JOHN).count("Hi John") == 1, bot_texts(fake, JOHN)
            counts = await check_timers(
                second.bot, second.services, now=utcnow() + timedelta(days=2)
            )
            assert counts["reminded"] == 0, counts
            ticket = await the_ticket(second)
            assert ticket.first_response_at is not None
            assert ticket.assignee_id == OLGA and ticket.status == "taken"
            assert not any("⏰" in t for t in topic_texts(fake, thread))
        finally:
            await stop_bot(second)
    finally:
        await server.__aexit__(None, None, None)


@BOTH
async def test_a_reply_telegram_took_just_before_the_bot_died_is_not_sent_again(
    settings, classifier, db_url
) -> None:
    """Telegram took Olga's reply; the bot was then updating the card ('taken by Olga',
    which Telegram was slow to do) when it was killed. Her reply had not been marked as
    delivered, so after the restart the outbox sent it to John a second time. It is marked
    as soon as Telegram has it, before anything else is done."""
    from bot import delivery

    first = await launch(settings, classifier, db_url)
    server, fake = first.server, first.server.fake
    try:
        thread = await _escalate(fake, JOHN, "operator please")
        fake.add_fault("editMessageText", delay=30.0)
        fake.user_sends(OLGA, "Hi John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(lambda: "Hi John" in bot_texts(fake, JOHN), timeout=20)
        await fake.wait_for(lambda: fake.calls_of("editMessageText"), timeout=20)
        await killed(first)
        fake.faults.clear()
        second = await launch(settings, classifier, db_url, server=server)
        try:
            delivery._CLAIMS.clear()  # a new process: nothing of the old one's is being sent
            await delivery.flush_outbox(second.bot, second.services.sessionmaker, older_than=0)
            assert bot_texts(fake, JOHN).count("Hi John") == 1, bot_texts(fake, JOHN)
        finally:
            await stop_bot(second)
    finally:
        await server.__aexit__(None, None, None)


async def test_a_topic_closed_by_hand_says_the_ticket_is_still_open(sandbox: Sandbox) -> None:
    """Olga closed the ticket's topic by hand, as one closes a finished thread: the ticket
    stayed open (John waiting, the bot silent, no survey), the operators who are not admins
    could no longer write in it, and nothing said so. The topic is opened again and says
    the ticket is still open and how to close it (asked of Telegram with no transaction
    open: on SQLite it holds the one write lock every customer's turn waits for)."""
    from tests.test_e2e import watch_locked_calls

    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_closes_topic(OLGA, OPERATORS_CHAT_ID, thread)
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="still open", timeout=20
    )
    await settled(sandbox)
    assert "/resolve" in said[-1]["text"], said[-1]["text"]
    [topic] = [t for t in fake.topics(OPERATORS_CHAT_ID) if t["message_thread_id"] == thread]
    assert not topic["closed"]
    assert (await the_ticket(sandbox)).status == "open"
    assert not [c for c in locked if c[0] == "ReopenForumTopic"], locked


async def test_a_reply_telegram_refuses_is_no_answer_but_the_ticket_is_the_operators(
    sandbox: Sandbox,
) -> None:
    """Telegram refused Olga's reply for good ('chat not found': John deleted his account):
    she is told it did not reach him; the ticket is hers (she is on it, and the card says
    so), but it is not counted as answered (the report's first response, the SLA)."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.add_fault("copyMessage", status=400, description="Bad Request: chat not found")
    fake.user_sends(OLGA, "Hi John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="did not reach", timeout=20
    )
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id == OLGA and ticket.first_response_at is None
    assert "Operator: Olga" in card_text(fake, thread), card_text(fake, thread)


@BOTH
async def test_a_resolved_card_redrawn_after_a_restart_keeps_the_case(
    settings, classifier, db_url
) -> None:
    """Olga resolved John's late-parcel ticket while Telegram failed to update the card, and
    the bot restarted before the redraw: the card must end up 'resolved' with the case it
    was worked with (not the bot's clean slate: 'Intent: ? · complaint type: -')."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    story = ("My parcel for order 7781420 is a week late, nobody tells me anything", "solve it")
    async with _card_failed_then_restart(
        settings, classifier, db_url, "/resolve", "resolved", story=story
    ) as (second, thread, before):
        assert "resolved" not in before.split("\n")[0]
        await check_timers(second.bot, second.services, now=utcnow() + timedelta(seconds=30))
        card = card_text(second.server.fake, thread).split("Transcript:")[0]
        assert "resolved" in card.split("\n")[0], card
        assert "complaint type: late or lost delivery" in card, card


@BOTH
@pytest.mark.parametrize("show_name", [True, False], ids=["signed", "unsigned"])
async def test_an_operators_album_reaches_the_customer_as_one_signed_once(
    settings, classifier, db_url, show_name: bool
) -> None:
    """Olga sent John two photos as one album, captioned 'the two labels': John got two
    separate photos, and with SHOW_OPERATOR_NAME 'Olga: the two labels' under the first
    and 'Olga' alone under the second, as if she had signed each photo. He gets one album,
    her name once, on its first photo."""
    sb = await launch(
        settings.model_copy(update={"show_operator_name": show_name}), classifier, db_url
    )
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "operator please")
        before = len(fake.messages(JOHN, from_bot=True))
        _operator_album(fake, thread, ("the two labels", None), "labels")
        await fake.wait_for_bot_message(JOHN, count=before + 2, timeout=20)
        await settled(sb)
        album = fake.messages(JOHN, from_bot=True)[before:]
        got = [m.get("caption") for m in album]
        assert got == ["Olga: the two labels" if show_name else "the two labels", None], got
        groups = {m.get("media_group_id") for m in album}
        assert len(groups) == 1 and None not in groups, album
        assert all(m.get("photo") for m in album), album
        ticket = await the_ticket(sb)
        assert ticket.assignee_id == OLGA and ticket.first_response_at is not None
        async with sb.services.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(MessageRow)
                    .where(MessageRow.direction == "operator")
                    .order_by(MessageRow.id)
                )
            ).all()
        assert [r.tg_message_id for r in rows] == [m["message_id"] for m in album]
        assert all(r.delivered_at is not None for r in rows)
    finally:
        await stop_sandbox(sb)


async def test_the_sla_reminder_of_a_customer_who_blocked_the_bot_says_so(
    sandbox: Sandbox,
) -> None:
    """John blocked the bot while waiting; half an hour later the reminder said only
    'Ticket #1 has waited 30 min without an answer... Please /take it.' (the seniors got it
    too), urging an answer nobody could read. It says he blocked the bot and what to do."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_blocks_bot(JOHN)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=20
    )
    await settled(sandbox)
    counts = await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    assert counts["reminded"] == 1, counts
    [reminder] = [t for t in topic_texts(fake, thread) if t.startswith("⏰")]
    assert "blocked the bot" in reminder and "/resolve" in reminder, reminder


@BOTH
async def test_a_stranger_posting_in_a_public_group_cannot_answer_or_take(
    sandbox: Sandbox,
) -> None:
    """The operators' group is public with 'join to send messages' off: Mallory, no member,
    replied in John's topic ('send me your card number'), sent /take, a note and a canned
    reply of her own: John got her message and the ticket became hers. Nothing of hers is
    relayed or done; she is told kindly that only the shop's operators answer here. Olga's
    replies still go, her membership asked of Telegram once, not for every message."""
    from bot.db.models import CannedReply

    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False
    mallory = fake.add_user("Mallory", username="mallory")["id"]
    thread = await _escalate(fake, JOHN, "operator please")
    before = len(bot_texts(fake, JOHN))
    for text in (
        "Hi John, please send me your card number",
        "/take",
        "# note from a stranger",
        "/canned_add thanks en Send the money to me",
        "/resolve",
    ):
        fake.user_sends(mallory, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="only the shop's operators", timeout=20
    )
    await settled(sandbox)
    # told once, not after each of her messages (the bot would double a stream of them)
    said = [t for t in topic_texts(fake, thread) if "only the shop's operators" in t]
    assert len(said) == 1 and said[0].startswith("Sorry"), said
    assert len(bot_texts(fake, JOHN)) == before, bot_texts(fake, JOHN)
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id is None and ticket.status == "open"
    async with sandbox.services.sessionmaker() as session:
        assert (await session.scalar(select(CannedReply))) is None
        notes = await session.scalars(select(MessageRow).where(MessageRow.direction == "note"))
        assert notes.all() == []
    fake.user_sends(OLGA, "Hi John, I'm Olga", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, count=before + 1, timeout=20)
    await settled(sandbox)
    asked = len(fake.calls_of("getChatMember"))  # her check and the card's name are done
    for text in ("Let me check your order", "# John is a regular"):
        fake.user_sends(OLGA, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, count=before + 2, timeout=20)
    await settled(sandbox)
    assert bot_texts(fake, JOHN)[before:] == ["Hi John, I'm Olga", "Let me check your order"]
    assert len(fake.calls_of("getChatMember")) == asked


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_bot_asks_telegram_for_the_operators_groups_member_changes(
    settings, classifier, db_url, mode: str
) -> None:
    """Telegram sends a bot 'chat_member' updates (someone left or was removed from a group)
    only when it asks for them: the bot did not, so it never learnt that an operator had
    been removed. It asks for them, polling or with a webhook, with what it asked before."""
    sb = await launch(settings, classifier, db_url, mode=mode)
    try:
        fake = sb.server.fake
        if mode == "polling":
            await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=20)
        bot = fake.primary_bot
        assert bot is not None
        allowed = bot.webhook.allowed_updates if bot.webhook else bot.allowed_updates
        assert allowed is not None
        for kind in ("chat_member", "message", "edited_message", "callback_query"):
            assert kind in allowed, allowed
        assert "my_chat_member" in allowed, allowed  # a customer blocking the bot
    finally:
        await stop_sandbox(sb)


@BOTH
@pytest.mark.parametrize("told_by", ["chat_member", "left_chat_member"])
async def test_an_operator_removed_from_the_group_can_no_longer_answer_or_take(
    sandbox: Sandbox, told_by: str
) -> None:
    """The operators' group is public (anyone may post): Olga removed Tomasz from it, yet
    for up to 10 minutes his messages still reached John, and his /take and Take worked (he
    had been seen as an operator a moment before). Telegram's word that he left (the member
    update, or the 'removed from the group' service message) ends his rights at once."""
    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    fake.user_sends(
        TOMASZ, "# I'll look at it", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        from tests.test_e2e import notes

        assert [n.text for n in await notes(session)] == ["I'll look at it"]  # an operator
    before = len(bot_texts(fake, JOHN))
    fake.member_changes(
        OPERATORS_CHAT_ID,
        TOMASZ,
        "left",
        by=OLGA,
        update=told_by == "chat_member",
        service_message=told_by == "left_chat_member",
    )
    await settled(sandbox)
    for text in ("Hi John, send me your card number", "/take"):
        fake.user_sends(TOMASZ, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    fake.user_presses(TOMASZ, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="only the shop's operators", timeout=20
    )
    await fake.wait_for(lambda: fake.callback_answers, timeout=20)
    await settled(sandbox)
    assert len(bot_texts(fake, JOHN)) == before, bot_texts(fake, JOHN)
    assert "Only operators" in (fake.callback_answers[-1].get("text") or "")
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id is None and ticket.status == "open"
    fake.user_sends(OLGA, "Hi John, I'm Olga", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, count=before + 1, timeout=20)


@BOTH
async def test_an_operators_corrected_reply_is_what_the_card_shows(sandbox: Sandbox) -> None:
    """Olga answered John 'Your refund is approved', then corrected it with Telegram's edit
    to 'Your refund is not approved yet': John's copy changed, but the pinned card's
    transcript went on saying 'Operator: Your refund is approved', what a colleague taking
    the ticket over reads first. The card shows the answer as John has it."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    sent = fake.user_sends(
        OLGA, "Your refund is approved", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Operator Olga: Your refund is approved" in card_text(fake, thread))
    await settled(sandbox)
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], "Your refund is not approved yet")
    await fake.wait_for(lambda: "Your refund is not approved yet" in bot_texts(fake, JOHN))
    await fake.wait_for(lambda: "refund is not approved yet" in card_text(fake, thread))
    assert "Operator Olga: Your refund is approved\n" not in card_text(fake, thread) + "\n"


@BOTH
async def test_a_former_operators_edit_of_an_earlier_reply_is_not_mirrored(
    sandbox: Sandbox,
) -> None:
    """Tomasz answered John ('Your refund is approved'), then was removed from the public
    operators' group; he edited that old answer into 'Send me your card number to get the
    refund' and the edit was mirrored into John's chat, under the shop's name. An edit
    reaches the customer only while its author is an operator: John keeps the answer he
    had, and Tomasz is told, once, that only the shop's operators answer here."""
    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False
    thread = await _escalate(fake, JOHN, "operator please")
    sent = fake.user_sends(
        TOMASZ, "Your refund is approved", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Your refund is approved" in bot_texts(fake, JOHN), timeout=20)
    await settled(sandbox)
    fake.member_changes(OPERATORS_CHAT_ID, TOMASZ, "left", by=OLGA)
    await settled(sandbox)
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], "Send me your card number to get it")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="only the shop's operators", timeout=20
    )
    await settled(sandbox)
    assert "Your refund is approved" in bot_texts(fake, JOHN)
    assert not any("card number" in t for t in bot_texts(fake, JOHN)), bot_texts(fake, JOHN)
    assert not [c for c in fake.calls_of("editMessageText") if str(c.get("chat_id")) == str(JOHN)]


@BOTH
async def test_a_queued_reply_refused_later_because_the_customer_blocked_the_bot_is_said(
    sandbox: Sandbox,
) -> None:
    """Telegram was down when Olga answered John ('⏳ ... your reply will be sent as soon as
    it can'); John blocked the bot meanwhile, and when Telegram was back it refused the
    reply for good. Olga, promised it would be sent, was never told it was not. The topic
    says so, under her reply, and why."""
    from bot import delivery

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.add_fault("copyMessage", status=502, times=4)
    sent = fake.user_sends(
        OLGA, "Your refund is approved", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="⏳", timeout=30
    )
    await settled(sandbox)
    fake.user_blocks_bot(JOHN)
    await settled(sandbox)
    before = len(topic_texts(fake, thread))
    # the outbox's next pass (a reply waits 20 s for the turn that sends it) sends it
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="did not reach", timeout=60
    )
    await settled(sandbox)
    assert len(topic_texts(fake, thread)) == before + 1, topic_texts(fake, thread)[before:]
    assert "blocked the bot" in said[-1]["text"], said[-1]["text"]
    assert said[-1]["reply_to_message"]["message_id"] == sent["message_id"], said[-1]
    assert not any("refund" in t for t in bot_texts(fake, JOHN)), bot_texts(fake, JOHN)
    await delivery.flush_outbox(
        sandbox.bot,
        sandbox.services.sessionmaker,
        older_than=0,
        refused=sandbox.services.desk.reply_refused,
    )
    assert len(topic_texts(fake, thread)) == before + 1  # said once


@BOTH
async def test_a_caption_edited_on_a_later_photo_of_an_operators_album_is_not_signed(
    settings, classifier, db_url
) -> None:
    """SHOW_OPERATOR_NAME: John got Olga's album with her name once, on its first photo
    ('Olga: the two labels'); she then captioned the second photo 'the back label', and
    John's second photo read 'Olga: the back label', her name a second time, unlike the
    album she sent. An edit is signed as its message was: the first photo's with her
    name, a later one's without."""
    sb = await launch(settings.model_copy(update={"show_operator_name": True}), classifier, db_url)
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "operator please")
        before = len(fake.messages(JOHN, from_bot=True))
        sent = _operator_album(fake, thread, ("the two labels", None), "labels")
        await fake.wait_for_bot_message(JOHN, count=before + 2, timeout=20)
        await settled(sb)
        fake.user_edits(OPERATORS_CHAT_ID, sent[1]["message_id"], "the back label")
        fake.user_edits(OPERATORS_CHAT_ID, sent[0]["message_id"], "both labels")

        def captions() -> list[str | None]:
            return [m.get("caption") for m in fake.messages(JOHN, from_bot=True)[before:]]

        await fake.wait_for(lambda: "both" in str(captions()) and "back" in str(captions()))
        assert captions() == ["Olga: both labels", "the back label"], captions()
    finally:
        await stop_sandbox(sb)


@BOTH
async def test_an_operators_album_is_not_sent_twice_by_the_outbox_reading_it_mid_record(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Olga's album reached John, and its claims were let go before its delivery was
    committed: the outbox loop, reading the rows at that moment, would send each photo to
    John a second time. Here the outbox reads them at exactly that moment."""
    import bot.handlers.operators as operators
    from bot import delivery

    record = operators.record_delivery

    async def outbox_first(session, row):  # type: ignore[no-untyped-def]
        await delivery.flush_outbox(sandbox.bot, sandbox.services.sessionmaker, older_than=0)
        await record(session, row)

    monkeypatch.setattr(operators, "record_delivery", outbox_first)
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    before = len(fake.messages(JOHN, from_bot=True))
    _operator_album(fake, thread, ("the two labels", None), "labels")
    await fake.wait_for(lambda: len(fake.messages(JOHN, from_bot=True)) >= before + 2, timeout=30)
    await settled(sandbox)
    got = [m.get("caption") for m in fake.messages(JOHN, from_bot=True)[before:]]
    assert got == ["the two labels", None], got


def _write_locked(path: str) -> bool:
    """Whether SQLite's one write lock stays taken for a second (every customer's turn, and
    every other operator's reply, would wait for it)."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


async def test_an_operators_album_is_sent_with_no_database_lock_held(sandbox: Sandbox) -> None:
    """Olga's album to John was sent (and, Telegram down, '⏳ ... your reply will be sent'
    said under it) while the album's task held SQLite's write lock, taken when it read the
    album's rows: with Telegram slow, or saying 'retry after N s', every other customer's
    turn and every colleague's reply waited on it. Telegram is asked with no lock held."""
    fake = sandbox.server.fake
    path = sandbox.services.settings.database_url.split("///", 1)[1]
    locked: list[str] = []

    async def probe(make_request, bot, method):  # type: ignore[no-untyped-def]
        name = type(method).__name__
        queued_note = name == "SendMessage" and "⏳" in (getattr(method, "text", "") or "")
        if (name in ("CopyMessages", "SendMediaGroup") or queued_note) and await asyncio.to_thread(
            _write_locked, path
        ):
            locked.append(name)
        return await make_request(bot, method)

    thread = await _escalate(fake, JOHN, "operator please")
    sandbox.bot.session.middleware(probe)
    before = len(fake.messages(JOHN, from_bot=True))
    _operator_album(fake, thread, ("the two labels", None), "labels")
    await fake.wait_for(lambda: len(fake.messages(JOHN, from_bot=True)) >= before + 2, timeout=30)
    await settled(sandbox)
    fake.add_fault("copyMessages", status=502, times=4)
    _operator_album(fake, thread, ("the receipt", None), "receipt")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="⏳", timeout=30
    )
    await settled(sandbox)
    assert len(fake.calls_of("copyMessages")) >= 5
    assert not locked, locked


async def test_a_customers_album_reaches_the_topic_as_one_album(sandbox: Sandbox) -> None:
    """John sent three photos of the crushed box as one album, captioned on the first: the
    topic got them one by one, three separate photos among the other messages. They come
    as one album, caption and all, and each photo is still linked to John's own (an
    operator's reply to one of them quotes it for him)."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    await settled(sandbox)
    before = len(fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True))
    sent = [
        fake.user_sends(JOHN, photo=True, caption=caption, media_group_id="box")
        for caption in ("the box was crushed", None, None)
    ]
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, count=before + 3, timeout=30
    )
    await settled(sandbox)
    album = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[before:]
    assert [bool(m.get("photo")) for m in album] == [True, True, True], album
    assert [m.get("caption") for m in album] == ["the box was crushed", None, None]
    groups = {m.get("media_group_id") for m in album}
    assert len(groups) == 1 and None not in groups, groups
    relayed = await relayed_copies(sandbox)
    assert [relayed[m["message_id"]] for m in sent] == [m["message_id"] for m in album]
    fake.user_sends(
        OLGA,
        "Thanks, I see the dent",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=album[1]["message_id"],
    )
    [answer] = await fake.wait_for_bot_message(JOHN, text_contains="I see the dent", timeout=20)
    assert answer["reply_to_message"]["message_id"] == sent[1]["message_id"], answer


async def test_an_operators_album_telegram_did_not_take_waits_in_the_outbox(
    settings, classifier, db_url
) -> None:
    """Telegram was down (502) when Olga's album was sent as one: she is told under it that
    it will be sent as soon as it can, the outbox sends it once Telegram is back (her name
    once), and it is her answer all the same."""
    from bot import delivery

    sb = await launch(settings.model_copy(update={"show_operator_name": True}), classifier, db_url)
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "operator please")
        before = len(fake.messages(JOHN, from_bot=True))
        fake.add_fault("sendMediaGroup", status=502, times=4)
        sent = _operator_album(fake, thread, ("the two labels", None), "labels")
        said = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="⏳", timeout=30
        )
        assert said[-1]["reply_to_message"]["message_id"] == sent[0]["message_id"], said[-1]
        await settled(sb)
        assert len(fake.messages(JOHN, from_bot=True)) == before
        ticket = await the_ticket(sb)
        assert ticket.assignee_id == OLGA and ticket.first_response_at is not None
        delivery._CLAIMS.clear()  # a claim lapses after 200 s
        await delivery.flush_outbox(sb.bot, sb.services.sessionmaker, older_than=0)
        got = [m.get("caption") for m in fake.messages(JOHN, from_bot=True)[before:]]
        assert got == ["Olga: the two labels", None], got
    finally:
        await stop_sandbox(sb)


async def test_an_operators_album_to_a_customer_who_blocked_the_bot_is_said(
    sandbox: Sandbox,
) -> None:
    """John blocked the bot; Olga's album to him is refused: the topic says he blocked the
    bot, and her album is no answer he can read (the ticket is hers all the same)."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    await settled(sandbox)
    fake.users[JOHN].blocked = True  # Telegram did not tell the bot (yet)
    _operator_album(fake, thread, ("the two labels", None), "labels")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=30
    )
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert ticket.assignee_id == OLGA and ticket.first_response_at is None


# Telegram failing (502) or refusing (403: the bot was being removed from the operators'
# group) when asked who is in that group, for what is not the sender's own check
GROUP_FAULTS = pytest.mark.parametrize(
    ("status", "said"),
    [(502, None), (403, "Forbidden: bot was kicked from the supergroup chat")],
    ids=["502", "403"],
)


async def olga_takes(sandbox: Sandbox, thread: int) -> None:
    """Olga takes the ticket (she is known as an operator from then on) and Tomasz writes
    a note in it (so is he): what follows asks Telegram only about someone else."""
    fake = sandbox.server.fake
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    fake.user_sends(TOMASZ, "# I can help", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await settled(sandbox)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info]


@GROUP_FAULTS
async def test_taking_a_colleagues_ticket_while_telegram_cannot_name_them(
    sandbox: Sandbox, status: int, said: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Tomasz sent /take on Olga's ticket while Telegram failed (or refused) to say who
    Olga is in the group (her name, for 'it was with Olga'): his take was undone without a
    word and the log had a traceback. The ticket is his, and he reads whose it was by the
    name Telegram gave before."""
    import logging

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    await olga_takes(sandbox, thread)
    fake.add_fault("getChatMember", status=status, description=said, times=20)
    caplog.set_level(logging.WARNING)
    fake.user_sends(TOMASZ, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours now", timeout=20
    )
    await settled(sandbox)
    assert "it was with Olga (@olga_support)" in told[-1]["text"], told[-1]["text"]
    assert (await the_ticket(sandbox)).assignee_id == TOMASZ
    assert not tracebacks(caplog), caplog.text


@GROUP_FAULTS
async def test_an_sla_reminder_while_telegram_cannot_say_who_is_in_the_group(
    sandbox: Sandbox, status: int, said: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Half an hour after Olga took John's ticket, the reminder asked Telegram whether she
    is still in the group; it failed (or refused), the timers' pass broke off with a
    traceback and the reminder, marked as sent, never came. It comes, saying the ticket is
    with Olga (not that she left the group)."""
    import logging
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    await olga_takes(sandbox, thread)
    fake.add_fault("getChatMember", status=status, description=said, times=20)
    caplog.set_level(logging.WARNING)
    counts = await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    assert counts["reminded"] == 1, counts
    [reminder] = [t for t in topic_texts(fake, thread) if t.startswith("⏰")]
    assert "It is with Olga (@olga_support)" in reminder, reminder
    assert "left the group" not in reminder
    assert not tracebacks(caplog), caplog.text


@GROUP_FAULTS
async def test_a_transfer_to_a_named_colleague_while_telegram_cannot_say_who_they_are(
    sandbox: Sandbox, status: int, said: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Olga sent '/transfer @tomasz_support' while Telegram failed (or refused) to say who
    is in the group: nothing answered her, the log had a traceback. She is told the ticket
    stays as it was and why; the ticket is still hers, and once Telegram answers the same
    command hands it to Tomasz."""
    import logging

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    await olga_takes(sandbox, thread)
    fake.add_fault("getChatMember", status=status, description=said, times=20)
    caplog.set_level(logging.WARNING)
    asked = len(fake.calls_of("getChatMember"))
    fake.user_sends(
        OLGA, "/transfer @tomasz_support", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="stays as it was", timeout=20
    )
    await settled(sandbox)
    if status == 403:  # the bot may not look into the group: not asked of each colleague
        assert len(fake.calls_of("getChatMember")) == asked + 1, fake.calls_of("getChatMember")
    assert "I don't know" not in told[-1]["text"], told[-1]["text"]
    assert "tomasz_support" in told[-1]["text"]
    assert (await the_ticket(sandbox)).assignee_id == OLGA
    assert not tracebacks(caplog), caplog.text
    fake.faults.clear()
    fake.user_sends(
        OLGA, "/transfer @tomasz_support", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="handed to Tomasz", timeout=20
    )
    await settled(sandbox)
    assert (await the_ticket(sandbox)).assignee_id == TOMASZ


async def test_customers_handed_over_while_the_bot_is_out_of_the_operators_group(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot was removed from the operators' group (or the group recreated without it).
    John asked for a person and wrote again: each of his messages left a traceback in the
    log ('Forbidden: bot is not a member of the supergroup chat'), and nothing said what
    was wrong. He is answered as always and nothing of his is lost; the log says once, as
    an error, that the bot is not in the operators' group and what to do, and so does the
    SLA reminder the seniors get in private; once the bot is added back, the timers' next
    pass makes his topic with the card and copies his message."""
    import logging
    from datetime import timedelta

    from bot.db.models import Message as MessageRow
    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].bot_is_member = False
    caplog.set_level(logging.INFO)
    fake.user_sends(JOHN, "Talk to a human please")
    await fake.wait_for_bot_message(JOHN, timeout=20)
    await settled(sandbox)
    fake.user_sends(JOHN, "My order 5531207 never came")
    await settled(sandbox)
    said = bot_texts(fake, JOHN)
    # the hand-off, and the usual word that the new message is passed on: no error
    assert "colleague" in said[0] and "passed this on" in said[-1], said
    assert not any("went wrong" in t for t in said), said
    ticket = await the_ticket(sandbox)
    assert ticket.status == "open" and ticket.topic_id is None
    async with sandbox.services.sessionmaker() as session:
        kept = await session.scalar(
            select(MessageRow).where(MessageRow.text == "My order 5531207 never came")
        )
    assert kept is not None and kept.direction == "in"
    assert not tracebacks(caplog), caplog.text
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "removed from the group" in errors[0] and "add it back as an admin" in errors[0].lower()

    # half an hour on: the reminder cannot go to the group; Olga, a senior operator, reads
    # it in private with the reason
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    alert = [t for t in bot_texts(fake, OLGA) if "without an answer" in t]
    assert len(alert) == 1 and "the bot is not a member" in alert[0], alert
    assert "add it back as an admin" in alert[0], alert
    assert not tracebacks(caplog), caplog.text
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1, caplog.text

    fake.chats[OPERATORS_CHAT_ID].bot_is_member = True
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    [topic] = [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]
    thread = topic["message_thread_id"]
    assert any("Talk to a human please" in t for t in topic_texts(fake, thread))  # the card
    assert "My order 5531207 never came" in topic_texts(fake, thread)


async def test_an_album_sent_before_the_hand_off_reaches_the_topic_as_one_album(
    sandbox: Sandbox,
) -> None:
    """Before asking for a person, John sent two photos of the crushed box as one album
    ('the box was crushed') and then the receipt on its own: under the card the topic got
    three separate photos. The album comes as one album, caption kept, then the receipt
    alone, in the order he sent them, each still linked to his own message."""
    fake = sandbox.server.fake
    sent = [
        fake.user_sends(JOHN, photo=True, caption=caption, media_group_id="box")
        for caption in ("the box was crushed", None)
    ]
    await settled(sandbox)
    sent.append(fake.user_sends(JOHN, photo=True, caption="the receipt"))
    await settled(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    await fake.wait_for(
        lambda: (
            len([m for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread) if m.get("photo")])
            >= 3
        ),
        timeout=20,
    )
    await settled(sandbox)
    photos = [m for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread) if m.get("photo")]
    assert [m.get("caption") for m in photos] == ["the box was crushed", None, "the receipt"]
    album = {photos[0].get("media_group_id"), photos[1].get("media_group_id")}
    assert len(album) == 1 and None not in album, photos
    assert photos[2].get("media_group_id") is None, photos
    relayed = await relayed_copies(sandbox)
    assert [relayed[m["message_id"]] for m in sent] == [m["message_id"] for m in photos]


async def test_the_admins_are_told_in_private_when_the_bot_is_out_of_the_operators_group(
    sandbox: Sandbox,
) -> None:
    """The bot was removed from the operators' group: only the log said so, and nobody who
    could add it back reads the log; customers waited while the operators saw nothing.
    The admin (Polish, as the bot last saw him) is told in private, once however many
    customers write meanwhile, what happened and how to fix it; John is answered as
    always; once Telegram answers about the group again, a later removal is told again."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from bot.sandbox.run import ADMIN_ID
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    fake._user(ADMIN_ID).language_code = "pl"
    fake.user_sends(ADMIN_ID, "/admin")
    await fake.wait_for_bot_message(ADMIN_ID, timeout=20)
    before = len(bot_texts(fake, ADMIN_ID))

    fake.chats[OPERATORS_CHAT_ID].bot_is_member = False
    fake.user_sends(JOHN, "Talk to a human please")
    await fake.wait_for_bot_message(JOHN, timeout=20)
    await settled(sandbox)
    fake.user_sends(JOHN, "My order 5531207 never came")
    await settled(sandbox)
    said = bot_texts(fake, JOHN)
    assert "colleague" in said[0] and "passed this on" in said[-1], said
    await fake.wait_for_bot_message(ADMIN_ID, count=before + 1, timeout=20)
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    await settled(sandbox)
    told = bot_texts(fake, ADMIN_ID)[before:]
    assert len(told) == 1, told  # once, however often Telegram refused meanwhile
    assert "grupie operatorów" in told[0], told  # his language
    assert "dodaj bota z powrotem do grupy jako administratora" in told[0], told  # the fix
    assert "Forbidden" in told[0], told  # Telegram's words

    # added back: the timers' pass makes John's topic; removed again later: told again
    fake.chats[OPERATORS_CHAT_ID].bot_is_member = True
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    assert [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]
    assert len(bot_texts(fake, ADMIN_ID)) == before + 1
    fake.chats[OPERATORS_CHAT_ID].bot_is_member = False
    fake.user_sends(JOHN, "Hello? Anyone there?")
    await fake.wait_for_bot_message(ADMIN_ID, count=before + 2, timeout=20)
    await settled(sandbox)
    assert len(bot_texts(fake, ADMIN_ID)) == before + 2


async def test_an_album_copied_in_part_links_each_photo_to_its_own_copy(
    sandbox: Sandbox,
) -> None:
    """John sent three photos as one album ('the box', 'the label', 'the receipt'), then
    deleted the first before asking for a person: Telegram copied only two, and the bot
    linked his photos to the wrong copies (his 'the label' to the copy of 'the receipt'),
    so an operator's reply to a photo quoted another one for him. Telegram does not say
    which it skipped: the partial album is taken back and each photo is copied alone,
    linked to its own copy, and the topic says which one could not be copied."""
    fake = sandbox.server.fake
    captions = ("the box", "the label", "the receipt")
    sent = [
        fake.user_sends(JOHN, photo=True, caption=caption, media_group_id="box")
        for caption in captions
    ]
    await settled(sandbox)
    fake.chats[JOHN].messages[sent[0]["message_id"]].deleted = True  # he deletes it
    thread = await _escalate(fake, JOHN, "operator please")

    def copied() -> list[dict]:
        return [
            m
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
            if m.get("photo") or "would not copy" in (m.get("text") or "")
        ]

    await fake.wait_for(lambda: len(copied()) >= 3, timeout=20)
    await settled(sandbox)
    topic = copied()
    photos = {m.get("caption"): m["message_id"] for m in topic if m.get("photo")}
    assert sorted(photos) == ["the label", "the receipt"], topic  # each once
    [gone] = [m for m in topic if not m.get("photo")]
    assert "the box" in gone["text"], gone  # what it was
    relayed = await relayed_copies(sandbox)
    assert relayed[sent[1]["message_id"]] == photos["the label"]
    assert relayed[sent[2]["message_id"]] == photos["the receipt"]
    assert relayed[sent[0]["message_id"]] == gone["message_id"]


@pytest.mark.parametrize("refused", [True, False], ids=["refused", "telegram-failed-once"])
async def test_an_album_copied_in_part_that_cannot_be_taken_back_shows_once(
    sandbox: Sandbox, refused: bool
) -> None:
    """As above, with the bot not allowed to delete messages in the operators' group (or
    Telegram failing once, a 502, as it took the partial album back): the partial album
    stayed and each photo was copied again alone, so 'the label' and 'the receipt' showed
    twice under the card. Refused: the partial album stays, once, with a note that it is
    partial; nothing is copied again, by the timers either, and his photos are linked to
    the note (a reply to a copy quotes none of them, never the wrong one). A failure
    once: taken back on a retry, each photo copied alone as above."""
    from datetime import timedelta

    from bot.db.models import Message as MessageRow
    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    sent = [
        fake.user_sends(JOHN, photo=True, caption=caption, media_group_id="box")
        for caption in ("the box", "the label", "the receipt")
    ]
    await settled(sandbox)
    fake.chats[JOHN].messages[sent[0]["message_id"]].deleted = True  # he deletes it
    if refused:
        said = "Bad Request: message can't be deleted"
        fake.add_fault("deleteMessages", status=400, description=said)
    else:
        fake.add_fault("deleteMessages", status=502)
    thread = await _escalate(fake, JOHN, "operator please")
    await fake.wait_for(lambda: not fake.faults, timeout=20)
    await settled(sandbox)
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(seconds=30))
    topic = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
    captions = [m.get("caption") for m in topic if m.get("photo")]
    assert sorted(captions) == ["the label", "the receipt"], topic  # each once
    gone = [m for m in topic if "would not copy this" in (m.get("text") or "")]
    notes = [m for m in topic if "album above" in (m.get("text") or "")]
    if not refused:
        assert len(gone) == 1 and "the box" in gone[0]["text"] and not notes, topic
        return
    assert [n["text"] for n in notes] == [
        "📎 Only 2 of the 3 items of the album above could be copied: the customer deleted "
        "the others, or Telegram would not copy them"
    ], topic
    assert not gone, topic
    async with sandbox.services.sessionmaker() as session:
        links = (
            await session.scalars(
                select(MessageRow.relay_message_id).where(MessageRow.direction == "in")
            )
        ).all()
    assert links.count(notes[0]["message_id"]) == 3, links


async def test_a_reply_to_the_note_of_a_partial_album_quotes_none_of_its_photos(
    sandbox: Sandbox,
) -> None:
    """John's album ('the box', 'the label', 'the receipt'), 'the receipt' deleted, stayed in
    his topic in part with '📎 Only 2 of the 3 items ...' under it (the bot may not delete
    there). Olga replied to that note 'Could you send the receipt again?': John got it
    quoting his photo of the box, which she had not answered (his photos are all linked to
    the note; the first one found was quoted; the deleted one, had it come first). He gets
    her reply, quoting none of them."""
    fake = sandbox.server.fake
    sent = [
        fake.user_sends(JOHN, photo=True, caption=caption, media_group_id="box")
        for caption in ("the box", "the label", "the receipt")
    ]
    await settled(sandbox)
    fake.chats[JOHN].messages[sent[2]["message_id"]].deleted = True  # he deletes the last
    fake.add_fault(
        "deleteMessages", status=400, description="Bad Request: message can't be deleted"
    )
    thread = await _escalate(fake, JOHN, "operator please")
    notes = await fake.wait_for(
        lambda: [
            m
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
            if "album above" in (m.get("text") or "")
        ],
        timeout=20,
    )
    await settled(sandbox)
    asked = "Could you send the receipt again?"
    fake.user_sends(
        OLGA,
        asked,
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=notes[0]["message_id"],
    )
    await fake.wait_for(lambda: asked in bot_texts(fake, JOHN), timeout=20)
    [reply] = [m for m in fake.messages(JOHN, from_bot=True) if m.get("text") == asked]
    assert reply.get("reply_to_message") is None, reply["reply_to_message"]


@BOTH
async def test_operators_read_the_card_notes_and_replies_in_operators_language(
    settings, classifier, db_url
) -> None:
    """The shop's operators speak Russian, yet everything the bot said to them was English:
    the pinned card ('🎫 Ticket #1 · normal priority · waiting'), its buttons, the topic's
    notes ('✏️ The customer edited a message'), the replies to their commands ('Ticket #1
    is yours.') and the reminders, in the topic and to the seniors in private. With
    OPERATORS_LANGUAGE=ru they are Russian; what the customer wrote is quoted as written,
    and the customer, who writes English, is still answered in English."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    sb = await launch(settings.model_copy(update={"operators_language": "ru"}), classifier, db_url)
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "Talk to a human please")
        card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
        text = card["text"]
        assert text.startswith("🎫 Обращение #1 · приоритет: обычный · ждёт ответа\n"), text
        assert "\nПричина: клиент попросил человека\n" in text, text
        assert "\nОтвечайте в этой теме, чтобы написать клиенту." in text, text
        # the transcript: the customer's words as written, who said them in Russian
        assert "\n\nПереписка:\n" in text and "] Клиент: Talk to a human please" in text, text
        for english in ("Ticket", "Reason", "Summary", "Transcript", "Customer", "priority"):
            assert english not in text, (english, text)
        buttons = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == ["Взять", "Решено"], buttons

        fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        said = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="теперь ваше", timeout=20
        )
        assert said[-1]["text"] == "Обращение #1 теперь ваше.", said[-1]["text"]
        await settled(sb)
        drawn = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
        assert "· в работе\n" in drawn["text"], drawn["text"]
        assert "\nОператор: Olga (@olga_support)\n" in drawn["text"], drawn["text"]

        # half an hour on, nobody has answered: the topic and the senior (Olga) are reminded
        counts = await check_timers(sb.bot, sb.services, now=utcnow() + timedelta(hours=1))
        assert counts["reminded"] == 1, counts
        [reminder] = [t for t in topic_texts(fake, thread) if t.startswith("⏰")]
        assert reminder.startswith("⏰ Обращение #1 ждёт ответа уже "), reminder
        assert reminder.endswith(
            "(приоритет: обычный). Его ведёт Olga (@olga_support): пожалуйста, ответьте "
            "клиенту (или передайте: /transfer)."
        ), reminder
        assert bot_texts(fake, OLGA)[-1].startswith(reminder), bot_texts(fake, OLGA)

        sent = fake.user_sends(JOHN, "my order is 55112")
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="55112", timeout=20
        )
        fake.user_edits(JOHN, sent["message_id"], "my order is 55113")
        edited = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="изменил сообщение", timeout=20
        )
        assert edited[-1]["text"] == "✏️ Клиент изменил сообщение:\nmy order is 55113"
        await settled(sb)
        # the customer's side keeps the customer's language
        told = bot_texts(fake, JOHN)
        assert told and not any(re.search("[а-яё]", t, re.I) for t in told), told
    finally:
        await stop_sandbox(sb)


def age_message(fake, chat_id: int, message_id: int, hours: int) -> None:
    """The message was sent ``hours`` ago (Telegram sends a button's message older than
    48 hours without its topic or text)."""
    fake.chats[chat_id].messages[message_id].api["date"] -= hours * 3600


@BOTH
async def test_a_button_on_a_card_older_than_two_days_acts_on_that_cards_ticket_only(
    sandbox: Sandbox,
) -> None:
    """Telegram sends a button's message older than 48 hours without its topic: a press
    there skipped the check that the card is the ticket's own, so 'tk:resolve:2' forged on
    John's two-day-old card closed Anna's ticket #2 (the survey went to her). Such a press
    acts only on the ticket whose card it is; Take on John's own old card still works."""
    from tests.test_e2e import ANNA

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(ANNA, "Позовите оператора, пожалуйста")
    await fake.wait_for(
        lambda: len([t for t in fake.topics(OPERATORS_CHAT_ID) if "#2" in t["name"]]), timeout=20
    )
    await settled(sandbox)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    age_message(fake, OPERATORS_CHAT_ID, card["message_id"], hours=49)
    answered = len(fake.callback_answers)
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:2", forged=True)
    await fake.wait_for(lambda: len(fake.callback_answers) > answered, timeout=20)
    await settled(sandbox)
    assert "out of date" in (fake.callback_answers[-1].get("text") or ""), fake.callback_answers
    async with sandbox.services.sessionmaker() as session:
        anna = await session.get(Ticket, 2)
    assert anna is not None and anna.status == "open"
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    await fake.wait_for(lambda: len(fake.callback_answers) > answered + 1, timeout=20)
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        john = await session.get(Ticket, 1)
    assert john is not None and (john.assignee_id, john.status) == (OLGA, "taken")


@BOTH
@pytest.mark.parametrize(
    "told_by", ["chat_member", "left_chat_member", "his_message", "reminder", "queue"]
)
async def test_the_tickets_of_an_operator_who_left_go_back_to_the_queue(
    sandbox: Sandbox, told_by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tomasz answered John (the ticket became his), then left the operators' group: /queue
    still said 'taken by Tomasz', the card had no Take, and nobody answered John. Once the
    bot knows he has gone (Telegram's member update or service message, his next message
    checked, the SLA reminder or /queue asking about him), his ticket is back in the queue: the
    topic says so under a card with Take, /queue shows it waiting, Olga takes it, and John
    is told nothing."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from bot.handlers.operators import OperatorRoster
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False  # he may still post: a public group
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    hello = "Hi John, Tomasz here, I'm checking your order"
    fake.user_sends(TOMASZ, hello, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: hello in bot_texts(fake, JOHN), timeout=20)
    if told_by == "reminder":
        fake.user_sends(JOHN, "Any news about my order? It is still not here")
        await fake.wait_for(
            lambda: any("Any news" in t for t in topic_texts(fake, thread)), timeout=20
        )
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (TOMASZ, "taken")
    john_saw = list(bot_texts(fake, JOHN))
    if told_by == "his_message":
        monkeypatch.setattr(OperatorRoster, "KEEP", 0.0)  # asked again, as 10 minutes later
    fake.member_changes(
        OPERATORS_CHAT_ID,
        TOMASZ,
        "left",
        update=told_by == "chat_member",
        service_message=told_by == "left_chat_member",
    )
    await settled(sandbox)
    if told_by == "his_message":
        fake.user_sends(
            TOMASZ, "one more thing", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
    elif told_by == "reminder":
        await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    elif told_by == "queue":
        fake.user_sends(OLGA, "/queue", chat_id=OPERATORS_CHAT_ID)
    back = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="back in the queue", timeout=20
    )
    assert "Tomasz" in back[-1]["text"] and "has left" in back[-1]["text"], back[-1]["text"]
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (None, "open")
    drawn = next(
        m
        for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)
        if m["message_id"] == card["message_id"]
    )
    buttons = [b["callback_data"] for row in drawn["reply_markup"]["inline_keyboard"] for b in row]
    assert "tk:take:1" in buttons, buttons
    fake.user_sends(OLGA, "/queue", chat_id=OPERATORS_CHAT_ID)
    queue = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        text_contains="Waiting tickets",
        count=2 if told_by == "queue" else 1,
        timeout=20,
    )
    for said in queue:  # the /queue that found him gone too
        assert "unassigned" in said["text"] and "Tomasz" not in said["text"], said
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    await fake.wait_for(lambda: fake.callback_answers, timeout=20)
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (OLGA, "taken")
    assert bot_texts(fake, JOHN) == john_saw  # nothing said to John of who left


@BOTH
@pytest.mark.parametrize("told_by", ["chat_member", "reminder"])
async def test_an_operator_whose_rights_were_restricted_is_not_said_to_have_left(
    sandbox: Sandbox, told_by: str
) -> None:
    """Olga, a group admin, restricted Tomasz in the operators' group (he is still in it):
    John's topic read 'Tomasz has left the operators' group: ticket #1 is back in the
    queue', which he had not. Taking away what does not stop him writing (polls) changes
    nothing: the ticket stays his and his replies reach John; once he may not write there,
    the topic says so, and the ticket is back in the queue."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(TOMASZ, "Hi John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John" in bot_texts(fake, JOHN), timeout=20)
    fake.member_changes(OPERATORS_CHAT_ID, TOMASZ, "restricted", by=OLGA, can_send=True)
    await settled(sandbox)
    fake.user_sends(TOMASZ, "Checking it", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Checking it" in bot_texts(fake, JOHN), timeout=20)
    await settled(sandbox)
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (TOMASZ, "taken")
    assert not [t for t in topic_texts(fake, thread) if "back in the queue" in t]
    fake.member_changes(
        OPERATORS_CHAT_ID, TOMASZ, "restricted", by=OLGA, update=told_by == "chat_member"
    )
    await settled(sandbox)
    if told_by == "reminder":
        fake.user_sends(JOHN, "Any news about my order? It is still not here")
        await fake.wait_for(lambda: any("Any news" in t for t in topic_texts(fake, thread)))
        await settled(sandbox)
        await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(hours=1))
    back = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="back in the queue", timeout=20
    )
    said = back[-1]["text"]
    assert "has left" not in said and "Tomasz" in said and "may no longer write" in said, said
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (None, "open")


@BOTH
async def test_operators_commands_are_answered_once_the_transaction_is_over(
    sandbox: Sandbox,
) -> None:
    """Tomasz's /take of Olga's ticket asked Telegram her name ('it was with Olga') and
    Olga's Take pressed after it asked his, /canned, '/resolve 5' in ticket #1's topic, an
    empty /note, a note's ✍, /reopen of an open ticket, /help and an unknown command were
    answered while the update's transaction was open: on SQLite it holds the one write
    lock, so with Telegram slow every customer's turn waited. Each is said (and each name
    asked) once what the command did is committed."""
    from tests.test_e2e import watch_locked_calls

    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]

    async def command(who: int, text: str, expect: str) -> None:
        fake.user_sends(who, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains=expect, timeout=20
        )

    fake.user_sends(OLGA, "/canned_add thanks Thank you for waiting!", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, text_contains="Saved canned", timeout=20)
    await command(OLGA, "/take", "is yours")
    await command(TOMASZ, "/take", "it was with Olga")
    answered = len(fake.callback_answers)
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1", forged=True)
    await fake.wait_for(lambda: len(fake.callback_answers) > answered, timeout=20)
    assert "Tomasz" in (fake.callback_answers[-1].get("text") or ""), fake.callback_answers
    await command(TOMASZ, "/canned", "thanks (en)")
    await command(TOMASZ, "/canned nothing_like_it", "No such canned")
    await command(TOMASZ, "/canned thanks", "Sent to the customer")
    await command(TOMASZ, "/resolve 5", "#5")
    await command(TOMASZ, "/note", "empty")
    await command(TOMASZ, "/reopen", "The ticket is open.")
    await command(TOMASZ, "/help", "/take")
    await command(TOMASZ, "/frobnicate", "nknown")
    fake.user_sends(
        TOMASZ, "# called the courier", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: fake.calls_of("setMessageReaction"), timeout=20)
    await settled(sandbox)
    assert "Thank you for waiting!" in bot_texts(fake, JOHN)
    if sandbox.services.settings.database_url.startswith("sqlite"):
        # (on PostgreSQL a read takes no lock, only a row read FOR UPDATE is locked, and
        # the ticket's alone: no other customer's turn waits)
        ops = [c for c in locked if c[1].startswith(("/", "#", "tk:"))]
        assert not ops, ops


@BOTH
async def test_a_colleagues_redraw_while_the_customer_blocks_the_bot_keeps_it_on_the_card(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """John blocked the bot while the card was being redrawn for another reason (Olga's
    take, the timers): on PostgreSQL that redraw read only what was committed, so it did
    not see the block, flushed but not yet committed, and its card, drawn after the
    block's own, ended without '⚠️ The customer has blocked the bot' (until some later
    redraw). The block is committed before its card is drawn: the card says it."""
    from bot.db.models import Customer
    from escalation import telegram

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    await settled(sandbox)
    desk = sandbox.services.desk
    let_go = telegram._let_go
    colleague: list[bool] = []

    async def meanwhile(session) -> None:  # the block's redraw has read, not yet drawn
        await let_go(session)
        blocking = any(
            isinstance(o, Customer) and o.blocked_bot for o in session.identity_map.values()
        )
        if blocking and not colleague:
            colleague.append(True)  # a colleague's redraw of the same card, now
            async with sandbox.services.sessionmaker() as other:
                ticket = await other.get(Ticket, 1)
                assert ticket is not None
                await desk.refresh_card(sandbox.bot, other, ticket)
                await other.commit()

    monkeypatch.setattr(telegram, "_let_go", meanwhile)
    fake.user_blocks_bot(JOHN)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="has blocked the bot", timeout=20
    )
    await settled(sandbox)
    assert colleague
    card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
    assert "The customer has blocked the bot" in card, card


@BOTH
async def test_a_caption_taken_off_an_operators_photo_is_taken_off_the_customers_copy(
    sandbox: Sandbox,
) -> None:
    """Olga sent John a photo captioned by mistake and took the caption off in Telegram:
    John's copy kept it (an edit with no text was ignored), and so did the ticket's
    history. The caption goes from his copy and from the history."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(JOHN, "It is about my parcel 5531299")  # his: the caption is sent
    await fake.wait_for(lambda: "It is about my parcel 5531299" in topic_texts(fake, thread))
    sent = fake.user_sends(
        OLGA,
        photo=True,
        caption="Your parcel 5531299 at the depot",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    await fake.wait_for(
        lambda: "Your parcel 5531299 at the depot" in bot_texts(fake, JOHN), timeout=20
    )
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], "")
    await fake.wait_for(lambda: fake.calls_of("editMessageCaption"), timeout=20)
    await settled(sandbox)
    photo = fake.messages(JOHN, from_bot=True)[-1]
    assert photo.get("photo") and not photo.get("caption"), photo
    async with sandbox.services.sessionmaker() as session:
        row = await session.scalar(select(MessageRow).where(MessageRow.direction == "operator"))
    assert row is not None and not row.text, row and row.text


@BOTH
@pytest.mark.parametrize("caption", ["# the damage the warehouse reported", "#"])
async def test_an_album_noted_by_its_caption_never_reaches_the_customer(
    sandbox: Sandbox, caption: str
) -> None:
    """Olga posted the warehouse's photos in John's topic as an album captioned '# the
    damage the warehouse reported' (an internal note): the captioned photo was kept as the
    note, but the album's other photos went to John. Every photo of such an album is the
    note's, none is sent, and the note keeps them."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    before = len(fake.messages(JOHN, from_bot=True))
    for i in range(3):
        fake.user_sends(
            OLGA,
            photo=True,
            caption=caption if i == 0 else None,
            media_group_id="warehouse",
            chat_id=OPERATORS_CHAT_ID,
            message_thread_id=thread,
        )
    await fake.wait_for(lambda: len(fake.calls_of("setMessageReaction")) >= 3, timeout=20)
    await settled(sandbox)
    await sandbox.services.desk.finish_albums()  # an album gathered meanwhile goes now
    assert len(fake.messages(JOHN, from_bot=True)) == before, fake.messages(JOHN)[before:]
    async with sandbox.services.sessionmaker() as session:
        rows = (await session.scalars(select(MessageRow).order_by(MessageRow.id))).all()
    assert not [r for r in rows if r.direction == "operator"]
    noted = [r for r in rows if r.direction == "note"]
    assert len(noted) == 3 and all(r.attachments for r in noted), noted


@BOTH
async def test_a_new_colleague_can_be_handed_a_ticket_by_their_username(sandbox: Sandbox) -> None:
    """Ewa joined the team today: she checked /queue in the group, but has not worked on a
    ticket yet, and Olga's '/transfer @ewa_support' said 'I don't know 'ewa_support' as an
    operator here'. A colleague the group has seen is known: the ticket is handed to her."""
    fake = sandbox.server.fake
    ewa = fake.add_user("Ewa", username="ewa_support", language_code="pl")["id"]
    fake.chats[OPERATORS_CHAT_ID].members.append(ewa)
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(ewa, "/queue", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, text_contains="Waiting tickets", timeout=20)
    fake.user_sends(
        OLGA, "/transfer @ewa_support", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    handed = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="handed to", timeout=20
    )
    assert "Ewa" in handed[-1]["text"], handed[-1]["text"]
    ticket = await the_ticket(sandbox)
    assert (ticket.assignee_id, ticket.status) == (ewa, "taken")


def card_head(fake, thread: int) -> str:
    """The pinned card of the ticket in ``thread`` as it reads now, without its transcript."""
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    return fake.get_message(OPERATORS_CHAT_ID, card["message_id"]).text_or_caption()


@BOTH
@pytest.mark.parametrize("how", ["command", "button"])
async def test_resolving_a_colleagues_ticket_says_whose_it_was(sandbox: Sandbox, how: str) -> None:
    """Olga had John's ticket; Tomasz resolved it. The topic read 'Ticket #1 resolved; the
    bot takes over...' without a word of whose it was, the card went on saying 'Operator:
    Olga', and a 'not solved' from John would have reopened it for Olga, who had not closed
    it. The topic says Tomasz resolved it and that it was with Olga; it is Tomasz's now."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    await fake.wait_for(lambda: "Operator: Olga" in card_head(fake, thread), timeout=20)
    if how == "command":
        fake.user_sends(TOMASZ, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    else:
        card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
        fake.user_presses(TOMASZ, OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:1")
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="#1 resolved", timeout=20
    )
    await settled(sandbox)
    note = said[-1]["text"]
    assert "Tomasz" in note and "Olga" in note, note
    head = card_head(fake, thread).split("Transcript:")[0]
    assert "resolved" in head and "Operator: Tomasz" in head and "Olga" not in head, head
    ticket = await the_ticket(sandbox)
    assert (ticket.status, ticket.assignee_id) == ("resolved", TOMASZ)


@BOTH
async def test_an_old_rating_pressed_after_a_reopen_is_answered_not_lost(sandbox: Sandbox) -> None:
    """Olga resolved John's ticket; he said Yes to 'Was your question solved?' and was asked
    for a rating, then Olga sent /reopen (she had forgotten the tracking number). John
    pressed 5 under the old question: the topic read 'The customer pressed: 5', John heard
    nothing and the 5 was recorded nowhere. John is told kindly that the question is closed
    while a colleague is on his request again, and that he is asked once it is done; Olga
    still sees the press; the rating asked after the next resolution is the one kept."""
    from bot.db.models import SurveyAnswer

    fake = sandbox.server.fake
    thread, solved = await _answered_and_resolved(fake, "Hi John, it is sent")
    fake.user_presses(JOHN, JOHN, solved[-1]["message_id"], "sv:solved:yes")
    rate = await fake.wait_for_bot_message(JOHN, text_contains="1 (poor)", timeout=20)
    fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="reopened", timeout=20
    )
    await settled(sandbox)
    before = len(fake.messages(JOHN, from_bot=True))
    fake.user_presses(JOHN, JOHN, rate[-1]["message_id"], "sv:csat:5")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="pressed: 5", timeout=20
    )
    told = await fake.wait_for_bot_message(JOHN, count=before + 1, timeout=20)
    assert "colleague" in told[-1]["text"] and "closed" in told[-1]["text"], told[-1]["text"]
    await settled(sandbox)
    assert len(fake.messages(JOHN, from_bot=True)) == before + 1, bot_texts(fake, JOHN)[before:]
    # resolved again: asked afresh, and that answer is the one kept for the ticket
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    solved = await fake.wait_for_bot_message(
        JOHN, text_contains="solved?", after_message_id=told[-1]["message_id"], timeout=20
    )
    fake.user_presses(JOHN, JOHN, solved[-1]["message_id"], "sv:solved:yes")
    rate = await fake.wait_for_bot_message(
        JOHN, text_contains="1 (poor)", after_message_id=solved[-1]["message_id"], timeout=20
    )
    fake.user_presses(JOHN, JOHN, rate[-1]["message_id"], "sv:csat:4")
    await fake.wait_for_bot_message(
        JOHN, text_contains="recommend", after_message_id=rate[-1]["message_id"], timeout=20
    )
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        answers = (await session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id))).all()
    assert [(a.question, a.answer) for a in answers] == [
        ("solved", "yes"),
        ("solved", "yes"),
        ("csat", "4"),
    ], [(a.question, a.answer) for a in answers]


@BOTH
@pytest.mark.parametrize("how", ["note", "edit", "resolve"])
async def test_an_internal_note_is_on_the_card_at_once(sandbox: Sandbox, how: str) -> None:
    """Olga wrote '# courier called, arrives at 17:00' in John's topic (or corrected her note
    to say so, or resolved with '/resolve courier called, ...'): the pinned card's transcript
    showed it only at its next redraw, after John's next message, so Tomasz, reading the card,
    missed it. The card shows the note, as written last, at once."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    said = "courier called, arrives at 17:00"
    if how == "resolve":
        fake.user_sends(
            OLGA, f"/resolve {said}", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved", timeout=20
        )
    else:
        first = "courier called" if how == "edit" else said
        sent = fake.user_sends(
            OLGA, f"# {first}", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
        await fake.wait_for(lambda: fake.calls_of("setMessageReaction"), timeout=20)
        if how == "edit":
            await settled(sandbox)
            fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], f"# {said}")
    await fake.wait_for(lambda: f"Note: {said}" in card_head(fake, thread), timeout=20)


@BOTH
async def test_a_person_asked_for_at_was_it_solved_gets_the_tickets_own_operator(
    sandbox: Sandbox,
) -> None:
    """Olga resolved John's ticket; to 'Was your question solved?' John wrote 'I want to
    talk to a person' and pressed No a moment later. A new ticket #2 opened in a new topic,
    nobody on it and none of Olga's case on its card, the No went there as 'The customer
    pressed: No', and John read 'That question is closed for now' under 'I'm connecting you
    with a colleague'. Ticket #1 is reopened in its topic for Olga, with its whole case, and
    John gets the one hand-off message."""
    fake = sandbox.server.fake
    thread, question = await _answered_and_resolved(fake, "Hi John, done")
    await settled(sandbox)
    before = len(bot_texts(fake, JOHN))
    fake.user_sends(JOHN, "I want to talk to a person")
    fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "sv:solved:no")
    await fake.wait_for(
        lambda: any("pressed: No" in t for t in topic_texts(fake, thread)), timeout=20
    )
    await settled(sandbox)
    told = bot_texts(fake, JOHN)[before:]
    assert len(told) == 1 and "colleague" in told[0], told
    assert len([t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]) == 1
    assert "I want to talk to a person" in topic_texts(fake, thread)
    ticket = await the_ticket(sandbox)
    assert (ticket.id, ticket.status, ticket.assignee_id) == (1, "taken", OLGA)


@BOTH
@pytest.mark.parametrize(
    ("how", "who", "first", "told"),
    [
        ("command", ANNA, "Позовите оператора, пожалуйста", "Ваше обращение снова открыто"),
        ("button", JOHN, "operator please", "Your request is open again"),
    ],
    ids=["command-ru", "button-en"],
)
async def test_a_reopened_ticket_is_told_to_the_customer_in_their_language(
    sandbox: Sandbox, how: str, who: int, first: str, told: str
) -> None:
    """Olga resolved Anna's ticket, then saw she had forgotten the refund and sent /reopen
    (or pressed Reopen on the card). Anna's last word from the shop was 'Was your question
    solved?': nothing told her that a person had her request again. She reads, in Russian,
    that it is open again and a colleague is on it; Olga reads that Anna was told."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, who, first)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    question = await fake.wait_for_bot_message(who, text_contains="?", timeout=20)
    await settled(sandbox)
    last = fake.messages(OPERATORS_CHAT_ID, thread_id=thread)[-1]["message_id"]
    if how == "command":
        fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    else:
        fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:reopen:1")
    said = await fake.wait_for_bot_message(
        who, text_contains=told, after_message_id=question[-1]["message_id"], timeout=20
    )
    assert "colleague" in said[-1]["text"] or "коллега" in said[-1]["text"], said[-1]["text"]
    reopened = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="reopened",
        after_message_id=last,
        timeout=20,
    )
    assert "customer is told" in reopened[-1]["text"], reopened[-1]["text"]
    await settled(sandbox)
    assert sum(told in t for t in bot_texts(fake, who)) == 1


def card_transcript(fake, thread: int) -> str:
    """The pinned card's transcript as it reads now."""
    return card_head(fake, thread).split("Transcript:")[-1]


@pytest.mark.parametrize(
    ("edited", "told", "kept"),
    [
        ("Your refund is approved", "new message", "Note: Your refund is approved"),
        ("/resolve", "/resolve", "Note: checking the refund with finance"),
    ],
    ids=["reply", "command"],
)
async def test_a_note_edited_into_a_reply_or_a_command_says_it_was_not_sent_or_run(
    sandbox: Sandbox, edited: str, told: str, kept: str
) -> None:
    """Olga noted '# checking the refund with finance' in John's topic, then edited the '#'
    away ('Your refund is approved'), or edited it into '/resolve'. Nothing was said: John
    got nothing, the ticket stayed open, and Olga, who saw her message in the topic without
    its '#', believed John had his answer (or the ticket was resolved). She is told it is
    still an internal note (a command works only as a new message), and the card shows the
    note as it reads now."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    sent = fake.user_sends(
        OLGA,
        "# checking the refund with finance",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    await fake.wait_for(
        lambda: "Note: checking the refund" in card_transcript(fake, thread), timeout=20
    )
    await settled(sandbox)
    before = bot_texts(fake, JOHN)
    last = fake.messages(OPERATORS_CHAT_ID, thread_id=thread)[-1]["message_id"]
    fake.user_edits(OPERATORS_CHAT_ID, sent["message_id"], edited)
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="internal note",
        after_message_id=last,
        timeout=20,
    )
    assert told in said[-1]["text"] and "not" in said[-1]["text"], said[-1]["text"]
    await fake.wait_for(lambda: kept in card_transcript(fake, thread), timeout=20)
    await settled(sandbox)
    assert "/resolve" not in card_transcript(fake, thread)
    assert bot_texts(fake, JOHN) == before
    assert (await the_ticket(sandbox)).status != "resolved"


async def test_a_reply_saved_to_the_faq_is_in_the_history_by_the_operators_name(
    sandbox: Sandbox,
) -> None:
    """Olga saved her answer to the FAQ with /kb_save: /kb_history said 'create
    ships_on_sundays by op:501', and the admin reading it could not tell who op:501 was. The
    history keeps her as the admins are kept: her id and her @username."""
    from bot.db.models import KnowledgeHistory

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(JOHN, "Do you ship on Sundays?")
    await fake.wait_for(
        lambda: any("Sundays" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)), timeout=20
    )
    answer = fake.user_sends(
        OLGA, "Yes, every day of the week.", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Yes, every day of the week." in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(
        OLGA,
        "/kb_save ships_on_sundays",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=answer["message_id"],
    )
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="ships_on_sundays", timeout=20
    )
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        row = await session.scalar(
            select(KnowledgeHistory).where(KnowledgeHistory.entry_id == "ships_on_sundays")
        )
    assert row is not None and row.actor == f"op:{OLGA} @olga_support", row


async def _resolved_then_second(sandbox: Sandbox) -> tuple[int, int]:
    """John's ticket #1 answered, resolved and rated solved; then #2 about another order: the
    two topics."""
    fake = sandbox.server.fake
    thread, question = await _answered_and_resolved(fake, "Hi John, done")
    fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "sv:solved:yes")
    await fake.wait_for_bot_message(
        JOHN, text_contains="5", after_message_id=question[-1]["message_id"], timeout=20
    )
    await settled(sandbox)
    second = await _second_ticket(sandbox, "I need a person about another order, 3412907")
    return thread, second


async def _first_reopened(sandbox: Sandbox, thread: int, second: int) -> None:
    """#2 resolved, #1 reopened by Olga, and John writes in #1 again."""
    fake = sandbox.server.fake
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=second)
    await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    await settled(sandbox)
    fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, text_contains="open again", timeout=20)
    await settled(sandbox)
    fake.user_sends(JOHN, "the refund is still not on my card")
    await fake.wait_for(
        lambda: "the refund is still not on my card" in topic_texts(fake, thread), timeout=20
    )


async def _second_ticket(sandbox: Sandbox, said: str) -> int:
    """John asks for a person again (``said``): the topic of his ticket #2, its card in."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, said)
    topics = await fake.wait_for(
        lambda: [
            t["message_thread_id"]
            for t in fake.topics(OPERATORS_CHAT_ID)
            if "#2" in t["name"] and not t.get("deleted")
        ],
        timeout=20,
    )
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, thread_id=topics[-1], timeout=20)
    await settled(sandbox)
    return topics[-1]


@pytest.mark.parametrize("how", ["rated", "noted"])
async def test_a_new_tickets_card_starts_with_its_own_case_not_the_last_survey(
    sandbox: Sandbox, how: str
) -> None:
    """John's ticket was resolved and he answered the survey ('Was your question solved?'
    Yes, 5, 9), or answered its first question and Olga left a note on the ticket; later he asked for a person
    about a new matter. The new ticket's card opened with the old ticket's tail: the survey's
    questions, his presses, Olga's note. It starts with the message that opened this case."""
    fake = sandbox.server.fake
    thread, question = await _answered_and_resolved(fake, "Hi John, done")
    if how == "rated":
        last = question[-1]["message_id"]
        for data, next_question in (("sv:solved:yes", "5"), ("sv:csat:5", "recommend")):
            fake.user_presses(JOHN, JOHN, last, data)
            asked = await fake.wait_for_bot_message(
                JOHN, text_contains=next_question, after_message_id=last, timeout=20
            )
            last = asked[-1]["message_id"]
        fake.user_presses(JOHN, JOHN, last, "sv:nps:9")
        await fake.wait_for_bot_message(JOHN, after_message_id=last, timeout=20)
    else:  # the survey left at its second question
        fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "sv:solved:yes")
        await fake.wait_for_bot_message(
            JOHN, text_contains="5", after_message_id=question[-1]["message_id"], timeout=20
        )
        await settled(sandbox)
        fake.user_sends(
            OLGA, "# refund sent by bank", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
        await settled(sandbox)
        async with sandbox.services.sessionmaker() as session:
            noted = await session.scalar(select(MessageRow).where(MessageRow.direction == "note"))
        assert noted is not None and noted.text == "refund sent by bank", topic_texts(fake, thread)
    await settled(sandbox)
    second = await _second_ticket(sandbox, "I need a person about another order, 3412907")
    transcript = card_transcript(fake, second).strip()
    assert "another order, 3412907" in transcript.splitlines()[0], transcript
    assert "solved?" not in transcript and "refund sent" not in transcript, transcript


@pytest.mark.parametrize(
    ("said", "english"),
    [
        ("I don't want a coupon, I want my order", "the item itself"),
        ("can I just get my money back instead?", "instead of what the bot arranged"),
    ],
    ids=["item", "refund"],
)
async def test_what_the_customer_asks_instead_is_on_the_card_in_the_operators_language(
    settings, classifier, db_url, said: str, english: str
) -> None:
    """A Russian team (OPERATORS_LANGUAGE=ru): John turned the bot's offer down ('I don't
    want a coupon, I want my order') and then asked for a person. His card was Russian but
    for its warning: 'Клиент просит the item itself, not a compensation вместо what the bot
    arranged (forwarded delivery)'. The whole line is Russian."""
    sb = await launch(settings.model_copy(update={"operators_language": "ru"}), classifier, db_url)
    try:
        fake = sb.server.fake
        john = fake.add_user("John", username="john_w", language_code="en")["id"]
        for text in ("My order 3412911 is a week late", said):
            before = len(bot_texts(fake, john))
            fake.user_sends(john, text)
            await fake.wait_for(lambda n=before: len(bot_texts(fake, john)) > n, timeout=20)
            await settled(sb)
        thread = await _escalate(fake, john, "operator please")
        await settled(sb)
        head = card_head(fake, thread).split("Переписка:")[0]
        [line] = [x for x in head.splitlines() if "⚠️" in x]
        assert english not in line and "compensation" not in line, line
        assert not re.search(r"[A-Za-z]{4,}", line.replace("3412911", "")), line
    finally:
        await stop_sandbox(sb)


@pytest.mark.parametrize(
    ("opening", "order", "reply"),
    [
        (
            "operator please",
            "My order 3412951 has not arrived",
            "Your order 3419822 ships tomorrow",
        ),
        ("Позовите оператора", "Заказ 3412952 не пришёл", "Ваш заказ 3419823 отправим завтра"),
        (
            "Poproszę konsultanta",
            "Zamówienie 3412953 nie dotarło",
            "Zamówienie 3419824 wyślemy jutro",
        ),
    ],
    ids=["en", "ru", "pl"],
)
async def test_a_reply_naming_another_customers_order_is_held_and_the_operator_asked(
    sandbox: Sandbox, opening: str, order: str, reply: str
) -> None:
    """Olga answered in the wrong topic, in this customer's language: 'Your order 3419822
    ships tomorrow' in the topic of a customer whose order is 3412951. It went out with no
    word. It is held and she is asked, once per ticket, whether it is for this customer;
    sent again, it goes. A reply naming the customer's own order goes at once."""
    fake = sandbox.server.fake
    customer = fake.add_user("Kim", username="kim_q", language_code="en")["id"]
    thread = await _escalate(fake, customer, opening)
    fake.user_sends(customer, order)
    await fake.wait_for(lambda: order in topic_texts(fake, thread), timeout=20)
    own = re.search(r"\d{7}", order)[0]  # type: ignore[index]
    named = re.search(r"\d{7}", reply)[0]  # type: ignore[index]
    mine = reply.replace(named, own)  # the customer's own order: sent at once
    fake.user_sends(OLGA, mine, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: mine in bot_texts(fake, customer), timeout=20)
    fake.user_sends(OLGA, reply, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    asked = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="Not sent", timeout=20
    )
    await settled(sandbox)
    assert named in asked[-1]["text"] and own in asked[-1]["text"], asked[-1]["text"]
    assert not any(reply in t for t in bot_texts(fake, customer)), bot_texts(fake, customer)
    fake.user_sends(OLGA, reply, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: reply in bot_texts(fake, customer), timeout=20)
    await settled(sandbox)
    said = topic_texts(fake, thread)
    assert sum("Not sent" in t for t in said) == 1, said


async def test_an_older_tickets_card_keeps_its_own_span_and_its_notes(sandbox: Sandbox) -> None:
    """John's ticket #1 was resolved; later he asked for a person about another order and
    got ticket #2. Olga then left a note in #1's topic ('# refund sent by bank'): #1's card,
    redrawn, showed John's messages of #2 (its transcript had no end), and the note, written
    on #1, showed in #2's transcript as #2's own. Each card shows its ticket's span and its
    own notes; #2's card names #1's note apart, as an earlier ticket's."""
    fake = sandbox.server.fake
    thread, second = await _resolved_then_second(sandbox)
    fake.user_sends(
        OLGA, "# refund sent by bank", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Note: refund sent by bank" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    first = card_transcript(fake, thread)
    assert "3412907" not in first, first
    assert "Hi John, done" in first, first
    fake.user_sends(OLGA, "# checking 3412907", chat_id=OPERATORS_CHAT_ID, message_thread_id=second)
    await fake.wait_for(lambda: "Note: checking 3412907" in card_head(fake, second), timeout=20)
    await settled(sandbox)
    head, _, transcript = card_head(fake, second).partition("Transcript:")
    assert "another order, 3412907" in transcript, transcript
    assert "refund sent" not in transcript and "Hi John" not in transcript, transcript
    assert "earlier tickets: #1 refund sent by bank" in head, head
    assert "checking 3412907" not in card_transcript(fake, thread)
    # #2 resolved, #1 reopened: what John writes now is #1's again
    await _first_reopened(sandbox, thread, second)
    fake.user_sends(OLGA, "# asked the bank", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Note: asked the bank" in card_head(fake, thread), timeout=20)
    first = card_transcript(fake, thread)
    assert "still not on my card" in first and "3412907" not in first, first


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "files: 2 (invoice.pdf, receipt.pdf)"),
        ("ru", "файлы: 2 (invoice.pdf, receipt.pdf)"),
        ("pl", "pliki: 2 (invoice.pdf, receipt.pdf)"),
    ],
)
async def test_the_customers_files_are_on_the_cards_details_line(
    settings, classifier, db_url, lang: str, said: str
) -> None:
    """John sent the bot the invoice and the receipt (invoice.pdf, receipt.pdf) with his
    complaint, then asked for a person: the card's Details line counted his photos but
    said nothing of the files, and the operator asked him for the invoice again. The line
    says how many files he sent and their names, in the operators' language."""
    sb = await launch(settings.model_copy(update={"operators_language": lang}), classifier, db_url)
    try:
        fake = sb.server.fake
        fake.user_sends(JOHN, "The kettle arrived broken, order 3415531")
        await fake.wait_for_bot_message(JOHN, timeout=20)
        for name in ("invoice.pdf", "receipt.pdf"):
            fake.user_sends(JOHN, document=(name, b"%PDF-1.4 " + name.encode()))
        await settled(sb)
        thread = await _escalate(fake, JOHN, "I want to talk to a real person please")
        await settled(sb)
        head = card_head(fake, thread).split("\n\n")[0]
        [line] = [x for x in head.splitlines() if "3415531" in x and ":" in x][:1]
        assert said in line, head
    finally:
        await stop_sandbox(sb)


async def _older_reopened(sandbox: Sandbox) -> tuple[int, int]:
    """John's ticket #1 resolved, his #2 about another order resolved, then #1 reopened by
    Olga and John writing in it: the topics of #1 and #2."""
    fake = sandbox.server.fake
    thread, second = await _resolved_then_second(sandbox)
    await _first_reopened(sandbox, thread, second)
    fake.user_sends(
        OLGA, "Checking with the bank", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Checking with the bank" in bot_texts(fake, JOHN), timeout=20)
    await settled(sandbox)
    return thread, second


async def test_a_newer_tickets_card_ends_where_an_older_ticket_was_reopened(
    sandbox: Sandbox,
) -> None:
    """John's ticket #1 was resolved, then his #2 about another order, then Olga reopened #1
    and John wrote in it ('the refund is still not on my card'). #2's card, redrawn later (a
    note on it), showed #1's later messages in its transcript: its span had no end. It ends
    where #1 was reopened: what John and Olga said since is #1's."""
    fake = sandbox.server.fake
    thread, second = await _older_reopened(sandbox)
    fake.user_sends(
        OLGA, "# 3412907 delivered", chat_id=OPERATORS_CHAT_ID, message_thread_id=second
    )
    await fake.wait_for(lambda: "Note: 3412907 delivered" in card_head(fake, second), timeout=20)
    await settled(sandbox)
    transcript = card_transcript(fake, second)
    assert "another order, 3412907" in transcript, transcript
    assert "still not on my card" not in transcript, transcript
    assert "Checking with the bank" not in transcript, transcript
    fake.user_sends(OLGA, "# asked the bank", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Note: asked the bank" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    first = card_transcript(fake, thread)
    assert "still not on my card" in first and "Checking with the bank" in first, first
    assert "3412907 delivered" not in first, first


async def test_a_reply_in_a_resolved_tickets_topic_is_kept_on_that_ticket_not_sent(
    sandbox: Sandbox,
) -> None:
    """John's ticket #1 was resolved and he has #2 open about another order. Olga wrote in
    #1's topic ('The refund for #1 went out today'): it was not sent, and it was kept
    nowhere, neither on #1's card nor anywhere a colleague could read what she meant to
    tell him. It is kept on #1's card as not sent, and she is told the ticket is resolved
    and where John's open ticket is; #2's transcript does not show it."""
    fake = sandbox.server.fake
    thread, second = await _resolved_then_second(sandbox)
    before = bot_texts(fake, JOHN)
    reply = "The refund for the first order went out today"
    fake.user_sends(OLGA, reply, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="not sent", timeout=20
    )
    assert "#2" in said[-1]["text"] and "resolved" in said[-1]["text"], said[-1]["text"]
    await fake.wait_for(lambda: reply in card_transcript(fake, thread), timeout=20)
    await settled(sandbox)
    [line] = [x for x in card_transcript(fake, thread).splitlines() if reply in x]
    assert "not sent" in line, line
    assert bot_texts(fake, JOHN) == before
    fake.user_sends(OLGA, "# checking 3412907", chat_id=OPERATORS_CHAT_ID, message_thread_id=second)
    await fake.wait_for(lambda: "Note: checking 3412907" in card_head(fake, second), timeout=20)
    await settled(sandbox)
    assert reply not in card_head(fake, second)  # nor as a note on an earlier ticket


@BOTH
@pytest.mark.parametrize("how", ["command", "button"])
async def test_resolving_with_the_customers_last_message_unanswered_asks_first(
    sandbox: Sandbox, how: str
) -> None:
    """Olga answered John, John wrote 'ok, but I also want the delivery fee back', and Olga's
    Resolve closed the ticket at once: John read 'resolved' with his words unanswered. Now the
    operator is told which message waits, and the ticket stays open; the same Resolve again
    closes it."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, "Refund sent", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Refund sent" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(JOHN, "ok, but I also want the delivery fee back, 15 dollars")
    await fake.wait_for(lambda: "delivery fee" in " ".join(topic_texts(fake, thread)), timeout=20)

    def resolve() -> None:
        if how == "command":
            fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        else:
            card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
            fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:1")

    def warned() -> str:
        if how == "button":
            return " ".join(a.get("text") or "" for a in fake.callback_answers)
        return " ".join(topic_texts(fake, thread))

    resolve()
    await fake.wait_for(lambda: "no answer yet" in warned(), timeout=20)
    await settled(sandbox)
    assert "delivery fee" in warned(), warned()
    assert (await the_ticket(sandbox)).status != "resolved"
    assert not any("solved?" in t for t in bot_texts(fake, JOHN)), bot_texts(fake, JOHN)
    resolve()
    await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    assert (await the_ticket(sandbox)).status == "resolved"


@pytest.mark.parametrize("when", ["before the hand-off", "after the hand-off"])
async def test_an_order_number_corrected_by_an_edit_is_the_cards_promise_and_detail(
    sandbox: Sandbox, when: str
) -> None:
    """John wrote 'My parcel for order 3530101 is a week late', the bot passed it to the
    delivery team, and John corrected the number by editing his message to 3530102. The
    card's 'Bot promised:' went on saying 'order 3530101', next to 'order 3530102' in its
    Details with nothing to say which was right. The promise names 3530102, and the Details
    say 'order 3530102 (corrected from 3530101)'."""
    fake = sandbox.server.fake
    first = fake.user_sends(JOHN, "My parcel for order 3530101 is a week late, nobody tells me")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    edited = "My parcel for order 3530102 is a week late, nobody tells me"
    if when == "before the hand-off":
        fake.user_edits(JOHN, first["message_id"], edited)
        await fake.wait_for_bot_message(JOHN, text_contains="3530102", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    if when == "after the hand-off":
        await settled(sandbox)
        fake.user_edits(JOHN, first["message_id"], edited)
    await fake.wait_for(lambda: "(corrected from 3530101)" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    head = card_head(fake, thread).split("Transcript:")[0]
    [details] = [x for x in head.splitlines() if x.startswith("Details:")]
    assert "order 3530102 (corrected from 3530101)" in details, head
    [promised] = [x for x in head.splitlines() if x.startswith("Bot promised:")]
    assert "3530102" in promised and "3530101" not in promised, head


@pytest.mark.parametrize("asked", ["and where is my refund?", "is that for sure?"])
async def test_a_question_replied_to_an_operators_answer_goes_back_to_the_resolved_ticket(
    sandbox: Sandbox, asked: str
) -> None:
    """Olga answered John ('I've refunded the double charge for 3530401') and resolved the
    ticket; he said it was solved and rated the help. Later he replied to her answer: 'is
    that for sure?' got 'Good. Is there anything else?', and 'and where is my refund?' a
    new ticket #2 with nothing of the refund Olga had made. A question replied to a
    resolved ticket's message reopens that ticket: it is asked in its topic, for Olga, and
    the topic is told he asked in a reply (not 'the customer says it is not solved')."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "I was charged twice for order 3530401, I need a person")
    answer = "Hi John, I've refunded the double charge for 3530401, it takes 5 days"
    fake.user_sends(OLGA, answer, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: answer in bot_texts(fake, JOHN), timeout=20)
    [relayed] = [m for m in fake.messages(JOHN, from_bot=True) if m.get("text") == answer]
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    for data in ("sv:solved:yes", "sv:csat:5", "sv:nps:10"):
        await settled(sandbox)
        last = fake.messages(JOHN, from_bot=True)[-1]
        fake.user_presses(JOHN, JOHN, last["message_id"], data)
    await fake.wait_for_bot_message(JOHN, text_contains="feedback", timeout=20)
    await settled(sandbox)
    before = len(bot_texts(fake, JOHN))
    fake.user_sends(JOHN, asked, reply_to_message_id=relayed["message_id"])
    await fake.wait_for(lambda: asked in "\n".join(topic_texts(fake, thread)), timeout=60)
    await settled(sandbox)
    said = "\n".join(bot_texts(fake, JOHN)[before:])
    assert "anything else" not in said and "colleague" in said, said
    assert [t["name"] for t in fake.topics(OPERATORS_CHAT_ID) if "#2" in t["name"]] == []
    ticket = await the_ticket(sandbox)
    assert ticket.status != "resolved", ticket.status
    [told] = [t for t in topic_texts(fake, thread) if "is reopened" in t or "reopened for" in t]
    assert "in a reply to its message" in told and "not solved" not in told, told


async def _olga_answers_john_s_same_day_question(fake, said: str) -> tuple[int, dict]:
    """John, handed over, asks about same-day delivery and Olga answers ``said``: (the
    ticket's topic, her message)."""
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(JOHN, "Do you have same-day express delivery in Moscow?")
    await fake.wait_for(
        lambda: any("same-day" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)),
        timeout=20,
    )
    answer = fake.user_sends(OLGA, said, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: said in bot_texts(fake, JOHN), timeout=20)
    return thread, answer


async def test_a_reply_saved_to_the_faq_leaves_out_the_greeting_to_that_customer(
    sandbox: Sandbox,
) -> None:
    """Olga answered John "Hi John! Yes, ..." and saved it with /kb_save: the FAQ answered the
    next customer "Hi John! Yes, ...". The FAQ answer is saved without her greeting to John
    and her sign-off, and she is shown what was saved (to /kb_edit it if she likes)."""
    from knowledge.service import get_knowledge

    fake = sandbox.server.fake
    said = (
        "Hi John! Yes, in Moscow we have same-day express delivery for 590 RUB if you order "
        "before 12:00. Have a nice day, John!"
    )
    thread, answer = await _olga_answers_john_s_same_day_question(fake, said)
    fake.user_sends(
        OLGA,
        "/kb_save moscow_same_day",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=answer["message_id"],
    )
    kept = "Yes, in Moscow we have same-day express delivery for 590 RUB if you order before 12:00."
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="moscow_same_day", timeout=20
    )
    assert "without your greeting and sign-off" in told[-1]["text"], told[-1]["text"]
    assert told[-1]["text"].endswith(kept), told[-1]["text"]
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        entry = await get_knowledge(sandbox.services).get(session, "moscow_same_day")
    assert entry is not None and entry.answers == {"en": kept}, entry


async def test_an_operator_writing_to_the_bot_in_private_is_told_where_the_team_works(
    sandbox: Sandbox,
) -> None:
    """Tomasz, an operator (no senior), sent /queue and /take to the bot in private and got
    the customers' "To polecenie jest dla zespołu sklepu…" (he is the team); his "hello?"
    silently opened a customer's conversation. His commands now say where they work, and
    his first words are answered as a customer's after a note (once) that he is answered
    as one here."""
    tomasz = OPERATORS[1][0]
    fake = sandbox.server.fake
    for command in ("/queue", "/take"):
        fake.user_sends(tomasz, command)
        said = await fake.wait_for_bot_message(
            tomasz, text_contains=f"{command} is for the operators' group", timeout=20
        )
        assert "zespołu sklepu" not in said[-1]["text"], said[-1]["text"]
    fake.user_sends(tomasz, "hello?")
    await fake.wait_for_bot_message(tomasz, text_contains="You're on the shop's team", timeout=20)
    await settled(sandbox)
    count = len(bot_texts(fake, tomasz))
    assert count >= 4, bot_texts(fake, tomasz)  # the note, and the answer to "hello?"
    fake.user_sends(tomasz, "do you ship on Sundays?")
    await fake.wait_for(lambda: len(bot_texts(fake, tomasz)) > count, timeout=20)
    await settled(sandbox)
    assert sum("shop's team" in t for t in bot_texts(fake, tomasz)) == 1, bot_texts(fake, tomasz)


@pytest.mark.parametrize(
    ("who", "first", "answer", "asked", "told"),
    [
        (
            ANNA,
            "Позовите оператора: пришла разбитая чашка, заказ 3570001",
            "Деньги вернутся на карту в течение 3-5 рабочих дней.",
            "Добрый день! А на какую карту придёт возврат за чашку? Я платила с карты мужа",
            "коллеге, который занимался вашим обращением",
        ),
        (
            JOHN,
            "operator please",
            "Your money will be back on your card within 3-5 business days.",
            "Hi! Which card will the refund for the mug go to? I paid with my husband's card",
            "colleague who handled your request",
        ),
    ],
    ids=["ru", "en"],
)
async def test_a_question_about_the_refund_an_operator_arranged_goes_back_to_them(
    sandbox: Sandbox, who: int, first: str, answer: str, asked: str, told: str
) -> None:
    """Olga told Anna her money comes back in 3-5 working days and resolved the ticket;
    Anna answered the survey and asked which card the refund goes to. The bot booked a
    second refund ("Я оформил заявку на возврат… в течение 10 рабочих дней"), asked "Такое
    решение вам подходит?" and added the FAQ's refund times: the opposite of what Olga
    said. The question goes back to ticket #1 and Olga, reopened in its topic; Anna is told
    the colleague who handled it answers here, and no refund is booked."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, who, first)
    fake.user_sends(OLGA, answer, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: answer in bot_texts(fake, who), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    question = await fake.wait_for_bot_message(who, text_contains="?", timeout=20)
    fake.user_presses(who, who, question[-1]["message_id"], "sv:solved:yes")
    await fake.wait_for_bot_message(
        who, text_contains="5", after_message_id=question[-1]["message_id"], timeout=20
    )
    await settled(sandbox)
    before = len(bot_texts(fake, who))
    fake.user_sends(who, asked)
    await settled(sandbox)
    said = " ".join(bot_texts(fake, who)[before:])
    assert told in said, said
    for wrong in ("10", "оформил заявку", "I've filed", "подходит", "устроит", "work for you"):
        assert wrong not in said, said
    await fake.wait_for(lambda: asked in topic_texts(fake, thread), timeout=20)
    assert len([t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]) == 1
    ticket = await the_ticket(sandbox)
    assert (ticket.id, ticket.status, ticket.assignee_id) == (1, "taken", OLGA)


@pytest.mark.parametrize(
    ("answer", "thanked"),
    [
        (
            "The money will be back on your card in 3-5 working days. Thank you for your patience!",
            True,
        ),
        ("Hi John, the money will be back on your card in 3-5 working days.", False),
    ],
    ids=["thanked", "not-thanked"],
)
async def test_the_resolved_notice_does_not_thank_again_right_after_a_thanks(
    sandbox: Sandbox, answer: str, thanked: bool
) -> None:
    """Olga's canned reply ended "Спасибо за терпение!", she resolved at once, and Anna read
    "Ваше обращение решено. Спасибо за терпение!" right under it: the thanks twice in a row.
    The notice that follows a thanks says it is resolved without thanking again."""
    fake = sandbox.server.fake
    await _answered_and_resolved(fake, answer)
    [notice] = [t for t in bot_texts(fake, JOHN) if "has been resolved" in t]
    assert ("Thank you" in notice) is not thanked, notice
    assert "here again if you need anything" in notice, notice


async def test_a_reply_saved_to_the_faq_gets_an_id_of_its_words_and_names_languages(
    sandbox: Sandbox,
) -> None:
    """Olga's /kb_save of her answer to "Do you have same-day express delivery in
    Moscow?" said "Saved to the FAQ as 'same_duration_express', with a en answer only:
    customers writing in pl, ru get it in en": the id had 'duration' for 'day' and the
    languages were codes. The id is the question's own English words, and the languages
    are named."""
    from knowledge.formats import Entry
    from knowledge.service import get_knowledge

    fake = sandbox.server.fake
    said = "Yes, in Moscow we have same-day express delivery for 590 RUB."
    thread, answer = await _olga_answers_john_s_same_day_question(fake, said)
    hours = Entry(
        "hours", ["When are you open?"], {"ru": "С 9 до 21.", "en": "9-21.", "pl": "9-21."}
    )
    async with sandbox.services.sessionmaker() as session:  # the FAQ answers in three
        await get_knowledge(sandbox.services).save(session, hours, actor="test")
        await get_knowledge(sandbox.services).index(session)
    fake.user_sends(
        OLGA,
        "/kb_save",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=answer["message_id"],
    )
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="Saved to the FAQ", timeout=20
    )
    text = told[-1]["text"]
    assert text.startswith(
        "Saved to the FAQ as 'same_day_express', with an answer in English only: customers "
        "writing in Polish and Russian get it in English until an admin adds theirs"
    ), text
    await settled(sandbox)


async def test_the_cards_transcript_names_each_operators_reply(sandbox: Sandbox) -> None:
    """Olga and Tomasz both answered John on one ticket: the card's transcript read
    "Operator:" for each, so a colleague taking over could not tell who had promised what
    (John never sees it). Each reply is said by its operator's first name."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    said = {OLGA: "Hi John, checking your order now", TOMASZ: "John, the courier has it"}
    for who, text in said.items():
        fake.user_sends(who, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(lambda text=text: text in bot_texts(fake, JOHN), timeout=20)
        await settled(sandbox)
    fake.user_sends(OLGA, "# courier asked", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Note: courier asked" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    transcript = card_transcript(fake, thread)
    assert f"Operator Olga: {said[OLGA]}" in transcript, transcript
    assert f"Operator Tomasz: {said[TOMASZ]}" in transcript, transcript


@pytest.mark.parametrize(
    ("rating", "comment"), [("2", "Слишком долго ждала ответа, бот заставил выбирать"), ("5", None)]
)
async def test_the_customers_rating_and_what_went_wrong_are_told_in_the_topic(
    sandbox: Sandbox, rating: str, comment: str | None
) -> None:
    """Anna rated Olga's help 2/5 and wrote "Слишком долго ждала ответа…": it showed only
    on the card's transcript and in /report, and Olga, whose ticket it was, never read it.
    The rating is told in the ticket's topic (a good one in a short line), and after a low
    one what went wrong, in her words."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    fake.user_sends(OLGA, "Анна, всё готово", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Анна, всё готово" in bot_texts(fake, ANNA), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(ANNA, text_contains="?", timeout=20)
    for data in ("sv:solved:yes", f"sv:csat:{rating}"):
        await settled(sandbox)
        last = fake.messages(ANNA, from_bot=True)[-1]
        fake.user_presses(ANNA, ANNA, last["message_id"], data)
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains=f"#1: {rating}/5", timeout=20
    )
    assert ("low" in told[-1]["text"]) == (comment is not None), told[-1]["text"]
    if comment is not None:
        await settled(sandbox)
        fake.user_sends(ANNA, comment)
        said = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="What went wrong", timeout=20
        )
        assert comment in said[-1]["text"], said[-1]["text"]
    await settled(sandbox)
    assert sum(f"{rating}/5" in t for t in topic_texts(fake, thread)) == 1, topic_texts(
        fake, thread
    )


async def test_queue_says_whose_case_it_is_and_who_has_a_reopened_ticket_now(
    sandbox: Sandbox,
) -> None:
    """/queue read "#1 · the fix did not help, …, taken by Tomasz": no customer, no case, so
    the operator opened topic after topic; and after Olga pressed Reopen on the ticket Tomasz
    had resolved, and answered John there, it still said Tomasz had it. Each line names the
    customer and the case, and a ticket an operator reopens is theirs (the topic says whose
    it was)."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 3600001 is a week late, nobody tells me")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    fake.user_sends(
        TOMASZ, "John, it is on its way", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "John, it is on its way" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(TOMASZ, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    await settled(sandbox)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:reopen:1")
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="reopened", timeout=20
    )
    assert "it was with Tomasz" in told[-1]["text"], told[-1]["text"]
    fake.user_sends(
        OLGA, "John, one more thing", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "John, one more thing" in bot_texts(fake, JOHN), timeout=20)
    await settled(sandbox)
    fake.user_sends(OLGA, "/queue", chat_id=OPERATORS_CHAT_ID)
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, text_contains="Waiting tickets", timeout=20
    )
    [line] = [x for x in said[-1]["text"].splitlines() if x.startswith("#1 ")]
    assert "John · late or lost delivery · the fix did not help" in line, line
    assert "taken by Olga" in line and "Tomasz" not in line, line
    assert "Operator: Olga" in card_head(fake, thread), card_head(fake, thread)


async def test_a_reply_after_the_take_button_is_on_the_card(sandbox: Sandbox) -> None:
    """Tomasz took John's ticket with the card's Take button, then answered him: the card
    was drawn at the take and not again, so its transcript ended before his answer (Olga's
    ticket, taken by her first reply, showed hers)."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    fake.user_presses(TOMASZ, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    await fake.wait_for(lambda: "Operator: Tomasz" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    answer = "Hi John, the courier brings it tomorrow"
    fake.user_sends(TOMASZ, answer, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: answer in card_transcript(fake, thread), timeout=20)


async def test_a_reply_to_a_customer_who_blocked_the_bot_is_marked_not_delivered(
    sandbox: Sandbox,
) -> None:
    """John blocked the bot; the topic said so. Olga's reply after it had nothing under it,
    and the card's transcript listed it as any other, so a colleague took it for read.
    The transcript says "not delivered" (the topic was told once that he blocked the bot)."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_blocks_bot(JOHN)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="has blocked the bot", timeout=20
    )
    await settled(sandbox)
    answer = "John, your refund is on its way"
    fake.user_sends(OLGA, answer, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await settled(sandbox)
    fake.user_sends(OLGA, "# try by e-mail", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Note: try by e-mail" in card_head(fake, thread), timeout=20)
    await settled(sandbox)
    [line] = [x for x in card_transcript(fake, thread).splitlines() if answer in x]
    assert "not delivered" in line, line


async def test_kb_save_to_an_entry_with_a_forbidden_phrase_says_so_and_how_to_fix_it(
    sandbox: Sandbox,
) -> None:
    """An admin's entry "Can I return underwear?" answered "Sorry, nothing can be done - that
    is our company policy" (customers who ask get a person). Olga's `/kb_save
    return_underwear` said "The customer's question now leads to 'return_underwear'. Its
    answer stays as the admins wrote it.": nothing about the phrase. She is told the answer
    has a phrase the bot never says, which one, and how an admin fixes it."""
    from bot.sandbox.run import ADMIN_ID

    text = await _kb_save_over_the_policy(sandbox, OLGA)
    assert "must never say" in text and "our company policy" in text, text
    assert "/kb_edit return_underwear" in text and "stays as the admins wrote" not in text, text
    # she cannot edit it: the admins are told (and she is told they are)
    assert "admins are told" in text, text
    [alert] = await sandbox.server.fake.wait_for_bot_message(ADMIN_ID, timeout=20)
    assert "return_underwear" in alert["text"] and "our company policy" in alert["text"], alert


async def _policy_entry(sandbox: Sandbox) -> None:
    """The admins' entry 'return_underwear', whose answer has "that is our company policy"."""
    from knowledge.formats import Entry
    from knowledge.service import get_knowledge

    policy = "Sorry, nothing can be done - that is our company policy."
    async with sandbox.services.sessionmaker() as session:
        await get_knowledge(sandbox.services).import_entries(
            session, [Entry("return_underwear", ["Can I return underwear?"], {"en": policy})]
        )
        await session.commit()


SEALED = "Yes, sealed underwear can be returned within 14 days."


async def _kb_save_over_the_policy(sandbox: Sandbox, who: int) -> str:
    """John asks about returning underwear in his ticket, ``who`` answers him in its topic
    and saves the answer with `/kb_save return_underwear` (the entry with "that is our
    company policy"): what the bot tells them."""
    await _policy_entry(sandbox)
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(JOHN, "Can I return underwear if it is still sealed?")
    await fake.wait_for(
        lambda: any("underwear" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)),
        timeout=20,
    )
    answer = fake.user_sends(who, SEALED, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: SEALED in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(
        who,
        "/kb_save return_underwear",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=answer["message_id"],
    )
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="now leads to", timeout=20
    )
    return told[-1]["text"]


async def test_the_admins_are_told_once_of_an_faq_answer_the_bot_must_never_say(
    sandbox: Sandbox,
) -> None:
    """'return_underwear' answered "…that is our company policy": each customer who asked
    got a person (good), the card said "the bot's answer had a phrase it must never say",
    and the admins, who alone can fix it, were told nothing. Each admin is told in private,
    once for the entry (not once per customer), which entry, the phrase, and how to fix it
    (/kb_edit, and a ✏️ Answer button)."""
    from bot.sandbox.run import ADMIN_ID

    await _policy_entry(sandbox)
    fake = sandbox.server.fake
    mike = fake.add_user("Mike", username="mike_r", language_code="en", user_id=1003)["id"]
    fake.user_sends(JOHN, "Can I return underwear?")
    await fake.wait_for_bot_message(ADMIN_ID, timeout=60)
    await settled(sandbox, timeout=60)
    fake.user_sends(mike, "Can I return underwear?")
    await fake.wait_for_bot_message(mike, timeout=60)
    await settled(sandbox, timeout=60)
    async with sandbox.services.sessionmaker() as session:
        tickets = (await session.scalars(select(Ticket))).all()
    assert [t.reason for t in tickets] == ["reply_blocked", "reply_blocked"], tickets
    alerts = bot_texts(fake, ADMIN_ID)
    assert len(alerts) == 1, alerts
    [alert] = alerts
    assert "return_underwear" in alert and "our company policy" in alert, alert
    assert "/kb_edit return_underwear" in alert and "English" in alert, alert
    [message] = fake.messages(ADMIN_ID, from_bot=True)
    buttons = [
        b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert any(b.startswith("kba:ans:return_underwear") for b in buttons), buttons


async def test_an_admins_kb_save_replaces_an_answer_the_bot_must_never_say(
    sandbox: Sandbox,
) -> None:
    """The admin, answering in a ticket's topic, saved their answer with `/kb_save
    return_underwear` over "…that is our company policy": it was only told the answer had
    the phrase and an admin must edit it (they are that admin). Their answer replaces the
    entry's English one, the history names them, and they are told so."""
    from bot.sandbox.run import ADMIN_ID
    from knowledge.service import get_knowledge

    text = await _kb_save_over_the_policy(sandbox, ADMIN_ID)
    assert "is now yours" in text and "our company policy" in text, text
    knowledge = get_knowledge(sandbox.services)
    async with sandbox.services.sessionmaker() as session:
        entry = await knowledge.get(session, "return_underwear")
        history = await knowledge.history(session, "return_underwear")
    assert entry is not None and entry.answers["en"] == SEALED, entry
    assert "Can I return underwear if it is still sealed?" in entry.questions, entry
    assert history[0].actor.startswith(f"op:{ADMIN_ID}"), [h.actor for h in history]


async def test_the_card_follows_the_talk_the_notes_authors_and_the_customers_rating(
    sandbox: Sandbox,
) -> None:
    """Olga took John's case with her first answer; what came after (John's "the box was wet
    too", her second reply, the customer's "solved: yes" and 4/5) was not on the pinned card
    until the next take or first answer, and her note read "Note: ..." by nobody. The card
    follows (its edits coalesced), names the note's author and says the customer's
    feedback."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(
        OLGA, "Hi John, Olga here.", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(
        lambda: "Operator Olga: Hi John" in card_transcript(fake, thread), timeout=20
    )
    await settled(sandbox)
    fake.user_sends(JOHN, "the box was wet too")
    await fake.wait_for(lambda: "the box was wet too" in topic_texts(fake, thread), timeout=20)
    await settled(sandbox)  # Olga answers it (not resolved with it unanswered)
    fake.user_sends(OLGA, "# courier asked", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    fake.user_sends(OLGA, "Checking now", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(
        lambda: "Operator Olga: Checking now" in card_transcript(fake, thread), timeout=20
    )
    transcript = card_transcript(fake, thread)
    assert "Customer: the box was wet too" in transcript, transcript
    assert "Note: courier asked — Olga" in transcript, transcript
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    solved = await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    fake.user_presses(JOHN, JOHN, solved[-1]["message_id"], "sv:solved:yes")
    rate = await fake.wait_for_bot_message(
        JOHN, text_contains="1 (poor)", after_message_id=solved[-1]["message_id"], timeout=20
    )
    fake.user_presses(JOHN, JOHN, rate[-1]["message_id"], "sv:csat:4")
    await fake.wait_for(
        lambda: "Customer's feedback: solved: yes; rating 4/5" in card_head(fake, thread),
        timeout=20,
    )


async def test_two_shops_bots_in_one_process_each_learn_only_of_their_own_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two shops' bots ran in one process, both answering into the same operators' group.
    Whether the group refused a bot was kept per group for the whole process: when the
    first shop's bot was removed from it, the second shop's admins were told (the last
    bot to start held the one hook), and when the second shop's bot was removed later
    nobody was told and the log called it 'still refused'. Each bot's desk keeps its
    own: each shop's admins are told once of their own bot's removal, and one bot
    reaching the group again does not make the other's outage be told twice."""
    import logging
    from types import SimpleNamespace

    from aiogram.exceptions import TelegramForbiddenError
    from aiogram.methods import GetChatMember

    from bot.config import Settings
    from escalation.telegram import OperatorDesk

    told: dict[int, list[str]] = {}

    def stub_bot() -> SimpleNamespace:
        async def send_message(chat_id: int, text: str, **_: object) -> None:
            told.setdefault(chat_id, []).append(text)

        return SimpleNamespace(send_message=send_message)

    group = -1003780001
    desks = [
        OperatorDesk(
            Settings(_env_file=None, operators_chat_id=group, admin_ids=[admin])  # type: ignore[call-arg]
        )
        for admin in (3780011, 3780012)
    ]
    for desk in desks:
        desk.watch_group(stub_bot())  # type: ignore[arg-type]
    kicked = TelegramForbiddenError(
        GetChatMember(chat_id=group, user_id=3780021),
        "Forbidden: bot was kicked from the supergroup chat",
    )
    caplog.set_level(logging.INFO)
    first, second = desks
    first.group_refused(kicked)
    first.group_refused(kicked)  # a second customer's message meanwhile: not told again
    await asyncio.sleep(0.05)
    assert list(told) == [3780011] and len(told[3780011]) == 1, told
    assert "kicked" in told[3780011][0], told
    assert second.refused is None and first.refused is not None

    second.group_answered()  # the other bot still reaches the group: the first is still out
    first.group_refused(kicked)
    second.group_refused(kicked)  # and now the second shop's bot is removed too
    await asyncio.sleep(0.05)
    assert {admin: len(said) for admin, said in told.items()} == {3780011: 1, 3780012: 1}, told
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all("removed from the group" in e for e in errors), errors


async def test_details_sent_in_a_burst_while_waiting_redraw_the_card_once(
    sandbox: Sandbox,
) -> None:
    """Anna, waiting for a person, sent her order number, the amount and her phone as
    three messages in a row: the pinned card was edited once per message (three edits in
    a second; Telegram limits a chat's edits and answers more with 429). The card is
    edited once, after the last of them, and has all three; each message is in the topic,
    and the card is up to date once the bot has handled them."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    await settled(sandbox)
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]

    def card_edits() -> int:
        return len([c for c in fake.calls_of("editMessageText") if c.get("message_id") == card_id])

    before = card_edits()
    for text in ("Номер заказа 5531207", "Сумма 2500 рублей", "Мой телефон +79161234567"):
        fake.user_sends(ANNA, text)
    await settled(sandbox)
    head = card_head(fake, thread).split("Transcript:")[0]
    assert "order 5531207" in head and "amount 2,500 ₽" in head, head
    assert "+79161234567" in head, head
    assert "Мой телефон +79161234567" in topic_texts(fake, thread)
    assert card_edits() - before == 1, fake.calls_of("editMessageText")


async def test_a_strangers_commands_in_the_group_are_answered_once_not_each(
    sandbox: Sandbox,
) -> None:
    """Mallory, no member of the public operators' group, sent /help, /start, /take in
    General and the admins' /kb_list there, again and again: each got a reply (50 commands,
    50 replies, the bot spending the group's flood limit the customers' replies need). She
    is answered once; the rest are not echoed. Olga's every /help is still answered."""
    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False  # a public group: anyone may post
    mallory = fake.add_user("Mallory", username="mallory")["id"]
    for _ in range(3):
        for text in ("/help", "/start", "/take", "/kb_list"):
            fake.user_sends(mallory, text, chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, timeout=20)
    await settled(sandbox)
    to_her = [m for m in fake.messages(OPERATORS_CHAT_ID, from_bot=True) if "Mallory" in str(m)]
    assert len(to_her) == 1, [m.get("text") for m in to_her]
    for _ in range(2):
        fake.user_sends(OLGA, "/help", chat_id=OPERATORS_CHAT_ID)
    await settled(sandbox)
    to_olga = [m for m in fake.messages(OPERATORS_CHAT_ID, from_bot=True) if "Olga" in str(m)]
    assert len(to_olga) == 2, [m.get("text") for m in to_olga]


async def test_a_bursts_card_no_turn_drew_is_drawn_the_moment_the_burst_ends() -> None:
    """Anna's burst of details while she waits leaves the card to her last message; when
    that last one draws nothing (no detail in it), the card waited on, looked at again
    every 0.2 s for up to 30 s. It is drawn the moment her last message is handled."""
    from aiogram.fsm.storage.base import StorageKey

    from bot.app import QueuedIsolation
    from bot.config import Settings
    from escalation.telegram import OperatorDesk

    chat, ticket_id = 3880001, 3880002
    drawn: list[int] = []

    class _Session:
        async def __aenter__(self) -> _Session:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def get(self, _model: object, key: int) -> int:
            return key

        async def commit(self) -> None:
            return None

    async def refresh_card(_bot, _session, ticket, **_kw) -> None:  # type: ignore[no-untyped-def]
        drawn.append(ticket)

    desk = OperatorDesk(
        Settings(_env_file=None, operators_chat_id=-1003880003),  # type: ignore[call-arg]
        sessionmaker=_Session,  # type: ignore[arg-type]
    )
    desk.refresh_card = refresh_card  # type: ignore[method-assign]
    isolation = QueuedIsolation()
    desk.turns = isolation.turns
    key = StorageKey(bot_id=1, chat_id=chat, user_id=chat)
    async with isolation.lock(key):  # her last message, being handled
        desk._owed[ticket_id] = chat  # an earlier one of the burst left the card to it
        desk.redraw_soon(object(), ticket_id)  # type: ignore[arg-type]
        await asyncio.sleep(0.5)
        assert drawn == []  # (the burst goes on: its last turn may draw it)
    for _ in range(20):
        await asyncio.sleep(0)
    assert drawn == [ticket_id]
    await desk.stop_redraws()


async def test_the_first_question_after_a_start_waits_for_no_faq_loading_under_the_lock(
    settings, classifier, db_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    """John's question was the first to reach the FAQ after the bot started: its search
    model was loaded then (seconds, more under load), inside his turn, which held SQLite's
    one write lock from its first read. Every other customer's turn and operator's reply
    waited, and past 15 s failed with 'database is locked'. The FAQ is loaded as the bot
    starts, with no lock held."""
    import knowledge.service as kb_service

    path = db_url.split("///", 1)[1]
    loads: list[bool] = []  # each loading of the FAQ's model: whether under the write lock
    real = kb_service._load_encoder

    def load(spec: str):  # type: ignore[no-untyped-def]
        loads.append(_write_locked(path))
        return real(spec)

    monkeypatch.setattr(kb_service, "_load_encoder", load)
    sandbox = await launch(settings, classifier, db_url)
    try:
        fake = sandbox.server.fake
        fake.user_sends(JOHN, "Can I pay by card on delivery?")
        await fake.wait_for_bot_message(JOHN, timeout=30)
        await settled(sandbox)
    finally:
        await stop_sandbox(sandbox)
    assert loads and not any(loads), loads


async def test_a_resolve_with_a_bare_hash_saves_no_note(sandbox: Sandbox) -> None:
    """Olga typed '/resolve #' (the ticket's number left out): the ticket was resolved and
    '#' kept as a note on it, 'Your words are saved as a note.' It is resolved, with no
    note of nothing; '/resolve refund sent' still keeps its words."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "/resolve #", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved;", timeout=20
    )
    await settled(sandbox)
    said = [t for t in topic_texts(fake, thread) if "resolved;" in t]
    assert len(said) == 1 and "note" not in said[0], said
    async with sandbox.services.sessionmaker() as session:
        notes = (
            await session.scalars(select(MessageRow.text).where(MessageRow.direction == "note"))
        ).all()
    assert notes == [], notes
