"""The intranet widget: the signed-in person's own open requests, framed only by the configured origins."""

from __future__ import annotations

from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes

ORIGIN = "https://intranet.example.com"


def test_shows_only_the_signed_in_persons_open_requests(people, now, client_for, settings):
    settings.OTKLIK_INTRANET_WIDGET_ORIGINS = [ORIGIN]
    mine = factories.ticket(requester=people.alice, subject="Alice laptop", now=now)
    done = factories.ticket(requester=people.alice, subject="Alice old mouse", now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=done.pk, now=now)
    factories.ticket(requester=people.bob, subject="Bob printer", now=now)  # same organisation
    factories.ticket(requester=people.carol, subject="Carol VPN", now=now)

    page = client_for(people.alice).get("/portal/widget/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Alice laptop" in html and f'data-ticket="{mine.number}"' in html
    assert "Alice old mouse" not in html and "Bob printer" not in html and "Carol VPN" not in html
    assert 'href="/portal/new/"' in html and 'href="/portal/"' in html
    assert "X-Frame-Options" not in page.headers
    assert f"frame-ancestors {ORIGIN}" in page["Content-Security-Policy"]
    # A watcher or an agent does not see others' requests as their own.
    assert "Alice laptop" not in client_for(people.fiona).get("/portal/widget/").content.decode()


def test_without_origins_it_is_not_framable_and_strangers_only_get_a_sign_in_link(client, settings):
    settings.OTKLIK_INTRANET_WIDGET_ORIGINS = []
    page = client.get("/portal/widget/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert 'id="intranet-requests"' not in page.content.decode()
    assert "/login/?next=/portal/" in page.content.decode()


def test_the_rest_of_the_site_stays_unframable(people, client_for, settings):
    settings.OTKLIK_INTRANET_WIDGET_ORIGINS = [ORIGIN]
    page = client_for(people.alice).get("/portal/")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_embed_script_adds_the_frame(client):
    script = client.get("/portal/widget/embed.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert "/portal/widget/" in script.content.decode() and "data-otklik-requests" in script.content.decode()


def test_the_list_costs_the_same_queries_for_2_and_10_requests(people, now, client_for):
    alice = client_for(people.alice)
    for _ in range(2):
        factories.ticket(requester=people.alice, now=now)
    two = count_queries(lambda: alice.get("/portal/widget/"))
    for _ in range(8):
        factories.ticket(requester=people.alice, now=now)
    assert count_queries(lambda: alice.get("/portal/widget/")) == two
