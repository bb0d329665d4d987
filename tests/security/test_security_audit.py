"""The audit log: sign-ins, failures, lockouts and configuration changes, by whom and from where;
readable by admins only and changeable by nobody."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from otklik.accounts.models import Role
from otklik.audit.models import AuditEntry, AuditKind
from otklik.security.models import SecurityPolicy
from otklik.testing.personas import PASSWORD, Personas
from otklik.tickets import services
from otklik.tickets.inbound import InboundMessage
from otklik.tickets.models import Status


def _admin(people: Personas) -> Client:
    client = Client()
    client.force_login(people.adam)
    return client


def test_a_status_changed_in_the_admin_is_logged_with_who_and_what(people: Personas) -> None:
    status = Status.objects.get(code="open") if Status.objects.filter(code="open").exists() else Status.objects.first()
    assert status is not None
    response = _admin(people).post(
        f"/admin/tickets/status/{status.pk}/change/",
        {"name": "Being worked on", "name_ru": status.name_ru, "code": status.code, "kind": status.kind,
         "order": status.order, "is_active": "on", **({"pauses_sla": "on"} if status.pauses_sla else {})},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302, response.content[:500]
    entry = AuditEntry.objects.filter(kind=AuditKind.CONFIG_CHANGED, object_type="tickets.status").get()
    assert entry.actor == people.adam
    assert entry.ip_address == "192.0.2.10"
    assert entry.changes["name"] == [status.name, "Being worked on"]
    assert entry.object_id == str(status.pk)


def test_policy_role_and_membership_changes_are_logged(people: Personas) -> None:
    SecurityPolicy.current()
    policy = SecurityPolicy.current()
    policy.require_two_factor_admins = True
    policy.save()
    assert AuditEntry.objects.filter(
        kind=AuditKind.CONFIG_CHANGED, object_type="security.securitypolicy",
        changes__require_two_factor_admins=[False, True],
    ).exists()
    people.bob.role = Role.AGENT
    people.bob.save()
    assert AuditEntry.objects.filter(object_type="accounts.user", object_id=str(people.bob.pk),
                                     changes__role=["requester", "agent"]).exists()
    people.second_line.members.add(people.bob)
    assert AuditEntry.objects.filter(object_type="accounts.team", object_id=str(people.second_line.pk),
                                     changes__members={"added": [people.bob.pk]}).exists()
    people.bob.teams.remove(people.second_line)
    assert AuditEntry.objects.filter(object_type="accounts.team",
                                     changes__members={"removed": [people.bob.pk]}).exists()


def test_passwords_are_never_copied_into_the_log(people: Personas) -> None:
    people.sam.set_password("a-new-secret-password")
    people.sam.save()
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(people.sam.pk)).latest("id")
    assert entry.changes == {"password": "changed"}
    assert "a-new-secret-password" not in str(AuditEntry.objects.values_list("changes", flat=True))
    assert people.sam.password not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_intake_of_a_new_requester_by_email_is_not_configuration(people: Personas, now: datetime) -> None:
    before = AuditEntry.objects.count()
    services.ticket_ingest(inbound=InboundMessage(sender_email="new@c.example", channel="email", subject="hi",
                                                  body_text="hello"), now=now)
    assert AuditEntry.objects.count() == before


def test_sign_in_bookkeeping_is_not_a_configuration_change(people: Personas) -> None:
    client = Client()
    assert client.post("/login/", {"username": people.alice.email, "password": PASSWORD}).status_code == 302
    kinds = list(AuditEntry.objects.filter(actor=people.alice).values_list("kind", flat=True))
    assert kinds == [AuditKind.LOGIN]


def test_changes_to_other_models_in_the_admin_come_from_the_admin_log(people: Personas) -> None:
    from otklik.core.models import PeriodicRun

    runs = [PeriodicRun.objects.create(job=f"probe{n}", period_start=datetime(2026, 1, n + 1, tzinfo=UTC))
            for n in range(3)]
    response = _admin(people).post("/admin/core/periodicrun/", {
        "action": "delete_selected", "post": "yes", "_selected_action": [run.pk for run in runs],
    })
    assert response.status_code == 302
    entries = AuditEntry.objects.filter(object_type="core.periodicrun", kind=AuditKind.CONFIG_DELETED)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(run.pk) for run in runs)
    assert {entry.actor for entry in entries} == {people.adam}
    run = PeriodicRun.objects.create(job="single", period_start=datetime(2026, 2, 1, tzinfo=UTC))
    _admin(people).post(f"/admin/core/periodicrun/{run.pk}/delete/", {"post": "yes"})
    assert AuditEntry.objects.filter(object_type="core.periodicrun", object_id=str(run.pk)).count() == 1


@pytest.mark.parametrize(("persona", "status"), [("adam", 200), ("mia", 302), ("fiona", 302), ("alice", 302)])
def test_the_log_is_for_admins(people: Personas, persona: str, status: int) -> None:
    user = getattr(people, persona)
    if persona == "mia":
        user.is_staff = True  # even with access to the admin site, a manager does not read the audit log
        user.save()
    client = Client()
    client.force_login(user)
    response = client.get("/admin/audit/auditentry/")
    assert response.status_code == (403 if persona == "mia" else status)


def test_nobody_edits_or_deletes_entries(people: Personas) -> None:
    entry = AuditEntry.objects.create(kind=AuditKind.LOGIN, created_at=people.adam.date_joined)
    client = _admin(people)
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
