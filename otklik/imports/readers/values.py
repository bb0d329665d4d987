"""Parsing of the loose values found in exports: dates in several spellings, yes/no, numbers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)
TRUE = frozenset({"1", "true", "yes", "y", "x", "да", "д", "t"})


class ValueProblem(ValueError):
    pass


def parse_datetime(value: object, tz: ZoneInfo, column: str) -> datetime | None:
    """An aware datetime; a naive one is read in the import's time zone. Empty -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - localised just below
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - localised just below
                    break
                except ValueError:
                    continue
            else:
                raise ValueProblem(
                    _("Column %(column)s: «%(value)s» is not a date and time.")
                    % {"column": column, "value": text[:100]}
                ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_bool(value: object) -> bool:
    return str(value or "").strip().lower() in TRUE


def parse_int(value: object, column: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().lstrip("#")
    try:
        return int(float(text)) if "." in text else int(text)
    except ValueError:
        raise ValueProblem(
            _("Column %(column)s: «%(value)s» is not a whole number.") % {"column": column, "value": text[:100]}
        ) from None


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store ids as floats
    return str(value).strip()
