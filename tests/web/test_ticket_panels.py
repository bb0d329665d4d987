"""The agent's ticket page's panels after it (issue #16, fourth round): what each shows, who gets a 404,
and the conversation's latest messages with "show earlier". Every persona and ticket of the access world
is probed by tests/access/test_access_routes.py (TicketHandled rows); these check contents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.automation.models import CannedReply, Macro
from otklik.security import sessions
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import services
from otklik.web.views.panels import PANELS
from otklik.web.views.ticket import TIMELINE_LATEST

pytestmark = pytest.mark.django_db

PANEL_URLS = ["panels/", *[f"panels/{name.replace('_', '-')}/" for name in PANELS], "timeline/"]


@pytest.fixture
def ticket(people, now):
    return factories.ticket(requester=people.alice, subject="VPN is down", now=now)


def test_page_asks_for_its_panels_and_they_come_in_one_response(people, now, ticket, client_for):
    CannedReply.objects.create(title="Hello there", body="Hi")
    Macro.objects.create(title="Need more info", body="Which room?")
    factories.ticket(requester=people.alice, subject="Her other ticket", now=now)
    fiona = client_for(people.fiona)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="Secret plan", now=now)
    page = fiona.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/tickets/{ticket.number}/panels/"' in page
    for slot in ("sla-panel-box", "macro-panel-box", "tags-panel-box", "tracker-panel-box", "reply-tools",
                 "requester-more"):
        assert f'id="{slot}"' in page
    assert "Need more info" not in page and "Her other ticket" not in page  # not in the first response
    panels = fiona.get(f"/tickets/{ticket.number}/panels/").content.decode()
    assert panels.count('hx-swap-oob="true"') == len(PANELS)
    assert "Need more info" in panels and "Hello there" in panels and "Her other ticket" in panels
    assert 'id="tags-panel"' in panels and 'id="kb-text-select"' in panels and "<html" not in panels
    # One panel alone is the same part, swapped in place instead of out of band.
    alone = fiona.get(f"/tickets/{ticket.number}/panels/macros/").content.decode()
    assert "Need more info" in alone and "hx-swap-oob" not in alone
    assert fiona.get(f"/tickets/{ticket.number}/panels/nothing/").status_code == 404


def test_panels_cost_the_same_queries_with_more_to_show(people, now, ticket, client_for, settings):
    settings.OTKLIK_LOOKUP_CACHE_SECONDS = 300
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/panels/"
    CannedReply.objects.create(title="Canned", body="x")
    Macro.objects.create(title="Macro", body="x")
    assert fiona.get(url).status_code == 200
    few = count_queries(lambda: fiona.get(url))
    for index in range(5):
        CannedReply.objects.create(title=f"Canned {index}", body="x")
        Macro.objects.create(title=f"Macro {index}", body="x")
        factories.ticket(requester=people.alice, subject=f"Other {index}", now=now)
    fiona.post(f"/tickets/{ticket.number}/tags/", {"add": "vpn, printer, urgent"})
    assert fiona.get(url).status_code == 200
    assert count_queries(lambda: fiona.get(url)) == few


def test_requesters_and_other_staff_get_404_from_every_panel(people, now, ticket, client_for):
    second_line = factories.ticket(requester=people.alice, subject="Server room", now=now, team=people.second_line)
    for person, number in [(people.alice, ticket.number), (people.carol, ticket.number),
                           (people.sam, ticket.number), (people.fiona, second_line.number)]:
        client = client_for(person)
        for part in PANEL_URLS:
            assert client.get(f"/tickets/{number}/{part}").status_code == 404, (person, number, part)
    fiona = client_for(people.fiona)
    for part in PANEL_URLS:
        assert fiona.get(f"/tickets/{ticket.number}/{part}").status_code == 200, part


def test_agent_who_only_asked_sees_the_requester_page_without_panels(people, now, client_for):
    """Sam (second line) asks the first line for help: his ticket's page is the requester's, with no
    internal note, no staff panel and no panel request; each panel answers him 404."""
    own = factories.ticket(requester=people.sam, subject="My laptop", now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=own.pk, body_text="Only for the first line", now=now)
    sam = client_for(people.sam)
    page = sam.get(f"/tickets/{own.number}/").content.decode()
    assert "My laptop" in page and "Only for the first line" not in page
    assert "/panels/" not in page and "timeline-note" not in page and "sla-panel-box" not in page
    for part in PANEL_URLS:
        assert sam.get(f"/tickets/{own.number}/{part}").status_code == 404, part


def test_long_conversation_shows_the_latest_messages_and_loads_earlier_ones(people, now, ticket, client_for,
                                                                            settings, monkeypatch):
    settings.OTKLIK_LOOKUP_CACHE_SECONDS = 300
    # The session row is refreshed at most once a minute; on a busy machine this test can outlast that
    # minute, and the refresh would land in one of the counted requests but not the other.
    monkeypatch.setattr(sessions, "TOUCH_INTERVAL", timedelta(days=1))
    for index in range(TIMELINE_LATEST + 4):
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text=f"reply number {index}", now=now)
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/"
    assert fiona.get(url).status_code == 200
    page = fiona.get(url).content.decode()
    assert page.count('class="timeline-item') == TIMELINE_LATEST
    assert f"reply number {TIMELINE_LATEST + 3}" in page and "reply number 3<" not in page
    assert "data-timeline-earlier" in page
    long_page = count_queries(lambda: fiona.get(url))
    earliest_shown = ticket.messages.order_by("created_at", "id")[5]
    earlier = fiona.get(f"/tickets/{ticket.number}/timeline/?before={earliest_shown.pk}",
                        HTTP_HX_REQUEST="true").content.decode()
    # The ticket's first message and replies 0-3: the rest of the conversation, with nothing before it.
    assert earlier.count('class="timeline-item') == 5 and "reply number 3<" in earlier
    assert "data-timeline-earlier" not in earlier and "<html" not in earlier
    assert fiona.get(f"/tickets/{ticket.number}/timeline/?before=999999").status_code == 404
    # A long conversation costs the page what a short one does.
    short = factories.ticket(requester=people.alice, subject="Short", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=short.pk, body_text="On it", now=now)
    assert fiona.get(f"/tickets/{short.number}/").status_code == 200
    assert count_queries(lambda: fiona.get(f"/tickets/{short.number}/")) == long_page
