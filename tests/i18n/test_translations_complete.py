"""The Russian translation is complete, compiled and actually used.

"English and Russian, complete": every msgid of the catalogue has a Russian msgstr (no fuzzy, three plural
forms, same placeholders), the compiled .mo says what the .po says, every translatable string in the source
is in the catalogue (so a string added after the last `makemessages` fails here, not in front of a user),
and real pages rendered for a Russian browser show no catalogued English text.

The .po is read with a small parser of our own rather than the tooling that wrote it, so the two cannot
share a mistake; the parser is itself checked against a catalogue with known defects.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import get_language_info

from otklik.accounts.models import Organization, Team, User
from otklik.testing import factories
from otklik.testing.personas import PASSWORD, Personas

CATALOGUE_DIR = Path(settings.LOCALE_PATHS[0]) / "ru" / "LC_MESSAGES"
PO_PATH = CATALOGUE_DIR / "django.po"
MO_PATH = CATALOGUE_DIR / "django.mo"
# Apps with a catalogue of their own (Django merges an app's locale/ folder into the project's); a channel
# app keeps its strings beside its code so that its translators and its changes stay in one place.
PO_PATHS = [PO_PATH, *sorted(Path(settings.BASE_DIR).glob("*/locale/ru/LC_MESSAGES/django.po"))]
SOURCE_ROOT = Path(settings.BASE_DIR)  # the otklik package: what `makemessages` scans (tests/, bench/ ignored)

RUSSIAN_PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)


# ---------------------------------------------------------------- a small .po reader


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def where(self) -> str:
        return f"django.po:{self.line} {self.msgid!r} ({' '.join(self.references[:2]) or 'no reference'})"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(quoted: str) -> str:
    if not (quoted.startswith('"') and quoted.endswith('"')):
        raise ValueError(f"not a quoted PO string: {quoted!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), quoted[1:-1])


def parse_po(text: str) -> list[Entry]:
    """The live (non-obsolete) entries of a PO file, the header included (msgid "")."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend

    def start(line_number: int) -> Entry:
        nonlocal current
        if current is None:
            current = Entry(line=line_number)
        return current

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue  # obsolete: kept by msgmerge for reference, never compiled
        if line.startswith("#,"):
            start(number).flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#:"):
            start(number).references.extend(line[2:].split())
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"django.po:{number}: continuation line outside an entry")
            name, index = target
            value = _unescape(line)
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if not match:
            raise ValueError(f"django.po:{number}: cannot read {raw!r}")
        name, index_text, quoted = match.groups()
        entry = start(number)
        if name == "msgid":
            entry.line = number
        if name == "msgstr":
            index = int(index_text or 0)
            entry.msgstr[index] = _unescape(quoted)
            target = ("msgstr", index)
        else:
            setattr(entry, name, _unescape(quoted))
            target = (name, 0)
    if current is not None:
        entries.append(current)
    return entries


def header_of(entries: list[Entry]) -> tuple[Entry, dict[str, str]]:
    header = next(entry for entry in entries if entry.msgid == "" and entry.msgctxt is None)
    fields = {}
    for line in header.msgstr.get(0, "").splitlines():
        name, _sep, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return header, fields


def messages_of(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid != "" or entry.msgctxt is not None]


# printf-style named and positional, str.format-style and template-style placeholders
_PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[sdifr]|\{\{.*?\}\}|\{[^{}\s]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text.replace("%%", "")))


def placeholders_removed(text: str) -> str:
    return _PLACEHOLDER.sub("", text)


def catalogue_problems(entries: list[Entry]) -> list[str]:
    """Everything that makes a catalogue incomplete or unsafe to show, one line per problem."""
    problems = []
    for entry in messages_of(entries):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.where}")
        if entry.msgid_plural is not None:
            forms = [entry.msgstr.get(n, "") for n in range(3)]
            if sorted(entry.msgstr) != [0, 1, 2]:
                problems.append(f"{len(entry.msgstr)} plural forms instead of 3: {entry.where}")
            if not all(form.strip() for form in forms):
                problems.append(f"untranslated plural form: {entry.where}")
                continue
            wanted = set(placeholders(entry.msgid_plural))
            for form in forms:
                if set(placeholders(form)) != wanted and set(placeholders(form)) != set(placeholders(entry.msgid)):
                    problems.append(f"placeholders of {form!r} differ: {entry.where}")
        else:
            translated = entry.msgstr.get(0, "")
            if not translated.strip():
                problems.append(f"untranslated: {entry.where}")
            elif placeholders(translated) != placeholders(entry.msgid):
                problems.append(f"placeholders of {translated!r} differ: {entry.where}")
    return problems


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    """Every catalogue's entries together: a string may live in the project's catalogue or in its app's."""
    return [entry for path in PO_PATHS for entry in parse_po(path.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module", params=PO_PATHS, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def po_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


# ---------------------------------------------------------------- the catalogue itself


def test_the_checker_finds_known_defects() -> None:
    """The completeness check below is only worth something if it reports what it should."""
    defective = "\n".join([
        'msgid ""', 'msgstr ""', '"Language: ru\\n"', "",
        'msgid "Done"', 'msgstr ""', "",
        "#, fuzzy, python-format", 'msgid "Hello %(name)s"', 'msgstr "Привет, %(name)s"', "",
        "#, python-format", 'msgid "%(n)s left"', 'msgstr "осталось %(count)s"', "",
        'msgid "%(counter)s clock"', 'msgid_plural "%(counter)s clocks"',
        'msgstr[0] "%(counter)s таймер"', 'msgstr[1] "%(counter)s таймера"', "",
        "#~ msgid \"Old\"", "#~ msgstr \"\"", "",
        'msgid "Fine"', 'msgstr ""', '"Хорошо"', "",
    ])
    problems = catalogue_problems(parse_po(defective))
    assert any(p.startswith("untranslated:") and "'Done'" in p for p in problems)
    assert any(p.startswith("fuzzy:") and "Hello" in p for p in problems)
    assert any(p.startswith("placeholders of 'осталось") for p in problems)
    assert any(p.startswith("2 plural forms instead of 3") for p in problems)
    assert not any("Old" in p or "Fine" in p for p in problems), problems
    assert len(problems) == 5, problems


def test_header_declares_the_three_russian_plural_forms(po_path: Path) -> None:
    header, fields = header_of(parse_po(po_path.read_text(encoding="utf-8")))
    assert "fuzzy" not in header.flags, "a fuzzy header is a catalogue nobody filled in"
    assert fields.get("Language") == "ru"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert re.sub(r"\s+", "", fields.get("Plural-Forms", "")) == re.sub(r"\s+", "", RUSSIAN_PLURAL_FORMS)
    rule = gettext.c2py(fields["Plural-Forms"].split("plural=", 1)[1].rstrip(";"))
    words = {n: ("заявка", "заявки", "заявок")[rule(n)] for n in (0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112)}
    assert words == {0: "заявок", 1: "заявка", 2: "заявки", 4: "заявки", 5: "заявок", 11: "заявок", 12: "заявок",
                     14: "заявок", 21: "заявка", 22: "заявки", 25: "заявок", 101: "заявка", 111: "заявок",
                     112: "заявок"}


def test_every_msgid_has_a_russian_translation(po_entries: list[Entry]) -> None:
    messages = messages_of(po_entries)
    assert len(messages) > 1000, "the catalogue looks truncated"
    problems = catalogue_problems(po_entries)
    assert not problems, (
        f"{len(problems)} problems in the Russian catalogue (fix them in the .po file with a PO editor "
        "and run `python -m otklik compilemessages -l ru`):\n" + "\n".join(problems)
    )


def test_russian_is_russian(po_entries: list[Entry]) -> None:
    """A msgstr copied from the msgid passes the emptiness check; it must not pass this one."""
    # Protocol and product names, and strings of placeholders and punctuation only, read the same in both.
    same_in_both = {"API", "HTML", "IMAP", "Message-ID", "SLA", "SSL/TLS", "STARTTLS", "Telegram", "URL",
                    "OpenID Connect", "LDAP / Active Directory",
                    "Re: %(subject)s"}
    copied = [
        entry.where for entry in messages_of(po_entries)
        if entry.msgid_plural is None and entry.msgstr.get(0) == entry.msgid and entry.msgid not in same_in_both
        and re.search(r"[A-Za-z]", placeholders_removed(entry.msgid))
    ]
    assert not copied, "msgstr equal to the English msgid:\n" + "\n".join(copied)


def _mo_catalogue(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        catalogue: dict[object, str] = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalogue.items() if key != ""}


def _expected_catalogue(entries: list[Entry]) -> dict[object, str]:
    expected: dict[object, str] = {}
    for entry in messages_of(entries):
        if "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural is not None:
            for n, form in entry.msgstr.items():
                if form:
                    expected[(entry.key, n)] = form
        elif entry.msgstr.get(0):
            expected[entry.key] = entry.msgstr[0]
    return expected


def test_compiled_catalogue_says_what_the_po_says(po_path: Path) -> None:
    compiled = _mo_catalogue(po_path.with_suffix(".mo"))
    expected = _expected_catalogue(parse_po(po_path.read_text(encoding="utf-8")))
    stale = sorted(repr(key) for key in expected if compiled.get(key) != expected[key])
    extra = sorted(repr(key) for key in compiled if key not in expected)
    assert not stale and not extra, (
        "django.mo is older than django.po; run `python -m otklik compilemessages -l ru`.\n"
        f"differing or missing in the .mo ({len(stale)}): {stale[:20]}\nonly in the .mo ({len(extra)}): {extra[:20]}"
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_po_and_builds_the_same_mo(tmp_path: Path, po_path: Path) -> None:
    built = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(built), str(po_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert _mo_catalogue(built) == _mo_catalogue(po_path.with_suffix(".mo")), "django.mo differs from msgfmt's"


# ---------------------------------------------------------------- the source is all in the catalogue

# The keywords Django's makemessages gives xgettext, and which argument holds what.
_PY_KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {  # name: (context, singular, plural)
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None), "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class SourceString:
    where: str
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_strings(path: Path) -> Iterator[SourceString]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        if name not in _PY_KEYWORDS:
            continue
        context_at, singular_at, plural_at = _PY_KEYWORDS[name]
        if len(node.args) <= singular_at:
            continue
        msgid = _constant(node.args[singular_at])
        if msgid is None or msgid == "":
            continue  # a variable passed to gettext: nothing to extract, as for xgettext
        yield SourceString(
            where=f"{path.relative_to(SOURCE_ROOT.parent)}:{node.lineno}", msgid=msgid,
            msgctxt=_constant(node.args[context_at]) if context_at is not None else None,
            msgid_plural=(_constant(node.args[plural_at])
                          if plural_at is not None and len(node.args) > plural_at else None),
        )


_TRANSLATE_TAG = re.compile(
    r"{%\s*trans(?:late)?\s+(\"[^\"]*\"|'[^']*')(?P<rest>[^%]*)%}")
_BLOCK_TAG = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<options>[^%]*)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
_CONTEXT_OPTION = re.compile(r"\bcontext\s+(\"[^\"]*\"|'[^']*')")
_UNDERSCORE = re.compile(r"""\b_\((\"[^\"]*\"|'[^']*')\)""")


def _block_text(body: str, trimmed: bool) -> str:
    text = re.sub(r"{{\s*(\w+)\s*}}", lambda m: "\x00" + m.group(1) + "\x01", body)
    text = text.replace("%", "%%")
    text = re.sub("\x00(\\w+)\x01", r"%(\1)s", text)
    if trimmed:
        text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text


def template_strings(path: Path) -> Iterator[SourceString]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)

    def where(offset: int) -> str:
        return f"{path.relative_to(SOURCE_ROOT.parent)}:{text.count(chr(10), 0, offset) + 1}"

    for match in _TRANSLATE_TAG.finditer(text):
        context = _CONTEXT_OPTION.search(match.group("rest"))
        yield SourceString(where(match.start()), match.group(1)[1:-1].replace("%", "%%"),
                           context.group(1)[1:-1] if context else None)
    for match in _BLOCK_TAG.finditer(text):
        options, body = match.group("options"), match.group("body")
        context = _CONTEXT_OPTION.search(options)
        trimmed = re.search(r"\btrimmed\b", options) is not None
        parts = re.split(r"{%\s*plural\s*%}", body, maxsplit=1)
        singular, plural = parts[0], (parts[1] if len(parts) > 1 else None)
        yield SourceString(where(match.start()), _block_text(singular, trimmed),
                           context.group(1)[1:-1] if context else None,
                           _block_text(plural, trimmed) if plural is not None else None)
    for match in _UNDERSCORE.finditer(text):
        yield SourceString(where(match.start()), match.group(1)[1:-1])


def source_strings() -> list[SourceString]:
    found: list[SourceString] = []
    for path in sorted(SOURCE_ROOT.rglob("*")):
        if "locale" in path.relative_to(SOURCE_ROOT).parts or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            found.extend(python_strings(path))
        elif path.suffix in {".html", ".txt"}:
            found.extend(template_strings(path))
    return found


def test_source_reader_sees_the_kinds_of_strings_we_use() -> None:
    """The reader must see each kind of string, or the coverage test below would pass on nothing."""
    found = {s.msgid: s for s in source_strings()}
    assert "Tickets" in found  # gettext_lazy as _ in a model
    assert found["%(counter)s clock"].msgid_plural == "%(counter)s clocks"  # blocktranslate count ... plural
    assert "SLA ledger" in found  # {% translate %}
    assert "policy removed" in found  # _("...") inside a template filter argument
    assert found["%(count)d message processed."].msgid_plural == "%(count)d messages processed."  # ngettext


def test_catalogue_covers_every_translatable_string_in_the_source(po_entries: list[Entry]) -> None:
    catalogued = {entry.key: entry for entry in messages_of(po_entries)}
    absent = [f"{s.where}: {s.msgid!r}" for s in source_strings() if s.key not in catalogued]
    assert not absent, (
        f"{len(absent)} source strings are not in the Russian catalogue; run `python -m otklik makemessages -l ru "
        '--ignore ".venv/*" --ignore "tests/*" --ignore "bench/*"`, translate them in the .po file '
        "with a PO editor and run compilemessages:\n" + "\n".join(absent)
    )


# ---------------------------------------------------------------- pages a Russian user sees


class _VisibleText(HTMLParser):
    """Text nodes and human-read attributes of a page, scripts and styles left out."""

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        self.texts.extend(" ".join(value.split()) for name, value in attrs if name in self.ATTRIBUTES and value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.texts.append(" ".join((dict(attrs).get("value") or "").split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.texts


def _client(user: User | None, language: str = "ru") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def english_ui_words(po_entries: list[Entry]) -> dict[str, str]:
    """English msgids whose Russian differs, minus what the test data itself calls things."""
    data = {*Team.objects.values_list("name", flat=True), *Organization.objects.values_list("name", flat=True)}
    data |= {name for user in User.objects.all() for name in (user.first_name, user.get_full_name(), user.email)}
    # The language switcher names each language in itself: "English" stays English on a Russian page.
    data |= {get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES}
    return {
        entry.msgid: entry.msgstr.get(0, "") for entry in messages_of(po_entries)
        if entry.msgid_plural is None and entry.msgstr.get(0) and entry.msgstr[0] != entry.msgid
        and re.search(r"[A-Za-z]{2}", entry.msgid) and entry.msgid not in data
    }


# path, who asks (persona name or None), Russian text that must be there, English that must not
PAGES = [
    ("/login/", None, ["Вход", "Пароль"], ["Sign in", "Password"]),
    ("/", "fiona", ["Очереди", "Без исполнителя", "Мои заявки", "Массовые действия"], ["Queues", "Bulk actions"]),
    ("/tickets/{number}/", "fiona", ["Переписка и история", "Добавить внутренний комментарий", "Наблюдатели"],
     ["Conversation and history", "Add internal note", "Watchers"]),
    ("/portal/", "alice", ["Мои заявки", "Принята — ждёт специалиста поддержки"],
     ["My requests", "Received — waiting for a support agent"]),
    ("/portal/new/", "alice", ["С чем вам помочь?"], ["What do you need help with?"]),
    ("/sla/overdue/", "fiona", ["Просроченные", "Скоро срок", "время в часовом поясе"], ["Overdue", "Due soon"]),
    ("/notifications/preferences/", "fiona", ["Настройки уведомлений", "Мне назначена заявка"],
     ["Notification settings", "A ticket was assigned to me"]),
    ("/account/security/", "fiona", ["Безопасность входа"], ["Sign-in security"]),
    ("/automation/availability/", "fiona", ["Моя доступность", "Я отсутствую"], ["My availability", "I am away"]),
    ("/api/tokens/", "fiona", ["Токены API", "Создать токен"], ["API tokens", "Create token"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "persona", "russian", "english"), PAGES, ids=[page[0] for page in PAGES])
def test_pages_render_in_russian_for_a_russian_browser(
    people: Personas, now: datetime, english_ui_words: dict[str, str], path: str, persona: str | None,
    russian: list[str], english: list[str],
) -> None:
    ticket = factories.ticket(requester=people.alice, now=now)
    user = getattr(people, persona) if persona else None
    url = path.format(number=ticket.number)
    response = _client(user, "ru-RU,ru;q=0.9,en;q=0.5").get(url)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    html = response.content.decode()
    assert '<html lang="ru"' in html
    texts = visible_texts(html)
    page_text = "\n".join(texts)
    assert [word for word in russian if word not in page_text] == []
    assert [word for word in english if word in texts] == []
    untranslated = sorted({text for text in texts if text in english_ui_words})
    assert not untranslated, f"{url} shows catalogued English text to a Russian user: {untranslated}"
    # The same page for an English browser shows the English words, so the check above is not vacuous.
    english_texts = visible_texts(_client(user, "en-US,en;q=0.9").get(url).content.decode())
    assert [word for word in english if word not in english_texts] == []


@pytest.mark.django_db
def test_a_users_own_language_beats_the_browser(people: Personas) -> None:
    people.fiona.language = "ru"
    people.fiona.save(update_fields=["language"])
    texts = visible_texts(_client(people.fiona, "en-US").get("/").content.decode())
    assert "Очереди" in texts and "Queues" not in texts
