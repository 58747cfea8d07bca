"""`supportbot actions`: the Rasa action server, driven over HTTP the way Rasa calls it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import create_engine, create_sessionmaker
from bot.db.models import Conversation, Customer, Message, Ticket, utcnow
from knowledge.formats import dump_yaml, load_file
from tests.test_kb_flow import without_polish

ROOT = Path(__file__).resolve().parent.parent
SLOTS = ("sb_lang", "sb_intent", "sb_complaint_type", "sb_emotion", "sb_threat", "sb_order_ref")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("actions")
    url = f"sqlite+aiosqlite:///{tmp / 'actions.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SUPPORTBOT_KB_ENCODER": "use",
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "SUPPORTBOT_CACHE_DIR": str(tmp / "cache"),
    }
    for name in ("BOT_TOKEN", "OPERATORS_CHAT_ID", "ADMIN_IDS"):
        env.pop(name, None)
    cli = [sys.executable, "-m", "bot.cli"]
    # the demo shop with its gift cards in Russian and English only: a Polish customer's
    # answer in another language
    demo = load_file(ROOT / "knowledge/demo/shop.yaml")
    kb = tmp / "shop.yaml"
    kb.write_text(
        dump_yaml(without_polish(e) if e.id == "gift_cards" else e for e in demo), "utf-8"
    )
    subprocess.run(
        [*cli, "kb", "import", str(kb)],
        env=env,
        cwd=tmp,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [*cli, "actions", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert proc.poll() is None, (tmp / "server.log").read_text()
            time.sleep(0.3)
    try:
        yield {"base": base, "db": url}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _call(action: str, sender: str, text: str, **metadata: Any) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": text, "intent": {}, "entities": [], "metadata": metadata},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {"slots": {name: {} for name in (*SLOTS, "sb_ticket_id", "sb_faq_answer_id")}},
        "version": "3.21.0",
    }


async def _post(server: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.post(server["base"] + "/webhook", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


def _slots(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def _texts(result: dict[str, Any]) -> list[str]:
    return [r["text"] for r in result["responses"]]


async def test_server_lists_the_support_actions(server: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server["base"] + "/actions") as resp:
            names = {a["name"] for a in await resp.json()}
        async with http.get(server["base"] + "/health") as resp:
            assert resp.status == 200
    assert names == {
        "action_supportbot_reply",
        "action_supportbot_classify",
        "action_supportbot_faq",
        "action_supportbot_handoff",
    }


async def test_complaint_runs_the_playbook_across_actions(server: dict[str, str]) -> None:
    first = await _post(
        server,
        _call("action_supportbot_reply", "c1", "My blender arrived broken, order 7781420"),
    )
    slots = _slots(first)
    assert slots["sb_intent"] == "complaint"
    assert slots["sb_order_ref"] == "7781420"
    assert set(slots) <= {*SLOTS, "sb_ticket_id", "sb_faq_answer_id"}  # only declared slots
    reply = " ".join(_texts(first)).lower()
    assert reply.index("thank") < reply.index("sorry")
    assert "photo" in reply and "order number" not in reply  # already given: not asked

    second = await _post(
        server,
        _call(
            "action_supportbot_reply",
            "c1",
            "here it is",
            attachments=[{"kind": "photo", "file_id": "p1"}],
        ),
    )
    buttons = [b["payload"] for r in second["responses"] for b in r["buttons"]]
    assert "cmp:opt:refund" in buttons
    said = " ".join(_texts(second)).lower()
    # thanked for, not asked for again
    assert "thank you for the photo" in said and "photo of the problem" not in said, said

    third = await _post(server, _call("action_supportbot_reply", "c1", "cmp:opt:refund"))
    said = " ".join(_texts(third))
    assert "7781420" in said and "refund" in said.lower()


async def test_classify_sets_slots_without_replying(server: dict[str, str]) -> None:
    result = await _post(
        server,
        _call(
            "action_supportbot_classify",
            "c2",
            "Верните 1 490 р за сломанный телефон, иначе подам в суд! Заказ №45-112",
        ),
    )
    slots = _slots(result)
    assert result["responses"] == []
    assert (slots["sb_lang"], slots["sb_intent"], slots["sb_threat"]) == (
        "ru",
        "complaint",
        "legal",
    )
    assert slots["sb_order_ref"] == "45-112"


async def test_faq_answers_when_it_knows_and_stays_silent_when_not(server: dict[str, str]) -> None:
    known = await _post(
        server, _call("action_supportbot_faq", "c3", "How long does delivery take?")
    )
    assert _slots(known)["sb_faq_answer_id"]
    assert len(known["responses"]) == 1 and known["responses"][0]["text"]

    unknown = await _post(
        server, _call("action_supportbot_faq", "c3", "What is the capital of Australia?")
    )
    assert _slots(unknown)["sb_faq_answer_id"] is None
    assert unknown["responses"] == []


async def test_faq_says_when_the_answer_is_not_in_the_customers_language(
    server: dict[str, str],
) -> None:
    """A Polish customer asking about gift cards (no Polish answer in this shop) got the
    English text without a word, as if the bot had switched language; Telegram says so."""
    result = await _post(
        server, _call("action_supportbot_faq", "c10", "Czy macie karty podarunkowe?")
    )
    assert _slots(result)["sb_faq_answer_id"] == "gift_cards"
    [answer] = _texts(result)
    assert answer.startswith("Tę odpowiedź mam na razie tylko po angielsku:\n"), answer
    assert "gift card" in answer.lower()
    # the customer's own language: no note
    known = await _post(server, _call("action_supportbot_faq", "c10", "Do you sell gift cards?"))
    assert not _texts(known)[0].startswith("I only have")


async def test_handoff_opens_a_ticket_and_operator_replies_reach_the_customer(
    server: dict[str, str], clock: Callable[[datetime], None]
) -> None:
    clock(datetime.now(UTC))  # the server runs in a process of its own, on the machine's clock
    await _post(server, _call("action_supportbot_reply", "c4", "The courier was rude to me"))
    result = await _post(server, _call("action_supportbot_handoff", "c4", "I want a person"))
    ticket_id = _slots(result)["sb_ticket_id"]
    assert ticket_id
    assert result["responses"]

    engine = create_engine(server["db"])
    try:
        async with create_sessionmaker(engine)() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None and ticket.status in ("open", "new", "waiting")
            conversation = await session.scalar(
                select(Conversation)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(Customer.channel == "rasa", Customer.external_id == "c4")
                .order_by(Conversation.id.desc())
            )
            assert conversation is not None
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction="operator",
                    text="Hello, this is Olga. I'm looking at your order now.",
                    author_id=501,
                )
            )
            await session.commit()
    finally:
        await engine.dispose()

    follow = await _post(server, _call("action_supportbot_reply", "c4", "ok, thanks"))
    assert "Hello, this is Olga. I'm looking at your order now." in _texts(follow)
    again = await _post(server, _call("action_supportbot_reply", "c4", "still there?"))
    assert "Hello, this is Olga. I'm looking at your order now." not in _texts(again)


async def test_a_handoff_keeps_the_customers_words_language_and_ticket(
    server: dict[str, str],
) -> None:
    """The hand-off action stored a button press instead of what the customer wrote (the
    operators never saw it, the reply came in the default language, Russian), and a second
    hand-off while a person had the chat set ``sb_ticket_id`` to null."""
    text = "My blender order 778899 arrived broken, I need a person to sort this out"
    first = await _post(server, _call("action_supportbot_handoff", "c9", text))
    ticket_id = _slots(first)["sb_ticket_id"]
    assert ticket_id
    reply = " ".join(_texts(first))
    assert reply and not any("\u0400" <= ch <= "\u04ff" for ch in reply), reply
    second = await _post(server, _call("action_supportbot_handoff", "c9", "hello? anyone?"))
    assert _slots(second)["sb_ticket_id"] == ticket_id
    engine = create_engine(server["db"])
    try:
        async with create_sessionmaker(engine)() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            said = (
                await session.scalars(
                    select(Message.text).where(
                        Message.conversation_id == ticket.conversation_id,
                        Message.direction == "in",
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert said == [text, "hello? anyone?"]


async def test_an_assistant_with_no_slots_gets_no_slot_events(server: dict[str, str]) -> None:
    """A domain declaring no slots (Rasa sends ``"slots": {}``) got every sb_* slot set
    anyway, and Rasa warned 'Tried to set non existent slot' for each, on every turn."""
    body = _call("action_supportbot_classify", "c11", "Where is my order 4455?")
    body["domain"] = {"slots": {}, "responses": {}}
    assert (await _post(server, body))["events"] == []
    body["domain"] = {"slots": {"sb_order_ref": {"type": "text"}}}
    assert _slots(await _post(server, body)) == {"sb_order_ref": "4455"}


async def test_a_malformed_call_gets_a_clear_error(server: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            server["base"] + "/webhook", json={**_call("action_nope", "c5", "hi")}
        ) as resp:
            assert resp.status == 404
            assert "action_nope" in (await resp.json())["error"]
    await asyncio.sleep(0)


@pytest.mark.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)
async def test_simultaneous_calls_for_a_new_customer_are_one_conversation(services) -> None:
    """Rasa can call two actions for one sender at once: both are answered, as one customer
    with one conversation (PostgreSQL: both turns created the customer; one failed)."""
    from rasa_sdk.executor import ActionExecutor

    from bot.actions import ServiceHolder, build_executor

    executor: ActionExecutor = build_executor(ServiceHolder(services.settings, services))
    results = await asyncio.gather(
        executor.run(_call("action_supportbot_reply", "twin", "Hello!")),
        executor.run(_call("action_supportbot_reply", "twin", "How much does delivery cost?")),
    )
    assert all(r is not None and r.responses for r in results)
    async with services.sessionmaker() as session:
        customers = (await session.scalars(select(Customer.id))).all()
        conversations = (await session.scalars(select(Conversation.id))).all()
    assert len(customers) == 1 and len(conversations) == 1


async def test_a_ticket_resolved_by_an_operator_is_told_to_a_rasa_customer_with_the_survey(
    server: dict[str, str],
) -> None:
    """An operator resolved the ticket of a customer who writes through a Rasa assistant:
    the customer was never told (the notice and 'was it solved?' went only to Telegram
    chats), so they did not know their case was closed and were never asked how it went.
    They get both with the assistant's next response, and their 'no' reopens the ticket."""
    from types import SimpleNamespace

    from bot.config import Settings
    from bot.handlers.operators import tell_customer_resolved
    from escalation.service import resolve_ticket

    first = await _post(
        server, _call("action_supportbot_handoff", "c12", "My parcel 5531207 never came")
    )
    ticket_id = _slots(first)["sb_ticket_id"]
    engine = create_engine(server["db"])
    try:
        async with create_sessionmaker(engine)() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            conversation = await resolve_ticket(session, ticket, actor_id=501, now=utcnow())
            services = SimpleNamespace(settings=Settings(_env_file=None, default_language="ru"))
            # what /resolve does (no Telegram chat: nothing to send it to now)
            await tell_customer_resolved(None, session, services, ticket, conversation)  # type: ignore[arg-type]
            await session.commit()
    finally:
        await engine.dispose()
    result = await _post(server, _call("action_supportbot_reply", "c12", "hello?"))
    said = " ".join(_texts(result))
    assert "resolved" in said.lower() and "solved?" in said, said
    payloads = [b["payload"] for r in result["responses"] for b in r.get("buttons") or []]
    assert "sv:solved:no" in payloads, result["responses"]
    again = await _post(server, _call("action_supportbot_reply", "c12", "sv:solved:no"))
    assert "resolved" not in " ".join(_texts(again)).lower()
    engine = create_engine(server["db"])
    try:
        async with create_sessionmaker(engine)() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None and ticket.status in ("open", "taken"), _texts(again)
    finally:
        await engine.dispose()
