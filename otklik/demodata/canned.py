"""The demo's canned replies: a useful bilingual set (English text, Russian text), shared by every agent,
plus one team's own; inserted in the requester's language."""

from __future__ import annotations

from otklik.accounts.models import Team
from otklik.automation.models import CannedReply

SHARED: tuple[tuple[str, str, str], ...] = (
    ("Greeting: we are on it",
     "Hello {requester.first_name},\n\nthank you for your request #{ticket.number}. I am looking into it now "
     "and will write as soon as I know more.\n\n{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nСпасибо за обращение №{ticket.number}. Я уже разбираюсь "
     "и напишу, как только будет результат.\n\n{agent.signature}"),
    ("Need more details",
     "Hello {requester.first_name},\n\nto help you faster, could you tell us:\n- what exactly you see "
     "(a screenshot helps),\n- since when it happens,\n- whether colleagues have the same problem?\n\n"
     "{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nЧтобы помочь быстрее, уточните, пожалуйста:\n- что именно вы "
     "видите (поможет снимок экрана),\n- с какого времени это происходит,\n- есть ли то же у коллег?\n\n"
     "{agent.signature}"),
    ("Password reset done",
     "Hello {requester.first_name},\n\nyour password has been reset. Sign in with the temporary password we "
     "sent by SMS and choose a new one at the first sign-in.\n\n{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nПароль сброшен. Войдите с временным паролем из SMS и при первом "
     "входе задайте новый.\n\n{agent.signature}"),
    ("Solved: please confirm",
     "Hello {requester.first_name},\n\nwe believe the problem in #{ticket.number} is solved. If something "
     "still does not work, just reply to this message and the request reopens.\n\n{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nСчитаем, что проблема по обращению №{ticket.number} решена. "
     "Если что-то всё ещё не работает, просто ответьте на это письмо — обращение откроется снова.\n\n"
     "{agent.signature}"),
    ("Waiting for a vendor",
     "Hello {requester.first_name},\n\nwe have passed the problem to the vendor and are waiting for their "
     "answer. We will update you as soon as we hear back.\n\n{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nМы передали проблему поставщику и ждём его ответа. Сообщим, "
     "как только он ответит.\n\n{agent.signature}"),
)

TEAM_REPLIES: tuple[tuple[str, str, str, str], ...] = (
    ("Second line", "Printer: replace the toner",
     "Hello {requester.first_name},\n\nthe printer needs a new toner cartridge; an engineer will bring one "
     "today.\n\n{agent.signature}",
     "Здравствуйте, {requester.first_name}!\n\nВ принтере нужно заменить картридж; инженер принесёт его "
     "сегодня.\n\n{agent.signature}"),
)


def seed_canned_replies(teams: dict[str, Team]) -> int:
    """Idempotent by title: a second run adds nothing."""
    added = 0
    for order, (title, body, body_ru) in enumerate(SHARED):
        _reply, created = CannedReply.objects.get_or_create(
            title=title, owner=None, team=None, defaults={"body": body, "body_ru": body_ru, "order": order})
        added += created
    for team_name, title, body, body_ru in TEAM_REPLIES:
        if team_name in teams:
            _reply, created = CannedReply.objects.get_or_create(
                title=title, team=teams[team_name], owner=None, defaults={"body": body, "body_ru": body_ru})
            added += created
    return added
