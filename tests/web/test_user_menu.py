"""The user menu in the header reaches the personal pages: two-factor sign-in, availability, canned replies
and macros for staff; API tokens for everyone; and every link it shows opens."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

STAFF_ONLY = ("two-factor", "availability", "canned", "macros")


def _menu(html: str) -> dict[str, str]:
    return {name: href for href, name in re.findall(r'href="([^"]+)" data-menu="([a-z-]+)"', html)}


@pytest.mark.parametrize("persona", ["fiona", "mia", "rita", "adam"])
def test_staff_reach_their_security_availability_and_tools(people, client_for, persona):
    client = client_for(getattr(people, persona))
    links = _menu(client.get("/").content.decode())
    assert set(links) == {*STAFF_ONLY, "api-tokens"}
    for href in links.values():
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_requesters_see_only_what_is_theirs(people, client_for, persona):
    client = client_for(getattr(people, persona))
    response = client.get("/portal/")
    links = _menu(response.content.decode())
    assert set(links) == {"api-tokens"}
    assert client.get(links["api-tokens"]).status_code == 200
