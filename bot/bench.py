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

from bot.config import Settings
from bot.sandbox.fakeapi import FakeTelegram
from bot.sandbox.run import sandbox_settings, start_sandbox, stop_sandbox
from bot.services import build_services

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


async def _customer(
    fake: FakeTelegram, user_id: int, deadline: float, latencies: list[float], stats: dict[str, int]
) -> None:
    rng = random.Random(user_id)
    while time.monotonic() < deadline:
        _, text = rng.choice(SCRIPT)
        before = len(fake.messages(user_id, from_bot=True))
        started = time.monotonic()
        fake.user_sends(user_id, text)
        stats["sent"] += 1
        try:
            await fake.wait_for_bot_message(user_id, count=before + 1, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            stats["lost"] += 1
            continue
        latencies.append((time.monotonic() - started) * 1000)
        await asyncio.sleep(rng.uniform(1.0, 2.0))  # a person reads before writing again


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
            stats = {"sent": 0, "lost": 0}
            started = time.monotonic()
            deadline = started + duration
            await asyncio.gather(*(_customer(fake, u, deadline, latencies, stats) for u in ids))
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.0)  # late duplicates would show up now
            duplicated = 0
            for user in ids:
                bot_msgs = fake.messages(user, from_bot=True)
                user_msgs = fake.messages(user, from_bot=False)
                duplicated += max(0, len(bot_msgs) - len(user_msgs))
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
        "errors": stats["sent"] - len(latencies) - stats["lost"],
        "lost": stats["lost"],
        "duplicated": duplicated,
        "rss_mb": round(rss_mb, 1),
    }


def render_table(result: dict[str, Any]) -> str:
    width = max(len(k) for k in result)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in result.items())
