"""Retention on a generated history: what is old enough goes, what is not stays, a dry run changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from otklik.audit.models import AuditEntry, AuditKind
from otklik.mail.models import InboundMail, InboundStatus
from otklik.privacy.models import ClosedTicketAction, RetentionPolicy, RetentionRun
from otklik.privacy.retention import REDACTED, months_before, retention_apply
from otklik.search.models import SearchEntry
from otklik.telegram.models import Bot, InboundUpdate, UpdateStatus
from otklik.testing.personas import PASSWORD, Personas
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment, Message, Ticket

NOW = datetime(2026, 3, 2, 9, 0).astimezone()


def _history(people: Personas, *, months: list[int]) -> dict[int, Ticket]:
    """One ticket per age in months, each with a file and a raw mail copy, closed at that age."""
    tickets = {}
    for age in months:
        at = months_before(NOW, age)
        ticket = services.ticket_create(
            actor=people.alice, requester=people.alice, subject=f"Secret subject {age}", body_text=f"Secret {age}",
            attachments=(InboundAttachment(f"f{age}.txt", b"secret bytes", "text/plain"),), now=at,
        )
        changes.ticket_close(actor=None, ticket_id=ticket.pk, now=at)
        InboundMail.objects.create(source="import", raw=b"From: alice", received_at=at, ticket=ticket)
        tickets[age] = ticket
    services.ticket_create(actor=people.bob, requester=people.bob, subject="Open and old", body_text="x",
                           now=months_before(NOW, 30))
    return tickets


def _noise(days: list[int]) -> None:
    bot = Bot.objects.create(name="b", token="1:t")
    for index, age in enumerate(days):
        at = NOW - timedelta(days=age)
        InboundMail.objects.create(source="import", raw=b"spam", received_at=at, status=InboundStatus.QUARANTINED)
        InboundMail.objects.create(source="import", raw=b"ok", received_at=at, status=InboundStatus.PROCESSED)
        InboundUpdate.objects.create(bot=bot, update_id=2 * index, payload={}, received_at=at,
                                     status=UpdateStatus.PROCESSED)
        InboundUpdate.objects.create(bot=bot, update_id=2 * index + 1, payload={}, received_at=at,
                                     status=UpdateStatus.RECEIVED)


def _policy(action: str) -> None:
    RetentionPolicy.objects.create(pk=1, closed_ticket_months=12, closed_ticket_action=action,
                                   quarantined_mail_days=30, telegram_update_days=7)


@pytest.mark.django_db
def test_dry_run_counts_and_changes_nothing(people: Personas, media: Path) -> None:
    _history(people, months=[2, 11, 13, 25])
    _noise([1, 10, 40])
    _policy(ClosedTicketAction.DELETE)
    run = retention_apply(actor=people.adam, now=NOW, dry_run=True)
    assert run.counts == {"closed_tickets": 2, "quarantined_mail": 1, "telegram_updates": 2}
    assert Ticket.objects.count() == 5 and InboundMail.objects.count() == 10 and InboundUpdate.objects.count() == 6
    entry = AuditEntry.objects.get(kind=AuditKind.RETENTION_RUN)
    assert entry.changes["dry_run"] is True and entry.actor == people.adam


@pytest.mark.django_db
def test_delete_removes_old_closed_tickets_with_files_and_raw_mail(people: Personas, media: Path) -> None:
    tickets = _history(people, months=[2, 11, 13, 25])
    _noise([1, 10, 40])
    _policy(ClosedTicketAction.DELETE)
    old_files = [Path(a.file.path) for a in Attachment.objects.filter(ticket__in=[tickets[13], tickets[25]])]
    assert old_files and all(path.exists() for path in old_files)
    run = retention_apply(actor=None, now=NOW, dry_run=False)
    assert run.counts["closed_tickets"] == 2 and run.counts["files"] == 2
    assert set(Ticket.objects.values_list("pk", flat=True)) == {
        tickets[2].pk, tickets[11].pk, *Ticket.objects.filter(subject="Open and old").values_list("pk", flat=True)}
    assert not any(path.exists() for path in old_files)
    assert not InboundMail.objects.filter(raw=b"From: alice", received_at__lt=months_before(NOW, 12)).exists()
    assert InboundMail.objects.filter(ticket=tickets[11]).exists()
    # Quarantine older than 30 days goes; processed mail of any age stays.
    assert InboundMail.objects.filter(status=InboundStatus.QUARANTINED).count() == 2
    assert InboundMail.objects.filter(status=InboundStatus.PROCESSED).count() == 3
    # Processed updates older than 7 days go; unprocessed ones stay whatever their age.
    assert InboundUpdate.objects.filter(status=UpdateStatus.PROCESSED).count() == 1
    assert InboundUpdate.objects.filter(status=UpdateStatus.RECEIVED).count() == 3
    assert retention_apply(actor=None, now=NOW, dry_run=True).counts == {
        "closed_tickets": 0, "quarantined_mail": 0, "telegram_updates": 0}


@pytest.mark.django_db
def test_anonymise_keeps_rows_for_statistics(people: Personas, media: Path) -> None:
    tickets = _history(people, months=[3, 14])
    _policy(ClosedTicketAction.ANONYMISE)
    messages_before = Message.objects.count()
    run = retention_apply(actor=None, now=NOW, dry_run=False)
    assert run.counts["closed_tickets"] == 1
    old, recent = Ticket.objects.get(pk=tickets[14].pk), Ticket.objects.get(pk=tickets[3].pk)
    assert old.subject == REDACTED and old.closed_at is not None and old.requester_id == people.alice.pk
    assert set(old.messages.values_list("body_text", flat=True)) == {REDACTED}
    assert not Attachment.objects.filter(ticket=old).exists()
    assert not SearchEntry.objects.filter(ticket=old, text__icontains="secret").exists()
    assert recent.subject == "Secret subject 3"
    assert Message.objects.count() == messages_before
    assert retention_apply(actor=None, now=NOW, dry_run=True).counts["closed_tickets"] == 0


@pytest.mark.django_db
def test_nothing_is_removed_without_a_policy(people: Personas, media: Path) -> None:
    _history(people, months=[40])
    run = retention_apply(actor=None, now=NOW, dry_run=False)
    assert run.counts["closed_tickets"] == 0 and Ticket.objects.count() == 2


@pytest.mark.django_db
def test_admin_run_needs_a_dry_run_first(people: Personas, media: Path) -> None:
    _history(people, months=[13])
    _policy(ClosedTicketAction.DELETE)
    client = Client()
    assert client.login(email=people.adam.email, password=PASSWORD)
    url = reverse("admin:privacy_retentionpolicy_changelist")
    post: dict[str, Any] = {"action": "retention_run_now", "_selected_action": ["1"]}
    client.post(url, post)
    assert Ticket.objects.count() == 2 and not RetentionRun.objects.filter(dry_run=False).exists()
    client.post(url, {**post, "action": "retention_dry_run"})
    assert RetentionRun.objects.filter(dry_run=True).count() == 1
    client.post(url, post)  # jobs run immediately in tests
    assert Ticket.objects.count() == 1 and RetentionRun.objects.filter(dry_run=False).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "fiona", "mia", "rita"])
def test_retention_admin_is_for_administrators_only(people: Personas, persona: str) -> None:
    client = Client()
    user = getattr(people, persona)
    assert client.login(email=user.email, password=PASSWORD)
    response = client.get(reverse("admin:privacy_retentionpolicy_changelist"))
    assert response.status_code in {302, 403}


@pytest.mark.django_db
def test_nightly_job_runs_once_per_day(people: Personas) -> None:
    from otklik.privacy.tasks import retention_nightly

    RetentionPolicy.objects.create(pk=1, quarantined_mail_days=1)
    first, second = retention_nightly.call_local(), retention_nightly.call_local()
    assert first is not None and second is None
    assert RetentionRun.objects.filter(dry_run=False).count() == 1
