"""Company sign-in: OpenID Connect through django-allauth, and LDAP / Active Directory through
django-auth-ldap when the `ldap` extra is installed and OTKLIK_LDAP_URI is set. docs/security.md explains
each value."""

from __future__ import annotations

import importlib.util
import os
from typing import Any


def ldap_available() -> bool:
    """django-auth-ldap needs python-ldap, a C extension: an optional extra, absent from a plain install."""
    return importlib.util.find_spec("django_auth_ldap") is not None and importlib.util.find_spec("ldap") is not None


def configure(settings: dict[str, Any]) -> None:
    installed: list[str] = settings["INSTALLED_APPS"]
    # Our app first, so its templates replace allauth's few pages that people can see.
    for app in (
        "otklik.sso",
        "allauth",
        "allauth.account",
        "allauth.socialaccount",
        "allauth.socialaccount.providers.openid_connect",
    ):
        if app not in installed:
            installed.append(app)
    middleware: list[str] = settings["MIDDLEWARE"]
    if "allauth.account.middleware.AccountMiddleware" not in middleware:
        middleware.insert(
            middleware.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
            "allauth.account.middleware.AccountMiddleware",
        )
    if "otklik.sso.middleware.ProviderFormActionMiddleware" not in middleware:
        middleware.append("otklik.sso.middleware.ProviderFormActionMiddleware")

    settings["ACCOUNT_ADAPTER"] = "otklik.sso.adapter.AccountAdapter"
    settings["SOCIALACCOUNT_ADAPTER"] = "otklik.sso.adapter.SocialAccountAdapter"
    settings["ACCOUNT_USER_MODEL_USERNAME_FIELD"] = "username"
    settings["ACCOUNT_LOGIN_METHODS"] = {"email"}
    settings["ACCOUNT_SIGNUP_FIELDS"] = ["email*"]
    settings["ACCOUNT_EMAIL_VERIFICATION"] = "none"
    settings["ACCOUNT_UNIQUE_EMAIL"] = True
    settings["ACCOUNT_LOGOUT_REDIRECT_URL"] = "/"
    settings["SOCIALACCOUNT_EMAIL_VERIFICATION"] = "none"
    # Matching by address is ours (otklik/sso/adapter.py): verified addresses only, local password kept.
    settings["SOCIALACCOUNT_EMAIL_AUTHENTICATION"] = False
    settings["SOCIALACCOUNT_AUTO_SIGNUP"] = True
    settings["SOCIALACCOUNT_LOGIN_ON_GET"] = False  # the login page posts to the provider's start URL
    settings["SOCIALACCOUNT_STORE_TOKENS"] = False
    settings["SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX"] = "oidc"
    # Providers are rows (allauth's SocialApp, edited in the admin); none is configured by settings.
    settings["SOCIALACCOUNT_PROVIDERS"] = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
    settings.setdefault("LOGIN_REDIRECT_URL", "/")

    backends: list[str] = settings["AUTHENTICATION_BACKENDS"]
    settings["OTKLIK_LDAP_ENABLED"] = bool(os.environ.get("OTKLIK_LDAP_URI")) and ldap_available()
    if settings["OTKLIK_LDAP_ENABLED"]:
        configure_ldap(settings, os.environ)
        if "otklik.sso.ldap_backend.DirectoryBackend" not in backends:
            # After the lockout check, before the local password: the directory is the source of truth.
            backends.insert(
                backends.index("django.contrib.auth.backends.ModelBackend"), "otklik.sso.ldap_backend.DirectoryBackend"
            )


def configure_ldap(settings: dict[str, Any], env: Any) -> None:
    """Translate OTKLIK_LDAP_* variables into django-auth-ldap's settings (also used by the tests)."""
    import ldap
    from django_auth_ldap.config import (
        ActiveDirectoryGroupType,
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        PosixGroupType,
    )

    settings["AUTH_LDAP_SERVER_URI"] = env["OTKLIK_LDAP_URI"]
    settings["AUTH_LDAP_BIND_DN"] = env.get("OTKLIK_LDAP_BIND_DN", "")
    settings["AUTH_LDAP_BIND_PASSWORD"] = env.get("OTKLIK_LDAP_BIND_PASSWORD", "")
    settings["AUTH_LDAP_START_TLS"] = _env_bool_from(env, "OTKLIK_LDAP_START_TLS", False)
    user_base = env.get("OTKLIK_LDAP_USER_BASE", "")
    user_filter = env.get("OTKLIK_LDAP_USER_FILTER", "(mail=%(user)s)")
    settings["AUTH_LDAP_USER_SEARCH"] = LDAPSearch(user_base, ldap.SCOPE_SUBTREE, user_filter)
    # The sync lists everyone who may sign in; someone it no longer finds is switched off.
    settings["OTKLIK_LDAP_USER_BASE"] = user_base
    settings["OTKLIK_LDAP_SYNC_FILTER"] = env.get("OTKLIK_LDAP_SYNC_FILTER", "(objectClass=person)")
    settings["OTKLIK_LDAP_EMAIL_ATTR"] = env.get("OTKLIK_LDAP_EMAIL_ATTR", "mail")
    group_base = env.get("OTKLIK_LDAP_GROUP_BASE", "")
    if group_base:
        group_kind = env.get("OTKLIK_LDAP_GROUP_TYPE", "groupOfNames")
        types = {
            "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
            "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
            "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
            "activeDirectory": (ActiveDirectoryGroupType, "(objectClass=group)"),
        }
        group_type, group_filter = types.get(group_kind, types["groupOfNames"])
        settings["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(group_base, ldap.SCOPE_SUBTREE, group_filter)
        settings["AUTH_LDAP_GROUP_TYPE"] = group_type()
    settings["AUTH_LDAP_USER_ATTR_MAP"] = {
        "first_name": env.get("OTKLIK_LDAP_ATTR_FIRST_NAME", "givenName"),
        "last_name": env.get("OTKLIK_LDAP_ATTR_LAST_NAME", "sn"),
        "email": env.get("OTKLIK_LDAP_EMAIL_ATTR", "mail"),
        "phone": env.get("OTKLIK_LDAP_ATTR_PHONE", "telephoneNumber"),
    }
    settings["OTKLIK_LDAP_ATTR_DEPARTMENT"] = env.get("OTKLIK_LDAP_ATTR_DEPARTMENT", "departmentNumber")
    settings["AUTH_LDAP_ALWAYS_UPDATE_USER"] = True
    settings["AUTH_LDAP_MIRROR_GROUPS"] = False
    settings["AUTH_LDAP_CACHE_TIMEOUT"] = 0
    settings["AUTH_LDAP_CONNECTION_OPTIONS"] = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: int(env.get("OTKLIK_LDAP_TIMEOUT", "5")),
    }


def _env_bool_from(env: Any, name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
