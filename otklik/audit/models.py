"""The audit log: who signed in, who failed, who was locked out, who changed configuration, and when.

Rows are append-only: nobody edits or deletes them through the application, not even admins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out after failed sign-ins")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor authentication enabled")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor authentication disabled")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Two-factor code accepted")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
    RECOVERY_CODES_CREATED = "recovery_codes_created", _("Recovery codes created")
    CONFIG_CREATED = "config_created", _("Configuration created")
    CONFIG_CHANGED = "config_changed", _("Configuration changed")
    CONFIG_DELETED = "config_deleted", _("Configuration deleted")
    DATA_EXPORTED = "data_exported", _("Personal data exported")
    PERSON_ANONYMISED = "person_anonymised", _("Person anonymised")
    RETENTION_RUN = "retention_run", _("Retention policy run")


class AuditEntry(models.Model):
    kind = models.CharField(_("event"), max_length=40, choices=AuditKind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text so the entry still says who it was after the account is deleted.
    actor_email = models.CharField(_("who (email)"), max_length=254, blank=True)
    login_name = models.CharField(_("name typed at sign-in"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["actor", "-created_at"], name="audit_actor_created")]

    def __str__(self) -> str:
        who = self.actor_email or self.login_name or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {who}"
