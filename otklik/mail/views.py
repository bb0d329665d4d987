from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from otklik.core.errors import NotFound
from otklik.mail import selectors
from otklik.security.downloads import attachment_file_response, wants_preview


@login_required
@require_GET
def inbound_original(request: HttpRequest, inbound_id: int) -> HttpResponse:
    """The message exactly as received, as a download (never rendered in our origin)."""
    try:
        row = selectors.inbound_original_for(request.user, inbound_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def inline_image(request: HttpRequest, inbound_id: int, index: int) -> HttpResponseBase:
    """An image a mail body shows inline (cid:), under the same access as the message."""
    try:
        attachment = selectors.inline_attachment_for(request.user, inbound_id, index)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc
    return attachment_file_response(attachment, preview=wants_preview(request))
