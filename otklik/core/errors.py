"""Domain errors: raised by services, mapped once per interface (web message, API status, bot words)."""


class DomainError(Exception):
    code = "domain_error"
    default_message = "The operation is not allowed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message


class NotFound(DomainError):
    """Absent and forbidden look the same to the caller, so ids cannot be probed."""

    code = "not_found"
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_message = "You may not do this."


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message = "The input is not valid."

    def __init__(self, message: str | None = None, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Conflict(DomainError):
    code = "conflict"
    default_message = "The ticket is not in a state that allows this."
