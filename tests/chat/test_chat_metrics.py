"""First-line metrics equal a recomputation from the raw messages, for any conversation."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.chat import firstline, selectors, services
from otklik.chat.models import ChatMessage, Conversation, Dialog
from otklik.sla.models import Schedule
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes

# (who: 0 = Alice, 1 = Bob, 2 = Fiona answering Alice, 3 = Fiona answering Bob; internal; seconds later)
steps = st.lists(
    st.tuples(st.integers(0, 3), st.booleans(), st.integers(0, 3 * 24 * 3600)), min_size=0, max_size=25
)


def _recompute(chat_id: int, calendar) -> dict[str, Any]:
    """Walk the raw messages: a requester's public message opens a question unless one is open; the first
    public staff message in that conversation answers it."""
    open_since: dict[int, datetime] = {}
    plain: list[int] = []
    working: list[int] = []
    dialogs = 0
    for message in ChatMessage.objects.filter(chat_id=chat_id).order_by("id"):
        if message.is_internal:
            continue
        started = open_since.get(message.conversation_id)
        if not message.from_staff and started is None:
            open_since[message.conversation_id] = message.created_at
            dialogs += 1
        elif message.from_staff and started is not None:
            plain.append(int((message.created_at - started).total_seconds()))
            working.append(plain[-1] if calendar is None else calendar.business_seconds_between(started,
                                                                                                message.created_at))
            del open_since[message.conversation_id]
    ordered = sorted(plain)
    return {
        "dialogs": dialogs,
        "avg_response_seconds": sum(plain) / len(plain) if plain else None,
        "median_response_seconds": float(statistics.median(plain)) if plain else None,
        "p90_response_seconds": float(ordered[math.ceil(0.9 * len(ordered)) - 1]) if plain else None,
        "avg_response_working_seconds": sum(working) / len(working) if working else None,
        "unanswered": len(open_since),
    }


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, with_schedule=st.booleans())
def test_metrics_equal_a_recomputation_from_raw_messages(people, chats, script, with_schedule):
    chat = chats.org_a
    Dialog.objects.all().delete()
    Conversation.objects.all().delete()
    office = Schedule.objects.get_or_create(name="Office", timezone="Europe/Moscow")[0]
    chat.schedule = office if with_schedule else None
    chat.save()
    moment = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    conversations: dict[int, Conversation] = {}
    for who, internal, delay in script:
        moment += timedelta(seconds=delay)
        if who < 2:
            author = (people.alice, people.bob)[who]
            message = services.chat_message_post(chat=chat, author=author, text="q", now=moment)
            conversations[who] = message.conversation
        elif who - 2 in conversations:
            services.chat_message_post(chat=chat, author=people.fiona, text="a", conversation=conversations[who - 2],
                                       is_internal=internal, now=moment)
    expected = _recompute(chat.pk, firstline.chat_calendar(chat))
    measured = selectors.first_line_metrics(people.fiona, start=date(2026, 3, 1), end=date(2026, 12, 31))
    assert measured == pytest.approx(expected) if expected["dialogs"] else measured == expected


def test_metrics_are_scoped_by_access_and_dates(people, chats, now):
    question = services.chat_message_post(chat=chats.org_b, author=people.carol, text="q", now=now)
    services.chat_message_post(chat=chats.org_b, author=people.sam, text="a", conversation=question.conversation,
                               now=now + timedelta(seconds=30))
    assert selectors.first_line_metrics(people.fiona, start=date(2026, 3, 1), end=date(2026, 3, 31))["dialogs"] == 0
    assert selectors.first_line_metrics(people.carol, start=date(2026, 3, 1), end=date(2026, 3, 31))["dialogs"] == 0
    sam = selectors.first_line_metrics(people.sam, start=date(2026, 3, 2), end=date(2026, 3, 2))
    assert (sam["dialogs"], sam["avg_response_seconds"]) == (1, 30.0)
    assert selectors.first_line_metrics(people.sam, start=date(2026, 3, 3), end=date(2026, 3, 3))["dialogs"] == 0
    by_team = selectors.first_line_metrics(people.mia, start=date(2026, 3, 2), end=date(2026, 3, 2),
                                           team_id=people.first_line.pk)
    assert by_team["dialogs"] == 0
    per_person = selectors.first_line_by_specialist(people.mia, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [(row["user_id"], row["dialogs"]) for row in per_person] == [(people.sam.pk, 1)]


def test_monthly_buckets(people, chats, now):
    today = timezone.localdate()
    start = datetime(today.year, today.month, 1, 12, 0, tzinfo=timezone.get_default_timezone())
    question = services.chat_message_post(chat=chats.org_a, author=people.alice, text="q", now=start)
    services.chat_message_post(chat=chats.org_a, author=people.fiona, text="a", conversation=question.conversation,
                               now=start + timedelta(seconds=42))
    old = start - timedelta(days=40)
    services.chat_message_post(chat=chats.org_a, author=people.bob, text="old", now=old)
    months = selectors.first_line_monthly(people.fiona, months=3)
    assert [row["month"] for row in months][-1] == today.strftime("%Y-%m")
    assert len(months) == 3
    assert months[-1]["dialogs"] == 1 and months[-1]["avg_response_seconds"] == 42.0
    old_month = timezone.localtime(old).strftime("%Y-%m")
    assert next(row for row in months if row["month"] == old_month)["unanswered"] == 1
    assert selectors.first_line_monthly(people.alice, months=3)[-1]["dialogs"] == 0


def test_my_tickets_in_three_groups_oldest_first(people, chats, now):
    messages = [
        services.chat_message_post(chat=chats.org_a, author=people.alice, text=f"q{i}", now=now + timedelta(hours=i))
        for i in range(3)
    ]
    tickets = [services.chat_ticket_from_message(actor=people.fiona, message_id=m.pk, now=now + timedelta(hours=i))
               for i, m in enumerate(messages)]
    assert [t.pk for t in selectors.my_open_tickets(people.fiona)["doing"]] == [t.pk for t in tickets]
    assert [t.pk for t in selectors.my_open_tickets(people.alice)["watching"]] == [t.pk for t in tickets]
    people.first_line.lead = people.mia
    people.first_line.save()
    assert [t.pk for t in selectors.my_open_tickets(people.mia)["leading"]] == [t.pk for t in tickets]
    changes.ticket_close(actor=people.fiona, ticket_id=tickets[0].pk, now=now + timedelta(days=1))
    assert [t.pk for t in selectors.my_open_tickets(people.fiona)["doing"]] == [t.pk for t in tickets[1:]]


def test_console_puts_waiting_questions_first(people, chats, now):
    answered = services.chat_message_post(chat=chats.org_a, author=people.alice, text="q", now=now)
    services.chat_message_post(chat=chats.org_a, author=people.fiona, text="a", conversation=answered.conversation,
                               now=now + timedelta(minutes=1))
    waiting = services.chat_message_post(chat=chats.org_a, author=people.bob, text="help", now=now)
    services.conversation_of(chat=chats.org_a, requester=factories.user(organization=people.org_a), now=now)
    rows = selectors.console_conversations(people.fiona, chats.org_a.pk)
    assert [row.conversation.pk for row in rows] == [waiting.conversation_id, answered.conversation_id]
    assert rows[0].waiting_seconds(now + timedelta(minutes=3)) == 180 and rows[1].waiting_since is None
    assert selectors.unanswered_count(people.fiona) == 1
    ticket_pick = selectors.last_messages_for_ticket(people.fiona, chats.org_a.pk)
    assert [m.pk for m in ticket_pick] == [waiting.pk, answered.pk]


def test_console_query_count_is_flat(people, chats, now):
    def fill(total: int) -> None:
        while Conversation.objects.count() < total:
            index = Conversation.objects.count()
            user = people.alice if index == 0 else factories.user(
                email=f"r{index}@a.example", organization=people.org_a)
            services.chat_message_post(chat=chats.org_a, author=user, text="q", now=now)

    fill(2)
    small = count_queries(lambda: selectors.console_conversations(people.fiona, chats.org_a.pk))
    fill(20)
    large = count_queries(lambda: selectors.console_conversations(people.fiona, chats.org_a.pk))
    assert small == large


def test_the_reports_overview_shows_the_first_line_from_dialogs(people, chats, now):
    """Reports ask the chat app once: the overview's first line equals `first_line_metrics`, and a viewer
    who serves no chat gets "no chats yet" (None), not zeros that look like a bad month."""
    from otklik.reports.filters import ReportFilters
    from otklik.reports.selectors import overview

    question = services.chat_message_post(chat=chats.org_b, author=people.carol, text="q", now=now)
    services.chat_message_post(chat=chats.org_b, author=people.sam, text="a", conversation=question.conversation,
                               now=now + timedelta(seconds=45))
    march = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    first_line = overview(people.mia, march)["first_line"]
    assert first_line == selectors.first_line_metrics(people.mia, start=march.start, end=march.end)
    assert (first_line["dialogs"], first_line["avg_response_seconds"]) == (1, 45.0)


def test_the_reports_overview_says_no_chats_yet_without_chats(people, db):
    from otklik.reports.filters import ReportFilters
    from otklik.reports.selectors import overview

    assert overview(people.mia, ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31)))["first_line"] is None
