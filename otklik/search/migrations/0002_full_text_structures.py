"""The database's own full-text structure over search_searchentry.text.

PostgreSQL: a GIN index on to_tsvector('russian', text); the 'russian' configuration stems Russian
words with the Russian Snowball stemmer and Latin words with the English one.
SQLite: an FTS5 table with external content, kept in step by triggers, so ORM writes need nothing else.
"""

from django.db import migrations

PG_EXPRESSION = "to_tsvector('russian'::regconfig, COALESCE(text, ''))"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
    " text, content='search_searchentry', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_searchentry BEGIN"
    " INSERT INTO search_entry_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_searchentry BEGIN"
    " INSERT INTO search_entry_fts(search_entry_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE OF text ON search_searchentry BEGIN"
    " INSERT INTO search_entry_fts(search_entry_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO search_entry_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TABLE IF EXISTS search_entry_fts",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX search_entry_text_fts ON search_searchentry USING gin ({PG_EXPRESSION})")
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_text_fts")
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_entries")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
