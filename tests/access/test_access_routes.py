"""The access matrix generated from the routes (issue 11): every URL pattern of the project has a reviewed row
in tests/access/routes.py, and every row is probed as every persona of world.py (and anonymously)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.routes import (
    PREFIXES,
    ROUTES,
    AdminOnly,
    Covered,
    FileVisible,
    Public,
    Rule,
    SignedIn,
    Staff,
    TicketHandled,
    TicketVisible,
    Write,
)
from tests.access.world import HANDLED, PERSONAS, TICKETS, VISIBLE, World, internal_marker

REPO = Path(__file__).resolve().parents[2]
STAFF = frozenset({"fiona", "sam", "mia", "rita", "adam", "otto", "gina"})
ADMINS = frozenset({"adam"})


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[
        tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = ":".join(part for part in (namespace, entry.name or "") if part) if entry.name else ""
            yield name, prefix + str(entry.pattern)


def all_routes() -> list[tuple[str, str]]:
    """(URL name with namespace, or "" when unnamed; the full pattern) of every route of the project."""
    return list(_walk(get_resolver().url_patterns))


def rule_for(name: str, pattern: str) -> Rule | None:
    if name in ROUTES:
        return ROUTES[name]
    return next((rule for prefix, rule in PREFIXES.items() if pattern.startswith(prefix)), None)


def test_every_route_has_a_reviewed_row() -> None:
    missing = [(name, pattern) for name, pattern in all_routes() if rule_for(name, pattern) is None]
    lines = [
        f"  {name or pattern!r}: <Rule>(),  # {pattern}" for name, pattern in missing
    ]
    assert not missing, (
        "These routes have no access-matrix row. Add one line per route to ROUTES in "
        "tests/access/routes.py, choosing the rule that says who may use it (Public, SignedIn, Staff, "
        "AdminOnly, TicketVisible, TicketHandled, FileVisible, Write('<world.expected action>'), or "
        "Covered('<test file>', '<why>'); the module docstring explains each):\n" + "\n".join(lines)
    )


def test_every_row_names_a_route_that_exists() -> None:
    names = {name for name, _pattern in all_routes()}
    stale = sorted(set(ROUTES) - names)
    assert not stale, f"rows in tests/access/routes.py for routes that no longer exist: {stale}"


def test_covered_rows_name_a_test_that_exists() -> None:
    absent = [(name, rule.test_file) for name, rule in ROUTES.items()
              if isinstance(rule, Covered) and not (REPO / rule.test_file).exists()]
    assert not absent, f"Covered rows pointing at missing tests: {absent}"


def _rows(kind: type[Rule]) -> list[str]:
    return sorted(name for name, rule in ROUTES.items() if isinstance(rule, kind))


def _client(world: World, persona: str | None) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(world.user(persona))
    return client


def _anonymous_refused(status: int, name: str) -> bool:
    # Web pages send visitors to the login page; the API answers 401/403; a 404 hides the page.
    return status in {302, 401, 403, 404}


def _hidden(status: int) -> bool:
    return status in {404, 403} or status == 302


@pytest.mark.parametrize("name", _rows(TicketVisible) + _rows(TicketHandled))
@pytest.mark.parametrize("persona", PERSONAS)
def test_ticket_routes(world: World, name: str, persona: str) -> None:
    handled_only = isinstance(ROUTES[name], TicketHandled)
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        url = reverse(name, args=[world.tickets[key].number])
        response = client.get(url)
        allowed = key in (HANDLED if handled_only else VISIBLE)[persona]
        want = {200} if allowed else {404}
        if response.status_code not in want:
            problems.append(f"{url} {key}: expected {sorted(want)}, got {response.status_code}")
            continue
        body = response.content.decode("utf-8", "replace") if not response.streaming else ""
        if key not in HANDLED[persona] and internal_marker(key) in body:
            problems.append(f"{url} {key}: shows the internal note")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _rows(TicketVisible) + _rows(TicketHandled) + _rows(FileVisible))
def test_ticket_and_file_routes_refuse_anonymous_visitors(world: World, name: str) -> None:
    argument = world.public_files["alice_first"].token if isinstance(ROUTES[name], FileVisible) else (
        world.tickets["alice_first"].number)
    response = Client().get(reverse(name, args=[argument]))
    assert _anonymous_refused(response.status_code, name), response.status_code


@pytest.mark.parametrize("name", _rows(FileVisible))
@pytest.mark.parametrize("persona", PERSONAS)
def test_file_routes(world: World, name: str, persona: str) -> None:
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        for attachment, allowed in ((world.public_files[key], key in VISIBLE[persona]),
                                    (world.internal_files[key], key in HANDLED[persona])):
            status = client.get(reverse(name, args=[attachment.token])).status_code
            if status != (200 if allowed else 404):
                problems.append(f"{attachment.filename}: got {status}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _rows(SignedIn) + _rows(Staff) + _rows(AdminOnly) + _rows(Public))
@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_pages_without_arguments(world: World, name: str, persona: str | None) -> None:
    rule = ROUTES[name]
    response = _client(world, persona).get(reverse(name))
    status = response.status_code
    assert status < 500
    if isinstance(rule, Public):
        return
    if persona is None:
        assert _anonymous_refused(status, name), status
        return
    if isinstance(rule, SignedIn):
        assert status in {200, 302}, status
    elif isinstance(rule, Staff):
        assert (status == 200) is (persona in STAFF), status
        if persona not in STAFF:
            assert _hidden(status), status
    elif isinstance(rule, AdminOnly):
        assert (status == 200) is (persona in ADMINS), status
    body = "" if response.streaming else response.content.decode("utf-8", "replace")
    leaked = [key for key in TICKETS if key not in HANDLED[persona] and internal_marker(key) in body]
    assert not leaked, f"{name} shows {persona} internal notes of {leaked}"


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_the_admin_site_is_for_admins_only(world: World, persona: str | None) -> None:
    client = _client(world, persona)
    for url in ("/admin/", "/admin/tickets/message/", "/admin/accounts/user/", "/admin/tickets/ticket/"):
        status = client.get(url).status_code
        assert (status == 200) is (persona in ADMINS), f"{url}: {status}"


@pytest.mark.parametrize("name", _rows(Write))
def test_write_routes_do_not_answer_a_get_with_content(world: World, name: str) -> None:
    """Writes are POST/PATCH/DELETE; who may is world.expected(rule), proven per service. A GET by the
    most powerful persona must not turn into a page that writes or reveals anything."""
    pattern = next(pattern for route, pattern in all_routes() if route == name)
    if "<int:number>" in pattern:
        args: list[object] = [world.tickets["alice_first"].number]
        args += [world.people.fiona.pk] * (pattern.count("<int:") - 1)
    else:
        args = [1] * pattern.count("<")
    response = _client(world, "adam").get(reverse(name, args=args))
    assert response.status_code in {302, 400, 404, 405} or (
        response.status_code == 200 and name.startswith("api:")  # GET lists beside the write (e.g. links)
    ), response.status_code
