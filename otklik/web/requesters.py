"""Finding (or, for a first call, creating) the requester an agent types a ticket in for."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import Organization, Role, User
from otklik.core.errors import InvalidInput


@transaction.atomic
def requester_for_phone_call(email: str, name: str) -> User:
    """The person with this email; a new caller becomes a requester without a password (like a new emailer)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(_("Enter the requester's email."), errors={"requester_email": _("Enter a valid email.")})
    user = User.objects.filter(email=email).first()
    if user is not None:
        if not user.is_active:
            raise InvalidInput(_("This account is disabled."), errors={"requester_email": _("Disabled account.")})
        return user
    first, _sep, last = " ".join(name.split()).partition(" ")
    user = User.objects.create_user(
        email=email, first_name=first[:150], last_name=last[:150], role=Role.REQUESTER,
        organization=Organization.objects.filter(domain__iexact=email.rsplit("@", 1)[1]).first(),
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user
