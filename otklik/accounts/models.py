from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    AUDITOR = "auditor", _("Read-only auditor")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.AGENT, Role.AUDITOR, Role.MANAGER, Role.ADMIN})


class Organization(models.Model):
    """A customer group: a company, a department or a client whose people ask for help."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(
        _("email domain"), max_length=200, blank=True, help_text=_("Senders from this domain join it.")
    )
    shares_tickets = models.BooleanField(
        _("members see each other's tickets"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class OtklikUserManager(UserManager["User"]):
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("username", email.lower())
        return super().create_user(email=email.lower(), password=password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("username", email.lower())
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(email=email.lower(), password=password, **extra_fields)


class User(AbstractUser):
    """Everyone who signs in or writes to support. Email is the login."""

    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REQUESTER)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    only_assigned_to_me = models.BooleanField(
        _("sees only tickets assigned to them"), default=False
    )
    is_department_head = models.BooleanField(_("department head"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["username"]
    objects: ClassVar[OtklikUserManager] = OtklikUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in {Role.AGENT, Role.MANAGER, Role.ADMIN}


class TeamKind(models.TextChoices):
    FIRST_LINE = "first_line", _("First line")
    SECOND_LINE = "second_line", _("Second line")
    DEPARTMENT = "department", _("Department")


class Team(models.Model):
    """A support line or department; agents see the tickets of their teams."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind.choices, default=TeamKind.SECOND_LINE)
    lead = models.ForeignKey(
        User, verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="teams", blank=True)
    email = models.EmailField(_("team email"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    @property
    def label(self) -> str:
        return self.name_ru if self.name_ru and (get_language() or "").startswith("ru") else self.name

    def __str__(self) -> str:
        return self.label
