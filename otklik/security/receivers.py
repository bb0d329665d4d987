"""Sign-in and sign-out keep the tracked sessions in step, whatever the way in (password, LDAP, SSO)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from otklik.security.sessions import session_forget, session_touch


@receiver(user_logged_in, dispatch_uid="otklik-session-login")
def track_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.user = user
        session_touch(request, now=timezone.now(), force=True)


@receiver(user_logged_out, dispatch_uid="otklik-session-logout")
def forget_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_forget(request.session.session_key)
