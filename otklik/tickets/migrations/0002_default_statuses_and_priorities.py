from django.db import migrations

STATUSES = [
    # code, name, name_ru, kind, pauses_sla, order
    ("new", "New", "Новая", "new", False, 10),
    ("open", "Open", "Открыта", "open", False, 20),
    ("in_progress", "In progress", "В работе", "open", False, 30),
    ("needs_clarification", "Needs clarification", "Требует уточнения", "waiting_customer", True, 40),
    ("paused", "Paused", "Приостановлена", "on_hold", True, 50),
    ("resolved", "Resolved", "Решена", "resolved", False, 60),
    ("closed", "Closed", "Закрыта", "closed", False, 70),
]
PRIORITIES = [
    # code, name, name_ru, rank, color, is_default
    ("low", "Low", "Низкий", 10, "green", False),
    ("normal", "Normal", "Средний", 20, "green", True),
    ("high", "High", "Высокий", 30, "yellow", False),
    ("critical", "Critical", "Критический", 40, "red", False),
]


def create_defaults(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    Priority = apps.get_model("tickets", "Priority")
    for code, name, name_ru, kind, pauses, order in STATUSES:
        Status.objects.get_or_create(code=code, defaults={
            "name": name, "name_ru": name_ru, "kind": kind, "pauses_sla": pauses, "order": order})
    for code, name, name_ru, rank, color, is_default in PRIORITIES:
        Priority.objects.get_or_create(code=code, defaults={
            "name": name, "name_ru": name_ru, "rank": rank, "color": color, "is_default": is_default})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
