"""After a company sign-in: a provider's own second factor may stand in for ours, if the policy says so."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from otklik.security import two_factor
from otklik.sso import claims

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="otklik-sso-mfa")
def provider_mfa_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        return
    found = claims.facts(sociallogin)
    if found.mfa_asserted:
        two_factor.mark_verified_by_provider(request, found.provider_name)
        logger.info("sso: user %s signed in with the provider's second factor (%s)", user.pk, sorted(found.amr))
