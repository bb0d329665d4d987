"""Anonymisation leaves no trace of the person's email, name or phone in any table, file or index."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from otklik.accounts.models import User
from otklik.audit.models import AuditEntry, AuditKind
from otklik.chat.models import ChatMessage, SupportChat
from otklik.chat.models import Conversation as ChatConversation
from otklik.core.errors import InvalidInput
from otklik.mail.models import InboundMail, OutboundMail, UndeliverableAddress
from otklik.notifications.models import Notification
from otklik.privacy.anonymise import person_anonymise, pseudonym
from otklik.search.models import SearchEntry
from otklik.telegram.models import Bot, InboundUpdate, TelegramAccount
from otklik.testing.personas import PASSWORD
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Message, Ticket, TicketRating
from tests.access.world import World, public_marker

EMAIL = "alice@a.example"
FIRST, LAST, PHONE, TG_NAME = "Alevtina", "Zvonareva", "+7 912 555-01-02", "alevtina_tg"
SECRETS = (EMAIL, FIRST, LAST, PHONE, TG_NAME, "4242424242")


def _dump() -> str:
    """Every text, JSON and binary value of every table, as one string."""
    parts: list[str] = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        names = [f.attname for f in model._meta.concrete_fields
                 if isinstance(f, models.CharField | models.TextField | models.JSONField | models.BinaryField)]
        for row in model._base_manager.values_list(*names) if names else []:
            for value in row:
                if isinstance(value, bytes | memoryview):
                    parts.append(bytes(value).decode("latin-1"))
                else:
                    parts.append(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)
    return "\n".join(parts).lower()


def _media(root: Path) -> str:
    return "\n".join(
        f"{path}\n{path.read_bytes().decode('latin-1')}" for path in root.rglob("*") if path.is_file()
    ).lower()


def _history(world: World, now: datetime) -> User:
    """Alice everywhere: tickets, mail, chat, Telegram, notifications, audit, search."""
    alice = world.user("alice")
    User.objects.filter(pk=alice.pk).update(first_name=FIRST, last_name=LAST, phone=PHONE, signature=f"-- {FIRST}")
    alice.refresh_from_db()
    Client().login(email=EMAIL, password=PASSWORD)  # an audited sign-in
    ticket = world.ticket("alice_first")
    services.ticket_reply(
        actor=alice, ticket_id=ticket.pk, now=now + timedelta(minutes=5),
        body_text=f"Thanks!\n{FIRST} {LAST}\n{PHONE}\n{EMAIL}",
        attachments=(InboundAttachment("passport.txt", f"{FIRST} {LAST} passport".encode(), "text/plain"),),
    )
    services.ticket_reply(
        actor=world.user("fiona"), ticket_id=ticket.pk, body_text=f"Hello {FIRST}, done.",
        now=now + timedelta(minutes=9),
    )
    TicketRating.objects.create(ticket=ticket, rated_by=alice, score=5, comment=f"{FIRST} is happy",
                                resolved_at=now, created_at=now)
    InboundMail.objects.create(
        source="import", raw=f"From: {FIRST} {LAST} <{EMAIL}>\r\n\r\nHi".encode(), received_at=now,
        sender=EMAIL, subject=f"From {FIRST}", ticket=ticket, details={"from_name": f"{FIRST} {LAST}"},
    )
    OutboundMail.objects.create(
        kind="reply", from_address="support@otklik.test", to=[EMAIL], recipient_key=EMAIL, subject="Re",
        body_text=f"Dear {FIRST} {LAST}", headers={"To": f"{FIRST} <{EMAIL}>"}, message_id="<m1@otklik>",
        created_at=now,
    )
    UndeliverableAddress.objects.create(email=EMAIL, diagnostic=f"550 {EMAIL} unknown", bounced_at=now)
    Notification.objects.create(recipient=world.user("fiona"), topic="ticket_created", title=f"{FIRST} {LAST} asks",
                                body=EMAIL, dedupe_key="k1", created_at=now)
    chat = SupportChat.objects.create(name="Desk", team=world.people.first_line, created_at=now)
    conversation = ChatConversation.objects.create(chat=chat, requester=alice, created_at=now)
    ChatMessage.objects.create(chat=chat, conversation=conversation, author=alice, text=f"I am {FIRST} {LAST}",
                               created_at=now)
    bot = Bot.objects.create(name="bot", token="123:abc")
    TelegramAccount.objects.create(user=alice, telegram_user_id=4242424242, username=TG_NAME, chat_id=4242424242,
                                   bot=bot, linked_by="token", linked_at=now)
    InboundUpdate.objects.create(
        bot=bot, update_id=1, received_at=now,
        payload={"message": {"from": {"id": 4242424242, "first_name": FIRST, "username": TG_NAME},
                             "chat": {"id": 4242424242}, "text": "hello"}},
    )
    return alice


def _counts() -> dict[str, Any]:
    return {
        "tickets": Ticket.objects.count(), "messages": Message.objects.count(),
        "ratings": list(TicketRating.objects.values_list("score", flat=True)),
        "alice_tickets": sorted(Ticket.objects.filter(requester__email=EMAIL).values_list("pk", flat=True)),
    }


@pytest.mark.django_db
def test_no_trace_in_any_table_or_file(world: World, now: datetime, media: Path) -> None:
    alice = _history(world, now)
    dump, files = _dump(), _media(media)
    for secret in SECRETS:  # the history really holds every secret, so the checks below can fail
        assert secret.lower() in dump, secret
    assert FIRST.lower() in files
    before = _counts()

    outcome = person_anonymise(actor=world.user("adam"), person=alice)

    dump, files = _dump(), _media(media)
    for secret in SECRETS:
        assert secret.lower() not in dump, secret
        assert secret.lower() not in files, secret
    alias = pseudonym(alice.pk)
    assert outcome.pseudonym == alias
    alice.refresh_from_db()
    assert alice.email == f"{alias}@anonymised.invalid" and not alice.is_active and not alice.has_usable_password()
    # Statistics stay: the same tickets, messages and scores, still hers.
    after = _counts()
    assert after["tickets"] == before["tickets"] and after["messages"] == before["messages"]
    assert after["ratings"] == before["ratings"]
    assert sorted(Ticket.objects.filter(requester=alice).values_list("pk", flat=True)) == before["alice_tickets"]
    # Other people's content survives, and the search index follows the rewritten text.
    assert Message.objects.filter(body_text=public_marker("alice_first")).exists()
    assert SearchEntry.objects.filter(text__contains=f"Hello {alias}").exists()
    assert not TelegramAccount.objects.exists() and not InboundUpdate.objects.exists()
    assert InboundMail.objects.get().raw in (b"", memoryview(b""))
    entry = AuditEntry.objects.get(kind=AuditKind.PERSON_ANONYMISED)
    assert entry.object_id == str(alice.pk) and entry.changes["pseudonym"] == alias


@pytest.mark.django_db
def test_pseudonym_is_stable_and_distinct(people: Any) -> None:
    assert pseudonym(people.alice.pk) == pseudonym(people.alice.pk)
    assert pseudonym(people.alice.pk) != pseudonym(people.bob.pk)


@pytest.mark.django_db
def test_twice_or_oneself_is_refused(world: World) -> None:
    adam, carol = world.user("adam"), world.user("carol")
    with pytest.raises(InvalidInput):
        person_anonymise(actor=adam, person=adam)
    person_anonymise(actor=adam, person=carol)
    carol.refresh_from_db()
    with pytest.raises(InvalidInput):
        person_anonymise(actor=adam, person=carol)


@pytest.mark.django_db
def test_keep_policy_keeps_files(world: World, now: datetime, settings: Any) -> None:
    settings.OTKLIK_PRIVACY_ATTACHMENTS = "keep"
    alice = world.user("alice")
    message = services.ticket_reply(
        actor=alice, ticket_id=world.tickets["alice_first"].pk, body_text="see file", now=now,
        attachments=(InboundAttachment("scan.txt", b"scan", "text/plain"),),
    )
    outcome = person_anonymise(actor=None, person=alice)
    assert outcome.files_deleted == 0
    assert message.attachments.count() == 1
