"""Helpers shared by the views: who is asking, and how domain errors become messages."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.functional import LazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from otklik.accounts.decorators import is_staff_viewer
from otklik.accounts.models import User
from otklik.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied

logger = logging.getLogger("otklik.web")

def current_user(request: HttpRequest) -> User:
    """The signed-in person as the User itself, not Django's lazy stand-in for it: every attribute read through
    the stand-in is a proxied call, and a page's rules and rows read the viewer's attributes hundreds of times.
    The request keeps the same person (`request.user` is replaced by what it stood for)."""
    user = request.user
    if isinstance(user, LazyObject):
        user.pk  # noqa: B018  (evaluates the stand-in, which then holds the User)
        user = user._wrapped
        request.user = user
    assert isinstance(user, User)
    return user


def is_agent(user: Any) -> bool:
    """Support staff, by the one staff gate's rule (otklik.accounts.decorators)."""
    return is_staff_viewer(user)


def error_text(error: DomainError) -> str:
    """The words a person sees for a domain error (services raise them with translated messages)."""
    if isinstance(error, NotFound):
        return _("The ticket was not found.")
    if isinstance(error, PermissionDenied) and error.message == PermissionDenied.default_message:
        return _("You may not do this.")
    if isinstance(error, Conflict | InvalidInput) and error.message in {
        Conflict.default_message, InvalidInput.default_message
    }:
        return _("This is not possible in the ticket's current state.")
    return error.message


def report_error(request: HttpRequest, error: DomainError, **context: Any) -> None:
    logger.info("web action refused: %s %s %s", error.code, error.message, context)
    text = error_text(error)
    if isinstance(error, InvalidInput) and error.errors:
        details = "; ".join(f"{field}: {message}" for field, message in error.errors.items())
        text = f"{text} ({details})"
    messages.error(request, text)


def report_form_errors(request: HttpRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback
