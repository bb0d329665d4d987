"""Writes of the web app's own rows (an agent's saved list views), so its views never save rows themselves."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.web.models import SavedView


def saved_view_save(*, owner: User, name: str, query: str) -> tuple[SavedView, bool]:
    """Keep the list's query under this name; a name the owner already uses is overwritten.
    Returns the view and whether it is new."""
    name = name.strip()
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, query=query), True
    except IntegrityError:
        SavedView.objects.filter(owner=owner, name=name).update(query=query)
        return SavedView.objects.get(owner=owner, name=name), False


def saved_view_delete(*, owner: User, view_id: int) -> SavedView:
    """Delete one of the owner's views; someone else's or a missing one is NotFound alike."""
    view = SavedView.objects.filter(pk=view_id, owner=owner).first()
    if view is None:
        raise NotFound()
    view.delete()
    return view
