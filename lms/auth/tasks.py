"""Accounts' background tasks."""
from __future__ import annotations

from celery import shared_task

from lms import clock
from lms.tasks import periodic


@periodic("auth: purge expired sessions", 60 * 60.0)
@shared_task(name="lms.auth.purge_expired_sessions")
def purge_expired_sessions() -> int:
    """Delete server-side sessions past their lifetime (signing in also clears a user's own).
    Idempotent: a second run finds nothing left to delete."""
    from lms.auth import services

    return services.purge_expired_sessions(clock.now())
