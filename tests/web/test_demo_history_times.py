"""The demo's tickets look like the six months they claim: their "updated" times are spread out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from otklik.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_tickets_were_updated_across_months_not_at_load_time():
    call_command("demo", tickets=120, verbosity=0)
    now = timezone.now()
    updated = list(Ticket.objects.values_list("updated_at", flat=True))
    # 120 generated tickets, plus the few the demo chats turned into tickets.
    assert 120 <= len(updated) <= 140
    recent = sum(1 for moment in updated if now - moment < timedelta(hours=1))
    assert recent < len(updated) * 0.2, f"{recent} of {len(updated)} tickets were 'updated' at load time"
    assert max(updated) - min(updated) > timedelta(days=90)


def test_the_first_minutes_of_running_keep_the_history_times():
    """What `otklik run` does right after loading: every periodic job once. None may touch old tickets."""
    from otklik.automation.tasks import time_rules_tick, triggers_sweep
    from otklik.notifications.tasks import notifications_sweep
    from otklik.sla.tasks import sla_sweep_job

    call_command("demo", tickets=120, verbosity=0)
    before = dict(Ticket.objects.values_list("pk", "updated_at"))
    for job in (triggers_sweep, notifications_sweep, sla_sweep_job):
        job.call_local()
    time_rules_tick(now=timezone.now())
    after = dict(Ticket.objects.values_list("pk", "updated_at"))
    touched = [pk for pk in before if after[pk] != before[pk]]
    assert len(touched) < len(before) * 0.2, f"{len(touched)} of {len(before)} tickets touched at start"
