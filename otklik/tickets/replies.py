"""Rules of a public reply's envelope: the extra addresses it is copied to, and the author's signature."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput

# A reply mail is copied to at most this many extra addresses.
MAX_CC = 20


def cc_addresses_clean(addresses: Sequence[str] | str) -> list[str]:
    """Extra addresses for a reply mail, lower-cased and once each; a bad one refuses the whole reply."""
    if isinstance(addresses, str):
        addresses = addresses.replace(";", ",").replace("\n", ",").split(",")
    cleaned: list[str] = []
    for raw in addresses:
        address = raw.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(_("“%(address)s” is not a valid email address.") % {"address": address[:254]},
                               errors={"cc": _("Enter valid email addresses, separated by commas.")}) from None
        if address not in cleaned:
            cleaned.append(address)
    if len(cleaned) > MAX_CC:
        raise InvalidInput(_("At most %(count)s addresses in Cc.") % {"count": MAX_CC},
                           errors={"cc": _("Too many addresses.")})
    return cleaned


def reply_sign(body_text: str, author: User) -> str:
    """The reply with its author's signature under it (staff only; an empty signature adds nothing)."""
    signature = (author.signature or "").strip()
    if not signature or not author.is_staff_member:
        return body_text
    # "-- " is the mail signature separator; after a blank line Markdown shows it as it is.
    return f"{body_text.rstrip()}\n\n-- \n{signature}"
