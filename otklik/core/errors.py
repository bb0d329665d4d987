"""Domain errors: raised by services, mapped once per interface (web message, API status, bot words)."""

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    code = "domain_error"
    default_message: StrOrPromise = _("The operation is not allowed.")

    def __init__(self, message: StrOrPromise | None = None) -> None:
        # Translated when raised, in the language of the request being served.
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class NotFound(DomainError):
    """Absent and forbidden look the same to the caller, so ids cannot be probed."""

    code = "not_found"
    default_message: StrOrPromise = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_message: StrOrPromise = _("You may not do this.")


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message: StrOrPromise = _("The input is not valid.")

    def __init__(self, message: StrOrPromise | None = None, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Conflict(DomainError):
    code = "conflict"
    default_message: StrOrPromise = _("The ticket is not in a state that allows this.")
