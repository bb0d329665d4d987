"""Monthly tallies of the SLA outcomes, the rating copies and the agents' days, per team (docs/reports.md).

`SlaMonth`, `RatingMonth` and `WorkMonth` hold, per local month and team (and the report's own groups), what
the rows of `SlaOutcome`, `ReportRating` and `AgentWork` add up to, merged tickets left out. They move with
those rows in the same statements that write them (`outcomes`): a rewrite of a ticket's rows subtracts what
the deleted rows added and adds what the inserted rows add, a move of the ticket's dimensions subtracts the
rows as they were and adds them as they are, a counted event adds itself. On PostgreSQL the tally's additive
upsert is a data-modifying WITH clause of the statement that writes the copy (its rows read back with
RETURNING), so no path gains a statement; net changes of zero write nothing. SQLite, which cannot chain
writes, reads the rows before and after and upserts in a statement of its own. `rebuild` recomputes a tally
from its copy (`otklik reports_rebuild`).

Reading: the SLA, CSAT and specialists reports read whole months here when `cube.cube_source` allows it
(whole teams or everything, no filter but the team), as the hourly counts and histograms are read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from otklik.reports.cube import Part, upsert_added
from otklik.reports.filters import zone
from otklik.reports.groups import month_key, nonzero_rows
from otklik.reports.models import AgentWork, RatingMonth, ReportRating, SlaMonth, SlaOutcome, WorkMonth

Deltas = dict[tuple[Any, ...], dict[str, int]]


def _zone_literal() -> str:
    name = zone().key
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):  # a zone name, never a quote: safe as a literal
        raise ValueError(name)
    return f"'{name}'"


@dataclass(frozen=True)
class Tally:
    model: type[Model]  # the kept monthly table
    source: type[Model]  # the copy it tallies
    key: tuple[str, ...]
    measures: tuple[str, ...]
    columns: tuple[str, ...]  # the copy's columns a contribution reads ("merged" last)
    casts: tuple[str, ...]  # PostgreSQL types of key and measures (rows passed as VALUES)
    sql: Callable[[str], tuple[list[str], list[str]]]  # key and measure expressions over a copy row alias
    of: Callable[[dict[str, Any]], tuple[tuple[Any, ...], dict[str, int]]]  # one unmerged row's contribution

    def deltas(self, rows: Iterable[dict[str, Any]], sign: int, into: Deltas | None = None) -> Deltas:
        found: Deltas = into if into is not None else defaultdict(lambda: dict.fromkeys(self.measures, 0))
        for row in rows:
            if row["merged"]:
                continue
            key, values = self.of(row)
            slot = found.setdefault(key, dict.fromkeys(self.measures, 0))
            for name, value in values.items():
                slot[name] += sign * value
        return found

    def part(self, deltas: Deltas) -> Part:
        return Part(self.model, self.key, self.measures, dict(deltas))


def _local_month_sql(column: str) -> str:
    return f"date_trunc('month', {column} AT TIME ZONE {_zone_literal()})::date"


SLA = Tally(
    SlaMonth, SlaOutcome, ("month", "team_key", "metric", "policy_key", "priority_key"), ("total", "met", "missed"),
    ("stopped_at", "team_id", "metric", "policy_id", "priority_id", "met", "merged"),
    ("date", "bigint", "varchar", "bigint", "bigint", "bigint", "bigint", "bigint"),
    lambda r: ([_local_month_sql(f"{r}.stopped_at"), f"coalesce({r}.team_id, 0)", f"{r}.metric",
                f"coalesce({r}.policy_id, 0)", f"coalesce({r}.priority_id, 0)"],
               ["1", f"({r}.met IS TRUE)::int", f"({r}.met IS FALSE)::int"]),
    lambda row: ((month_key(row["stopped_at"]), row["team_id"] or 0, row["metric"], row["policy_id"] or 0,
                  row["priority_id"] or 0),
                 {"total": 1, "met": int(row["met"] is True), "missed": int(row["met"] is False)}),
)
RATINGS = Tally(
    RatingMonth, ReportRating, ("month", "team_key", "assignee_key", "score"), ("n",),
    ("created_at", "team_id", "assignee_id", "score", "merged"),
    ("date", "bigint", "bigint", "smallint", "bigint"),
    lambda r: ([_local_month_sql(f"{r}.created_at"), f"coalesce({r}.team_id, 0)", f"coalesce({r}.assignee_id, 0)",
                f"{r}.score"], ["1"]),
    lambda row: ((month_key(row["created_at"]), row["team_id"] or 0, row["assignee_id"] or 0, row["score"]), {"n": 1}),
)
WORK = Tally(
    WorkMonth, AgentWork, ("month", "team_key", "actor_id"), ("events", "replies", "notes"),
    ("day", "team_id", "actor_id", "events", "replies", "notes", "merged"),
    ("date", "bigint", "bigint", "bigint", "bigint", "bigint"),
    lambda r: ([f"date_trunc('month', {r}.day)::date", f"coalesce({r}.team_id, 0)", f"{r}.actor_id"],
               [f"{r}.events", f"{r}.replies", f"{r}.notes"]),
    lambda row: ((month_key(row["day"]), row["team_id"] or 0, row["actor_id"]),
                 {"events": row["events"], "replies": row["replies"], "notes": row["notes"]}),
)
TALLIES = (SLA, RATINGS, WORK)


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def net_upsert(tally: Tally, sources: list[tuple[str, int]], given: Deltas) -> tuple[str, list[Any]]:
    """PostgreSQL: one additive upsert of the tally from the copy rows of the named WITH clauses (each with
    its sign) and the `given` deltas; keys whose changes cancel out are not written, the rest in key order."""
    names = (*tally.key, *tally.measures)
    parts: list[str] = []
    for cte, sign in sources:
        key_sql, measure_sql = tally.sql("r")
        signed = measure_sql if sign > 0 else [f"-({value})" for value in measure_sql]
        parts.append(f"SELECT {', '.join([*key_sql, *signed])} FROM {cte} r WHERE NOT r.merged")  # noqa: S608
    params: list[Any] = []
    given_rows = [(key, values) for key, values in sorted(given.items()) if any(values.values())]
    if given_rows:
        row_sql = "(" + ", ".join(f"%s::{cast}" for cast in tally.casts) + ")"
        parts.append(f"SELECT * FROM (VALUES {', '.join([row_sql] * len(given_rows))}) v")  # noqa: S608
        for key, values in given_rows:
            params += [*key, *(values[name] for name in tally.measures)]
    table = _quote(tally.model._meta.db_table)
    columns = ", ".join(_quote(name) for name in names)
    keys = ", ".join(f"x.{_quote(name)}" for name in tally.key)
    sums = ", ".join(f"sum(x.{_quote(name)})" for name in tally.measures)
    nonzero = " OR ".join(f"sum(x.{_quote(name)}) <> 0" for name in tally.measures)
    updates = ", ".join(f"{_quote(name)} = {table}.{_quote(name)} + excluded.{_quote(name)}"
                        for name in tally.measures)
    # Names come from the models; values are parameters.
    sql = (f"INSERT INTO {table} ({columns}) SELECT {keys}, {sums} FROM ({' UNION ALL '.join(parts)}) "  # noqa: S608
           f"x ({columns}) GROUP BY {keys} HAVING {nonzero} ORDER BY {keys} "
           f"ON CONFLICT ({', '.join(_quote(name) for name in tally.key)}) DO UPDATE SET {updates}")
    return sql, params


def _rows(tally: Tally, ticket_ids: list[int]) -> list[dict[str, Any]]:
    return list(tally.source.objects.filter(ticket_id__in=ticket_ids)  # type: ignore[attr-defined]
                .values(*tally.columns))


def rewrite(tally: Tally, target: str, ids: list[int] | None, where: tuple[str, list[Any]],
            insert: tuple[str, list[Any]]) -> int:
    """Delete the copy's rows (`where`) and insert them again (`insert`), moving the tally by the difference;
    two statements on PostgreSQL, as without the tally. Every ticket (`ids` None): the tally is rebuilt."""
    columns = ", ".join(tally.columns)
    with connection.cursor() as cursor:
        if ids is None:
            # Table and column names come from the models; every value is a parameter.
            cursor.execute(f"DELETE FROM {target} WHERE 1 = 1{where[0]}", where[1])  # noqa: S608
            cursor.execute(*insert)
            written = int(cursor.rowcount)
            rebuild(tally)
            return written
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {target} WHERE 1 = 1{where[0]} RETURNING {columns}", where[1])  # noqa: S608
            old = [dict(zip(tally.columns, row, strict=True)) for row in cursor.fetchall()]
            upsert, params = net_upsert(tally, [("new", 1)], tally.deltas(old, -1))
            cursor.execute(f"WITH new AS ({insert[0]} RETURNING {columns}), up AS ({upsert}) "  # noqa: S608
                           "SELECT count(*) FROM new", [*insert[1], *params])
            return int(cursor.fetchone()[0])
        before = _rows(tally, ids)
        cursor.execute(f"DELETE FROM {target} WHERE 1 = 1{where[0]}", where[1])  # noqa: S608
        cursor.execute(*insert)
        written = int(cursor.rowcount)
    deltas = tally.deltas(before, -1)
    tally.deltas(_rows(tally, ids), 1, deltas)
    upsert_added([tally.part(deltas)])
    return written


def move(tally: Tally, ticket_id: int, values: dict[str, Any]) -> None:
    """Set the ticket's copied dimensions on its rows of the copy (one UPDATE) and move the tally with them
    (in the same statement on PostgreSQL)."""
    table = _quote(tally.source._meta.db_table)
    assignments = ", ".join(f"{_quote(name)} = %s" for name in values)
    columns = ", ".join(tally.columns)
    if connection.vendor == "postgresql":
        upsert, params = net_upsert(tally, [("new", 1), ("old", -1)], {})
        with connection.cursor() as cursor:
            # Names come from the models; values are parameters.
            cursor.execute(
                f"WITH old AS (SELECT {columns} FROM {table} WHERE ticket_id = %s), "  # noqa: S608
                f"new AS (UPDATE {table} SET {assignments} WHERE ticket_id = %s RETURNING {columns}), "
                f"up AS ({upsert}) SELECT count(*) FROM new",
                [ticket_id, *values.values(), ticket_id, *params])
        return
    before = _rows(tally, [ticket_id])
    tally.source.objects.filter(ticket_id=ticket_id).update(**values)  # type: ignore[attr-defined]
    deltas = tally.deltas(before, -1)
    tally.deltas([{**row, **{name: value for name, value in values.items() if name in row}} for row in before], 1,
                 deltas)
    upsert_added([tally.part(deltas)])


def add_work(actor_id: int, day: date, reply: int, note: int) -> tuple[str, list[Any]]:
    """The tally's upsert for one counted event (PostgreSQL: over the `w` clause returning the work row)."""
    table = _quote(WorkMonth._meta.db_table)
    return (f"INSERT INTO {table} (month, team_key, actor_id, events, replies, notes) "  # noqa: S608
            "SELECT %s, coalesce(w.team_id, 0), %s, 1, %s, %s FROM w WHERE NOT w.merged "
            f"ON CONFLICT (month, team_key, actor_id) DO UPDATE SET events = {table}.events + 1, "
            f"replies = {table}.replies + excluded.replies, notes = {table}.notes + excluded.notes",
            [day.replace(day=1), actor_id, reply, note])


# ---------------------------------------------------------------- rebuild, checks


def grouped(tally: Tally, rows: QuerySet[Any] | None = None) -> Deltas:
    """The tally of these copy rows (every unmerged row when None), grouped in the database."""
    rows = (rows if rows is not None else tally.source.objects.all()).filter(merged=False)  # type: ignore[attr-defined]
    found: Deltas = {}
    if tally is SLA:
        query = (rows.annotate(m=TruncMonth("stopped_at", tzinfo=zone())).order_by()
                 .values("m", "team_id", "metric", "policy_id", "priority_id")
                 .annotate(s_total=Count("stopped_at"), s_met=Count("stopped_at", filter=Q(met=True)),
                           s_missed=Count("stopped_at", filter=Q(met=False))))
        for row in query:
            found[(month_key(row["m"]), row["team_id"] or 0, row["metric"], row["policy_id"] or 0,
                   row["priority_id"] or 0)] = {name: row[f"s_{name}"] for name in SLA.measures}
    elif tally is RATINGS:
        query = (rows.annotate(m=TruncMonth("created_at", tzinfo=zone())).order_by()
                 .values("m", "team_id", "assignee_id", "score").annotate(n=Count("created_at")))
        for row in query:
            found[(month_key(row["m"]), row["team_id"] or 0, row["assignee_id"] or 0, row["score"])] = {
                "n": row["n"]}
    else:
        query = (rows.annotate(m=TruncMonth("day")).order_by().values("m", "team_id", "actor_id")
                 .annotate(s_events=Sum("events"), s_replies=Sum("replies"), s_notes=Sum("notes")))
        for row in query:
            slot = found.setdefault((month_key(row["m"]), row["team_id"] or 0, row["actor_id"]),
                                    dict.fromkeys(WORK.measures, 0))
            for name in WORK.measures:
                slot[name] += int(row[f"s_{name}"] or 0)
    return found


def rebuild(tally: Tally) -> int:
    """Recompute the tally from its copy; returns the rows written."""
    found = grouped(tally)
    with transaction.atomic():
        tally.model.objects.all().delete()  # type: ignore[attr-defined]
        tally.model.objects.bulk_create(  # type: ignore[attr-defined]
            [tally.model(**dict(zip(tally.key, key, strict=True)), **values) for key, values in sorted(found.items())],
            batch_size=2000)
    return len(found)


def stored(tally: Tally) -> Deltas:
    """The kept rows, without rows that went back to zero (tests, checks)."""
    return nonzero_rows(tally.model, tally.key, tally.measures)
