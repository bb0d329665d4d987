"""Macros in the workspace: the agent's own and their teams' (list, add, edit, delete), applying one to a
ticket, and a ticket's tags edited in place. Writes live in automation.macros and tickets.tags."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from otklik.accounts.access import is_visible
from otklik.accounts.decorators import staff_required
from otklik.accounts.models import Team, User
from otklik.automation import macros
from otklik.automation.models import Macro, MacroAssignee, MacroText
from otklik.core.errors import DomainError, NotFound
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Category, Priority, Status, Ticket
from otklik.tickets.tags import ticket_change_tags
from otklik.web.forms import StyledForm
from otklik.web.selectors import agents
from otklik.web.templatetags.workspace_tags import tag_panel_context
from otklik.web.views.base import current_user, error_text, logger, report_error

TAGS_HELP = gettext_lazy("Separated by commas, e.g. vpn, повтор.")


class MacroForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    title_ru = forms.CharField(label=gettext_lazy("Title in Russian"), max_length=200, required=False)
    team = forms.ModelChoiceField(
        label=gettext_lazy("For"), queryset=Team.objects.none(), required=False, empty_label=gettext_lazy("Only me")
    )
    set_status = forms.ModelChoiceField(
        label=gettext_lazy("Set status"),
        required=False,
        queryset=Status.objects.filter(is_active=True),
        empty_label=gettext_lazy("Do not change"),
    )
    set_priority = forms.ModelChoiceField(
        label=gettext_lazy("Set priority"),
        queryset=Priority.objects.all(),
        required=False,
        empty_label=gettext_lazy("Do not change"),
    )
    set_category = forms.ModelChoiceField(
        label=gettext_lazy("Set category"),
        required=False,
        queryset=Category.objects.filter(is_active=True),
        empty_label=gettext_lazy("Do not change"),
    )
    set_team = forms.ModelChoiceField(
        label=gettext_lazy("Move to team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=gettext_lazy("Do not change"),
    )
    assignee_action = forms.ChoiceField(label=gettext_lazy("Assignee"), choices=MacroAssignee.choices, required=False)
    assignee = forms.ModelChoiceField(label=gettext_lazy("Named person"), queryset=User.objects.none(), required=False)
    add_tags = forms.CharField(label=gettext_lazy("Add tags"), required=False, max_length=1000, help_text=TAGS_HELP)
    remove_tags = forms.CharField(
        label=gettext_lazy("Remove tags"), required=False, max_length=1000, help_text=TAGS_HELP
    )
    text_kind = forms.ChoiceField(label=gettext_lazy("Text"), choices=MacroText.choices, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
        help_text=gettext_lazy(
            "Placeholders: {requester.first_name}, {ticket.number}, {ticket.subject}, {agent.name}, {agent.signature}."
        ),
    )
    body_ru = forms.CharField(
        label=gettext_lazy("Text in Russian"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
        help_text=gettext_lazy("Sent instead of the text to Russian-speaking requesters."),
    )

    def __init__(self, *args: object, viewer: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = viewer.teams.all()  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = agents()  # type: ignore[attr-defined]


def _initial(macro: Macro) -> dict[str, object]:
    return {
        "title": macro.title,
        "title_ru": macro.title_ru,
        "team": macro.team_id,
        "set_status": macro.set_status_id,
        "set_priority": macro.set_priority_id,
        "set_category": macro.set_category_id,
        "set_team": macro.set_team_id,
        "assignee_action": macro.assignee_action,
        "assignee": macro.assignee_id,
        "add_tags": ", ".join(tag.name for tag in macro.add_tags.all()),
        "remove_tags": ", ".join(tag.name for tag in macro.remove_tags.all()),
        "text_kind": macro.text_kind,
        "body": macro.body,
        "body_ru": macro.body_ru,
    }


@staff_required
def macro_list(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    viewer = current_user(request)
    mine = list(macros.macros_managed_by(viewer))
    editing = None
    if pk is not None:
        editing = next((macro for macro in mine if macro.pk == pk), None)
        if editing is None:
            raise Http404()
    form = MacroForm(request.POST or None, initial=_initial(editing) if editing else {}, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            macros.macro_save(actor=viewer, macro_id=editing.pk if editing else None, values=form.cleaned_data)
        except DomainError as error:
            report_error(request, error)
            for field, message in (getattr(error, "errors", {}) or {}).items():
                if field in form.fields:
                    form.add_error(field, message)
        else:
            messages.success(request, _("The macro was saved."))
            return redirect("macros")
    return render(
        request,
        "web/agent/macros.html",
        {
            "macros": [(macro, macros.macro_summary(macro)) for macro in mine],
            "form": form,
            "editing": editing,
            "can_write": viewer.is_superuser or viewer.can_write,
        },
    )


@staff_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        macros.macro_delete(actor=current_user(request), macro_id=pk)
    except DomainError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The macro was deleted."))
    return redirect("macros")


def _ticket_for(viewer: User, number: int) -> Ticket:
    try:
        return ticket_selectors.ticket_get_by_number_for(viewer, number)
    except NotFound as error:
        raise Http404 from error


def _back(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    url = reverse("ticket", kwargs={"number": ticket.number})
    return redirect(url + ("?list=" + request.POST["list"] if request.POST.get("list") else ""))


@staff_required
@require_POST
def ticket_macro_apply(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """One click: the macro's changes, each through its service, as this agent."""
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    try:
        macro = macros.macro_get_for(viewer, pk)
    except NotFound as error:  # not offered to this agent: as if absent
        raise Http404 from error
    try:
        macros.macro_apply(actor=viewer, ticket_id=ticket.pk, macro_id=pk, now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=ticket.number, macro=pk)
    else:
        messages.success(request, _("Macro “%(title)s” applied.") % {"title": macro.label})
        if not is_visible(viewer, ticket.pk):  # handed to a team the agent does not see
            return redirect("home")
    return _back(request, ticket)


@staff_required
@require_POST
def ticket_tags(request: HttpRequest, number: int) -> HttpResponse:
    """Add tags (comma-separated) or remove one; HTMX swaps the tag panel back in place."""
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    error = ""
    try:
        ticket_change_tags(
            actor=viewer,
            ticket_id=ticket.pk,
            add=request.POST.get("add", "")[:1000],
            remove=request.POST.getlist("remove"),
            now=timezone.now(),
        )
    except DomainError as refused:
        if not request.htmx:  # type: ignore[attr-defined]
            report_error(request, refused, ticket=ticket.number)
        else:  # said inside the panel, where the agent is typing
            logger.info("tags refused: %s %s ticket=%s", refused.code, refused.message, ticket.number)
            details = getattr(refused, "errors", {}) or {}
            error = " ".join([error_text(refused), *map(str, details.values())])
    if request.htmx:  # type: ignore[attr-defined]
        context = tag_panel_context(viewer, _ticket_for(viewer, number), error=error)
        return render(request, "web/agent/tag_panel.html", context)
    return _back(request, ticket)
