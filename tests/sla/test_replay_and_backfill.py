"""The stored clock against independent references: the SPEC 7.1 invariant computed with the
worktime calendar and explicit pauses, a replay of the log, and the bulk backfill of history."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from otklik.sla import calendars
from otklik.sla.demo import backfill_clocks
from otklik.sla.models import SlaClock, SlaClockEvent
from otklik.sla.services import state_of
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Ticket
from otklik.worktime import Pause

from .helpers import assert_matches_log, clock
from .test_clock_lifecycle import msk

pytestmark = pytest.mark.django_db

STEPS = ["pause", "resume", "note", "requester_reply", "staff_reply", "resolve", "reopen"]


def drive(ticket: Ticket, people, rng: random.Random, start, steps: int) -> tuple[list[Pause], object]:
    """Random walk through the real services; returns the resolution clock's pauses (status
    pauses and resolved spans) as the SPEC 7.1 invariant sees them, and the last instant."""
    moment = start
    pauses: list[Pause] = []
    paused_since = None
    for _ in range(steps):
        moment += timedelta(minutes=rng.choice([7, 30, 95, 400, 1500]), seconds=rng.randrange(60))
        ticket.refresh_from_db()
        kind = ticket.status.kind
        done = kind in ("resolved", "closed")
        step = rng.choice(STEPS)
        if step == "pause" and not done and not ticket.status.pauses_sla:
            changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                          status=factories.status(rng.choice(["paused", "needs_clarification"])),
                                          now=moment)
            paused_since = moment
        elif step == "resume" and ticket.status.pauses_sla:
            changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                          now=moment)
            assert paused_since is not None  # a pausing status is only ever entered by the walk's own steps
            pauses.append(Pause(paused_since, moment))
            paused_since = None
        elif step == "note":
            services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="n", now=moment)
        elif step == "requester_reply" and not done:
            services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="r", now=moment)
            if paused_since is not None and ticket.status.kind == "waiting_customer":
                pauses.append(Pause(paused_since, moment))  # the answer wakes the ticket
                paused_since = None
        elif step == "staff_reply" and not done:
            services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="s", now=moment)
        elif step == "resolve" and not done:
            changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=moment)
            if paused_since is None:
                paused_since = moment
        elif step == "reopen" and done:
            changes.ticket_reopen(actor=people.alice, ticket_id=ticket.pk, now=moment)
            assert paused_since is not None  # set when the walk resolved the ticket
            pauses.append(Pause(paused_since, moment))
            paused_since = None
    if paused_since is not None:
        pauses.append(Pause(paused_since, None))
    return pauses, moment


@pytest.mark.parametrize("seed", range(12))
def test_random_histories_keep_the_invariant_and_equal_their_replay(sla, people, seed):
    rng = random.Random(seed)
    start = msk(2, 8) + timedelta(minutes=rng.randrange(600))
    ticket = factories.ticket(requester=people.alice, now=start)
    pauses, _last = drive(ticket, people, rng, start, steps=14)
    resolution = clock(ticket, "resolution")
    reaction = clock(ticket, "reaction")
    assert_matches_log(resolution)
    assert_matches_log(reaction)
    calendar = calendars.calendar_for_key(resolution.calendar_key)
    if resolution.state == "running":
        # SPEC 7.1: due_at == add(started_at, target, pauses so far), computed independently
        assert resolution.due_at == calendar.add_business_seconds(resolution.started_at, resolution.target_seconds,
                                                                  pauses)
    if resolution.state == "stopped":
        # met iff stopped by the deadline; the business time used is the W of the whole life
        assert resolution.stopped_at is not None
        assert resolution.met == (resolution.stopped_at <= resolution.due_at if resolution.due_at else True)
        assert resolution.final_business_seconds == calendar.business_seconds_between(
            resolution.started_at, resolution.stopped_at, pauses)


def test_the_random_walks_cover_every_clock_transition(sla, people):
    kinds = set()
    for seed in range(12):
        rng = random.Random(seed)
        start = msk(2, 8) + timedelta(minutes=rng.randrange(600))
        ticket = factories.ticket(requester=people.alice, now=start)
        drive(ticket, people, rng, start, steps=14)
        kinds |= set(SlaClockEvent.objects.filter(clock__ticket=ticket).values_list("kind", flat=True))
    assert {"start", "pause", "resume", "stop", "reopen"} <= kinds


def test_backfill_replays_history_into_the_same_clocks_the_live_path_built(sla, people, now):
    rng = random.Random(7)
    tickets = []
    for index in range(8):
        ticket = factories.ticket(requester=people.alice, now=now + timedelta(minutes=13 * index))
        drive(ticket, people, rng, now + timedelta(minutes=13 * index), steps=10)
        tickets.append(ticket)
    live = {(c.ticket_id, c.metric): state_of(c) for c in SlaClock.objects.all()}
    SlaClock.objects.all().delete()
    Ticket.objects.update(sla_next_due_at=None)
    until = now + timedelta(days=60)  # after every step of the walks
    counts = backfill_clocks(until)
    assert counts["clocks"] == len(live) == 16
    for row in SlaClock.objects.all():
        replayed = state_of(row)
        expected = live[(row.ticket_id, row.metric)]
        # history already in the past at `until` is marked as announced, silently
        if row.state == "running" and expected.due_at and expected.due_at < until:
            assert row.events.filter(kind="breached", data__suppressed=True).exists() or expected.breached_at
            expected.breached_at = expected.breached_at or expected.due_at
        if row.state == "running" and expected.warn_at and expected.warn_at <= until and expected.warned_at is None:
            expected.warned_at = until
        assert replayed == expected, row
        assert_matches_log(row)
    for ticket in tickets:
        ticket.refresh_from_db()
        running = [c.due_at for c in SlaClock.objects.filter(ticket=ticket, state="running") if c.due_at is not None]
        assert ticket.sla_next_due_at == min(running, default=None)
    assert backfill_clocks(until)["clocks"] == 0  # idempotent
    assert SlaClockEvent.objects.filter(kind="start").count() == 16
