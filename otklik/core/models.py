from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PeriodicRun(models.Model):
    """One row per periodic job and period: the unique key makes a period's run happen once,
    even if a second scheduler is started by mistake."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    started_at = models.DateTimeField(auto_now_add=True)
    worker = models.CharField(max_length=200, blank=True)
    # Later attempts for the same period (a second scheduler by mistake) are counted, not run.
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period_start.isoformat()}"


class JobProbeRun(models.Model):
    """One row per executed probe job: `otklik jobcheck` proves the workers run each job exactly once."""

    key = models.CharField(max_length=100, db_index=True)
    worker = models.CharField(max_length=200)
    executed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.key} by {self.worker}"


class WakeUp(models.Model):
    """A dispatcher job waiting to start. A burst of events (a sweep announcing a hundred breaches) wakes
    the dispatcher once: later kicks see it pending and leave it to the job, which reads every event."""

    name = models.CharField(max_length=100, unique=True)
    pending_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {'pending' if self.pending_since else 'idle'}"
