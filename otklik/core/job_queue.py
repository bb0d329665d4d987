"""The PostgreSQL job queue with a schema creation that processes starting together can share.

huey's PostgreSQL storage creates its tables with `CREATE TABLE IF NOT EXISTS` when a process starts. That
statement is not safe against itself: two job workers started at once on a new database both find no table,
and the second one's insert into PostgreSQL's catalogue fails (`duplicate key value violates unique
constraint "pg_type_typname_nsp_index"`), so that worker dies at start. Here the creation waits for a
transaction-level advisory lock first: the second process finds the tables made and goes on.
This module imports only huey (it is loaded by the settings).
"""

from __future__ import annotations

import zlib

from huey import PostgresHuey
from huey.storage import PostgresStorage

# One advisory lock key for the queue's schema (a fixed number from the name, so every process agrees).
SCHEMA_LOCK_KEY = zlib.crc32(b"otklik:huey-schema")


class SharedSchemaPostgresStorage(PostgresStorage):  # type: ignore[misc]
    def initialize_schema(self) -> None:
        with self.db(commit=True, close=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            for statement in self.ddl:
                cursor.execute(statement)


class SharedSchemaPostgresHuey(PostgresHuey):  # type: ignore[misc]
    storage_class = SharedSchemaPostgresStorage
