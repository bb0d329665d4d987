"""Jobs of the search index."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.search.indexing import index_missing


@db_periodic_task(crontab(minute="*/5"))
def search_index_missing() -> dict[str, int]:
    """Catch up with rows written around the services (demo data, imports); a no-op when in step."""
    return index_missing()
