"""Whom the viewer may look up and how people are named to them: part of the access module
(`otklik.accounts.access` re-exports these rules, so callers have one place to ask)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from otklik.accounts.access import (
    _is_active_person,
    _is_staff,
    _sees_everything,
    _ticket_model,
    can_see_internal,
    tickets_handled_by,
)
from otklik.accounts.models import Role, User


def people_visible_to(viewer: User | None) -> QuerySet[User]:
    """The people (requesters and colleagues) the viewer may look up in the directory.

    Staff who handle tickets see the whole directory: a caller may have no ticket yet, and the phone form
    must find them. An agent limited to the tickets assigned to them sees only the requesters (and people
    copied) of those tickets, plus themselves. Requesters and anyone not signed in: nobody.
    """
    people = User.objects.all()
    if viewer is None or not _is_active_person(viewer) or not _is_staff(viewer):
        return people.none()
    if _sees_everything(viewer):
        return people
    if viewer.role == Role.AGENT and viewer.only_assigned_to_me:
        handled = tickets_handled_by(viewer)
        watchers = _ticket_model().watchers.through.objects.filter(ticket_id__in=handled.values("pk"))
        return people.filter(
            Q(pk__in=handled.values("requester_id")) | Q(pk__in=watchers.values("user_id")) | Q(pk=viewer.pk)
        )
    return people


def organizations_visible_to(viewer: User | None) -> QuerySet[Any]:
    """Customer organizations in the directory: every one for staff, those of visible people for the
    only-assigned agent, none for requesters."""
    organizations = apps.get_model("accounts", "Organization").objects.all()
    if viewer is None or not _is_active_person(viewer) or not _is_staff(viewer):
        return organizations.none()
    if viewer.role == Role.AGENT and viewer.only_assigned_to_me and not _sees_everything(viewer):
        return organizations.filter(pk__in=people_visible_to(viewer).values("organization_id"))
    return organizations


def person_email(viewer: User | None, person: User) -> str | None:
    """A person's email as the viewer may know it: their own, or anyone's to staff; requesters never see
    other people's email."""
    if viewer is not None and (viewer.pk == person.pk or can_see_internal(viewer)):
        return person.email
    return None


def person_label(viewer: User | None, person: User | None) -> str:
    """How a person is named to the viewer: requesters never see other people's email or phone."""
    if person is None:
        return ""
    if viewer is not None and (viewer.pk == person.pk or can_see_internal(viewer)):
        return str(person)
    full_name = person.get_full_name().strip()
    if full_name:
        return full_name
    return str(_("Support team") if person.is_staff_member else _("Requester"))
