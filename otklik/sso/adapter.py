"""django-allauth adapters: how a company sign-in finds or creates the Otklik account.

Otklik has no self-registration: accounts are made by administrators, by mail intake, or here. So an
address in `User.email` is trusted, and a provider's verified address matches it directly; allauth's own
email matching is off because it would wipe the local password of accounts it did not create.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.sso import claims
from otklik.sso.mapping import apply_group_mappings
from otklik.sso.models import MappingSource

logger = logging.getLogger(__name__)


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    messages.error(request, message)
    return ImmediateHttpResponse(HttpResponseRedirect(reverse("login")))


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships partial hints
    """Local accounts are not opened through allauth; sign-in goes through Django's session backend."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        # The first backend is the lockout check, which loads no users; the session must name one that does.
        if not hasattr(user, "backend"):
            user.backend = "django.contrib.auth.backends.ModelBackend"
        super().login(request, user)

    def respond_user_inactive(self, request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
        messages.error(request, _("This account is switched off. Ask your administrator."))
        return HttpResponseRedirect(reverse("login"))

    def add_message(self, *args: Any, **kwargs: Any) -> None:
        # allauth's own "signed in as" messages would repeat what the page already shows.
        return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Match a known person by a verified address, refuse an unverified one that belongs to someone,
        and apply the group mapping to people already known (new people get it in save_user)."""
        facts = claims.facts(sociallogin)
        if not sociallogin.is_existing:
            if not facts.email:
                raise _refuse(request, _("The sign-in provider did not tell us your email address."))
            existing = User.objects.filter(email__iexact=facts.email).first()
            if existing is not None:
                if not facts.email_verified:
                    logger.warning(
                        "sso: %s offered the unverified address of user %s; refused", facts.provider_name, existing.pk
                    )
                    raise _refuse(
                        request,
                        _(
                            "An account with this email address exists, but the sign-in provider did not confirm "
                            "that the address is yours. Sign in with your password or ask your administrator."
                        ),
                    )
                sociallogin.connect(request, existing)
                logger.info("sso: user %s linked to %s by verified email", existing.pk, facts.provider_name)
            elif not facts.email_verified:
                raise _refuse(request, _("The sign-in provider did not confirm your email address."))
        user = sociallogin.user
        if sociallogin.is_existing and isinstance(user, User):
            apply_group_mappings(user=user, source=MappingSource.OIDC, values=facts.groups, provider_id=facts.app_id)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        user.username = user.email
        user.role = Role.REQUESTER
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        user: User = super().save_user(request, sociallogin, form)  # no usable password: SSO only
        facts = claims.facts(sociallogin)
        apply_group_mappings(user=user, source=MappingSource.OIDC, values=facts.groups, provider_id=facts.app_id)
        logger.info("sso: user %s created at first sign-in through %s", user.pk, facts.provider_name)
        return user
