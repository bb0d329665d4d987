"""The scheduled directory sync: people gone from LDAP (or no longer matching its filter) are switched off
and signed out; people still there get their attributes, role and teams refreshed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from otklik.accounts.models import User
from otklik.security.sessions import sessions_end_all
from otklik.sso.models import DirectoryAccount

logger = logging.getLogger(__name__)


class DirectoryUnavailable(Exception):
    """The directory could not be read; nobody is switched off on the strength of a failed search."""


@dataclass
class SyncResult:
    seen: int = 0
    refreshed: int = 0
    deactivated: int = 0
    reactivated: int = 0


def directory_entries() -> set[str]:
    """Lower-cased DNs of everyone the sync filter finds, read with the service account."""
    import ldap

    config = {
        name: getattr(settings, name, "")
        for name in (
            "AUTH_LDAP_SERVER_URI",
            "AUTH_LDAP_BIND_DN",
            "AUTH_LDAP_BIND_PASSWORD",
            "OTKLIK_LDAP_USER_BASE",
            "OTKLIK_LDAP_SYNC_FILTER",
        )
    }
    connection = ldap.initialize(config["AUTH_LDAP_SERVER_URI"])
    try:
        for option, value in getattr(settings, "AUTH_LDAP_CONNECTION_OPTIONS", {}).items():
            connection.set_option(option, value)
        if getattr(settings, "AUTH_LDAP_START_TLS", False):
            connection.start_tls_s()
        connection.simple_bind_s(config["AUTH_LDAP_BIND_DN"], config["AUTH_LDAP_BIND_PASSWORD"])
        results = connection.search_s(
            config["OTKLIK_LDAP_USER_BASE"], ldap.SCOPE_SUBTREE, config["OTKLIK_LDAP_SYNC_FILTER"], ["1.1"]
        )
    except ldap.LDAPError as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    finally:
        connection.unbind_s()
    return {str(dn).lower() for dn, _attrs in results if dn}


def directory_sync(*, now: datetime) -> SyncResult:
    from django_auth_ldap.backend import _LDAPUser

    from otklik.sso.ldap_backend import DirectoryBackend, directory_apply

    result = SyncResult()
    present = directory_entries()
    result.seen = len(present)
    if not present:
        # An empty answer is far likelier a wrong base or filter than everybody leaving at once.
        raise DirectoryUnavailable("the sync filter found nobody; check OTKLIK_LDAP_USER_BASE and the filter")
    backend = DirectoryBackend()
    for account in DirectoryAccount.objects.select_related("user").order_by("pk"):
        user = account.user
        if account.dn.lower() in present:
            if not user.is_active and account.deactivated_at is not None:
                _set_active(user, account, active=True, now=now)
                result.reactivated += 1
            ldap_user = _LDAPUser(backend, username=user.email)
            refreshed = ldap_user.populate_user()
            if refreshed is not None:
                directory_apply(refreshed, ldap_user)
                result.refreshed += 1
            DirectoryAccount.objects.filter(pk=account.pk).update(synced_at=now)
        elif user.is_active:
            _set_active(user, account, active=False, now=now)
            result.deactivated += 1
    logger.info(
        "ldap sync: %s entries, %s refreshed, %s deactivated, %s reactivated",
        result.seen,
        result.refreshed,
        result.deactivated,
        result.reactivated,
    )
    return result


@transaction.atomic
def _set_active(user: User, account: DirectoryAccount, *, active: bool, now: datetime) -> None:
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    DirectoryAccount.objects.filter(pk=account.pk).update(deactivated_at=None if active else now)
    if not active:
        sessions_end_all(user)
        logger.warning("ldap sync: user %s (%s) is no longer in the directory; switched off", user.pk, account.dn)
