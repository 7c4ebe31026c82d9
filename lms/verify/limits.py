"""Rate limits of public verification, per client (Flask-Limiter; its storage is
RATELIMIT_STORAGE_URI, Redis in production, so every worker counts into the same buckets).

Every lookup (the pages and the API alike) draws on one budget per client, so switching
between them gains nothing; batches have their own, smaller budget."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from lms.extensions import limiter


def lookups(exempt_when: Callable[[], bool] | None = None):
    """The lookup budget as a decorator (``exempt_when``: requests that look nothing up)."""
    return limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"],
                                scope="verify-lookup", exempt_when=exempt_when)


lookup_limit = lookups()
batch_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_BATCH_RATE_LIMIT"],
                                   scope="verify-batch")
