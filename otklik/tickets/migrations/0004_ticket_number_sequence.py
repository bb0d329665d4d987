"""PostgreSQL: ticket numbers come from a sequence (see otklik/tickets/numbers.py), started after the
highest number taken so far (by tickets or by the old counter row). SQLite keeps the counter row."""

from django.db import migrations

SEQUENCE = "tickets_ticket_number_seq"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint MINVALUE 1")
    schema_editor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST(1, (SELECT COALESCE(MAX(number), 0) FROM tickets_ticket),"
        " (SELECT COALESCE(MAX(next_value) - 1, 0) FROM tickets_ticketnumbercounter)))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_ratings_and_sla_due")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
