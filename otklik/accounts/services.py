"""Writes of people's rows, so views, adapters and the ticket core never save user rows themselves (issue 11)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import Role, User
from otklik.accounts.selectors import organization_for_email_domain
from otklik.core.errors import InvalidInput


def user_set_language(*, user: User, language: str) -> None:
    """Keep the person's interface language on their profile (the caller checked it is supported)."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def requester_for_email(
    email: str, *, name: str = "", first_name: str = "", last_name: str = "", error_field: str = "email"
) -> User:
    """The person with this email address; an unknown address becomes a requester without a password.

    The one way every channel finds or creates a requester (an emailer, a Cc'd person, a phone caller typed
    in by an agent, a Telegram-only person): the address is matched case-insensitively, and a new person
    joins the organization whose email domain matches. `name` is split at its first space; `first_name`
    and `last_name` give the parts directly. `error_field` names the caller's input in the error.

    Inside a caller's transaction it opens no savepoint (the only write is one INSERT; a failure fails the
    caller's work, which is rolled back whole); outside one, the INSERT is its own transaction."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvalidInput(_("A valid email address is required."), errors={error_field: _("Enter a valid email.")})
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    if name:
        first_name, _sep, last_name = " ".join(name.split()).partition(" ")
    organization = organization_for_email_domain(email.rsplit("@", 1)[1])
    # No password given: create_user stores an unusable one (no sign-in by password until they set one).
    with transaction.atomic(savepoint=False):
        return User.objects.create_user(
            email=email, first_name=first_name.strip()[:150], last_name=last_name.strip()[:150],
            role=Role.REQUESTER, organization=organization,
        )



PROFILE_FIELDS = ("first_name", "last_name", "language", "time_zone", "signature")


def user_update_profile(*, user: User, values: dict[str, str]) -> None:
    """Save what a person may change on their own profile (the form validated the values).

    Only these fields, and a signature only for staff: it is appended to their replies."""
    unknown = sorted(set(values) - set(PROFILE_FIELDS))
    if unknown:  # a caller's mistake, never a person's input: the form offers these fields only
        raise ValueError(f"not profile fields: {unknown}")
    values = dict(values)
    signature = values.pop("signature", None)
    if signature is not None and (user.is_staff_member or user.is_superuser):
        user_set_signature(user=user, signature=signature)  # the one signature rule: staff only, bounded
    for name, value in values.items():
        setattr(user, name, value)
    if values:
        user.save(update_fields=list(values))
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
