"""Turning bytes of unknown or lying encodings into text. Pure Python, no Django.

Russian mail arrives as koi8-r, windows-1251, x-mac-cyrillic, cp866, undeclared 8-bit or under a wrong
label. A declared charset is trusted when it is multi-byte (a wrong guess there would be garbage) and
checked against the Cyrillic/Western candidates when it is single-byte, because a single-byte codec
decodes anything "successfully".
"""

from __future__ import annotations

import codecs
import re

# Labels seen in real mail that Python does not know, or knows under another name.
CHARSET_ALIASES: dict[str, str] = {
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "maccyrillic": "mac_cyrillic",
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "windows-1251": "cp1251",
    "x-cp1251": "cp1251",
    "win1251": "cp1251",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "x-koi8-r": "koi8_r",
    "iso-2022-jp": "iso2022_jp_ext",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "x-user-defined": "cp1252",
    "iso-8859-8-i": "iso8859_8",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "default": "",
    "charset": "",
}

# The single-byte codecs a Russian/English support desk meets; order breaks ties.
SINGLE_BYTE_CANDIDATES: tuple[str, ...] = ("cp1251", "koi8_r", "cp1252", "mac_cyrillic", "cp866")
_SINGLE_BYTE_NAMES = frozenset(
    {"cp1251", "koi8-r", "cp1252", "mac-cyrillic", "cp866", "iso8859-1", "iso8859-15", "ascii", "latin-1",
     "iso8859-5", "koi8-u", "cp1250"}
)
_RUSSIAN_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RUSSIAN_UPPER = _RUSSIAN_LOWER.upper()
_FREQUENT = frozenset("оеаинтсрвл")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def codec_name(label: str | None) -> str | None:
    """Python's codec name for a MIME charset label, or None when unknown or meaningless."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = CHARSET_ALIASES.get(cleaned, cleaned)
    if not cleaned:
        return None
    try:
        return codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None


def _score(text: str) -> float:
    """How much a decoding looks like Russian or Western prose. Only 8-bit characters are scored,
    ASCII reads the same in every candidate."""
    score = 0.0
    last = len(text) - 1
    for index, char in enumerate(text):
        if ord(char) < 128:
            continue
        previous = text[index - 1] if index else " "
        following = text[index + 1] if index < last else " "
        latin_neighbour = (previous.isascii() and previous.isalpha()) or (following.isascii() and following.isalpha())
        if char in _RUSSIAN_LOWER:
            # A Cyrillic letter glued to a Latin one is a Western text read in a Cyrillic code page.
            score += -2 if latin_neighbour else (3 if char in _FREQUENT else 2)
        elif char in _RUSSIAN_UPPER:
            # Capitals start words; a capital after a small letter is the koi8/cp1251 swap showing.
            score += -2 if latin_neighbour or (previous.isalpha() and previous in _RUSSIAN_LOWER) else 1
        elif "\u00c0" <= char <= "\u00ff" and char not in "×÷":
            # An accented Latin letter is plausible inside a Latin word ("café"), not alone.
            score += 2 if latin_neighbour else -1
        elif char in "«»—–…№€’“”„•°±§©®\u00a0":
            score += 0.5
        else:
            score -= 3
    return score


def best_single_byte(data: bytes, *, preferred: str | None = None) -> str:
    """Decode with whichever candidate reads best; the declared one wins ties."""
    best_text = ""
    best_score = float("-inf")
    candidates = list(SINGLE_BYTE_CANDIDATES)
    if preferred and preferred not in candidates:
        candidates.insert(0, preferred)
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _score(text)
        if name == preferred:
            score += 0.5 + abs(score) * 0.1
        if score > best_score:
            best_text, best_score = text, score
    return best_text if best_score > float("-inf") else data.decode("cp1251", errors="replace")


def decode_bytes(data: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Text from bytes: declared charset, then UTF-8, then HTML <meta>, then the best Cyrillic/Western
    reading. Never raises."""
    if not data:
        return ""
    name = codec_name(declared)
    if name and name not in _SINGLE_BYTE_NAMES:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            pass
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html and not name:
        match = _META_CHARSET.search(data[:4096])
        if match:
            meta = codec_name(match.group(1).decode("ascii", "replace"))
            if meta and meta not in _SINGLE_BYTE_NAMES:
                try:
                    return data.decode(meta)
                except (UnicodeDecodeError, LookupError):
                    pass
            name = meta or name
    if name in {"ascii", "iso8859-1", "latin-1"}:
        # "us-ascii" with 8-bit bytes and Latin-1 both usually mean "the sender's local code page".
        name = "cp1252"
    return best_single_byte(data, preferred=name)


def strip_controls(text: str) -> str:
    """PostgreSQL refuses NUL in text; other C0 controls only confuse display."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
