"""Bulk ticket history: realistic tickets with replies, notes and status histories, written in batches.

The rows have exactly the shape the services write (events with stable codes, first response and
resolution timestamps), but are inserted in bulk, so the demo loads in seconds and the benchmark
generator can fill PostgreSQL with a million tickets.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction

from otklik.accounts.models import Role, Team, User
from otklik.tickets import numbers
from otklik.tickets.models import (
    Category,
    EventKind,
    Message,
    Priority,
    RequestType,
    Source,
    Status,
    StatusKind,
    Ticket,
    TicketEvent,
)

SUBJECTS = [
    ("Не работает VPN из дома", "Добрый день! С утра не подключается VPN, пишет «ошибка 809». Работаю из дома."),
    ("Принтер на 3 этаже не печатает", "Принтер в кабинете 305 мигает оранжевым и не печатает документы."),
    ("Нужен доступ к папке бухгалтерии", "Прошу предоставить доступ к папке \\\\fs\\buh для нового сотрудника."),
    ("Не открывается 1С", "При запуске 1С появляется ошибка лицензирования. Работа стоит."),
    ("Сбросить пароль от почты", "Забыл пароль от корпоративной почты, прошу сбросить."),
    ("Заменить картридж", "В принтере закончился тонер, нужен новый картридж."),
    ("Ноутбук быстро разряжается", "Батарея держит меньше часа, можно ли заменить?"),
    ("Как настроить подпись в Outlook?", "Подскажите, пожалуйста, как добавить подпись в письма."),
    ("Доработка отчёта по продажам", "Нужно добавить в отчёт колонку с регионом клиента."),
    ("Закупка мониторов для отдела", "Прошу организовать закупку 5 мониторов 27\"."),
    ("VPN keeps disconnecting", "Hi, my VPN connection drops every 10 minutes since yesterday."),
    ("Cannot log in to the CRM", "I get 'invalid credentials' although my password is correct."),
    ("Laptop screen flickers", "The screen of my laptop flickers when I move the lid."),
    ("Request access to the shared drive", "Please grant me read access to the Marketing share."),
    ("Email not syncing on phone", "My phone stopped receiving work email after the update."),
    ("Printer paper jam", "The printer near reception reports a paper jam but there is none."),
    ("Question about expense reports", "Where do I find the template for expense reports?"),
    ("New employee onboarding", "A new colleague starts on Monday and needs a laptop and accounts."),
    ("Slow Wi-Fi in meeting room", "Wi-Fi in meeting room B is very slow during calls."),
    ("Improve ticket export", "Could the monthly export include the resolution time?"),
]
STAFF_REPLIES = [
    "Здравствуйте! Приняли в работу, посмотрим в течение часа.",
    "Проверили настройки, попробуйте, пожалуйста, ещё раз.",
    "Уточните, пожалуйста, номер кабинета и модель устройства.",
    "Доступ предоставлен. Проверьте, пожалуйста.",
    "Hello! We are looking into it and will get back to you shortly.",
    "Could you please send a screenshot of the error?",
    "The issue is fixed on our side, please check again.",
    "We have ordered the replacement part; it arrives on Thursday.",
]
REQUESTER_REPLIES = [
    "Спасибо, всё заработало!", "Кабинет 305, принтер HP LaserJet.", "Ошибка осталась, скриншот прилагаю.",
    "Thanks, it works now.", "Still the same error, see the screenshot.", "Room 4.12, the HP printer.",
]
NOTES = [
    "Похоже на проблему с сертификатом, передаю во вторую линию.",
    "Звонил пользователю, не ответил.",
    "Checked the logs: the account was locked after 5 failed attempts.",
    "Waiting for the vendor's answer, case 4711.",
]


@dataclass
class Reference:
    statuses: dict[str, Status]
    priorities: list[Priority]
    priority_weights: list[int]
    categories: list[Category]
    request_types: list[RequestType]
    requesters: list[User]
    teams: list[Team]
    team_members: dict[int, list[int]]
    sources: list[str] = field(default_factory=lambda: [s.value for s in Source])
    source_weights: list[int] = field(default_factory=lambda: [30, 40, 12, 8, 6, 4])


def load_reference() -> Reference:
    statuses: dict[str, Status] = {}
    for status in Status.objects.order_by("order"):
        statuses.setdefault(status.kind, status)
        statuses[status.code] = status
    priorities = list(Priority.objects.order_by("rank"))
    teams = list(Team.objects.prefetch_related("members"))
    return Reference(
        statuses=statuses,
        priorities=priorities,
        priority_weights=[5, 60, 25, 10][: len(priorities)] or [1],
        categories=list(Category.objects.all()),
        request_types=list(RequestType.objects.select_related("category", "team", "default_priority")),
        requesters=list(User.objects.filter(role=Role.REQUESTER)),
        teams=teams,
        team_members={
            team.pk: [m.pk for m in team.members.all() if m.role in (Role.AGENT, Role.MANAGER)] for team in teams
        },
    )


def _business_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random instant, mostly on weekdays in working hours, as real load is."""
    span = (end - start).total_seconds()
    for _attempt in range(5):
        moment = start + timedelta(seconds=rng.random() * span)
        local_hour = (moment.hour + 3) % 24
        if moment.weekday() < 5 and 8 <= local_hour < 19:
            return moment
    return moment


def _plan_ticket(rng: random.Random, ref: Reference, number: int, now: datetime, days: int) -> tuple[
    Ticket, list[Message], list[TicketEvent]
]:
    created = _business_moment(rng, now - timedelta(days=days), now - timedelta(minutes=5))
    age = now - created
    subject, body = rng.choice(SUBJECTS)
    requester = rng.choice(ref.requesters)
    request_type = rng.choice(ref.request_types) if ref.request_types and rng.random() < 0.7 else None
    category = request_type.category if request_type else (rng.choice(ref.categories) if ref.categories else None)
    team = request_type.team if request_type else (rng.choice(ref.teams) if ref.teams else None)
    priority = rng.choices(ref.priorities, weights=ref.priority_weights)[0]
    source = rng.choices(ref.sources, weights=ref.source_weights)[0]
    members = ref.team_members.get(team.pk, []) if team else []
    # Older tickets are mostly finished; the recent ones carry the open work.
    if age > timedelta(days=14):
        final_kind = rng.choices([StatusKind.CLOSED, StatusKind.RESOLVED, StatusKind.OPEN], weights=[85, 12, 3])[0]
    elif age > timedelta(days=2):
        final_kind = rng.choices(
            [StatusKind.CLOSED, StatusKind.RESOLVED, StatusKind.OPEN, StatusKind.WAITING_CUSTOMER,
             StatusKind.ON_HOLD], weights=[30, 25, 25, 12, 8])[0]
    else:
        final_kind = rng.choices(
            [StatusKind.NEW, StatusKind.OPEN, StatusKind.WAITING_CUSTOMER, StatusKind.RESOLVED],
            weights=[35, 40, 15, 10])[0]
    assignee_id = rng.choice(members) if members and final_kind != StatusKind.NEW else None
    ticket = Ticket(
        number=number, subject=subject, requester_id=requester.pk, organization_id=requester.organization_id,
        category=category, request_type=request_type, priority=priority, priority_rank=priority.rank,
        status=ref.statuses[StatusKind.NEW],
        source=source, team=team, assignee_id=assignee_id, created_at=created, updated_at=created,
    )
    messages = [Message(author_id=requester.pk, channel=source, body_text=body, created_at=created)]
    events = [TicketEvent(actor_id=requester.pk, kind=EventKind.CREATED, created_at=created, data={
        "source": source, "status": "new", "priority": priority.code,
        "request_type": request_type.code if request_type else None})]
    moment = created
    horizon = now - timedelta(minutes=1)

    def step(minimum_minutes: int, maximum_minutes: int) -> datetime:
        nonlocal moment
        moment = min(moment + timedelta(minutes=rng.randint(minimum_minutes, maximum_minutes)), horizon)
        return moment

    def change_status(kind: str, actor: int | None) -> None:
        old = ticket.status
        new = ref.statuses[kind]
        if old.pk == new.pk:
            return
        at = step(1, 120)
        events.append(TicketEvent(actor_id=actor, kind=EventKind.STATUS_CHANGED, created_at=at, data={
            "from": old.code, "to": new.code, "from_kind": old.kind, "to_kind": new.kind}))
        ticket.status = new
        if kind == StatusKind.RESOLVED:
            ticket.resolved_at = at
            events.append(TicketEvent(actor_id=actor, kind=EventKind.RESOLVED, created_at=at, data={}))
        if kind == StatusKind.CLOSED:
            ticket.closed_at = at
            ticket.resolved_at = ticket.resolved_at or at
            events.append(TicketEvent(actor_id=actor, kind=EventKind.CLOSED, created_at=at, data={}))

    if final_kind != StatusKind.NEW:
        if assignee_id is not None:
            events.append(TicketEvent(actor_id=assignee_id, kind=EventKind.ASSIGNED, created_at=step(2, 90),
                                      data={"from": None, "to": assignee_id}))
        agent = assignee_id
        reply_at = step(5, 240)
        messages.append(Message(author_id=agent, channel=source, body_text=rng.choice(STAFF_REPLIES),
                                created_at=reply_at))
        ticket.first_response_at = reply_at
        events.append(TicketEvent(actor_id=agent, kind=EventKind.REPLIED, created_at=reply_at,
                                  data={"by": "staff", "channel": source, "first_response": True}))
        change_status(StatusKind.OPEN, agent)
        if rng.random() < 0.35:
            messages.append(Message(author_id=agent, is_internal=True, body_text=rng.choice(NOTES),
                                    created_at=step(5, 600)))
            events.append(TicketEvent(actor_id=agent, kind=EventKind.NOTE_ADDED, created_at=moment, data={}))
        for _round in range(rng.choice([0, 0, 1, 1, 2])):
            change_status(StatusKind.WAITING_CUSTOMER, agent)
            messages.append(Message(author_id=requester.pk, channel=source,
                                    body_text=rng.choice(REQUESTER_REPLIES), created_at=step(30, 1440)))
            events.append(TicketEvent(actor_id=requester.pk, kind=EventKind.REPLIED, created_at=moment,
                                      data={"by": "requester", "channel": source}))
            change_status(StatusKind.OPEN, requester.pk)
            messages.append(Message(author_id=agent, channel=source, body_text=rng.choice(STAFF_REPLIES),
                                    created_at=step(10, 480)))
            events.append(TicketEvent(actor_id=agent, kind=EventKind.REPLIED, created_at=moment,
                                      data={"by": "staff", "channel": source}))
        if final_kind in (StatusKind.RESOLVED, StatusKind.CLOSED):
            change_status(StatusKind.RESOLVED, agent)
            if final_kind == StatusKind.CLOSED:
                moment = min(moment + timedelta(days=rng.randint(1, 3)), horizon)
                change_status(StatusKind.CLOSED, None)
        elif final_kind != StatusKind.OPEN:
            change_status(final_kind, agent)
    ticket.updated_at = moment
    return ticket, messages, events


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """Take `count` ids from the table's sequence at once; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        last = int(cursor.fetchone()[0])
    return last - count + 1


def _copy_insert(model: type[models.Model], objects: list[Any]) -> None:
    """PostgreSQL COPY: several times faster than INSERT for millions of rows."""
    if not objects:
        return
    first_id = _reserve_ids(model, len(objects))
    for offset, obj in enumerate(objects):
        obj.pk = first_id + offset
    from psycopg.types.json import Jsonb

    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.attname) for f in fields)
    attnames = [f.attname for f in fields]
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    # As bulk_create does: auto_now / auto_now_add fields are filled on the way in.
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor underneath Django's wrapper
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            # psycopg adapts ints, strings, aware datetimes and None itself; only JSON needs wrapping.
            for obj in objects:
                for field in stamped:
                    field.pre_save(obj, True)
                values = [obj.__dict__.get(name) for name in attnames]
                for position in json_positions:
                    values[position] = Jsonb(values[position])
                copy.write_row(values)


def insert_rows(model: type[models.Model], objects: list[Any]) -> list[Any]:
    """Insert new rows with their ids set: COPY on PostgreSQL, bulk INSERT elsewhere (imports use it too)."""
    return _insert(model, objects, connection.vendor == "postgresql")


def _insert(model: type[models.Model], objects: list[Any], use_copy: bool) -> list[Any]:
    if use_copy:
        _copy_insert(model, objects)
        return objects
    return list(model._default_manager.bulk_create(objects, batch_size=5000))


def generate_tickets(
    count: int, *, now: datetime, days: int = 180, seed: int = 42, batch_size: int = 2000,
    progress: Callable[[int, int], Any] | None = None, use_copy: bool | None = None,
) -> dict[str, int]:
    """Insert `count` tickets with their conversations and histories; returns the row counts written."""
    rng = random.Random(seed)
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    ref = load_reference()
    if not ref.requesters or not ref.priorities or StatusKind.NEW not in ref.statuses:
        raise RuntimeError("Reference data is missing: run the demo seed first.")
    written = {"tickets": 0, "messages": 0, "events": 0}
    with transaction.atomic():
        # The same allocator as the services (a sequence on PostgreSQL), so later creates never collide.
        next_number = numbers.reserve(count)
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        planned = [_plan_ticket(rng, ref, next_number + done + i, now, days) for i in range(size)]
        with transaction.atomic():
            tickets = _insert(Ticket, [item[0] for item in planned], use_copy)
            messages: list[Message] = []
            events: list[TicketEvent] = []
            for ticket, ticket_messages, ticket_events in planned:
                for message in ticket_messages:
                    message.ticket = ticket
                for event in ticket_events:
                    event.ticket = ticket
                messages.extend(ticket_messages)
                events.extend(ticket_events)
            _insert(Message, messages, use_copy)
            _insert(TicketEvent, events, use_copy)
        written["tickets"] += len(tickets)
        written["messages"] += len(messages)
        written["events"] += len(events)
        done += size
        if progress:
            progress(done, count)
    return written
