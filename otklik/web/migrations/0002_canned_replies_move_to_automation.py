"""The agents' canned replies join the triggers' in automation.CannedReply: one model, rows kept."""

from typing import Any

from django.db import migrations

FIELDS = ("title", "body", "language", "team_id", "owner_id", "is_active", "order")


def move_rows(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("web", "CannedReply")
    new = apps.get_model("automation", "CannedReply")
    new.objects.bulk_create([new(**{name: getattr(row, name) for name in FIELDS}) for row in old.objects.all()])


def move_rows_back(apps: Any, schema_editor: Any) -> None:
    # Back to the agents' table: the replies agents use (personal, team or language-bound ones) and the
    # shared ones; trigger replies stay where the triggers point.
    old = apps.get_model("web", "CannedReply")
    new = apps.get_model("automation", "CannedReply")
    old.objects.bulk_create([old(**{name: getattr(row, name) for name in FIELDS}) for row in new.objects.all()])


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0001_canned_replies_and_saved_views"),
        ("automation", "0003_canned_reply_one_model"),
    ]

    operations = [
        migrations.RunPython(move_rows, move_rows_back),
        migrations.DeleteModel(name="CannedReply"),
    ]
