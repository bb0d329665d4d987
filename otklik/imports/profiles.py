"""Named column mappings for spreadsheets, saved in the database and reused by name."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from otklik.core.errors import InvalidInput
from otklik.imports.models import ImportProfile
from otklik.imports.readers.base import ReaderError
from otklik.imports.readers.tabular import mapping_check


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """["subject=Тема", "created_at=Дата"] -> {"subject": "Тема", ...}"""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InvalidInput(_("A mapping is written field=Column, not «%(pair)s».") % {"pair": pair})
        mapping[field.strip()] = column.strip()
    return mapping


def profile_save(*, name: str, kind: str, mapping: dict[str, str], now: datetime) -> ImportProfile:
    try:
        mapping_check(kind, mapping)
    except ReaderError as exc:
        raise InvalidInput(str(exc)) from exc
    profile, _created = ImportProfile.objects.get_or_create(name=name.strip()[:100], defaults={"updated_at": now})
    profile.mapping = {**profile.mapping, kind: mapping}
    profile.updated_at = now
    profile.save(update_fields=["mapping", "updated_at"])
    return profile


def profile_mapping(*, name: str, kind: str) -> dict[str, str]:
    profile = ImportProfile.objects.filter(name=name.strip()).first()
    if profile is None:
        raise InvalidInput(_("There is no import profile named «%(name)s».") % {"name": name})
    return dict(profile.mapping.get(kind) or {})
