"""The pages a company sign-in ends on when it does not finish: plain, public, in Otklik's layout."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/sso/login/cancelled/", "/sso/login/error/"])
def test_result_pages_render_for_anyone(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    assert b'href="/login/"' in response.content
