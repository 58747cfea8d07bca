"""Knowledge-base files: parse and validate YAML / CSV / JSONL, and write them back.

The formats are described in ``shared/spec/kb-format.md``. Parsing never stops at the
first problem: it collects every error (naming the line and the entry) and raises one
:class:`KbFormatError`, so a file is accepted or rejected as a whole.

Round trip: ``parse(dump(entries, fmt), fmt) == entries`` for every format, and dumping
the parsed result of a dump gives the same bytes again. CSV remembers each question's
language (``Entry.question_langs``) so a CSV file comes back with the same ``lang`` column.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import string
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

FORMATS = ("yaml", "csv", "jsonl")
ENTRY_KEYS = ("id", "tags", "questions", "answers")
REQUIRED_KEYS = ("id", "questions", "answers")
CSV_HEADER = ("id", "lang", "question", "answer", "tags")
ID_RE = re.compile(r"^[a-z0-9_-]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
MAX_ID = 128
MAX_QUESTION = 1000
MAX_ANSWER = 4000  # one Telegram message
MAX_TAG = 64
MAX_ERRORS = 50

# The mistakes a file can have, in English. The admins' chat says them in the admin's
# language: each key is a text of the bot's catalogues, whose English is the same.
MESSAGES: dict[str, str | tuple[str, str]] = {
    "kb_at": "{where}: {problem}",
    "kb_both": "{first}; {second}",
    "kb_at_line": "line {line}",
    "kb_at_entry": "entry {index}",
    "kb_at_entry_id": "entry {index} ({id!r})",
    "kb_at_line_entry": "line {line}, entry {index}",
    "kb_at_line_entry_id": "line {line}, entry {index} ({id!r})",
    "kb_at_line_id": "line {line}, entry {id!r}",
    "kb_not_mapping": "an entry must be a mapping with id, questions, answers",
    "kb_broken_char": "{field!r} has a broken character (half of an emoji?); retype it",
    "kb_unknown_key": "unknown key {field!r} (allowed: {allowed})",
    "kb_missing_key": "missing {field!r}",
    "kb_empty_key": "{field!r} is empty: nothing is written (or indented) under it",
    "kb_id_not_string": "'id' must be a string",
    "kb_bad_id": "bad id {id!r}: use lowercase letters, digits, '_' and '-' only "
    "([a-z0-9_-]+, at most {max} characters)",
    "kb_questions_not_list": "'questions' must be a list of strings",
    "kb_question_empty": "question {i} is empty or not a string",
    "kb_question_long": "question {i} is longer than {max} characters",
    "kb_answers_no_space": "'answers' holds {text!r}: YAML needs a space after the ':' of "
    "the language, write {fixed}",
    "kb_answers_not_map": "'answers' must map a language code to the answer text "
    "(ru: ..., en: ...)",
    "kb_answers_bad_lang": "bad language code {lang!r} in 'answers' (like ru, en, pl)",
    "kb_answer_empty": "answer {lang!r} is empty or not a string",
    "kb_answer_long": "answer {lang!r} is longer than {max} characters",
    "kb_tags_not_list": "'tags' must be a list of strings",
    "kb_bad_tag": "bad tag {tag!r} (non-empty, no ';', at most {max} characters)",
    "kb_no_entries": "no entries in the file",
    "kb_duplicate_id": "duplicate id {id!r} (first at {at})",
    "kb_question_elsewhere": '"{question}" is already a question of {owner!r}, which this '
    "import keeps (one question, one answer): delete it here, or put {owner!r} in the file "
    "without it",
    "kb_question_twice": '"{question}" is also a question of {other!r} ({at}) in this file '
    "(one question, one answer): keep it in one of the two",
    "kb_alike_question": '"{question}" of {id!r} asks what "{other_question}" of {other!r} '
    "asks, in other words: customers get one answer or the other depending on how they ask "
    "(merge the two entries, or word the questions so they differ)",
    "kb_question_repeated": '"{question}" is the same question as "{kept}" (case, spaces and '
    "the closing '?' aside): kept once",
    "kb_key_not_string": "a key must be a plain string",
    "kb_key_twice": "key {field!r} appears twice",
    "kb_yaml_question_mark": "a '?' inside [ ] or {{ }} ends the text there: put the text in "
    'quotes ("{text}"), or write each item on a line of its own',
    "kb_not_yaml": "not valid YAML ({problem})",
    "kb_yaml_no_colon": "could not find expected ':'",
    "kb_yaml_no_key": "did not find expected key",
    "kb_yaml_no_dash": "did not find expected '-' indicator",
    "kb_yaml_unreadable": "{problem}",
    "kb_yaml_bad_char": "a character that has no place in a text ({code}), pasted from "
    "another program perhaps: delete it",
    "kb_yaml_unclosed_bracket": "the '{open}' on line {line} is never closed with '{close}': "
    "close it where its list ends, and put a text with ',' or ': ' in it in quotes",
    "kb_yaml_flow_text": "inside {open} {close} a text with ',' or ': ' in it needs quotes "
    '("..."), or write each item on a line of its own',
    "kb_yaml_stray_close": "this '{char}' closes nothing: remove it, or put the text in quotes",
    "kb_yaml_item_indent": (
        "this '- ' is indented differently from the list it belongs to ({n} space): the items "
        "of one list start under each other, a new entry's '- id:' under the first one's",
        "this '- ' is indented differently from the list it belongs to ({n} spaces): the items "
        "of one list start under each other, a new entry's '- id:' under the first one's",
    ),
    "kb_yaml_escape": "inside double quotes a backslash starts a special character, and "
    "{seq} is none: put the text in single quotes, write {fixed}",
    "kb_yaml_second_document": "'---' starts a second document here, and a knowledge file is "
    "one: remove the '---' and keep every entry under one 'entries:'",
    "kb_yaml_block_header": "after '{char}' nothing more goes on its line: the text starts on "
    "the next line, indented ({head} {char}, and the text below it)",
    "kb_yaml_dash_inline": "a list item '- ' cannot follow '{name}:' on its line: start it on "
    "the next line, indented under '{name}:'",
    "kb_yaml_answers_inline": "the answers go under 'answers:', each on a line of its own, "
    "indented 2 spaces more ({fixed})",
    "kb_yaml_colon_quotes": "a text with ': ' in it needs quotes, or YAML takes it for a "
    "key: write {fixed}",
    "kb_yaml_start_quotes": "a text starting with {char!r} needs quotes, or YAML takes it "
    "for markup: write {fixed}",
    "kb_yaml_lost_start": "a text starting with {char!r} needs quotes: YAML reads "
    "{start!r} as markup and would drop it without a word; write {fixed}",
    "kb_yaml_inner_quote": "the text starts with {quote} and YAML ends it at the next "
    "{quote}: put the whole text in the other quotes, write {fixed}",
    "kb_yaml_unclosed": "the text that starts with {quote} here is never closed: end it with "
    "{quote} on its line",
    "kb_yaml_indent": (
        "this line is indented differently from the lines above it ({n} space): the keys of "
        "one entry (id, questions, answers, tags) start under each other",
        "this line is indented differently from the lines above it ({n} spaces): the keys of "
        "one entry (id, questions, answers, tags) start under each other",
    ),
    "kb_yaml_hash": "' #' starts a comment in YAML: the text would end at {kept!r} and "
    "{lost!r} be lost; put the whole text in quotes",
    "kb_question_colon": "question {i} has ': ' in it, so YAML read it as a key and a value: "
    "put it in quotes, - {fixed}",
    "kb_yaml_tab": "a tab indents this line; YAML indents with spaces only (replace each tab "
    "with spaces, 2 per level)",
    "kb_yaml_empty": "the file is empty; expected 'entries:' with a list",
    "kb_yaml_top_key": "unknown top-level key {field!r} (expected 'entries')",
    "kb_yaml_no_entries": "missing top-level 'entries:' list",
    "kb_yaml_not_entries": "expected 'entries:' with a list of entries",
    "kb_yaml_entries_not_list": "'entries' must be a list of entries",
    "kb_not_json": "not valid JSON ({problem})",
    # Python's json messages, as the command line has always said them (English); the
    # admins' chat says them in the admin's language
    "kb_json_comma": "Expecting ',' delimiter",
    "kb_json_colon": "Expecting ':' delimiter",
    "kb_json_key_quotes": "Expecting property name enclosed in double quotes",
    "kb_json_value": "Expecting value",
    "kb_json_unterminated": "Unterminated string starting at",
    "kb_json_control": "Invalid control character at",
    "kb_json_extra": "Extra data",
    "kb_json_escape": "Invalid \\escape",
    "kb_json_u_escape": "Invalid \\uXXXX escape",
    "kb_json_last_comma": "the comma after the last item (before '{char}') is one too many "
    "in JSON; remove it",
    "kb_questions_not_strings": "questions must be strings",
    "kb_csv_empty": "the file is empty; expected the header id,lang,question,answer,tags",
    "kb_not_csv": "not valid CSV ({problem})",
    "kb_csv_header": "bad header ({problems}); expected {header}",
    "kb_csv_unknown_columns": "unknown column(s) {names}",
    "kb_csv_missing_columns": "missing column(s) {names}",
    "kb_csv_column_twice": "a column appears twice",
    "kb_csv_columns": "expected {expected} columns, found {found}",
    "kb_csv_missing_id": "missing id",
    "kb_csv_bad_lang": "bad language code {lang!r} (like ru, en, pl)",
    "kb_csv_empty_row": "a row needs a question or an answer",
    "kb_csv_question_long": "question longer than {max} characters",
    "kb_csv_answer_long": "answer longer than {max} characters",
    "kb_csv_tag_long": "a tag is longer than {max} characters",
    "kb_csv_rows_apart": "duplicate id {id!r} (its first rows start on line {line}; "
    "keep all rows of one entry together)",
    "kb_csv_second_answer": "a second, different {lang!r} answer (the first is on line "
    "{line}); leave 'answer' empty on the other rows",
    "kb_csv_no_answer": "no answer in any language (fill 'answer' on one row per language)",
    "kb_csv_no_question": "no question (each row's 'question' is a question variant)",
    "kb_not_utf8": "line {line}: not UTF-8 text (byte {byte} of the line); save the file "
    "as UTF-8 (in Excel: 'CSV UTF-8')",
    # what cannot be done with an entry typed in the chat
    "kb_id_taken": "an entry with id {id!r} already exists",
    "kb_id_taken_choose": "an entry {id!r} already exists; choose another id",
    "kb_no_deleted": "no deleted entry {id!r} in the history",
    "kb_no_entry": "no entry {id!r}",
    "kb_need_question": "at least one question is needed",
    "kb_no_customer_question": "no customer question to attach the reply to",
    # an operator's /kb_save whose id is near an existing entry's: which one is meant
    "kb_question_owned": '"{question}" is a question of {owner!r}, so it was not added as a '
    "second answer to it (one question, one answer): /kb_save {owner} adds your answer there "
    "in a language it has none in",
    "kb_save_similar_entry": "Not saved yet: there is already an entry '{near}' for a similar "
    'question ("{title}"). The same answer? /kb_save {near} adds the customer\'s question to '
    "it (its answer stays). Another topic? /kb_save {new} saves yours as a new entry.",
    "kb_save_id_near": "Not saved yet: there is no entry '{id}', but there is '{near}' "
    '("{title}"). Meant that one? /kb_save {near} adds the customer\'s question to it (its '
    "answer stays). A new entry? Choose an id less like '{near}'.",
    "kb_one_entry": "send exactly one entry",
    "kb_id_must_stay": "the id must stay {id!r}",
    "kb_undo_not_last": "{id!r} has been changed since; see /kb_history {id}",
    # a file that is no text, whatever its name ('faq.yaml' saved by Word): what it is
    "kb_spreadsheet_inside": "this is a spreadsheet workbook (Excel, LibreOffice), not a text "
    "file, though its name ends in {suffix}: open it in Excel and save it with File → Save As "
    "→ 'CSV UTF-8'",
    "kb_document_inside": "this is a text document (Word, PDF), not a knowledge file, though "
    "its name ends in {suffix}: put the questions and answers in a spreadsheet, one row per "
    "question (columns id, lang, question, answer, tags), and save it as 'CSV UTF-8' (in "
    "Excel: File → Save As); an export of the current knowledge base has that shape, to "
    "start from",
    "kb_archive_inside": "this is a zip archive, not a knowledge file, though its name ends "
    "in {suffix}: unpack it and import the .yaml, .csv or .jsonl file inside",
    "kb_txt_unknown": "a .txt file should hold a table with the header "
    "id,lang,question,answer,tags (Excel's 'Unicode text'), or YAML or JSONL",
}


def counted(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 entry', '2 entries': a count in English, for the command line."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


class Text(str):
    """A text in English (the string itself) that the admins' chat says in the admin's
    language: its catalogue ``key`` and ``fields`` (texts among them are said alike)."""

    key: str
    fields: dict[str, Any]

    def __new__(cls, key: str, /, **fields: Any) -> Text:
        said = MESSAGES[key]
        if isinstance(said, tuple):  # (one, other): the count is the first field
            count = fields[next(n for _, n, _, _ in string.Formatter().parse(said[1]) if n)]
            said = said[0] if count == 1 else said[1]
        self = super().__new__(cls, said.format(**fields))
        self.key, self.fields = key, fields
        return self


def say(text: str, texts: Callable[..., str]) -> str:
    """``text`` in the language of ``texts`` (the catalogue's renderer) when it is a
    :class:`Text`, else as it is."""
    if not isinstance(text, Text):
        return str(text)
    fields = {k: say(v, texts) if isinstance(v, Text) else v for k, v in text.fields.items()}
    return texts(text.key, **fields)


class KbFormatError(ValueError):
    """A knowledge file is invalid; ``errors`` lists every problem found (line / entry)."""

    def __init__(self, source: str, errors: Sequence[str], *, whole_file: bool = True) -> None:
        self.source = source
        self.errors = list(errors)
        if not whole_file:  # one entry typed in a chat: its problems, no file to speak of
            super().__init__("; ".join(self.errors[:MAX_ERRORS]))
            return
        shown = self.errors[:MAX_ERRORS]
        more = len(self.errors) - len(shown)
        lines = [
            f"{source}: invalid knowledge file, nothing imported ({counted(len(self.errors), 'error')}):"
        ]
        lines += [f"  - {e}" for e in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


@dataclass
class Entry:
    """One answer the bot can give, with the questions it answers."""

    id: str
    questions: list[str]
    answers: dict[str, str]
    tags: list[str] = field(default_factory=list)
    # Language of each question, known when it came from CSV (kept for an exact CSV
    # round trip); not part of equality.
    question_langs: list[str | None] | None = field(default=None, compare=False, repr=False)
    # Where the entry and each of its questions are in the file it was read from (lines;
    # None for a JSON list): a mistake found later, against the database, names them too.
    line: int | None = field(default=None, compare=False, repr=False)
    question_lines: list[int] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping (YAML / JSONL shape); ``tags`` only when there are any."""
        out: dict[str, Any] = {"id": self.id}
        if self.tags:
            out["tags"] = list(self.tags)
        out["questions"] = list(self.questions)
        out["answers"] = dict(self.answers)
        return out

    def answer_for(self, lang: str | None, order: Sequence[str] = ("en", "ru")) -> tuple[str, str]:
        """``(lang, text)`` in ``lang`` if the entry has it, else en, ru, then any."""
        for candidate in (lang, *order):
            if candidate and candidate in self.answers:
                return candidate, self.answers[candidate]
        first = next(iter(self.answers))
        return first, self.answers[first]

    @property
    def title(self) -> str:
        """A short human label: the first question, on one line (``kb list`` and /kb_list
        give an entry one line, whatever its question's line breaks and tabs)."""
        return " ".join(self.questions[0].split()) if self.questions else self.id

    def title_in(self, lang: str) -> str:
        """The title in ``lang``: its first question in that language, else :attr:`title`
        (an English admin's /kb_list showed "Сколько стоит доставка?")."""
        for question, said_in in zip(self.questions, self.langs_for_questions(), strict=True):
            if said_in == lang:
                return " ".join(question.split())
        return self.title

    def langs_for_questions(self) -> list[str]:
        """Each question's language (recorded from CSV, else detected)."""
        langs = list(self.question_langs or [])
        out = []
        for i, q in enumerate(self.questions):
            lang = langs[i] if i < len(langs) else None
            out.append(lang or guess_lang(q, self.answers))
        return out


def bad_id(entry_id: str) -> str | None:
    """Why ``entry_id`` is not a valid entry id, or None."""
    if ID_RE.match(entry_id) and len(entry_id) <= MAX_ID:
        return None
    return Text("kb_bad_id", id=entry_id, max=MAX_ID)


def guess_lang(text: str, answers: dict[str, str] | None = None) -> str:
    """Language of a question with no recorded language (for the CSV ``lang`` column)."""
    try:
        from bot.nlu.lang import detect_lang
    except ImportError:  # pragma: no cover - the detector ships with the bot
        detect_lang = _script_lang
    lang = detect_lang(text)
    if lang in ("ru", "en", "pl"):
        return lang
    if answers:
        return next(iter(answers))
    return "en"


def _script_lang(text: str) -> str:
    return "ru" if re.search(r"[\u0400-\u04ff]", text) else "en"


# --------------------------------------------------------------------------- validation
class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(Text("kb_at", where=where, problem=message))


def _line(line: int) -> Text:
    return Text("kb_at_line", line=line)


def _where(index: int, line: int | None, entry_id: Any = None) -> Text:
    named = isinstance(entry_id, str) and bool(entry_id)
    if line is None:
        if named:
            return Text("kb_at_entry_id", index=index, id=entry_id)
        return Text("kb_at_entry", index=index)
    if named:
        return Text("kb_at_line_entry_id", line=line, index=index, id=entry_id)
    return Text("kb_at_line_entry", line=line, index=index)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_broken_text(value: Any) -> bool:
    """A lone UTF-16 surrogate anywhere in the value: it cannot be stored or sent."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_broken_text(v) for v in value)
    if isinstance(value, dict):
        return any(_has_broken_text(k) or _has_broken_text(v) for k, v in value.items())
    return False


def bad_char(code: int) -> Text:
    """A character YAML refuses to read (a NUL, a bell, Excel's vertical tab), in the words
    the admin's language has for it; CSV and JSONL refuse the same ones."""
    return Text("kb_yaml_bad_char", code=f"U+{code:04X}")


def _first_bad_char(value: Any) -> int | None:
    """The first character in the value (its texts, keys too) YAML would not read: the
    control characters other than tab and line breaks (surrogates: :func:`_has_broken_text`)."""
    if isinstance(value, str):
        found = yaml.reader.Reader.NON_PRINTABLE.search(value)
        return ord(found.group()) if found is not None else None
    items = value if isinstance(value, list) else []
    if isinstance(value, dict):
        items = [x for pair in value.items() for x in pair]
    for item in items:
        if (code := _first_bad_char(item)) is not None:
            return code
    return None


def _clean_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip()
    return None


def validate_entry(
    raw: Any,
    index: int,
    line: int | None,
    errors: _Collector,
    *,
    key_lines: dict[str, int] | None = None,
) -> Entry | None:
    """Check one entry mapping (YAML / JSONL shape); return it cleaned, or None."""
    if not isinstance(raw, dict):
        errors.add(_where(index, line), Text("kb_not_mapping"))
        return None
    entry_id = raw.get("id")
    where = _where(index, line, entry_id)
    broken = [str(key) for key, value in raw.items() if _has_broken_text(value)]
    for key in broken:  # e.g. half of an emoji escaped in JSON ("\ud83d"): no UTF-8 for it
        errors.add(where, Text("kb_broken_char", field=key))
    if broken:
        return None
    if (code := _first_bad_char(raw)) is not None:  # '\u0000' in JSON: YAML refuses it
        errors.add(where, bad_char(code))
        return None
    ok = True
    for key in raw:
        if key not in ENTRY_KEYS:
            kl = (key_lines or {}).get(str(key))
            errors.add(
                _where(index, kl if kl is not None else line, entry_id),
                Text("kb_unknown_key", field=str(key), allowed=", ".join(ENTRY_KEYS)),
            )
            ok = False
    for key in REQUIRED_KEYS:
        if key not in raw:
            errors.add(where, Text("kb_missing_key", field=key))
            ok = False
        elif raw[key] in (None, "", [], {}):  # written, with nothing (indented) under it
            errors.add(where, Text("kb_empty_key", field=key))
            ok = False
    if not ok:
        return None

    clean_id = _clean_str(entry_id)
    if clean_id is None:
        errors.add(where, Text("kb_id_not_string"))
        ok = False
    elif (problem := bad_id(clean_id)) is not None:
        errors.add(where, problem)
        ok = False

    tags = _validate_tags(raw.get("tags"), where, errors)
    if tags is None:
        ok = False

    questions: list[str] = []
    raw_questions = raw["questions"]
    if isinstance(raw_questions, str):
        raw_questions = [raw_questions]
    if not isinstance(raw_questions, list):
        errors.add(where, Text("kb_questions_not_list"))
        ok = False
    else:
        for i, q in enumerate(raw_questions, start=1):
            text = _clean_str(q)
            if isinstance(q, dict) and len(q) == 1 and all(isinstance(v, str) for v in q.values()):
                # '- Hours: when are you open?': YAML read a key and its value
                said = next(f"{k}: {v}" for k, v in q.items())
                errors.add(
                    where,
                    Text("kb_question_colon", i=i, fixed=json.dumps(said, ensure_ascii=False)),
                )
                ok = False
            elif not text:
                errors.add(where, Text("kb_question_empty", i=i))
                ok = False
            elif len(text) > MAX_QUESTION:
                errors.add(where, Text("kb_question_long", i=i, max=MAX_QUESTION))
                ok = False
            else:
                questions.append(text)

    answers: dict[str, str] = {}
    raw_answers = raw["answers"]
    squeezed = re.match(r"([a-z]{2}):(\S.*)", raw_answers) if isinstance(raw_answers, str) else None
    if squeezed is not None:  # 'en:Here.': no space after ':', so YAML reads one text
        fixed = f"{squeezed[1]}: {squeezed[2]}"
        errors.add(where, Text("kb_answers_no_space", text=raw_answers[:60], fixed=fixed[:60]))
        ok = False
    elif not isinstance(raw_answers, dict):
        errors.add(where, Text("kb_answers_not_map"))
        ok = False
    else:
        for lang, text in raw_answers.items():
            code = _clean_str(lang)
            code = code.lower() if code else code  # 'RU', as a spreadsheet capitalises it
            clean = _clean_str(text)
            if code is None or not LANG_RE.match(code):
                errors.add(where, Text("kb_answers_bad_lang", lang=lang))
                ok = False
            elif not clean:
                errors.add(where, Text("kb_answer_empty", lang=code))
                ok = False
            elif len(clean) > MAX_ANSWER:
                errors.add(where, Text("kb_answer_long", lang=code, max=MAX_ANSWER))
                ok = False
            else:
                answers[code] = clean
    if not ok or clean_id is None or tags is None:
        return None
    return Entry(id=clean_id, questions=questions, answers=answers, tags=tags)


def validate_one(entry: Entry, source: str | None = None) -> Entry:
    """Validate one entry built in code (Telegram edits); raise :class:`KbFormatError`."""
    errors = _Collector()
    clean = validate_entry(entry.to_dict(), 1, None, errors)
    if clean is None:
        # the only entry: no need to say which
        problems = [e.fields["problem"] for e in errors.errors]
        raise KbFormatError(source or entry.id or "entry", problems, whole_file=False)
    return clean


def _validate_tags(raw: Any, where: str, errors: _Collector) -> list[str] | None:
    if raw is None or raw in ("", "~", "null"):
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        errors.add(where, Text("kb_tags_not_list"))
        return None
    tags: list[str] = []
    for tag in raw:
        text = _clean_str(tag)
        if not text or ";" in text or "\n" in text or len(text) > MAX_TAG:
            errors.add(where, Text("kb_bad_tag", tag=tag, max=MAX_TAG))
            return None
        if text not in tags:
            tags.append(text)
    return tags


def _joined(texts: list[Text]) -> Text:
    """Several texts said as one (``a; b; c``)."""
    out = texts[0]
    for text in texts[1:]:
        out = Text("kb_both", first=out, second=text)
    return out


def _finish(parsed: list[Any], errors: Any, source: Any) -> list[Any]:
    """The end of every parser: duplicate ids, then all errors at once, or the entries
    (two entries sharing a question are not an error here: :func:`shared_questions`)."""
    for entry, _, line in parsed:
        entry.line = line
        if entry.question_lines is None and line is not None:  # one line holds it all
            entry.question_lines = [line] * len(entry.questions)
    _check_duplicates(parsed, errors)
    if errors.errors:
        raise KbFormatError(source, errors.errors)
    if not parsed:
        raise KbFormatError(source, [Text("kb_no_entries")])
    return [e for e, _, _ in parsed]


def question_key(text: str) -> str:
    """A question as two wordings of it compare: case, spaces and the closing '?', '!'
    or '.' aside ('how much is SHIPPING' is 'How much is shipping?')."""
    return " ".join(text.casefold().split()).rstrip("?!.…¿¡ ").strip()


def shared_questions(entries: Sequence[Entry]) -> list[Text]:
    """Two entries of one file with one question (as :func:`question_key` compares them):
    two answers to it. Each later one at its line, naming the entry that has it first and
    where. Not a reason to refuse the file (kb-format.md): the command line imports it and
    warns; the Telegram upload shows them and lets the admin mend the file first."""
    found: list[Text] = []
    first: dict[str, tuple[Entry, int, int]] = {}
    for index, entry in enumerate(entries, start=1):
        for position, question in enumerate(entry.questions):
            key = question_key(question)
            if not key:
                continue
            had = first.setdefault(key, (entry, index, position))
            other, other_index, other_position = had
            if other.id == entry.id:  # the same entry
                continue
            lines = other.question_lines or []
            line = lines[other_position] if other_position < len(lines) else other.line
            at = _line(line) if line is not None else Text("kb_at_entry", index=other_index)
            shown = question if len(question) <= 200 else question[:199] + "…"
            problem = Text("kb_question_twice", question=shown, other=other.id, at=at)
            found.append(
                Text("kb_at", where=question_place(entry, index, position), problem=problem)
            )
    return found


def without_repeated_questions(entries: Sequence[Entry]) -> tuple[list[Entry], list[Text]]:
    """Each entry with a question it has twice (as :func:`question_key` compares them,
    'How much is shipping?' and 'how much is  SHIPPING') asking it once, in its first
    wording; and each wording left out, at its line. Not a reason to refuse a file
    (kb-format.md): the entry goes in without the repeat, and the admin is told."""
    kept_entries: list[Entry] = []
    dropped: list[Text] = []
    for index, entry in enumerate(entries, start=1):
        first: dict[str, str] = {}
        keep: list[int] = []
        for position, question in enumerate(entry.questions):
            key = question_key(question)
            if key and key in first:
                shown = question if len(question) <= 200 else question[:199] + "…"
                problem = Text("kb_question_repeated", question=shown, kept=first[key][:200])
                dropped.append(
                    Text("kb_at", where=question_place(entry, index, position), problem=problem)
                )
                continue
            first.setdefault(key, question)
            keep.append(position)
        if len(keep) < len(entry.questions):
            langs, lines = entry.question_langs, entry.question_lines
            entry = replace(
                entry,
                questions=[entry.questions[i] for i in keep],
                question_langs=[langs[i] for i in keep if i < len(langs)] if langs else langs,
                question_lines=[lines[i] for i in keep if i < len(lines)] if lines else lines,
            )
        kept_entries.append(entry)
    return kept_entries, dropped


def question_place(entry: Entry, index: int, position: int) -> Text:
    """Where question ``position`` of a file's ``index``-th entry is: its line (a CSV row,
    a YAML item, a JSONL line) when known, else the entry."""
    lines = entry.question_lines or []
    line = lines[position] if position < len(lines) else entry.line
    if line is None:
        return Text("kb_at_entry_id", index=index, id=entry.id)
    return Text("kb_at_line_id", line=line, id=entry.id)


def _check_duplicates(entries: list[tuple[Entry, int, int | None]], errors: _Collector) -> None:
    first: dict[str, tuple[int, int | None]] = {}
    for entry, index, line in entries:
        if entry.id in first:
            fi, fl = first[entry.id]
            at = _where(fi, fl)
            errors.add(_where(index, line, entry.id), Text("kb_duplicate_id", id=entry.id, at=at))
        else:
            first[entry.id] = (index, line)


# --------------------------------------------------------------------------- YAML
_YAML_NULLS = frozenset(("~", "null", "Null", "NULL"))


def _comment_after(node: yaml.ScalarNode) -> str | None:
    """'en: Call us #1 hotline': YAML ends an unquoted text at ' #' and drops the rest as a
    comment; the part dropped when it reads as part of the text ('#1 hotline', '#shop'),
    not a comment ('# optional', with a space after '#')."""
    mark = node.end_mark
    buffer = mark.buffer or ""
    end = buffer.find("\n", mark.pointer)
    rest = buffer[mark.pointer : end if end >= 0 else len(buffer)].rstrip("\0\r")
    found = re.match(r"\s+(#\S.*)", rest)
    return found[1].strip() if found else None


def _line_head(buffer: str, mark: Any) -> str:
    """What the line holds before ``mark`` ('en: ', '- '), indentation aside."""
    start = buffer.rfind("\n", 0, mark.pointer) + 1
    return buffer[start : mark.pointer].strip() + " "


def _markup_before(node: yaml.ScalarNode) -> Text | None:
    """'en: !important read this', '- &new arrivals?': YAML reads a leading '!word' as a
    tag and '&word' as an anchor and keeps only the rest of the text, without a word."""
    buffer = node.start_mark.buffer or ""
    source = buffer[node.start_mark.pointer : node.end_mark.pointer].split("\n", 1)[0]
    found = re.match(r"([&!](?!!)\S*)\s", source)
    if found is None or not node.value or source.strip() == node.value:
        return None
    fixed = _line_head(buffer, node.start_mark).lstrip() + json.dumps(
        source.strip(), ensure_ascii=False
    )
    return Text("kb_yaml_lost_start", char=found[1][0], start=found[1], fixed=fixed)


def _node_value(node: yaml.Node, errors: _Collector) -> Any:
    """Plain Python value of a node: every scalar is a string (no 'yes' -> True surprises),
    except an unquoted null (``pl: null``, ``pl: ~``): nothing, not the word."""
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in _YAML_NULLS:
            return None
        if node.style is None and (lost := _markup_before(node)):
            errors.add(_line(node.start_mark.line + 1), lost)
        if node.style is None and (lost := _comment_after(node)):
            errors.add(
                _line(node.end_mark.line + 1),
                Text("kb_yaml_hash", kept=node.value[-40:], lost=lost),
            )
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_node_value(n, errors) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            key = _node_value(k, errors)
            if not isinstance(key, str):
                errors.add(_line(k.start_mark.line + 1), Text("kb_key_not_string"))
                continue
            if key in out:
                errors.add(_line(k.start_mark.line + 1), Text("kb_key_twice", field=key))
            out[key] = _node_value(v, errors)
        return out
    return None


def yaml_problem(exc: yaml.YAMLError, text: str | None = None) -> str:
    """``line 3: not valid YAML (...)``: a YAML error in one line (``text``: the YAML read,
    for the line of a character YAML does not read at all)."""
    if isinstance(exc, yaml.reader.ReaderError):
        # a control character pasted in (a bell, a vertical tab from Excel): no mark, a position
        said = bad_char(exc.character if isinstance(exc.character, int) else 0)
        if text is None or not isinstance(exc.position, int):
            return said
        return Text("kb_at", where=_line(text[: exc.position].count("\n") + 1), problem=said)
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or exc

    def at(text: Text) -> Text:
        return text if mark is None else Text("kb_at", where=_line(mark.line + 1), problem=text)

    if mark is None:
        return Text("kb_not_yaml", problem=Text("kb_yaml_unreadable", problem=str(problem)))
    if str(problem).endswith("but got '?'"):
        # 'questions: [Where is my order?]': inside [ ] or { } YAML ends a text at a '?'
        buffer = mark.buffer or ""
        start = max(buffer.rfind(c, 0, mark.pointer) for c in "[{,\n") + 1
        text = buffer[start : mark.pointer + 1].strip().rsplit(": ", 1)[-1]
        return at(Text("kb_yaml_question_mark", text=text))
    if "'\\t'" in str(problem) or "tab character" in str(problem):
        return at(Text("kb_yaml_tab"))  # Notepad's Tab key: YAML indents with spaces only
    context = getattr(exc, "context_mark", None)
    if context is not None and str(problem) in (
        "found unexpected end of stream",
        "found unexpected document separator",
    ):
        # a quote opened and never closed: YAML reads to the end of the file (or a '---')
        quote = (context.buffer or "")[context.pointer : context.pointer + 1]
        if quote in ("'", '"'):
            where = _line(context.line + 1)
            return Text("kb_at", where=where, problem=Text("kb_yaml_unclosed", quote=quote))
    plain = _said_plainly(str(problem), mark, context)
    if plain is not None:
        return at(plain)
    quoted = _needs_quotes(str(problem), mark)
    if quoted is not None:
        return at(quoted)
    wrong = _written_wrong(str(problem), mark)
    if wrong is not None:
        return at(wrong)
    # PyYAML's own words, as the command line has always said them; the admins' chat says
    # them in the admin's language (the rarest ones with PyYAML's words after plain ones)
    key = _YAML_PROBLEMS.get(str(problem))
    said = Text(key) if key else Text("kb_yaml_unreadable", problem=str(problem))
    return at(Text("kb_not_yaml", problem=said))


_CLOSING = {"[": "]", "{": "}"}


def _said_plainly(problem: str, mark: Any, context: Any) -> Text | None:
    """The rarer PyYAML mistakes in plain words: a '[' or '{' never closed, a ']' closing
    nothing, a '- ' out of step, a backslash in double quotes, a second document, 'en: |x',
    a key indented too far, 'answers: en: ...', 'questions: - ...'. None: another one."""
    buffer = (mark.buffer or "").rstrip("\0")
    lines = buffer.splitlines()
    raw = lines[mark.line] if mark.line < len(lines) else ""
    found = re.fullmatch(r"expected ',' or '([\]}])', but got .*", problem)
    if found is not None and context is not None:
        opened = (context.buffer or "")[context.pointer : context.pointer + 1]
        if opened not in _CLOSING:
            return None
        rest = raw[mark.column :] if context.line == mark.line else ""
        if _CLOSING[opened] in rest:  # closed later on its line: a text with ': ' or ','
            return Text("kb_yaml_flow_text", open=opened, close=_CLOSING[opened])
        return Text(
            "kb_yaml_unclosed_bracket", open=opened, close=_CLOSING[opened], line=context.line + 1
        )
    found = re.fullmatch(r"expected <block end>, but found '(.)'", problem)
    if found is not None and found[1] in "]}":
        return Text("kb_yaml_stray_close", char=found[1])
    if found is not None and found[1] == "-":
        return Text("kb_yaml_item_indent", n=len(raw) - len(raw.lstrip(" ")))
    if problem.startswith(("found unknown escape character", "expected escape sequence of")):
        start = buffer.rfind("\\", 0, mark.pointer + 1)
        seq = buffer[start : mark.pointer + 1] if start >= 0 else "\\"
        head, body = _split_line(raw)
        inner = body[1:-1] if len(body) > 1 and body[0] == body[-1] == '"' else body.strip('"')
        fixed = head + "'" + inner.replace("'", "''") + "'"
        return Text("kb_yaml_escape", seq=seq, fixed=fixed)
    if problem == "but found another document":
        return Text("kb_yaml_second_document")
    if problem.startswith(
        (
            "expected chomping or indentation indicators",
            "expected indentation indicator in the range",
        )
    ):
        head = raw[: mark.column - 1].strip()
        return Text("kb_yaml_block_header", char=buffer[mark.pointer - 1], head=head)
    if problem == "sequence entries are not allowed here":
        key = re.match(r"\s*(?:- )?([^:]+):", raw)
        return Text("kb_yaml_dash_inline", name=key[1].strip() if key else "questions")
    if problem == "mapping values are not allowed here":
        item = raw.strip().startswith("- ")
        body = raw.strip().removeprefix("- ").lstrip()
        key = re.match(r"([A-Za-z_][\w-]*):(?:\s+(.*))?$", body)
        # an entry's key, or an answer's language (not a list item: '- to: whom?' is a text)
        if key is None or not (
            key[1] in ENTRY_KEYS or (not item and re.fullmatch(r"[a-z]{2}", key[1]))
        ):
            return None
        value = key[2] or ""
        if key[1] == "answers" and re.match(r"[a-z]{2,3}:\s", value):
            return Text("kb_yaml_answers_inline", fixed=value)
        if ": " not in value and not value.endswith(":"):
            # the key itself is out of step (a space too many): not a text to quote
            return Text("kb_yaml_indent", n=len(raw) - len(raw.lstrip(" ")))
    return None


_YAML_PROBLEMS = {
    "could not find expected ':'": "kb_yaml_no_colon",
    "did not find expected key": "kb_yaml_no_key",
    "did not find expected '-' indicator": "kb_yaml_no_dash",
}


def _split_line(text: str) -> tuple[str, str]:
    """A YAML line as what leads it ('- ', 'en: ') and its text."""
    body, head = text.strip(), ""
    if body.startswith("- "):
        head, body = "- ", body[2:].lstrip()
    key = re.match(r"([A-Za-z_][\w-]*):\s+(\S.*)", body)  # 'en: ...', not '- *bold*'
    if key is not None:
        head, body = head + key[1] + ": ", key[2]
    return head, body


def _written_wrong(problem: str, mark: Any) -> Text | None:
    """The mistakes of a text written without (the right) quotes that PyYAML names in its
    own words ('expected <block end>, but found '<scalar>''): a text in quotes with more
    after it or a quote inside, a text starting with '[', '{', '>', '|', '&', '*', '!'; and
    a line indented out of step. None: another mistake."""
    lines = (mark.buffer or "").rstrip("\0").splitlines()
    if mark.line >= len(lines):
        return None
    raw = lines[mark.line]
    if "but found '<block mapping start>'" in problem or (
        "but found '<block sequence start>'" in problem
    ):
        return Text("kb_yaml_indent", n=len(raw) - len(raw.lstrip(" ")))
    head, body = _split_line(raw)
    if not body or "#" in body:
        return None
    if body[0] in ("'", '"'):
        quote = body[0]
        inner = body[1:-1] if len(body) > 1 and body.endswith(quote) else body
        if quote == "'":
            fixed = head + json.dumps(inner, ensure_ascii=False)
        else:
            fixed = head + "'" + inner.replace("'", "''") + "'"
        return Text("kb_yaml_inner_quote", quote=quote, fixed=fixed)
    if body[0] in "[{" and "found '<scalar>'" in problem:
        return Text(
            "kb_yaml_start_quotes", char=body[0], fixed=head + json.dumps(body, ensure_ascii=False)
        )
    if re.match(r"[>|&*!]\s", body):
        return Text(
            "kb_yaml_start_quotes", char=body[0], fixed=head + json.dumps(body, ensure_ascii=False)
        )
    return None


# what YAML reads as markup in a text written without quotes: 'en: Open: 9-21' (a second
# ': '), '- *new* arrivals?' (an alias), '- @shop' or '- `code`' (reserved characters)
_MARKUP = re.compile(
    r"(?P<colon>mapping values are not allowed here)|"
    r"found character '(?P<start>[`@%])' that cannot start any token|"
    r"expected alphabetic or numeric character, but found '(?P<star>[*&])'|"
    r"found undefined alias '(?P<alias>.*)'"
)


def _needs_quotes(problem: str, mark: Any) -> Text | None:
    """The text of the line YAML stopped at, quoted as it should be written, when what
    broke it is markup in an unquoted text (None: another mistake)."""
    found = _MARKUP.fullmatch(problem)
    lines = (mark.buffer or "").rstrip("\0").splitlines()
    if found is None or mark.line >= len(lines):
        return None
    body, head = lines[mark.line].strip(), ""
    if body.startswith("- "):
        head, body = "- ", body[2:].lstrip()
    key = re.match(r"([A-Za-z_][\w-]*):\s+(\S.*)", body)  # 'en: ...', not '- *bold*'
    if key is not None:
        head, body = head + key[1] + ": ", key[2]
    if not body or body[0] in "[{\"'" or "#" in body:
        return None  # a list or a quoted text: not this mistake
    fixed = head + json.dumps(body, ensure_ascii=False)
    if found["colon"]:
        return Text("kb_yaml_colon_quotes", fixed=fixed)
    char = found["start"] or found["star"] or "*"  # an alias: '*new' with no '&new'
    return Text("kb_yaml_start_quotes", char=char, fixed=fixed)


def parse_yaml(text: str, source: str = "<yaml>") -> list[Entry]:
    errors = _Collector()
    try:
        root = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise KbFormatError(source, [yaml_problem(exc, text)]) from exc
    if root is None:
        raise KbFormatError(source, [Text("kb_yaml_empty")])
    if isinstance(root, yaml.MappingNode):
        top: dict[str, yaml.Node] = {}
        for k, v in root.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key != "entries":
                errors.add(_line(k.start_mark.line + 1), Text("kb_yaml_top_key", field=key))
            elif key in top:  # two files pasted together: the first list was lost unseen
                errors.add(_line(k.start_mark.line + 1), Text("kb_key_twice", field=key))
            else:
                top[key] = v
        seq = top.get("entries")
        if seq is None:
            errors.add(_line(1), Text("kb_yaml_no_entries"))
            raise KbFormatError(source, errors.errors)
    elif isinstance(root, yaml.SequenceNode):
        seq = root  # a bare list of entries is accepted too
    else:
        raise KbFormatError(source, [Text("kb_yaml_not_entries")])
    if not isinstance(seq, yaml.SequenceNode):
        where = _line(seq.start_mark.line + 1)
        raise KbFormatError(
            source, [Text("kb_at", where=where, problem=Text("kb_yaml_entries_not_list"))]
        )
    parsed: list[tuple[Entry, int, int | None]] = []
    for index, node in enumerate(seq.value, start=1):
        line = node.start_mark.line + 1
        raw = _node_value(node, errors)
        key_lines = (
            {
                k.value: k.start_mark.line + 1
                for k, _ in node.value
                if isinstance(k, yaml.ScalarNode)
            }
            if isinstance(node, yaml.MappingNode)
            else None
        )
        entry = validate_entry(raw, index, line, errors, key_lines=key_lines)
        if entry is not None:
            entry.question_lines = _question_lines(node, len(entry.questions))
            parsed.append((entry, index, line))
    return _finish(parsed, errors, source)


def _question_lines(node: yaml.Node, count: int) -> list[int] | None:
    """The lines of an entry's questions in its YAML (None when they cannot be told)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "questions":
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            lines = [item.start_mark.line + 1 for item in items]
            return lines if len(lines) == count else None
    return None


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: D102
        super().increase_indent(flow, False)


# line breaks YAML reads in any scalar (NEL, LS, PS): only a double-quoted scalar keeps them
_YAML_BREAKS = frozenset("\x85\u2028\u2029")


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if _YAML_BREAKS.intersection(data) else "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


class _FlowList(list):  # type: ignore[type-arg]
    pass


_Dumper.add_representer(
    _FlowList,
    lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def dump_yaml(entries: Iterable[Entry]) -> str:
    docs = []
    for entry in entries:
        item = entry.to_dict()
        if "tags" in item:
            item["tags"] = _FlowList(item["tags"])
        docs.append(item)
    body = yaml.dump(
        {"entries": docs},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return body


# --------------------------------------------------------------------------- JSONL
def _json_list(text: str, source: str = "<jsonl>") -> list[Any] | None:
    """The entries of a file that is one JSON list (or ``{"entries": [...]}``, or one entry
    written over several lines), as most tools write a .json file; None for JSONL. A
    document that begins with a bare '[' or '{' line and is broken is one mistake, at its
    place (its lines mean nothing alone)."""
    body = text.strip()
    if not body.startswith(("[", "{")):
        return None
    try:
        whole = json.loads(body)
    except json.JSONDecodeError as exc:
        if body.split("\n", 1)[0].strip() not in ("[", "{"):
            return None  # JSONL (several lines), or broken: the lines name the problem
        before = body[: exc.pos].rstrip()
        problem = _json_problem(exc)
        if before.endswith(",") and body[exc.pos : exc.pos + 1] in ("]", "}"):
            # '{...},\n]': the comma after the last item, which JSON does not allow
            problem = Text("kb_json_last_comma", char=body[exc.pos])
            lineno = before.count("\n") + 1
        else:
            lineno = exc.lineno
        line = lineno + text[: len(text) - len(text.lstrip())].count("\n")
        raise KbFormatError(source, [Text("kb_at", where=_line(line), problem=problem)]) from exc
    if isinstance(whole, dict) and set(whole) == {"entries"}:
        whole = whole["entries"]
    elif isinstance(whole, dict) and "\n" in body:  # one entry, pretty-printed
        whole = [whole]
    return whole if isinstance(whole, list) else None


_JSON_PROBLEMS = {
    MESSAGES[key]: key
    for key in (
        "kb_json_comma",
        "kb_json_colon",
        "kb_json_key_quotes",
        "kb_json_value",
        "kb_json_unterminated",
        "kb_json_control",
        "kb_json_extra",
        "kb_json_escape",
        "kb_json_u_escape",
    )
}


def _json_problem(exc: json.JSONDecodeError) -> Text:
    """What json found wrong, as a text the admins' chat says in the admin's language."""
    key = _JSON_PROBLEMS.get(exc.msg)
    return Text("kb_not_json", problem=Text(key) if key else exc.msg)


def _no_twice(pairs: list[tuple[str, Any]], twice: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and key not in twice:
            twice.append(key)
        out[key] = value
    return out


def parse_jsonl(text: str, source: str = "<jsonl>") -> list[Entry]:
    errors = _Collector()
    parsed: list[tuple[Entry, int, int | None]] = []
    items = _json_list(text, source)
    if items is not None:
        for index, raw in enumerate(items, start=1):
            entry = validate_entry(raw, index, None, errors)
            if entry is not None:
                parsed.append((entry, index, None))
        return _finish(parsed, errors, source)
    index = 0
    # lines end at "\n" only: str.splitlines() would also split inside a JSON string at
    # U+2028 / U+2029 / NEL, which JSON allows unescaped
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        index += 1
        twice: list[str] = []
        try:
            raw = json.loads(line, object_pairs_hook=functools.partial(_no_twice, twice=twice))
        except json.JSONDecodeError as exc:
            errors.add(_line(lineno), _json_problem(exc))
            continue
        for key in twice:  # json.loads keeps the last one: the other would be lost unseen
            errors.add(_line(lineno), Text("kb_key_twice", field=key))
        if twice:
            continue
        if isinstance(raw, dict):
            for key in ("questions", "answers", "tags"):
                value = raw.get(key)
                if key == "questions" and isinstance(value, list):
                    if any(not isinstance(q, str) for q in value):
                        errors.add(
                            _where(index, lineno, raw.get("id")), Text("kb_questions_not_strings")
                        )
                        raw = None
                        break
        entry = validate_entry(raw, index, lineno, errors) if raw is not None else None
        if entry is not None:
            parsed.append((entry, index, lineno))
    return _finish(parsed, errors, source)


_JSON_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dump_jsonl(entries: Iterable[Entry]) -> str:
    """One JSON object a line; the characters other tools take for line breaks are escaped."""
    return "".join(
        json.dumps(e.to_dict(), ensure_ascii=False).translate(_JSON_BREAKS) + "\n" for e in entries
    )


# --------------------------------------------------------------------------- CSV
def parse_csv(text: str, source: str = "<csv>") -> list[Entry]:
    errors = _Collector()
    # Windows line breaks, between the rows and inside a quoted answer (Notepad): plain ones,
    # as YAML reads them
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    # Excel in Russian and Polish settings saves CSV with semicolons, its "Unicode text"
    # with tabs: the header tells
    first = text.split("\n", 1)[0]
    # Excel's own first line 'sep=;' names the separator (and is no header)
    sep = re.fullmatch(r'\s*"?sep=([,;\t|])"?[,;\t]*\s*', first)
    delimiter = sep[1] if sep else max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if sep:
            next(reader)
        header = next(reader)
    except StopIteration:
        raise KbFormatError(source, [Text("kb_csv_empty")]) from None
    except csv.Error as exc:
        bad = Text("kb_at", where=_line(1), problem=Text("kb_not_csv", problem=str(exc)))
        raise KbFormatError(source, [bad]) from exc
    names = [h.strip().lower() for h in header]
    while names and not names[-1]:  # empty columns Excel keeps at the right of a sheet
        names.pop()
    unknown = [n for n in names if n not in CSV_HEADER]
    missing = [n for n in CSV_HEADER[:4] if n not in names]
    if unknown or missing or len(set(names)) != len(names):
        problems = []
        if unknown:
            problems.append(Text("kb_csv_unknown_columns", names=", ".join(map(repr, unknown))))
        if missing:
            problems.append(Text("kb_csv_missing_columns", names=", ".join(map(repr, missing))))
        if len(set(names)) != len(names):
            problems.append(Text("kb_csv_column_twice"))
        header_problem = Text(
            "kb_csv_header", problems=_joined(problems), header=",".join(CSV_HEADER)
        )
        raise KbFormatError(source, [Text("kb_at", where=_line(1), problem=header_problem)])
    col = {n: i for i, n in enumerate(names)}

    # Group rows by id in order of first appearance.
    groups: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.add(_line(start), Text("kb_not_csv", problem=str(exc)))
            break
        last_line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > len(names) and not any(c.strip() for c in row[len(names) :]):
            row = row[: len(names)]  # those empty columns, in every row
        if len(row) != len(names):
            errors.add(_line(start), Text("kb_csv_columns", expected=len(names), found=len(row)))
            continue
        values = {n: row[i] for n, i in col.items()}
        entry_id = values["id"].strip()
        if (code := _first_bad_char(row)) is not None:  # a NUL in a cell: YAML refuses it
            where = Text("kb_at_line_id", line=start, id=entry_id) if entry_id else _line(start)
            errors.add(where, bad_char(code))
            continue
        lang = values["lang"].strip().lower()  # 'RU', as a spreadsheet capitalises it
        question = csv_text(values["question"].strip())
        answer = csv_text(values["answer"].strip())
        tags_raw = csv_text(values.get("tags", "").strip())
        where = Text("kb_at_line_id", line=start, id=entry_id) if entry_id else _line(start)
        bad = False
        if not entry_id:
            errors.add(where, Text("kb_csv_missing_id"))
            bad = True
        elif (problem := bad_id(entry_id)) is not None:
            errors.add(where, problem)
            bad = True
        if not LANG_RE.match(lang):
            errors.add(where, Text("kb_csv_bad_lang", lang=lang))
            bad = True
        if not question and not answer:
            errors.add(where, Text("kb_csv_empty_row"))
            bad = True
        if len(question) > MAX_QUESTION:
            errors.add(where, Text("kb_csv_question_long", max=MAX_QUESTION))
            bad = True
        if len(answer) > MAX_ANSWER:
            errors.add(where, Text("kb_csv_answer_long", max=MAX_ANSWER))
            bad = True
        tags = [t.strip() for t in tags_raw.split(";") if t.strip()] if tags_raw else []
        if any(len(t) > MAX_TAG for t in tags):
            errors.add(where, Text("kb_csv_tag_long", max=MAX_TAG))
            bad = True
        if bad:
            continue
        group = groups.get(entry_id)
        if group is None:
            group = {
                "line": start,
                "questions": [],
                "langs": [],
                "answers": {},
                "tags": [],
                "answer_lines": {},
                "question_lines": [],
            }
            groups[entry_id] = group
            order.append(entry_id)
        elif order[-1] != entry_id:
            errors.add(where, Text("kb_csv_rows_apart", id=entry_id, line=group["line"]))
            continue
        if question:
            group["questions"].append(question)
            group["langs"].append(lang)
            group["question_lines"].append(start)
        if answer:
            if lang in group["answers"] and group["answers"][lang] != answer:
                first = group["answer_lines"][lang]
                errors.add(where, Text("kb_csv_second_answer", lang=lang, line=first))
            elif lang not in group["answers"]:
                group["answers"][lang] = answer
                group["answer_lines"][lang] = start
        for t in tags:
            if t not in group["tags"]:
                group["tags"].append(t)

    entries: list[Entry] = []
    for entry_id in order:
        group = groups[entry_id]
        where = Text("kb_at_line_id", line=group["line"], id=entry_id)
        if not group["answers"]:
            errors.add(where, Text("kb_csv_no_answer"))
            continue
        if not group["questions"]:
            errors.add(where, Text("kb_csv_no_question"))
            continue
        entries.append(
            Entry(
                id=entry_id,
                questions=group["questions"],
                answers=group["answers"],
                tags=group["tags"],
                question_langs=group["langs"],
                line=group["line"],
                question_lines=group["question_lines"],
            )
        )
    if errors.errors:
        raise KbFormatError(source, errors.errors)
    if not entries:
        raise KbFormatError(source, [Text("kb_no_entries")])
    return entries


# a cell Excel (and LibreOffice, Google Sheets) runs as a formula: '=HYPERLINK(...)', or an
# answer like '+7 495 ...' or '-10% today' shown as #NAME?
FORMULA_START = ("=", "+", "-", "@")
# a formula start behind apostrophes: what the Excel-safe export made of it (one added)
_QUOTED_FORMULA = re.compile(r"'+[=+\-@]")


def csv_cell(text: str, excel_safe: bool = False) -> str:
    """A text as a CSV cell: Excel-safe, a formula start gets an apostrophe before it (Excel
    shows the text, not a formula); a text that already starts with apostrophes before one
    gets one more in every export, so the import, which takes one off, gives it back exact."""
    if _QUOTED_FORMULA.match(text) or (excel_safe and text.startswith(FORMULA_START)):
        return "'" + text
    return text


def csv_text(cell: str) -> str:
    """A cell's text: the apostrophe an Excel-safe export put before a formula start, off."""
    return cell[1:] if _QUOTED_FORMULA.match(cell) else cell


def dump_csv(entries: Iterable[Entry], delimiter: str = ",", *, excel_safe: bool = False) -> str:
    """The CSV of ``entries``; ``delimiter`` ';' is what Excel in Russian or Polish settings
    reads into columns (the import takes either); ``excel_safe``: no text starting with
    = + - @ is left for Excel to run as a formula (an apostrophe before it, which the import
    takes off)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    writer.writerow(CSV_HEADER)

    def cells(*texts: str) -> list[str]:
        return [csv_cell(t, excel_safe) for t in texts]

    for entry in entries:
        tags = ";".join(entry.tags)
        langs = entry.langs_for_questions()
        placed: set[str] = set()
        for question, lang in zip(entry.questions, langs, strict=True):
            answer = ""
            if lang in entry.answers and lang not in placed:
                answer = entry.answers[lang]
                placed.add(lang)
            writer.writerow([entry.id, lang, *cells(question, answer, tags)])
        for lang, answer in entry.answers.items():
            if lang not in placed:  # an answer in a language with no question variant
                writer.writerow([entry.id, lang, *cells("", answer, tags)])
    return buf.getvalue()


# --------------------------------------------------------------------------- files
SPREADSHEETS = (".xlsx", ".xls", ".ods", ".numbers")


def detect_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    said = f"unknown file type {suffix or '(none)'!r}: use .yaml, .yml, .csv or .jsonl"
    if suffix in SPREADSHEETS:  # the admin's table: Excel reads and writes CSV
        said += " (a .csv opens in Excel; to import a sheet, save it as 'CSV UTF-8')"
    raise KbFormatError(str(path), [said])


def parse_text(text: str, fmt: str, source: str = "<input>") -> list[Entry]:
    if fmt == "yaml":
        return parse_yaml(text, source)
    if fmt == "csv":
        return parse_csv(text, source)
    if fmt == "jsonl":
        return parse_jsonl(text, source)
    raise KbFormatError(source, [f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}"])


# Excel and Notepad on Windows save "CSV" and "ANSI" text in the system's code page:
# Windows-1251 for Russian, Windows-1250 for Polish
LEGACY_ENCODINGS = {
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1250": "Windows-1250 (Central European)",
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")


def _mixed_words(text: str) -> int:
    """Words with Cyrillic and Latin letters together: what a text read in the wrong code
    page looks like ('Dostawa kosztuje 15 zі' is Polish read as Windows-1251)."""
    return sum(
        1
        for word in re.findall(r"[^\W\d_]+", text)
        if _CYRILLIC.search(word) and _LATIN.search(word)
    )


def _utf16_without_mark(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for a UTF-16 text with no byte-order mark (its Latin
    letters and digits each have a zero byte beside them); None for anything else."""
    head = data[:400]
    if len(head) < 8 or len(data) % 2:
        return None
    odd, even = head[1::2], head[::2]
    if odd.count(0) > 0.4 * len(odd) and not even.count(0):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and not odd.count(0):
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """The text of a file, and the legacy code page it was read in (None: UTF-8 / UTF-16).

    Excel's "Unicode text" is UTF-16 with a byte-order mark: that one is certain. A file that
    is not UTF-8 but reads cleanly as Windows-1251 or -1250 is taken as that (the one whose
    words do not mix alphabets; Windows-1251 when both read alike). Anything else raises
    ``UnicodeDecodeError`` (of the UTF-8 attempt)."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    if encoding != "utf-16" and (bare := _utf16_without_mark(data)):
        encoding = bare
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        if encoding != "utf-8-sig":
            raise
        error = exc
    # UTF-8 broken in a place or two (a cut-off letter) is UTF-8 still: read as a code page
    # all its letters would come out as mojibake ('Р”РѕСЃС‚Р°РІРєР°'), so its line is named
    lenient = data.decode("utf-8", errors="replace")
    broken = lenient.count("\ufffd")
    if sum(ord(c) > 127 for c in lenient) - broken > broken:
        raise error
    readings = []
    for legacy in LEGACY_ENCODINGS:
        try:
            text = data.decode(legacy)
        except UnicodeDecodeError:
            continue
        readings.append((_mixed_words(text), len(readings), text, legacy))
    if not readings:
        raise error
    _, _, text, legacy = min(readings)
    return text, legacy


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .doc and .xls
# what :func:`file_inside` finds, said in a file's mistakes
INSIDE = {
    "spreadsheet": "kb_spreadsheet_inside",
    "document": "kb_document_inside",
    "other": "kb_archive_inside",
}


def file_inside(data: bytes) -> str | None:
    """What a file that is no text holds, whatever its name ('kb.yaml' saved by Word):
    'document' (Word, OpenDocument text, RTF, PDF), 'spreadsheet' (Excel, LibreOffice),
    'other' (another zip); None for text."""
    if data.startswith((b"%PDF", b"{\\rtf")):
        return "document"
    if data.startswith(OLE_MAGIC):
        return "document" if "WordDocument".encode("utf-16-le") in data else "spreadsheet"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError):
        return "other"
    if mimetype.endswith(b".text") or any(n.startswith("word/") for n in names):
        return "document"
    if mimetype.endswith(b".spreadsheet") or any(n.startswith("xl/") for n in names):
        return "spreadsheet"
    return "other"


def parse_bytes(data: bytes, fmt: str, source: str = "<input>") -> list[Entry]:
    if (inside := file_inside(data)) is not None:
        suffix = Path(source).suffix.lower() or f".{fmt}"
        raise KbFormatError(source, [Text(INSIDE[inside], suffix=suffix)])
    try:
        text, _ = decode_bytes(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise KbFormatError(source, [Text("kb_not_utf8", line=line, byte=column)]) from exc
    return parse_text(text, fmt, source)


# Excel saves "Unicode text" and "Text (tab delimited)" as .txt: the text says which it is
TEXT_SUFFIXES = (".txt", ".tsv")


def is_text_file(name: Path | str) -> bool:
    return Path(name).suffix.lower() in TEXT_SUFFIXES


def sniff_format(data: bytes) -> str | None:
    """The knowledge format a plain-text file holds, by its first line (a CSV header, YAML's
    'entries:', a JSON object); None when it is none of them."""
    try:
        text, _ = decode_bytes(data)
    except UnicodeDecodeError:
        return "csv"  # no text: reading it as a table says where and what to do
    lines = (line.strip() for line in text.removeprefix("\ufeff").split("\n"))
    first = next((line for line in lines if line and not line.startswith("#")), "")
    if first.startswith(("{", "[")):
        return "jsonl"
    cells = {c.strip().strip('"').lower() for c in re.split(r"[,;\t]", first)}
    if {"id", "lang", "question"} <= cells:
        return "csv"
    if re.match(r"(entries|-\s*id|id)\s*:", first):
        return "yaml"
    return None


def file_format(name: Path | str, data: bytes) -> str:
    """The format of a file to import: by its name (:func:`detect_format`), and for a .txt
    or .tsv by what it holds."""
    if not is_text_file(name):
        return detect_format(name)
    fmt = sniff_format(data)
    if fmt is None:
        raise KbFormatError(str(name), [Text("kb_txt_unknown")])
    return fmt


def load_file(path: Path | str) -> list[Entry]:
    path = Path(path)
    if not is_text_file(path):
        detect_format(path)  # an unknown type is said before a missing file
    if not path.is_file():
        raise KbFormatError(str(path), ["no such file"])
    data = path.read_bytes()
    return parse_bytes(data, file_format(path, data), str(path))


def dump_text(entries: Iterable[Entry], fmt: str) -> str:
    if fmt == "yaml":
        return dump_yaml(entries)
    if fmt == "csv":
        return dump_csv(entries)
    if fmt == "jsonl":
        return dump_jsonl(entries)
    raise ValueError(f"unknown format {fmt!r}")


def write_file(path: Path | str, entries: Iterable[Entry]) -> int:
    path = Path(path)
    items = list(entries)
    path.write_text(dump_text(items, detect_format(path)), encoding="utf-8", newline="")
    return len(items)
