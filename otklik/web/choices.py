"""Choice lists of the workspace's forms read from the remembered lookups (otklik.core.lookups), so the
pages an agent reloads all day (the queue, the ticket page) read no configuration table to show them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django import forms

from otklik.accounts.models import User
from otklik.automation.macros import macros_offered_to
from otklik.automation.models import Macro
from otklik.tickets.models import RequestType
from otklik.tickets.selectors import configuration_by_id


class RememberedChoices(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """A model choice field's options from a list the lookup cache keeps, in the queryset's order: showing
    them reads no table (Django's iterator would count the rows and stream them through a server-side
    cursor on PostgreSQL: four round trips per field)."""

    field: RememberedChoiceField

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows())


class RememberedChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Shows the remembered `rows` (the same rows as its queryset); a posted value is still checked
    against the queryset, so what may be chosen is decided by the database as before."""

    iterator = RememberedChoices

    def __init__(self, rows: Callable[[], Sequence[Any]], *args: Any, **kwargs: Any) -> None:
        self.rows = rows
        super().__init__(*args, **kwargs)


def request_types_active(also: int | None = None) -> list[RequestType]:
    """Active request types (and the type `also`, even retired: a ticket's own) in the model's order, from the
    remembered configuration (all types by id)."""
    return [row for row in configuration_by_id()["request_type"].values() if row.is_active or row.pk == also]


def macro_labels(viewer: User) -> list[Macro]:
    """The macros `viewer` is offered (automation.macros' rule), read for their labels only: the bulk bar
    needs no tags, teams or actions, and a 2-table read plans in a fraction of the 9-join one."""
    return list(macros_offered_to(viewer).select_related(None).prefetch_related(None)
                .only("pk", "title", "title_ru"))
