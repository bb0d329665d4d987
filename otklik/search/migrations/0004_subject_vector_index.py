"""PostgreSQL: a GIN index over the subject rows' stored vectors alone (one row per ticket), for "similar
tickets": matching subjects no longer reads the posting lists of every message. The newest-first walk
uses the partial unique index of the subject rows (search_one_subject_row). SQLite: nothing to do."""

from django.db import migrations

ADD = [
    "CREATE INDEX IF NOT EXISTS search_entry_subject_vector ON search_searchentry USING gin (vector)"
    " WHERE message_id IS NULL",
]
REMOVE = ["DROP INDEX IF EXISTS search_entry_subject_vector"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in ADD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_stored_search_vector")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
