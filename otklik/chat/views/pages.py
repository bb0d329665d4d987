"""Chat pages: the agent console, the requester's chat in the portal, and the embeddable widget.

Pages render the frame; messages flow over the chat socket (`otklik.chat.consumers`), which also serves
history, so every channel reads through the same selectors. The widget page alone may be framed, and only
by its chat's allowed origins (CSP frame-ancestors; X-Frame-Options is left off for it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.access import chats as chat_access
from otklik.accounts.decorators import staff_required
from otklik.accounts.models import User
from otklik.chat import selectors, services
from otklik.chat.models import SupportChat
from otklik.core.errors import DomainError, InvalidInput
from otklik.security.framing import embed_script, framed_by_origins
from otklik.web.views.base import current_user


def _strings() -> dict[str, str]:
    # Labels the chat script shows, translated here so the script carries no language of its own.
    return {
        "send": _("Send"), "typing": _("%(name)s is typing…"), "ticket": _("Ticket #%(number)s"),
        "make_ticket": _("Make a ticket"), "internal": _("Internal remark"), "older": _("Older messages"),
        "doing": _("Doing"), "leading": _("Leading"), "watching": _("Watching"), "none": _("Nothing here."),
        "pick": _("Pick a message to make a ticket from:"), "reconnecting": _("Reconnecting…"),
        "waiting": _("waiting"), "support": _("Support"), "you": _("You"), "made": _("Ticket #%(number)s made."),
    }


def _socket_path(chat: SupportChat) -> str:
    return f"/ws/chats/{chat.pk}/"


@staff_required
@require_GET
def console_index(request: HttpRequest) -> HttpResponse:
    chats = list(chat_access.chats_served_by(current_user(request)).filter(is_active=True).order_by("name", "id")[:1])
    if chats:
        return redirect("chat:console", chat_id=chats[0].pk)
    return render(request, "chat/console.html", {"chat": None, "chats": [], "rows": []})


@staff_required
@require_GET
def console(request: HttpRequest, chat_id: int) -> HttpResponse:
    user = current_user(request)
    chat = chat_access.chats_served_by(user).select_related("team").filter(pk=chat_id).first()
    if chat is None:
        raise Http404
    now = timezone.now()
    return render(request, "chat/console.html", {
        "chat": chat,
        "counts": selectors.target_counts(user, now, chat.pk),
        "chats": chat_access.chats_served_by(user).filter(is_active=True).order_by("name", "id"),
        "rows": selectors.console_conversations(user, chat.pk),
        "now": now,
        "socket_path": _socket_path(chat),
        "may_answer": chat_access.chat_may_answer(user, chat.pk),
        "may_make_tickets": chat_access.chat_may_make_tickets(user, chat.pk, chat.team_id),
        "strings": _strings(),
    })


@login_required
@require_GET
def portal_chats(request: HttpRequest) -> HttpResponse:
    chats = list(chat_access.chats_askable_by(current_user(request)).select_related("team").order_by("name", "id"))
    if len(chats) == 1:
        return redirect("chat:portal_chat", chat_id=chats[0].pk)
    return render(request, "chat/portal_list.html", {"chats": chats})


@login_required
@require_GET
def portal_chat(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = chat_access.chats_askable_by(current_user(request)).filter(pk=chat_id).first()
    if chat is None:
        raise Http404
    return render(request, "chat/portal_chat.html", {
        "chat": chat, "socket_path": _socket_path(chat), "strings": _strings(),
    })


# ---------------------------------------------------------------- the widget


def _guest_session_key(chat_id: int) -> str:
    return f"chat-guest-{chat_id}"


def _framed_by_origins(response: HttpResponse, chat: SupportChat) -> HttpResponse:
    return framed_by_origins(response, chat.origins())


def _widget_chat(chat_id: int) -> SupportChat:
    chat = SupportChat.objects.filter(pk=chat_id, is_active=True).first()
    if chat is None:
        raise Http404
    return chat


@xframe_options_exempt
@require_GET
def widget(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _widget_chat(chat_id)
    user = request.user
    context: dict[str, Any] = {"chat": chat, "socket_path": _socket_path(chat), "strings": _strings(), "mode": ""}
    if isinstance(user, User) and chat_access.chats_askable_by(user).filter(pk=chat.pk).exists():
        context["mode"] = "member"
    else:
        key = str(request.session.get(_guest_session_key(chat.pk), ""))
        guest = None
        if key:
            try:
                guest = services.guest_conversation_get(chat_id=chat.pk, key=key)
            except DomainError:
                guest = None
        if guest is not None:
            context.update(mode="guest", guest_key=key)
        elif chat.allow_guests:
            context["mode"] = "guest_form"
        else:
            portal = reverse("chat:portal_chat", args=[chat.pk])
            context.update(mode="sign_in", login_url=f"{reverse('login')}?next={portal}")
    return _framed_by_origins(render(request, "chat/widget.html", context), chat)


@xframe_options_exempt
@require_POST
def widget_guest(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _widget_chat(chat_id)
    try:
        conversation = services.guest_conversation_start(
            chat=chat, name=request.POST.get("name", ""), email=request.POST.get("email", ""), now=timezone.now()
        )
    except InvalidInput as error:
        context = {"chat": chat, "mode": "guest_form", "errors": error.errors, "strings": _strings(),
                   "name": request.POST.get("name", "")[:200], "email": request.POST.get("email", "")[:200]}
        return _framed_by_origins(render(request, "chat/widget.html", context, status=400), chat)
    except DomainError as error:
        raise Http404 from error
    request.session[_guest_session_key(chat.pk)] = conversation.guest_key
    return _framed_by_origins(redirect("chat:widget", chat_id=chat.pk), chat)


@require_GET
def widget_script(request: HttpRequest, chat_id: int) -> HttpResponse:
    """`<script src=".../embed.js">`: adds the widget's iframe to the page that includes it."""
    chat = _widget_chat(chat_id)
    url = request.build_absolute_uri(reverse("chat:widget", args=[chat.pk]))
    return embed_script(frame_url=url, title=str(chat.name), marker="data-otklik-chat")
