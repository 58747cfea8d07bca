"""`supportbot bench`: N simulated customers through the real bot over the local fake Bot API.

Each customer writes, waits for the bot's answer, and writes again (a closed loop) for the
given duration. Latency is measured from the moment the message reaches the fake Telegram
to the moment the bot's answer does, as a customer would see it.
"""

from __future__ import annotations

import asyncio
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Conversation, Customer
from bot.sandbox.fakeapi import FakeTelegram
from bot.sandbox.run import sandbox_settings, start_sandbox, stop_sandbox
from bot.services import Services, build_services

SCRIPT = (  # small talk, FAQ questions and complaints, as customers really write
    ("ru", "Здравствуйте!"),
    ("ru", "Спасибо большое"),
    ("ru", "Сколько идёт доставка в Казань?"),
    ("ru", "Пришёл разбитый чайник, заказ 4478120"),
    ("en", "Hello there"),
    ("en", "thanks a lot!"),
    ("en", "How can I return a jacket?"),
    ("en", "my parcel is a week late, order 7781420"),
    ("pl", "Dzień dobry"),
    ("pl", "Dziękuję bardzo"),
    ("pl", "Jak mogę zapłacić za zamówienie?"),
)
REPLY_TIMEOUT = 30.0


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def _duplicates(messages: list[dict[str, Any]]) -> int:
    """Bot messages that repeat the bot's previous one with no customer message between
    (a redelivered update answered twice); a turn may well have several different replies."""
    count, last = 0, None
    for m in messages:
        if not m.get("from", {}).get("is_bot"):
            last = None
            continue
        body = m.get("text") or m.get("caption")
        if body is not None and body == last:
            count += 1
        last = body
    return count


async def _with_operator(services: Services, user_id: int) -> bool:
    """Whether a person owns this customer's chat now (the bot is silent there by design)."""
    async with services.sessionmaker() as session:
        status = await session.scalar(
            select(Conversation.status)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.external_id == str(user_id))
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    return status == "operator"


async def _customer(
    fake: FakeTelegram,
    services: Services,
    user_id: int,
    deadline: float,
    latencies: list[float],
    stats: dict[str, int],
) -> None:
    rng = random.Random(user_id)
    while time.monotonic() < deadline:
        if await _with_operator(services, user_id):
            stats["handed_over"] += 1  # waits for the person now, like a real customer
            return
        _, text = rng.choice(SCRIPT)
        before = len(fake.messages(user_id, from_bot=True))
        started = time.monotonic()
        fake.user_sends(user_id, text)
        stats["sent"] += 1
        try:
            await fake.wait_for_bot_message(user_id, count=before + 1, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            if await _with_operator(services, user_id):
                # Handed to a person (e.g. after two unclear answers to an offer): the bot
                # stays silent and a real customer would wait for the operator now.
                stats["to_operator"] += 1
                stats["handed_over"] += 1
                return
            stats["lost"] += 1
            continue
        latencies.append((time.monotonic() - started) * 1000)
        # a person reads before writing again (faster than 6 messages in 10 s is a flood, which
        # the bot answers once and then waits out)
        await asyncio.sleep(rng.uniform(2.0, 4.0))


async def run_bench(
    settings: Settings,
    *,
    customers: int = 50,
    duration: float = 30.0,
    mode: str = "polling",
    database_url: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        s = sandbox_settings(settings, url)
        services = await build_services(s)
        sandbox = await start_sandbox(
            s, port=0, database_url=url, mode=mode, load_demo_kb=True, services=services
        )
        fake = sandbox.server.fake
        try:
            ids = [
                fake.add_user(f"Bench{i}", language_code="ru", user_id=700000 + i)["id"]
                for i in range(customers)
            ]
            latencies: list[float] = []
            stats = {"sent": 0, "lost": 0, "handed_over": 0, "to_operator": 0}
            started = time.monotonic()
            deadline = started + duration
            await asyncio.gather(
                *(_customer(fake, services, u, deadline, latencies, stats) for u in ids)
            )
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.0)  # late duplicates would show up now
            duplicated = sum(_duplicates(fake.messages(user)) for user in ids)
        finally:
            await stop_sandbox(sandbox)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "database": url.split(":", 1)[0],
        "mode": mode,
        "customers": customers,
        "duration_s": round(elapsed, 1),
        "messages": stats["sent"],
        "answered": len(latencies),
        "updates_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _percentile(latencies, 0.50),
        "p95_ms": _percentile(latencies, 0.95),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": stats["sent"] - len(latencies) - stats["lost"] - stats["to_operator"],
        "lost": stats["lost"],
        "handed_over": stats["handed_over"],
        "duplicated": duplicated,
        "rss_mb": round(rss_mb, 1),
    }


def render_table(result: dict[str, Any]) -> str:
    width = max(len(k) for k in result)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in result.items())
