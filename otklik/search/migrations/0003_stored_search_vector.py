"""PostgreSQL: the search vector stored beside the text (a generated column, so every write keeps it in
step) with its GIN index, replacing the expression index. Ranking reads the stored vector instead of
parsing each matching row's text again, and the planner gets statistics for the column, so it can tell
a word in a fifth of all rows from a rare one. SQLite keeps its FTS5 table (migration 0002)."""

from django.db import migrations

ADD = [
    "ALTER TABLE search_searchentry ADD COLUMN vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, COALESCE(text, ''))) STORED",
    "CREATE INDEX search_entry_vector ON search_searchentry USING gin (vector)",
    "DROP INDEX IF EXISTS search_entry_text_fts",
    # The candidate walk goes newest ticket first.
    "CREATE INDEX search_entry_ticket_desc ON search_searchentry (ticket_id DESC, id DESC)",
    "ANALYZE search_searchentry",
]
REMOVE = [
    "DROP INDEX IF EXISTS search_entry_ticket_desc",
    "CREATE INDEX IF NOT EXISTS search_entry_text_fts ON search_searchentry"
    " USING gin (to_tsvector('russian'::regconfig, COALESCE(text, '')))",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS vector",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in ADD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_full_text_structures")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
