"""Demo automation: the routing a real rollout uses, on the teams of otklik/demodata/seed.py.

    email -> First line (round robin among its agents)
    category set -> the category's line (least-loaded available specialist); SLA follows the category
    (the SLA policies are seeded by the SLA part).

Idempotent: rows are found by name and left alone when they exist, so an admin's edits survive.
"""

from __future__ import annotations

from django.db import transaction

from otklik.accounts.models import Team, User
from otklik.automation.models import (
    AgentAvailability,
    AssigneeStrategy,
    AssignmentRule,
    AutomationSettings,
    ForbiddenWord,
    NotifyRole,
    TeamRouting,
    TimeRule,
    TimeRuleKind,
    Trigger,
    TriggerEvent,
)
from otklik.notifications.outbox import outbox_skip_to_latest
from otklik.tickets.models import Category, Priority, Source

# (name, order, category paths, team, strategy, on create only)
RULES: list[tuple[str, int, list[tuple[str, ...]], str, str, bool]] = [
    ("VPN and mail go to Infrastructure", 10, [("Access", "VPN"), ("Software", "Email")], "Infrastructure",
     AssigneeStrategy.LEAST_LOADED, False),
    ("Hardware and software go to the second line", 20, [("Hardware",), ("Software",), ("Improvements",)],
     "Second line", AssigneeStrategy.LEAST_LOADED, False),
    ("Procurement goes to the procurement department", 30, [("Procurement",)], "Procurement department",
     AssigneeStrategy.ROUND_ROBIN, False),
    ("Access and questions stay with the first line", 40, [("Access",), ("Questions",)], "First line",
     AssigneeStrategy.ROUND_ROBIN, False),
    ("Requests by email go to the first line", 100, [], "First line", AssigneeStrategy.ROUND_ROBIN, True),
]

FORBIDDEN = [
    ("не моя проблема", False, "Скажите, кто и когда решит вопрос."),
    ("это не ко мне", False, "Передайте заявку нужной группе и скажите об этом."),
    ("ещё раз повторяю", False, ""),
    ("not my problem", False, "Say who will solve it and when."),
    ("calm down", False, ""),
    (r"\bидиот\w*", True, ""),
]

WORKING_WEEK = {
    "mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
    "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]], "sat": "off", "sun": "off",
}


def _category(path: tuple[str, ...]) -> Category | None:
    parent = None
    category = None
    for name in path:
        category = Category.objects.filter(parent=parent, name=name).first()
        if category is None:
            return None
        parent = category
    return category


@transaction.atomic
def seed_demo_automation() -> None:
    """Example rules, triggers, time rules, forbidden words and availability for the demo."""
    teams = {team.name: team for team in Team.objects.all()}
    users = {user.email: user for user in User.objects.filter(email__endswith="@otklik.demo")}
    for name, order, paths, team_name, strategy, create_only in RULES:
        team = teams.get(team_name)
        if team is None:
            continue
        rule, created = AssignmentRule.objects.get_or_create(name=name, defaults={
            "order": order, "set_team": team, "assignee_strategy": strategy, "run_on_change": not create_only,
            "sources": [Source.EMAIL] if not paths else [],
        })
        if created:
            rule.categories.set([category for category in map(_category, paths) if category is not None])
    for team_name, email in (("First line", "fiona@otklik.demo"), ("Second line", "sam@otklik.demo"),
                             ("Infrastructure", "peter@otklik.demo"),
                             ("Procurement department", "victor@otklik.demo")):
        if team_name in teams and email in users:
            TeamRouting.objects.get_or_create(team=teams[team_name], defaults={"default_assignee": users[email]})
    automation = AutomationSettings.load()
    if automation.default_assignee is None and "mia@otklik.demo" in users:
        automation.default_assignee = users["mia@otklik.demo"]
        automation.save(update_fields=["default_assignee"])
    if "grace@otklik.demo" in users:
        AgentAvailability.objects.get_or_create(user=users["grace@otklik.demo"], defaults={
            "weekly_hours": WORKING_WEEK, "time_zone": "Europe/London"})
    if "anna@otklik.demo" in users:
        AgentAvailability.objects.get_or_create(user=users["anna@otklik.demo"], defaults={"is_away": True})
    _seed_triggers()
    for name, kind, values in (
        ("Close resolved requests after 3 days without an answer", TimeRuleKind.AUTO_CLOSE_RESOLVED,
         {"after_days": 3}),
        ("Remind about a clarification after 2 days, close 5 days later", TimeRuleKind.REMIND_THEN_CLOSE,
         {"after_days": 2, "close_after_days": 5}),
        ("Tell the team lead about tickets unassigned for 30 minutes", TimeRuleKind.ESCALATE_UNASSIGNED,
         {"after_minutes": 30}),
    ):
        TimeRule.objects.get_or_create(name=name, defaults={"kind": kind, **values})
    for phrase, is_regex, note in FORBIDDEN:
        ForbiddenWord.objects.get_or_create(phrase=phrase, defaults={"is_regex": is_regex, "note": note})


def _seed_triggers() -> None:
    critical = Priority.objects.filter(code="critical").first()
    if critical is None:
        return
    urgent, created = Trigger.objects.get_or_create(name="Critical request: tell the team lead", defaults={
        "event": TriggerEvent.CREATED, "order": 10, "notify_roles": [NotifyRole.TEAM_LEAD],
        "notify_subject": "Critical request #{{ ticket_number }}",
        "notify_body": "A critical request arrived: {{ ticket_subject }} (team {{ team }}).",
    })
    if created:
        urgent.priorities.set([critical])
    Trigger.objects.get_or_create(name="SLA breached: raise to critical", defaults={
        "event": TriggerEvent.SLA_BREACHED, "order": 20, "set_priority": critical,
        "add_note": "The SLA deadline passed; the priority was raised to critical automatically.",
    })


def mark_history_as_read() -> None:
    """After importing demo or historical tickets: notify and trigger only on what happens from now on."""
    for consumer in ("notifications", "automation.triggers"):
        outbox_skip_to_latest(consumer)
