"""Free labels on tickets: how a tag is written, and the one service that adds and removes them.

A ticket service like those in `services.py` (kept apart by topic): it locks the row, checks permission,
writes and records one `tags_changed` event with the names added and removed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import InvalidInput
from otklik.tickets.models import EventKind, Tag, Ticket
from otklik.tickets.services import event_record, ticket_lock

TAG_MAX_LENGTH = 50
# A ticket with more labels than this is being used as a database; the cap keeps pages and events small.
TAGS_PER_TICKET = 30
_SPACES = re.compile(r"\s+")


def tag_normalise(raw: str) -> str:
    """One way to write a tag: NFC, lowercase (any script, "ВПН" is "впн"), single spaces, no leading '#'.
    An empty result means "no tag"."""
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", str(raw))).strip().lstrip("#").strip()
    return text.lower()


def tags_parse(values: str | Iterable[str]) -> list[str]:
    """Tag names from a comma-separated text or a list, normalised, without repeats, in the given order.
    Raises InvalidInput for a name that is too long (rather than storing a cut one)."""
    parts = (
        values.split(",") if isinstance(values, str) else [piece for value in values for piece in str(value).split(",")]
    )
    names: list[str] = []
    for part in parts:
        name = tag_normalise(part)
        if not name or name in names:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise InvalidInput(
                _("A tag is at most %(count)d characters long.") % {"count": TAG_MAX_LENGTH},
                errors={"tags": _("“%(tag)s” is too long.") % {"tag": name[:60]}},
            )
        names.append(name)
    return names


def tags_ensure(names: Sequence[str]) -> list[Tag]:
    """The Tag rows for normalised names, created when new (a concurrent creator is no error)."""
    if not names:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return [found[name] for name in names if name in found]


def tickets_with_tags(names: Sequence[str]) -> Q:
    """Tickets carrying any of the tags (a subquery, so a ticket with two of them is listed once)."""
    through = Ticket.tags.through.objects.filter(tag__name__in=[tag_normalise(name) for name in names])
    return Q(pk__in=through.values("ticket_id"))


def tags_in_use() -> QuerySet[Tag]:
    """Tags on at least one ticket, for filter menus and suggestions (a semi-join per tag on the link
    table's tag index, so a big ticket table is never scanned)."""
    links = Ticket.tags.through.objects.filter(tag_id=OuterRef("pk"))
    return Tag.objects.filter(Exists(links)).order_by("name")


@transaction.atomic
def ticket_change_tags(
    *,
    actor: User | None,
    ticket_id: int,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    replace: Iterable[str] | None = None,
    now: datetime,
) -> Ticket:
    """Add and remove tags, or (`replace`) make the ticket carry exactly the given ones. Staff who may
    change the ticket only; one event lists what was added and removed, nothing is recorded for no change."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    current = list(ticket.tags.order_by("name").values_list("name", flat=True))
    if replace is not None:
        wanted = tags_parse(replace)
        added = [name for name in wanted if name not in current]
        removed = [name for name in current if name not in wanted]
    else:
        dropping = tags_parse(remove)
        added = [name for name in tags_parse(add) if name not in current and name not in dropping]
        removed = [name for name in current if name in dropping]
    if not added and not removed:
        return ticket
    if len(current) + len(added) - len(removed) > TAGS_PER_TICKET:
        raise InvalidInput(
            _("A ticket carries at most %(count)d tags.") % {"count": TAGS_PER_TICKET},
            errors={"tags": _("Too many tags.")},
        )
    if added:
        ticket.tags.add(*tags_ensure(added))
    if removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    event_record(
        ticket=ticket, actor=actor, kind=EventKind.TAGS_CHANGED, at=now, data={"added": added, "removed": removed}
    )
    return ticket
