from __future__ import annotations

from django.urls import reverse

from otklik.notifications import topics
from otklik.notifications.models import Notification, NotificationPreference
from otklik.notifications.services import notify_direct
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.testing.queries import count_queries


def signed_in(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def notices(user, count, now, ticket=None, batch="a"):
    for number in range(count):
        notify_direct(recipients=[user], topic=topics.AUTOMATION_NOTICE, ticket=ticket, key=f"{batch}{number}", now=now,
                      extra={"custom_subject": f"Notice {number}", "custom_body": "Body"})


def test_pages_need_a_signed_in_user(client, db):
    for name in ("notifications:list", "notifications:unread", "notifications:preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_bell_shows_the_unread_count_as_an_htmx_partial(client, people, now):
    notices(people.fiona, 3, now)
    notices(people.sam, 1, now)
    response = signed_in(client, people.fiona).get(reverse("notifications:unread"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert 'id="notification-bell"' in body and 'data-unread="3"' in body and "<html" not in body
    assert 'hx-get="/notifications/unread/"' in body and 'href="/notifications/"' in body


def test_list_shows_only_ones_own_with_a_constant_number_of_queries(client, people, now):
    signed_in(client, people.fiona)
    client.get(reverse("notifications:list"))  # warm-up: remembered configuration fills on the first request
    notices(people.fiona, 2, now)
    two = count_queries(lambda: client.get(reverse("notifications:list")))
    notices(people.fiona, 18, now.replace(hour=10), batch="b")
    notices(people.sam, 1, now)
    twenty = count_queries(lambda: client.get(reverse("notifications:list")))
    response = client.get(reverse("notifications:list"))
    assert two == twenty
    assert response.content.decode().count('class="list-group-item') == 20


def test_opening_marks_read_and_follows_the_ticket_link_other_peoples_are_not_found(client, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    notices(people.fiona, 1, now, ticket=ticket)
    mine = Notification.objects.get(recipient=people.fiona)
    notices(people.mia, 1, now, ticket=ticket)
    theirs = Notification.objects.get(recipient=people.mia)
    signed_in(client, people.fiona)

    response = client.get(reverse("notifications:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(client, people, now):
    notices(people.fiona, 4, now)
    signed_in(client, people.fiona).post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=people.fiona, read_at__isnull=True).exists()


def test_preferences_page_lists_the_persons_topics_and_saves_choices(client, people):
    response = signed_in(client, people.alice).get(reverse("notifications:preferences"))
    body = response.content.decode()
    assert "email:requester_resolved" in body and "email:sla_breached" not in body  # no staff topics

    client.post(reverse("notifications:preferences"), {"in_app:requester_resolved": "on"})

    resolved = NotificationPreference.objects.get(user=people.alice, topic="requester_resolved")
    assert (resolved.email, resolved.in_app) == (False, True)
    assert NotificationPreference.objects.filter(user=people.alice).count() == len(
        topics.topics_for(is_staff=False))
