"""Company sign-in configuration kept in rows an administrator edits: how much each OpenID Connect provider
is trusted, and which directory groups or token claims give which role and team."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role, Team

DEFAULT_MFA_AMR = "mfa,otp,hwk,swk,sms,fpt,face,iris,retina,sc"


class ProviderPolicy(models.Model):
    """What Otklik believes of one OpenID Connect provider (an allauth SocialApp)."""

    app = models.OneToOneField(
        SocialApp, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="otklik_policy"
    )
    groups_claim = models.CharField(
        _("groups claim"),
        max_length=100,
        default="groups",
        help_text=_("The claim of the ID token or user info that lists the person's groups or roles."),
    )
    trust_unverified_email = models.BooleanField(
        _("treat its email addresses as verified"),
        default=False,
        help_text=_(
            "Only for a provider your company runs itself, whose addresses people cannot choose. "
            "Otherwise an address is used only when the provider says it is verified."
        ),
    )
    trust_mfa = models.BooleanField(
        _("accept its multi-factor sign-in"),
        default=False,
        help_text=_(
            "Staff who must use two-factor sign-in skip the Otklik code when the provider says "
            "(in the amr claim) that it asked for a second factor."
        ),
    )
    mfa_amr_values = models.CharField(
        _("amr values that mean a second factor"),
        max_length=200,
        default=DEFAULT_MFA_AMR,
        help_text=_("Comma-separated authentication method references (RFC 8176)."),
    )

    class Meta:
        verbose_name = _("sign-in provider policy")
        verbose_name_plural = _("sign-in provider policies")

    def __str__(self) -> str:
        return str(self.app)

    def mfa_values(self) -> set[str]:
        return {value.strip().lower() for value in self.mfa_amr_values.split(",") if value.strip()}


class MappingSource(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    LDAP = "ldap", _("LDAP / Active Directory")


class GroupMapping(models.Model):
    """One directory group or claim value and what it gives: a role, a team or both.

    Applied at every sign-in: when any row of a source sets a role, that source decides the role of
    the people it signs in (the highest one matched, or requester); teams named by the source's rows
    follow the groups, other teams are left alone.
    """

    source = models.CharField(_("source"), max_length=10, choices=MappingSource.choices)
    provider = models.ForeignKey(
        SocialApp,
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("OpenID Connect only; empty means every provider."),
    )
    value = models.CharField(
        _("group or claim value"),
        max_length=500,
        help_text=_("A claim value (for example, support-agents) or an LDAP group DN; case does not matter."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["source", "value"]
        verbose_name = _("group mapping")
        verbose_name_plural = _("group mappings")

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.value}"


class DirectoryAccount(models.Model):
    """A person whose account comes from the LDAP directory; the sync job checks these."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="directory_account"
    )
    dn = models.CharField(_("distinguished name"), max_length=500)
    synced_at = models.DateTimeField(_("last seen in the directory"))
    deactivated_at = models.DateTimeField(_("deactivated by the sync"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")

    def __str__(self) -> str:
        return self.dn
