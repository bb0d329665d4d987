"""Fill empty msgstr entries of otklik/locale/ru/LC_MESSAGES/django.po from the RU dictionaries here.

Existing translations are kept; fuzzy flags on filled entries are removed. Prints what is still missing.
Usage: python otklik/locale/tools/fill_po.py [--missing]
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PO = HERE.parent / "ru" / "LC_MESSAGES" / "django.po"


def load_dictionaries() -> dict[str, str | list[str]]:
    merged: dict[str, str | list[str]] = {}
    for path in sorted(HERE.glob("ru_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        merged.update(module.RU)
    return merged


def unquote(lines: str) -> str:
    joined = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', lines))
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), joined)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    translations = load_dictionaries()
    text = PO.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    missing = []
    for index, block in enumerate(blocks[1:], start=1):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not match:
            continue
        msgid = unquote(match.group(1))
        plural = re.search(r"^msgid_plural ", block, re.M)
        filled = re.search(r'^msgstr(?:\[0\])? "(.+)"', block, re.M) or re.search(
            r'^msgstr(?:\[0\])? ""\n"', block, re.M)
        if filled and "#, fuzzy" not in block:
            continue
        russian = translations.get(msgid)
        # Template strings reach the catalogue with % doubled.
        if russian is None and "%%" in msgid:
            russian = translations.get(msgid.replace("%%", "%"))
            if isinstance(russian, str):
                russian = russian.replace("%", "%%")
        if russian is None:
            missing.append(msgid)
            continue
        head = block[: block.index("msgstr")]
        head = head.replace("#, fuzzy, ", "#, ").replace("#, fuzzy\n", "")
        head = re.sub(r"^#\| .*\n", "", head, flags=re.M)
        if plural:
            forms = russian if isinstance(russian, list) else [russian] * 3
            body = "\n".join(f"msgstr[{n}] {quote(form)}" for n, form in enumerate(forms))
        else:
            body = f"msgstr {quote(russian if isinstance(russian, str) else russian[0])}"
        blocks[index] = head + body
    PO.write_text("\n\n".join(blocks), encoding="utf-8")
    print(f"{len(missing)} strings without a Russian translation")
    if "--missing" in sys.argv:
        for msgid in missing:
            print("  ", msgid)


if __name__ == "__main__":
    main()
