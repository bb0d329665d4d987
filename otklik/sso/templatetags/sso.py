"""The login page's "Sign in with …" buttons: one per configured OpenID Connect provider."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.socialaccount.models import SocialApp
from django import template
from django.urls import reverse

register = template.Library()


@dataclass(frozen=True)
class ProviderButton:
    name: str
    url: str


@register.simple_tag
def sso_providers() -> list[ProviderButton]:
    apps = SocialApp.objects.filter(provider="openid_connect").exclude(provider_id="").order_by("name")
    return [
        ProviderButton(name=app.name, url=reverse("openid_connect_login", kwargs={"provider_id": app.provider_id}))
        for app in apps.only("name", "provider_id")
    ]
