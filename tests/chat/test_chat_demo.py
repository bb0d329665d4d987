from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.models import User
from otklik.chat import selectors
from otklik.chat.demo import seed_demo_chats
from otklik.chat.models import ChatMessage, Dialog, SupportChat
from otklik.demodata.seed import seed_reference_data
from otklik.sla.demo import seed_demo_sla
from otklik.tickets.models import Source, Ticket


@pytest.mark.django_db
def test_demo_chats_have_meaningful_metrics():
    now = timezone.now()
    seed_reference_data()
    seed_demo_sla(now)
    totals = seed_demo_chats(now, days=60, dialogs_per_chat=40)
    assert totals["chats"] == 2 and SupportChat.objects.count() == 2
    assert totals["dialogs"] == Dialog.objects.count() == 80
    assert Dialog.objects.filter(answered_at__isnull=True).count() == 6  # the three latest per chat wait
    made = Ticket.objects.filter(source=Source.CHAT)
    assert totals["tickets"] == made.count() >= 2
    assert ChatMessage.objects.filter(ticket__isnull=False).count() == made.count()
    mia = User.objects.get(email="mia@otklik.demo")
    metrics = selectors.first_line_metrics(mia, start=(now - timedelta(days=61)).date(), end=timezone.localdate())
    assert metrics["dialogs"] == 80 and metrics["avg_response_seconds"] > 0
    assert metrics["avg_response_working_seconds"] <= metrics["avg_response_seconds"]
    assert seed_demo_chats(now)["chats"] == 0  # a second run adds nothing
