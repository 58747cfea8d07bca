"""The card says every label the classifier predicts, and every kind of customer, in the
operators' language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.dialogs.texts import Texts, catalogue
from escalation.card import CUSTOMER_KINDS, EMOTION, INTENT, KIND, THREAT, TYPE, _summary

MODEL = Path(__file__).parent.parent / "bot" / "nlu" / "model" / "config.json"
PREFIXES = {"intent": INTENT, "complaint_type": TYPE, "emotion": EMOTION, "threat": THREAT}


@pytest.mark.parametrize("lang", ["en", "ru", "pl"])
def test_every_label_and_customer_kind_is_said_in_the_operators_language(lang: str) -> None:
    """A label or a customer kind the catalogue lacks is said as its code ('damaged
    defective'); its summary was an English phrase on a Russian or Polish card."""
    heads = json.loads(MODEL.read_text(encoding="utf-8"))["heads"]
    keys = [PREFIXES[field] + code for field in PREFIXES for code in heads[field]["labels"]]
    for kind in CUSTOMER_KINDS:
        keys += [f"{KIND}{kind}", f"op_summary_complaint_{kind}"]
    missing = [k for k in keys if k not in catalogue(lang)]
    assert not missing, missing


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "Complaint (payment"), ("ru", "Жалоба (оплата"), ("pl", "Reklamacja (")],
)
def test_a_complaint_of_a_kind_the_catalogue_lacks_is_summed_up_in_the_operators_words(
    lang: str, said: str
) -> None:
    """A complaint of a customer kind the catalogue has no summary for (a kind added later):
    the summary read 'Vip complaint (...) about order 3412931.' on a Russian card. It says
    "a complaint" in the operators' language."""
    texts = Texts(lang)
    known = {"order_ref": "3412931"}
    summary = _summary(texts, "complaint", "billing", "vip", known, "-", {})
    first = summary.splitlines()[0]
    assert first.startswith(said) and "3412931" in first, first
    assert lang == "en" or "complaint" not in first.lower(), first


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "No, not solved"), ("ru", "Нет, не решён"), ("pl", "Nie, nierozw")]
)
def test_a_survey_answer_pressed_under_an_earlier_tickets_question_is_in_words(
    lang: str, said: str
) -> None:
    """A new ticket's transcript, opened by 'No' to the previous ticket's 'Was your question
    solved?' (a message of the earlier ticket, not in this one's transcript), read 'Customer:
    [pressed sv:solved:no]': the answer in the operators' words."""
    from datetime import UTC

    from bot.db.models import Message
    from escalation.card import transcript_lines

    pressed = Message(direction="in", attachments=[{"kind": "button", "name": "sv:solved:no"}])
    line = transcript_lines([pressed], UTC, Texts(lang))[0]
    assert said in line and "sv:solved" not in line, line
