"""Remembered configuration (otklik.core.lookups): no query while nothing changes, the new answer at once
after a change made through the models (the admin, the services)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import Team
from otklik.accounts.selectors import teams_all
from otklik.automation.assignment import any_active_rule
from otklik.automation.models import AssignmentRule
from otklik.integrations.models import WebhookDelivery, WebhookSubscription
from otklik.security import two_factor
from otklik.security.models import SecurityPolicy, UserSecurity
from otklik.testing import factories
from otklik.tickets import selectors, services
from otklik.tickets.models import Priority, Status, StatusKind
from otklik.trackers.models import ProfileSource
from otklik.trackers.selectors import any_profile_source

pytestmark = pytest.mark.django_db


def _queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_default_status_is_remembered_and_follows_a_change(people):
    first = services.status_default(StatusKind.NEW)
    assert _queries(lambda: services.status_default(StatusKind.NEW)) == 0
    earlier = Status.objects.create(code="intake", name="Intake", kind=StatusKind.NEW, order=first.order - 1)
    assert services.status_default(StatusKind.NEW).pk == earlier.pk
    earlier.is_active = False
    earlier.save()
    assert services.status_default(StatusKind.NEW).pk == first.pk
    earlier.delete()
    assert [s.pk for s in selectors.statuses_active()] == list(
        Status.objects.filter(is_active=True).order_by("order", "id").values_list("pk", flat=True))


def test_a_status_edited_to_pause_the_sla_is_seen_by_the_next_create(people, now):
    status = services.status_default(StatusKind.NEW)
    assert status.pauses_sla is False
    status.pauses_sla = True
    status.save()
    ticket = factories.ticket(requester=people.alice, now=now)
    assert ticket.status.pauses_sla is True


def test_default_priority_follows_the_default_mark(people):
    before = services.priority_default()
    assert _queries(services.priority_default) == 0
    other = Priority.objects.exclude(pk=before.pk).first()
    assert other is not None
    Priority.objects.filter(pk=before.pk).update(is_default=False)  # bypasses signals: the save below drops
    other.is_default = True
    other.save()
    assert services.priority_default().pk == other.pk


def test_teams_list_follows_a_new_team(people):
    count = len(teams_all())
    assert _queries(teams_all) == 0
    Team.objects.create(name="Night shift")
    assert len(teams_all()) == count + 1


def test_webhooks_switched_on_later_get_the_next_events(people, now):
    factories.ticket(requester=people.alice, now=now)  # no subscription: remembered as "none"
    WebhookSubscription.objects.create(name="W", url="http://127.0.0.1:9/")
    ticket = factories.ticket(requester=people.alice, now=now)
    assert WebhookDelivery.objects.filter(event__ticket=ticket).exists()


def test_assignment_rules_and_profile_sources_are_seen_once_switched_on(people):
    assert any_active_rule() is False and any_profile_source() is False
    AssignmentRule.objects.create(name="Printers", set_team=people.first_line)
    assert any_active_rule() is True
    ProfileSource.objects.create(name="CRM", url_template="http://127.0.0.1:9/?email={email}")
    assert any_profile_source() is True


def test_two_factor_state_is_remembered_and_follows_devices_rules_and_policy(people):
    fiona = people.fiona
    assert two_factor.state_for(fiona).must_verify is False
    assert _queries(lambda: two_factor.state_for(fiona)) == 0

    policy = SecurityPolicy.current()
    policy.require_two_factor_agents = True
    policy.save()
    assert two_factor.state_for(fiona).required is True
    policy.require_two_factor_agents = False
    policy.save()
    assert two_factor.state_for(fiona).must_verify is False

    UserSecurity.objects.create(user=fiona, two_factor_required=True)
    assert two_factor.state_for(fiona).required is True

    device = TOTPDevice.objects.create(user=fiona, name="authenticator", confirmed=False)
    assert two_factor.state_for(fiona).enrolled is False
    device.confirmed = True
    device.save()
    assert two_factor.state_for(fiona).enrolled is True
    device.delete()
    assert two_factor.state_for(fiona).enrolled is False


def test_a_read_only_request_takes_each_answer_from_the_cache_once(people):
    from unittest import mock

    from django.core.cache import cache

    from otklik.core import lookups

    selectors.configuration_by_id()  # remembered in the cache
    with mock.patch.object(cache, "get", wraps=cache.get) as read, lookups.answers_for_request():
        first = selectors.configuration_by_id()
        assert selectors.configuration_by_id() is first  # shared within the request, not unpickled again
        assert read.call_count == 1
        # A change inside the block (as a write would make) is seen at once.
        Status.objects.create(code="intake2", name="Intake", kind=StatusKind.NEW, order=99)
        assert selectors.configuration_by_id() is not first
        assert "intake2" in {status.code for status in selectors.configuration_by_id()["status"].values()}
    # Outside a request each call reads the cache again (a fresh copy).
    assert selectors.configuration_by_id() is not selectors.configuration_by_id()
