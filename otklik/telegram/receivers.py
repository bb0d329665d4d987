"""After a transaction that recorded ticket events commits, wake the Telegram notifier (if a bot exists)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from otklik.chat.models import ChatMessage
from otklik.chat.signals import chat_message_posted
from otklik.core.wakeups import once_after_commit
from otklik.tickets.models import TicketEvent
from otklik.tickets.signals import ticket_event_recorded

logger = logging.getLogger(__name__)


def _kick() -> None:
    from otklik.core.wakeups import wake
    from otklik.telegram.models import TelegramAccount
    from otklik.telegram.tasks import telegram_notify_task

    if not TelegramAccount.objects.exists():
        return  # nobody to tell: no job for every ticket change of a desk without Telegram
    try:
        wake("telegram_notify", telegram_notify_task)
    except Exception:  # the minutely sweep and the runner pick the events up
        logger.exception("could not enqueue the Telegram notifier")


@receiver(ticket_event_recorded, dispatch_uid="telegram_notify_kick")
def telegram_notify_kick(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    once_after_commit("telegram_notify", _kick)


@receiver(chat_message_posted, dispatch_uid="telegram_group_forward")
def telegram_group_forward(sender: Any, message: ChatMessage, **kwargs: Any) -> None:
    """A console (or API) answer in a conversation that came from a Telegram group goes back to the group,
    queued in the same transaction as the message."""
    from otklik.telegram.groups import forward_staff_message

    # Due now by the wall clock: the message's own time may be a caller's (a test's, an import's) instant.
    forward_staff_message(message, now=timezone.now())
