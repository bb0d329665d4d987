"""Ticket endpoints: every write goes through the services and answers in the documented shapes."""

from __future__ import annotations

import pytest

from otklik.testing import factories
from otklik.tickets.models import CustomField, EventKind, FieldKind, Source, Ticket, TicketLink


@pytest.fixture
def laptop_request(people):
    request_type = factories.request_type("laptop", team=people.second_line)
    CustomField.objects.create(
        request_type=request_type,
        code="model",
        label="Model",
        kind=FieldKind.CHOICE,
        choices=["13in", "15in"],
        required=True,
        order=1,
    )
    CustomField.objects.create(
        request_type=request_type,
        code="cost_centre",
        label="Cost centre",
        kind=FieldKind.TEXT,
        internal_only=True,
        order=2,
    )
    return request_type


def test_requester_creates_a_ticket_with_request_type_fields(people, client_for, laptop_request):
    client = client_for(people.alice)

    response = client.post(
        "/api/v1/tickets/",
        {
            "subject": "New laptop",
            "body_text": "Mine broke.",
            "request_type": "laptop",
            "fields": {"model": "13in"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.requester, ticket.source, ticket.team) == (people.alice, Source.API, people.second_line)
    assert body["fields"] == {"model": "13in"}
    assert body["request_type"]["code"] == "laptop"
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_invalid_custom_fields_are_a_400_with_field_errors_and_nothing_written(people, client_for, laptop_request):
    client = client_for(people.alice)

    response = client.post(
        "/api/v1/tickets/",
        {
            "subject": "New laptop",
            "request_type": "laptop",
            "fields": {"model": "17in", "colour": "red"},
        },
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"model", "colour"}
    assert not Ticket.objects.exists()


def test_validation_errors_share_the_error_envelope(people, client_for):
    response = client_for(people.alice).post("/api/v1/tickets/", {"subject": ""}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_input",
            "message": "Some fields are not valid.",
            "fields": {"subject": "This field may not be blank."},
        }
    }


def test_internal_only_fields_are_hidden_from_the_requester(people, client_for, laptop_request, now):
    ticket = factories.ticket(requester=people.alice, request_type=laptop_request, now=now, fields={"model": "15in"})
    client_for(people.sam).patch(
        f"/api/v1/tickets/{ticket.number}/", {"fields": {"cost_centre": "CC-7"}}, format="json"
    )

    as_alice = client_for(people.alice).get(f"/api/v1/tickets/{ticket.number}/").json()
    as_sam = client_for(people.sam).get(f"/api/v1/tickets/{ticket.number}/").json()
    alice_list = client_for(people.alice).get("/api/v1/tickets/").json()["results"]
    types = client_for(people.alice).get("/api/v1/request-types/").json()["results"]

    assert as_sam["fields"] == {"model": "15in", "cost_centre": "CC-7"}
    assert as_alice["fields"] == {"model": "15in"}
    assert alice_list[0]["fields"] == {"model": "15in"}
    assert [field["code"] for field in types[0]["fields"]] == ["model"]


def test_agent_opens_a_phone_ticket_on_behalf_of_a_requester(people, client_for):
    response = client_for(people.fiona).post(
        "/api/v1/tickets/",
        {
            "subject": "Called about the printer",
            "requester": people.bob.pk,
            "source": "phone",
        },
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.requester, ticket.source) == (people.bob, Source.PHONE)
    assert ticket.events.get().actor == people.fiona


def test_requester_may_not_open_tickets_for_someone_else(people, client_for):
    response = client_for(people.alice).post(
        "/api/v1/tickets/",
        {
            "subject": "For Bob",
            "requester": people.bob.pk,
        },
        format="json",
    )

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_patch_applies_all_changes_through_services_or_none(people, client_for, now):
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    client = client_for(people.fiona)

    ok = client.patch(
        f"/api/v1/tickets/{ticket.number}/",
        {
            "subject": "VPN down for the whole floor",
            "priority": "high",
            "assignee": people.fiona.pk,
            "status": "open",
        },
        format="json",
    )
    failed = client.patch(
        f"/api/v1/tickets/{ticket.number}/",
        {
            "priority": "low",
            "assignee": people.alice.pk,  # a requester cannot be assigned
        },
        format="json",
    )

    assert ok.status_code == 200, ok.json()
    assert (
        ok.json()["subject"],
        ok.json()["priority"]["code"],
        ok.json()["assignee"]["id"],
        ok.json()["status"]["code"],
    ) == ("VPN down for the whole floor", "high", people.fiona.pk, "open")
    assert failed.status_code == 400
    ticket.refresh_from_db()
    assert (ticket.priority.code, ticket.assignee) == ("high", people.fiona)
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.PRIORITY_CHANGED) == 1
    assert {EventKind.SUBJECT_CHANGED, EventKind.ASSIGNED, EventKind.STATUS_CHANGED} <= set(kinds)


def test_status_assign_resolve_reopen_close_actions(people, client_for, now):
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    agent = client_for(people.fiona)
    base = f"/api/v1/tickets/{ticket.number}"

    assert agent.post(f"{base}/assign/", {"assignee": people.fiona.pk}, format="json").status_code == 200
    assert agent.post(f"{base}/status/", {"status": "open"}, format="json").json()["status"]["kind"] == "open"
    assert agent.post(f"{base}/resolve/").json()["status"]["kind"] == "resolved"
    again = agent.post(f"{base}/resolve/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    rating = client_for(people.alice).post(f"{base}/rating/", {"score": 5, "comment": "Thanks"}, format="json")
    assert rating.status_code == 201
    assert agent.post(f"{base}/reopen/").json()["status"]["kind"] == "open"
    assert client_for(people.alice).post(f"{base}/close/").json()["status"]["kind"] == "closed"
    assert agent.post(f"{base}/assign/", {"assignee": None}, format="json").json()["assignee"] is None


def test_merge_and_link(people, client_for, now):
    first = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    second = factories.ticket(requester=people.alice, team=people.first_line, subject="Same VPN", now=now)
    third = factories.ticket(requester=people.carol, team=people.second_line, now=now)
    agent = client_for(people.fiona)

    link = agent.post(
        f"/api/v1/tickets/{first.number}/links/", {"ticket": second.number, "kind": "related"}, format="json"
    )
    hidden_link = agent.post(
        f"/api/v1/tickets/{first.number}/links/", {"ticket": third.number, "kind": "related"}, format="json"
    )
    links_of_second = agent.get(f"/api/v1/tickets/{second.number}/links/").json()["results"]
    merged = agent.post(f"/api/v1/tickets/{second.number}/merge/", {"into": first.number}, format="json")

    assert link.status_code == 201
    assert link.json()["direction"] == "out"
    assert hidden_link.status_code == 404  # Fiona cannot see Carol's second-line ticket
    assert [(row["direction"], row["ticket"]) for row in links_of_second] == [("in", first.number)]
    assert TicketLink.objects.count() == 1
    assert merged.status_code == 200
    assert merged.json()["number"] == first.number
    second.refresh_from_db()
    assert second.merged_into_id == first.pk


def test_watchers_add_and_remove(people, client_for, now):
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    agent = client_for(people.fiona)

    added = agent.post(f"/api/v1/tickets/{ticket.number}/watchers/", {"user": people.bob.pk}, format="json")
    seen_by_bob = client_for(people.bob).get(f"/api/v1/tickets/{ticket.number}/")
    removed = agent.delete(f"/api/v1/tickets/{ticket.number}/watchers/{people.bob.pk}/")

    assert (added.status_code, seen_by_bob.status_code, removed.status_code) == (204, 200, 204)
    assert not ticket.watchers.exists()


def test_upload_and_download_an_attachment(people, client_for, now):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    client = client_for(people.alice)

    uploaded = client.post(
        f"/api/v1/tickets/{ticket.number}/attachments/",
        {
            "file": SimpleUploadedFile("error.log", b"stack trace", content_type="text/plain"),
            "body_text": "The log",
        },
        format="multipart",
    )
    as_note = client.post(
        f"/api/v1/tickets/{ticket.number}/attachments/",
        {
            "file": SimpleUploadedFile("x.txt", b"x"),
            "internal": "true",
        },
        format="multipart",
    )

    assert uploaded.status_code == 201, uploaded.json()
    attachment = uploaded.json()["attachments"][0]
    assert (attachment["filename"], attachment["size"]) == ("error.log", 11)
    download = client.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"stack trace"
    assert as_note.status_code == 403  # requesters cannot write internal notes


def test_list_filters_sorts_and_cursor_pages(people, client_for, now):
    from datetime import timedelta

    for index in range(7):
        factories.ticket(
            requester=people.alice,
            actor=people.fiona,
            team=people.first_line,
            subject=f"Ticket {index}",
            now=now + timedelta(minutes=index),
            priority=factories.priority("high" if index % 2 else "low"),
        )
    client = client_for(people.fiona)

    seen, url = [], "/api/v1/tickets/?limit=3&sort=number"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    high = client.get("/api/v1/tickets/?priority=high&limit=100").json()["results"]
    by_priority = client.get("/api/v1/tickets/?sort=priority&limit=2").json()
    second_page = client.get(by_priority["next"]).json()["results"]
    text = client.get("/api/v1/tickets/?q=Ticket 3").json()["results"]

    assert seen == sorted(seen, reverse=True) and len(seen) == 7
    assert len(high) == 3
    assert [row["priority"]["code"] for row in by_priority["results"] + second_page] == ["high"] * 3 + ["low"]
    # `q` goes through the full-text index, which holds "<number> <subject>": ticket number 3 matches too.
    assert {row["subject"] for row in text} == {"Ticket 3", Ticket.objects.get(number=3).subject}


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "limit=0",
        "limit=1000",
        "sort=nonsense",
        "created_after=x",
        "requester=99999999999999999999999",
        "q=%00",
    ],
)
def test_bad_list_parameters_are_400(people, client_for, query):
    response = client_for(people.fiona).get(f"/api/v1/tickets/?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_cursor_of_another_sort_is_refused(people, client_for, now):
    for index in range(3):
        factories.ticket(requester=people.alice, team=people.first_line, subject=f"T{index}", now=now)
    client = client_for(people.fiona)
    cursor_url = client.get("/api/v1/tickets/?limit=1&sort=number").json()["next"]

    response = client.get(cursor_url.replace("sort=number", "sort=created"))

    assert response.status_code == 400


def test_sla_clocks_for_staff_only(people, client_for, now):
    from django.utils import timezone

    from otklik.sla.models import SlaPolicy

    SlaPolicy.objects.filter(name__startswith="Questions").update(is_active=True, is_default=True)
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=timezone.now())
    path = f"/api/v1/tickets/{ticket.number}/sla/"

    as_agent = client_for(people.fiona).get(path)
    as_requester = client_for(people.alice).get(path)
    as_other_line = client_for(people.sam).get(path)

    assert as_agent.status_code == 200
    body = as_agent.json()
    assert body["ticket"] == ticket.number
    assert body["clocks"], "the default SLA policy starts clocks on a new ticket"
    assert {clock["status"] for clock in body["clocks"]} <= {"running", "due_soon", "paused", "late", "met"}
    assert all(clock["target_seconds"] > 0 for clock in body["clocks"])
    assert (as_requester.status_code, as_other_line.status_code) == (404, 404)


def test_requesters_may_not_route_or_copy_people_in(people, client_for):
    client = client_for(people.alice)

    routed = client.post("/api/v1/tickets/", {"subject": "x", "team": people.second_line.pk}, format="json")
    copied = client.post("/api/v1/tickets/", {"subject": "x", "watchers": [people.carol.pk]}, format="json")

    assert (routed.status_code, copied.status_code) == (403, 403)
    assert "team" in routed.json()["error"]["message"]
    assert not Ticket.objects.exists()
