"""Full-text search: Russian and English words, only what the viewer may see, notes only for staff."""

from __future__ import annotations

import pytest
from django.db import connection

from otklik.search.indexing import index_missing, rebuild
from otklik.search.models import SearchEntry
from otklik.search.selectors import search
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _numbers(viewer, text):
    tickets = dict(Ticket.objects.values_list("pk", "number"))
    return [tickets[hit.ticket_id] for hit in search(viewer, text)]


@pytest.fixture
def tickets(people, now):
    printers = factories.ticket(requester=people.alice, subject="Принтеры на третьем этаже не печатают",
                                body="С утра мигает оранжевым", now=now)
    vpn = factories.ticket(requester=people.alice, subject="VPN keeps disconnecting",
                           body="The printers are fine, the VPN drops", now=now)
    hidden = factories.ticket(requester=people.carol, subject="Принтер в бухгалтерии", now=now,
                              team=people.second_line)
    return printers, vpn, hidden


def test_russian_and_english_word_forms_meet(people, tickets):
    printers, vpn, _hidden = tickets
    assert _numbers(people.fiona, "принтер печатает") == [printers.number]
    assert _numbers(people.fiona, "printer") == [vpn.number]
    assert set(_numbers(people.fiona, "VPN")) == {vpn.number}
    assert _numbers(people.fiona, "оранжевый") == [printers.number]


def test_results_only_from_visible_tickets(people, tickets):
    _printers, _vpn, hidden = tickets
    assert hidden.number not in _numbers(people.fiona, "принтер")
    assert hidden.number in _numbers(people.sam, "принтер")
    assert _numbers(people.carol, "принтер") == [hidden.number]
    assert _numbers(people.bob, "принтер") == []


def test_internal_notes_are_found_by_staff_only(people, now, tickets):
    printers, _vpn, _hidden = tickets
    services.ticket_add_note(actor=people.fiona, ticket_id=printers.pk, body_text="картридж заменён", now=now)
    hits = search(people.fiona, "картридж")
    assert [hit.ticket_id for hit in hits] == [printers.pk] and hits[0].in_note
    assert "<mark>" in hits[0].snippet
    assert search(people.alice, "картридж") == []


def test_replies_subject_changes_and_merges_follow_the_index(people, now, tickets):
    printers, vpn, _hidden = tickets
    services.ticket_reply(actor=people.fiona, ticket_id=vpn.pk, body_text="Reinstalled the client", now=now)
    assert _numbers(people.fiona, "reinstalled") == [vpn.number]
    changes.ticket_change_subject(actor=people.fiona, ticket_id=printers.pk, subject="Toner is empty", now=now)
    assert _numbers(people.fiona, "toner") == [printers.number]
    assert _numbers(people.fiona, "этаже") == []
    changes.ticket_merge(actor=people.fiona, source_id=vpn.pk, target_id=printers.pk, now=now)
    assert _numbers(people.fiona, "reinstalled") == [printers.number]


def test_hostile_query_syntax_is_just_text(people, tickets):
    for text in ['"', "*", "AND", "(принтер", "NEAR(a b)", "col:x", "-", "'; DROP TABLE x; --", "   "]:
        assert isinstance(search(people.fiona, text), list)
    assert search(people.fiona, "") == []


def test_rows_written_around_the_services_are_caught_up(people, tickets):
    SearchEntry.objects.all().delete()
    assert _numbers(people.fiona, "принтер") == []
    written = index_missing()
    assert written == {"subjects": 3, "messages": Message.objects.count()}
    assert index_missing() == {"subjects": 0, "messages": 0}
    assert len(_numbers(people.fiona, "принтер")) == 1
    assert rebuild()["subjects"] == 3


def test_search_page_jumps_to_a_number_and_costs_few_queries(people, tickets, client_for):
    printers, _vpn, hidden = tickets
    fiona = client_for(people.fiona)
    assert fiona.get("/search/", {"q": f"#{printers.number}"}).url == f"/tickets/{printers.number}/"
    # A number she may not see is searched as text, not revealed.
    assert fiona.get("/search/", {"q": str(hidden.number)}).status_code == 200
    few = count_queries(lambda: fiona.get("/search/", {"q": "VPN"}))
    many = count_queries(lambda: fiona.get("/search/", {"q": "принтер"}))
    # No query per hit: the hits' visibility is one read, plus one of watching only when a hit's answer depends
    # on it (here the second line's printer ticket, which watching would show to Fiona).
    assert few <= many <= few + 1
    assert "Принтеры на третьем этаже" in fiona.get("/search/", {"q": "принтер"}).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the GIN index plan")
def test_postgresql_uses_the_gin_index(people, tickets):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM search_searchentry WHERE vector"
            " @@ websearch_to_tsquery('russian'::regconfig, %s)", ["принтер"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_entry_vector" in plan


def test_staff_search_falls_back_to_their_scope_when_the_window_holds_too_few(people, now, monkeypatch):
    """Fiona (first line) must still find her ticket when newer matches she may not see fill the window."""
    from otklik.search import selectors

    mine = factories.ticket(requester=people.alice, subject="Сканер не сканирует", team=people.first_line, now=now)
    for index in range(4):
        factories.ticket(requester=people.carol, subject=f"Сканер {index}", team=people.second_line, now=now)
    theirs = sorted(Ticket.objects.filter(team=people.second_line).values_list("number", flat=True))
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    monkeypatch.setattr(selectors, "MAX_ROWS", 2)
    assert _numbers(people.fiona, "сканер") == [mine.number]
    # The window is the newest matches: Sam (second line) sees the two newest of his four.
    assert set(_numbers(people.sam, "сканер")) == set(theirs[-2:])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the statement timeout")
def test_a_search_past_the_statement_timeout_is_stopped_with_a_clear_message(people, tickets, client_for,
                                                                              monkeypatch):
    from otklik.search import selectors

    real = selectors._search_postgres

    def slow(viewer, text, limit):
        with connection.cursor() as cursor:  # a search that needs longer than the web timeout allows
            cursor.execute("SELECT pg_sleep(2)")
        return real(viewer, text, limit)

    monkeypatch.setattr(selectors, "_search_postgres", slow)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
    response = client_for(people.fiona).get("/search/", {"q": "принтер"})
    assert response.status_code == 200
    assert "took too long" in response.content.decode()
    with connection.cursor() as cursor:  # the cut left the surrounding transaction usable
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the stored vector")
def test_the_stored_vector_follows_every_write(people, now, tickets):
    printers, _vpn, _hidden = tickets
    changes.ticket_change_subject(actor=people.fiona, ticket_id=printers.pk, subject="Сканер сломан", now=now)
    assert _numbers(people.fiona, "сканер") == [printers.number]
    assert printers.number not in _numbers(people.fiona, "принтеры третьем")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the staff window")
def test_staff_window_with_enough_of_their_tickets_is_not_searched_again(people, now, monkeypatch):
    """Lists ask for up to a thousand tickets; a window holding a page of the viewer's is enough."""
    from otklik.search import selectors

    for index in range(4):
        factories.ticket(requester=people.alice, subject=f"Сканер {index}", team=people.first_line, now=now)
    monkeypatch.setattr(selectors, "CANDIDATES", 3)
    monkeypatch.setattr(selectors, "MAX_ROWS", 3)
    monkeypatch.setattr(selectors, "ENOUGH_VISIBLE", 2)

    def scoped(viewer):
        raise AssertionError("searched again inside the scope")

    monkeypatch.setattr(selectors, "_scopes", scoped)
    found = selectors.search_found(people.fiona, "сканер", limit=1000)
    assert len(found.hits) == 3 and found.more


def test_search_page_says_more_when_the_search_stopped_at_its_cap(people, now, client_for, monkeypatch):
    from otklik.search import selectors

    for index in range(3):
        factories.ticket(requester=people.alice, subject=f"Сканер {index}", team=people.first_line, now=now)
    fiona = client_for(people.fiona)
    page = fiona.get("/search/", {"q": "сканер"}).content.decode()
    assert "3 tickets found" in page and "More than" not in page
    monkeypatch.setattr(selectors, "MAX_ROWS", 2)
    page = fiona.get("/search/", {"q": "сканер"}).content.decode()
    assert "More than 2 tickets found" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the two plans of the staff search")
def test_few_matches_read_from_the_index_rank_as_the_newest_first_walk(people, now, monkeypatch):
    """Every match ranked from the GIN index, or the newest ones walked: the same hits in the same order."""
    from otklik.search import selectors

    for index in range(6):
        ticket = factories.ticket(requester=people.alice, subject=f"Сканер {index} сканер" * (index % 3 + 1),
                                  team=people.first_line if index % 2 else people.second_line, now=now)
        services.ticket_add_note(actor=people.adam, ticket_id=ticket.pk, body_text=f"сканер заметка {index}", now=now)

    def hits(viewer):
        return [(hit.ticket_id, hit.in_note, str(hit.snippet)) for hit in search(viewer, "сканер")]

    read = {viewer.pk: hits(viewer) for viewer in (people.fiona, people.sam, people.adam)}
    assert all(read.values())
    monkeypatch.setattr(selectors, "_matches_if_few", lambda text, public=False: None)
    assert {viewer.pk: hits(viewer) for viewer in (people.fiona, people.sam, people.adam)} == read


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: planner settings")
def test_the_planner_settings_a_search_changes_are_restored(people, tickets):
    def setting(name):
        with connection.cursor() as cursor:
            cursor.execute(f"SHOW {name}")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
    try:
        assert search(people.fiona, "принтер")
        assert [setting(name) for name in ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")] == [
            "on", "on", "off"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_bitmapscan")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the two plans of the requester search")
def test_requesters_few_public_matches_rank_as_the_walk_inside_their_scope(people, now, monkeypatch):
    """A requester's few public matches ranked from the public index, or the newest rows of their scope walked:
    the same hits in the same order, and never a note or another organization's ticket."""
    from otklik.search import selectors

    people.org_a.shares_tickets = True
    people.org_a.save()
    for index, requester in enumerate([people.alice, people.bob, people.carol] * 2):
        ticket = factories.ticket(requester=requester, subject=f"Сканер {index} " + "сканер " * (index % 3),
                                  body=f"Сканер в комнате {index}", team=people.first_line, now=now)
        services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text=f"сканер заметка {index}", now=now)

    def hits(viewer):
        return [(hit.ticket_id, hit.in_note, str(hit.snippet)) for hit in search(viewer, "сканер")]

    monkeypatch.setattr(selectors, "SMALL_SCOPE", 1)  # Alice's and Bob's shared scope is large
    requesters = (people.alice, people.bob, people.carol)
    read = {viewer.pk: hits(viewer) for viewer in requesters}
    assert [len(read[viewer.pk]) for viewer in requesters] == [4, 4, 2]
    assert not any(in_note for found in read.values() for _ticket, in_note, _snippet in found)
    monkeypatch.setattr(selectors, "_matches_if_few", lambda text, public=False: None)
    assert {viewer.pk: hits(viewer) for viewer in requesters} == read


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the requester's index check")
def test_a_word_only_in_notes_ends_a_requesters_search_at_the_index(people, now, monkeypatch):
    """No public row matches: a large scope is not walked at all (it was, row by row, at a million)."""
    from otklik.search import selectors

    people.org_a.shares_tickets = True
    people.org_a.save()
    ticket = factories.ticket(requester=people.alice, subject="Сканер", team=people.first_line, now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="картридж 4711", now=now)

    def walked(*args, **kwargs):
        raise AssertionError("walked the scope")

    monkeypatch.setattr(selectors, "SMALL_SCOPE", 0)
    monkeypatch.setattr(selectors, "_newest_ranked", walked)
    assert search(people.bob, "4711") == [] and search(people.alice, "картридж") == []
    assert [hit.ticket_id for hit in search(people.bob, "сканер")] == [ticket.pk]
    assert [hit.ticket_id for hit in search(people.fiona, "4711")] == [ticket.pk]
