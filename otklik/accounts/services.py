"""Writes of people's own rows, so views never save user rows themselves (issue 11)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import InvalidInput


def user_set_language(*, user: User, language: str) -> None:
    """Keep the person's interface language on their profile (the caller checked it is supported)."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def user_set_phone(*, actor: User | None, user: User, phone: str) -> None:
    """A person's phone number, as staff note it (e.g. a caller on the phone form). Staff writers only."""
    access.ensure_staff_writer(actor)
    phone = " ".join(phone.split())
    if len(phone) > 50 or (phone and not any(char.isdigit() for char in phone)):
        raise InvalidInput(_("Enter a phone number."), errors={"requester_phone": _("Enter a phone number.")})
    User.objects.filter(pk=user.pk).update(phone=phone)
    user.phone = phone


def user_set_signature(*, user: User, signature: str) -> None:
    """The text appended under the person's public replies (staff only; requesters have none)."""
    signature = signature.strip()
    if signature and not (user.is_staff_member or user.is_superuser):
        raise InvalidInput(_("Only support staff have a signature."))
    if len(signature) > 2000:
        raise InvalidInput(_("The signature is too long (at most 2000 characters)."),
                           errors={"signature": _("At most 2000 characters.")})
    User.objects.filter(pk=user.pk).update(signature=signature)
    user.signature = signature
