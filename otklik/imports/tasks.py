"""Large imports as a job: the worker rebuilds the reader from the run's options and continues from
the run's cursor, so a job retried after a crash (or `otklik import --resume`) never starts over."""

from __future__ import annotations

import logging

from django.tasks import task

from otklik.imports.models import RunState
from otklik.imports.readers import build_reader
from otklik.imports.services import DEFAULT_BATCH, run_execute, run_get

logger = logging.getLogger(__name__)


@task
def import_run_job(run_id: int) -> None:
    run = run_get(run_id)
    if run.state == RunState.DONE:
        return
    reader = build_reader(run.source, run.options)
    run_execute(run=run, reader=reader, batch_size=int(run.options.get("batch") or DEFAULT_BATCH))
