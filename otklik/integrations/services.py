"""Changes to webhook subscriptions; administrators only, whatever the interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.core.errors import InvalidInput, NotFound, PermissionDenied
from otklik.integrations.kinds import WEBHOOK_KINDS
from otklik.integrations.models import SubscriptionScope, WebhookSubscription

_url_validator = URLValidator(schemes=["http", "https"])


def _ensure_admin(actor: User) -> None:
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise PermissionDenied()


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(values)
    if "url" in values:
        try:
            _url_validator(values["url"])
        except ValidationError:
            errors["url"] = _("Enter an http or https URL.")
    if "event_kinds" in values:
        kinds: Sequence[str] = values["event_kinds"] or []
        unknown = [kind for kind in kinds if kind not in WEBHOOK_KINDS]
        if unknown:
            errors["event_kinds"] = _("Unknown event kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}
        cleaned["event_kinds"] = sorted(set(kinds))
    if "scope" in values and values["scope"] not in SubscriptionScope.values:
        errors["scope"] = _("Choose public or staff.")
    if "name" in values and not str(values["name"]).strip():
        errors["name"] = _("This field is required.")
    if errors:
        raise InvalidInput(_("Some fields are not valid."), errors=errors)
    return cleaned


def subscription_get(*, actor: User, subscription_id: int) -> WebhookSubscription:
    _ensure_admin(actor)
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound()
    return subscription


@transaction.atomic
def subscription_create(
    *,
    actor: User,
    name: str,
    url: str,
    event_kinds: Sequence[str] = (),
    scope: str = SubscriptionScope.PUBLIC,
    is_active: bool = True,
) -> WebhookSubscription:
    _ensure_admin(actor)
    values = _clean({"name": name, "url": url, "event_kinds": list(event_kinds), "scope": scope})
    return WebhookSubscription.objects.create(**values, is_active=is_active, created_by=actor)


@transaction.atomic
def subscription_update(*, actor: User, subscription_id: int, **values: Any) -> WebhookSubscription:
    _ensure_admin(actor)
    allowed = {"name", "url", "event_kinds", "scope", "is_active"}
    subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound()
    for key, value in _clean({key: value for key, value in values.items() if key in allowed}).items():
        setattr(subscription, key, value)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, actor: User, subscription_id: int) -> None:
    _ensure_admin(actor)
    deleted, _details = WebhookSubscription.objects.filter(pk=subscription_id).delete()
    if not deleted:
        raise NotFound()
