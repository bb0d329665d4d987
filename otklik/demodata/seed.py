"""Reference data of the demo installation: organizations, teams, people, categories, request types.

The personas are those of DESIGN.md, so the demo, the tests and the docs speak about the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from otklik.accounts.models import Organization, Role, Team, TeamKind, User
from otklik.demodata.canned import seed_canned_replies
from otklik.demodata.macros import seed_macros
from otklik.tickets.models import Category, CustomField, DateRule, FieldKind, Priority, RequestType, SubmitRule

DEMO_PASSWORD = "otklik-demo"  # noqa: S105  (published in the README on purpose: demo accounts only)
# The demo's people, one per role (password DEMO_PASSWORD), as the README lists them.
DEMO_ACCOUNTS = (
    ("admin", "adam@otklik.demo"),
    ("manager", "mia@otklik.demo"),
    ("first-line agent", "fiona@otklik.demo"),
    ("second-line agent", "sam@otklik.demo"),
    ("read-only auditor", "rita@otklik.demo"),
    ("requester", "alice@acme.example"),
)


def demo_account_lines() -> list[str]:
    """The demo accounts as `otklik demo` and `otklik run --demo` print them, one format for both."""
    return [f"Demo accounts (password {DEMO_PASSWORD}):", *(f"  {role:<18} {email}" for role, email in DEMO_ACCOUNTS)]


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    role: str
    organization: str = ""
    teams: tuple[str, ...] = ()
    department_head: bool = False


ORGANIZATIONS = [
    ("Acme Logistics", "acme.example", True),
    ("Северсталь-Сервис", "severstal-service.example", False),
    ("Globex Retail", "globex.example", False),
    ("ООО «Ромашка»", "romashka.example", True),
]

TEAMS_RU = {
    "First line": "Первая линия",
    "Second line": "Вторая линия",
    "Infrastructure": "Инфраструктура",
    "Procurement department": "Отдел закупок",
}
CATALOGUE_GROUPS_RU = {"Access": "Доступ", "General": "Общее", "Hardware": "Оборудование", "Software": "Программы"}

TEAMS = [
    ("First line", TeamKind.FIRST_LINE),
    ("Second line", TeamKind.SECOND_LINE),
    ("Infrastructure", TeamKind.SECOND_LINE),
    ("Procurement department", TeamKind.DEPARTMENT),
]

PEOPLE = [
    Person("adam@otklik.demo", "Adam", "Admin", Role.ADMIN, teams=()),
    Person("mia@otklik.demo", "Mia", "Manager", Role.MANAGER,
           teams=("First line", "Second line", "Infrastructure", "Procurement department")),
    Person("rita@otklik.demo", "Rita", "Auditor", Role.AUDITOR, teams=("First line", "Second line")),
    Person("fiona@otklik.demo", "Fiona", "Firstline", Role.AGENT, teams=("First line",)),
    Person("sam@otklik.demo", "Sam", "Second", Role.AGENT, teams=("Second line",)),
    Person("olga@otklik.demo", "Ольга", "Петрова", Role.AGENT, teams=("First line",)),
    Person("ivan@otklik.demo", "Иван", "Смирнов", Role.AGENT, teams=("First line",)),
    Person("dmitry@otklik.demo", "Дмитрий", "Кузнецов", Role.AGENT, teams=("Second line",)),
    Person("elena@otklik.demo", "Елена", "Соколова", Role.AGENT, teams=("Second line",)),
    Person("peter@otklik.demo", "Peter", "Novak", Role.AGENT, teams=("Infrastructure",)),
    Person("anna@otklik.demo", "Анна", "Морозова", Role.AGENT, teams=("Infrastructure",)),
    Person("victor@otklik.demo", "Виктор", "Орлов", Role.AGENT, teams=("Procurement department",)),
    Person("grace@otklik.demo", "Grace", "Lee", Role.AGENT, teams=("First line", "Second line")),
    Person("alice@acme.example", "Alice", "Archer", Role.REQUESTER, organization="Acme Logistics"),
    Person("bob@acme.example", "Bob", "Baker", Role.REQUESTER, organization="Acme Logistics", department_head=True),
    Person("carol@globex.example", "Carol", "Chen", Role.REQUESTER, organization="Globex Retail"),
]

EXTRA_REQUESTERS = [
    ("Сергей", "Волков"), ("Мария", "Лебедева"), ("Алексей", "Козлов"), ("Наталья", "Новикова"),
    ("Андрей", "Попов"), ("Татьяна", "Васильева"), ("John", "Miller"), ("Emma", "Wilson"),
    ("Павел", "Зайцев"), ("Ирина", "Павлова"), ("Michael", "Brown"), ("Sophie", "Taylor"),
    ("Николай", "Семёнов"), ("Юлия", "Голубева"), ("David", "Clark"), ("Ксения", "Виноградова"),
    ("Роман", "Богданов"), ("Laura", "Martin"), ("Евгений", "Фёдоров"), ("Ольга", "Михайлова"),
]

# (English path, Russian path, team)
CATEGORIES = [
    (("Access",), ("Доступ",), "First line"),
    (("Access", "VPN"), ("Доступ", "VPN"), "Infrastructure"),
    (("Access", "Accounts and passwords"), ("Доступ", "Учётные записи и пароли"), "First line"),
    (("Hardware",), ("Оборудование",), "Second line"),
    (("Hardware", "Printers"), ("Оборудование", "Принтеры"), "Second line"),
    (("Hardware", "Laptops"), ("Оборудование", "Ноутбуки"), "Second line"),
    (("Software",), ("Программы",), "Second line"),
    (("Software", "1C"), ("Программы", "1С"), "Second line"),
    (("Software", "Email"), ("Программы", "Почта"), "Infrastructure"),
    (("Questions",), ("Вопросы и консультации",), "First line"),
    (("Improvements",), ("Доработки",), "Second line"),
    (("Procurement",), ("Закупки",), "Procurement department"),
]


def _category_by_path(path: tuple[str, ...]) -> Category:
    parent = None
    category = None
    for name in path:
        category = Category.objects.get(parent=parent, name=name)
        parent = category
    assert category is not None
    return category


@transaction.atomic
def seed_reference_data() -> None:
    """Idempotent: running it twice changes nothing."""
    organizations = {}
    for name, domain, shares in ORGANIZATIONS:
        organizations[name], _ = Organization.objects.get_or_create(
            name=name, defaults={"domain": domain, "shares_tickets": shares}
        )
    teams = {name: Team.objects.get_or_create(name=name, defaults={"kind": kind, "name_ru": TEAMS_RU.get(name, "")})[0]
             for name, kind in TEAMS}
    # One hash for every demo account: hashing is deliberately slow, and they share one password.
    password_hash = make_password(DEMO_PASSWORD)
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(
                email=person.email, password=None, first_name=person.first_name,
                last_name=person.last_name, role=person.role,
                organization=organizations.get(person.organization),
                is_department_head=person.department_head,
                is_staff=person.role == Role.ADMIN, is_superuser=person.role == Role.ADMIN,
            )
            User.objects.filter(pk=user.pk).update(password=password_hash)
        for team_name in person.teams:
            teams[team_name].members.add(user)
    teams["First line"].lead = User.objects.get(email="fiona@otklik.demo")
    teams["Second line"].lead = User.objects.get(email="sam@otklik.demo")
    teams["Infrastructure"].lead = User.objects.get(email="peter@otklik.demo")
    teams["Procurement department"].lead = User.objects.get(email="victor@otklik.demo")
    for team in teams.values():
        team.save(update_fields=["lead"])
    org_list = list(organizations.values())
    for index, (first, last) in enumerate(EXTRA_REQUESTERS):
        organization = org_list[index % len(org_list)]
        email = f"requester{index + 1}@{organization.domain}"
        if not User.objects.filter(email=email).exists():
            requester = User.objects.create_user(
                email=email, password=None, first_name=first, last_name=last,
                role=Role.REQUESTER, organization=organization,
            )
            User.objects.filter(pk=requester.pk).update(password=password_hash)
    for en_path, ru_path, _team in CATEGORIES:
        parent = _category_by_path(en_path[:-1]) if len(en_path) > 1 else None
        Category.objects.get_or_create(parent=parent, name=en_path[-1], defaults={"name_ru": ru_path[-1]})
    _seed_request_types(teams, organizations)
    seed_canned_replies(teams)
    seed_macros(teams)


def _seed_request_types(teams: dict[str, Team], organizations: dict[str, Organization]) -> None:
    def request_type(code: str, name: str, name_ru: str, group: str, path: tuple[str, ...], team: str,
                     priority: str = "normal", **extra: object) -> RequestType:
        rt, _ = RequestType.objects.get_or_create(code=code, defaults={
            "name": name, "name_ru": name_ru, "group": group, "group_ru": CATALOGUE_GROUPS_RU.get(group, ""),
            "category": _category_by_path(path),
            "team": teams[team], "default_priority": Priority.objects.get(code=priority), **extra,
        })
        return rt

    access = request_type("access-request", "Access request", "Запрос доступа", "Access",
                          ("Access", "Accounts and passwords"), "First line", priority="high",
                          description="Access to a system, folder or service.",
                          description_ru="Доступ к системе, папке или сервису.")
    CustomField.objects.get_or_create(request_type=access, code="system", defaults={
        "label": "System", "label_ru": "Система", "kind": FieldKind.CHOICE, "required": True,
        "choices": ["1C", "CRM", "File share", "VPN", "Email"], "order": 1})
    CustomField.objects.get_or_create(request_type=access, code="needed_by", defaults={
        "label": "Needed by", "label_ru": "Нужен к дате", "kind": FieldKind.DATE, "order": 2,
        "date_rule": DateRule.FUTURE})
    vpn = request_type("vpn", "VPN problem", "Проблема с VPN", "Access", ("Access", "VPN"), "Infrastructure",
                       requester_sets_priority=True)
    CustomField.objects.get_or_create(request_type=vpn, code="office", defaults={
        "label": "Office", "label_ru": "Офис", "kind": FieldKind.TEXT, "required": False, "order": 1})
    request_type("question", "Question or consultation", "Вопрос / консультация", "General", ("Questions",),
                 "First line", priority="low")
    printer = request_type("printer", "Printer does not work", "Не работает принтер", "Hardware",
                           ("Hardware", "Printers"), "Second line", requester_sets_priority=True)
    CustomField.objects.get_or_create(request_type=printer, code="room", defaults={
        "label": "Room", "label_ru": "Кабинет", "kind": FieldKind.TEXT, "required": True, "order": 1})
    request_type("improvement", "Improvement request", "Запрос на доработку", "Software", ("Improvements",),
                 "Second line", priority="low")
    tender = request_type("tender", "Tender request", "Заявка на тендер", "Procurement", ("Procurement",),
                          "Procurement department", submit_rule=SubmitRule.DEPARTMENT_HEADS)
    CustomField.objects.get_or_create(request_type=tender, code="budget", defaults={
        "label": "Budget, RUB", "label_ru": "Бюджет, руб.", "kind": FieldKind.NUMBER, "required": True, "order": 1})
    CustomField.objects.get_or_create(request_type=tender, code="items", defaults={
        "label": "What to buy", "label_ru": "Что закупить", "kind": FieldKind.LONG_TEXT, "required": True,
        "order": 2})
    _ = organizations
