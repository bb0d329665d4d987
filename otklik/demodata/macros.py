"""The demo's macros: a useful bilingual set shared by every agent (titles and texts in English and
Russian), plus one of the second line's own."""

from __future__ import annotations

from dataclasses import dataclass

from otklik.accounts.models import Team
from otklik.automation.models import Macro, MacroAssignee, MacroText
from otklik.tickets.models import Priority, Status
from otklik.tickets.tags import tags_ensure


@dataclass(frozen=True)
class DemoMacro:
    title: str
    title_ru: str
    status: str = ""
    priority: str = ""
    team: str = ""
    assignee: str = ""
    tags: tuple[str, ...] = ()
    text_kind: str = ""
    body: str = ""
    body_ru: str = ""
    for_team: str = ""


MACROS: tuple[DemoMacro, ...] = (
    DemoMacro(
        "Need more info",
        "Нужны подробности",
        status="needs_clarification",
        assignee=MacroAssignee.ME,
        tags=("уточнение",),
        text_kind=MacroText.REPLY,
        body="Hello {requester.first_name},\n\nto help you faster, could you tell us:\n- what exactly you see "
        "(a screenshot helps),\n- since when it happens,\n- whether colleagues have the same problem?\n\n"
        "{agent.signature}",
        body_ru="Здравствуйте, {requester.first_name}!\n\nЧтобы помочь быстрее, уточните, пожалуйста:\n- что "
        "именно вы видите (поможет снимок экрана),\n- с какого времени это происходит,\n- есть ли то же "
        "у коллег?\n\n{agent.signature}",
    ),
    DemoMacro(
        "Escalate to 2nd line",
        "Передать во 2-ю линию",
        team="Second line",
        assignee=MacroAssignee.UNASSIGN,
        tags=("эскалация",),
        text_kind=MacroText.NOTE,
        body="Escalated by {agent.name}: first-line checks done, needs the second line.",
        body_ru="Передано во 2-ю линию ({agent.name}): проверки первой линии выполнены.",
    ),
    DemoMacro(
        "Resolved: password reset",
        "Решено: сброс пароля",
        status="resolved",
        assignee=MacroAssignee.ME,
        tags=("пароль",),
        text_kind=MacroText.REPLY,
        body="Hello {requester.first_name},\n\nyour password has been reset. Sign in with the temporary password "
        "we sent by SMS and choose a new one at the first sign-in.\n\n{agent.signature}",
        body_ru="Здравствуйте, {requester.first_name}!\n\nПароль сброшен. Войдите с временным паролем из SMS и "
        "при первом входе задайте новый.\n\n{agent.signature}",
    ),
    DemoMacro(
        "Take it: urgent",
        "Беру: срочно",
        status="in_progress",
        priority="high",
        assignee=MacroAssignee.ME,
        tags=("срочно",),
    ),
    DemoMacro(
        "Waiting for the vendor",
        "Ждём поставщика",
        status="paused",
        tags=("поставщик",),
        text_kind=MacroText.REPLY,
        body="Hello {requester.first_name},\n\nwe have passed the problem to the vendor and are waiting for "
        "their answer. We will update you as soon as we hear back.\n\n{agent.signature}",
        body_ru="Здравствуйте, {requester.first_name}!\n\nМы передали проблему поставщику и ждём его ответа. "
        "Сообщим, как только он ответит.\n\n{agent.signature}",
    ),
    DemoMacro(
        "Printer: engineer on the way",
        "Принтер: инженер в пути",
        status="in_progress",
        assignee=MacroAssignee.ME,
        tags=("принтер",),
        text_kind=MacroText.REPLY,
        for_team="Second line",
        body="Hello {requester.first_name},\n\nan engineer is on the way with a new toner cartridge.\n\n"
        "{agent.signature}",
        body_ru="Здравствуйте, {requester.first_name}!\n\nИнженер уже идёт к вам с новым картриджем.\n\n"
        "{agent.signature}",
    ),
)


def seed_macros(teams: dict[str, Team]) -> int:
    """Idempotent by title: a second run adds nothing."""
    added = 0
    for order, demo in enumerate(MACROS):
        owner_team = teams.get(demo.for_team) if demo.for_team else None
        if demo.for_team and owner_team is None:
            continue
        macro, created = Macro.objects.get_or_create(
            title=demo.title,
            owner=None,
            team=owner_team,
            defaults={
                "title_ru": demo.title_ru,
                "order": order,
                "assignee_action": demo.assignee,
                "text_kind": demo.text_kind,
                "body": demo.body,
                "body_ru": demo.body_ru,
                "set_status": Status.objects.filter(code=demo.status).first() if demo.status else None,
                "set_priority": Priority.objects.filter(code=demo.priority).first() if demo.priority else None,
                "set_team": teams.get(demo.team) if demo.team else None,
            },
        )
        if created:
            macro.add_tags.set(tags_ensure(list(demo.tags)))
            added += 1
    return added
