"""Writes of people's own rows, so views never save user rows themselves (issue 11)."""

from __future__ import annotations

from otklik.accounts.models import User


def user_set_language(*, user: User, language: str) -> None:
    """Keep the person's interface language on their profile (the caller checked it is supported)."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
