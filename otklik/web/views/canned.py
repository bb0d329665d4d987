"""The agent's own and their teams' canned replies: list, add, edit, delete (writes in automation.services)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from otklik.accounts.decorators import staff_required
from otklik.accounts.models import Team, User
from otklik.automation import services
from otklik.automation.models import CannedReply
from otklik.automation.scope import managed_in_workspace
from otklik.core.errors import DomainError
from otklik.web.forms import StyledForm
from otklik.web.views.base import current_user, report_error


class CannedReplyForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000,
                           help_text=gettext_lazy("Placeholders: {requester.first_name}, {ticket.number}, "
                                                  "{ticket.subject}, {agent.name}, {agent.signature}."))
    body_ru = forms.CharField(label=gettext_lazy("Text in Russian"), widget=forms.Textarea(attrs={"rows": 6}),
                              max_length=20000, required=False,
                              help_text=gettext_lazy("Sent instead of the text to Russian-speaking requesters."))
    team = forms.ModelChoiceField(label=gettext_lazy("For"), queryset=Team.objects.none(), required=False,
                                  empty_label=gettext_lazy("Only me"))

    def __init__(self, *args: object, viewer: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = viewer.teams.all()  # type: ignore[attr-defined]


def _mine(viewer: User) -> list[CannedReply]:
    """What this agent manages: personal replies and their teams' replies (shared ones are the admin's)."""
    return list(CannedReply.objects.filter(managed_in_workspace(viewer))
                .select_related("team").distinct().order_by("team__name", "order", "title"))


@staff_required
def canned_list(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    viewer = current_user(request)
    editing = None
    if pk is not None:
        editing = next((reply for reply in _mine(viewer) if reply.pk == pk), None)
        if editing is None:
            raise Http404()
    initial = ({"title": editing.title, "body": editing.body, "body_ru": editing.body_ru, "team": editing.team_id}
               if editing else {})
    form = CannedReplyForm(request.POST or None, initial=initial, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_reply_save(actor=viewer, reply_id=editing.pk if editing else None,
                                       values=form.cleaned_data)
        except DomainError as error:
            report_error(request, error)
            for field, message in (getattr(error, "errors", {}) or {}).items():
                if field in form.fields:
                    form.add_error(field, message)
        else:
            messages.success(request, _("The canned reply was saved."))
            return redirect("canned_replies")
    return render(request, "web/agent/canned.html", {
        "replies": _mine(viewer), "form": form, "editing": editing,
        "can_write": viewer.is_superuser or viewer.can_write,
    })


@staff_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.canned_reply_delete(actor=current_user(request), reply_id=pk)
    except DomainError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The canned reply was deleted."))
    return redirect("canned_replies")
