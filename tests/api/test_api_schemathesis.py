"""schemathesis against the live schema, in-process through the WSGI app: no operation answers 5xx.

Each operation gets a bounded number of generated requests (positive and negative data) as an
administrator and as a requester, so the whole run stays well under two minutes.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from otklik.integrations.models import WebhookSubscription
from otklik.testing import factories


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, run in-process inside the test's transaction. Like Django's test client, it
    must not close the database connection at the end of each request, or the transaction would be lost."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


EXAMPLES = int(os.environ.get("OTKLIK_SCHEMATHESIS_EXAMPLES", "12"))


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=1_000_000)
@pytest.mark.parametrize("persona", ["adam", "alice"])
def test_no_operation_answers_with_a_server_error(persona, people, world, client_for, wsgi_app):
    from django.utils import timezone

    from otklik.api.tokens import token_create

    user = getattr(people, persona)
    scopes = ["read", "write", "admin"] if persona == "adam" else ["read", "write"]
    secret = token_create(actor=user, user=user, name="fuzz", scopes=scopes, now=timezone.now()).secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    headers = {"Authorization": f"Bearer {secret}"}
    # Real objects for a share of the cases, so the fuzzing reaches the services, not only the 404s.
    subscription = WebhookSubscription.objects.create(name="fuzz", url="http://127.0.0.1:9/")
    factories.request_type("laptop")
    known = {
        "number": world.alice_ticket.number,
        "token": world.reply_file.token,
        "user_id": people.alice.pk,
        "subscription_id": subscription.pk,
        "code": "laptop",
    }
    failures: list[str] = []
    reached: set[str] = set()  # operations that answered 2xx at least once: the fuzzing got past validation
    # schemathesis' Result is Ok | Err and only Ok has .ok(); an Err raising here is the wanted failure
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 30

    def fuzz(operation) -> None:
        names = set(re.findall(r"{(\w+)}", operation.path))
        real = {name: value for name, value in known.items() if name in names}
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=real),
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=real),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case) -> None:
            response = case.call(headers=headers)
            if response.status_code < 300:
                reached.add(f"{operation.method.upper()} {operation.path}")
            if response.status_code >= 500:
                failures.append(
                    f"{operation.method.upper()} {operation.path}: {response.status_code} {case.as_curl_command()}"
                )

        run()

    for operation in operations:
        fuzz(operation)

    assert failures == [], "\n".join(failures[:20])
    print(f"{persona}: {len(operations)} operations, {len(reached)} answered 2xx")
    assert len(reached) >= 15, sorted(reached)
