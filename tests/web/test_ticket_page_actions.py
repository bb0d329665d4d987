"""The agent's ticket page as a new team meets it: fields and request type edited in place with the
services' validation, replies sent once whatever the clicks, refreshed parts after a change, messages
labelled by what they are, a refused merge shown at its field, and read-only staff offered no writes."""

from __future__ import annotations

import pytest

from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import CustomField, FieldKind, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed(people, now):
    access = factories.request_type("access", name="Access request")
    CustomField.objects.create(request_type=access, code="system", label="System", kind=FieldKind.CHOICE,
                               choices=["CRM", "ERP"], required=True)
    CustomField.objects.create(request_type=access, code="until", label="Until", kind=FieldKind.DATE)
    laptop = factories.request_type("laptop", name="New laptop")
    CustomField.objects.create(request_type=laptop, code="model", label="Model", required=True)
    ticket = factories.ticket(requester=people.alice, subject="CRM access", now=now)
    changes.ticket_change_request_type(actor=people.fiona, ticket_id=ticket.pk, request_type=access,
                                        fields={"system": "CRM"}, now=now)
    return ticket, access, laptop


def test_custom_fields_are_edited_in_place_with_the_services_rules(people, typed, client_for):
    ticket, access, _laptop = typed
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/fields/"
    page = fiona.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="id_field_system"' in page and 'action="' + url + '"' in page
    response = fiona.post(url, {"request_type": access.pk, "field_system": "ERP", "field_until": "2030-01-31"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.fields == {"system": "ERP", "until": "2030-01-31"}
    # A required field emptied: refused by the service, said next to the field, nothing written.
    refused = fiona.post(url, {"request_type": access.pk, "field_system": "", "field_until": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="id_field_system_errors"' in html and "This field is required." in html
    ticket.refresh_from_db()
    assert ticket.fields == {"system": "ERP", "until": "2030-01-31"}


def test_the_request_type_changes_in_place_and_asks_for_its_required_fields(people, typed, client_for):
    ticket, _access, laptop = typed
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/fields/"
    first = fiona.post(url, {"request_type": laptop.pk})
    assert first.status_code == 400
    assert 'id="id_field_model_errors"' in first.content.decode()  # the new type's field, with its error
    assert Ticket.objects.get(pk=ticket.pk).request_type_id != laptop.pk
    fiona.post(url, {"request_type": laptop.pk, "field_model": "ThinkPad X1"})
    ticket.refresh_from_db()
    assert (ticket.request_type_id, ticket.fields) == (laptop.pk, {"model": "ThinkPad X1"})


def test_a_reply_form_posted_twice_sends_once(people, typed, client_for):
    ticket, _access, _laptop = typed
    fiona = client_for(people.fiona)
    page = fiona.get(f"/tickets/{ticket.number}/").content.decode()
    token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {"body": "Access granted.", "form_token": token}
    fiona.post(f"/tickets/{ticket.number}/reply/", data)
    again = fiona.post(f"/tickets/{ticket.number}/reply/", data, follow=True)
    assert Message.objects.filter(ticket=ticket, body_text="Access granted.").count() == 1
    assert "This reply was already sent." in [str(m) for m in again.context["messages"]]
    # A new page has a new token: the next reply goes out.
    fiona.post(f"/tickets/{ticket.number}/reply/", {"body": "One more thing.", "form_token": "other"})
    assert Message.objects.filter(ticket=ticket, body_text="One more thing.").count() == 1


def test_a_change_in_place_refreshes_the_timeline_and_sla_panel(people, typed, client_for):
    ticket, _access, _laptop = typed
    response = client_for(people.fiona).post(
        f"/tickets/{ticket.number}/update/", {"field": "priority", "value": factories.priority("critical").pk},
        HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="ticket-header"' in html
    assert 'id="timeline" hx-swap-oob="true"' in html and "Priority:" in html
    assert 'id="sla-panel-box" hx-swap-oob="true"' in html


def test_agent_messages_are_not_labelled_web_portal(people, now, typed, client_for):
    ticket, _access, _laptop = typed
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Done.", now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="For us.", now=now)
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    # Only the requester's own web message carries the channel.
    assert html.count("data-channel") == 1


def test_a_bad_merge_number_is_shown_at_the_field(people, typed, client_for):
    ticket, _access, _laptop = typed
    response = client_for(people.fiona).post(f"/tickets/{ticket.number}/merge/",
                                             {"target": "99999", "confirm": "yes"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="merge-target-error"' in html and "#99999" in html
    assert 'value="99999"' in html
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id is None


def test_read_only_staff_are_not_offered_writes(people, typed, client_for):
    ticket, _access, _laptop = typed
    rita = client_for(people.rita)
    listing = rita.get("/", {"queue": "all"}).content.decode()
    assert "bulk-form" not in listing and "/tickets/new/" not in listing and "data-bulk-check" not in listing
    page = rita.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Assign to me" not in page and "/fields/" not in page
    fiona_list = client_for(people.fiona).get("/", {"queue": "all"}).content.decode()
    assert "bulk-form" in fiona_list and "/tickets/new/" in fiona_list


def test_a_person_field_lists_active_people_by_name_in_a_fixed_order():
    from otklik.accounts.models import User
    from otklik.web.forms import custom_field_form_field

    kind = factories.request_type("handover", name="Handover")
    field = CustomField.objects.create(request_type=kind, code="deputy", label="Deputy", kind=FieldKind.USER)
    for first, last in (("Zoe", "Adams"), ("Abe", "Young"), ("Abe", "Brown")):
        User.objects.create(username=f"{first}.{last}", email=f"{first}.{last}@example.org".lower(),
                            first_name=first, last_name=last)
    User.objects.create(username="gone", email="gone@example.org", first_name="Aaron", is_active=False)
    listed = [person.get_full_name() for person in custom_field_form_field(field, "en").queryset]  # type: ignore[attr-defined]
    named = [name for name in listed if name in {"Zoe Adams", "Abe Young", "Abe Brown", "Aaron"}]
    assert named == ["Abe Brown", "Abe Young", "Zoe Adams"]  # by name, not by when they were added; no one inactive
