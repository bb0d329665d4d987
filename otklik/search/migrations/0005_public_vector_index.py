"""PostgreSQL: a GIN index over the stored vectors of public rows (subjects and public messages), for
requesters' searches: whether a word has few public matches is read from it without touching internal
notes. Without it, a word found only in notes walked every row of a sharing organization's scope to find
nothing (3-4 s at a million tickets). Built CONCURRENTLY, so a large desk keeps taking writes while it
builds (hence a non-atomic migration). SQLite: nothing to do (its FTS5 search filters in one statement)."""

from django.db import migrations

ADD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS search_entry_public_vector ON search_searchentry USING gin (vector)"
    " WHERE NOT is_internal",
]
REMOVE = ["DROP INDEX CONCURRENTLY IF EXISTS search_entry_public_vector"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in ADD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0004_subject_vector_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
