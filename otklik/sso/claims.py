"""What a provider said about the person, read once from allauth's SocialLogin and the provider policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from allauth.socialaccount.models import SocialLogin

from otklik.sso.mapping import claim_values
from otklik.sso.models import DEFAULT_MFA_AMR, ProviderPolicy


@dataclass(frozen=True)
class LoginFacts:
    app_id: int | None
    provider_name: str
    email: str
    email_verified: bool
    groups: set[str] = field(default_factory=set)
    amr: set[str] = field(default_factory=set)
    mfa_asserted: bool = False


def _merged_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    """allauth keeps the ID token and the user info apart; the user info wins where both speak."""
    merged: dict[str, Any] = {}
    for part in ("id_token", "userinfo"):
        value = extra_data.get(part)
        if isinstance(value, dict):
            merged.update(value)
    if not merged:
        merged.update(extra_data)
    return merged


def policy_for(app_id: int | None) -> ProviderPolicy:
    """The stored policy, or the cautious defaults for a provider that has none yet."""
    if app_id is not None:
        found = ProviderPolicy.objects.filter(app_id=app_id).first()
        if found is not None:
            return found
    return ProviderPolicy(groups_claim="groups", mfa_amr_values=DEFAULT_MFA_AMR)


def facts(sociallogin: SocialLogin) -> LoginFacts:
    provider = sociallogin.account.get_provider()
    app = getattr(provider, "app", None)
    app_id = getattr(app, "pk", None)
    policy = policy_for(app_id)
    data = _merged_claims(sociallogin.account.extra_data or {})
    addresses = list(sociallogin.email_addresses or [])
    email = (addresses[0].email if addresses else str(data.get("email") or "")).strip().lower()
    verified = any(address.verified and address.email.lower() == email for address in addresses)
    amr = claim_values(data.get("amr"))
    return LoginFacts(
        app_id=app_id,
        provider_name=str(getattr(app, "name", "") or sociallogin.account.provider),
        email=email,
        email_verified=bool(email) and (verified or policy.trust_unverified_email),
        groups=claim_values(data.get(policy.groups_claim or "groups")),
        amr=amr,
        mfa_asserted=policy.trust_mfa and bool(amr & policy.mfa_values()),
    )
