"""The quiz engine's background tasks."""
from __future__ import annotations

from celery import shared_task

from lms import clock
from lms.tasks import periodic


@periodic("quizzes: close expired attempts", 60.0)
@shared_task(name="lms.quizzes.close_expired")
def close_expired_attempts() -> int:
    """Submit open attempts past their time limit: the service `flask quizzes close-expired`
    calls. Idempotent: each submit is a conditional UPDATE on the attempt's status."""
    from lms.quizzes import services

    return services.close_expired(clock.now())
