"""The daily CE sweep as a periodic task (lms/tasks.py's schedule registry)."""
from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from lms import clock
from lms.tasks import periodic


@periodic("ce: daily sweep", crontab(hour=2, minute=0))
@shared_task(name="lms.credits.sweep")
def sweep_task() -> str:
    """Idempotent: the sweep records what it did per holder and day."""
    from lms.credits import services

    now = clock.now()
    return services.sweep(now.date(), now).as_text()
