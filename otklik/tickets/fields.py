"""Validation of a request type's custom field values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput
from otklik.tickets.models import CustomField, DateRule, FieldKind, RequestType


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_date_rule(field: CustomField, day: date) -> None:
    """Past-only or future-only dates, against today in the installation's time zone."""
    today = timezone.localdate()
    if field.date_rule == DateRule.FUTURE and day < today:
        raise ValueError(_("Choose today or a later date."))
    if field.date_rule == DateRule.PAST and day > today:
        raise ValueError(_("Choose today or an earlier date."))


def clean_field_value(field: CustomField, value: Any) -> Any:
    """Return the JSON-safe stored form of one value, or raise ValueError with a message."""
    if field.kind in {FieldKind.TEXT, FieldKind.LONG_TEXT}:
        text = str(value).strip()
        limit = 500 if field.kind == FieldKind.TEXT else 20000
        if len(text) > limit:
            raise ValueError(_("At most %(limit)s characters.") % {"limit": limit})
        return text
    if field.kind == FieldKind.NUMBER:
        try:
            number = Decimal(str(value).replace(",", ".").strip())
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if field.kind == FieldKind.DATE:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
        check_date_rule(field, day)
        return day.isoformat()
    if field.kind == FieldKind.CHOICE:
        if str(value) not in field.choices:
            raise ValueError(_("Choose one of the offered options."))
        return str(value)
    if field.kind == FieldKind.MULTI_CHOICE:
        values = value if isinstance(value, list) else [value]
        chosen = [str(item) for item in values]
        if any(item not in field.choices for item in chosen):
            raise ValueError(_("Choose among the offered options."))
        return chosen
    if field.kind == FieldKind.USER:
        try:
            user_id = int(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(_("Choose a user.")) from exc
        if not User.objects.filter(pk=user_id, is_active=True).exists():
            raise ValueError(_("Choose a user."))
        return user_id
    raise ValueError(_("Unknown field kind."))


def clean_fields(
    request_type: RequestType | None, values: dict[str, Any], *, partial: bool = False,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate all values against the request type's fields; unknown codes are errors, not silently kept."""
    if request_type is None:
        if values:
            raise InvalidInput(_("This ticket has no request type, so it has no custom fields."))
        return {}
    fields = {field.code: field for field in request_type.fields.all()}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for code in values:
        if code not in fields:
            errors[code] = _("Unknown field.")
    for code, field in fields.items():
        value = values.get(code)
        if _is_empty(value):
            if field.required and not (partial and code not in values):
                errors[code] = _("This field is required.")
            continue
        if previous is not None and field.kind == FieldKind.DATE and previous.get(code) == value:
            # An unchanged date stays valid: "Needed by" set last month is not refused for being past now.
            cleaned[code] = value
            continue
        try:
            cleaned[code] = clean_field_value(field, value)
        except ValueError as exc:
            errors[code] = str(exc)
    if errors:
        raise InvalidInput(_("Some fields are not valid."), errors=errors)
    return cleaned
