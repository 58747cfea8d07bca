"""`supportbot sandbox` as a person uses it: the real bot, the fake Telegram, the page."""

from __future__ import annotations

import re

from bot.sandbox.run import (
    OPERATORS,
    OPERATORS_CHAT_ID,
    sandbox_settings,
    start_sandbox,
    stop_sandbox,
)
from bot.services import build_services
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS

pytestmark = BROWSER_MARKS


async def test_customer_and_operator_in_the_sandbox_page(settings, classifier, db_url) -> None:
    from playwright.async_api import async_playwright, expect

    s = sandbox_settings(settings, db_url)
    services = await build_services(s, classifier=classifier, seed=0)
    sb = await start_sandbox(s, port=0, database_url=db_url, services=services)
    errors: list[str] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(20_000)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(sb.url)
                customer = page.locator("#customer-messages [data-testid=customer-message]")
                await expect(page.locator("#customer-select")).to_contain_text("Анна")
                await page.select_option("#customer-select", "1001")

                await page.fill("#customer-input", "Здравствуйте!")
                await page.click("#customer-send")
                greeting = customer.filter(has=page.locator(":scope[data-from=bot]")).first
                await expect(greeting).to_contain_text("Анна")

                await page.fill("#customer-input", "Позовите, пожалуйста, живого оператора")
                await page.click("#customer-send")
                await expect(customer.filter(has_text="коллег")).not_to_have_count(0)

                topic = page.locator("[data-testid=topic]", has_text=re.compile(r"#\d+ Анна"))
                await expect(topic).to_have_count(1)
                await topic.click()
                await expect(page.locator("[data-testid=pinned-card]")).to_contain_text("Ticket #")

                await page.select_option("#operator-select", str(OPERATORS[0][0]))
                await page.fill("#operator-input", "Добрый день! Я Ольга, помогу.")
                await page.click("#operator-send")
                await expect(customer.filter(has_text="Я Ольга, помогу.")).to_have_count(1)

                await page.fill("#operator-input", "/resolve")
                await page.click("#operator-send")
                survey = customer.filter(has=page.locator("[data-testid=inline-button]")).last
                await expect(survey).to_contain_text(re.compile("решён|решен"))
                await page.screenshot(path="/tmp/sandbox_real.png", full_page=True)
            finally:
                await browser.close()
    finally:
        await stop_sandbox(sb)
    assert not errors, errors
    assert sb.server.fake.topics(OPERATORS_CHAT_ID)
