"""The chat's first-line target runs through the SLA sweep: working hours and holidays of the desk's
calendar, a warning and a breach once each, the desk's lead and agents told, the console sorted and counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from otklik.chat import selectors, services
from otklik.chat.models import Dialog
from otklik.notifications import topics
from otklik.notifications.models import Notification
from otklik.sla.models import CalendarException, ExceptionKind, HolidayCalendar, Schedule
from otklik.sla.sweep import sla_sweep

FRIDAY_EVENING = datetime(2026, 3, 6, 17, 55, tzinfo=UTC)
HOLIDAY = date(2026, 3, 9)  # Monday


@pytest.fixture
def office_chat(people, chats):
    holidays = HolidayCalendar.objects.create(name="Holidays")
    CalendarException.objects.create(
        holiday_calendar=holidays, name="Spring day", kind=ExceptionKind.REST, date_from=HOLIDAY, date_to=HOLIDAY
    )
    schedule = Schedule.objects.create(name="Office", timezone="UTC", holiday_calendar=holidays)  # 09-18 weekdays
    chat = chats.org_a
    chat.schedule = schedule
    chat.first_response_minutes = 10
    chat.save()
    people.first_line.lead = people.adam  # a lead who is not a member is told too
    people.first_line.save()
    return chat


def _told(topic: str) -> set[str]:
    return set(Notification.objects.filter(topic=topic).values_list("recipient__email", flat=True))


def test_deadlines_follow_working_hours_and_the_holiday(people, office_chat):
    services.chat_message_post(chat=office_chat, author=people.alice, text="VPN?", now=FRIDAY_EVENING)
    dialog = Dialog.objects.get()
    # 5 working minutes on Friday, Monday is a holiday, 5 more on Tuesday; warned 5 minutes before.
    assert dialog.due_at == datetime(2026, 3, 10, 9, 5, tzinfo=UTC)
    assert dialog.warn_at == datetime(2026, 3, 6, 18, 0, tzinfo=UTC)


def test_the_sla_sweep_warns_then_breaches_once_and_tells_the_desk(people, office_chat):
    services.chat_message_post(chat=office_chat, author=people.alice, text="VPN?", now=FRIDAY_EVENING)

    assert sla_sweep(now=FRIDAY_EVENING + timedelta(minutes=4)).as_dict()["chat_dialogs_warned"] == 0
    result = sla_sweep(now=FRIDAY_EVENING + timedelta(minutes=6)).as_dict()
    assert (result["chat_dialogs_warned"], result["chat_dialogs_breached"]) == (1, 0)
    staff = {people.fiona.email, people.mia.email, people.adam.email}  # lead and agents; not the auditor
    assert _told(topics.CHAT_DIALOG_DUE_SOON) == staff
    assert sla_sweep(now=FRIDAY_EVENING + timedelta(minutes=7)).as_dict()["chat_dialogs_warned"] == 0

    # The whole holiday passes without a breach: no working time is spent.
    assert sla_sweep(now=datetime(2026, 3, 9, 17, 0, tzinfo=UTC)).as_dict()["chat_dialogs_breached"] == 0
    assert sla_sweep(now=datetime(2026, 3, 10, 9, 4, tzinfo=UTC)).as_dict()["chat_dialogs_breached"] == 0
    result = sla_sweep(now=datetime(2026, 3, 10, 9, 6, tzinfo=UTC)).as_dict()
    assert result["chat_dialogs_breached"] == 1
    assert _told(topics.CHAT_DIALOG_OVERDUE) == staff
    notice = Notification.objects.filter(topic=topics.CHAT_DIALOG_OVERDUE, recipient=people.fiona).get()
    assert "Org A help" in notice.title and "2026-03-10" in notice.body
    dialog = Dialog.objects.get()
    assert dialog.breached_at == datetime(2026, 3, 10, 9, 6, tzinfo=UTC)
    assert sla_sweep(now=datetime(2026, 3, 10, 9, 30, tzinfo=UTC)).as_dict()["chat_dialogs_breached"] == 0
    assert Notification.objects.filter(topic=topics.CHAT_DIALOG_OVERDUE).count() == 3


def test_an_answer_in_time_stops_the_target(people, office_chat):
    question = services.chat_message_post(chat=office_chat, author=people.alice, text="VPN?", now=FRIDAY_EVENING)
    services.chat_message_post(
        chat=office_chat,
        author=people.fiona,
        text="on it",
        conversation=question.conversation,
        now=FRIDAY_EVENING + timedelta(minutes=1),
    )
    result = sla_sweep(now=datetime(2026, 3, 11, 12, 0, tzinfo=UTC)).as_dict()
    assert (result["chat_dialogs_warned"], result["chat_dialogs_breached"]) == (0, 0)
    assert not Notification.objects.filter(topic__startswith="chat_dialog").exists()


def test_a_warning_found_after_the_deadline_is_not_sent(people, office_chat):
    services.chat_message_post(chat=office_chat, author=people.alice, text="VPN?", now=FRIDAY_EVENING)
    result = sla_sweep(now=datetime(2026, 3, 12, 12, 0, tzinfo=UTC)).as_dict()  # the sweep was down for days
    assert (result["chat_dialogs_warned"], result["chat_dialogs_breached"]) == (0, 1)
    assert not Notification.objects.filter(topic=topics.CHAT_DIALOG_DUE_SOON).exists()


def test_the_console_puts_the_overdue_question_first_and_counts(people, office_chat, client):
    early = services.chat_message_post(chat=office_chat, author=people.alice, text="first", now=FRIDAY_EVENING)
    late = services.chat_message_post(
        chat=office_chat, author=people.bob, text="second", now=datetime(2026, 3, 10, 9, 8, tzinfo=UTC)
    )
    now = datetime(2026, 3, 10, 9, 9, tzinfo=UTC)
    rows = selectors.console_conversations(people.fiona, office_chat.pk)
    assert [row.conversation.pk for row in rows] == [early.conversation_id, late.conversation_id]
    assert [row.target_state(now) for row in rows] == ["overdue", ""]
    counts = selectors.target_counts(people.fiona, now, office_chat.pk)
    assert (counts.unanswered, counts.due_soon, counts.overdue) == (2, 0, 1)
    assert selectors.target_counts(people.fiona, datetime(2026, 3, 10, 9, 14, tzinfo=UTC)).due_soon == 1

    client.force_login(people.fiona)
    page = client.get(f"/chat/console/{office_chat.pk}/").content.decode()
    assert 'data-count="overdue"' in page and 'data-target-state="overdue"' in page
