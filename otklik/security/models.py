"""Security settings an admin can change without a release: who must use two-factor sign-in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role

# The policy is a single row; it is created on first read.
POLICY_ID = 1


class SecurityPolicy(models.Model):
    """Which roles must sign in with a second factor. Changes are audited."""

    require_two_factor_agents = models.BooleanField(_("agents must use two-factor sign-in"), default=False)
    require_two_factor_auditors = models.BooleanField(_("auditors must use two-factor sign-in"), default=False)
    require_two_factor_managers = models.BooleanField(_("managers must use two-factor sign-in"), default=False)
    require_two_factor_admins = models.BooleanField(_("administrators must use two-factor sign-in"), default=False)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")

    def __str__(self) -> str:
        return str(_("Security policy"))

    @classmethod
    def field_for_role(cls, role: str) -> str | None:
        fields: dict[str, str] = {
            Role.AGENT.value: "require_two_factor_agents",
            Role.AUDITOR.value: "require_two_factor_auditors",
            Role.MANAGER.value: "require_two_factor_managers",
            Role.ADMIN.value: "require_two_factor_admins",
        }
        return fields.get(role)

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy, _created = cls.objects.get_or_create(pk=POLICY_ID)
        return policy


class UserSecurity(models.Model):
    """Per-person security state kept beside the account (the account model belongs to `accounts`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="security"
    )
    two_factor_required = models.BooleanField(
        _("must use two-factor sign-in"), default=False,
        help_text=_("Set by an administrator; the person cannot switch two-factor sign-in off."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("personal security setting")
        verbose_name_plural = _("personal security settings")

    def __str__(self) -> str:
        return str(self.user)


class UserSession(models.Model):
    """A signed-in browser, for the "Your sessions" page: written at sign-in and at most once a minute."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="tracked_sessions")
    session_key = models.CharField(_("session key"), max_length=64, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in"))
    last_seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="usersession_user_seen")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.user_agent[:40]}"
