"""The knowledge report (`knowledge.selectors.knowledge_report`) over many feedback rows, on PostgreSQL.

    .venv/bin/python bench/bench_knowledge_report.py --database-url postgres://postgres@127.0.0.1:5432/otklik_kbbench

Fills its own database (migrated here) with --articles published articles and --rows feedback rows over the
last year (80% views, 8% helpful, 4% not helpful, 8% deflections with one of 60 typed subjects), once, with
one INSERT … SELECT from generate_series; then times the report for a manager over the last 30 days
(per day) and the last 365 days (per week): wall p50/p95 and queries per call. Load average first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_kbbench"))
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from otklik.accounts.models import Role, User
    from otklik.knowledge.models import Article, ArticleFeedback, ArticleStatus, Audience
    from otklik.knowledge.selectors import knowledge_report

    call_command("migrate", verbosity=0)
    manager, _ = User.objects.get_or_create(email="kb-bench@otklik.test",
                                            defaults={"username": "kb-bench", "role": Role.MANAGER})
    if Article.objects.count() < args.articles:
        Article.objects.bulk_create([
            Article(slug=f"bench-{index}", status=ArticleStatus.PUBLISHED, title_en=f"Bench article {index}",
                    audience=Audience.INTERNAL if index % 10 == 0 else Audience.PUBLIC)
            for index in range(Article.objects.count(), args.articles)
        ])
    missing = args.rows - ArticleFeedback.objects.count()
    if missing > 0:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO knowledge_articlefeedback (article_id, user_id, kind, subject, created_at)"
                " SELECT a.ids[1 + (i::bigint * 7919) %% array_length(a.ids, 1)], NULL,"
                " CASE WHEN i %% 25 < 20 THEN 'view' WHEN i %% 25 < 22 THEN 'helpful'"
                "      WHEN i %% 25 < 23 THEN 'not_helpful' ELSE 'deflection' END,"
                " CASE WHEN i %% 25 >= 23 THEN 'subject ' || (i %% 60) ELSE '' END,"
                " now() - ((i %% 525600) || ' minutes')::interval"
                " FROM generate_series(1, %s) i, (SELECT array_agg(id) ids FROM knowledge_article) a",
                [missing],
            )
            cursor.execute("ANALYZE knowledge_articlefeedback")
            cursor.execute("ANALYZE knowledge_article")
        print(f"inserted {missing:,} feedback rows in {time.perf_counter() - started:.1f} s")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())};"
          f" feedback rows: {ArticleFeedback.objects.count():,}; articles: {Article.objects.count():,}")
    now = timezone.now()
    zone = timezone.get_current_timezone()
    for label, days, unit in (("30 days, per day", 30, "day"), ("365 days, per week", 365, "week")):
        times = []
        queries = 0
        for _ in range(args.probes):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                knowledge_report(manager, since=now - timedelta(days=days), until=now, tz=zone, unit=unit)
            times.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{label}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, {queries} queries")


if __name__ == "__main__":
    main()
