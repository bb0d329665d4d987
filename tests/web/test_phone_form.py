"""The phone form: a call filed for a requester with the request type's own fields, category and files."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from otklik.accounts.models import User
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets.models import CustomField, EventKind, FieldKind, Source, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop_type():
    kind = factories.request_type("laptop", name="New laptop")
    CustomField.objects.create(request_type=kind, code="model", label="Model", kind=FieldKind.CHOICE,
                               choices=["ThinkPad", "MacBook"], required=True)
    CustomField.objects.create(request_type=kind, code="cost_centre", label="Cost centre", internal_only=True)
    return kind


def test_a_request_type_with_a_required_field_is_fileable_by_phone(
    people: Personas, laptop_type, client_for: Callable[[User], Client],
) -> None:
    category = factories.category("Hardware")
    fiona = client_for(people.fiona)
    page = fiona.get(reverse("ticket_new"), {"request_type": laptop_type.pk}).content.decode()
    assert 'name="field_model"' in page and 'name="field_cost_centre"' in page
    # Missing the required field: the form says so, nothing is filed.
    response = fiona.post(reverse("ticket_new"), {
        "requester_email": "alice@a.example", "subject": "Needs a laptop", "source": "phone",
        "request_type": laptop_type.pk,
    })
    assert response.status_code == 200 and "field_model" in response.context["form"].errors
    assert not Ticket.objects.exists()
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    response = fiona.post(reverse("ticket_new"), {
        "requester_email": "alice@a.example", "subject": "Needs a laptop", "source": "phone",
        "request_type": laptop_type.pk, "field_model": "ThinkPad", "field_cost_centre": "CC-7",
        "category": category.pk, "attachments": [upload],
    })
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ticket", args=[ticket.number])
    # Filed through ticket_create, like every channel: the internal-only field is staff's to fill.
    assert ticket.source == Source.PHONE and ticket.requester == people.alice
    assert ticket.fields == {"model": "ThinkPad", "cost_centre": "CC-7"} and ticket.category == category
    assert [a.filename for a in ticket.attachments.all()] == ["quote.pdf"]
    assert ticket.events.get(kind=EventKind.CREATED).data["on_behalf"] is True


def test_fields_follow_the_chosen_type_with_htmx_and_without_javascript(
    people: Personas, laptop_type, client_for: Callable[[User], Client],
) -> None:
    fiona = client_for(people.fiona)
    partial = fiona.get(reverse("ticket_new"), {"request_type": laptop_type.pk}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'id="type-fields"' in body and "field_model" in body and "<html" not in body
    refreshed = fiona.post(reverse("ticket_new"), {"requester_email": "alice@a.example", "subject": "x",
                                                   "request_type": laptop_type.pk, "refresh": "1"})
    assert refreshed.status_code == 200 and "field_model" in refreshed.content.decode()
    assert not refreshed.context["form"].is_bound and not Ticket.objects.exists()
    assert refreshed.context["form"]["subject"].value() == "x"


def test_a_new_caller_gets_their_phone_and_bad_input_writes_nothing(
    people: Personas, client_for: Callable[[User], Client], settings,
) -> None:
    fiona = client_for(people.fiona)
    fiona.post(reverse("ticket_new"), {"requester_email": "nina@b.example", "requester_name": "Nina Newton",
                                       "requester_phone": "+7 900 111-22-33", "subject": "Hello",
                                       "source": "phone"})
    nina = User.objects.get(email="nina@b.example")
    assert nina.phone == "+7 900 111-22-33" and nina.last_name == "Newton"
    # A phone without digits: refused, and the new caller is not half-created either.
    response = fiona.post(reverse("ticket_new"), {"requester_email": "olga@b.example", "subject": "Olga",
                                                  "source": "phone", "requester_phone": "no digits"})
    assert response.status_code == 200 and "requester_phone" in response.context["form"].errors
    assert not User.objects.filter(email="olga@b.example").exists()
    # The one upload check (tickets.uploads.attachments_check) refuses a file over the limit.
    settings.OTKLIK_MAX_UPLOAD_BYTES = 5
    response = fiona.post(reverse("ticket_new"), {
        "requester_email": "nina@b.example", "subject": "Big", "source": "phone",
        "attachments": [SimpleUploadedFile("a.txt", b"x" * 10)],
    })
    assert response.status_code == 200 and not Ticket.objects.filter(subject="Big").exists()


def test_requesters_do_not_reach_the_phone_form(people: Personas, client_for: Callable[[User], Client]) -> None:
    assert client_for(people.alice).get(reverse("ticket_new")).status_code == 404
