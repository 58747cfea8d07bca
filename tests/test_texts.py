"""The gettext message catalogues the bot speaks from."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import escalation.texts  # noqa: F401  (registers the operators domain)
import knowledge.flow  # noqa: F401  (registers the knowledge domain)
from bot.dialogs import texts
from bot.dialogs.texts import Texts, catalogue, check_catalogues, fields

ROOT = Path(__file__).resolve().parent.parent
CALL = re.compile(r"\b(?:say|plain|texts|text)\(\s*\"([a-z][a-z0-9_]*)\"")


def test_catalogues_are_consistent() -> None:
    assert check_catalogues() == []


def test_every_key_the_code_uses_exists_in_every_language() -> None:
    used = set()
    for folder in ("bot", "knowledge", "escalation"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 40
    for lang in ("en", "ru", "pl"):
        missing = sorted(k for k in used if k not in catalogue(lang))
        assert missing == [], (lang, missing)


def test_translations_keep_the_placeholders_and_the_variety() -> None:
    en = catalogue("en")
    for lang in ("ru", "pl"):
        other = catalogue(lang)
        assert set(other) == set(en)
        for key, variants in en.items():
            assert len(other[key]) == len(variants), (lang, key)
            assert {frozenset(fields(v)) for v in other[key]} == {
                frozenset(fields(v)) for v in variants
            }, (lang, key)


def test_variants_rotate_and_the_rotation_survives_in_memory() -> None:
    memory: dict = {}
    first = Texts("ru", memory, seed=1)
    said = [first("thanks_reply") for _ in range(3)]
    assert len(set(said)) == 3
    again = Texts("ru", memory, seed=99)  # e.g. after a restart
    assert again("thanks_reply") == said[0]


def test_unknown_language_speaks_english() -> None:
    assert Texts("de")("goodbye") in catalogue("en")["goodbye"]


def test_a_new_language_is_a_po_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A translator adds a language with gettext tools only; untranslated keys fall back."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    folder = tmp_path / "locales"
    shutil.copytree(texts.LOCALES, folder)
    with (folder / "supportbot.pot").open("rb") as f:
        template = read_po(f)
    de = Catalog(locale="de", domain="supportbot")
    for message in template:
        if message.id and message.context == "goodbye":
            de.add(message.id, string="Tschüss!", context="goodbye")
        elif message.id and message.context == "greeting":
            de.add(message.id, string="", context="greeting")  # not translated yet
    (folder / "de" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "de" / "LC_MESSAGES" / "supportbot.po").open("wb") as f:
        write_po(f, de)

    monkeypatch.setattr(texts, "DOMAINS", [texts.Domain(folder, "supportbot")])
    monkeypatch.setattr(texts, "SUPPORTED", (*texts.SUPPORTED, "de"))
    texts.catalogue.cache_clear()
    try:
        t = Texts("de")
        assert t("goodbye") == "Tschüss!"
        assert t("greeting", name="") in [v.format(name="") for v in catalogue("en")["greeting"]]
    finally:
        texts.catalogue.cache_clear()


@pytest.mark.parametrize(
    ("lang", "key", "count", "said"),
    [
        ("ru", "within_hours", 21, "в течение 21 часа"),
        ("ru", "within_hours", 22, "в течение 22 часов"),
        ("ru", "within_hours", 25, "в течение 25 часов"),
        ("ru", "within_days", 1, "в течение 1 рабочего дня"),
        ("ru", "within_days", 11, "в течение 11 рабочих дней"),
        ("ru", "handoff_eta", 21, "в течение 21 минуты"),
        ("ru", "comp_done_free_delivery", 5, "следующие 5 доставок"),
        ("ru", "comp_done_free_delivery", 21, "следующая 21 доставка"),
        ("ru", "gesture_free_delivery", 22, "следующие 22 доставки"),
        ("pl", "within_hours", 1, "w ciągu godziny"),
        ("pl", "within_days", 22, "w ciągu 22 dni roboczych"),
        ("pl", "handoff_eta", 1, "w ciągu około minuty"),
        ("pl", "comp_done_free_delivery", 5, "kolejnych 5 dostaw jest darmowych"),
        ("pl", "gesture_free_delivery", 22, "kolejne 22 dostawy"),
        ("en", "within_hours", 1, "within an hour"),
        ("en", "within_days", 21, "within 21 working days"),
        ("en", "handoff_eta", 1, "within about a minute"),
        ("en", "comp_done_free_delivery", 1, "your next delivery is free"),
    ],
)
def test_counted_things_take_the_plural_form_their_number_needs(
    lang: str, key: str, count: int, said: str
) -> None:
    """1 час / 21 час / 22 часа / 25 часов, 1 godzina / 22 godziny / 25 godzin."""
    placeholder = {"within_hours": "n", "within_days": "n", "handoff_eta": "minutes"}
    t = Texts(lang)
    assert said in t(key, **{placeholder.get(key, "value"): str(count)})
    assert said in t.plain(key, **{placeholder.get(key, "value"): count})


def test_polish_texts_say_ty_without_guessing_the_customers_gender() -> None:
    """'co napisałeś' tells a woman she is a man, and 'proszę napisać' (the Pan/Pani
    register) jumps out of a conversation that says 'ty' everywhere else."""
    gendered = re.compile(r"\w+(?:łeś|łaś)\b|\bgotow[ya]\b", re.I)
    formal = re.compile(r"\bproszę\s+(?:się\s+|tak\s+)?\w+ć\b", re.I)
    wrong = [
        (key, form)
        for key, variants in catalogue("pl").items()
        for variant in variants
        for form in texts.forms(variant)
        if gendered.search(form) or formal.search(form)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("amount", "currency", "lang", "said"),
    [
        (8, "EUR", "en", "€8"),
        (5.5, "USD", "en", "$5.50"),
        (1490, "RUB", "en", "1,490 ₽"),
        (5, "USD", "ru", "5 $"),
        (8, "EUR", "pl", "8 €"),
        (29.9, "PLN", "pl", "29,90 zł"),
        (1490.5, "RUB", "ru", "1\u00a0490,50 ₽"),
    ],
)
def test_money_is_written_the_way_the_customer_writes_it(
    amount: float, currency: str, lang: str, said: str
) -> None:
    """An English customer read "a refund of 8 €", a Russian one "$5": the sign goes where
    the language puts it (before the number in English, after it in Russian and Polish)."""
    assert texts.money(amount, currency, lang) == said


@pytest.mark.parametrize(
    ("lang", "n", "said"),
    [
        ("en", 1, "colleagues changed 1 entry in kb.yaml"),
        ("en", 2, "colleagues changed 2 entries in kb.yaml"),
        ("ru", 1, "коллеги изменили 1 запись из kb.yaml"),
        ("ru", 2, "коллеги изменили 2 записи из kb.yaml"),
        ("ru", 5, "коллеги изменили 5 записей из kb.yaml"),
        ("ru", 21, "коллеги изменили 21 запись из kb.yaml"),
        ("pl", 1, "współpracownicy zmienili 1 wpis z kb.yaml"),
        ("pl", 2, "współpracownicy zmienili 2 wpisy z kb.yaml"),
        ("pl", 5, "współpracownicy zmienili 5 wpisów z kb.yaml"),
    ],
)
def test_the_admins_counts_take_the_plural_form_their_number_needs(
    lang: str, n: int, said: str
) -> None:
    """'colleagues changed 1 of the entries in kb.yaml' (and 'изменили записи из kb.yaml
    (1)'): 1 entry / 2 entries, 1 запись / 2 записи / 5 записей, 1 wpis / 2 wpisy / 5 wpisów."""
    text = Texts(lang)("admin_import_changed_meanwhile", n=n, name="kb.yaml")
    assert said in text, text


@pytest.mark.parametrize(
    ("lang", "key", "fields", "said"),
    [
        ("en", "kb_yaml_indent", {"n": 1}, "(1 space)"),
        ("en", "kb_yaml_indent", {"n": 5}, "(5 spaces)"),
        ("ru", "kb_yaml_indent", {"n": 1}, "(1 пробел)"),
        ("ru", "kb_yaml_indent", {"n": 3}, "(3 пробела)"),
        ("ru", "kb_yaml_item_indent", {"n": 5}, "(5 пробелов)"),
        ("pl", "kb_yaml_indent", {"n": 3}, "(3 spacje)"),
        ("pl", "kb_yaml_item_indent", {"n": 5}, "(5 spacji)"),
        ("pl", "kb_bad_tag", {"tag": "x", "max": 64}, "do 64 znaków"),
        ("pl", "kb_csv_tag_long", {"max": 64}, "limit 64 znaków"),
    ],
)
def test_a_files_mistakes_count_in_the_right_plural_form(
    lang: str, key: str, fields: dict, said: str
) -> None:
    """'(1 spaces)' in English, 'najwyżej 64 znaków' ('at most 64 characters', which
    Polish says '64 znaki') in Polish: a file's mistakes that count something take the form
    the number needs, the command line's English too."""
    from knowledge.formats import Text, say

    text = say(Text(key, **fields), Texts(lang))
    assert said in text, text
    if lang == "en":
        assert said in str(Text(key, **fields))


def _msgfmt_check(msgfmt: str, po: Path) -> subprocess.CompletedProcess[str]:
    """GNU gettext's 'msgfmt -c' of one catalogue (compiled to nowhere)."""
    return subprocess.run(
        [msgfmt, "-c", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_translation_passes_msgfmt_check() -> None:
    """'msgfmt -c' (GNU gettext's check, which translators' tools and CI run) refused the
    Russian and Polish catalogues: the texts with '{value}%' ('{value}% off the next order')
    were flagged python-format, '% o' read as a printf directive the translation lacks. They
    are no-python-format (brace placeholders only), and every .po passes the check. Babel's
    'pybabel update' flags such a text python-format again: this test says so."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed: apt-get install gettext")
    files = sorted(
        po for folder in ("bot", "knowledge", "escalation") for po in (ROOT / folder).rglob("*.po")
    )
    assert len(files) >= 4, files
    for po in files:
        done = _msgfmt_check(msgfmt, po)
        assert done.returncode == 0, (
            f"msgfmt -c {po.relative_to(ROOT)}: {done.stderr.strip()}\n(a text with "
            "'{...}%' needs '#, python-brace-format, no-python-format', not python-format)"
        )


def test_a_routine_catalogue_update_keeps_msgfmt_check_green(tmp_path: Path) -> None:
    """'pybabel update' flagged the '{value}%' texts python-format again, and 'msgfmt -c'
    refused the catalogues after every routine update; 'python scripts/update_catalogues.py'
    (pybabel update, then no-python-format put back) leaves them passing the check."""
    import importlib.util

    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed: apt-get install gettext")
    spec = importlib.util.spec_from_file_location(
        "update_catalogues", ROOT / "scripts" / "update_catalogues.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert [(f.relative_to(ROOT).as_posix(), d) for f, d in script.DOMAINS] == [
        ("bot/dialogs/locales", "supportbot"),
        ("knowledge/locales", "knowledge"),
        ("escalation/locales", "operators"),
    ]
    for folder, domain in script.DOMAINS:
        copy = tmp_path / domain
        shutil.copytree(folder, copy)
        script.update(copy, domain, [])
        for po in sorted(copy.glob(f"*/LC_MESSAGES/{domain}.po")):
            said = po.read_text(encoding="utf-8")
            assert "python-format" not in said.replace("no-python-format", ""), po
            done = _msgfmt_check(msgfmt, po)
            assert done.returncode == 0, f"{po}: {done.stderr.strip()}"
    offered = (tmp_path / "supportbot" / "ru" / "LC_MESSAGES" / "supportbot.po").read_text("utf-8")
    assert offered.count("no-python-format") >= 4


def test_every_operator_text_has_a_russian_and_a_polish_translation() -> None:
    """Everything the bot said to operators was English only, while the shops' teams are
    mostly Russian and Polish. Each operator text (escalation/locales, domain 'operators')
    has a Russian and a Polish translation, none empty or fuzzy, with the English's
    placeholders, the catalogues pass 'msgfmt -c', and every text the code asks for by name
    is in the template (a missing one would stop the message it is part of)."""
    from babel.messages.pofile import read_po

    from escalation.texts import DOMAIN, LOCALES

    def read(path: Path, lang: str | None = None) -> dict[str, object]:
        with path.open("rb") as f:
            return {m.context: m for m in read_po(f, locale=lang) if m.id}

    template = read(LOCALES / f"{DOMAIN}.pot")
    assert len(template) > 150, len(template)
    msgfmt = shutil.which("msgfmt")
    for lang in ("ru", "pl"):
        po = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        translated = read(po, lang)
        untranslated = sorted(
            key
            for key in template
            if key not in translated
            or not translated[key].string  # type: ignore[attr-defined]
            or translated[key].fuzzy  # type: ignore[attr-defined]
        )
        assert not untranslated, (lang, untranslated)
        for key, message in translated.items():
            assert fields(message.string) == fields(message.id), (lang, key)  # type: ignore[attr-defined]
        # said in that language, not left in English (a few words are the same: 'Bot', 'GIF')
        same = [k for k, m in translated.items() if m.string == m.id]  # type: ignore[attr-defined]
        assert len(same) < 25, (lang, same)
        if msgfmt is not None:
            done = _msgfmt_check(msgfmt, po)
            assert done.returncode == 0, f"msgfmt -c {po}: {done.stderr.strip()}"
    asked = {
        key
        for folder in ("bot", "escalation")
        for source in (ROOT / folder).rglob("*.py")
        for key in re.findall(r"""["'](op_[a-z_]*[a-z])["']""", source.read_text("utf-8"))
    }
    assert len(asked) > 100, len(asked)
    assert not sorted(asked - set(template)), sorted(asked - set(template))


@pytest.mark.parametrize("lang", ["ru", "pl"])
def test_a_busy_card_has_no_english_left_in_the_operators_language(lang: str) -> None:
    """A card with everything on it (a legal threat raised to urgent, a blocked VIP, a
    corrected order, an amount, FAQ answers tried, compensations offered and chosen, a
    promise, a detail still missing, an earlier ticket, a second complaint in the same
    message) in Russian or Polish has no English sentence left in it: a half-translated
    card is what an operator would stumble on. The customer's words stay as written."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from babel.messages.pofile import read_po

    from bot.db.models import Conversation, Customer, Message, Ticket
    from escalation.card import build_card
    from escalation.texts import DOMAIN, LOCALES

    at = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    trail = [
        {"type": "detail_corrected", "slot": "order_ref", "was": "7781419", "turn": 1},
        {"type": "complaint_also_recorded", "complaint_type": "wrong_item", "turn": 1},
        {"type": "faq_answered", "answer_id": "refunds", "score": 0.71, "turn": 1},
        {"type": "faq_not_helpful", "turn": 2},
        {"type": "faq_answered", "answer_id": "returns", "turn": 2},
        {"type": "faq_declined", "candidates": [{"answer_id": "care", "score": 0.4}], "turn": 2},
        {"type": "compensation_offered", "kind": "coupon", "value": 10, "turn": 3},
        {"type": "compensation_offered", "kind": "free_delivery", "value": 2, "turn": 3},
        {"type": "compensation_chosen", "kind": "gift", "turn": 4},
        {"type": "promised", "text": "Мы ответим в течение 24 часов", "turn": 4},
        {"type": "asked_for", "slot": "contact", "turn": 5},
    ]
    state = {
        "known": {
            "order_ref": "7781420",
            "amount": 1500,
            "currency": "RUB",
            "photos": ["f1"],
            "location": "55.75, 37.61",
            "description": "Чайник пришёл треснутым",
        },
        "complaint": {
            "type": "damaged_defective",
            "kind": "angry",
            "wanted": "refund",
            "arranged": "the compensation offered",
            "overdue": True,
            "next": {"type": "missing_item"},
        },
        "last_classification": {"intent": "complaint", "emotion": "angry", "threat": "legal"},
        "safety": 7,
        "faq": {"query": "как вернуть деньги", "repeated": True},
        "trail": trail,
    }
    messages = [
        Message(direction="in", text="Чайник треснул", created_at=at, edited_at=at),
        Message(
            direction="in", text=None, attachments=[{"kind": "voice"}], created_at=at, buttons=[]
        ),
        Message(direction="note", text="звоню в доставку", created_at=at),
    ]

    def card(texts: Texts) -> str:
        return build_card(
            ticket=Ticket(id=7, status="taken", priority="high", reason="legal_threat"),
            customer=Customer(external_id="1002", language="ru", is_vip=True, blocked_bot=True),
            conversation=Conversation(language="ru"),
            state=state,
            messages=messages,
            previous_tickets=[
                Ticket(id=3, status="resolved", reason="customer_request", created_at=at)
            ],
            tz=ZoneInfo("Europe/Moscow"),
            assignee="Olga (@olga_support)",
            raised=["vip"],
            promised=at,
            texts=texts,
        ).full

    with (LOCALES / f"{DOMAIN}.pot").open("rb") as f:
        english = {
            part.strip()
            for m in read_po(f)
            if m.id
            for part in re.split(r"\{\w*\}", str(m.id))
            if len(re.findall(r"[A-Za-z]{2,}", part)) >= 2
        }
    said = card(Texts("en"))
    shown = sorted(e for e in english if e in said)
    assert len(shown) >= 30, shown  # the English card says them
    translated = card(Texts(lang))
    assert not sorted(e for e in english if e in translated), translated
    assert "Чайник треснул" in translated and "звоню в доставку" in translated
    assert "Мы ответим в течение 24 часов" in translated  # the promise as the customer read it


@pytest.mark.parametrize(
    ("lang", "answered", "closest", "corrected"),
    [
        ("en", "score 0.71", "care 0.40", "2,500"),
        ("ru", "0,71", "care 0,40", "2\u00a0500"),  # a space that keeps them on one line
        ("pl", "0,71", "care 0,40", "2\u00a0500"),
    ],
)
def test_the_cards_numbers_are_written_as_the_operators_write_them(
    lang: str, answered: str, closest: str, corrected: str
) -> None:
    """A Russian team's card said the FAQ answer it tried scored '0.71' and the closest
    declined one 'care 0.40', and an amount corrected from 2500 '(corrected from 2500)':
    '0,71', 'care 0,40' and '2 500' is how ru and pl write them (en: 0.71, 2,500)."""
    from zoneinfo import ZoneInfo

    from bot.db.models import Conversation, Customer, Ticket
    from escalation.card import build_card

    trail = [
        {"type": "faq_answered", "answer_id": "refunds", "score": 0.71, "turn": 1},
        {"type": "faq_declined", "candidates": [{"answer_id": "care", "score": 0.4}], "turn": 2},
        {"type": "detail_corrected", "slot": "amount", "was": "2500", "turn": 3},
    ]
    card = build_card(
        ticket=Ticket(id=7, status="open", priority="normal", reason="customer_request"),
        customer=Customer(external_id="1002", language="ru"),
        conversation=Conversation(language="ru"),
        state={"known": {"amount": 3000, "currency": "RUB"}, "trail": trail},
        messages=[],
        previous_tickets=[],
        tz=ZoneInfo("Europe/Moscow"),
        texts=Texts(lang),
    ).full
    assert answered in card and closest in card, card
    assert f"{corrected})" in card and "2500" not in card, card
    assert ("0.71" in card) == (lang == "en"), card
