"""A read-only connection to another product's database, named by a URL (sqlite:///path, postgres://...,
mysql://... when PyMySQL is installed). Rows come back as dicts; the readers' SQL is plain and portable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import dj_database_url
from django.utils.translation import gettext as _

from otklik.imports.readers.base import ReaderError


class SourceDatabase:
    def __init__(self, url: str) -> None:
        try:
            config = dj_database_url.parse(url)
        except Exception as exc:
            raise ReaderError(_("The database URL cannot be read: %(error)s") % {"error": exc}) from exc
        engine = str(config.get("ENGINE", ""))
        self.placeholder = "%s"
        try:
            if engine.endswith("sqlite3"):
                self.connection: Any = sqlite3.connect(f"file:{config['NAME']}?mode=ro", uri=True)
                self.connection.row_factory = sqlite3.Row
                self.placeholder = "?"
            elif "postgresql" in engine:
                import psycopg
                from psycopg.rows import dict_row

                self.connection = psycopg.connect(
                    dbname=config["NAME"],
                    user=config.get("USER") or None,
                    password=config.get("PASSWORD") or None,
                    host=config.get("HOST") or None,
                    port=config.get("PORT") or None,
                    row_factory=dict_row,
                )
                self.connection.read_only = True
            elif "mysql" in engine:
                try:
                    import pymysql  # type: ignore[import-untyped,import-not-found,unused-ignore]
                except ImportError as exc:
                    raise ReaderError(_("Reading MySQL needs the PyMySQL package: pip install PyMySQL.")) from exc
                self.connection = pymysql.connect(
                    database=config["NAME"],
                    user=config.get("USER"),
                    password=config.get("PASSWORD") or "",
                    host=config.get("HOST") or "localhost",
                    port=int(config.get("PORT") or 3306),
                    cursorclass=pymysql.cursors.DictCursor,
                    charset="utf8mb4",
                )
            else:
                raise ReaderError(_("Unsupported database: %(engine)s.") % {"engine": engine or url.split(":")[0]})
        except ReaderError:
            raise
        except Exception as exc:
            raise ReaderError(_("The source database cannot be opened: %(error)s") % {"error": exc}) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql.replace("%s", self.placeholder), tuple(params))
            return [dict(row) for row in cursor.fetchall()]
        except Exception as exc:
            raise ReaderError(_("The source database refused a query: %(error)s") % {"error": exc}) from exc
        finally:
            cursor.close()

    def scalar(self, sql: str) -> int:
        rows = self.query(sql)
        return int(next(iter(rows[0].values()))) if rows else 0

    def in_list(self, values: Iterable[Any]) -> tuple[str, list[Any]]:
        items = list(values)
        return ", ".join(["%s"] * len(items)) or "NULL", items

    def pages(self, sql: str, key: str, size: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Keyset paging over `sql` (which ends with a WHERE clause comparing `key` > %s)."""
        last = -1
        while True:
            rows = self.query(f"{sql} ORDER BY {key} LIMIT {int(size)}", [last])
            if not rows:
                return
            yield rows
            last = rows[-1][key.split(".")[-1]]
            if len(rows) < size:
                return

    def close(self) -> None:
        self.connection.close()
