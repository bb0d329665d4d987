"""The intranet widget (issue #19): a signed-in employee's open requests, embeddable in an intranet page.

`/portal/widget/` may be framed only by the installation's OTKLIK_INTRANET_WIDGET_ORIGINS (CSP
frame-ancestors through `otklik.security.framing`, the chat widget's machinery); `/portal/widget/embed.js`
adds the iframe where its script tag stands. Someone not signed in gets a sign-in link that opens the portal.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from otklik.accounts.models import User
from otklik.security.framing import embed_script, framed_by_origins, origins_from_lines
from otklik.web import selectors


def _origins() -> list[str]:
    return origins_from_lines(settings.OTKLIK_INTRANET_WIDGET_ORIGINS)


@xframe_options_exempt
@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    user = request.user
    signed_in = isinstance(user, User) and user.is_active
    context = {
        "signed_in": signed_in,
        "tickets": selectors.intranet_requests(user) if isinstance(user, User) and signed_in else [],
        "now": timezone.now(),
        "login_url": f"{reverse('login')}?next={reverse('portal_home')}",
    }
    return framed_by_origins(render(request, "web/intranet/widget.html", context), _origins())


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    url = request.build_absolute_uri(reverse("intranet_widget"))
    return embed_script(frame_url=url, title=_("My requests"), marker="data-otklik-requests", height="420px")
