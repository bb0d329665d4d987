"""Kept ticket counts for the agent's queue counts (issue #16): a table of +n/-n rows per (team, assignee,
status), appended by triggers on tickets_ticket in the same transaction as each change, and filled once
from the tickets already there.

PostgreSQL: statement-level triggers with transition tables, so a bulk load (COPY, bulk_create, an
UPDATE of many rows) appends one grouped row per key per statement, and an update that moves nothing
between keys (a reply bumping updated_at) appends nothing. TRUNCATE empties the counts too.
SQLite (development and tests): row-level triggers. Its flush (tests) deletes tables in any order: the
delete trigger writes only while counts exist, so a flush never leaves a negative count behind.
"""

from django.db import migrations, models

KEYS = "team_id, assignee_id, status_id"

PG_CREATE = [
    f"""
    CREATE FUNCTION tickets_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO tickets_ticketcount ({KEYS}, n)
            SELECT {KEYS}, COUNT(*) FROM new_rows GROUP BY {KEYS};
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO tickets_ticketcount ({KEYS}, n)
            SELECT {KEYS}, -COUNT(*) FROM old_rows GROUP BY {KEYS};
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO tickets_ticketcount ({KEYS}, n)
            SELECT {KEYS}, SUM(n) FROM (
                SELECT {KEYS}, 1 AS n FROM new_rows
                UNION ALL SELECT {KEYS}, -1 AS n FROM old_rows
            ) AS moved GROUP BY {KEYS} HAVING SUM(n) <> 0;
        ELSE
            DELETE FROM tickets_ticketcount;
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets_ticket REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_keep()",
    "CREATE TRIGGER tickets_count_update AFTER UPDATE ON tickets_ticket"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_keep()",
    "CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets_ticket REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_keep()",
    "CREATE TRIGGER tickets_count_truncate AFTER TRUNCATE ON tickets_ticket"
    " FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_keep()",
]
PG_DROP = [
    *(f"DROP TRIGGER IF EXISTS tickets_count_{event} ON tickets_ticket"
      for event in ("insert", "update", "delete", "truncate")),
    "DROP FUNCTION IF EXISTS tickets_count_keep()",
]

SQLITE_CREATE = [
    "CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets_ticket BEGIN"
    f" INSERT INTO tickets_ticketcount ({KEYS}, n) VALUES (new.team_id, new.assignee_id, new.status_id, 1); END",
    "CREATE TRIGGER tickets_count_update AFTER UPDATE OF team_id, assignee_id, status_id ON tickets_ticket"
    " WHEN old.team_id IS NOT new.team_id OR old.assignee_id IS NOT new.assignee_id"
    " OR old.status_id IS NOT new.status_id BEGIN"
    f" INSERT INTO tickets_ticketcount ({KEYS}, n) VALUES (old.team_id, old.assignee_id, old.status_id, -1);"
    f" INSERT INTO tickets_ticketcount ({KEYS}, n) VALUES (new.team_id, new.assignee_id, new.status_id, 1); END",
    "CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets_ticket"
    " WHEN EXISTS (SELECT 1 FROM tickets_ticketcount) BEGIN"
    f" INSERT INTO tickets_ticketcount ({KEYS}, n) VALUES (old.team_id, old.assignee_id, old.status_id, -1); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS tickets_count_{event}" for event in ("insert", "update", "delete")]

FILL = f"INSERT INTO tickets_ticketcount ({KEYS}, n) SELECT {KEYS}, COUNT(*) FROM tickets_ticket GROUP BY {KEYS}"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"kept ticket counts need triggers written for {vendor}")
    # Triggers first: creating one locks tickets_ticket against writes until this migration commits, so
    # no change falls between the fill's snapshot and the triggers.
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def drop(apps, schema_editor):
    for statement in {"postgresql": PG_DROP, "sqlite": SQLITE_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0011_report_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('team_id', models.BigIntegerField(null=True)),
                ('assignee_id', models.BigIntegerField(null=True)),
                ('status_id', models.BigIntegerField()),
                ('n', models.IntegerField()),
            ],
            options={
                'verbose_name': 'kept ticket count',
                'verbose_name_plural': 'kept ticket counts',
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
