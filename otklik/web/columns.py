"""Which columns an agent's ticket list shows, and in which order: kept per agent (ListColumns).

The number and subject always show (a row must lead to its ticket); every other column is the agent's
choice. Every column reads a relation the list query already joins (tickets.selectors.ticket_list), so
the list stays one query whatever is chosen."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput, PermissionDenied
from otklik.web.models import ListColumns

COLUMNS: dict[str, Promise] = {
    "requester": _("Requester"),
    "organization": _("Organization"),
    "status": _("Status"),
    "priority": _("Priority"),
    "team": _("Team"),
    "assignee": _("Assignee"),
    "category": _("Category"),
    "request_type": _("Request type"),
    "source": _("Source"),
    "created": _("Created"),
    "updated": _("Updated"),
}
DEFAULT_COLUMNS: tuple[str, ...] = ("requester", "status", "priority", "team", "assignee", "updated")


def columns_for(agent: User) -> list[str]:
    """The agent's columns in their order (unknown ones, e.g. of an older release, dropped), else the default."""
    row = ListColumns.objects.filter(owner_id=agent.pk).values_list("columns", flat=True).first()
    chosen = [key for key in (row or []) if key in COLUMNS] if isinstance(row, list) else []
    return chosen or list(DEFAULT_COLUMNS)


def column_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in COLUMNS.items()]


@transaction.atomic
def columns_set(*, agent: User, columns: Sequence[str] | None) -> list[str]:
    """Keep the agent's columns in the given order; None or nothing chosen goes back to the default."""
    if not (agent.is_active and (agent.is_staff_member or agent.is_superuser)):
        raise PermissionDenied()
    chosen = list(dict.fromkeys(columns or ()))
    unknown = [key for key in chosen if key not in COLUMNS]
    if unknown:
        raise InvalidInput(gettext("Unknown column: %(name)s.") % {"name": ", ".join(unknown)[:200]})
    if not chosen:
        ListColumns.objects.filter(owner_id=agent.pk).delete()
        return list(DEFAULT_COLUMNS)
    ListColumns.objects.update_or_create(owner=agent, defaults={"columns": chosen})
    return chosen
