"""Knowledge files: YAML / CSV / JSONL parsing, validation and exact round trips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.formats import (
    FORMATS,
    Entry,
    KbFormatError,
    dump_text,
    load_file,
    parse_text,
    say,
    shared_questions,
    validate_one,
    without_repeated_questions,
)

DEMO = Path(__file__).resolve().parents[1] / "knowledge" / "demo"


@pytest.fixture(scope="module")
def demo() -> list[Entry]:
    return load_file(DEMO / "shop.yaml")


def test_demo_formats_hold_the_same_entries(demo: list[Entry]) -> None:
    assert len(demo) >= 30
    assert load_file(DEMO / "shop.csv") == demo
    assert load_file(DEMO / "shop.jsonl") == demo
    ids = [e.id for e in demo]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_exact(demo: list[Entry], fmt: str) -> None:
    text = dump_text(demo, fmt)
    back = parse_text(text, fmt)
    assert back == demo
    assert [e.answers for e in back] == [e.answers for e in demo]  # same answer order too
    assert dump_text(back, fmt) == text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_text_pasted_with_unicode_line_separators_round_trips(fmt: str, char: str) -> None:
    """U+2028 / U+2029 (text pasted from web pages and Word) and NEL: JSON may leave them
    raw and str.splitlines() splits there, YAML reads them as line breaks."""
    entries = [
        Entry(id="hours", questions=[f"Hours?{char}Today?"], answers={"en": f"9-18{char}Mon-Fri"})
    ]
    text = dump_text(entries, fmt)
    assert parse_text(text, fmt) == entries
    assert dump_text(parse_text(text, fmt), fmt) == text


def test_a_csv_saved_by_excel_with_semicolons_is_read(demo: list[Entry]) -> None:
    """Excel in Russian and Polish settings separates columns with semicolons: such a file
    was refused as a whole ("bad header")."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(dump_text(demo, "csv"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    assert parse_text("\ufeff" + out.getvalue(), "csv") == demo


def test_empty_columns_excel_adds_at_the_right_are_ignored() -> None:
    """A sheet where a cell right of 'tags' was once typed in and cleared is saved by Excel
    with empty columns at the right ('id;lang;question;answer;tags;;'): the whole file was
    refused with "bad header (unknown column(s) '', ''; a column appears twice)". Empty
    columns with no name are ignored; text in one is still a mistake."""
    text = (
        "id;lang;question;answer;tags;;\r\n"
        "price;ru;Сколько стоит доставка?;299 ₽;delivery;;\r\n"
        "price;en;How much is delivery?;299 RUB;;;\r\n"
        ";;;;;;\r\n"
    )
    assert parse_text(text, "csv") == [
        Entry(
            "price",
            ["Сколько стоит доставка?", "How much is delivery?"],
            {"ru": "299 ₽", "en": "299 RUB"},
            ["delivery"],
        )
    ]
    with pytest.raises(KbFormatError) as err:
        parse_text(text.replace("299 RUB;;;", "299 RUB;;;oops"), "csv")
    assert err.value.errors == ["line 3: expected 5 columns, found 7"], err.value.errors


def test_a_broken_emoji_is_refused_before_anything_is_imported() -> None:
    """A lone surrogate (half of an emoji, escaped in JSON) cannot be stored or sent: the
    file is refused with the place, not imported to break the index later."""
    line = '{"id": "promo", "questions": ["Promo \\ud83d?"], "answers": {"en": "Yes"}}\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(line, "jsonl")
    assert "line 1, entry 1 ('promo'): 'questions' has a broken character" in str(err.value)


def test_export_reproduces_the_demo_csv_and_jsonl_byte_for_byte(demo: list[Entry]) -> None:
    assert dump_text(load_file(DEMO / "shop.csv"), "csv") == (DEMO / "shop.csv").read_text("utf-8")
    assert dump_text(demo, "csv") == (DEMO / "shop.csv").read_text("utf-8")
    assert dump_text(demo, "jsonl") == (DEMO / "shop.jsonl").read_text("utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("duplicate_id.yaml", ["entry 2", "duplicate id 'delivery_cost'", "line 12"]),
        ("unknown_key.yaml", ["entry 2", "'return_period'", "unknown key 'priority'", "line 14"]),
        ("missing_answers.jsonl", ["line 3", "'eco_packaging'", "missing 'answers'"]),
        ("bad_id.csv", ["line 4", "bad id 'Support Hours'"]),
    ],
)
def test_broken_files_are_rejected_with_the_place(name: str, expected: list[str]) -> None:
    with pytest.raises(KbFormatError) as info:
        load_file(DEMO / "broken_examples" / name)
    message = str(info.value)
    for part in expected:
        assert part in message
    assert "nothing imported" in message


def test_every_error_is_reported_not_only_the_first() -> None:
    text = (
        "entries:\n"
        "  - id: Bad Id\n    questions: [a]\n    answers: {en: b}\n"
        "  - id: ok\n    questions: []\n    answers: {en: b}\n"
        "  - id: ok2\n    questions: [q]\n    answers: {english: b}\n"
    )
    with pytest.raises(KbFormatError) as info:
        parse_text(text, "yaml")
    assert len(info.value.errors) == 3
    assert "line 2" in info.value.errors[0] and "line 5" in info.value.errors[1]


def test_yaml_scalars_stay_strings_and_multiline_answers_survive() -> None:
    entry = Entry(
        id="yes-no",
        questions=["yes", "123", "null", "Можно: с двоеточием?"],
        answers={"ru": "Строка 1\nСтрока 2", "en": "on"},
        tags=["a b", "x"],
    )
    for fmt in FORMATS:
        back = parse_text(dump_text([entry], fmt), fmt)
        assert back == [entry], fmt
    assert "|-" in dump_text([entry], "yaml")


def test_csv_rules() -> None:
    header = "id,lang,question,answer,tags\n"
    ok = header + "a,ru,Вопрос?,Ответ,t1;t2\na,en,Question?,,t1;t2\na,pl,,Odpowiedź,t1;t2\n"
    [entry] = parse_text(ok, "csv")
    assert entry.questions == ["Вопрос?", "Question?"]
    assert entry.answers == {"ru": "Ответ", "pl": "Odpowiedź"}
    assert entry.tags == ["t1", "t2"]
    assert parse_text(dump_text([entry], "csv"), "csv") == [entry]

    two_answers = header + "a,ru,Q1,A1,\na,ru,Q2,A2,\n"
    with pytest.raises(KbFormatError, match="line 3.*second, different 'ru' answer"):
        parse_text(two_answers, "csv")
    split = header + "a,ru,Q1,A1,\nb,ru,Q2,A2,\na,en,Q3,A3,\n"
    with pytest.raises(KbFormatError, match="line 4.*duplicate id 'a'"):
        parse_text(split, "csv")
    no_answer = header + "a,ru,Q1,,\n"
    with pytest.raises(KbFormatError, match="no answer"):
        parse_text(no_answer, "csv")
    with pytest.raises(KbFormatError, match="bad header"):
        parse_text("id,language,question,answer\n", "csv")
    quoted = header + 'a,ru,"Много\nстрок",Ответ,\nBad,ru,Q,A,\n'
    with pytest.raises(KbFormatError, match="line 4"):
        parse_text(quoted, "csv")  # line numbers count the lines inside quoted fields


def test_jsonl_errors_name_the_line() -> None:
    text = '{"id": "a", "questions": ["q"], "answers": {"en": "x"}}\n\nnot json\n'
    with pytest.raises(KbFormatError, match="line 3: not valid JSON"):
        parse_text(text, "jsonl")
    text = '{"id": "a", "questions": ["q"], "answers": {"en": "x"}, "extra": 1}\n'
    with pytest.raises(KbFormatError, match="line 1.*unknown key 'extra'"):
        parse_text(text, "jsonl")


def test_validate_one_cleans_and_rejects() -> None:
    assert validate_one(Entry("a", [" q "], {"en": " x "})) == Entry("a", ["q"], {"en": "x"})
    with pytest.raises(KbFormatError, match="bad id"):
        validate_one(Entry("A!", ["q"], {"en": "x"}))
    with pytest.raises(KbFormatError, match="longer than"):
        validate_one(Entry("a", ["q"], {"en": "x" * 5000}))


def test_files_excel_saves_in_other_encodings() -> None:
    """A CSV saved by Excel as 'Unicode text' (UTF-16, tabs between columns) was refused as
    'not UTF-8 text (byte 0)', and one saved in Windows-1251 as 'not UTF-8 text (byte 41)':
    no line, nothing about what to do. UTF-16 (it starts with a byte-order mark) is read;
    any other encoding names its line and how to save the file."""
    from knowledge.formats import parse_bytes

    rows = "id\tlang\tquestion\tanswer\ttags\ndelivery\tru\tСколько стоит доставка?\t299 руб\t\n"
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        data = rows.encode(encoding)
        if encoding != "utf-16":
            data = "\ufeff".encode(encoding) + data
        [entry] = parse_bytes(data, "csv", "kb.csv")
        assert entry == Entry("delivery", ["Сколько стоит доставка?"], {"ru": "299 руб"})

    # neither UTF-8 nor a Windows code page (0x98 is in neither): its line and what to do
    broken = b"id,lang,question,answer,tags\nd,en,Price?,Cheap,\nr,ru,\x98,x,\n"
    with pytest.raises(KbFormatError) as err:
        parse_bytes(broken, "csv", "kb.csv")
    [problem] = err.value.errors
    assert problem.startswith("line 3: not UTF-8 text"), problem
    assert "UTF-8" in problem.split("text", 1)[1]  # how to save it


def test_a_csv_saved_by_excel_on_windows_in_the_local_code_page_is_read() -> None:
    """Excel on Windows in Russian settings saves 'CSV' in Windows-1251 with semicolons (in
    Polish ones, Windows-1250): such a file was refused as 'not UTF-8 text', and the admin
    had to find how to save it otherwise. It is read as what it is, and says so."""
    from knowledge.formats import decode_bytes, parse_bytes

    ru = "id;lang;question;answer;tags\r\nprice;ru;Сколько стоит доставка?;Дёшево: 299 ₽;\r\n"
    ru += 'price;en;How much is delivery?;Cheap;"delivery;money"\r\n'
    [entry] = parse_bytes(ru.replace("₽", "руб.").encode("cp1251"), "csv", "kb.csv")
    assert entry == Entry(
        "price",
        ["Сколько стоит доставка?", "How much is delivery?"],
        {"ru": "Дёшево: 299 руб.", "en": "Cheap"},
        ["delivery", "money"],
    )
    assert decode_bytes(ru.replace("₽", "руб.").encode("cp1251"))[1] == "cp1251"

    pl = "id;lang;question;answer;tags\r\nprice;pl;Ile kosztuje dostawa?;Dostawa: 15 zł;\r\n"
    pl += "price;pl;Ile płacę za przesyłkę?;;\r\n"
    [entry] = parse_bytes(pl.encode("cp1250"), "csv", "kb.csv")
    assert entry.answers == {"pl": "Dostawa: 15 zł"}
    assert entry.questions == ["Ile kosztuje dostawa?", "Ile płacę za przesyłkę?"]
    assert decode_bytes(pl.encode("cp1250"))[1] == "cp1250"
    # UTF-8, with or without Excel's byte-order mark, is still read as UTF-8
    assert decode_bytes(ru.encode("utf-8-sig")) == (ru, None)
    assert decode_bytes(pl.encode("utf-8")) == (pl, None)


def test_a_question_mark_inside_brackets_is_explained() -> None:
    """'questions: [Where is my order?]' - the way anyone writes a question in a list - was
    refused as "not valid YAML (expected ',' or ']', but got '?')"; YAML ends a text at a
    '?' inside [ ] or { }, and the error now says so and how to write it."""
    text = (
        "entries:\n"
        "  - id: tracking\n"
        "    questions: [Where is my order?, How do I track it?]\n"
        "    answers: {en: In your account.}\n"
    )
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml")
    [problem] = err.value.errors
    assert problem.startswith("line 3:"), problem
    assert "quotes" in problem and '"Where is my order?"' in problem, problem


def test_a_json_file_with_a_list_of_entries_is_read() -> None:
    """A .json file holding one JSON list of entries (what most tools write, pretty-printed)
    was read as JSONL: 'line 1: not valid JSON (Expecting value)' for each line of brackets,
    or 'entry 1: an entry must be a mapping' when on one line. It is read, and a mistake in
    it names its entry."""
    import json

    entries = [
        {"id": "a", "questions": ["Price?"], "answers": {"en": "Cheap."}},
        {"id": "b", "questions": ["Open?"], "answers": {"en": "Always."}, "tags": ["hours"]},
    ]
    for text in (json.dumps(entries, indent=2), json.dumps({"entries": entries})):
        assert parse_text(text, "jsonl", "kb.json") == [
            Entry("a", ["Price?"], {"en": "Cheap."}),
            Entry("b", ["Open?"], {"en": "Always."}, ["hours"]),
        ]
    entries[1]["answer"] = entries[1].pop("answers")
    with pytest.raises(KbFormatError) as err:
        parse_text(json.dumps(entries, indent=2), "jsonl", "kb.json")
    assert any("entry 2 ('b'): unknown key 'answer'" in e for e in err.value.errors), err.value


@pytest.mark.parametrize("empty", ["null", "~", "Null", "NULL"])
def test_a_yaml_null_answer_is_not_stored_as_the_word(empty: str) -> None:
    # 'pl: null' (or '~') meant "no Polish answer yet": it was imported as the answer text,
    # and a Polish customer was sent the word 'null' or '~'
    text = (
        f"entries:\n  - id: a\n    questions: [q]\n    answers:\n      en: x\n      pl: {empty}\n"
    )
    with pytest.raises(KbFormatError, match="line 2, entry 1 \\('a'\\): answer 'pl' is empty"):
        parse_text(text, "yaml")
    # quoted, it is a text like any other (and that is how export writes such a text)
    quoted = text.replace(f"pl: {empty}", f"pl: '{empty}'")
    assert parse_text(quoted, "yaml")[0].answers == {"en": "x", "pl": empty}
    assert (
        parse_text(dump_text(parse_text(quoted, "yaml"), "yaml"), "yaml")[0].answers["pl"] == empty
    )


def test_a_key_twice_in_a_jsonl_line_is_an_error_as_in_yaml() -> None:
    # the first 'en' answer was dropped without a word (YAML has always said so)
    text = (
        '{"id": "a", "questions": ["q"], "answers": {"en": "x"}}\n'
        '{"id": "b", "questions": ["q"], "answers": {"en": "First.", "en": "Second."}}\n'
    )
    with pytest.raises(KbFormatError, match="line 2: key 'en' appears twice") as info:
        parse_text(text, "jsonl")
    assert len(info.value.errors) == 1


def test_a_csv_with_windows_line_breaks_inside_an_answer_reads_plain_lines() -> None:
    """A two-line answer typed in a CSV in Notepad (Windows line breaks, '\\r\\n', inside the
    quotes as between the rows) was stored with '\\r\\n': the admin's '📝 YAML' then showed
    it as "Верните в течение 14 дней.\\r\\nНужен чек." in quotes, escapes and all, and the
    exported files carried it on. The answer now has plain line breaks, as in YAML."""
    from knowledge.formats import parse_bytes

    data = (
        "\ufeffid,lang,question,answer,tags\r\n"
        'returns,ru,Как вернуть?,"Верните в течение 14 дней.\r\nНужен чек.",\r\n'
    ).encode()
    [entry] = parse_bytes(data, "csv", "kb.csv")
    assert entry.answers == {"ru": "Верните в течение 14 дней.\nНужен чек."}
    assert "ru: |-\n" in dump_text([entry], "yaml"), dump_text([entry], "yaml")


def test_a_files_mistakes_are_said_in_the_admins_language() -> None:
    """A Russian or Polish admin who sent a file with a mistake read 'Ничего не загружено: 1
    ошибка в kb.csv' and then the mistake itself in English ('line 3, entry 'franchise': no
    answer in any language ...'). Each mistake, with its place, is said in the admin's
    language; the English (the CLI's) stays as it was."""
    from bot.dialogs.texts import Texts, catalogue
    from bot.handlers.admin_kb import _short
    from knowledge.formats import MESSAGES, say
    from knowledge.service import KnowledgeError

    for key, english in MESSAGES.items():  # one English, whoever says it
        assert catalogue("en")[key] == [english], key
        for lang in ("ru", "pl"):
            assert key in catalogue(lang), (lang, key)

    bad = "id,lang,question,answer,tags\nok,en,Hi?,Hello,\nfranchise,en,Do you sell franchises?,,\n"
    bad += "Bad Id,xx1,Q?,A,\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(bad, "csv", "kb.csv")
    english = [say(e, Texts("en")) for e in err.value.errors]
    assert english == [str(e) for e in err.value.errors]
    assert english[0].startswith("line 4, entry 'Bad Id': bad id 'Bad Id'"), english
    ru = [say(e, Texts("ru")) for e in err.value.errors]
    assert ru == [
        "строка 4, запись 'Bad Id': неподходящий id 'Bad Id': только строчные латинские буквы, "
        "цифры, '_' и '-' ([a-z0-9_-]+, не длиннее 128 символов)",
        "строка 4, запись 'Bad Id': неверный код языка 'xx1' (например, ru, en, pl)",
        "строка 3, запись 'franchise': нет ответа ни на одном языке (заполните 'answer' в "
        "одной строке для каждого языка)",
    ], ru
    pl = say(err.value.errors[2], Texts("pl"))
    assert pl.startswith("wiersz 3, wpis 'franchise': brak odpowiedzi"), pl

    # nested places and lists of problems are said in the language too
    dup = '{"id": "a", "questions": ["q"], "answers": {"en": "x"}}\n' * 2
    with pytest.raises(KbFormatError) as err:
        parse_text(dup, "jsonl")
    [problem] = err.value.errors
    assert say(problem, Texts("ru")) == (
        "строка 2, запись 2 ('a'): id 'a' повторяется (впервые: строка 1, запись 1)"
    )
    with pytest.raises(KbFormatError) as err:
        parse_text("id,lang,question,colour,size\n", "csv")
    assert say(err.value.errors[0], Texts("pl")) == (
        "wiersz 1: nieprawidłowy nagłówek (nieznane kolumny: 'colour', 'size'; brak kolumn: "
        "'answer'); potrzebny id,lang,question,answer,tags"
    )
    # an entry typed in the chat: its mistakes, and what cannot be done, alike
    with pytest.raises(KbFormatError) as err:
        validate_one(Entry("Доставка", ["Q?"], {"ru": "A"}))
    assert _short(err.value, Texts("ru")).startswith("неподходящий id 'Доставка': только")
    from knowledge.formats import Text

    taken = KnowledgeError(Text("kb_id_taken", id="delivery"))
    assert str(taken) == "an entry with id 'delivery' already exists"
    assert _short(taken, Texts("pl")) == "wpis o id 'delivery' już istnieje"


def test_a_table_excel_saved_as_text_is_read(tmp_path: Path) -> None:
    """Excel's 'Unicode text' (UTF-16, tabs) and 'Text (tab delimited)' are saved as .txt,
    and a .txt was refused as an unknown file type before it was read: the UTF-16 support
    was out of reach unless the admin renamed the file. A .txt holding a knowledge table
    (or YAML, or JSONL) is read as what it holds; any other .txt says what it should hold."""
    from knowledge.formats import file_format, load_file, parse_bytes

    rows = (
        "id\tlang\tquestion\tanswer\ttags\r\ndelivery\tru\tСколько стоит доставка?\t299 руб\t\r\n"
    )
    expected = [Entry("delivery", ["Сколько стоит доставка?"], {"ru": "299 руб"})]
    for data in (rows.encode("utf-16"), rows.encode("cp1251"), rows.encode("utf-8")):
        path = tmp_path / "kb.txt"
        path.write_bytes(data)
        assert load_file(path) == expected
        assert parse_bytes(data, file_format("База.TXT", data)) == expected
    yaml_text = "entries:\n  - id: a\n    questions: [Hi]\n    answers: {en: Hello}\n"
    assert file_format("kb.txt", yaml_text.encode()) == "yaml"
    jsonl = '{"id": "a", "questions": ["Hi"], "answers": {"en": "Hello"}}\n'
    assert file_format("kb.txt", jsonl.encode()) == "jsonl"
    with pytest.raises(KbFormatError) as err:
        file_format("notes.txt", b"Shopping list: milk, bread")
    assert "id,lang,question,answer,tags" in err.value.errors[0], err.value.errors
    with pytest.raises(KbFormatError):  # other types are still refused by their name
        file_format("kb.docx", b"PK")


def test_a_json_file_written_over_several_lines_is_read_or_its_mistake_named() -> None:
    """One entry written as pretty JSON (as an editor saves it) was refused with five
    mistakes, one per line ('line 1: not valid JSON', 'line 2: ... Extra data'), and a list
    with a comma after its last item (the usual slip when one deletes an entry) likewise.
    The entry is read; the broken list is one mistake, where the comma is, said plainly."""
    one = '{\n  "id": "a",\n  "questions": ["Hi?"],\n  "answers": {"en": "Hello"}\n}\n'
    assert parse_text(one, "jsonl") == [Entry("a", ["Hi?"], {"en": "Hello"})]
    comma = '\n[\n  {"id": "a", "questions": ["Hi?"], "answers": {"en": "Hello"}},\n]\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(comma, "jsonl")
    assert err.value.errors == [
        "line 3: the comma after the last item (before ']') is one too many in JSON; remove it"
    ]
    broken = '[\n  {"id": "a", "questions": ["Hi?"] "answers": {"en": "Hello"}}\n]\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(broken, "jsonl")
    assert err.value.errors == ["line 2: not valid JSON (Expecting ',' delimiter)"]
    # JSONL stays JSONL: each broken line is named
    lines = '{"id": "a", "questions": ["Hi?"], "answers": {"en": "Hello"}}\n{"id": "b",\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(lines, "jsonl")
    assert err.value.errors == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_a_language_code_in_capitals_is_read() -> None:
    """'RU' or 'Pl' in the lang column (typed so, or capitalised by a spreadsheet's
    autocorrect) refused the whole file with "bad language code 'RU'"; it is 'ru'."""
    rows = "id;lang;question;answer;tags\nprice;RU;Цена?;299 ₽;\nprice;Pl;Cena?;15 zł;\n"
    [entry] = parse_text(rows, "csv")
    assert entry.answers == {"ru": "299 ₽", "pl": "15 zł"}
    assert entry.langs_for_questions() == ["ru", "pl"]
    yaml_text = "entries:\n  - id: price\n    questions: [Цена]\n    answers: {RU: 299 ₽}\n"
    assert parse_text(yaml_text, "yaml")[0].answers == {"ru": "299 ₽"}


def test_a_utf8_file_with_a_broken_byte_is_not_read_as_a_code_page() -> None:
    """A UTF-8 file with one broken byte (a letter cut in half by an editor) was read as
    Windows-1251, once that was accepted: every Russian letter came in as mojibake
    ('Р”РѕСЃС‚Р°РІРєР°') with nothing said. It is refused with the line of the broken byte."""
    from knowledge.formats import parse_bytes

    rows = "id,lang,question,answer,tags\nprice,ru,Сколько стоит доставка?,Доставка 299 руб,\n"
    data = rows.encode("utf-8") + "price,ru,Цена?,,\n".encode()[:-6] + b"\xd0,,\n"
    with pytest.raises(KbFormatError) as err:
        parse_bytes(data, "csv", "kb.csv")
    [problem] = err.value.errors
    assert problem.startswith("line 3: not UTF-8 text"), problem


def test_a_yaml_indented_with_tabs_says_so_in_plain_words() -> None:
    """A YAML file indented with tabs (Notepad's Tab key) was refused with PyYAML's
    "not valid YAML (found character '\\t' that cannot start any token)", in English even
    for a Russian admin; it now says that a tab is on that line and to indent with spaces."""
    from bot.dialogs.texts import Texts

    text = "entries:\n\t- id: a\n\t  questions:\n\t    - Hi\n\t  answers:\n\t    en: Hello\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml")
    [problem] = err.value.errors
    assert problem.startswith("line 2:") and "tab" in problem and "spaces" in problem, problem
    assert "cannot start any token" not in problem
    said = say(problem, Texts("ru"))
    assert "табуляц" in said and "пробел" in said, said


def test_an_entry_is_one_line_in_the_lists_whatever_its_question() -> None:
    """A question written over two lines in YAML ('|' or a pasted line break) made the
    entry two lines in `supportbot kb list` (its 'one line per entry' broken, the columns
    out of step) and in /kb_list; its title is the question on one line."""
    text = (
        "entries:\n"
        "  - id: sizes\n"
        "    questions:\n"
        "      - |\n"
        "        Do you have\n"
        "        size XL?\tAnd XXL?\n"
        "    answers:\n"
        "      en: Yes.\n"
    )
    [entry] = parse_text(text, "yaml")
    assert entry.questions == ["Do you have\nsize XL?\tAnd XXL?"]  # kept as written
    assert entry.title == "Do you have size XL? And XXL?"


def test_a_yaml_text_that_needs_quotes_says_how_to_write_it() -> None:
    """'ru: Часы работы: 9–21' (a second ': ') and a question starting with '*' or '@'
    were refused with PyYAML's 'mapping values are not allowed here' and 'expected
    alphabetic or numeric character, but found '*'', in English for every admin; the error
    now says the text needs quotes and shows the line written right, in their language."""
    from bot.dialogs.texts import Texts

    def problem(line: str) -> str:
        text = f"entries:\n  - id: hours\n    questions:\n      - {line}\n    answers:\n"
        with pytest.raises(KbFormatError) as err:
            parse_text(text + "      ru: Часы работы: 9–21, без выходных\n", "yaml")
        return err.value.errors[0]

    said = problem("Когда вы работаете?")
    assert said.startswith("line 6:") and 'write ru: "Часы работы: 9–21, без выходных"' in said
    ru = say(said, Texts("ru"))
    assert "кавычки" in ru and 'ru: "Часы работы: 9–21, без выходных"' in ru, ru
    for start in ("*new* arrivals?", "@shop, are you open?"):
        said = problem(start)
        assert said.startswith("line 4:") and f'write - "{start}"' in said, said
        assert repr(start[0]) in said, said


def test_a_hash_in_an_unquoted_yaml_text_is_not_silently_cut_off() -> None:
    """'en: Call us on hotline #1, or write to #shop' was imported as 'Call us on hotline'
    without a word: YAML takes ' #' for the start of a comment. The file is refused with
    the line and what would be lost; a real comment ('# optional') stays a comment, and a
    quoted text keeps its '#'."""
    from bot.dialogs.texts import Texts

    text = (
        "entries:\n"
        "  - id: hotline            # unique\n"
        "    questions:\n"
        "      - Phone? # ask Olga\n"
        "    answers:\n"
        "      en: Call us on hotline #1, or write to #shop\n"
    )
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml")
    [problem] = err.value.errors
    assert problem.startswith("line 6:") and "'#1, or write to #shop'" in problem, problem
    assert "quotes" in problem and "'Call us on hotline'" in problem, problem
    assert "кавычки" in say(problem, Texts("ru"))
    quoted = text.replace("en: Call us on hotline #1, or write to #shop", 'en: "Call #1"')
    [entry] = parse_text(quoted, "yaml")
    assert entry.answers == {"en": "Call #1"} and entry.questions == ["Phone?"]


def test_a_question_with_a_colon_is_explained_not_called_empty() -> None:
    """'- Hours: when are you open?' in a YAML list of questions was refused as 'question 1
    is empty or not a string', though it is right there; YAML read 'Hours' as a key. The
    error says so and shows the question in quotes."""
    text = (
        "entries:\n  - id: hours\n    questions:\n      - Hours: when are you open?\n"
        "      - When do you open?\n    answers:\n      en: 9 to 21.\n"
    )
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml")
    [problem] = err.value.errors
    assert "question 1 has ': '" in problem and '- "Hours: when are you open?"' in problem
    assert "empty" not in problem, problem


def test_a_spreadsheet_on_the_command_line_is_told_how_to_save_it() -> None:
    """'supportbot kb import kb.xlsx' said only "unknown file type '.xlsx'", where the
    Telegram chat explains how to save the sheet as CSV; the command line says it too."""
    with pytest.raises(KbFormatError) as err:
        load_file("kb.xlsx")
    [said] = err.value.errors
    assert "'.xlsx'" in said and "CSV UTF-8" in said, said
    with pytest.raises(KbFormatError) as err:
        load_file("kb.txt.bak")
    assert "CSV UTF-8" not in err.value.errors[0]


def test_a_jsonl_files_json_mistakes_are_said_in_the_admins_language() -> None:
    """A Russian or Polish admin's JSONL with a missing comma read 'строка 2: ошибка в JSON
    (Expecting ',' delimiter)': Python's English inside the Russian. What JSON found wrong is
    said in the admin's language too; the command line's English stays as it was."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import say

    good = '{"id": "a", "questions": ["q"], "answers": {"en": "x"}}\n'
    broken = good + '{"id": "b" "questions": ["q"], "answers": {"en": "x"}}\n'
    broken += '{"id": "c", "questions": ["q"], "answers": {"en": "x"},}\n'
    broken += '{"id": "d", "questions": ["q"], "answers": {"en": "x"}} {}\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(broken, "jsonl", "kb.jsonl")
    assert err.value.errors == [
        "line 2: not valid JSON (Expecting ',' delimiter)",
        "line 3: not valid JSON (Expecting property name enclosed in double quotes)",
        "line 4: not valid JSON (Extra data)",
    ]
    ru = [say(e, Texts("ru")) for e in err.value.errors]
    assert ru[0].startswith("строка 2: ошибка в JSON (не хватает запятой"), ru
    assert "запятая перед } лишняя" in ru[1] and "по одной записи в строке" in ru[2], ru
    assert not any("Expecting" in line or "Extra data" in line for line in ru), ru
    pl = [say(e, Texts("pl")) for e in err.value.errors]
    assert "brakuje przecinka" in pl[0] and "Expecting" not in pl[0], pl


@pytest.mark.parametrize(
    ("line", "english", "russian"),
    [
        (  # YAML read '!important' as a tag and kept 'read this' without a word
            "en: !important read this",
            """line 6: a text starting with '!' needs quotes: YAML reads '!important' as """
            """markup and would drop it without a word; write en: "!important read this\"""",
            "текст, который начинается с '!', нужно взять в кавычки",
        ),
        (  # '&a' an anchor: 'Here' kept alone
            "en: &a Here",
            """line 6: a text starting with '&' needs quotes: YAML reads '&a' as markup and """
            """would drop it without a word; write en: "&a Here\"""",
            "молча отбросит",
        ),
        (
            "en: > 18 only",
            """line 6: a text starting with '>' needs quotes, or YAML takes it for markup: """
            """write en: "> 18 only\"""",
            "нужно взять в кавычки",
        ),
        (
            'en: "Hi" she said',
            """line 6: the text starts with " and YAML ends it at the next ": put the whole """
            """text in the other quotes, write en: '"Hi" she said'""",
            "возьмите весь текст в другие кавычки",
        ),
        (
            "en: {name} here",
            """line 6: a text starting with '{' needs quotes, or YAML takes it for markup: """
            """write en: "{name} here\"""",
            "нужно взять в кавычки",
        ),
        (
            "en:Here.",
            """line 2, entry 1 ('a'): 'answers' holds 'en:Here.': YAML needs a space after """
            """the ':' of the language, write en: Here.""",
            "нужен пробел",
        ),
    ],
)
def test_a_yaml_text_written_without_the_right_quotes_is_named_in_plain_words(
    line: str, english: str, russian: str
) -> None:
    """An answer written 'en: !important read this' was imported as 'read this' without a
    word, '&a Here' as 'Here'; 'en: > 18 only', 'en: "Hi" she said', 'en: {name} here'
    were refused in PyYAML's words ('expected <block end>, but found '<scalar>''), in English
    for every admin, and 'en:Here.' as ''answers' must map a language code...'. Each is
    refused with the line written right, in the admin's language."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import say

    text = f"entries:\n  - id: a\n    questions:\n      - Where?\n    answers:\n      {line}\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    assert err.value.errors == [english]
    ru = say(err.value.errors[0], Texts("ru"))
    assert russian in ru and "expected" not in ru, ru


def test_a_quote_left_open_or_a_line_out_of_step_is_named_where_it_is() -> None:
    """A text whose quote was never closed was refused at the file's last line with 'found
    unexpected end of stream', and a line indented one space off with 'expected <block
    end>, but found '<block mapping start>''; they name the line and the mistake."""
    text = 'entries:\n  - id: a\n    questions:\n      - "Where is my order?\n    answers:\n      en: Here.\n'
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    assert err.value.errors == [
        'line 4: the text that starts with " here is never closed: end it with " on its line'
    ]
    text = "entries:\n  - id: a\n    questions:\n      - Where?\n   answers:\n      en: Here.\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    assert err.value.errors[0].startswith("line 5: this line is indented differently"), err


def test_an_answers_key_with_nothing_under_it_is_not_called_missing() -> None:
    """'answers:' written with the answers not indented under it was refused as "missing
    'answers'" beside "unknown key 'en'", though 'answers' is right there; it says that it
    is empty, nothing written (or indented) under it."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import say

    text = "entries:\n  - id: a\n    questions:\n      - Where?\n    answers:\n    en: Here.\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    said = "\n".join(err.value.errors)
    assert "'answers' is empty: nothing is written (or indented) under it" in said, said
    assert "missing 'answers'" not in said, said
    ru = "\n".join(say(e, Texts("ru")) for e in err.value.errors)
    assert "поле 'answers' пустое" in ru, ru


def test_yamls_own_words_are_said_in_the_admins_language() -> None:
    """A multi-line answer written under 'en: |' without its indent was refused to a Russian
    admin as 'строка 7: ошибка в YAML (could not find expected ':')', PyYAML's English in
    the Russian; it is said in Russian (the command line keeps the English)."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import say

    text = "entries:\n  - id: a\n    questions:\n      - Where?\n    answers:\n      en: |\n      Here.\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    assert err.value.errors == ["line 8: not valid YAML (could not find expected ':')"]
    ru = say(err.value.errors[0], Texts("ru"))
    assert ru.startswith("строка 8: ошибка в YAML (YAML ждёт здесь «ключ: значение»"), ru


RARE_YAML_MISTAKES = [
    # (what the admin wrote, the line YAML stops at, a word the Russian says)
    ("    questions: [Where, when\n    answers:\n      en: Here\n", 4, "«[» на строке 3"),
    ("    questions: [x]\n    answers: {en: Here\n", 5, "«{» на строке 4"),
    ("    questions: [x]\n    answers:\n      en: Here\n    - id: b\n", 6, "отступ"),
    ("    questions: [a, b]]\n    answers:\n      en: Here\n", 3, "]"),
    ('    questions:\n      - "C:\\users"\n    answers:\n      en: Here\n', 4, "- 'C:\\users'"),
    ('    questions:\n      - "Where\\q"\n    answers:\n      en: Here\n', 4, "обратная косая"),
    ("    questions: [x]\n    answers: {en: y}\n---\nentries:\n  - id: b\n", 5, "---"),
    ("    questions: [x]\n    answers:\n      en: |x\n        Here\n", 5, "|"),
    ("    questions: [x]\n    answers:\n      en: | Here is\n        more\n", 5, "|"),
    ("     questions:\n      - Where?\n    answers:\n      en: Here\n", 3, "отступ"),
    ("    questions: [x]\n    answers: en: Here\n", 4, "под «answers:»"),
    ("    questions: - Where?\n    answers:\n      en: Here\n", 3, "- "),
    ("    questions:\n      - *where\n    answers:\n      en: Here\n", 4, "кавычки"),
    ('    questions: ["Where, x]\n    answers:\n      en: Here\n', 3, "нигде не закрыт"),
    ('    questions: [x]\n    answers:\n      en: "Here\n---\n', 5, "нигде не закрыт"),
    ("    questions: [x]\n    answers:\n      en: Here\x07 we are\n", 5, "символ"),
]


@pytest.mark.parametrize(("body", "line", "word"), RARE_YAML_MISTAKES)
def test_rarer_yaml_mistakes_are_said_in_the_admins_language(
    body: str, line: int, word: str
) -> None:
    """An unclosed '[' or '{', a '- ' indented out of step, a stray ']', a backslash in
    double quotes, a second '---' document, 'en: |x', a key indented one space too far,
    'answers: en: ...', 'questions: - ...', a text starting with '*', a quote never closed
    in [ ], a control character pasted in: a Russian or Polish admin read PyYAML's English
    ('ошибка в YAML (expected ',' or ']', but got ':')', 'found undefined alias', 'but found
    another document'), some advice was wrong ('write "questions:"' for a key indented too
    far) and a control character crashed the import. Each is said in the admin's language,
    at its line, in plain words; the command line keeps saying 'not valid YAML'."""
    from bot.dialogs.texts import Texts

    text = "entries:\n  - id: a\n" + body
    with pytest.raises(KbFormatError) as err:
        parse_text(text, "yaml", "kb.yaml")
    [problem] = err.value.errors
    assert problem.startswith(f"line {line}:"), problem
    english = re.compile(r"expected|found|but got|alias|escape|document|stream|indicator")
    for lang, at in (("ru", "строка"), ("pl", "wiersz")):
        said = say(problem, Texts(lang))
        assert said.startswith(f"{at} {line}:"), said
        assert not english.search(said), said
    assert word in say(problem, Texts("ru")), say(problem, Texts("ru"))
    assert 'write "questions:"' not in problem, problem


def test_two_entries_lists_in_one_file_are_not_half_imported() -> None:
    """Two exports pasted into one file (each with its own 'entries:') imported only the
    second list: the first one's entries were dropped without a word. The second
    'entries:' is named, at its line, and nothing is imported."""
    from bot.dialogs.texts import Texts

    one = "entries:\n  - id: a\n    questions: [Where]\n    answers: {en: Here.}\n"
    two = "entries:\n  - id: b\n    questions: [When]\n    answers: {en: Now.}\n"
    with pytest.raises(KbFormatError) as err:
        parse_text(one + two, "yaml", "kb.yaml")
    [problem] = err.value.errors
    assert problem == "line 5: key 'entries' appears twice", problem
    assert say(problem, Texts("ru")) == "строка 5: поле 'entries' указано дважды"


def _xlsx() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [_xlsx(), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)],  # .xlsx / .ods, old .xls
    ids=["xlsx", "xls"],
)
def test_a_workbook_renamed_to_csv_is_named_a_spreadsheet(data: bytes) -> None:
    """An Excel workbook renamed from .xlsx to .csv (or an old .xls) was read as a table:
    'bad header (unknown column(s) 'pk\\x03\\x04\\x14\\x00...'' with a screenful of bytes.
    It is named for what it is, with how to save a CSV from Excel."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import parse_bytes

    with pytest.raises(KbFormatError) as err:
        parse_bytes(data, "csv", "kb.csv")
    [problem] = err.value.errors
    assert "spreadsheet" in problem and "CSV UTF-8" in problem, problem
    assert "\\x" not in problem
    assert "CSV UTF-8" in say(problem, Texts("ru")) and "таблиц" in say(problem, Texts("ru"))


def test_excels_sep_line_and_a_utf16_file_without_its_mark_are_read() -> None:
    """A CSV that starts with Excel's 'sep=;' line (which tells Excel the separator) was
    refused: 'bad header (unknown column(s) 'sep=')'; a UTF-16 table without its byte-order
    mark came out as 'i\\x00d\\x00' columns. Both are read."""
    from knowledge.formats import parse_bytes

    rows = "id;lang;question;answer;tags\r\nprice;ru;Сколько стоит?;299 ₽;\r\n"
    [entry] = parse_bytes(("sep=;\r\n" + rows).encode("utf-8-sig"), "csv", "kb.csv")
    assert entry.answers == {"ru": "299 ₽"}
    bad = "sep=;\r\n" + rows + "Bad Id;ru;Q?;A;\r\n"
    with pytest.raises(KbFormatError) as err:
        parse_bytes(bad.encode("utf-8"), "csv", "kb.csv")
    assert err.value.errors[0].startswith("line 4"), err.value.errors  # the file's own lines
    for encoding in ("utf-16-le", "utf-16-be"):
        [entry] = parse_bytes(rows.replace(";", "\t").encode(encoding), "csv", "kb.txt")
        assert entry.questions == ["Сколько стоит?"], encoding


@pytest.mark.parametrize(
    ("fmt", "data", "where"),
    [
        (
            "csv",
            "id,lang,question,answer,tags\nhours,en,When are you open?,9 to 5,\n"
            "price,en,How much?,10\x00 EUR,\n",
            "line 3, entry 'price'",
        ),
        (
            "jsonl",
            '{"id": "hours", "questions": ["When?"], "answers": {"en": "9 to 5"}}\n'
            '{"id": "price", "questions": ["How much\\u0007?"], "answers": {"en": "10"}}\n',
            "line 2, entry 2 ('price')",
        ),
        (
            "jsonl",
            '[{"id": "hours", "questions": ["When?"], "answers": {"en": "9\\u000b to 5"}}]',
            "entry 1 ('hours')",
        ),
    ],
    ids=["csv-nul", "jsonl-bell", "json-vertical-tab"],
)
def test_a_control_character_in_a_csv_or_jsonl_is_refused_as_in_yaml(
    tmp_path: Path, fmt: str, data: str, where: str
) -> None:
    """A NUL or another control character in a CSV cell or a JSON string was imported and
    stored (an answer with an invisible character in it, a NUL PostgreSQL cannot keep), where
    YAML refuses it. 'supportbot kb import' and the Telegram upload now refuse it too, at its
    line or entry, with YAML's words in the admin's language."""
    from bot.dialogs.texts import Texts
    from knowledge.formats import parse_bytes

    path = tmp_path / ("kb.csv" if fmt == "csv" else "kb.jsonl")
    path.write_bytes(data.encode("utf-8"))
    with pytest.raises(KbFormatError) as err:  # the command line reads the file
        load_file(path)
    [problem] = err.value.errors
    assert problem.startswith(f"{where}: a character that has no place in a text"), problem
    with pytest.raises(KbFormatError) as err:  # the Telegram upload reads its bytes
        parse_bytes(data.encode("utf-8"), fmt, path.name)
    [problem] = err.value.errors
    ru = say(problem, Texts("ru"))
    assert "невидимый служебный символ" in ru, ru
    assert ru.startswith(("строка", "запись")), ru


SHARED = [
    Entry("delivery_cost", ["How much is shipping?", "Is delivery free?"], {"en": "299 RUB."}),
    Entry("franchise", ["Do you sell franchises?"], {"en": "No."}),
    Entry("shipping_price", ["Is there a fee?", "how much is  SHIPPING"], {"en": "300 RUB."}),
]


@pytest.mark.parametrize(
    ("fmt", "place", "first"),
    [
        ("yaml", "line 16, entry 'shipping_price'", "line 4"),
        ("jsonl", "line 3, entry 'shipping_price'", "line 1"),
        ("csv", "line 6, entry 'shipping_price'", "line 2"),
    ],
)
def test_two_entries_of_one_file_sharing_a_question_are_named(
    fmt: str, place: str, first: str
) -> None:
    """Two entries of one file with one question ('How much is shipping?' of delivery_cost,
    'how much is  SHIPPING' of shipping_price: the same question whatever the case, spaces
    or closing '?'): the file is valid (kb-format.md refuses only unknown keys, missing
    answers, duplicate ids and bad ids), and the shared question is named at the second
    one's line with the entry that has it first and where; in Russian and Polish too."""
    text = dump_text(SHARED, fmt)
    entries = parse_text(text, fmt, "kb." + fmt)
    assert [e.id for e in entries] == [e.id for e in SHARED]
    (said,) = shared_questions(entries)
    assert (
        f"{place}: \"how much is  SHIPPING\" is also a question of 'delivery_cost' ({first}) "
        "in this file (one question, one answer): keep it in one of the two" == str(said)
    ), said
    from bot.dialogs.texts import Texts

    ru = say(said, Texts("ru"))
    assert ru.startswith(place.replace("line", "строка").replace("entry", "запись")), ru
    assert "'delivery_cost'" in ru and "(на один вопрос — один ответ)" in ru, ru
    pl = say(said, Texts("pl"))
    assert "'delivery_cost'" in pl and "jedno pytanie, jedna odpowiedź" in pl, pl


def test_a_json_list_sharing_a_question_names_the_entries() -> None:
    """A JSON list (no lines to name): the entries by their number and id."""
    import json

    text = json.dumps([e.to_dict() for e in SHARED], ensure_ascii=False)
    (said,) = shared_questions(parse_text(text, "jsonl"))
    assert (
        "entry 3 ('shipping_price'): \"how much is  SHIPPING\" is also a question of "
        "'delivery_cost' (entry 1) in this file" in str(said)
    ), said


def test_one_entry_may_word_a_question_twice_and_different_questions_pass() -> None:
    """Only two entries sharing a question are named: 'Is there a fee' and 'Is there a
    fee for returns?' are two questions."""
    entries = [
        Entry("a", ["Is there a fee?"], {"en": "No."}),
        Entry("b", ["Is there a fee for returns?", "is there a fee for returns"], {"en": "No."}),
    ]
    for fmt in FORMATS:
        parsed = parse_text(dump_text(entries, fmt), fmt)
        assert parsed == entries
        assert shared_questions(parsed) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_question_an_entry_has_twice_is_kept_once_and_named_at_its_line(fmt: str) -> None:
    """One entry with one question twice ('How much is shipping?', 'how much is  SHIPPING':
    the same question whatever the case, spaces or closing '?') is no reason to refuse the
    file (kb-format.md): it is read, and it asks the question once, in its first wording;
    the repeat is named at its line. A CSV's question keeps its own language and line."""
    twice = Entry(
        "delivery_cost",
        ["How much is shipping?", "Сколько стоит доставка?", "how much is  SHIPPING", "Ile?"],
        {"en": "299 RUB.", "ru": "299 ₽.", "pl": "299 RUB."},
    )
    text = dump_text([twice, SHARED[1]], fmt)
    parsed = parse_text(text, fmt, "kb." + fmt)
    kept, (said,) = without_repeated_questions(parsed)
    assert kept[0].questions == ["How much is shipping?", "Сколько стоит доставка?", "Ile?"]
    assert kept[1] is parsed[1]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "how much is  SHIPPING" in t)
    assert str(said) == (
        f"line {line}, entry 'delivery_cost': \"how much is  SHIPPING\" is the same question "
        "as \"How much is shipping?\" (case, spaces and the closing '?' aside): kept once"
    )
    lines, langs = parsed[0].question_lines or [], parsed[0].question_langs
    assert kept[0].question_lines == [lines[i] for i in (0, 1, 3)]
    if langs is not None:
        assert kept[0].question_langs == [langs[i] for i in (0, 1, 3)] == ["en", "ru", "pl"]
    again = parse_text(dump_text(kept, fmt), fmt)  # what is exported reads back the same
    assert again == kept and without_repeated_questions(again)[1] == []


KB_FILES = sorted(
    [
        *DEMO.glob("shop.*"),
        *DEMO.glob("*_kb.yaml"),
        *(DEMO.parent / "data").rglob("*_kb.*"),
        *(DEMO.parents[1] / "benchmarks" / "data").glob("*_kb.*"),
    ]
)


def test_every_shipped_knowledge_file_still_imports() -> None:
    """The demo shop, the training shops and the benchmarks' knowledge files are valid,
    and none has two entries sharing a question."""
    assert len(KB_FILES) > 50
    refused = {}
    for path in KB_FILES:
        try:
            shared = shared_questions(load_file(path))
        except KbFormatError as exc:
            refused[str(path)] = exc.errors[:3]
        else:
            if shared:
                refused[str(path)] = shared[:3]
    assert not refused, refused
