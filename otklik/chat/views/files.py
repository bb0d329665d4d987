"""Chat files: uploaded with a message (checked by the tickets' one upload rule inside `chat_message_post`)
and served through the one safe download path, to those who may read their message only."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import User
from otklik.chat import selectors, services
from otklik.chat.models import ChatAttachment, ChatMessage, Conversation, SupportChat
from otklik.chat.payloads import MESSAGE_RELATED, message_payload
from otklik.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from otklik.security.downloads import attachment_file_response
from otklik.web.forms import as_inbound

logger = logging.getLogger(__name__)
MAX_FILES = 10


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


def _error(error: DomainError) -> JsonResponse:
    status = 400 if isinstance(error, InvalidInput) else 403 if isinstance(error, PermissionDenied) else (
        409 if isinstance(error, Conflict) else 404)
    return JsonResponse({"error": error.message, "code": error.code, "errors": getattr(error, "errors", {})},
                        status=status)


@require_POST
def upload(request: HttpRequest, chat_id: int) -> JsonResponse:
    """A message with files from the console, the portal chat or the widget (multipart: `files`, `text`,
    staff: `conversation` and `internal`). The stored message reaches every socket like a typed one."""
    chat = SupportChat.objects.select_related("team", "schedule").filter(pk=chat_id).first()
    if chat is None:
        raise Http404
    user = request.user if isinstance(request.user, User) and request.user.is_active else None
    conversation: Conversation | None = None
    try:
        if user is not None and chat_access.chat_serves(user, chat.pk):
            conversation = Conversation.objects.filter(
                pk=int(request.POST.get("conversation") or 0), chat_id=chat.pk
            ).first()
        elif user is None:
            conversation = services.guest_conversation_get(
                chat_id=chat.pk, key=str(request.session.get(f"chat-guest-{chat.pk}", ""))
            )
    except ValueError:
        return JsonResponse({"error": "conversation"}, status=400)
    except DomainError as error:
        return _error(error)
    files = request.FILES.getlist("files")
    if not files or len(files) > MAX_FILES:
        return JsonResponse({"error": str(_("Attach from one to %(count)d files.") % {"count": MAX_FILES})},
                            status=400)
    try:
        message = services.chat_message_post(
            chat=chat, author=user, conversation=conversation, text=request.POST.get("text", ""),
            is_internal=request.POST.get("internal") in {"1", "true", "on"}, attachments=as_inbound(files),
            now=timezone.now(),
        )
    except DomainError as error:
        logger.info("chat %s: upload by %s refused: %s", chat.pk, user.pk if user else "guest", error.message)
        return _error(error)
    stored = (
        ChatMessage.objects.select_related(*MESSAGE_RELATED).prefetch_related("attachments")
        .get(pk=message.pk)
    )
    serves = message.from_staff
    return JsonResponse({"message": message_payload(stored, for_staff=serves, viewer_id=user.pk if user else None)},
                        status=201)
