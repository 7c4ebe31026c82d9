"""Rate limits of public verification, per client (Flask-Limiter; its storage is
RATELIMIT_STORAGE_URI, Redis in production, so every worker counts into the same buckets), and
the size cap of the certificate uploads.

Every lookup (the pages and the API alike) draws on one budget per client, so switching
between them gains nothing; batches have their own, smaller budget."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from lms.extensions import limiter


def lookups(exempt_when: Callable[[], bool] | None = None):
    """The lookup budget as a decorator (``exempt_when``: requests that look nothing up)."""
    return limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"],
                                scope="verify-lookup", exempt_when=exempt_when)


lookup_limit = lookups()
batch_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_BATCH_RATE_LIMIT"],
                                   scope="verify-batch")


#: Room for the multipart envelope around the file (boundaries, part headers, a CSRF token).
MULTIPART_SLACK = 64 * 1024


def cap_uploads(*endpoints: str) -> Callable[[str | None, dict[str, Any] | None], None]:
    """A blueprint ``url_value_preprocessor`` that caps the request body of `endpoints` at
    VERIFY_UPLOAD_MAX_BYTES (+ the envelope; never above MAX_CONTENT_LENGTH). URL value
    preprocessors run before every ``before_request`` handler (the CSRF check reads the form),
    so Werkzeug counts the body while it streams in and stops with a 413 as soon as it passes
    the cap, instead of spooling up to the app-wide limit first."""

    def cap(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if endpoint in endpoints:
            limit = current_app.config["VERIFY_UPLOAD_MAX_BYTES"] + MULTIPART_SLACK
            app_wide = current_app.config.get("MAX_CONTENT_LENGTH")
            request.max_content_length = min(limit, app_wide) if app_wide else limit

    return cap
