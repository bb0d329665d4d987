"""After a transaction that recorded ticket events commits, wake the Telegram notifier (if a bot exists)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from otklik.chat.models import ChatMessage
from otklik.chat.signals import chat_message_posted
from otklik.core import lookups
from otklik.core.wakeups import wake_on_commit
from otklik.tickets.models import TicketEvent
from otklik.tickets.signals import ticket_event_recorded

logger = logging.getLogger(__name__)


def _watch_accounts() -> None:
    from otklik.telegram.models import TelegramAccount

    # "Is anyone linked to Telegram?" is remembered until an account is linked or unlinked.
    lookups.depends_on("telegram.any_account", TelegramAccount)


_watch_accounts()


def _notify() -> None:
    from otklik.telegram.tasks import telegram_notify_task

    telegram_notify_task()


@receiver(ticket_event_recorded, dispatch_uid="telegram_notify_kick")
def telegram_notify_kick(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    from otklik.telegram.models import TelegramAccount

    if not lookups.remembered("telegram.any_account", TelegramAccount.objects.exists):
        return  # nobody to tell: no job for every ticket change of a desk without Telegram
    # After commit, with the transaction's other wake-ups; a failed kick is logged (the minutely sweep and
    # the runner pick the events up).
    wake_on_commit("telegram_notify", _notify)


@receiver(chat_message_posted, dispatch_uid="telegram_group_forward")
def telegram_group_forward(sender: Any, message: ChatMessage, **kwargs: Any) -> None:
    """A console (or API) answer in a conversation that came from a Telegram group goes back to the group,
    queued in the same transaction as the message."""
    from otklik.telegram.groups import forward_staff_message

    # Due now by the wall clock: the message's own time may be a caller's (a test's, an import's) instant.
    forward_staff_message(message, now=timezone.now())
