"""Chat files leave through the one safe download path, to those who may read their message only."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from otklik.accounts.models import User
from otklik.chat import selectors
from otklik.chat.models import ChatAttachment
from otklik.security.downloads import attachment_file_response


@require_GET
def attachment(request: HttpRequest, token: str) -> FileResponse:
    found = ChatAttachment.objects.select_related("message").filter(token=token).first()
    if found is None:
        raise Http404
    message = found.message
    user = request.user
    allowed = False
    if isinstance(user, User):
        allowed = selectors.messages_visible_to(user, message.chat_id).filter(pk=message.pk).exists()
    if not allowed:
        key = request.session.get(f"chat-guest-{message.chat_id}", "")
        allowed = bool(key) and message.conversation.guest_key == key and not message.is_internal
    if not allowed:
        raise Http404
    # The download rules need only the file, its name and its declared type: the same for chat files.
    return attachment_file_response(found, preview=request.GET.get("inline") == "1")
