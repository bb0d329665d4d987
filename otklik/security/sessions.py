"""Who is signed in where: tracked sessions, signing out one or all of them.

Django's session store stays the source of truth; a `UserSession` row only describes a session so that
its owner can see and end it. Rows are written at sign-in and refreshed at most once a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from otklik.accounts.models import User
from otklik.security.models import UserSession
from otklik.security.network import client_ip

TOUCH_INTERVAL = timedelta(minutes=1)
# Kept in the session itself: when this key was last written, so most requests write nothing.
_SEEN_KEY = "otklik_seen"


def _store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def _user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


def session_touch(request: HttpRequest, *, now: datetime, force: bool = False) -> None:
    """Record or refresh the current session's row; a no-op within a minute of the last write."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if session is None or not isinstance(user, User) or not user.is_authenticated:
        return
    if not force and (session.session_key is None or str(session.get(SESSION_KEY, "")) != str(user.pk)):
        # Signed in by this session (the sign-in itself is recorded by its signal with `force`). An API call
        # authenticated by a token has no sign-in to list, and must not get a session row per request.
        return
    if session.session_key is None:
        session.save()
    key = str(session.session_key)
    seen = session.get(_SEEN_KEY) or {}
    stamp = now.timestamp()
    if not force and seen.get("k") == key and stamp - float(seen.get("t", 0)) < TOUCH_INTERVAL.total_seconds():
        return
    values = {"user": user, "user_agent": _user_agent(request), "ip_address": client_ip(request), "last_seen_at": now}
    previous = seen.get("k")
    if previous and previous != key:
        # The key changed (a second factor given, a password changed): the row follows the session.
        old = UserSession.objects.filter(session_key=previous, user=user)
        if UserSession.objects.filter(session_key=key).exists():
            old.delete()
        else:
            old.update(session_key=key)
    try:
        with transaction.atomic():
            UserSession.objects.update_or_create(
                session_key=key,
                defaults=values,
                create_defaults={**values, "created_at": now},
            )
    except IntegrityError:  # two requests of one browser raced to create the row; the other one won
        pass
    session[_SEEN_KEY] = {"k": key, "t": stamp}


def sessions_of(user: User, *, now: datetime) -> QuerySet[UserSession]:
    """The person's sessions that can still be alive (older ones are cleaned up by the sweep)."""
    oldest = now - timedelta(seconds=int(settings.SESSION_COOKIE_AGE))
    return UserSession.objects.filter(user=user, last_seen_at__gte=oldest).order_by("-last_seen_at", "-id")


def session_end(user: User, session_id: int) -> bool:
    """Sign one of the person's own sessions out; False when it is not theirs (or gone)."""
    row = UserSession.objects.filter(user=user, pk=session_id).first()
    if row is None:
        return False
    _store(row.session_key).delete()
    row.delete()
    return True


def sessions_end_others(user: User, *, current_key: str | None) -> int:
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=current_key or ""))
    for row in rows:
        _store(row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


def sessions_end_all(user: User) -> int:
    """Every session of the person (an administrator's action, a sync that switched them off)."""
    return sessions_end_others(user, current_key=None)


def session_forget(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def sessions_sweep(*, now: datetime) -> int:
    oldest = now - timedelta(seconds=int(settings.SESSION_COOKIE_AGE))
    deleted, _ = UserSession.objects.filter(last_seen_at__lt=oldest).delete()
    return deleted
