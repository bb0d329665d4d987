"""Configuration rows whose every change is audited, whichever path makes it (admin, API, shell, screens).

Changes made in the Django admin to any other model are audited from the admin's own change log.
Add a model here to follow it field by field; `None` follows every concrete field.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

AUDITED_MODELS: dict[str, tuple[str, ...] | None] = {
    "accounts.Organization": None,
    "accounts.Team": None,
    # People are not configuration, but their power is: role, activation and admin flags.
    "accounts.User": (
        "email", "role", "is_active", "is_staff", "is_superuser", "organization", "only_assigned_to_me",
        "is_department_head", "password",
    ),
    "auth.Group": None,
    "tickets.Status": None,
    "tickets.Category": None,
    "tickets.Priority": None,
    "tickets.RequestType": None,
    "tickets.CustomField": None,
    "security.SecurityPolicy": None,
    "security.UserSecurity": None,
}

# Membership changes that grant or remove access.
AUDITED_RELATIONS: tuple[tuple[str, str], ...] = (
    ("accounts.Team", "members"),
    ("accounts.User", "groups"),
    ("accounts.User", "user_permissions"),
    ("auth.Group", "permissions"),
    ("tickets.RequestType", "allowed_organizations"),
)

# Values never copied into the log: only the fact that they changed.
SECRET_FIELDS = frozenset({"password", "key", "secret", "token"})
# Bookkeeping that changes on its own and says nothing about configuration.
IGNORED_FIELDS = frozenset({"last_login", "created_at", "updated_at", "date_joined"})


def audited_model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def tracked_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    chosen = AUDITED_MODELS.get(model._meta.label)
    fields = [
        field for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in IGNORED_FIELDS
    ]
    if chosen is not None:
        fields = [field for field in fields if field.name in chosen]
    return fields


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value][:50]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in list(value.items())[:50]}
    return str(value)[:300]


def snapshot(instance: models.Model) -> dict[str, Any]:
    return {field.attname: field.value_from_object(instance) for field in tracked_fields(type(instance))}


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        field_name = name.removesuffix("_id")
        if field_name in SECRET_FIELDS or name in SECRET_FIELDS:
            changes[field_name] = "changed"
        else:
            changes[field_name] = [json_value(old), json_value(new)]
    return changes
