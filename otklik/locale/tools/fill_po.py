"""Fill otklik/locale/ru/LC_MESSAGES/django.po from the RU dictionaries beside this file.

The dictionaries (`ru_<area>.py`, each `RU = {english: russian}`) are the source of truth: `makemessages`
can rewrite the .po at any time, the dictionaries survive it. So an entry the dictionaries know is always
(re)written from them, and loses its fuzzy flag; an entry they do not know keeps a non-fuzzy translation
made by hand. Plural entries take a list of the three Russian forms (1 заявка, 2 заявки, 5 заявок).
A context-specific translation (pgettext) is keyed "context\\x04msgid".

The header is normalised too (Language, charset, the three-form Plural-Forms, no fuzzy flag), because
`makemessages` copies a four-form Plural-Forms from Django's own Russian catalogue into a new file.

Checks before writing: the same English text translated differently in two dictionaries, and a
translation whose placeholders (%(name)s, %s, {name}, {{ name }}) differ from the English one, stop the
run with a list of the problems. Exit status 1 means the .po was not written or is still incomplete.

Usage: python otklik/locale/tools/fill_po.py [--missing]   (--missing lists the untranslated msgids)
Workflow: otklik makemessages -l ru ... ; this script ; otklik compilemessages -l ru
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PO = HERE.parent / "ru" / "LC_MESSAGES" / "django.po"

PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
NPLURALS = 3
HEADER_FIELDS = {
    "Project-Id-Version": "Otklik",
    "Last-Translator": "Otklik team",
    "Language-Team": "Russian",
    "Language": "ru",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": PLURAL_FORMS,
}
# printf-style (%(name)s, %s, %d), str.format-style ({name}) and template-style ({{ name }}) placeholders.
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[sdifr]|\{\{.*?\}\}|\{[^{}\s]*\}")

# xgettext takes "20 % of" for a printf directive ("% o"); the source never %-formats these strings, and the
# Russian cannot repeat the false directive, so their python-format flag is turned off before msgfmt checks.
NOT_FORMAT_STRINGS = frozenset({"Empty: 20 % of the target, at least 5 minutes."})

Translation = str | list[str]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def load_dictionaries() -> tuple[dict[str, Translation], list[str]]:
    merged: dict[str, Translation] = {}
    origin: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(HERE.glob("ru_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for english, russian in module.RU.items():
            if english in merged and merged[english] != russian:
                problems.append(
                    f"{english!r}: {origin[english]} says {merged[english]!r}, {path.name} says {russian!r}")
            merged[english] = russian
            origin[english] = path.name
            forms = russian if isinstance(russian, list) else [russian]
            if isinstance(russian, list) and len(russian) != NPLURALS:
                problems.append(f"{english!r} in {path.name}: {len(russian)} plural forms, Russian needs {NPLURALS}")
            for form in forms:
                if not form.strip():
                    problems.append(f"{english!r} in {path.name}: empty translation")
                # A plural's singular msgid may name fewer placeholders than its forms (e.g. "one ticket").
                wanted, got = set(placeholders(english.split("\x04")[-1])), set(placeholders(form))
                if (isinstance(russian, list) and wanted <= got) or wanted == got:
                    continue
                problems.append(
                    f"{english!r} in {path.name}: placeholders {sorted(wanted)} but {form!r} has {sorted(got)}")
    return merged, problems


def unquote(lines: str) -> str:
    joined = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', lines))
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), joined)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


HEADER_COMMENT = """# Russian translation of Otklik.
# Do not edit translations here: they come from otklik/locale/tools/ru_*.py (see fill_po.py).
#"""


def normalise_header(block: str) -> str:
    comments = [HEADER_COMMENT]
    match = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
    fields: dict[str, str] = {}
    for line in unquote(match.group(1) if match else "").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    fields.update(HEADER_FIELDS)
    # The catalogue is regenerated, never edited by hand: its revision is the extraction it was filled from.
    fields["PO-Revision-Date"] = fields.get("POT-Creation-Date", "")
    body = "".join(quote(f"{name}: {value}\n") + "\n" for name, value in fields.items())
    return "\n".join(comments) + '\nmsgid ""\nmsgstr ""\n' + body.rstrip("\n")


def lookup(translations: dict[str, Translation], msgid: str, context: str | None) -> Translation | None:
    russian = translations.get(f"{context}\x04{msgid}") if context is not None else None
    if russian is None:
        russian = translations.get(msgid)
    # Template strings reach the catalogue with % doubled.
    if russian is None and "%%" in msgid:
        russian = translations.get(msgid.replace("%%", "%"))
        if russian is not None:
            russian = ([form.replace("%", "%%") for form in russian] if isinstance(russian, list)
                       else russian.replace("%", "%%"))
    return russian


def fill(text: str, translations: dict[str, Translation]) -> tuple[str, list[str]]:
    blocks = text.split("\n\n")
    blocks[0] = normalise_header(blocks[0])
    missing: list[str] = []
    for index, block in enumerate(blocks[1:], start=1):
        if all(line.startswith("#~") for line in block.strip().splitlines()):
            continue  # obsolete entry
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not match:
            continue
        msgid = unquote(match.group(1))
        context_match = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        context = unquote(context_match.group(1)) if context_match else None
        plural = re.search(r"^msgid_plural ", block, re.M) is not None
        forms = [unquote(m) for m in re.findall(r'^msgstr(?:\[\d+\])? ((?:".*"\n?)+)', block, re.M)]
        fuzzy = re.search(r"^#,.*\bfuzzy\b", block, re.M) is not None
        russian = lookup(translations, msgid, context)
        if russian is None:
            complete = forms and all(forms) and (not plural or len(forms) == NPLURALS)
            if not complete or fuzzy:
                missing.append(msgid)
            continue
        head = block[: re.search(r"^msgstr", block, re.M).start()]  # type: ignore[union-attr]
        head = re.sub(r"^#, fuzzy\n", "", head, flags=re.M)
        head = re.sub(r"^(#,.*?), fuzzy", r"\1", head, flags=re.M)
        head = re.sub(r"^#, fuzzy, ", "#, ", head, flags=re.M)
        head = re.sub(r"^#\| .*\n", "", head, flags=re.M)
        if msgid in NOT_FORMAT_STRINGS:
            head = re.sub(r"^(#,.*)\bpython-format", r"\1no-python-format", head, flags=re.M)
            head = head.replace("no-no-python-format", "no-python-format")
        if plural:
            values = russian if isinstance(russian, list) else [russian] * NPLURALS
            body = "\n".join(f"msgstr[{n}] {quote(form)}" for n, form in enumerate(values))
        else:
            body = f"msgstr {quote(russian if isinstance(russian, str) else russian[0])}"
        blocks[index] = head + body + ("\n" if block.endswith("\n") else "")
    return "\n\n".join(blocks), missing


def main() -> int:
    translations, problems = load_dictionaries()
    if problems:
        print("The dictionaries disagree or are malformed; nothing written:")
        for problem in problems:
            print("  ", problem)
        return 1
    text, missing = fill(PO.read_text(encoding="utf-8"), translations)
    PO.write_text(text, encoding="utf-8")
    print(f"{len(missing)} strings without a Russian translation")
    if "--missing" in sys.argv:
        for msgid in missing:
            print("  ", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
