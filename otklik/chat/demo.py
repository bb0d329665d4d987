"""Demo support chats: one English, one Russian, with six months of first-line traffic.

Messages and dialogs are written in bulk (the live path would take minutes for thousands of rows), with
the same dialog rules as `services._dialog_track`; a few recent questions become tickets through the real
service, so those go through the one ingest path like any other.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.db import transaction

from otklik.accounts.models import Role, Team, User
from otklik.chat import firstline, services
from otklik.chat.models import ChatMessage, Conversation, Dialog, Membership, SupportChat
from otklik.core.errors import DomainError
from otklik.sla.models import Schedule

logger = logging.getLogger(__name__)

ENGLISH = [
    ("My VPN disconnects every few minutes.", "Please update the VPN client from the portal, then reconnect."),
    ("I can't open the shared drive.", "I've restored your access, try again in a minute."),
    ("Outlook keeps asking for my password.", "Your password expired; reset it on the sign-in page."),
    ("The printer on floor 2 is jammed.", "Someone is on the way to the printer."),
    ("How do I book a meeting room?", "Use the Rooms calendar in Outlook and add the room as a guest."),
    ("My laptop battery drains in an hour.", "Bring it to the IT desk, we'll swap the battery."),
    ("Can I get access to the CRM?", "Ask your manager to approve it; I've sent the request."),
    ("Wi-Fi in the warehouse is very slow.", "We're restarting the access point now."),
]
RUSSIAN = [
    ("Не работает VPN, выдаёт ошибку 809.", "Перезапустите клиент VPN, мы обновили сертификат."),
    ("Не могу войти в 1С.", "Сбросили пароль, новый пришёл вам на почту."),
    ("Принтер в бухгалтерии печатает пустые листы.", "Замените картридж, новый лежит в шкафу у секретаря."),
    ("Как подключить второй монитор?", "Подключите кабель HDMI и нажмите Win+P, выберите «Расширить»."),
    ("Почта не отправляется, висит в исходящих.", "Ящик переполнен, удалите старые письма с вложениями."),
    ("Нужен доступ к папке отдела кадров.", "Доступ выдан, перезайдите в систему."),
    ("Телефон на ресепшене не звонит.", "Переключили линию, проверьте, пожалуйста."),
    ("Зависает ноутбук после обновления.", "Откатите обновление через «Параметры», мы пришлём инструкцию."),
]
FOLLOW_UPS_EN = ["It's urgent, the client is waiting.", "Since this morning.", "Screenshot attached in my email."]
FOLLOW_UPS_RU = ["Срочно, пожалуйста.", "С самого утра.", "У коллег то же самое."]


def _requesters(domains: tuple[str, ...]) -> list[User]:
    people = [user for user in User.objects.filter(role=Role.REQUESTER) if user.email.rsplit("@", 1)[-1] in domains]
    return people or list(User.objects.filter(role=Role.REQUESTER)[:10])


def _office_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    while True:
        moment = start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))
        if moment.weekday() < 5 and 6 <= moment.hour < 16:  # UTC: office hours in Moscow and London
            return moment


@transaction.atomic
def seed_demo_chats(now: datetime, *, days: int = 180, seed: int = 7, dialogs_per_chat: int = 300) -> dict[str, int]:
    if SupportChat.objects.exists():
        return {"chats": 0, "messages": 0, "dialogs": 0, "tickets": 0}
    rng = random.Random(seed)
    admin = User.objects.filter(role=Role.ADMIN).first() or User.objects.filter(is_superuser=True).first()
    team = Team.objects.filter(name="First line").first() or Team.objects.first()
    if admin is None or team is None:
        return {"chats": 0, "messages": 0, "dialogs": 0, "tickets": 0}
    agents = list(team.members.filter(role=Role.AGENT)) or [admin]
    schedule = Schedule.objects.order_by("id").first()
    specs = [
        ("Acme & Globex help chat", ("acme.example", "globex.example"), ENGLISH, FOLLOW_UPS_EN),
        ("Чат поддержки «Ромашка»", ("romashka.example", "severstal-service.example"), RUSSIAN, FOLLOW_UPS_RU),
    ]
    totals = {"chats": 0, "messages": 0, "dialogs": 0, "tickets": 0}
    recent: list[ChatMessage] = []
    for name, domains, lines, follow_ups in specs:
        chat = services.chat_create(
            actor=admin, name=name, team=team, membership=Membership.EVERYONE, now=now - timedelta(days=days),
            allowed_origins="http://127.0.0.1:8000\nhttp://localhost:8000", allow_guests=True,
            first_response_minutes=10, schedule_id=schedule.pk if schedule else None,
        )
        calendar = firstline.chat_calendar(chat)
        people = _requesters(domains)
        conversations = {
            person.pk: Conversation.objects.create(chat=chat, requester=person, created_at=now - timedelta(days=days))
            for person in people
        }
        plans = sorted(
            (_office_moment(rng, now - timedelta(days=days), now - timedelta(hours=1)), rng.choice(people))
            for _index in range(dialogs_per_chat)
        )
        last_at: dict[int, datetime] = {}
        rows: list[tuple[ChatMessage, ...]] = []
        answers: list[ChatMessage | None] = []
        for index, (started, planned) in enumerate(plans):
            unanswered = index >= len(plans) - 3
            # The questions still waiting belong to different people: one open question per conversation.
            person = people[index % len(people)] if unanswered and len(people) >= 3 else planned
            started = max(started, last_at.get(person.pk, started) + timedelta(minutes=5))
            conversation = conversations[person.pk]
            question, answer_text = rng.choice(lines)
            asked = [
                ChatMessage(chat=chat, conversation=conversation, author=person, text=question, created_at=started)
            ]
            if rng.random() < 0.3:
                asked.append(ChatMessage(chat=chat, conversation=conversation, author=person,
                                         text=rng.choice(follow_ups), created_at=started + timedelta(seconds=40)))
            wait = timedelta(seconds=int(min(rng.lognormvariate(5.0, 1.0), 4 * 3600)))
            answer = None if unanswered else ChatMessage(
                chat=chat, conversation=conversation, author=rng.choice(agents), from_staff=True, text=answer_text,
                created_at=started + timedelta(seconds=45) + wait,
            )
            last_at[person.pk] = (answer or asked[-1]).created_at
            rows.append(tuple(asked))
            answers.append(answer)
        every = [
            message for group, answer in zip(rows, answers, strict=True) for message in (*group, answer) if message
        ]
        ChatMessage.objects.bulk_create(every)
        dialogs = []
        for group, answer in zip(rows, answers, strict=True):
            start = group[0].created_at
            dialog = Dialog(
                chat=chat, conversation=group[0].conversation, first_message=group[0], last_question_message=group[-1],
                question_count=len(group), started_at=start,
                **firstline.first_line_deadlines(chat, start),
            )
            if answer is not None:
                plain = int((answer.created_at - start).total_seconds())
                dialog.answer_message, dialog.answered_by, dialog.answered_at = answer, answer.author, answer.created_at
                dialog.response_seconds = plain
                dialog.response_working_seconds = (
                    calendar.business_seconds_between(start, answer.created_at) if calendar else plain
                )
            dialogs.append(dialog)
        Dialog.objects.bulk_create(dialogs)
        for conversation in conversations.values():
            latest = max((m.created_at for m in every if m.conversation_id == conversation.pk), default=None)
            conversation.last_message_at = latest
            conversation.save(update_fields=["last_message_at"])
        recent += [group[0] for group in rows[-12:-3]]
        totals["chats"] += 1
        totals["messages"] += len(every)
        totals["dialogs"] += len(dialogs)
    for message in recent[::2]:
        agent = next((a for a in agents if a.teams.filter(pk=team.pk).exists()), None)
        if agent is None:
            break
        try:
            # Made a few minutes after the question, as an agent would: the ticket's history keeps its time.
            services.chat_ticket_from_message(actor=agent, message_id=message.pk,
                                              now=min(now, message.created_at + timedelta(minutes=3)))
        except DomainError as error:  # the demo goes on without that one ticket
            logger.info("demo chat ticket from message %s skipped: %s", message.pk, error)
            continue
        totals["tickets"] += 1
    return totals
