from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from otklik.core.errors import NotFound
from otklik.mail import selectors


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
    is_image = attachment.content_type.startswith("image/") and attachment.content_type != "image/svg+xml"
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type if is_image else "application/octet-stream",
        as_attachment=not is_image, filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
