"""Sign-in against LDAP / Active Directory (django-auth-ldap), with Otklik's own mapping on top.

Imported only when the `ldap` extra is installed and OTKLIK_LDAP_URI is set (see settings/sso.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from otklik.accounts.models import Organization, User
from otklik.sso.mapping import apply_group_mappings
from otklik.sso.models import DirectoryAccount, MappingSource

logger = logging.getLogger(__name__)


class DirectoryBackend(LDAPBackend):  # type: ignore[misc]  # django-auth-ldap ships no type hints
    """People type their email address; the directory entry found by it decides who they are."""

    def get_or_build_user(self, username: str, ldap_user: _LDAPUser) -> tuple[User, bool]:
        user, built = super().get_or_build_user(username, ldap_user)
        if built:
            user.username = user.email = username.lower()
        return user, built

    def authenticate_ldap_user(self, ldap_user: _LDAPUser, password: str) -> User | None:
        user: User | None = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            directory_apply(user, ldap_user)
        return user


def _first(attrs: Any, name: str) -> str:
    values = (attrs or {}).get(name) or (attrs or {}).get(name.lower()) or []
    return str(values[0]).strip() if values else ""


@transaction.atomic
def directory_apply(user: User, ldap_user: _LDAPUser) -> None:
    """What the directory says beyond plain attributes: department, groups, and the link the sync checks."""
    department = _first(ldap_user.attrs, getattr(settings, "OTKLIK_LDAP_ATTR_DEPARTMENT", "departmentNumber"))
    if department:
        organization, _created = Organization.objects.get_or_create(name=department[:200])
        if user.organization_id != organization.pk:
            user.organization = organization
            user.save(update_fields=["organization"])
    groups = {dn.lower() for dn in (ldap_user.group_dns or ())}
    apply_group_mappings(user=user, source=MappingSource.LDAP, values=groups)
    DirectoryAccount.objects.update_or_create(
        user=user, defaults={"dn": ldap_user.dn, "synced_at": timezone.now(), "deactivated_at": None}
    )
