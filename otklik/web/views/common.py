"""Pages for everyone: home, a ticket by number, password-less links, language, profile, files, health."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.access import attachment_get_for, can_see_internal_on, tickets_visible_to
from otklik.accounts.models import User
from otklik.accounts.services import user_set_language, user_set_signature
from otklik.core.errors import NotFound
from otklik.core.models import PeriodicRun
from otklik.security.downloads import attachment_file_response, wants_preview
from otklik.tickets.models import Attachment
from otklik.web import selectors as web_selectors
from otklik.web.forms import ProfileForm, time_zone_names
from otklik.web.links import SESSION_KEY, link_lifetime, read_token
from otklik.web.middleware import supported_language
from otklik.web.views import agent as agent_views
from otklik.web.views import portal as portal_views
from otklik.web.views import ticket as ticket_views
from otklik.web.views.base import current_user, is_agent, safe_next


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    """Agents land on their queues, requesters on their requests."""
    if is_agent(request.user):
        return agent_views.ticket_list(request)
    return redirect("portal_home")


@require_GET
def ticket(request: HttpRequest, number: int) -> HttpResponse:
    """One address per ticket for everybody; what it shows depends on who asks."""
    user = request.user
    if is_agent(user):
        assert isinstance(user, User)
        try:
            found = web_selectors.ticket_by_number(user, number)
        except NotFound as error:
            raise Http404 from error
        if can_see_internal_on(user, found):
            return ticket_views.ticket_page(request, found)
        # An agent's own request, outside their teams: they see it as its requester does.
        return portal_views.ticket_page(request, user, found)
    if not user.is_authenticated and portal_views.granted_user(request, number) is None:
        return redirect(f"{reverse('login')}?next={request.path}")
    viewer, found = portal_views.portal_viewer(request, number)
    return portal_views.ticket_page(request, viewer, found)


@require_GET
def ticket_link(request: HttpRequest, token: str) -> HttpResponse:
    """A link from an email: opens one ticket for its requester without a password, for a limited time."""
    grant = read_token(token)
    user = User.objects.filter(pk=grant.user_id, is_active=True).first() if grant else None
    found = None
    if grant is not None and user is not None and user.is_requester:
        found = tickets_visible_to(user).filter(pk=grant.ticket_id).values_list("number", flat=True).first()
    if found is None:
        return render(request, "web/portal/link_expired.html", status=404)
    grants = dict(request.session.get(SESSION_KEY, {}))
    expires = time.time() + link_lifetime().total_seconds()
    grants[str(found)] = {"u": user.pk, "exp": expires}  # type: ignore[union-attr]
    request.session[SESSION_KEY] = grants
    if not request.user.is_authenticated:
        request.session.set_expiry(int(link_lifetime().total_seconds()))
    return redirect("ticket", number=found)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; signed-in people keep the choice on their profile."""
    language = request.POST.get("language", "")
    response = redirect(safe_next(request, reverse("home")))
    if not supported_language(language):
        return response
    if isinstance(request.user, User):
        user_set_language(user=request.user, language=language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE, secure=settings.SESSION_COOKIE_SECURE, httponly=True,
    )
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "signature" in form.fields:
            user_set_signature(user=user, signature=form.cleaned_data["signature"])
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile")
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=settings.LANGUAGE_COOKIE_AGE,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE, httponly=True,
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
    try:
        preferences_url = reverse("notification_preferences")
    except NoReverseMatch:
        preferences_url = ""
    return render(request, "web/profile.html", {
        "form": form, "preferences_url": preferences_url, "time_zones": time_zone_names(),
    })


@require_GET
def attachment(request: HttpRequest, token: str) -> FileResponse:
    """A file, only for someone who may see its ticket (and its note, for a note's file)."""
    viewer: User | None = request.user if isinstance(request.user, User) else None
    if viewer is None:
        ticket_id = Attachment.objects.filter(token=token).values_list("ticket_id", flat=True).first()
        viewer = _link_viewer_for(request, ticket_id) if ticket_id is not None else None
    try:
        found = attachment_get_for(viewer, token)
    except NotFound as error:
        raise Http404 from error
    # Images open in the browser only when the link asks (?inline=1) and their bytes really are images.
    return attachment_file_response(found, preview=wants_preview(request))


def _link_viewer_for(request: HttpRequest, ticket_id: int) -> User | None:
    for number in request.session.get(SESSION_KEY, {}):
        user = portal_views.granted_user(request, int(number))
        if user is not None and tickets_visible_to(user).filter(pk=ticket_id, number=int(number)).exists():
            return user
    return None


def health(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and of the job scheduler (its last heartbeat)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    last = PeriodicRun.objects.filter(job="scheduler_heartbeat").order_by("-period_start").first()
    scheduler_ok = last is not None and timezone.now() - last.period_start < timedelta(minutes=3)
    return JsonResponse({
        "database": "ok",
        "scheduler": "ok" if scheduler_ok else "stale",
        "last_heartbeat": last.period_start.isoformat() if last else None,
    })
